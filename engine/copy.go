package engine

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/exec"
	"github.com/sleeperd/sleeperd/planner"
)

// copyOutResult is the result of COPY ... TO STDOUT: a query's rows.
type copyOutResult struct {
	*rowsResult
	fields []arrow.Field
	opts   CopyOptions
}

func (r *copyOutResult) CopyOut() ([]arrow.Field, CopyOptions) { return r.fields, r.opts }
func (r *copyOutResult) Tag() string                           { return fmt.Sprintf("COPY %d", r.rows) }

// copyInResult is the result of COPY ... FROM STDIN: it streams the batches the frontend
// decodes into a rowWriter, committed at CopyCommit and aborted by Close before that.
type copyInResult struct {
	e     *Engine
	st    *planner.Copy
	loc   *time.Location
	rows  int64
	alloc memory.Allocator
	w     *rowWriter // opened by the first CopyBatch or CopyCommit
	done  bool       // committed, or failed
	mu    sync.Mutex
	err   error // set when the copy's memory went over the limit
	// blk is the transaction block the copy runs in, or nil; onErr marks it failed.
	blk   *txnBlock
	onErr func()
}

func newCopyIn(e *Engine, st *planner.Copy, loc *time.Location) *copyInResult {
	r := &copyInResult{e: e, st: st, loc: loc}
	r.alloc = e.newLimitAllocator(func(cause error) {
		r.mu.Lock()
		r.err = cause
		r.mu.Unlock()
	})
	return r
}

func (r *copyInResult) Allocator() memory.Allocator { return r.alloc }

func (r *copyInResult) Check() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

func (r *copyInResult) CopyTarget() (string, []arrow.Field, CopyOptions) {
	t := r.st.Table
	cols := make([]planner.Column, len(r.st.Targets))
	for i, idx := range r.st.Targets {
		c := t.Columns[idx]
		cols[i] = planner.Column{Name: c.Name, Type: c.SQL()}
	}
	// Result fields carry the character types (varchar(n), char(n)) whose lengths COPY
	// enforces.
	fields := planner.ResultSchema(cols, nil).Fields()
	for i, idx := range r.st.Targets {
		fields[i].Nullable = t.Columns[idx].Nullable
	}
	return t.Name, fields, r.st.Options
}

// copyCtx is ctx carrying what the copy's writes need: its allocator, clock and time zone.
func (r *copyInResult) copyCtx(ctx context.Context) context.Context {
	return withBlock(exec.WithTimeZone(exec.WithNow(exec.WithAllocator(ctx, r.alloc), time.Now()), r.loc), r.blk)
}

// writer opens the copy's rowWriter on first use.
func (r *copyInResult) writer(ctx context.Context) (*rowWriter, error) {
	if r.done {
		return nil, errs.New(errs.Internal, "COPY FROM already finished")
	}
	if r.w == nil {
		t := r.st.Table
		targets := make([]int, len(t.Columns))
		for i := range targets {
			targets[i] = -1
		}
		for j, idx := range r.st.Targets {
			targets[idx] = j
		}
		w, err := r.e.newRowWriter(ctx, t, targets)
		if err != nil {
			return nil, err
		}
		r.w = w
	}
	return r.w, nil
}

// fail ends the copy after an error: what it held is dropped.
func (r *copyInResult) fail(err error) error {
	if err != nil {
		r.abort()
		if r.onErr != nil {
			r.onErr()
		}
	}
	return err
}

func (r *copyInResult) abort() {
	if r.w != nil {
		r.w.Abort()
		r.w = nil
	}
	r.done = true
}

func (r *copyInResult) CopyBatch(ctx context.Context, b arrow.RecordBatch) (err error) {
	defer func() { err = r.fail(err) }()
	defer r.e.recoverTo("copy", &err)
	panicSite("copy batch")
	if err := r.Check(); err != nil {
		return err
	}
	ctx = r.copyCtx(ctx)
	w, err := r.writer(ctx)
	if err != nil {
		return err
	}
	if err := w.Append(ctx, b); err != nil {
		return err
	}
	return r.Check()
}

func (r *copyInResult) CopyCommit(ctx context.Context) (err error) {
	defer func() { err = r.fail(err) }()
	defer r.e.recoverTo("copy", &err)
	panicSite("copy")
	if err := r.Check(); err != nil {
		return err
	}
	ctx = r.copyCtx(ctx)
	w, err := r.writer(ctx)
	if err != nil {
		return err
	}
	n, err := w.Commit(ctx)
	r.abort()
	if err != nil {
		return err
	}
	r.rows = n
	return nil
}

func (r *copyInResult) Next(context.Context) (arrow.RecordBatch, error) { return nil, io.EOF }
func (r *copyInResult) Tag() string                                     { return fmt.Sprintf("COPY %d", r.rows) }

// Close aborts a copy that was not committed: nothing it was given is written.
func (r *copyInResult) Close() error {
	r.abort()
	return nil
}

var (
	_ CopyOut = (*copyOutResult)(nil)
	_ CopyIn  = (*copyInResult)(nil)
)
