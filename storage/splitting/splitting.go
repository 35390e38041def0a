// Package splitting splits leaf partitions that have grown past a row threshold at the
// median of their files' row key sketches.
package splitting

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"

	"github.com/sleeperd/sleeperd/storage/objstore"
	"github.com/sleeperd/sleeperd/storage/sketch"
	"github.com/sleeperd/sleeperd/storage/statestore"
)

// PropThreshold is the table property holding the split threshold in rows, and
// DefaultThreshold its default.
const (
	PropThreshold    = "split_threshold"
	DefaultThreshold = 10_000_000
)

// Plan returns a split for every leaf whose rows reach threshold, at the median of the
// sketches of the files a read of the leaf uses (its own and its ancestors'), restricted to
// the leaf's range. A leaf's rows are the exact counts of its exact references plus, for
// references whose counts are estimates (pushed down from a parent by a split) and for its
// ancestors' references, the rows the files' sketches put in the leaf's range: a leaf whose
// files came from its parent can split again before compaction rewrites them. A leaf gets
// no split when no key strictly inside its range divides its rows (all rows share one key).
// Children get new random IDs. sketches returns the sketch of a file; an error stops the plan.
func Plan(state *statestore.State, threshold int64, sketches func(file string) (*sketch.Sketch, error)) ([]statestore.SplitPartition, error) {
	if threshold <= 0 {
		return nil, fmt.Errorf("splitting: threshold %d <= 0", threshold)
	}
	var out []statestore.SplitPartition
	for _, leaf := range state.Leaves() {
		var rows int64
		var sks []*sketch.Sketch
		for _, r := range state.ReadFiles(leaf.ID) {
			s, err := sketches(r.File)
			if err != nil {
				return nil, fmt.Errorf("splitting: partition %s: %w", leaf.ID, err)
			}
			sks = append(sks, s)
			if r.Exact && r.PartitionID == leaf.ID {
				rows += r.Rows
			} else {
				rows += sketch.Estimate([]*sketch.Sketch{s}, leaf.Range)
			}
		}
		if rows < threshold {
			continue
		}
		key, ok := sketch.Median(sks, leaf.Range)
		if !ok {
			continue
		}
		out = append(out, statestore.SplitPartition{ParentID: leaf.ID, LeftID: newID(), RightID: newID(), SplitKey: key})
	}
	return out, nil
}

// Run commits each split on its own and returns the number committed. A split whose
// partition is no longer a leaf (another process split it first) or whose key is no longer
// inside it is skipped.
func Run(ctx context.Context, states *statestore.Store, table statestore.TableID, splits []statestore.SplitPartition) (int, error) {
	n := 0
	for _, sp := range splits {
		if _, err := states.Commit(ctx, table, sp); err != nil {
			if errors.Is(err, statestore.ErrInvalidTransaction) {
				continue
			}
			return n, fmt.Errorf("splitting: %w", err)
		}
		n++
	}
	return n, nil
}

// Loader returns a sketches function for Plan that reads each file's sketch from its footer
// in store, caching them (files are immutable). It is safe for concurrent use; sizes gives a
// file's size in bytes (0 asks the store), and may be nil.
func Loader(ctx context.Context, store objstore.Store, sizes func(file string) int64) func(file string) (*sketch.Sketch, error) {
	var mu sync.Mutex
	cache := map[string]*sketch.Sketch{}
	return func(file string) (*sketch.Sketch, error) {
		mu.Lock()
		s, ok := cache[file]
		mu.Unlock()
		if ok {
			return s, nil
		}
		var size int64
		if sizes != nil {
			size = sizes(file)
		}
		s, err := sketch.Load(ctx, store, file, size)
		if err != nil {
			return nil, err
		}
		mu.Lock()
		cache[file] = s
		mu.Unlock()
		return s, nil
	}
}

// StateSizes returns a sizes function for Loader that takes file sizes from state.
func StateSizes(state *statestore.State) func(file string) int64 {
	return func(file string) int64 {
		if f, ok := state.File(file); ok {
			return f.Bytes
		}
		return 0
	}
}

func newID() string {
	var b [8]byte
	rand.Read(b[:])
	return "p" + hex.EncodeToString(b[:])
}
