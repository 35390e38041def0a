package engine

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/exec"
)

// operatorShare is the part of Options.QueryMemoryLimit (1/operatorShare of it) that the
// operators of a statement that can spill (sort, hash aggregate, hash join) may hold
// together before they spill to the engine's spill directory. The rest covers what the
// limit also counts and no operator can spill: batches in flight between operators and
// scans, an operator's output batches and spill read buffers, and a write's rows, which
// ingest.Writer bounds by half the limit (see importMemory).
const operatorShare = 4

// statementLimit is the memory one statement may hold: Options.QueryMemoryLimit, and at most
// Options.MemoryLimit; 0 is no limit.
func (e *Engine) statementLimit() int64 {
	l, m := e.opts.QueryMemoryLimit, e.opts.MemoryLimit
	if m > 0 && (l <= 0 || m < l) {
		return m
	}
	return max(l, 0)
}

// newMemoryPool returns the pool the operators of all statements share, a 1/operatorShare of
// Options.MemoryLimit (the same part as of a statement's own limit), or nil without one.
func newMemoryPool(limit int64) *exec.MemoryPool {
	if limit <= 0 {
		return nil
	}
	return exec.NewMemoryPool(limit / operatorShare)
}

// spillBudget returns the statement's operator memory budget (Options.OperatorMemory, or a
// 1/operatorShare of its limit), taken out of the engine's pool when there is one, and the
// spill directory, for the statement's context; without a budget (nil) nothing spills. The
// caller calls done when the statement ends.
func (e *Engine) spillBudget() (_ *exec.MemoryBudget, dir func() (string, error), done func()) {
	ob := e.opts.OperatorMemory
	if ob <= 0 {
		l := e.statementLimit()
		if l <= 0 {
			return nil, nil, func() {}
		}
		ob = l / operatorShare
	}
	var b *exec.MemoryBudget
	if e.pool != nil {
		b = exec.NewPooledBudget(ob, e.pool)
	} else {
		b = exec.NewMemoryBudget(ob)
	}
	return b, e.spill.path, b.Close
}

// newLimitAllocator returns the allocator of a statement with a memory limit, which calls
// cancel when the statement goes over it, or the engine's allocator without a limit.
func (e *Engine) newLimitAllocator(cancel context.CancelCauseFunc) memory.Allocator {
	l := e.statementLimit()
	if l <= 0 {
		return e.alloc
	}
	return &limitAllocator{base: e.alloc, limit: l, cancel: cancel, total: &e.queryBytes}
}

// limitAllocator counts the Arrow memory one statement holds. When an allocation takes it
// over its limit, the allocation still succeeds (an allocator cannot fail), but the
// statement's context is cancelled with an errs.OutOfMemory cause: the operators stop at
// their next step, releasing what they hold on the way as on any cancellation, and the
// statement fails with SQLSTATE 53200 while the server keeps serving.
type limitAllocator struct {
	base   memory.Allocator
	limit  int64
	used   atomic.Int64
	total  *atomic.Int64 // the Arrow memory of every statement, for sleeper.memory
	cancel context.CancelCauseFunc
	once   sync.Once
}

func (a *limitAllocator) reserve(n int64) {
	a.total.Add(n)
	if a.used.Add(n) > a.limit && n > 0 {
		a.once.Do(func() {
			a.cancel(errs.New(errs.OutOfMemory, "out of memory: the query needs more than its limit of %d bytes", a.limit))
		})
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
	a.total.Add(-int64(len(b)))
	a.base.Free(b)
}

var _ memory.Allocator = (*limitAllocator)(nil)

// limitError returns the cause of a statement's failure: the out-of-memory error when the
// statement's context was cancelled for exceeding its limit, err otherwise.
func limitError(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	if cause := context.Cause(ctx); cause != nil {
		if k := errs.KindOf(cause); k == errs.OutOfMemory || k == errs.Cancelled && cause != ctx.Err() {
			// Out of memory, or the statement timeout: say so rather than "cancelled".
			return cause
		}
	}
	return err
}
