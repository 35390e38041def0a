package engine

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/storage/objstore"
)

// tableFiles lists the data files under table name's prefix in store.
func tableFiles(t *testing.T, e *Engine, store objstore.Store, name string) []string {
	t.Helper()
	tb := mustTable(t, e, name)
	all, err := store.List(context.Background(), "tables/"+string(tb.StateID())+"/files/")
	if err != nil {
		t.Fatal(err)
	}
	return all
}

// A MERGE that fails on its last row, after it has written the tombstones of the rows it
// deletes and the new versions of those it updates, changes nothing: no log entry, no row,
// and the files it wrote are deleted.
func TestMergeFailingLastRowChangesNothing(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	store := objstore.NewMem()
	e, c := open(t, store, mem)
	defer e.Close()
	run(t, c, "CREATE TABLE kv (k int PRIMARY KEY, v int CHECK (v < 1000)) WITH (split_points = '25,50,75')")
	run(t, c, "INSERT INTO kv SELECT g, g FROM generate_series(1, 100) AS g")
	before, _ := run(t, c, "SELECT k, v FROM kv ORDER BY k")
	files := tableFiles(t, e, store, "kv")
	state := func() uint64 {
		st, err := e.ss.Snapshot(context.Background(), mustTable(t, e, "kv").StateID())
		if err != nil {
			t.Fatal(err)
		}
		return st.TxnNumber()
	}
	txn := state()

	// Rows 1..40 are deleted, 41..100 updated, 101..199 inserted; the last source row
	// (which ON does not let match: its tag is not 0) inserts a key that exists, or one
	// that the statement inserts too, or breaks the CHECK constraint.
	for _, last := range []string{"(50, 1)", "(150, 1)", "(200, 2)"} {
		q := fmt.Sprintf(`MERGE INTO kv USING (SELECT g, 0 FROM generate_series(1, 199) AS g UNION ALL VALUES %s) AS s(g, tag)
			ON kv.k = s.g AND s.tag = 0
			WHEN MATCHED AND kv.k <= 40 THEN DELETE
			WHEN MATCHED THEN UPDATE SET v = kv.v + 1
			WHEN NOT MATCHED THEN INSERT VALUES (s.g, CASE WHEN s.tag = 2 THEN 5000 ELSE s.g END)`, last)
		_, _, err := tryRun(c, q)
		if !errors.Is(err, errs.UniqueViolation) && !errors.Is(err, errs.CheckViolation) {
			t.Fatalf("%s: %v, want a unique or check violation", last, err)
		}
		after, _ := run(t, c, "SELECT k, v FROM kv ORDER BY k")
		if rowsText(after) != rowsText(before) {
			t.Fatalf("after a failed MERGE (%s) the table changed", last)
		}
		if n := state(); n != txn {
			t.Errorf("a failed MERGE committed: state %d, was %d", n, txn)
		}
		if got := tableFiles(t, e, store, "kv"); len(got) != len(files) {
			t.Errorf("a failed MERGE left files: %d, were %d", len(got), len(files))
		}
	}

	// Without the last row the same MERGE commits once.
	_, tag := run(t, c, `MERGE INTO kv USING generate_series(1, 199) AS s(g) ON kv.k = s.g
		WHEN MATCHED AND kv.k <= 40 THEN DELETE
		WHEN MATCHED THEN UPDATE SET v = kv.v + 1
		WHEN NOT MATCHED THEN INSERT VALUES (s.g, s.g)`)
	if tag != "MERGE 199" {
		t.Errorf("tag %q", tag)
	}
	if n := state(); n != txn+1 {
		t.Errorf("MERGE made %d log entries, want 1", n-txn)
	}
	expect(t, c, "SELECT count(*), min(k), sum(v) FROM kv", fmt.Sprintf("159 41 %d", (41+100)*60/2+60+(101+199)*99/2))
}

// Sessions reading while MERGEs commit see each MERGE whole or not at all: every MERGE sets
// every row's value to its number, inserts the row of its number and deletes the previous
// one's, so a reader sees one value everywhere and 101 rows.
func TestMergeConcurrentAllOrNothing(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	e, w := open(t, objstore.NewMem(), mem)
	defer e.Close()
	run(t, w, "CREATE TABLE kv (k int PRIMARY KEY, v int) WITH (split_points = '30,60,1000')")
	run(t, w, "INSERT INTO kv SELECT g, 0 FROM generate_series(1, 100) AS g")
	run(t, w, "INSERT INTO kv VALUES (1000, 0)")
	const merges = 15
	var wg sync.WaitGroup
	done := make(chan struct{})
	errc := make(chan error, 4)
	for r := 0; r < 3; r++ {
		rc := connect(t, e)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-done:
					return
				default:
				}
				rows, _, err := tryRun(rc, "SELECT count(*), min(v), max(v), max(k) - 1000 FROM kv")
				if err != nil {
					errc <- err
					return
				}
				r := rows[0]
				if r[0] != "101" || r[1] != r[2] || r[2] != r[3] {
					errc <- fmt.Errorf("a reader saw part of a MERGE: count %s, min %s, max %s, newest %s", r[0], r[1], r[2], r[3])
					return
				}
			}
		}()
	}
	for i := 1; i <= merges; i++ {
		_, tag := run(t, w, `MERGE INTO kv USING (SELECT k FROM kv UNION ALL SELECT 1000 + $1::int) AS s(k) ON kv.k = s.k
			WHEN MATCHED AND kv.k = 999 + $1::int THEN DELETE
			WHEN MATCHED THEN UPDATE SET v = $1::int
			WHEN NOT MATCHED THEN INSERT VALUES (s.k, $1::int)`, int32(i))
		if tag != "MERGE 102" {
			t.Fatalf("merge %d: tag %q", i, tag)
		}
	}
	close(done)
	wg.Wait()
	select {
	case err := <-errc:
		t.Fatal(err)
	default:
	}
	expect(t, w, "SELECT count(*), min(v), max(v), max(k) FROM kv", fmt.Sprintf("101 %d %d %d", merges, merges, 1000+merges))
}

// Concurrent MERGEs of the same rows lose no update: a MERGE whose commit finds that
// another wrote its keys since it read them runs again.
func TestMergeConcurrentNoLostUpdate(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	e, c := open(t, objstore.NewMem(), mem)
	defer e.Close()
	run(t, c, "CREATE TABLE n (k int PRIMARY KEY, v int)")
	run(t, c, "INSERT INTO n VALUES (1, 0)")
	const workers, each = 3, 8
	var mu sync.Mutex
	ok := 0
	var wg sync.WaitGroup
	for i := 0; i < workers; i++ {
		wc := connect(t, e)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < each; j++ {
				_, _, err := tryRun(wc, "MERGE INTO n USING (VALUES (1)) AS s(k) ON n.k = s.k WHEN MATCHED THEN UPDATE SET v = n.v + 1")
				switch {
				case err == nil:
					mu.Lock()
					ok++
					mu.Unlock()
				case errors.Is(err, errs.Conflict):
				default:
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if ok == 0 {
		t.Fatal("no MERGE succeeded")
	}
	expect(t, c, "SELECT v FROM n", fmt.Sprint(ok))
}

// MERGE needs SELECT on its target and the privileges of its actions (42501).
func TestMergePrivileges(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx := context.Background()
	e, root, done := openWithRoot(t, mem)
	defer done()
	run(t, root, "CREATE TABLE t (id int PRIMARY KEY, v int)")
	run(t, root, "CREATE TABLE src (id int, v int)")
	run(t, root, "INSERT INTO t VALUES (1, 1)")
	run(t, root, "INSERT INTO src VALUES (1, 10), (2, 20)")
	run(t, root, "CREATE USER bob PASSWORD 'pw'")
	bob, err := e.Connect(ctx, "bob", "db")
	if err != nil {
		t.Fatal(err)
	}
	defer bob.Close()
	upd := "MERGE INTO t USING src s ON t.id = s.id WHEN MATCHED THEN UPDATE SET v = s.v"
	ins := "MERGE INTO t USING src s ON t.id = s.id WHEN NOT MATCHED THEN INSERT VALUES (s.id, s.v)"
	del := "MERGE INTO t USING src s ON t.id = s.id WHEN MATCHED THEN DELETE"
	runErr(t, bob, upd, errs.InsufficientPrivilege)
	run(t, root, "GRANT SELECT ON src TO bob")
	run(t, root, "GRANT UPDATE ON t TO bob")
	runErr(t, bob, upd, errs.InsufficientPrivilege) // no SELECT on t
	run(t, root, "GRANT SELECT ON t TO bob")
	run(t, bob, upd)
	runErr(t, bob, ins, errs.InsufficientPrivilege)
	runErr(t, bob, del, errs.InsufficientPrivilege)
	run(t, root, "GRANT INSERT ON t TO bob")
	run(t, bob, ins)
	run(t, root, "REVOKE SELECT ON src FROM bob")
	runErr(t, bob, ins, errs.InsufficientPrivilege)
	expect(t, root, "SELECT id, v FROM t ORDER BY id", "1 10|2 20")
}

// MERGE on a table without a primary key may insert; UPDATE and DELETE are refused (0A000).
// Prepared with parameters, it runs again with others.
func TestMergePlainTableAndParameters(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	e, c := open(t, objstore.NewMem(), mem)
	defer e.Close()
	run(t, c, "CREATE TABLE plain (k int, v text)")
	run(t, c, "INSERT INTO plain VALUES (1, 'a')")
	runErr(t, c, "MERGE INTO plain p USING (VALUES (1)) AS s(k) ON p.k = s.k WHEN MATCHED THEN DELETE", errs.NotImplemented)
	runErr(t, c, "MERGE INTO plain p USING (VALUES (1)) AS s(k) ON p.k = s.k WHEN MATCHED THEN UPDATE SET v = 'b'", errs.NotImplemented)
	q := "MERGE INTO plain p USING (VALUES ($1::int)) AS s(k) ON p.k = s.k WHEN NOT MATCHED THEN INSERT VALUES (s.k, $2)"
	for _, k := range []int32{1, 2, 2, 3} {
		run(t, c, q, k, fmt.Sprint("v", k))
	}
	expect(t, c, "SELECT k, v FROM plain ORDER BY k", "1 a|2 v2|3 v3")
}

// Rows of a PRIMARY KEY table may swap keys in one MERGE: uniqueness holds at its end.
func TestMergeKeySwap(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	e, c := open(t, objstore.NewMem(), mem)
	defer e.Close()
	run(t, c, "CREATE TABLE s (k int PRIMARY KEY, v text)")
	run(t, c, "INSERT INTO s VALUES (1, 'a'), (2, 'b'), (3, 'c')")
	run(t, c, "MERGE INTO s USING (VALUES (1, 2), (2, 1)) AS m(old, new) ON s.k = m.old WHEN MATCHED THEN UPDATE SET k = m.new")
	expect(t, c, "SELECT k, v FROM s ORDER BY k", "1 b|2 a|3 c")
	runErr(t, c, "MERGE INTO s USING (VALUES (1, 3)) AS m(old, new) ON s.k = m.old WHEN MATCHED THEN UPDATE SET k = m.new", errs.UniqueViolation)
	expect(t, c, "SELECT k, v FROM s ORDER BY k", "1 b|2 a|3 c")
}

// A subquery of the ON condition that refers to the target is refused (0A000).
func TestMergeOnSubqueryOfTarget(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	e, c := open(t, objstore.NewMem(), mem)
	defer e.Close()
	run(t, c, "CREATE TABLE q (id int PRIMARY KEY, v int)")
	run(t, c, "INSERT INTO q VALUES (1, 1), (2, 2)")
	runErr(t, c, "MERGE INTO q USING (VALUES (1), (2)) AS s(id) ON q.id = s.id AND EXISTS (SELECT 1 FROM q q2 WHERE q2.v = q.v + 1) WHEN MATCHED THEN DELETE", errs.NotImplemented)
	expect(t, c, "SELECT id, v FROM q ORDER BY id", "1 1|2 2")
}
