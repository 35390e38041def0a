package engine

import (
	"context"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/storage/objstore"
)

// A write prepared under a column's former type and committed after ALTER COLUMN ... TYPE
// changed it fails with 40001 instead of adding values the ALTER never checked, whether it
// runs in the same engine or in another one on the same store (another process); retried
// under the new schema, a value that does not convert fails as PostgreSQL's would, one that
// does commits; compaction, full or not, then finds no value to turn into NULL.
func TestAlterTypeRefusesWritesPreparedBefore(t *testing.T) {
	for _, other := range []bool{false, true} {
		name := "same engine"
		if other {
			name = "second engine"
		}
		t.Run(name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			store := objstore.NewMem()
			e, c := open(t, store, mem)
			defer e.Close()
			run(t, c, "CREATE TABLE r (id integer PRIMARY KEY, s text)")
			run(t, c, "INSERT INTO r VALUES (1, '1')")
			run(t, c, "INSERT INTO r VALUES (2, '2')")
			w := connect(t, e)
			if other {
				e2, c2 := open(t, store, mem)
				defer e2.Close()
				defer c2.Close()
				w = c2
			}
			// The block writes its files now, under the old schema, and commits them later.
			run(t, w, "BEGIN")
			run(t, w, "INSERT INTO r VALUES (3, 'x'), (4, '4')")
			run(t, c, "ALTER TABLE r ALTER COLUMN s TYPE integer USING s::integer")
			runErr(t, w, "COMMIT", errs.Conflict)
			runErr(t, w, "INSERT INTO r VALUES (3, 'x')", errs.InvalidText)
			run(t, w, "INSERT INTO r VALUES (4, '4')")
			expect(t, c, "SELECT id, s FROM r ORDER BY id", "1 1|2 2|4 4")
			run(t, c, "VACUUM r")
			expect(t, c, "SELECT id, s FROM r ORDER BY id", "1 1|2 2|4 4")
			run(t, c, "VACUUM FULL r")
			expect(t, c, "SELECT count(*) FROM r WHERE s IS NULL", "0")
			expect(t, c, "SELECT id, s + 0 FROM r ORDER BY id", "1 1|2 2|4 4")
		})
	}
}

// A write that reads the schema after ALTER COLUMN ... TYPE began and before it committed
// (the old schema still) fails with 40001, whether its values convert or not (INSERT, UPDATE,
// and a DELETE, whose tombstones are files of the old schema too), in this engine or in another on the same store: so the ALTER's check of
// the stored values misses none. The ALTER then succeeds, and the writes retried go through
// the new type.
func TestAlterTypeRefusesWritesDuringCheck(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	e, c, _, c2, done := openShared(t, mem)
	defer done()
	w := connect(t, e)
	run(t, c, "CREATE TABLE d (id integer PRIMARY KEY, s text)")
	run(t, c, "INSERT INTO d VALUES (1, '10')")
	// Both engines know the old schema before the ALTER starts.
	expect(t, w, "SELECT count(*) FROM d", "1")
	expect(t, c2, "SELECT count(*) FROM d", "1")
	ran := 0
	stop := atAlterStep(t, "fenced", func() {
		ran++
		runErr(t, w, "INSERT INTO d VALUES (2, 'y')", errs.Conflict)
		runErr(t, w, "INSERT INTO d VALUES (3, '30')", errs.Conflict)
		runErr(t, c2, "INSERT INTO d VALUES (4, 'z')", errs.Conflict)
		runErr(t, c2, "UPDATE d SET s = 'q' WHERE id = 1", errs.Conflict)
		runErr(t, w, "DELETE FROM d WHERE id = 1", errs.Conflict)
	})
	run(t, c, "ALTER TABLE d ALTER COLUMN s TYPE integer USING s::integer")
	stop()
	if ran != 1 {
		t.Fatalf("the hook ran %d times, want 1", ran)
	}
	expect(t, c, "SELECT id, s FROM d ORDER BY id", "1 10")
	runErr(t, w, "INSERT INTO d VALUES (2, 'y')", errs.InvalidText)
	runErr(t, c2, "UPDATE d SET s = 'q' WHERE id = 1", errs.InvalidText)
	run(t, w, "INSERT INTO d VALUES (3, '30')")
	run(t, c2, "INSERT INTO d VALUES (5, '50')")
	run(t, c, "VACUUM d")
	run(t, c, "VACUUM FULL d")
	expect(t, c, "SELECT id, s + 1 FROM d ORDER BY id", "1 11|3 31|5 51")
}

// An ALTER COLUMN ... TYPE that fails its check takes back the stored name it retired:
// writes under the unchanged schema commit, and nothing stays retired.
func TestAlterTypeFailedLiftsFence(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx := context.Background()
	store := objstore.NewMem()
	e, c := open(t, store, mem)
	defer e.Close()
	run(t, c, "CREATE TABLE f (id integer PRIMARY KEY, s text)")
	run(t, c, "INSERT INTO f VALUES (1, 'x')")
	runErr(t, c, "ALTER TABLE f ALTER COLUMN s TYPE integer USING s::integer", errs.InvalidText)
	run(t, c, "INSERT INTO f VALUES (2, 'y')")
	expect(t, c, "SELECT id, s FROM f ORDER BY id", "1 x|2 y")
	tb, st := tableState(t, e, "f")
	if r := st.RetiredColumns(); len(r) != 0 {
		t.Fatalf("retired after a failed ALTER: %v", r)
	}
	// A successful one leaves the former name retired for good.
	run(t, c, "UPDATE f SET s = '7'")
	run(t, c, "ALTER TABLE f ALTER COLUMN s TYPE integer USING s::integer")
	st, err := e.ss.Snapshot(ctx, tb.StateID())
	if err != nil {
		t.Fatal(err)
	}
	if r := st.RetiredColumns(); len(r) != 1 || r[0] != "s" {
		t.Fatalf("retired after the ALTER: %v, want [s]", r)
	}
}
