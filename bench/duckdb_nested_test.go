package bench

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// TestDuckDBNestedRoundTrips checks struct and map columns between DuckDB and sleeperd:
// DuckDB writes a Parquet file with a STRUCT and a MAP column (NULL records, NULL fields,
// empty, NULL and NULL-valued maps); sleeperd makes a table of it with CREATE TABLE ... AS
// SELECT FROM read_parquet and shows the same fields and entries; DuckDB then reads the
// table's data file and sleeperd's COPY TO file back as STRUCT and MAP with equal values.
func TestDuckDBNestedRoundTrips(t *testing.T) {
	dir, run, duck := roundTrip(t)

	duck(`CREATE TABLE src AS SELECT * FROM (VALUES
		(0, {'a': 1, 'b': 'x'}, MAP {'k1': 10, 'k2': 20}),
		(1, {'a': NULL, 'b': 'y z'}, MAP {}),
		(2, NULL, NULL),
		(3, {'a': -7, 'b': NULL}, MAP {'only': NULL}),
		(4, {'a': NULL, 'b': NULL}, MAP {'z': 1, 'a': 2})
	) v(id, st, m)`)
	in := filepath.Join(dir, "duck.parquet")
	duck(fmt.Sprintf("COPY src TO '%s' (FORMAT parquet)", in))

	// Each side's view as text: the record's fields, whether it is NULL, and the map's
	// entries sorted by key as key=value (NULL for a NULL map, empty for an empty one).
	duckView := func(from string) [][]string {
		return duck(`SELECT id::VARCHAR, coalesce(st.a::VARCHAR, 'NULL'), coalesce(st.b, 'NULL'),
			CASE WHEN st IS NULL THEN 'null record' ELSE 'record' END,
			CASE WHEN m IS NULL THEN 'NULL' ELSE coalesce(array_to_string(list_sort(list_transform(map_entries(m), e -> e.key || '=' || coalesce(e.value::VARCHAR, 'NULL'))), ';'), '') END
			FROM ` + from + ` ORDER BY id`)
	}
	want := duckView("src")
	if len(want) != 5 {
		t.Fatalf("DuckDB has %d rows", len(want))
	}

	run(fmt.Sprintf("CREATE TABLE nested WITH (row_keys = 'id') AS SELECT * FROM read_parquet('%s')", in))
	// sleeperd shows a map as jsonb: its entries are read back with jsonb_each_text. A
	// record of NULL fields IS NULL in PostgreSQL (and sleeperd) but not in DuckDB: its text
	// tells it from a NULL record.
	got := run(`SELECT id::text, coalesce((st).a::text, 'NULL'), coalesce((st).b, 'NULL'),
		CASE WHEN st::text IS NULL THEN 'null record' ELSE 'record' END,
		CASE WHEN m IS NULL THEN 'NULL' ELSE coalesce((SELECT string_agg(e.key || '=' || coalesce(e.value, 'NULL'), ';' ORDER BY e.key) FROM jsonb_each_text(m::jsonb) e), '') END
		FROM nested ORDER BY id`)
	compareRows(t, "sleeperd reading DuckDB's struct and map file", got, want)
	// to_jsonb and to_json of a map give the same object as its cast.
	compareRows(t, "to_jsonb(m) and to_json(m) beside m::jsonb",
		run(`SELECT id::text, coalesce((to_jsonb(m) = m::jsonb)::text, 'NULL'), coalesce((to_json(m)::jsonb = m::json::jsonb)::text, 'NULL') FROM nested ORDER BY id`),
		[][]string{{"0", "true", "true"}, {"1", "true", "true"}, {"2", "NULL", "NULL"}, {"3", "true", "true"}, {"4", "true", "true"}})

	files, err := filepath.Glob(filepath.Join(dir, "store", "tables", "*", "files", "*.parquet"))
	if err != nil || len(files) == 0 {
		t.Fatalf("data files: %v %v", files, err)
	}
	sort.Strings(files)
	compareRows(t, "DuckDB reading sleeperd's data file", duckView(fmt.Sprintf("read_parquet(%s)", duckList(files))), want)
	out := filepath.Join(dir, "out.parquet")
	run(fmt.Sprintf("COPY nested TO '%s' (FORMAT parquet)", out))
	compareRows(t, "DuckDB reading sleeperd's COPY TO file", duckView(fmt.Sprintf("read_parquet('%s')", out)), want)
	types := duck(fmt.Sprintf("SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet('%s')) ORDER BY column_name", out))
	for _, r := range types {
		switch r[0] {
		case "st":
			if !strings.HasPrefix(r[1], "STRUCT(") {
				t.Errorf("DuckDB sees st of COPY TO's file as %s, want a STRUCT", r[1])
			}
		case "m":
			if !strings.HasPrefix(r[1], "MAP(") {
				t.Errorf("DuckDB sees m of COPY TO's file as %s, want a MAP", r[1])
			}
		}
	}
}

// TestDuckDBMapsInComposites checks maps inside composites between DuckDB and sleeperd:
// DuckDB writes a Parquet file with a STRUCT holding a MAP, a list of MAPs, a MAP of lists
// and a MAP of STRUCTs (NULLs at each level); sleeperd loads it with CREATE TABLE ... AS
// SELECT FROM read_parquet and with COPY FROM and shows each map as the jsonb of DuckDB's
// to_json of it; DuckDB reads the table's data files and COPY TO's file back with equal
// values.
func TestDuckDBMapsInComposites(t *testing.T) {
	dir, run, duck := roundTrip(t)

	duck(`CREATE TABLE src AS SELECT * FROM (VALUES
		(0, {'a': 1, 'm': MAP {'z': 1, 'a': 2}}, [MAP {'p': 1}, NULL, MAP {}], MAP {'xs': [1, NULL], 'e': [], 'n': NULL}, MAP {'r': {'x': 5, 'y': 'a "q"'}}),
		(1, NULL, NULL, NULL, NULL),
		(2, {'a': NULL, 'm': NULL}, [], MAP {}, MAP {'r': NULL, 's': {'x': NULL, 'y': NULL}}),
		(3, {'a': -7, 'm': MAP {'only': NULL}}, [NULL], MAP {'xs': [3]}, MAP {})
	) v(id, st, lm, ml, ms)`)
	in := filepath.Join(dir, "duck_maps.parquet")
	duck(fmt.Sprintf("COPY src TO '%s' (FORMAT parquet)", in))

	// DuckDB's view: the JSON of each map (and of the list's elements), NULL as 'NULL'.
	duckView := func(from string) [][]string {
		return duck(`SELECT id::VARCHAR, coalesce(st.a::VARCHAR, 'NULL'), coalesce(to_json(st.m)::VARCHAR, 'NULL'),
			coalesce(len(lm)::VARCHAR, 'NULL'), coalesce(to_json(lm[1])::VARCHAR, 'NULL'), coalesce(to_json(lm[2])::VARCHAR, 'NULL'),
			coalesce(to_json(ml)::VARCHAR, 'NULL'), coalesce(to_json(ms)::VARCHAR, 'NULL')
			FROM ` + from + ` ORDER BY id`)
	}
	want := duckView("src")
	if len(want) != 4 {
		t.Fatalf("DuckDB has %d rows", len(want))
	}
	// DuckDB's JSON, normalised as sleeperd's jsonb prints it.
	norm := func(rows [][]string) [][]string {
		out := make([][]string, len(rows))
		for i, r := range rows {
			out[i] = append([]string(nil), r...)
			for _, c := range []int{2, 4, 5, 6, 7} {
				if r[c] != "NULL" {
					out[i][c] = run("SELECT '" + strings.ReplaceAll(r[c], "'", "''") + "'::jsonb::text")[0][0]
				}
			}
		}
		return out
	}
	want = norm(want)
	const view = `SELECT id::text, coalesce((st).a::text, 'NULL'), coalesce((st).m::text, 'NULL'),
		coalesce(cardinality(lm)::text, 'NULL'), coalesce(lm[1]::text, 'NULL'), coalesce(lm[2]::text, 'NULL'),
		coalesce(ml::text, 'NULL'), coalesce(ms::text, 'NULL') FROM %s ORDER BY id`

	run(fmt.Sprintf("CREATE TABLE mc WITH (row_keys = 'id') AS SELECT * FROM read_parquet('%s')", in))
	compareRows(t, "sleeperd reading DuckDB's maps in composites", run(fmt.Sprintf(view, "mc")), want)
	run(fmt.Sprintf("CREATE TABLE mc2 WITH (row_keys = 'id') AS SELECT * FROM read_parquet('%s') WHERE false", in))
	run(fmt.Sprintf("COPY mc2 FROM '%s' (FORMAT parquet)", in))
	compareRows(t, "sleeperd's COPY FROM of DuckDB's maps in composites", run(fmt.Sprintf(view, "mc2")), want)
	compareRows(t, "the jsonb operators on them",
		run(`SELECT id::text, coalesce((st).m ->> 'z', 'NULL'), coalesce(lm[1] ->> 'p', 'NULL'), coalesce(ml -> 'xs' ->> 0, 'NULL'), coalesce(ms #>> '{r,y}', 'NULL') FROM mc ORDER BY id`),
		duck(`SELECT id::VARCHAR, coalesce(st.m['z']::VARCHAR, 'NULL'), coalesce(lm[1]['p']::VARCHAR, 'NULL'), coalesce(ml['xs'][1]::VARCHAR, 'NULL'), coalesce(ms['r'].y, 'NULL') FROM src ORDER BY id`))

	files, err := filepath.Glob(filepath.Join(dir, "store", "tables", "*", "files", "*.parquet"))
	if err != nil || len(files) == 0 {
		t.Fatalf("data files: %v %v", files, err)
	}
	sort.Strings(files)
	for _, f := range files {
		compareRows(t, "DuckDB reading sleeperd's data file "+filepath.Base(f), norm(duckView(fmt.Sprintf("read_parquet('%s')", f))), want)
	}
	out := filepath.Join(dir, "out_maps.parquet")
	run(fmt.Sprintf("COPY mc TO '%s' (FORMAT parquet)", out))
	compareRows(t, "DuckDB reading sleeperd's COPY TO file", norm(duckView(fmt.Sprintf("read_parquet('%s')", out))), want)
}
