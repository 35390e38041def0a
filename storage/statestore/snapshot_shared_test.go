package statestore

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/sleeperd/sleeperd/storage/objstore"
)

// TestSnapshotSeesAcknowledgedCommits has many goroutines of one Store take snapshots, which
// share refreshes, while another Store (another node) commits: every snapshot holds every
// commit acknowledged before its Snapshot call.
func TestSnapshotSeesAcknowledgedCommits(t *testing.T) {
	ctx := context.Background()
	mem := objstore.NewMem()
	writer := New(mem, Options{Backoff: fastBackoff, SnapshotEvery: 7})
	readers := New(mem, Options{})
	mustCreate(t, writer, "t", 100)
	var acked atomic.Uint64
	acked.Store(1)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		defer close(done)
		for i := range 60 {
			st, err := writer.Snapshot(ctx, "t")
			if err == nil {
				st, err = writer.Commit(ctx, "t", addFile(st, fmt.Sprintf("f%03d", i), 10, k(int64(i)), k(int64(i+50))))
			}
			if err != nil {
				t.Error(err)
				return
			}
			acked.Store(st.TxnNumber())
		}
	})
	for range 8 {
		wg.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				before := acked.Load()
				st, err := readers.Snapshot(ctx, "t")
				if err != nil {
					t.Error(err)
					return
				}
				if st.TxnNumber() < before {
					t.Errorf("snapshot at txn %d, but txn %d was acknowledged before the call", st.TxnNumber(), before)
					return
				}
			}
		})
	}
	wg.Wait()
}
