package engine

import (
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/errs"
)

// limitAllocator counts the Arrow memory one query holds and fails the query when it would
// hold more than its limit. An allocator cannot return an error, so it panics with an
// errs.OutOfMemory error, which the operators' goroutines and the engine's entry points turn
// back into that error (errs.FromPanic): the query fails with SQLSTATE 53200, the server
// keeps serving.
type limitAllocator struct {
	base  memory.Allocator
	limit int64
	used  atomic.Int64
}

func (a *limitAllocator) reserve(n int64) {
	if a.used.Add(n) > a.limit && n > 0 {
		a.used.Add(-n)
		panic(errs.New(errs.OutOfMemory, "out of memory: the query needs more than its limit of %d bytes", a.limit))
	}
}

func (a *limitAllocator) Allocate(size int) []byte {
	a.reserve(int64(size))
	return a.base.Allocate(size)
}

func (a *limitAllocator) Reallocate(size int, b []byte) []byte {
	a.reserve(int64(size - len(b)))
	return a.base.Reallocate(size, b)
}

func (a *limitAllocator) Free(b []byte) {
	a.used.Add(-int64(len(b)))
	a.base.Free(b)
}

var _ memory.Allocator = (*limitAllocator)(nil)
