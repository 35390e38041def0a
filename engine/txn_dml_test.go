package engine

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/storage/objstore"
)

// UPDATE (of key columns too, and of tables without a PRIMARY KEY), DELETE, INSERT ... ON
// CONFLICT and RETURNING inside a transaction block: the block sees its own writes, nobody
// else does until COMMIT, a 23505 counts the block's own rows, and the block's COMMIT is the
// check against concurrent writers (first committer wins).
func TestTxnDML(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	store := objstore.NewMem()
	e, a := open(t, store, mem)
	defer e.Close()
	b := connect(t, e)
	run(t, a, "CREATE TABLE kv (k int PRIMARY KEY, v int)")
	run(t, a, "CREATE TABLE log (msg text)")
	run(t, a, "INSERT INTO kv VALUES (1, 10)")
	run(t, a, "INSERT INTO log VALUES ('one'), ('two')")

	run(t, a, "BEGIN")
	expect(t, a, "INSERT INTO kv VALUES (2, 20) RETURNING k", "2")
	expect(t, a, "INSERT INTO kv VALUES (2, 0) ON CONFLICT (k) DO UPDATE SET v = kv.v + 1 RETURNING v", "21")
	expect(t, a, "UPDATE kv SET k = k + 10 WHERE k = 1 RETURNING k, v", "11 10")
	expect(t, a, "UPDATE log SET msg = 'uno' WHERE msg = 'one' RETURNING msg", "uno")
	expect(t, a, "DELETE FROM log WHERE msg = 'two' RETURNING msg", "two")
	expect(t, a, "SELECT k, v FROM kv ORDER BY k", "2 21|11 10")
	expect(t, a, "SELECT msg FROM log", "uno")
	expect(t, b, "SELECT k, v FROM kv ORDER BY k", "1 10")
	expect(t, b, "SELECT msg FROM log ORDER BY msg", "one|two")
	run(t, a, "COMMIT")
	expect(t, b, "SELECT k, v FROM kv ORDER BY k", "2 21|11 10")
	expect(t, b, "SELECT msg FROM log", "uno")

	// A key the block inserted exists for the block's next INSERT.
	run(t, a, "BEGIN")
	run(t, a, "INSERT INTO kv VALUES (3, 30)")
	runErr(t, a, "INSERT INTO kv VALUES (3, 31)", errs.UniqueViolation)
	run(t, a, "ROLLBACK")
	expect(t, b, "SELECT k, v FROM kv ORDER BY k", "2 21|11 10")

	// An UPDATE by predicate loses to rows another session added meanwhile.
	run(t, a, "BEGIN")
	run(t, a, "UPDATE log SET msg = 'x'")
	run(t, b, "INSERT INTO log VALUES ('late')")
	runErr(t, a, "COMMIT", errs.Conflict)
	expect(t, b, "SELECT msg FROM log ORDER BY msg", "late|uno")

	// An UPDATE of a key loses to a concurrent UPDATE of the same key.
	run(t, a, "BEGIN")
	run(t, a, "UPDATE kv SET v = 100 WHERE k = 2")
	run(t, b, "UPDATE kv SET v = 200 WHERE k = 2")
	runErr(t, a, "COMMIT", errs.Conflict)
	expect(t, b, "SELECT k, v FROM kv ORDER BY k", "2 200|11 10")
}
