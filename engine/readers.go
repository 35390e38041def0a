package engine

import (
	"sync"

	"github.com/sleeperd/sleeperd/storage/statestore"
)

// readers tracks the snapshots running queries read, so that garbage collection never
// deletes a file a running query may still open.
type readers struct {
	mu    sync.Mutex
	holds map[statestore.TableID]map[uint64]int
}

type readHold struct {
	table statestore.TableID
	txn   uint64
}

func (r *readers) hold(t statestore.TableID, txn uint64) readHold {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.holds == nil {
		r.holds = map[statestore.TableID]map[uint64]int{}
	}
	if r.holds[t] == nil {
		r.holds[t] = map[uint64]int{}
	}
	r.holds[t][txn]++
	return readHold{t, txn}
}

func (r *readers) release(hs []readHold) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, h := range hs {
		m := r.holds[h.table]
		if m[h.txn]--; m[h.txn] <= 0 {
			delete(m, h.txn)
		}
	}
}

// oldest returns the oldest snapshot of table t a running query reads, or 0 for none.
func (r *readers) oldest(t statestore.TableID) uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	var min uint64
	for txn := range r.holds[t] {
		if min == 0 || txn < min {
			min = txn
		}
	}
	return min
}
