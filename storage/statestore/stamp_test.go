package statestore

import (
	"context"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sleeperd/sleeperd/storage/objstore"
)

// countingLocal is a Local (with its Stamper) that counts the requests reading objects.
type countingLocal struct {
	*objstore.Local
	reads atomic.Int64
}

func (c *countingLocal) ReadAt(ctx context.Context, name string, p []byte, off int64) error {
	c.reads.Add(1)
	return c.Local.ReadAt(ctx, name, p, off)
}

func (c *countingLocal) ReadAll(ctx context.Context, name string) ([]byte, error) {
	c.reads.Add(1)
	return c.Local.ReadAll(ctx, name)
}

func (c *countingLocal) Size(ctx context.Context, name string) (int64, error) {
	c.reads.Add(1)
	return c.Local.Size(ctx, name)
}

func (c *countingLocal) List(ctx context.Context, prefix string) ([]string, error) {
	c.reads.Add(1)
	return c.Local.List(ctx, prefix)
}

// waitSettled waits (bounded) until the stamp of the table's log is settled; it skips the
// test where the file system gives no settled stamps.
func waitSettled(t *testing.T, l *objstore.Local, id TableID) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, settled, err := l.Stamp(context.Background(), LogPrefix(id))
		if err != nil {
			t.Fatal(err)
		}
		if settled {
			return
		}
		if time.Now().After(deadline) {
			t.Skip("no settled stamps on this file system")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// A Store reading a log that has not changed since its last refresh takes its state without
// reading the log, and still sees at once what another Store commits.
func TestSnapshotSkipsUnchangedLog(t *testing.T) {
	ctx := context.Background()
	local, err := objstore.NewLocal(filepath.Join(t.TempDir(), "store"))
	if err != nil {
		t.Fatal(err)
	}
	writer := New(local, Options{})
	obj := &countingLocal{Local: local}
	reader := New(obj, Options{})

	mustCreate(t, writer, "t", 0)
	if _, err := writer.Commit(ctx, "t", addFile(mustSnapshot(t, writer, "t"), "f1", 10, k(-5), k(5))); err != nil {
		t.Fatal(err)
	}
	waitSettled(t, local, "t")
	first := mustSnapshot(t, reader, "t")
	if first.TxnNumber() != 2 {
		t.Fatalf("txn %d, want 2", first.TxnNumber())
	}
	before := obj.reads.Load()
	for range 3 {
		if st := mustSnapshot(t, reader, "t"); st != first {
			t.Fatalf("unchanged log: state of txn %d, want the same state as before", st.TxnNumber())
		}
	}
	if n := obj.reads.Load() - before; n != 0 {
		t.Errorf("Snapshot of an unchanged log made %d reads, want 0", n)
	}

	// Another Store commits: the next Snapshot reads the log and has the commit.
	if _, err := writer.Commit(ctx, "t", addFile(mustSnapshot(t, writer, "t"), "f2", 10, k(6), k(9))); err != nil {
		t.Fatal(err)
	}
	st := mustSnapshot(t, reader, "t")
	if st.TxnNumber() != 3 {
		t.Fatalf("after another Store's commit: txn %d, want 3", st.TxnNumber())
	}
	if obj.reads.Load() == before {
		t.Error("Snapshot after a commit read nothing")
	}
	assertSameState(t, "reader after the commit", st, replayAll(t, local, "t"))

	// The reader's own commits are seen too, and so is the table's deletion by another Store.
	waitSettled(t, local, "t")
	mustSnapshot(t, reader, "t")
	if _, err := reader.Commit(ctx, "t", addFile(mustSnapshot(t, reader, "t"), "f3", 10, k(10), k(12))); err != nil {
		t.Fatal(err)
	}
	if st := mustSnapshot(t, reader, "t"); st.TxnNumber() != 4 {
		t.Fatalf("after its own commit: txn %d, want 4", st.TxnNumber())
	}
	waitSettled(t, local, "t")
	mustSnapshot(t, reader, "t")
	if err := writer.Delete(ctx, "t"); err != nil {
		t.Fatal(err)
	}
	if _, err := reader.Snapshot(ctx, "t"); err == nil {
		t.Error("Snapshot of a deleted table succeeded")
	}
}
