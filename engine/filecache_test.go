package engine

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/storage/objstore"
)

// TestFileCacheLookups checks that statements share the engine's cache of open files (a
// repeated point lookup opens nothing), that lookups and ranges over files with many pages
// return the rows of a full scan, and that garbage collection drops the files it deletes
// from the cache.
func TestFileCacheLookups(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	store := objstore.NewMem()
	e, c := open(t, store, mem)
	defer e.Close()

	run(t, c, "CREATE TABLE t (id bigint PRIMARY KEY, v bigint, s text) WITH (split_points = '3000', gc_delay = '0s', online = 'false')")
	run(t, c, "INSERT INTO t SELECT g, g * 7, CASE WHEN g % 5 = 0 THEN NULL ELSE 'row ' || g END FROM generate_series(0, 5999) AS g")
	rows, _ := run(t, c, "SELECT * FROM t WHERE id = $1", int64(4321))
	if got := fmt.Sprint(rows); got != "[[4321 30247 row 4321]]" {
		t.Fatalf("lookup: %s", got)
	}
	if st := e.files.Stats(); st.Files == 0 {
		t.Fatalf("no file cached after a lookup: %+v", st)
	}
	run(t, c, "SELECT * FROM t WHERE id = $1", int64(10)) // the other partition's file
	st := e.files.Stats()
	for _, k := range []int64{0, 4321, 2999, 3000, 5999, 10} {
		rows, _ := run(t, c, "SELECT id, v, s FROM t WHERE id = $1", k)
		want := fmt.Sprintf("[[%d %d row %d]]", k, k*7, k)
		if k%5 == 0 {
			want = fmt.Sprintf("[[%d %d (null)]]", k, k*7)
		}
		if got := fmt.Sprint(rows); got != want {
			t.Fatalf("lookup of %d: %s, want %s", k, got, want)
		}
	}
	if st2 := e.files.Stats(); st2.Misses != st.Misses {
		t.Errorf("repeated lookups opened files again: %+v, then %+v", st, st2)
	}
	for _, r := range [][2]int64{{0, 0}, {10, 2990}, {2500, 3500}, {2999, 3000}, {5990, 7000}, {-5, 4}} {
		rows, _ := run(t, c, "SELECT count(*), sum(v), count(s) FROM t WHERE id BETWEEN $1 AND $2", r[0], r[1])
		lo, hi := max(r[0], 0), min(r[1], 5999)
		n, sum, strs := int64(0), int64(0), int64(0)
		for k := lo; k <= hi; k++ {
			n, sum = n+1, sum+7*k
			if k%5 != 0 {
				strs++
			}
		}
		want := fmt.Sprintf("[[%d %d %d]]", n, sum, strs)
		if n == 0 {
			want = "[[0 (null) 0]]"
		}
		if got := fmt.Sprint(rows); got != want {
			t.Fatalf("range %v: %s, want %s", r, got, want)
		}
	}

	// Replace every file, then collect the old ones: they leave the cache.
	before, err := store.List(t.Context(), "tables/")
	if err != nil {
		t.Fatal(err)
	}
	run(t, c, "UPDATE t SET v = v + 1 WHERE id >= 0")
	run(t, c, "VACUUM FULL t")
	after, err := store.List(t.Context(), "tables/")
	if err != nil {
		t.Fatal(err)
	}
	var gone []string
	for _, name := range before {
		if strings.Contains(name, "/files/") && !slices.Contains(after, name) {
			gone = append(gone, name)
		}
	}
	if len(gone) == 0 {
		t.Fatal("VACUUM deleted no file")
	}
	if st := e.files.Stats(); st.Drops == 0 {
		t.Errorf("garbage collection deleted %d files and dropped none from the cache: %+v", len(gone), st)
	}
	rows, _ = run(t, c, "SELECT v FROM t WHERE id = 4321")
	if got := fmt.Sprint(rows); got != "[[30248]]" {
		t.Fatalf("lookup after VACUUM: %s", got)
	}

	// Reads of some columns of a table with newer versions and tombstones in other files
	// than the rows they replace: the merge still sees every key.
	run(t, c, "DELETE FROM t WHERE id % 7 = 0")
	run(t, c, "UPDATE t SET s = 'new' WHERE id % 11 = 0")
	n, sum, news := int64(0), int64(0), int64(0)
	for k := int64(2000); k <= 4000; k++ {
		if k%7 == 0 {
			continue
		}
		n, sum = n+1, sum+7*k+1
		if k%11 == 0 {
			news++
		}
	}
	want := fmt.Sprintf("[[%d %d]]", n, sum)
	if rows, _ := run(t, c, "SELECT count(*), sum(v) FROM t WHERE id BETWEEN 2000 AND 4000"); fmt.Sprint(rows) != want {
		t.Fatalf("count and sum after DELETE and UPDATE: %v, want %s", rows, want)
	}
	want = fmt.Sprintf("[[%d]]", news)
	if rows, _ := run(t, c, "SELECT count(*) FROM t WHERE id BETWEEN 2000 AND 4000 AND s = 'new'"); fmt.Sprint(rows) != want {
		t.Fatalf("count of updated rows: %v, want %s", rows, want)
	}
	if rows, _ := run(t, c, "SELECT v FROM t WHERE id = 4200"); fmt.Sprint(rows) != "[]" {
		t.Fatalf("deleted row: %v", rows)
	}
}
