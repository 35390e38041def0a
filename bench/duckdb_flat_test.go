package bench

import (
	"fmt"
	"path/filepath"
	"sort"
	"testing"
)

// TestDuckDBFlatFiles has DuckDB read a table of flat columns only (integers, text, date,
// timestamp, with NULLs), whose files sleeperd writes with its own page writer: the values,
// filters DuckDB prunes by the files' statistics, each file's column chunk statistics
// of the row key, and the delta encodings of the chunks.
func TestDuckDBFlatFiles(t *testing.T) {
	dir, run, duck := roundTrip(t)
	run("CREATE TABLE ft (id bigint NOT NULL, s text, i int, si smallint, d date, ts timestamp) WITH (row_keys = 'id')")
	run(`INSERT INTO ft SELECT g, CASE WHEN g % 7 = 0 THEN NULL ELSE 'v' || (g * 37 % 1000) END,
		CASE WHEN g % 5 = 0 THEN NULL ELSE (g * 7919 % 20001) - 10000 END, (g % 300 - 150)::smallint,
		DATE '2020-01-01' + (g % 1000)::int, TIMESTAMP '2020-01-01' + g * INTERVAL '1 minute'
		FROM generate_series(1, 30000) g`)
	run("INSERT INTO ft SELECT g, NULL, NULL, NULL, NULL, NULL FROM generate_series(30001, 30500) g")
	files, err := filepath.Glob(filepath.Join(dir, "store", "tables", "*", "files", "*.parquet"))
	if err != nil || len(files) == 0 {
		t.Fatalf("data files: %v %v", files, err)
	}
	sort.Strings(files)
	from := fmt.Sprintf("read_parquet(%s)", duckList(files))
	agg := "count(*)::text, count(s)::text, min(s), max(s), sum(i)::text, min(i)::text, max(si)::text, min(d)::text, max(ts)::text"
	for _, where := range []string{"true", "id BETWEEN 1000 AND 1100", "id > 29990", "s = 'v37'", "i < -9990", "d = DATE '2021-01-01'", "s IS NULL"} {
		want := run(fmt.Sprintf("SELECT %s FROM ft WHERE %s", agg, where))
		got := duck(fmt.Sprintf("SELECT %s FROM %s WHERE %s", agg, from, where))
		compareRows(t, "DuckDB over sleeperd's files WHERE "+where, got, want)
	}
	for _, f := range files {
		got := duck(fmt.Sprintf("SELECT stats_min_value, stats_max_value, stats_null_count::text FROM parquet_metadata('%s') WHERE path_in_schema = 'id' ORDER BY row_group_id", f))
		want := duck(fmt.Sprintf("SELECT min(id)::text, max(id)::text, '0' FROM read_parquet('%s') GROUP BY file_row_number // 100000 ORDER BY 1", f))
		compareRows(t, "row key statistics of "+filepath.Base(f), got, want)
		got = duck(fmt.Sprintf("SELECT sum(stats_null_count)::text FROM parquet_metadata('%s') WHERE path_in_schema = 's'", f))
		want = duck(fmt.Sprintf("SELECT (count(*) - count(s))::text FROM read_parquet('%s')", f))
		compareRows(t, "null count of s in "+filepath.Base(f), got, want)
		// The values DuckDB read above were delta-encoded: text as DELTA_BYTE_ARRAY,
		// integers, dates and timestamps as DELTA_BINARY_PACKED.
		got = duck(fmt.Sprintf(`SELECT count(*) FILTER (WHERE path_in_schema = 's' AND encodings::text LIKE '%%DELTA_BYTE_ARRAY%%')::text,
			count(*) FILTER (WHERE path_in_schema <> 's' AND encodings::text LIKE '%%DELTA_BINARY_PACKED%%')::text FROM parquet_metadata('%s')`, f))
		want = duck(fmt.Sprintf("SELECT count(*) FILTER (WHERE path_in_schema = 's')::text, count(*) FILTER (WHERE path_in_schema <> 's')::text FROM parquet_metadata('%s')", f))
		compareRows(t, "encodings of "+filepath.Base(f), got, want)
	}
}

// TestDuckDBFlatFloats has DuckDB read a table of float, boolean and numeric columns (NaN,
// both infinities, both zeros, NULLs, a row group of NaN and NULL only), whose files sleeperd
// writes with its own page writer: counts under filters DuckDB prunes by the files'
// statistics equal sleeperd's (NaN is greater than every number in both), and each row
// group's min and max of the real column are its numbers' (NaN left out).
func TestDuckDBFlatFloats(t *testing.T) {
	dir, run, duck := roundTrip(t)
	run("CREATE TABLE ff (id bigint NOT NULL, f float8, r real, b boolean, n numeric(12,2), m numeric(5,1)) WITH (row_keys = 'id')")
	run(`INSERT INTO ff SELECT g,
		CASE WHEN g % 11 = 3 THEN NULL WHEN g % 17 = 0 THEN 'NaN'::float8 WHEN g % 301 = 1 THEN 'Infinity'::float8
			WHEN g % 307 = 2 THEN '-Infinity'::float8 WHEN g % 31 = 4 THEN -0.0::float8 ELSE (g * 7919 % 1000) / 8.0 - 60 END,
		CASE WHEN g % 13 = 5 THEN NULL WHEN g % 19 = 0 THEN 'NaN'::real ELSE ((g * 31 % 2000) - 1000)::real / 4 END,
		CASE WHEN g % 13 = 6 THEN NULL ELSE g % 3 = 0 END,
		CASE WHEN g % 9 = 1 THEN NULL ELSE (g * 7919 % 2000001 - 1000000) / 100.0 END, (g % 2001 - 1000) / 10.0
		FROM generate_series(1, 30000) g`)
	run("INSERT INTO ff SELECT g, CASE WHEN g % 2 = 0 THEN 'NaN'::float8 END, 'NaN'::real, NULL, NULL, NULL FROM generate_series(30001, 30500) g")
	files, err := filepath.Glob(filepath.Join(dir, "store", "tables", "*", "files", "*.parquet"))
	if err != nil || len(files) == 0 {
		t.Fatalf("data files: %v %v", files, err)
	}
	sort.Strings(files)
	from := fmt.Sprintf("read_parquet(%s)", duckList(files))
	agg := "count(*)::text, count(f)::text, count(r)::text, count(b)::text, count(*) FILTER (WHERE b)::text, count(n)::text, sum(n)::text, min(m)::text, max(m)::text"
	for _, where := range []string{"true", "f > 50", "f < -50", "f = 0", "f IS NULL", "r > 200", "r <= -249.75", "b", "NOT b", "b IS NULL", "id > 29990 AND f < 0", "n > 9990", "n < -9999.5", "m = -100.0", "n IS NULL"} {
		want := run(fmt.Sprintf("SELECT %s FROM ff WHERE %s", agg, where))
		got := duck(fmt.Sprintf("SELECT %s FROM %s WHERE %s", agg, from, where))
		compareRows(t, "DuckDB over sleeperd's files WHERE "+where, got, want)
	}
	// DuckDB reads no bounds of f, whose chunks' bounds are infinities; r has none.
	for _, f := range files {
		got := duck(fmt.Sprintf("SELECT stats_min_value, stats_max_value FROM parquet_metadata('%s') WHERE path_in_schema = 'r' AND stats_min_value IS NOT NULL AND stats_min_value <> 'nan' ORDER BY row_group_id", f))
		want := duck(fmt.Sprintf("SELECT min(r)::text, max(r)::text FROM read_parquet('%s') WHERE NOT isnan(r) GROUP BY file_row_number // 100000 ORDER BY file_row_number // 100000", f))
		compareRows(t, "float statistics of "+filepath.Base(f), got, want)
	}
}
