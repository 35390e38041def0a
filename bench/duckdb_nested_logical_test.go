package bench

import (
	"fmt"
	"path/filepath"
	"slices"
	"testing"
)

// TestDuckDBNestedTimeAndUUID reads a DuckDB file whose time and uuid values sit inside a
// struct and in lists: read_parquet gives the struct's fields and the lists' elements the
// SQL types time and uuid (as it gives flat columns), and a table made of the file shows
// the values DuckDB shows.
func TestDuckDBNestedTimeAndUUID(t *testing.T) {
	dir, run, duck := roundTrip(t)
	duck(`CREATE TABLE src AS SELECT * FROM (VALUES
		(0, {'t': TIME '01:02:03.456789', 'u': UUID '00112233-4455-6677-8899-aabbccddeeff'},
			[UUID '0000000a-0000-0000-0000-000000000001', NULL], [TIME '23:59:59.999999']),
		(1, {'t': NULL, 'u': NULL}, [], NULL),
		(2, NULL, NULL, [TIME '00:00:00', NULL]),
		(3, {'t': TIME '12:00:00', 'u': UUID 'ffffffff-ffff-ffff-ffff-ffffffffffff'},
			[UUID 'ffffffff-ffff-ffff-ffff-fffffffffff0'], [])
	) v(id, r, us, ts)`)
	in := filepath.Join(dir, "duck.parquet")
	duck(fmt.Sprintf("COPY src TO '%s' (FORMAT parquet)", in))
	want := duck(`SELECT id::VARCHAR, coalesce(r.t::VARCHAR, 'NULL'), coalesce(r.u::VARCHAR, 'NULL'),
		coalesce(us[1]::VARCHAR, 'NULL'), coalesce(us[2]::VARCHAR, 'NULL'), coalesce(len(us)::VARCHAR, 'NULL'),
		coalesce(ts[1]::VARCHAR, 'NULL'), coalesce(ts[2]::VARCHAR, 'NULL'), coalesce(len(ts)::VARCHAR, 'NULL')
		FROM src ORDER BY id`)
	view := func(from string) [][]string {
		return run(`SELECT id::text, coalesce((r).t::text, 'NULL'), coalesce((r).u::text, 'NULL'),
			coalesce(us[1]::text, 'NULL'), coalesce(us[2]::text, 'NULL'), coalesce(cardinality(us)::text, 'NULL'),
			coalesce(ts[1]::text, 'NULL'), coalesce(ts[2]::text, 'NULL'), coalesce(cardinality(ts)::text, 'NULL')
			FROM ` + from + ` ORDER BY id`)
	}
	compareRows(t, "read_parquet of DuckDB's file", view(fmt.Sprintf("read_parquet('%s')", in)), want)
	compareRows(t, "the types read_parquet gives",
		run(fmt.Sprintf(`SELECT pg_typeof((r).t)::text, pg_typeof((r).u)::text, pg_typeof(us)::text, pg_typeof(ts)::text
			FROM read_parquet('%s') WHERE id = 0`, in)),
		[][]string{{"time without time zone", "uuid", "uuid[]", "time without time zone[]"}})
	run(fmt.Sprintf("CREATE TABLE nested WITH (row_keys = 'id') AS SELECT * FROM read_parquet('%s')", in))
	compareRows(t, "a table made of DuckDB's file", view("nested"), want)

	// The other way round: DuckDB reads the data file of a dictionary-encoded table of a
	// composite of time and uuid, and COPY TO's file of it, with the same values, the
	// composite's fields of the types TIME and UUID.
	before, err := filepath.Glob(filepath.Join(dir, "store", "tables", "*", "files", "*.parquet"))
	if err != nil || len(before) == 0 {
		t.Fatalf("data files: %v %v", before, err)
	}
	// The table made of the file keeps the struct's TIME and UUID logical types in its data
	// files (the files the table was made of are all there is so far).
	for _, f := range before {
		compareRows(t, "the types DuckDB gives the columns of the table made of its file, "+filepath.Base(f),
			duck(fmt.Sprintf("SELECT column_name, column_type FROM (DESCRIBE SELECT r, us, ts FROM read_parquet('%s'))", f)),
			[][]string{{"r", "STRUCT(t TIME, u UUID)"}, {"us", "UUID[]"}, {"ts", "TIME[]"}})
	}
	run("CREATE TYPE tu AS (t time, u uuid)")
	run("CREATE TABLE nested_dict (id int, r tu) WITH (row_keys = 'id', dictionary = true)")
	run("INSERT INTO nested_dict SELECT id, CASE WHEN r::text IS NOT NULL THEN ROW((r).t, (r).u)::tu END FROM nested")
	after, err := filepath.Glob(filepath.Join(dir, "store", "tables", "*", "files", "*.parquet"))
	if err != nil || len(after) != len(before)+1 {
		t.Fatalf("data files: %v %v", after, err)
	}
	files := slices.DeleteFunc(after, func(f string) bool { return slices.Contains(before, f) })
	out := filepath.Join(dir, "out.parquet")
	run(fmt.Sprintf("COPY nested_dict TO '%s' (FORMAT parquet)", out))
	var wantR [][]string
	for _, r := range want {
		wantR = append(wantR, r[:3])
	}
	for _, f := range append(files, out) {
		compareRows(t, "DuckDB reading sleeperd's file "+filepath.Base(f),
			duck(fmt.Sprintf(`SELECT id::VARCHAR, coalesce(r.t::VARCHAR, 'NULL'), coalesce(r.u::VARCHAR, 'NULL') FROM read_parquet('%s') ORDER BY id`, f)), wantR)
		compareRows(t, "the type DuckDB gives r of "+filepath.Base(f),
			duck(fmt.Sprintf("SELECT column_type FROM (DESCRIBE SELECT r FROM read_parquet('%s'))", f)),
			[][]string{{"STRUCT(t TIME, u UUID)"}})
	}
}

// TestDuckDBNestedArrayLogicalTypes has DuckDB read the data file of a table with uuid[],
// time[], json[] and jsonb[] columns and a composite holding such arrays: DuckDB gives the
// columns the types UUID[], TIME[] and JSON[] (the composite's fields too) and reads the
// values sleeperd shows.
func TestDuckDBNestedArrayLogicalTypes(t *testing.T) {
	dir, run, duck := roundTrip(t)
	run("CREATE TYPE arrs AS (u uuid[], t time[], j jsonb[])")
	run("CREATE TABLE arrays (id int, us uuid[], ts time[], js json[], jbs jsonb[], r arrs) WITH (row_keys = 'id')")
	run(`INSERT INTO arrays VALUES
		(0, ARRAY['00112233-4455-6677-8899-aabbccddeeff'::uuid, NULL], ARRAY['01:02:03.456789'::time, NULL],
			ARRAY['{"a": 1}'::json, NULL], ARRAY['[1, 2]'::jsonb],
			ROW(ARRAY['ffffffff-ffff-ffff-ffff-fffffffffff0'::uuid], ARRAY['23:59:59.999999'::time], ARRAY['{"b": "c"}'::jsonb, NULL])),
		(1, ARRAY[]::uuid[], ARRAY[]::time[], ARRAY[]::json[], ARRAY[]::jsonb[], ROW(ARRAY[]::uuid[], NULL, ARRAY[]::jsonb[])),
		(2, NULL, NULL, NULL, NULL, NULL)`)
	files, err := filepath.Glob(filepath.Join(dir, "store", "tables", "*", "files", "*.parquet"))
	if err != nil || len(files) != 1 {
		t.Fatalf("data files: %v %v", files, err)
	}
	f := files[0]
	compareRows(t, "the types DuckDB gives the columns",
		duck(fmt.Sprintf("SELECT column_name, column_type FROM (DESCRIBE SELECT us, ts, js, jbs, r FROM read_parquet('%s'))", f)),
		[][]string{{"us", "UUID[]"}, {"ts", "TIME[]"}, {"js", "JSON[]"}, {"jbs", "JSON[]"}, {"r", "STRUCT(u UUID[], t TIME[], j JSON[])"}})
	const cols = `%s::text, coalesce(us[1]::%[2]s, 'NULL'), coalesce(us[2]::%[2]s, 'NULL'), coalesce(ts[1]::%[2]s, 'NULL'),
		coalesce(js[1]::%[2]s, 'NULL'), coalesce(jbs[1]::%[2]s, 'NULL'), coalesce(%[3]s::%[2]s, 'NULL'), coalesce(%[4]s::%[2]s, 'NULL'),
		coalesce(%[5]s::%[2]s, 'NULL'), coalesce(%[6]s::%[2]s, 'NULL')`
	want := run(fmt.Sprintf("SELECT "+cols+" FROM arrays ORDER BY id", "id", "text", "(r).u[1]", "(r).t[1]", "(r).j[1]", "cardinality((r).j)"))
	if len(want) != 3 {
		t.Fatalf("sleeperd rows: %v", want)
	}
	compareRows(t, "DuckDB reading sleeperd's file",
		duck(fmt.Sprintf("SELECT "+cols+" FROM read_parquet('%[7]s') ORDER BY id", "id", "VARCHAR", "r.u[1]", "r.t[1]", "r.j[1]", "len(r.j)", f)), want)
}
