package bench

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/sleeperd/sleeperd/storage/objstore"
	"github.com/sleeperd/sleeperd/storage/statestore"
)

// commitSetup is how the writers of a state-store commit workload reach the log.
type commitSetup struct {
	name    string
	writers int
	shared  bool // all writers use one statestore.Store; else one Store each, like separate processes
}

var commitSetups = []commitSetup{
	{"state-store commits: 1 writer", 1, true},
	{"state-store commits: 4 writers, one Store each", 4, false},
	{"state-store commits: 4 writers, one shared Store", 4, true},
}

// commitSplits are the split points of the commit workloads' tables: 16 leaves, as table t.
const commitSplits = "123456789abcdef"

// commits runs setup's writers against a new table in a new local object store under dir
// for d, each commit adding one small file referenced by one leaf partition. The figure's
// Ops are the commits made; Rows and Checksum are the files a fresh Store then reads back,
// which must equal the commits. Commits that fail with statestore.ErrConflict (too many lost
// races) are counted in Failed, not returned.
func commits(ctx context.Context, dir string, setup commitSetup, d time.Duration) (Figure, error) {
	store, err := objstore.NewLocal(dir)
	if err != nil {
		return Figure{}, err
	}
	const table statestore.TableID = "commits"
	var init statestore.InitialisePartitions
	for _, c := range commitSplits {
		init.SplitPoints = append(init.SplitPoints, []byte{byte(c)})
	}
	first := statestore.New(store, statestore.Options{})
	st, err := first.Create(ctx, table, init)
	if err != nil {
		return Figure{}, fmt.Errorf("bench: create state-store table: %w", err)
	}
	leaves := st.Leaves()
	stores := make([]*statestore.Store, setup.writers)
	for i := range stores {
		if setup.shared || i == 0 {
			stores[i] = first
		} else {
			stores[i] = statestore.New(store, statestore.Options{})
		}
	}

	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		lat     []time.Duration
		made    int64
		failed  int64
		firstEr error
	)
	start := time.Now()
	deadline := start.Add(d)
	for w, s := range stores {
		wg.Go(func() {
			var mine []time.Duration
			var ok, bad int64
			var werr error
			for n := 0; time.Now().Before(deadline); n++ {
				leaf := leaves[(w+n)%len(leaves)]
				lo := leafKey(leaf.Range.Min)
				f := statestore.File{Name: fmt.Sprintf("files/w%d-%08d.parquet", w, n), Rows: 100, Bytes: 4096,
					MinKey: lo, MaxKey: append(lo, 'x')}
				txn := statestore.AddFiles{Files: []statestore.NewFile{{File: f, References: []statestore.FileReference{
					{File: f.Name, PartitionID: leaf.ID, Rows: 100, Exact: true}}}}}
				t0 := time.Now()
				_, err := s.Commit(ctx, table, txn)
				switch {
				case errors.Is(err, statestore.ErrConflict):
					bad++
					continue
				case err != nil:
					werr = fmt.Errorf("bench: commit: %w", err)
				}
				if werr != nil {
					break
				}
				mine = append(mine, time.Since(t0))
				ok++
			}
			mu.Lock()
			defer mu.Unlock()
			lat = append(lat, mine...)
			made += ok
			failed += bad
			if werr != nil && firstEr == nil {
				firstEr = werr
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if firstEr != nil {
		return Figure{}, firstEr
	}
	if made == 0 {
		return Figure{}, errors.New("bench: no commit succeeded")
	}
	fig := latencies(elapsed, lat, checksum{})
	fig.Ops = made
	fig.OpsPerSec = float64(made) / elapsed.Seconds()
	fig.Failed = failed

	// Read the log back with a fresh Store: every commit made must be there, once.
	back, err := statestore.New(store, statestore.Options{}).Snapshot(ctx, table)
	if err != nil {
		return Figure{}, fmt.Errorf("bench: read state back: %w", err)
	}
	fig.Rows = int64(len(back.Files()))
	fig.Checksum = fmt.Sprintf("%d files, txn %d", fig.Rows, back.TxnNumber())
	return fig, nil
}

// leafKey returns a key inside the leaf whose range starts at min: min itself, or "0" for
// the first leaf, whose range starts at the empty key.
func leafKey(min []byte) []byte {
	if len(min) == 0 {
		return []byte("0")
	}
	return append([]byte(nil), min...)
}
