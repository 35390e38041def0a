package bench

import (
	"fmt"
	"path/filepath"
	"sort"
	"testing"
)

// TestDuckDBFlatFiles has DuckDB read a table of flat columns only (integers, text, date,
// timestamp, with NULLs), whose files sleeperd writes with its own page writer: the values,
// filters DuckDB prunes by the files' statistics, and each file's column chunk statistics
// of the row key.
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
	}
}
