package ingest

import (
	"context"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/storage/objstore"
	"github.com/sleeperd/sleeperd/storage/statestore"
)

// fileObjects returns the names of the objects under the table's file prefix.
func fileObjects(t *testing.T, store objstore.Store) []string {
	t.Helper()
	var out []string
	names, err := store.List(context.Background(), "tables/t1/files/")
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		if strings.HasSuffix(n, ".parquet") {
			out = append(out, n)
		}
	}
	return out
}

// TestPrepareCommitInBatch: the files of a prepared write commit in a batch with a delete
// predicate, under its number; the write spilled or not.
func TestPrepareCommitInBatch(t *testing.T) {
	for _, memBudget := range []int64{DefaultMemory, 32 << 10} {
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		store := objstore.NewMem()
		ss, spec := newTable(t, store, testSchema, []int{0}, []int{1}, int64Key(300), int64Key(600))
		spec.Alloc = mem
		ctx := context.Background()
		w, err := NewWriter(ctx, store, ss, spec, WriterOptions{Memory: memBudget, SpillDir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		batches := testBatches(mem, rand.New(rand.NewPCG(1, 2)), 3000, 250, 1000)
		for _, b := range batches {
			if err := w.Append(b); err != nil {
				t.Fatal(err)
			}
		}
		release(batches)
		p, err := w.Prepare(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if p.Rows() != 3000 {
			t.Fatalf("prepared %d rows, want 3000", p.Rows())
		}
		if st, _ := ss.Snapshot(ctx, "t1"); len(st.Files()) != 0 {
			t.Fatalf("prepare committed %d files", len(st.Files()))
		}
		st, err := ss.Snapshot(ctx, "t1")
		if err != nil {
			t.Fatal(err)
		}
		add, err := p.AddFiles(ctx, st)
		if err != nil {
			t.Fatal(err)
		}
		after, err := ss.Commit(ctx, "t1", statestore.Batch{Txns: []statestore.Transaction{
			statestore.UnchangedSince{Since: st.TxnNumber()},
			statestore.AddDeletePredicate{ID: "d", Predicate: []byte("true")},
			add,
		}})
		if err != nil {
			t.Fatal(err)
		}
		var rows int64
		for _, f := range after.Files() {
			rows += f.Rows
			if f.AddedTxn != after.TxnNumber() {
				t.Errorf("file %s added by %d, want the batch's %d", f.Name, f.AddedTxn, after.TxnNumber())
			}
		}
		if rows != 3000 || len(fileObjects(t, store)) != len(after.Files()) {
			t.Errorf("%d rows in %d files committed, %d objects", rows, len(after.Files()), len(fileObjects(t, store)))
		}
		mem.AssertSize(t, 0)
	}
}

// TestPrepareDiscard: a discarded prepared write leaves no file and commits nothing.
func TestPrepareDiscard(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	store := objstore.NewMem()
	ss, spec := newTable(t, store, testSchema, []int{0}, []int{1}, int64Key(500))
	spec.Alloc = mem
	ctx := context.Background()
	w, err := NewWriter(ctx, store, ss, spec, WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	batches := testBatches(mem, rand.New(rand.NewPCG(3, 4)), 500, 100, 1000)
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
	if n := len(fileObjects(t, store)); n != 2 {
		t.Fatalf("%d files written, want 2", n)
	}
	p.Discard(ctx)
	if n := len(fileObjects(t, store)); n != 0 {
		t.Errorf("%d files left after Discard", n)
	}
	if p.Rows() != 0 {
		t.Errorf("a discarded write holds %d rows", p.Rows())
	}
	st, err := ss.Snapshot(ctx, "t1")
	if err != nil {
		t.Fatal(err)
	}
	if add, err := p.AddFiles(ctx, st); err != nil || len(add.Files) != 0 {
		t.Errorf("AddFiles of a discarded write: %d files, %v", len(add.Files), err)
	}
	if n, err := p.Commit(ctx); err != nil || n != 0 {
		t.Errorf("Commit of a discarded write: %d, %v", n, err)
	}
	p.Discard(ctx) // a no-op the second time
	if st, _ := ss.Snapshot(ctx, "t1"); len(st.Files()) != 0 {
		t.Errorf("%d files committed", len(st.Files()))
	}
}

// TestPrepareCommitRetiredColumn: a write prepared before one of its stored columns was
// retired (statestore.RetireColumns, a change of the column's type) fails to commit with
// ErrColumnRetired, on its own or in a batch, and leaves no file; its transaction names every
// stored column it writes.
func TestPrepareCommitRetiredColumn(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	store := objstore.NewMem()
	ss, spec := newTable(t, store, testSchema, []int{0}, []int{1}, int64Key(500))
	spec.Alloc = mem
	ctx := context.Background()
	prepare := func(seed uint64) *Prepared {
		w, err := NewWriter(ctx, store, ss, spec, WriterOptions{})
		if err != nil {
			t.Fatal(err)
		}
		batches := testBatches(mem, rand.New(rand.NewPCG(seed, 4)), 500, 100, 1000)
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
	alone, batched := prepare(1), prepare(2)
	last := testSchema.Field(testSchema.NumFields() - 1).Name
	if _, err := ss.Commit(ctx, "t1", statestore.RetireColumns{Names: []string{last}}); err != nil {
		t.Fatal(err)
	}
	if _, err := alone.Commit(ctx); !errors.Is(err, statestore.ErrColumnRetired) {
		t.Fatalf("commit after the column was retired: %v, want ErrColumnRetired", err)
	}
	st, err := ss.Snapshot(ctx, "t1")
	if err != nil {
		t.Fatal(err)
	}
	add, err := batched.AddFiles(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	if len(add.Columns) != testSchema.NumFields() || add.Columns[0] != testSchema.Field(0).Name {
		t.Errorf("AddFiles names columns %v, want those of %v", add.Columns, testSchema)
	}
	_, err = ss.Commit(ctx, "t1", statestore.Batch{Txns: []statestore.Transaction{statestore.UnchangedSince{Since: st.TxnNumber()}, add}})
	if !errors.Is(err, statestore.ErrColumnRetired) {
		t.Fatalf("batch after the column was retired: %v, want ErrColumnRetired", err)
	}
	batched.Discard(ctx)
	if n := len(fileObjects(t, store)); n != 0 {
		t.Errorf("%d files left after refused commits", n)
	}
	if st, _ := ss.Snapshot(ctx, "t1"); len(st.Files()) != 0 {
		t.Errorf("refused commits added %d files", len(st.Files()))
	}
}
