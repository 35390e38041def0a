package engine

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

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

// copyInResult is the result of COPY ... FROM STDIN, waiting for its rows.
type copyInResult struct {
	e     *Engine
	st    *planner.Copy
	loc   *time.Location
	rows  int64
	alloc memory.Allocator
	mu    sync.Mutex
	err   error // set when the copy's memory went over the limit
}

func newCopyIn(e *Engine, st *planner.Copy, loc *time.Location) *copyInResult {
	r := &copyInResult{e: e, st: st, loc: loc, alloc: e.alloc}
	if e.opts.QueryMemoryLimit > 0 {
		r.alloc = &limitAllocator{base: e.alloc, limit: e.opts.QueryMemoryLimit, cancel: func(cause error) {
			r.mu.Lock()
			r.err = cause
			r.mu.Unlock()
		}}
	}
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

func (r *copyInResult) CopyFrom(ctx context.Context, batches []arrow.RecordBatch) (err error) {
	defer r.e.recoverTo("copy", &err)
	if err := r.Check(); err != nil {
		return err
	}
	e := r.e
	ctx = exec.WithTimeZone(exec.WithNow(exec.WithAllocator(ctx, r.alloc), time.Now()), r.loc)
	t := r.st.Table
	targets := make([]int, len(t.Columns))
	for i := range targets {
		targets[i] = -1
	}
	for j, idx := range r.st.Targets {
		targets[idx] = j
	}
	n, err := e.writeRows(ctx, t, targets, batches)
	if err == nil {
		err = r.Check()
	}
	if err != nil {
		return err
	}
	r.rows = n
	return nil
}

func (r *copyInResult) Next(context.Context) (arrow.RecordBatch, error) { return nil, io.EOF }
func (r *copyInResult) Tag() string                                     { return fmt.Sprintf("COPY %d", r.rows) }
func (r *copyInResult) Close() error                                    { return nil }

var (
	_ CopyOut = (*copyOutResult)(nil)
	_ CopyIn  = (*copyInResult)(nil)
)
