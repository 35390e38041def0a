package exec

import (
	"sync"
	"sync/atomic"
)

// MemoryPool is the memory the spilling operators of every statement of a server share.
// A statement's MemoryBudget made with NewPooledBudget takes its reservations out of the
// pool as well as out of its own budget, and the pool decides fairly who must spill when
// there is not enough for everyone:
//
//   - While the pool has room (the reservations of all statements within its limit), a
//     statement may hold up to its own budget: a statement alone uses its whole limit.
//   - When the pool is full, a statement may hold at most its fair share: the pool divided
//     by the number of statements holding reservations, but never less than the floor, a
//     1/poolFloorShare of the pool. An operator of a statement over its share spills at its
//     next reservation, so memory moves from the statements holding the most to the ones
//     that arrived later, and no statement is starved.
//
// No statement waits: every statement may hold its floor, so with more than poolFloorShare
// statements holding reservations at once the pool can be exceeded by the floors of the
// extra ones. What operators cannot spill (batches in flight, a single large value) is not
// reserved here but bounded by each statement's own limit.
type MemoryPool struct {
	limit int64
	used  atomic.Int64
	peak  atomic.Int64

	mu     sync.Mutex
	active int64 // statements holding a reservation now

	statements atomic.Int64 // statements that reserved memory, ever
	tight      atomic.Int64 // reservations refused because the pool was full
	files      atomic.Int64 // spill files created
	bytes      atomic.Int64 // bytes written to spill files
}

// poolFloorShare sets a statement's least share of a full pool: 1/poolFloorShare of it.
const poolFloorShare = 16

// NewMemoryPool returns a pool of limit bytes.
func NewMemoryPool(limit int64) *MemoryPool { return &MemoryPool{limit: limit} }

// MemoryPoolStats is a snapshot of a MemoryPool.
type MemoryPoolStats struct {
	Limit      int64 // bytes
	Used       int64 // bytes reserved now
	Peak       int64 // most bytes reserved at once
	Active     int64 // statements holding a reservation now
	Statements int64 // statements that reserved memory, ever
	Share      int64 // what each active statement may hold when the pool is full
	Refused    int64 // reservations refused because the pool was full (each led to a spill)
	SpillFiles int64 // spill files created by operators under the pool
	Spilled    int64 // bytes written to those files
}

// Stats returns a snapshot of the pool.
func (p *MemoryPool) Stats() MemoryPoolStats {
	p.mu.Lock()
	active := p.active
	p.mu.Unlock()
	return MemoryPoolStats{Limit: p.limit, Used: p.used.Load(), Peak: p.peak.Load(), Active: active,
		Statements: p.statements.Load(), Share: p.shareOf(active), Refused: p.tight.Load(),
		SpillFiles: p.files.Load(), Spilled: p.bytes.Load()}
}

// share is what one statement may hold while the pool is full.
func (p *MemoryPool) share() int64 {
	p.mu.Lock()
	active := p.active
	p.mu.Unlock()
	return p.shareOf(active)
}

func (p *MemoryPool) shareOf(active int64) int64 {
	return max(p.limit/max(active, 1), p.limit/poolFloorShare)
}

// add changes the pool's reservations by n and returns the new total.
func (p *MemoryPool) add(n int64) int64 {
	total := p.used.Add(n)
	for {
		peak := p.peak.Load()
		if total <= peak || p.peak.CompareAndSwap(peak, total) {
			return total
		}
	}
}

// join counts a statement in from its first reservation.
func (p *MemoryPool) join() {
	p.statements.Add(1)
	p.mu.Lock()
	p.active++
	p.mu.Unlock()
}

// leave counts a statement out, returning what it still held.
func (p *MemoryPool) leave(held int64) {
	if held != 0 {
		p.used.Add(-held)
	}
	p.mu.Lock()
	p.active--
	p.mu.Unlock()
}

// NewPooledBudget returns a statement's budget of limit bytes whose reservations also come
// out of pool (see MemoryPool). The statement calls Close on the budget when it ends.
func NewPooledBudget(limit int64, pool *MemoryPool) *MemoryBudget {
	return &MemoryBudget{limit: limit, pool: pool}
}

// Close takes the budget's statement out of its pool, returning anything its operators
// still hold; reservations changed afterwards no longer reach the pool. It is safe to call
// more than once and on a budget without a pool.
func (b *MemoryBudget) Close() {
	if b == nil || b.pool == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.joined && !b.closed {
		b.pool.leave(b.used.Load())
	}
	b.closed = true
}

// admit passes a change of delta in the statement's reservations, which leaves it holding
// total, on to the pool, and returns what the statement may hold now: its own limit, or
// less when the pool is full.
func (b *MemoryBudget) admit(delta, total int64) int64 {
	p := b.pool
	if p == nil {
		return b.limit
	}
	b.mu.Lock()
	if b.closed || !b.joined && delta <= 0 {
		b.mu.Unlock()
		return b.limit
	}
	if !b.joined {
		b.joined = true
		p.join()
	}
	used := p.add(delta)
	b.mu.Unlock()
	if used <= p.limit || delta <= 0 {
		return b.limit
	}
	share := p.share()
	if total > share {
		p.tight.Add(1)
	}
	return min(b.limit, share)
}
