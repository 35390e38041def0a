package engine

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/storage/objstore"
)

// int32Batch is a batch of one int32 column named name.
func int32Batch(mem memory.Allocator, name string, vals ...int32) arrow.RecordBatch {
	b := array.NewInt32Builder(mem)
	defer b.Release()
	b.AppendValues(vals, nil)
	a := b.NewArray()
	defer a.Release()
	return array.NewRecordBatch(arrow.NewSchema([]arrow.Field{{Name: name, Type: arrow.PrimitiveTypes.Int32, Nullable: true}}, nil), []arrow.Array{a}, int64(len(vals)))
}

// COPY FROM fills the columns it leaves out with their defaults and checks the table's
// constraints; defaults and checks survive a restart.
func TestCopyDefaultsAndChecks(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	store := objstore.NewMem()
	e, c := open(t, store, mem)
	ctx := context.Background()
	run(t, c, "CREATE TABLE t (id int CHECK (id > 0), n int NOT NULL DEFAULT 7, s text DEFAULT 'a' || 'b', CHECK (n < 100))")

	b := int32Batch(mem, "id", 1, 2)
	ci := copyIn(t, c, "COPY t (id) FROM STDIN")
	if err := ci.CopyBatch(ctx, b); err != nil {
		t.Fatal(err)
	}
	b.Release()
	if err := ci.CopyCommit(ctx); err != nil {
		t.Fatal(err)
	}
	ci.Close()
	expect(t, c, "SELECT id, n, s FROM t ORDER BY id", "1 7 ab|2 7 ab")

	b = int32Batch(mem, "id", 3, -1)
	ci = copyIn(t, c, "COPY t (id) FROM STDIN")
	err := ci.CopyBatch(ctx, b)
	b.Release()
	if err == nil {
		err = ci.CopyCommit(ctx)
	}
	ci.Close()
	if !errors.Is(err, errs.CheckViolation) || !strings.Contains(err.Error(), `new row for relation "t" violates check constraint "t_id_check"`) {
		t.Fatalf("COPY of a row failing a check: %v", err)
	}
	b = int32Batch(mem, "n", 100)
	ci = copyIn(t, c, "COPY t (n) FROM STDIN")
	err = ci.CopyBatch(ctx, b)
	b.Release()
	if err == nil {
		err = ci.CopyCommit(ctx)
	}
	ci.Close()
	if !errors.Is(err, errs.CheckViolation) || !strings.Contains(err.Error(), `"t_n_check"`) {
		t.Fatalf("COPY of a row failing a table check: %v", err)
	}
	e.Close()

	e, c = open(t, store, mem)
	defer e.Close()
	run(t, c, "INSERT INTO t (id) VALUES (5)")
	expect(t, c, "SELECT id, n, s FROM t ORDER BY id", "1 7 ab|2 7 ab|5 7 ab")
	if _, _, err := tryRun(c, "INSERT INTO t VALUES (0, 1, 'x')"); !errors.Is(err, errs.CheckViolation) {
		t.Fatalf("check after restart: %v", err)
	}
}

// ALTER TABLE changes, comments and sequences are in the catalog: a restarted engine (or
// another process on the same store) sees them.
func TestAlterPersistsAcrossRestart(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	store := objstore.NewMem()
	e, c := open(t, store, mem)
	run(t, c, "CREATE TABLE t (id int, a text, b int CHECK (b > 0))")
	run(t, c, "INSERT INTO t VALUES (1, 'x', 1)")
	run(t, c, "ALTER TABLE t ADD COLUMN c int DEFAULT 9")
	run(t, c, "ALTER TABLE t RENAME COLUMN a TO aa")
	run(t, c, "ALTER TABLE t RENAME COLUMN b TO bb")
	run(t, c, "ALTER TABLE t RENAME TO u")
	run(t, c, "COMMENT ON COLUMN u.aa IS 'renamed'")
	e.Close()

	e, c = open(t, store, mem)
	defer e.Close()
	expect(t, c, "SELECT id, aa, bb, c FROM u", "1 x 1 9")
	run(t, c, "INSERT INTO u (id, aa, bb) VALUES (2, 'y', 2)")
	expect(t, c, "SELECT id, aa, bb, c FROM u ORDER BY id", "1 x 1 9|2 y 2 9")
	if _, _, err := tryRun(c, "INSERT INTO u (id, bb) VALUES (3, 0)"); !errors.Is(err, errs.CheckViolation) {
		t.Errorf("check on a renamed column after restart: %v", err)
	}
	expect(t, c, "SELECT col_description(c.oid, 2) FROM pg_class c WHERE c.relname = 'u'", "renamed")
}

// Flight SQL ingest (Engine.Append) fills the columns a batch lacks with their defaults,
// serial ones included, and checks the table's constraints.
func TestAppendDefaultsAndChecks(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	e, c := open(t, objstore.NewMem(), mem)
	defer e.Close()
	ctx := context.Background()
	run(t, c, "CREATE TABLE t (n serial, id int CHECK (id < 10), s text DEFAULT 'dflt', at timestamptz DEFAULT now())")
	b := int32Batch(mem, "id", 1, 2, 3)
	if _, err := e.Append(ctx, "t", []arrow.RecordBatch{b}); err != nil {
		t.Fatal(err)
	}
	b.Release()
	expect(t, c, "SELECT n, id, s, at IS NOT NULL FROM t ORDER BY id", "1 1 dflt true|2 2 dflt true|3 3 dflt true")
	b = int32Batch(mem, "id", 4, 10)
	_, err := e.Append(ctx, "t", []arrow.RecordBatch{b})
	b.Release()
	if !errors.Is(err, errs.CheckViolation) {
		t.Fatalf("append of a row failing a check: %v", err)
	}
	expect(t, c, "SELECT count(*) FROM t", "3")
}
