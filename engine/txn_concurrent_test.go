package engine

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/storage/objstore"
)

// Two blocks that write the same PRIMARY KEY row: the first to commit wins, the other's
// COMMIT fails with 40001 and leaves nothing. Blocks writing other keys, or appending to a
// table without a PRIMARY KEY, both commit.
func TestTxnFirstCommitterWins(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	e, a := open(t, objstore.NewMem(), mem)
	defer e.Close()
	b := connect(t, e)
	run(t, a, "CREATE TABLE kv (k int PRIMARY KEY, v int)")
	run(t, a, "CREATE TABLE log (msg text)")
	run(t, a, "INSERT INTO kv SELECT g, 0 FROM generate_series(1, 100) AS g")

	run(t, a, "BEGIN")
	run(t, b, "BEGIN")
	run(t, a, "UPDATE kv SET v = 1 WHERE k = 50")
	run(t, b, "UPDATE kv SET v = 2 WHERE k = 50")
	run(t, b, "INSERT INTO log VALUES ('b')")
	run(t, a, "COMMIT")
	err := runErr(t, b, "COMMIT", errs.Conflict)
	if txStatus(b) != 'I' {
		t.Errorf("status after a failed COMMIT %c", txStatus(b))
	}
	_ = err
	expect(t, b, "SELECT v FROM kv WHERE k = 50", "1")
	expect(t, b, "SELECT count(*) FROM log", "0")

	// A delete of the row the other block updated conflicts too.
	run(t, a, "BEGIN")
	run(t, b, "BEGIN")
	run(t, a, "DELETE FROM kv WHERE k = 50")
	run(t, b, "UPDATE kv SET v = 3 WHERE k = 50")
	run(t, b, "COMMIT")
	runErr(t, a, "COMMIT", errs.Conflict)
	expect(t, a, "SELECT v FROM kv WHERE k = 50", "3")

	// Keys within each other's key range, but different: no conflict.
	run(t, a, "BEGIN")
	run(t, b, "BEGIN")
	run(t, a, "UPDATE kv SET v = 10 WHERE k IN (10, 30)")
	run(t, b, "UPDATE kv SET v = 20 WHERE k = 20")
	run(t, a, "INSERT INTO log VALUES ('a')")
	run(t, b, "INSERT INTO log VALUES ('b')")
	run(t, b, "COMMIT")
	run(t, a, "COMMIT")
	expect(t, a, "SELECT k, v FROM kv WHERE k IN (10, 20, 30) ORDER BY k", "10 10|20 20|30 10")
	expect(t, a, "SELECT msg FROM log ORDER BY msg", "a|b")
}

// READ COMMITTED statements see what others committed; REPEATABLE READ keeps reading the
// state of its first read. Neither sees uncommitted rows.
func TestTxnIsolationLevels(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	e, a := open(t, objstore.NewMem(), mem)
	defer e.Close()
	b := connect(t, e)
	run(t, a, "CREATE TABLE t (x int)")
	run(t, a, "INSERT INTO t VALUES (1)")

	run(t, a, "BEGIN")
	expect(t, a, "SELECT count(*) FROM t", "1")
	run(t, b, "BEGIN")
	run(t, b, "INSERT INTO t VALUES (2)")
	expect(t, a, "SELECT count(*) FROM t", "1") // no dirty read
	run(t, b, "COMMIT")
	expect(t, a, "SELECT count(*) FROM t", "2")
	run(t, a, "COMMIT")

	for _, level := range []string{"REPEATABLE READ", "SERIALIZABLE"} {
		run(t, a, "BEGIN ISOLATION LEVEL "+level)
		rows, _ := run(t, a, "SELECT count(*) FROM t")
		n := rows[0][0]
		run(t, b, "INSERT INTO t VALUES (3)")
		expect(t, a, "SELECT count(*) FROM t", n)
		run(t, a, "INSERT INTO t VALUES (4)")
		m, _ := strconv.Atoi(n)
		expect(t, a, "SELECT count(*) FROM t", strconv.Itoa(m+1))
		run(t, a, "COMMIT")
		expect(t, a, "SELECT count(*) FROM t", strconv.Itoa(m+2))
	}
	run(t, a, "SET default_transaction_isolation = 'repeatable read'")
	run(t, a, "BEGIN")
	rows, _ := run(t, a, "SELECT count(*) FROM t")
	run(t, b, "INSERT INTO t VALUES (5)")
	expect(t, a, "SELECT count(*) FROM t", rows[0][0])
	run(t, a, "ROLLBACK")
}

// Concurrent increments of counters, each a block that reads a counter and writes it back
// plus one, retried on 40001, from two engines on one store: no increment is lost, whatever
// the interleaving. Under
// REPEATABLE READ the read and the write are separate statements; under READ COMMITTED the
// increment is one UPDATE.
func TestTxnConcurrentIncrements(t *testing.T) {
	for _, level := range []string{"REPEATABLE READ", "READ COMMITTED"} {
		t.Run(level, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			store := objstore.NewMem()
			e, c := open(t, store, mem)
			defer e.Close()
			// Half the workers use a second engine on the same store, as another process
			// would: its commits race this one's through the store alone.
			e2, _ := open(t, store, mem)
			defer e2.Close()
			const keys, workers, each = 3, 4, 15
			run(t, c, "CREATE TABLE counter (k int PRIMARY KEY, v int)")
			run(t, c, "INSERT INTO counter SELECT g, 0 FROM generate_series(1, 3) AS g")
			var mu sync.Mutex
			model := map[int]int{}
			conflicts := 0
			var wg sync.WaitGroup
			errc := make(chan error, workers)
			for w := range workers {
				conn := connect(t, []*Engine{e, e2}[w%2])
				rng := rand.New(rand.NewPCG(uint64(w), 7))
				wg.Add(1)
				go func() {
					defer wg.Done()
					for range each {
						k := 1 + rng.IntN(keys)
						for attempt := 0; ; attempt++ {
							err := increment(conn, level, k)
							if err == nil {
								mu.Lock()
								model[k]++
								mu.Unlock()
								break
							}
							if !errors.Is(err, errs.Conflict) || attempt > 200 {
								errc <- err
								return
							}
							mu.Lock()
							conflicts++
							mu.Unlock()
						}
					}
				}()
			}
			wg.Wait()
			close(errc)
			for err := range errc {
				t.Fatal(err)
			}
			want := ""
			for k := 1; k <= keys; k++ {
				if k > 1 {
					want += "|"
				}
				want += fmt.Sprintf("%d %d", k, model[k])
			}
			expect(t, c, "SELECT k, v FROM counter ORDER BY k", want)
			t.Logf("%d increments, %d conflicts retried", workers*each, conflicts)
		})
	}
}

// increment adds one to counter k in a block, rolling it back on error.
func increment(c Conn, level string, k int) (err error) {
	defer func() {
		if err != nil {
			tryRun(c, "ROLLBACK")
		}
	}()
	if _, _, err := tryRun(c, "BEGIN ISOLATION LEVEL "+level); err != nil {
		return err
	}
	if level == "READ COMMITTED" {
		if _, _, err := tryRun(c, fmt.Sprintf("UPDATE counter SET v = v + 1 WHERE k = %d", k)); err != nil {
			return err
		}
	} else {
		rows, _, err := tryRun(c, fmt.Sprintf("SELECT v FROM counter WHERE k = %d", k))
		if err != nil {
			return err
		}
		v, _ := strconv.Atoi(rows[0][0])
		if _, _, err := tryRun(c, fmt.Sprintf("UPDATE counter SET v = %d WHERE k = %d", v+1, k)); err != nil {
			return err
		}
	}
	_, _, err = tryRun(c, "COMMIT")
	return err
}

// A block that wrote two tables commits both at once: until its commit record is written
// neither shows its rows, to this engine or another on the same store; when the second
// table conflicts, the first table's entry is aborted too.
func TestTxnTwoTablesAtomic(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	store := objstore.NewMem()
	e, a := open(t, store, mem)
	defer e.Close()
	e2, other := open(t, store, mem)
	defer e2.Close()
	b := connect(t, e)
	run(t, a, "CREATE TABLE x (k int PRIMARY KEY, v int)")
	run(t, a, "CREATE TABLE y (k int PRIMARY KEY, v int)")
	run(t, a, "INSERT INTO x VALUES (1, 0)")
	run(t, a, "INSERT INTO y VALUES (1, 0)")

	seen := ""
	hook := func() {
		seen = rowsText(mustRows(t, other, "SELECT (SELECT sum(v) FROM x), (SELECT sum(v) FROM y)"))
		seen += "," + rowsText(mustRows(t, b, "SELECT (SELECT sum(v) FROM x), (SELECT sum(v) FROM y)"))
	}
	testCommitRecord.Store(&hook)
	defer testCommitRecord.Store(nil)
	run(t, a, "BEGIN")
	run(t, a, "UPDATE x SET v = 5 WHERE k = 1")
	run(t, a, "UPDATE y SET v = 7 WHERE k = 1")
	run(t, a, "COMMIT")
	if seen != "0 0,0 0" {
		t.Errorf("before the commit record: %s", seen)
	}
	expect(t, other, "SELECT (SELECT sum(v) FROM x), (SELECT sum(v) FROM y)", "5 7")
	expect(t, b, "SELECT (SELECT sum(v) FROM x), (SELECT sum(v) FROM y)", "5 7")
	testCommitRecord.Store(nil)

	// x commits, then y conflicts: x's entry is aborted with it.
	run(t, a, "BEGIN")
	run(t, b, "BEGIN")
	run(t, a, "UPDATE x SET v = 50 WHERE k = 1")
	run(t, a, "UPDATE y SET v = 70 WHERE k = 1")
	run(t, b, "UPDATE y SET v = 8 WHERE k = 1")
	// Commit b's y after a's pre-check of every table, before a's y entry.
	var once sync.Once
	check := func() {
		once.Do(func() { run(t, b, "COMMIT") })
	}
	testCommitTable.Store(&check)
	defer testCommitTable.Store(nil)
	runErr(t, a, "COMMIT", errs.Conflict)
	testCommitTable.Store(nil)
	expect(t, other, "SELECT (SELECT sum(v) FROM x), (SELECT sum(v) FROM y)", "5 8")
	expect(t, a, "SELECT (SELECT sum(v) FROM x), (SELECT sum(v) FROM y)", "5 8")
}

func mustRows(t *testing.T, c Conn, q string) [][]string {
	t.Helper()
	rows, _, err := tryRun(c, q)
	if err != nil {
		t.Errorf("%s: %v", q, err)
	}
	return rows
}
