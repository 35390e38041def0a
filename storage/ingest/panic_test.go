package ingest

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/storage/objstore"
)

// putPanicsOnce is a store whose second upload of a data file panics, once.
type putPanicsOnce struct {
	objstore.Store
	puts atomic.Int32
}

func (p *putPanicsOnce) Put(ctx context.Context, name string, data io.Reader) error {
	if strings.HasSuffix(name, ".parquet") && p.puts.Add(1) == 2 {
		panic("upload of " + name)
	}
	return p.Store.Put(ctx, name, data)
}

// A panic in a file writer goroutine fails the write with an internal error carrying the
// stack, instead of ending the process; nothing is committed, the files written are deleted,
// and the same write then succeeds.
func TestWriterPanicFailsWrite(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx := context.Background()
	store := &putPanicsOnce{Store: objstore.NewMem()}
	ss, spec := setup(t, store, 10, 20)
	spec.Alloc = mem
	var rows []row
	for i := range 30 {
		rows = append(rows, row{k: int64(i), s: 1, v: "x"})
	}
	b := makeBatch(mem, rows)
	defer b.Release()

	_, err := Write(ctx, store, ss, spec, []arrow.RecordBatch{b})
	if !errors.Is(err, errs.Internal) || errs.StackOf(err) == nil || !strings.Contains(err.Error(), "upload of") {
		t.Fatalf("got %v, want an internal error with the panic and its stack", err)
	}
	if st, err := ss.Snapshot(ctx, "t1"); err != nil || len(st.Files()) != 0 {
		t.Fatalf("files visible after a failed write: %v", err)
	}
	if names, _ := store.List(ctx, spec.FilePrefix); len(names) != 0 {
		t.Errorf("uncommitted files not deleted: %v", names)
	}
	if _, err := Write(ctx, store, ss, spec, []arrow.RecordBatch{b}); err != nil {
		t.Fatal(err)
	}
	if st, _ := ss.Snapshot(ctx, "t1"); len(st.Files()) != 3 {
		t.Errorf("%d files, want 3", len(st.Files()))
	}
}

// A panic in the upload of a file of a spilled write fails the commit the same way, and
// leaves no spill file behind.
func TestWriterSpilledPanicFailsCommit(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx := context.Background()
	store := &putPanicsOnce{Store: objstore.NewMem()}
	ss, spec := setup(t, store, 300, 600)
	spec.Alloc = mem
	dir := t.TempDir()
	w, err := NewWriter(ctx, store, ss, spec, WriterOptions{Memory: 32 << 10, SpillDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	var rows []row
	for i := range 3000 {
		rows = append(rows, row{k: int64(i*7919) % 1000, s: 1, v: "x"})
	}
	for i := 0; i < len(rows); i += 100 {
		b := makeBatch(mem, rows[i:i+100])
		err := w.Append(b)
		b.Release()
		if err != nil {
			t.Fatal(err)
		}
	}
	if w.Stats().Runs == 0 {
		t.Fatal("nothing spilled")
	}
	_, err = w.Commit(ctx)
	if !errors.Is(err, errs.Internal) || errs.StackOf(err) == nil || !strings.Contains(err.Error(), "upload of") {
		t.Fatalf("got %v, want an internal error with the panic and its stack", err)
	}
	if st, err := ss.Snapshot(ctx, "t1"); err != nil || len(st.Files()) != 0 {
		t.Fatalf("files visible after a failed write: %v", err)
	}
	if names, _ := store.List(ctx, spec.FilePrefix); len(names) != 0 {
		t.Errorf("uncommitted files not deleted: %v", names)
	}
	assertEmptyDir(t, dir)
}
