package engine

import (
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/storage/objstore"
)

// onFirstCommit runs f once, at the first "commit" step of a statement streaming into a
// table (see testStream), before that statement commits.
func onFirstCommit(t *testing.T, f func()) {
	var once atomic.Bool
	g := func(ev string) {
		if ev == "commit" && once.CompareAndSwap(false, true) {
			f()
		}
	}
	testStream.Store(&g)
	t.Cleanup(func() { testStream.Store(nil) })
}

// TestUpdateRetriesAfterConcurrentWrite: a write committed between an UPDATE's read and its
// commit makes the UPDATE run again on the newer rows: the row inserted meanwhile is
// updated and counted, the other session's update is kept, nothing is lost or doubled.
func TestUpdateRetriesAfterConcurrentWrite(t *testing.T) {
	for _, kind := range []string{"keyless", "row keys"} {
		t.Run(kind, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			store := objstore.NewMem()
			_, a := open(t, store, mem)
			_, b := open(t, store, mem) // another node on the same store
			ddl := "CREATE TABLE c (id integer, n bigint) WITH (online = false)"
			if kind == "row keys" {
				ddl = "CREATE TABLE c (id integer, n bigint) WITH (row_keys = 'id', online = false)"
			}
			run(t, a, ddl)
			run(t, a, "INSERT INTO c VALUES (1, 0), (2, 0), (3, 0)")
			onFirstCommit(t, func() {
				run(t, b, "INSERT INTO c VALUES (1, 100)")
				run(t, b, "UPDATE c SET n = n + 10 WHERE id = 1")
			})
			_, tag := run(t, a, "UPDATE c SET n = n + 1 WHERE id = 1")
			if tag != "UPDATE 2" {
				t.Errorf("tag %q, want UPDATE 2 (the row inserted meanwhile counts)", tag)
			}
			rows, _ := run(t, a, "SELECT id, n FROM c ORDER BY id, n")
			if got, want := fmt.Sprint(rows), "[[1 11] [1 111] [2 0] [3 0]]"; got != want {
				t.Errorf("rows %s, want %s", got, want)
			}
		})
	}
}

// TestDeleteRetriesAfterConcurrentWrite: a DELETE whose commit finds a row inserted after
// its read runs again, so its count is the rows it removed and none it did not see is
// removed behind its back.
func TestDeleteRetriesAfterConcurrentWrite(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	store := objstore.NewMem()
	_, a := open(t, store, mem)
	_, b := open(t, store, mem)
	run(t, a, "CREATE TABLE d (k integer, v text) WITH (online = false)")
	run(t, a, "INSERT INTO d VALUES (1, 'x'), (2, 'x'), (3, 'y')")
	onFirstCommit(t, func() { run(t, b, "INSERT INTO d VALUES (4, 'x')") })
	if _, tag := run(t, a, "DELETE FROM d WHERE v = 'x'"); tag != "DELETE 3" {
		t.Errorf("tag %q, want DELETE 3", tag)
	}
	if rows, _ := run(t, a, "SELECT k FROM d"); fmt.Sprint(rows) != "[[3]]" {
		t.Errorf("rows %v, want [[3]]", rows)
	}
}

// TestUpdateConflictAfterRetries: a table that changes before every commit of an UPDATE
// makes it fail with a serialization failure after maxRewriteAttempts, changing nothing.
func TestUpdateConflictAfterRetries(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	store := objstore.NewMem()
	_, a := open(t, store, mem)
	_, b := open(t, store, mem)
	run(t, a, "CREATE TABLE u (k integer, v integer) WITH (online = false)")
	run(t, a, "INSERT INTO u VALUES (1, 1)")
	var inserts atomic.Int32
	var inHook atomic.Bool
	g := func(ev string) {
		if ev == "commit" && inHook.CompareAndSwap(false, true) {
			inserts.Add(1)
			run(t, b, "INSERT INTO u VALUES (2, 2)")
			inHook.Store(false)
		}
	}
	testStream.Store(&g)
	_, _, err := tryRun(a, "UPDATE u SET v = v + 1")
	testStream.Store(nil)
	if !errors.Is(err, errs.Conflict) {
		t.Fatalf("err %v, want a serialization conflict", err)
	}
	if n := inserts.Load(); n != maxRewriteAttempts {
		t.Errorf("%d attempts, want %d", n, maxRewriteAttempts)
	}
	rows, _ := run(t, a, "SELECT sum(v), count(*) FROM u")
	if got, want := fmt.Sprint(rows), fmt.Sprintf("[[%d %d]]", 1+2*maxRewriteAttempts, 1+maxRewriteAttempts); got != want {
		t.Errorf("sum and count %s, want %s: the UPDATE changed rows", got, want)
	}
}

// TestConcurrentIncrements: sessions of two engines on one store increment counters
// concurrently, in a keyless table and in a PRIMARY KEY table; every UPDATE that succeeded is
// counted exactly once (those that fail with 40001 are retried, as a client would).
func TestConcurrentIncrements(t *testing.T) {
	for _, ddl := range []string{"CREATE TABLE ctr (id integer, n bigint)", "CREATE TABLE ctr (id integer PRIMARY KEY, n bigint)"} {
		t.Run(ddl, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			store := objstore.NewMem()
			_, a := open(t, store, mem)
			_, b := open(t, store, mem)
			run(t, a, ddl)
			run(t, a, "INSERT INTO ctr VALUES (1, 0), (2, 0)")
			const workers, each = 4, 15
			var wg sync.WaitGroup
			var conflicts atomic.Int64
			errc := make(chan error, workers)
			for w := range workers {
				c := a
				if w%2 == 1 {
					c = b
				}
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 0; i < each; {
						_, tag, err := tryRun(c, fmt.Sprintf("UPDATE ctr SET n = n + 1 WHERE id = %d", 1+w%2))
						if errors.Is(err, errs.Conflict) {
							conflicts.Add(1)
							continue
						}
						if err != nil {
							errc <- err
							return
						}
						if tag != "UPDATE 1" {
							errc <- fmt.Errorf("tag %q", tag)
							return
						}
						i++
					}
				}()
			}
			wg.Wait()
			close(errc)
			for err := range errc {
				t.Fatal(err)
			}
			rows, _ := run(t, a, "SELECT id, n FROM ctr ORDER BY id")
			want := strconv.Itoa(workers / 2 * each)
			if got := fmt.Sprint(rows); got != fmt.Sprintf("[[1 %s] [2 %s]]", want, want) {
				t.Errorf("counters %s, want %s each", got, want)
			}
			t.Logf("%d statements failed with 40001 and were retried", conflicts.Load())
		})
	}
}

// TestUpdateKeyColumnsConcurrently: sessions of two engines move the keys of a PRIMARY KEY
// table concurrently (each UPDATE rekeys one row); no row is lost or doubled.
func TestUpdateKeyColumnsConcurrently(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	store := objstore.NewMem()
	_, a := open(t, store, mem)
	_, b := open(t, store, mem)
	run(t, a, "CREATE TABLE pk (id integer PRIMARY KEY, tag integer)")
	run(t, a, "INSERT INTO pk SELECT g, g FROM generate_series(0, 7) g")
	const rounds = 6
	var wg sync.WaitGroup
	errc := make(chan error, 2)
	for w, c := range []Conn{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Worker w moves its rows (tag % 2 == w) up by 100 each round.
			for r := 0; r < rounds; {
				_, tag, err := tryRun(c, fmt.Sprintf("UPDATE pk SET id = id + 100 WHERE tag %% 2 = %d", w))
				if errors.Is(err, errs.Conflict) {
					continue
				}
				if err != nil {
					errc <- err
					return
				}
				if tag != "UPDATE 4" {
					errc <- fmt.Errorf("tag %q", tag)
					return
				}
				r++
			}
		}()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Fatal(err)
	}
	expect(t, a, "SELECT count(*), min(id - tag), max(id - tag) FROM pk", fmt.Sprintf("8 %d %d", rounds*100, rounds*100))
}

// TestDeleteByKeyRechecksConcurrentUpdate: a DELETE of a PRIMARY KEY table whose rows
// another session updated out of its condition between its read and its commit runs again
// and leaves them, as PostgreSQL re-checks the condition of a row updated meanwhile.
func TestDeleteByKeyRechecksConcurrentUpdate(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	store := objstore.NewMem()
	_, a := open(t, store, mem)
	_, b := open(t, store, mem)
	run(t, a, "CREATE TABLE acct (id integer PRIMARY KEY, balance integer)")
	run(t, a, "INSERT INTO acct VALUES (1, 0), (2, 0), (3, 5)")
	onFirstCommit(t, func() { run(t, b, "UPDATE acct SET balance = 7 WHERE id = 1") })
	if _, tag := run(t, a, "DELETE FROM acct WHERE balance = 0"); tag != "DELETE 1" {
		t.Errorf("tag %q, want DELETE 1", tag)
	}
	expect(t, a, "SELECT id, balance FROM acct ORDER BY id", "1 7|3 5")
}
