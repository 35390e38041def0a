package bench

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/engine"
	"github.com/sleeperd/sleeperd/format/pgvalue"
	"github.com/sleeperd/sleeperd/storage/objstore"
)

// The stored types of the DuckDB round trips, as sleeperd and DuckDB spell them, and the
// SQL each side uses to show a value of the column c as comparable text.
type roundTripColumn struct {
	name, pgType, duckType string
	pgText, duckText       string // %s is the column
	values                 []string
}

var roundTripColumns = []roundTripColumn{
	{"s", "text", "VARCHAR", "%s", "%s", []string{"'plain'", "'ünïcode ✓'", "''", "repeat('x', 100000)"}},
	{"b", "bytea", "BLOB", "%s::text", "'\\x' || lower(hex(%s))", []string{`'\x00ff10'::bytea`, `''::bytea`, `'\xdeadbeef'::bytea`, `'\x01'::bytea`}},
	{"n", "numeric(38,6)", "DECIMAL(38,6)", "%s::text", "%s::VARCHAR", []string{"123.456", "-0.000001", "12345678901234567890123456789012.123456", "0"}},
	{"u", "uuid", "UUID", "%s::text", "%s::VARCHAR", []string{"'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'", "'00000000-0000-0000-0000-000000000000'", "'ffffffff-ffff-ffff-ffff-ffffffffffff'", "'80000000-0000-0000-0000-000000000001'"}},
	{"j", "jsonb", "JSON", "%s::text", "%s::VARCHAR", []string{`'{"b": [1, 2.5, null], "a": "x"}'`, `'[]'`, `'"s"'`, `'{"n": {"m": true}}'`}},
	{"t", "time", "TIME", "%s::text", "%s::VARCHAR", []string{"'04:05:06.789'", "'00:00'", "'23:59:59.999999'", "'12:00:00.000001'"}},
	{"tz", "timestamptz", "TIMESTAMPTZ", "(extract(epoch FROM %s) * 1000000)::bigint::text", "epoch_us(%s)::VARCHAR", []string{"'2024-02-29 12:34:56.789012+00'", "'1970-01-01 00:00:00+00'", "'1900-06-01 01:02:03-05'", "'2262-01-01 00:00:00+00'"}},
	{"iv", "interval", "INTERVAL",
		"(extract(year FROM %[1]s) * 12 + extract(month FROM %[1]s))::int::text || ' ' || extract(day FROM %[1]s)::int::text || ' ' || ((extract(hour FROM %[1]s) * 3600 + extract(minute FROM %[1]s) * 60 + extract(second FROM %[1]s)) * 1000000)::bigint::text",
		"(datepart('year', %[1]s) * 12 + datepart('month', %[1]s))::VARCHAR || ' ' || datepart('day', %[1]s)::VARCHAR || ' ' || (datepart('hour', %[1]s) * 3600000000 + datepart('minute', %[1]s) * 60000000 + datepart('microseconds', %[1]s))::VARCHAR", []string{"interval '1 day 02:03:04.5'", "interval '0'", "interval '1 year 2 mons 3 days 04:05:06.789'", "interval '90 minutes 0.001 seconds'"}},
	{"ai", "bigint[]", "BIGINT[]", "array_to_string(%s, ',', 'NULL')", "array_to_string(list_transform(%s, x -> coalesce(x::VARCHAR, 'NULL')), ',')", []string{"ARRAY[1, 2, 3]", "ARRAY[]::bigint[]", "ARRAY[NULL, -5]::bigint[]", "ARRAY[9223372036854775807]"}},
	{"tx", "text[]", "VARCHAR[]", "array_to_string(%s, ',', 'NULL')", "array_to_string(list_transform(%s, x -> coalesce(x, 'NULL')), ',')", []string{"ARRAY['a', 'b']", "ARRAY[]::text[]", "ARRAY['x', NULL]", "ARRAY['long']"}},
}

// TestDuckDBRoundTrips checks sleeperd's Parquet files of every stored type with DuckDB and
// DuckDB's with sleeperd: a table of text, bytea, numeric(38,6), uuid, jsonb, time,
// timestamptz, interval and arrays (values and NULLs) is written by sleeperd (its data file
// and COPY TO's), DuckDB reads both with equal values; DuckDB writes the same
// values to a Parquet file, which sleeperd reads with COPY FROM and read_parquet, with equal
// values. interval is the exception: Parquet's INTERVAL holds milliseconds, so sleeperd stores
// Arrow's month_day_nano layout in 16 bytes, which DuckDB reads as a blob (checked bytewise);
// DuckDB's INTERVAL files (months, days and milliseconds, never negative) read into
// sleeperd's interval.
// roundTrip opens a sleeperd engine on a local store under a new temporary directory (its
// checked allocator asserted empty at the end of the test) and an in-memory DuckDB in UTC,
// and returns the directory and functions running a statement on each, as text rows.
func roundTrip(t *testing.T) (dir string, run, duck func(q string) [][]string) {
	t.Helper()
	ctx := context.Background()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	t.Cleanup(func() { mem.AssertSize(t, 0) })
	dir = t.TempDir()
	store, err := objstore.NewLocal(filepath.Join(dir, "store"))
	if err != nil {
		t.Fatal(err)
	}
	eng, err := engine.Open(ctx, engine.Options{Store: store, Alloc: mem, MaintenanceInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	conn, err := eng.Connect(ctx, "bench", "bench")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	run = func(q string) [][]string {
		t.Helper()
		rows, err := sleeperdRows(ctx, conn, q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return rows
	}
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Exec("SET TimeZone = 'UTC'"); err != nil {
		t.Fatal(err)
	}
	duck = func(q string) [][]string {
		t.Helper()
		rows, err := duckRows(db, q)
		if err != nil {
			t.Fatalf("duckdb: %s: %v", q, err)
		}
		return rows
	}
	return dir, run, duck
}

func TestDuckDBRoundTrips(t *testing.T) {
	dir, run, duck := roundTrip(t)

	var defs, names []string
	for _, c := range roundTripColumns {
		defs = append(defs, c.name+" "+c.pgType)
		names = append(names, c.name)
	}
	run("CREATE TABLE rt (id int NOT NULL, " + strings.Join(defs, ", ") + ") WITH (row_keys = 'id')")
	const n = 5 // the last row is all NULLs
	var tuples []string
	for r := 0; r < n; r++ {
		vals := []string{fmt.Sprint(r)}
		for _, c := range roundTripColumns {
			if r < len(c.values) {
				vals = append(vals, c.values[r])
			} else {
				vals = append(vals, "NULL")
			}
		}
		tuples = append(tuples, "("+strings.Join(vals, ", ")+")")
	}
	run("INSERT INTO rt VALUES " + strings.Join(tuples, ", ")) // one data file

	// sleeperd's view, the reference.
	pgSelect := func(from string) string {
		var cols []string
		for _, c := range roundTripColumns {
			cols = append(cols, fmt.Sprintf("coalesce("+c.pgText+", 'NULL')", c.name))
		}
		return "SELECT id, " + strings.Join(cols, ", ") + " FROM " + from + " ORDER BY id"
	}
	duckSelect := func(from string, skip map[string]bool) string {
		var cols []string
		for _, c := range roundTripColumns {
			if skip[c.name] {
				cols = append(cols, fmt.Sprintf("coalesce(lower(hex(%s)), 'NULL')", c.name))
				continue
			}
			cols = append(cols, fmt.Sprintf("coalesce("+c.duckText+", 'NULL')", c.name))
		}
		return "SELECT id, " + strings.Join(cols, ", ") + " FROM " + from + " ORDER BY id"
	}
	want := run(pgSelect("rt"))
	if len(want) != n {
		t.Fatalf("sleeperd has %d rows", len(want))
	}
	// interval as DuckDB sees sleeperd's files: the 16 bytes of month_day_nano, hex.
	wantDuck := make([][]string, len(want))
	ivCol := 0
	for i, c := range roundTripColumns {
		if c.name == "iv" {
			ivCol = i + 1
		}
	}
	for r := range want {
		wantDuck[r] = append([]string(nil), want[r]...)
		wantDuck[r][ivCol] = intervalHex(t, run(fmt.Sprintf("SELECT (extract(year FROM iv) * 12 + extract(month FROM iv))::int::text, extract(day FROM iv)::int::text, ((extract(hour FROM iv) * 3600 + extract(minute FROM iv) * 60 + extract(second FROM iv)) * 1000000)::bigint::text FROM rt WHERE id = %d", r)))
	}

	// 1. DuckDB reads the table's data files.
	files, err := filepath.Glob(filepath.Join(dir, "store", "tables", "*", "files", "*.parquet"))
	if err != nil || len(files) == 0 {
		t.Fatalf("data files: %v %v", files, err)
	}
	sort.Strings(files)
	got := duck(duckSelect(fmt.Sprintf("read_parquet(%s)", duckList(files)), map[string]bool{"iv": true}))
	compareRows(t, "DuckDB reading sleeperd's data files", got, wantDuck)

	// 2. DuckDB reads COPY TO's Parquet file.
	out := filepath.Join(dir, "out.parquet")
	run(fmt.Sprintf("COPY (SELECT id, %s FROM rt) TO '%s' (FORMAT parquet)", strings.Join(names, ", "), out))
	got = duck(duckSelect(fmt.Sprintf("read_parquet('%s')", out), map[string]bool{"iv": true}))
	compareRows(t, "DuckDB reading sleeperd's COPY TO file", got, wantDuck)
	types := duck(fmt.Sprintf("SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet('%s')) ORDER BY column_name", out))
	wantTypes := map[string]string{"u": "UUID", "j": "JSON", "t": "TIME", "tz": "TIMESTAMP WITH TIME ZONE", "n": "DECIMAL(38,6)", "b": "BLOB", "ai": "BIGINT[]", "tx": "VARCHAR[]"}
	for _, r := range types {
		if w, ok := wantTypes[r[0]]; ok && r[1] != w {
			t.Errorf("DuckDB sees column %s of COPY TO's file as %s, want %s", r[0], r[1], w)
		}
	}

	// 3. DuckDB writes the same values; sleeperd reads them with COPY FROM and read_parquet.
	duck("CREATE TABLE src AS SELECT * FROM read_parquet('" + out + "') LIMIT 0")
	duck("DROP TABLE src")
	var duckDefs []string
	for _, c := range roundTripColumns {
		duckDefs = append(duckDefs, c.name+" "+c.duckType)
	}
	duck("CREATE TABLE src (id INTEGER, " + strings.Join(duckDefs, ", ") + ")")
	for r := 0; r < n; r++ {
		vals := []string{fmt.Sprint(r)}
		for _, c := range roundTripColumns {
			if r >= len(c.values) {
				vals = append(vals, "NULL")
				continue
			}
			vals = append(vals, "?")
		}
		var args []any
		for _, c := range roundTripColumns {
			if r < len(c.values) {
				// The value as sleeperd shows it in text, which DuckDB casts to its type.
				args = append(args, run(fmt.Sprintf("SELECT (%s)::%s::text", c.values[r], c.pgType))[0][0])
			}
		}
		var casts []string
		k := 0
		for i, v := range vals {
			if i == 0 || v == "NULL" {
				casts = append(casts, v)
				continue
			}
			c := roundTripColumns[i-1]
			arg := args[k].(string)
			k++
			switch c.name {
			case "b":
				casts = append(casts, fmt.Sprintf("from_hex('%s')", strings.TrimPrefix(arg, `\x`)))
			case "ai", "tx":
				casts = append(casts, fmt.Sprintf("CAST(%s AS %s)", duckArray(arg), c.duckType))
			case "iv":
				casts = append(casts, fmt.Sprintf("INTERVAL '%s'", arg))
			default:
				casts = append(casts, fmt.Sprintf("CAST('%s' AS %s)", strings.ReplaceAll(arg, "'", "''"), c.duckType))
			}
		}
		duck("INSERT INTO src VALUES (" + strings.Join(casts, ", ") + ")")
	}
	compareRows(t, "DuckDB's own copy of the values", duck(duckSelect("src", nil)), want)
	duckFile := filepath.Join(dir, "duck.parquet")
	duck(fmt.Sprintf("COPY src TO '%s' (FORMAT parquet)", duckFile))

	run("CREATE TABLE back (id int NOT NULL, " + strings.Join(defs, ", ") + ") WITH (row_keys = 'id')")
	run(fmt.Sprintf("COPY back FROM '%s' (FORMAT parquet)", duckFile))
	compareRows(t, "sleeperd reading DuckDB's file with COPY FROM", run(pgSelect("back")), want)
	compareRows(t, "sleeperd reading DuckDB's file with read_parquet", run(pgSelect(fmt.Sprintf("read_parquet('%s')", duckFile))), want)
}

// intervalHex is the hex of Arrow's month_day_nano layout (little-endian int32 months, int32
// days, int64 nanoseconds) of the interval given as months, days and microseconds text, or
// NULL.
func intervalHex(t *testing.T, rows [][]string) string {
	t.Helper()
	if len(rows) != 1 || rows[0][0] == "NULL" {
		return "NULL"
	}
	var m, d, us int64
	fmt.Sscan(rows[0][0], &m)
	fmt.Sscan(rows[0][1], &d)
	fmt.Sscan(rows[0][2], &us)
	var b []byte
	le := func(v uint64, n int) {
		for i := 0; i < n; i++ {
			b = append(b, byte(v>>(8*i)))
		}
	}
	le(uint64(uint32(int32(m))), 4)
	le(uint64(uint32(int32(d))), 4)
	le(uint64(us*1000), 8)
	return fmt.Sprintf("%x", b)
}

// duckArray turns PostgreSQL's array text {a,b,NULL} into a DuckDB list literal.
func duckArray(s string) string {
	inner := strings.TrimSuffix(strings.TrimPrefix(s, "{"), "}")
	if inner == "" {
		return "[]"
	}
	var out []string
	for _, e := range strings.Split(inner, ",") {
		if e == "NULL" {
			out = append(out, "NULL")
			continue
		}
		out = append(out, "'"+strings.Trim(e, `"`)+"'")
	}
	return "[" + strings.Join(out, ", ") + "]"
}

func duckList(files []string) string {
	q := make([]string, len(files))
	for i, f := range files {
		q[i] = "'" + f + "'"
	}
	return "[" + strings.Join(q, ", ") + "]"
}

func compareRows(t *testing.T, what string, got, want [][]string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d rows, want %d", what, len(got), len(want))
		return
	}
	for r := range want {
		for c := range want[r] {
			if c >= len(got[r]) || got[r][c] != want[r][c] {
				g := "(missing)"
				if c < len(got[r]) {
					g = got[r][c]
				}
				if len(g) > 80 {
					g = g[:80] + "..."
				}
				w := want[r][c]
				if len(w) > 80 {
					w = w[:80] + "..."
				}
				t.Errorf("%s: row %d column %d: %q, want %q", what, r, c, g, w)
			}
		}
	}
}

// sleeperdRows runs q and returns its rows as PostgreSQL's text, NULL as "NULL".
func sleeperdRows(ctx context.Context, conn engine.Conn, q string) ([][]string, error) {
	st, err := conn.Prepare(ctx, q, nil)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	r, err := st.Execute(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	var out [][]string
	for {
		b, err := r.Next(ctx)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		for i := 0; i < int(b.NumRows()); i++ {
			row := make([]string, b.NumCols())
			for j := range row {
				if b.Column(j).IsNull(i) {
					row[j] = "NULL"
					continue
				}
				row[j] = string(pgvalue.AppendField(nil, b.Schema().Field(j), b.Column(j), i, nil))
			}
			out = append(out, row)
		}
		b.Release()
	}
}

// duckRows runs q on DuckDB and returns its rows as text.
func duckRows(db *sql.DB, q string) ([][]string, error) {
	rows, err := db.Query(q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	var out [][]string
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		row := make([]string, len(cols))
		for i, v := range vals {
			row[i] = "NULL"
			if v.Valid {
				row[i] = v.String
			}
		}
		out = append(out, row)
	}
	return out, rows.Err()
}
