package engine

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/storage/objstore"
)

// ALTER COLUMN ... TYPE widens character varying without touching data files, keeps the
// new type across a restart, and refuses what would rewrite or check the stored values.
func TestAlterColumnType(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	store := objstore.NewMem()
	e, c := open(t, store, mem)
	run(t, c, "CREATE TABLE w (id integer PRIMARY KEY, n integer, s varchar(4))")
	run(t, c, "INSERT INTO w VALUES (1, 1, 'abcd')")
	runErr(t, c, "ALTER TABLE w ALTER COLUMN n TYPE bigint", errs.NotImplemented)
	runErr(t, c, "ALTER TABLE w ALTER COLUMN s TYPE varchar(2)", errs.NotImplemented)
	runErr(t, c, "ALTER TABLE w ALTER COLUMN s TYPE char(10)", errs.NotImplemented)
	runErr(t, c, "ALTER TABLE w ALTER COLUMN id TYPE text", errs.NotImplemented)
	run(t, c, "ALTER TABLE w ALTER COLUMN s TYPE varchar(8)")
	e.Close()

	e, c = open(t, store, mem)
	defer e.Close()
	runErr(t, c, "INSERT INTO w VALUES (2, 2, 'abcdefghi')", errs.StringTooLong)
	run(t, c, "INSERT INTO w VALUES (2, 2, 'abcdefgh')")
	expect(t, c, "SELECT s FROM w ORDER BY id", "abcd|abcdefgh")
}
