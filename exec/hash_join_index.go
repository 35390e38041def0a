package exec

import (
	"sync"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

// A join that returns a right column as a dictionary (see dictionaryRight) writes a new
// buffer of Int32 indices for every batch it returns: a fresh allocation of BatchRows*4
// bytes, zeroed and often faulted in, per batch of a join of a million rows. The consumer
// (HashAggregate) releases each batch before it asks for the one after the next, so a
// handful of buffers, handed back when their last reference is released, serve the whole
// join. indexPool is the allocator of those buffers: it allocates from the statement's
// allocator, keeps what is freed for reuse while the join is open, and frees everything
// once the join is closed. Reused buffers are not zeroed; buildDictionary writes every
// index of a batch.

// indexPoolKeep is how many free buffers an indexPool keeps: more than are out at once. The
// join is read ahead of its consumer on a goroutine (prefetch), so about five are out while
// the reader is ahead (the batch the aggregate works on, the one before it, the one in the
// channel, the one the reader made), and all but one come back whenever the consumer
// catches up; a pool that kept four freed the rest each time and allocated them again at
// the next peak (about 30 of the 130 batches of the seed workload's join). At most
// 16 * BatchRows * 4 bytes (512 KiB) are kept per join.
const indexPoolKeep = 16

type indexPool struct {
	mem    memory.Allocator
	mu     sync.Mutex
	free   [][]byte
	closed bool
}

// indexBuffers returns the join's index buffer allocator over mem, made at its first use.
func (s *joinStream) indexBuffers(mem memory.Allocator) memory.Allocator {
	if s.idx == nil {
		s.idx = &indexPool{mem: mem}
	}
	return s.idx
}

// Allocate returns a buffer of size bytes: a freed one of that size, or a new one.
func (p *indexPool) Allocate(size int) []byte {
	p.mu.Lock()
	for i, b := range p.free {
		if len(b) == size {
			last := len(p.free) - 1
			p.free[i], p.free[last] = p.free[last], nil
			p.free = p.free[:last]
			p.mu.Unlock()
			return b
		}
	}
	p.mu.Unlock()
	return p.mem.Allocate(size)
}

// Reallocate is not pooled: the buffer moves to the statement's allocator's new one.
func (p *indexPool) Reallocate(size int, b []byte) []byte { return p.mem.Reallocate(size, b) }

// Free keeps b for reuse while the join is open and there is room, or frees it.
func (p *indexPool) Free(b []byte) {
	p.mu.Lock()
	if !p.closed && len(p.free) < indexPoolKeep {
		p.free = append(p.free, b)
		p.mu.Unlock()
		return
	}
	p.mu.Unlock()
	p.mem.Free(b)
}

// close frees the kept buffers; buffers freed later go straight to the statement's
// allocator.
func (p *indexPool) close() {
	if p == nil {
		return
	}
	p.mu.Lock()
	free := p.free
	p.free, p.closed = nil, true
	p.mu.Unlock()
	for _, b := range free {
		p.mem.Free(b)
	}
}
