package engine

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/storage/objstore"
)

// TRUNCATE in a block: the block sees the table empty, another session sees its rows until
// COMMIT, which truncates with the block's other writes; ROLLBACK and ROLLBACK TO undo it.
func TestTxnTruncate(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	store := objstore.NewMem()
	e, a := open(t, store, mem)
	defer e.Close()
	b := connect(t, e)
	run(t, a, "CREATE TABLE kv (k int PRIMARY KEY, v int)")
	run(t, a, "CREATE TABLE log (msg text)")
	run(t, a, "INSERT INTO kv VALUES (1, 10), (2, 20)")
	run(t, a, "INSERT INTO log VALUES ('one')")

	run(t, a, "BEGIN")
	run(t, a, "TRUNCATE kv")
	expect(t, a, "SELECT count(*) FROM kv", "0")
	expect(t, b, "SELECT count(*) FROM kv", "2")
	run(t, a, "ROLLBACK")
	expect(t, a, "SELECT k FROM kv ORDER BY k", "1|2")

	run(t, a, "BEGIN")
	run(t, a, "TRUNCATE kv, log")
	run(t, a, "INSERT INTO kv VALUES (1, 11)")
	run(t, a, "INSERT INTO log VALUES ('two')")
	expect(t, a, "SELECT k, v FROM kv", "1 11")
	// The other session sees neither the truncation nor the new rows, and may write.
	expect(t, b, "SELECT k, v FROM kv ORDER BY k", "1 10|2 20")
	expect(t, b, "SELECT msg FROM log", "one")
	run(t, b, "INSERT INTO log VALUES ('other')")
	run(t, a, "COMMIT")
	expect(t, b, "SELECT k, v FROM kv", "1 11")
	// The truncation at COMMIT removes what others committed before it.
	expect(t, b, "SELECT msg FROM log", "two")

	run(t, a, "BEGIN")
	run(t, a, "INSERT INTO kv VALUES (3, 30)")
	run(t, a, "SAVEPOINT s")
	run(t, a, "TRUNCATE kv")
	expect(t, a, "SELECT count(*) FROM kv", "0")
	run(t, a, "ROLLBACK TO SAVEPOINT s")
	expect(t, a, "SELECT k FROM kv ORDER BY k", "1|3")
	run(t, a, "COMMIT")
	expect(t, b, "SELECT k FROM kv ORDER BY k", "1|3")

	run(t, a, "BEGIN READ ONLY")
	runErr(t, a, "TRUNCATE kv", errs.ReadOnlyTransaction)
	run(t, a, "ROLLBACK")
	// DROP and ALTER stay refused in a block.
	run(t, a, "BEGIN")
	runErr(t, a, "ALTER TABLE kv ADD COLUMN w int", errs.ActiveTransaction)
	run(t, a, "ROLLBACK")
	expect(t, b, "SELECT k FROM kv ORDER BY k", "1|3")
}
