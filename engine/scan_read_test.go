package engine

import (
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/storage/objstore"
)

// TestCountColumnReadsNulls checks count(column), which reads its column null-only, against
// counts computed from the values (which the scan decodes), over several files per leaf, a
// column added after some files were written, and a table with a primary key (whose leaves
// are merged and read in full), with the hot cache off and on (where a chunk it holds is
// copied from it).
func TestCountColumnReadsNulls(t *testing.T) {
	for _, cache := range []int64{0, 64 << 20} {
		t.Run(fmt.Sprintf("cache=%d", cache), func(t *testing.T) { testCountColumnReadsNulls(t, cache) })
	}
}

func testCountColumnReadsNulls(t *testing.T, cacheMemory int64) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	_, c := openCache(t, objstore.NewMem(), mem, cacheMemory)
	for _, ddl := range []string{
		"CREATE TABLE t (k bigint, s text, i int, b bigint, f double precision, d date, ts timestamp, n numeric(10,2), flag boolean) WITH (row_keys = 'k', split_points = '300,700')",
		"CREATE TABLE p (k bigint PRIMARY KEY, s text, i int)",
	} {
		run(t, c, ddl)
	}
	for _, q := range []string{
		`INSERT INTO t SELECT g, CASE WHEN g % 3 = 0 THEN NULL ELSE 'v' || g END, CASE WHEN g % 5 = 0 THEN NULL ELSE g END,
			CASE WHEN g % 7 < 2 THEN NULL ELSE g * 10 END, CASE WHEN g % 2 = 0 THEN NULL ELSE g / 2.0 END,
			CASE WHEN g % 4 = 1 THEN NULL ELSE DATE '2020-01-01' + g::int END, CASE WHEN g > 500 THEN NULL ELSE TIMESTAMP '2020-01-01' END,
			CASE WHEN g % 6 = 0 THEN NULL ELSE g END, CASE WHEN g % 8 = 0 THEN NULL ELSE g % 2 = 0 END
			FROM generate_series(1, 1000) g`,
		`INSERT INTO t (k, s) SELECT g, NULL FROM generate_series(1001, 1200) g`,
		"ALTER TABLE t ADD COLUMN extra text",
		`INSERT INTO t (k, s, extra) SELECT g, 'x', CASE WHEN g % 2 = 0 THEN 'e' END FROM generate_series(1201, 1300) g`,
		`INSERT INTO p SELECT g, CASE WHEN g % 3 = 0 THEN NULL ELSE 'v' END, CASE WHEN g % 4 = 0 THEN NULL ELSE g END FROM generate_series(1, 400) g`,
		`INSERT INTO p SELECT g, NULL, g FROM generate_series(1, 100) g ON CONFLICT (k) DO UPDATE SET s = excluded.s, i = excluded.i`,
	} {
		run(t, c, q)
	}
	check := func(count, values string) {
		t.Helper()
		got, _ := run(t, c, count)
		want, _ := run(t, c, values)
		if len(got) != 1 || len(want) != 1 || len(got[0]) != len(want[0]) {
			t.Fatalf("%s: %v; %s: %v", count, got, values, want)
		}
		for i := range got[0] {
			if got[0][i] != want[0][i] {
				t.Errorf("%s: %v, want %v (%s)", count, got[0], want[0], values)
				break
			}
		}
	}
	nn := func(col string) string { return "sum(CASE WHEN " + col + " IS NULL THEN 0 ELSE 1 END)" }
	cols := []string{"s", "i", "b", "f", "d", "ts", "n", "flag", "extra"}
	count, values := "SELECT count(*)", "SELECT sum(1)"
	for _, col := range cols {
		count += ", count(" + col + ")"
		values += ", " + nn(col)
	}
	// Twice: the reads of the values fill the hot cache, when on, for the counts after.
	for range 2 {
		check(count+" FROM t", values+" FROM t")
		check(count+" FROM t WHERE k >= 250 AND k < 1250", values+" FROM t WHERE k >= 250 AND k < 1250")
	}
	check("SELECT count(s), count(i) FROM t WHERE i > 100", "SELECT "+nn("s")+", "+nn("i")+" FROM t WHERE i > 100")
	check("SELECT count(*), count(s), count(i) FROM p", "SELECT sum(1), "+nn("s")+", "+nn("i")+" FROM p")
	check("SELECT count(DISTINCT s), count(s) FILTER (WHERE i > 10) FROM t", "SELECT count(DISTINCT s || ''), sum(CASE WHEN s IS NOT NULL AND i > 10 THEN 1 ELSE 0 END) FROM t")
}

// TestKeyRangeWithoutFilter checks ranges of the row key, whose scans clip to the range with
// no filter above them, against the same ranges over an expression of the key, which the
// scan cannot clip to, as literals and as parameters of a prepared statement, in tables with
// and without a primary key (whose leaves are merged).
func TestKeyRangeWithoutFilter(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	_, c := open(t, objstore.NewMem(), mem)
	run(t, c, "CREATE TABLE s (k text, v int) WITH (row_keys = 'k', split_points = 'd,m')")
	run(t, c, "CREATE TABLE n (k int, v int) WITH (row_keys = 'k', split_points = '100,200')")
	run(t, c, "INSERT INTO s SELECT substr('abcdefghijklmnopqrstuvwxyz', g % 26 + 1, 1) || g, g FROM generate_series(1, 600) g")
	run(t, c, "INSERT INTO s SELECT substr('abcdefghijklmnopqrstuvwxyz', g % 26 + 1, 1) || 'x' || g, g FROM generate_series(1, 300) g")
	run(t, c, "INSERT INTO n SELECT g, g FROM generate_series(1, 300) g")
	run(t, c, "INSERT INTO n SELECT g * 2, g FROM generate_series(1, 150) g")
	run(t, c, "CREATE TABLE pk (k int PRIMARY KEY, v int)")
	run(t, c, "INSERT INTO pk SELECT g, g FROM generate_series(1, 300) g")
	run(t, c, "INSERT INTO pk SELECT g * 3, -g FROM generate_series(1, 150) g ON CONFLICT (k) DO UPDATE SET v = excluded.v")
	for _, tc := range []struct{ keyed, plain string }{
		{"SELECT count(*), sum(v), min(k), max(k) FROM s WHERE k >= 'c' AND k < 'n5'", "SELECT count(*), sum(v), min(k), max(k) FROM s WHERE k || '' >= 'c' AND k || '' < 'n5'"},
		{"SELECT count(*), sum(v) FROM s WHERE k > 'd1' AND k <= 'mx9'", "SELECT count(*), sum(v) FROM s WHERE k || '' > 'd1' AND k || '' <= 'mx9'"},
		{"SELECT count(*), sum(v) FROM s WHERE k IN ('a26', 'bx1', 'zz', 'm12')", "SELECT count(*), sum(v) FROM s WHERE k || '' IN ('a26', 'bx1', 'zz', 'm12')"},
		{"SELECT count(*), sum(v) FROM n WHERE k >= 90 AND k < 210", "SELECT count(*), sum(v) FROM n WHERE k + 0 >= 90 AND k + 0 < 210"},
		{"SELECT count(*), sum(v) FROM n WHERE k = 150", "SELECT count(*), sum(v) FROM n WHERE k + 0 = 150"},
		{"SELECT count(*), sum(v) FROM n WHERE k > 250 AND k > 100 AND k <= 300", "SELECT count(*), sum(v) FROM n WHERE k + 0 > 250 AND k + 0 <= 300"},
		{"SELECT count(*), sum(v) FROM pk WHERE k >= 50 AND k < 320", "SELECT count(*), sum(v) FROM pk WHERE k + 0 >= 50 AND k + 0 < 320"},
		{"SELECT count(*), sum(v) FROM pk WHERE k IN (3, 4, 600)", "SELECT count(*), sum(v) FROM pk WHERE k + 0 IN (3, 4, 600)"},
	} {
		got, _ := run(t, c, tc.keyed)
		want, _ := run(t, c, tc.plain)
		if len(got) != 1 || len(want) != 1 || len(got[0]) != len(want[0]) || got[0][0] == "0" {
			t.Fatalf("%s: %v; %s: %v", tc.keyed, got, tc.plain, want)
		}
		for i := range got[0] {
			if got[0][i] != want[0][i] {
				t.Errorf("%s: %v, want %v", tc.keyed, got[0], want[0])
				break
			}
		}
	}
	for _, p := range [][2]string{{"c", "n5"}, {"a", "b"}, {"m", "zz"}, {"", "d"}} {
		got, _ := run(t, c, "SELECT count(*), sum(v) FROM s WHERE k >= $1 AND k < $2", p[0], p[1])
		want, _ := run(t, c, "SELECT count(*), sum(v) FROM s WHERE k || '' >= $1 AND k || '' < $2", p[0], p[1])
		if got[0][0] != want[0][0] || got[0][1] != want[0][1] {
			t.Errorf("range [%q, %q): %v, want %v", p[0], p[1], got[0], want[0])
		}
	}
}

// TestCountStarReadsNoColumn checks that count(*) reads no column chunk: its scan reads the
// leading row key null-only, and a required column needs no page.
func TestCountStarReadsNoColumn(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	e, c := open(t, objstore.NewMem(), mem)
	run(t, c, "CREATE TABLE t (k text, v text) WITH (row_keys = 'k', split_points = 'm')")
	run(t, c, "INSERT INTO t SELECT 'key' || g, 'value' || g FROM generate_series(1, 5000) g")
	read := func(q string) (string, int64) {
		before := e.Stats().BytesScanned
		rows, _ := run(t, c, q)
		return rows[0][0], e.Stats().BytesScanned - before
	}
	read("SELECT count(*) FROM t") // opens the files
	n, keyBytes := read("SELECT count(k || '') FROM t")
	m, countBytes := read("SELECT count(*) FROM t")
	if n != "5000" || m != "5000" {
		t.Fatalf("counts %s and %s, want 5000", n, m)
	}
	if keyBytes == 0 || countBytes*10 > keyBytes {
		t.Errorf("count(*) read %d bytes, a count of the keys' values %d", countBytes, keyBytes)
	}
	t.Logf("count(*) read %d bytes, a count of the keys' values %d", countBytes, keyBytes)
}
