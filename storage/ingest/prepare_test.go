package ingest

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/storage/objstore"
	"github.com/sleeperd/sleeperd/storage/statestore"
)

// Prepare writes the files without committing them; their AddFiles, committed in a Batch
// after a split of the table, references them from the new leaves; Discard of another
// prepared write deletes its files.
func TestWriterPrepare(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx := context.Background()
	store := objstore.NewMem()
	ss, spec := newTable(t, store, testSchema, []int{0}, []int{1})
	spec.Alloc = mem
	prepare := func(seed uint64) *Prepared {
		t.Helper()
		w, err := NewWriter(ctx, store, ss, spec, WriterOptions{Memory: 1 << 20, SpillDir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		defer w.Abort()
		batches := testBatches(mem, rand.New(rand.NewPCG(seed, seed)), 1000, 250, 100)
		defer release(batches)
		for _, b := range batches {
			if err := w.Append(b); err != nil {
				t.Fatal(err)
			}
		}
		p, err := w.Prepare(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	kept, dropped := prepare(1), prepare(2)
	if kept.Rows() != 1000 || len(kept.Files()) == 0 {
		t.Fatalf("prepared %d rows in %d files", kept.Rows(), len(kept.Files()))
	}
	st, err := ss.Snapshot(ctx, "t1")
	if err != nil {
		t.Fatal(err)
	}
	if n := len(st.Files()); n != 0 {
		t.Fatalf("prepared files committed: state has %d files", n)
	}
	// Split the root so that the prepared references name a partition that is no leaf.
	root := st.Root()
	st, err = ss.Commit(ctx, "t1", statestore.SplitPartition{ParentID: root.ID, SplitKey: int64Key(40), LeftID: "l", RightID: "r"})
	if err != nil {
		t.Fatal(err)
	}
	txn, err := kept.AddFiles(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ss.Commit(ctx, "t1", statestore.Batch{Txns: []statestore.Transaction{txn}}); err != nil {
		t.Fatal(err)
	}
	gone := dropped.Files()
	dropped.Discard(ctx)
	st, err = ss.Snapshot(ctx, "t1")
	if err != nil {
		t.Fatal(err)
	}
	var rows int64
	for _, leaf := range st.Leaves() {
		for _, ref := range st.References(leaf.ID) {
			rows += ref.Rows
		}
	}
	if rows != 1000 {
		t.Errorf("committed %d rows, want 1000", rows)
	}
	names, err := store.List(ctx, "tables/t1/files/")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range gone {
		for _, n := range names {
			if n == f.Name {
				t.Errorf("discarded file %s still exists", f.Name)
			}
		}
	}
	if len(names) != len(kept.Files()) {
		t.Errorf("%d files in the store, want the %d committed", len(names), len(kept.Files()))
	}
}
