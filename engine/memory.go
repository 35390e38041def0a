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

// withSpill returns ctx carrying the statement's operator memory budget and the spill
// directory, when the engine has a query memory limit; without one nothing spills.
func (e *Engine) withSpill(ctx context.Context) context.Context {
	l := e.opts.QueryMemoryLimit
	if l <= 0 {
		return ctx
	}
	ctx = exec.WithMemoryBudget(ctx, exec.NewMemoryBudget(l/operatorShare))
	return exec.WithSpillDir(ctx, e.spill.path)
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
	cancel context.CancelCauseFunc
	once   sync.Once
}

func (a *limitAllocator) reserve(n int64) {
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
