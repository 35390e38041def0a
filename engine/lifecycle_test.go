package engine

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/storage/objstore"
)

func rowsText(rows [][]string) string {
	var out []string
	for _, r := range rows {
		out = append(out, strings.Join(r, " "))
	}
	return strings.Join(out, "|")
}

func expect(t *testing.T, c Conn, q, want string) {
	t.Helper()
	rows, _ := run(t, c, q)
	if got := rowsText(rows); got != want {
		t.Errorf("%s\n got %s\nwant %s", q, got, want)
	}
}

func TestPurgeAndCompaction(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	_, c := open(t, objstore.NewMem(), mem)
	run(t, c, "CREATE TABLE t (k int, v text) WITH (row_keys = 'k', split_points = '50', gc_delay = '0s')")
	run(t, c, "INSERT INTO t VALUES (1, 'a'), (2, 'b'), (60, 'c')")
	run(t, c, "INSERT INTO t VALUES (3, 'd'), (61, 'e')")
	_, tag := run(t, c, "DELETE FROM t WHERE v IN ('b', 'e')")
	if tag != "DELETE 2" {
		t.Errorf("tag %q", tag)
	}
	expect(t, c, "SELECT k, v FROM t ORDER BY k", "1 a|3 d|60 c")
	run(t, c, "INSERT INTO t VALUES (4, 'b')") // newer than the delete: stays
	expect(t, c, "SELECT k FROM t WHERE v = 'b'", "4")
	run(t, c, "VACUUM FULL t")
	expect(t, c, "SELECT k, v FROM t ORDER BY k", "1 a|3 d|4 b|60 c")
	expect(t, c, "SELECT count(*) FROM sleeper.files WHERE table_name = 't'", "2")
	expect(t, c, "SELECT partition_id IS NOT NULL, count(*) FROM sleeper.files GROUP BY 1", "true 2")
}

func TestPrimaryKeyUpserts(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	_, c := open(t, objstore.NewMem(), mem)
	run(t, c, "CREATE TABLE p (k int PRIMARY KEY, v text, n bigint) WITH (split_points = '10', gc_delay = '0s')")
	run(t, c, "INSERT INTO p VALUES (1, 'a', 1), (2, 'b', 2), (11, 'c', 3)")
	if _, _, err := tryRun(c, "INSERT INTO p VALUES (1, 'a2', 10)"); !errors.Is(err, errs.UniqueViolation) {
		t.Errorf("INSERT of an existing key: %v, want 23505", err)
	}
	run(t, c, "INSERT INTO p VALUES (1, 'a2', 10) ON CONFLICT (k) DO UPDATE SET v = excluded.v, n = excluded.n")
	expect(t, c, "SELECT k, v, n FROM p ORDER BY k", "1 a2 10|2 b 2|11 c 3")
	_, tag := run(t, c, "UPDATE p SET n = n + 100 WHERE k >= 2")
	if tag != "UPDATE 2" {
		t.Errorf("tag %q", tag)
	}
	expect(t, c, "SELECT k, n FROM p ORDER BY k", "1 10|2 102|11 103")
	run(t, c, "DELETE FROM p WHERE k = 2")
	expect(t, c, "SELECT k FROM p ORDER BY k", "1|11")
	run(t, c, "VACUUM FULL p")
	expect(t, c, "SELECT k, v, n FROM p ORDER BY k", "1 a2 10|11 c 103")
	run(t, c, "INSERT INTO p VALUES (2, 'back', 0)")
	expect(t, c, "SELECT k, v FROM p WHERE k = 2", "2 back")
}

func TestAggregatingTable(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	_, c := open(t, objstore.NewMem(), mem)
	run(t, c, "CREATE TABLE a (k text, total bigint, hi int, note text) WITH (row_keys = 'k', aggregations = 'sum(total), max(hi)')")
	run(t, c, "INSERT INTO a VALUES ('x', 1, 5, 'first'), ('y', 2, 1, 'y')")
	run(t, c, "INSERT INTO a VALUES ('x', 10, 3, 'second')")
	expect(t, c, "SELECT k, total, hi, note FROM a ORDER BY k", "x 11 5 second|y 2 1 y")
	run(t, c, "VACUUM FULL a")
	expect(t, c, "SELECT k, total, hi, note FROM a ORDER BY k", "x 11 5 second|y 2 1 y")
}

func TestSplittingGrowsLeaves(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	_, c := open(t, objstore.NewMem(), mem)
	run(t, c, "CREATE TABLE s (k bigint, v text) WITH (row_keys = 'k', split_threshold = 100, gc_delay = '0s')")
	run(t, c, "INSERT INTO s VALUES (0, 'x')")
	var vals []string
	for i := 1; i <= 400; i++ {
		vals = append(vals, "("+itoa(i)+", 'v')")
	}
	run(t, c, "INSERT INTO s VALUES "+strings.Join(vals, ","))
	for i := 0; i < 4; i++ {
		run(t, c, "VACUUM s")
	}
	rows, _ := run(t, c, "SELECT count(*) FROM sleeper.partitions WHERE table_name = 's' AND leaf")
	if rows[0][0] == "1" {
		t.Fatalf("no split happened")
	}
	expect(t, c, "SELECT count(*), sum(k) FROM s", "401 80200")
	plan, _ := run(t, c, "EXPLAIN SELECT * FROM s WHERE k = 123")
	if !strings.Contains(plan[len(plan)-1][0], "partitions=1/"+rows[0][0]) {
		t.Errorf("point lookup plan: %v", plan)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

func TestDeletePredicatesRetire(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	e, c := open(t, objstore.NewMem(), mem)
	run(t, c, "CREATE TABLE t (k int, v int) WITH (row_keys = 'k', gc_delay = '0s')")
	run(t, c, "INSERT INTO t VALUES (1, 1), (2, 2), (3, 3)")
	run(t, c, "DELETE FROM t WHERE v > 1")
	tb := mustTable(t, e, "t")
	st, _ := e.ss.Snapshot(t.Context(), tb.StateID())
	if len(st.DeletePredicates()) != 1 {
		t.Fatalf("active deletes: %d", len(st.DeletePredicates()))
	}
	run(t, c, "VACUUM FULL t")
	st, _ = e.ss.Snapshot(t.Context(), tb.StateID())
	if len(st.DeletePredicates()) != 0 {
		t.Errorf("deletes still active after VACUUM FULL: %d", len(st.DeletePredicates()))
	}
	expect(t, c, "SELECT k FROM t", "1")
	expect(t, c, "SELECT count(*) FROM sleeper.files", "1")
}

func TestAgeOffAndAlter(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	_, c := open(t, objstore.NewMem(), mem)
	run(t, c, "CREATE TABLE e (k int, at timestamp) WITH (row_keys = 'k')")
	run(t, c, "INSERT INTO e VALUES (1, '2000-01-01'), (2, '2999-01-01')")
	expect(t, c, "SELECT k FROM e ORDER BY k", "1|2")
	run(t, c, "ALTER TABLE e SET (filters = 'ageOff(at, 7d)')")
	expect(t, c, "SELECT k FROM e ORDER BY k", "2")
	run(t, c, "VACUUM FULL e")
	expect(t, c, "SELECT k FROM e ORDER BY k", "2")
	if _, _, err := tryRun(c, "ALTER TABLE e SET (filters = 'ageOff(nope, 7d)')"); err == nil {
		t.Error("a filter on a missing column was accepted")
	}
	if _, _, err := tryRun(c, "ALTER TABLE e SET (split_points = '5')"); err == nil {
		t.Error("split points changed after creation")
	}
	expect(t, c, "SELECT k FROM e ORDER BY k", "2")
}

// TestBackgroundMaintenance checks that the background worker compacts an online table and
// leaves a table with online = false alone.
func TestBackgroundMaintenance(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	e, err := Open(t.Context(), Options{Store: objstore.NewMem(), Alloc: mem, MaintenanceInterval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	c, _ := e.Connect(t.Context(), "u", "d")
	run(t, c, "CREATE TABLE t (k int, v int) WITH (row_keys = 'k', online = false, compaction_files = 4, gc_delay = '0s')")
	for i := 0; i < 6; i++ {
		run(t, c, "INSERT INTO t VALUES ("+itoa(i)+", 1)")
	}
	files := func() string {
		rows, _ := run(t, c, "SELECT count(*) FROM sleeper.files WHERE table_name = 't'")
		return rows[0][0]
	}
	// Several maintenance intervals pass; an offline table keeps its files.
	time.Sleep(100 * time.Millisecond)
	if got := files(); got != "6" {
		t.Fatalf("offline table has %s files, want 6", got)
	}
	run(t, c, "ALTER TABLE t SET (online = true)")
	deadline := time.Now().Add(20 * time.Second)
	for files() == "6" {
		if time.Now().After(deadline) {
			t.Fatal("background compaction never ran on the online table")
		}
		time.Sleep(20 * time.Millisecond)
	}
	expect(t, c, "SELECT count(*), sum(k) FROM t", "6 15")
	rows, _ := run(t, c, "SELECT count(*) FROM sleeper.compaction_jobs WHERE status = 'finished'")
	if rows[0][0] == "0" {
		t.Error("no finished job in sleeper.compaction_jobs")
	}
}

// TestQueryMemoryLimit checks that a statement over the memory limit fails with
// errs.OutOfMemory and that the engine keeps serving.
func TestQueryMemoryLimit(t *testing.T) {
	ctx := t.Context()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	e, err := Open(ctx, Options{Store: objstore.NewMem(), Alloc: mem, QueryMemoryLimit: 2 << 20})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.EnsureDemo(ctx, 100_000); err != nil {
		t.Fatal(err)
	}
	c, _ := e.Connect(ctx, "u", "d")
	// A window function holds its partition in memory and cannot spill.
	_, _, err = tryRun(c, "SELECT key, value, lag(value) OVER (ORDER BY value, key) FROM demo")
	if !errors.Is(err, errs.OutOfMemory) {
		t.Fatalf("a window over 100k rows in 2 MiB: %v (kind %v), want an out-of-memory error", err, errs.KindOf(err))
	}
	// A sort spills to disk instead.
	if rows, _ := run(t, c, "SELECT key, value FROM demo ORDER BY value, key"); len(rows) != 100_000 {
		t.Fatalf("sorting 100k rows in 2 MiB: %d rows", len(rows))
	}
	// Streaming queries stay within the limit, and the engine keeps serving.
	expect(t, c, "SELECT count(*) FROM demo", "100000")
	rows, _ := run(t, c, "SELECT count(*) FROM demo WHERE key < '4'")
	if rows[0][0] == "0" || rows[0][0] == "100000" {
		t.Errorf("a quarter of the keys: %v", rows)
	}
}
