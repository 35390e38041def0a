package engine

import (
	"context"
	"fmt"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/sleeperd/sleeperd/exec"
	"github.com/sleeperd/sleeperd/planner"
)

// returner evaluates the RETURNING list of an INSERT, UPDATE or DELETE over the table rows
// the statement writes (or deletes), and holds the result rows until the statement has
// committed: a statement that fails returns none. A nil *returner, for a statement without
// RETURNING, does nothing.
type returner struct {
	exprs  []exec.Expr
	schema *arrow.Schema
	rows   []arrow.RecordBatch
}

// newReturner compiles r, with the statement's parameters; nil for a nil r.
func newReturner(r *planner.Returning, params []any) (*returner, error) {
	if r == nil {
		return nil, nil
	}
	layout := make(map[planner.ColumnID]int, len(r.Cols))
	for i, c := range r.Cols {
		layout[c.ID] = i
	}
	ret := &returner{schema: planner.ResultSchema(r.Out, r.Names)}
	for _, x := range r.Exprs {
		n, err := planner.BindParams(&planner.Filter{Input: &planner.Values{}, Pred: x}, params)
		if err != nil {
			return nil, err
		}
		c, err := planner.CompileExpr(n.(*planner.Filter).Pred, layout)
		if err != nil {
			return nil, err
		}
		ret.exprs = append(ret.exprs, c)
	}
	return ret, nil
}

// add evaluates the list over rec, a batch of the table's columns; the caller keeps rec.
func (r *returner) add(ctx context.Context, rec arrow.RecordBatch) error {
	if r == nil || rec.NumRows() == 0 {
		return nil
	}
	cols := make([]arrow.Array, len(r.exprs))
	defer func() {
		for _, c := range cols {
			if c != nil {
				c.Release()
			}
		}
	}()
	for i, x := range r.exprs {
		c, err := x.Eval(ctx, rec)
		if err != nil {
			return err
		}
		cols[i] = c
	}
	r.rows = append(r.rows, array.NewRecordBatch(r.schema, cols, rec.NumRows()))
	return nil
}

// reset drops the rows added, for a statement that runs again.
func (r *returner) reset() {
	if r == nil {
		return
	}
	releaseAll(r.rows)
	r.rows = nil
}

// result returns the statement's result: the rows added, or none without RETURNING, and
// the tag. The result owns the rows afterwards.
func (r *returner) result(tag string) Result {
	if r == nil {
		return &doneResult{tag: tag}
	}
	rows := r.rows
	r.rows = nil
	return &batchesResult{batches: rows, tag: tag}
}

// batchesResult is a result of batches held in memory.
type batchesResult struct {
	batches []arrow.RecordBatch
	tag     string
}

func (r *batchesResult) Next(context.Context) (arrow.RecordBatch, error) {
	if len(r.batches) == 0 {
		return nil, io.EOF
	}
	b := r.batches[0]
	r.batches = r.batches[1:]
	return b, nil
}

func (r *batchesResult) Tag() string { return r.tag }

func (r *batchesResult) Close() error {
	releaseAll(r.batches)
	r.batches = nil
	return nil
}

// returningWriter is a rowWriter that also hands each table batch it writes to a returner.
type returningWriter struct {
	*rowWriter
	ret *returner
}

// Append adds the rows of b; the caller keeps b.
func (w returningWriter) Append(ctx context.Context, b arrow.RecordBatch) error {
	if w.ret == nil {
		return w.rowWriter.Append(ctx, b)
	}
	return w.appendWith(ctx, b, w.ret.add)
}

// returningSchema is the schema of the rows of an INSERT, UPDATE or DELETE: nil without
// RETURNING.
func returningSchema(st planner.Statement) *arrow.Schema {
	var r *planner.Returning
	switch s := st.(type) {
	case *planner.Insert:
		r = s.Returning
	case *planner.Update:
		r = s.Returning
	case *planner.Delete:
		r = s.Returning
	}
	if r == nil {
		return nil
	}
	return planner.ResultSchema(r.Out, r.Names)
}

// runInsert runs an INSERT and returns its result: the RETURNING rows, if any, and the tag.
// The rows are committed only after the source is exhausted, so the statement does not see
// its own rows (INSERT INTO t SELECT ... FROM t reads t as it was).
func (e *Engine) runInsert(ctx context.Context, ins *planner.Insert, params []any) (Result, error) {
	ret, err := newReturner(ins.Returning, params)
	if err != nil {
		return nil, err
	}
	defer ret.reset()
	var n int64
	if len(ins.Table.PrimaryKey) > 0 {
		n, err = e.insertKeyed(ctx, ins, params, ret)
	} else {
		var w *rowWriter
		if w, err = e.newRowWriter(ctx, ins.Table, ins.Targets); err != nil {
			return nil, err
		}
		defer w.Abort()
		n, err = e.writePlan(ctx, ins.Source, params, returningWriter{w, ret})
	}
	if err != nil {
		return nil, err
	}
	return ret.result(fmt.Sprintf("INSERT 0 %d", n)), nil
}

// returningTombstones is a tombstoneWriter whose batches hold, after the nkeys key
// columns, every column of the rows deleted: those go to a returner.
type returningTombstones struct {
	*tombstoneWriter
	ret   *returner
	nkeys int
}

// Append adds the tombstones of the keys in b; the caller keeps b.
func (w returningTombstones) Append(ctx context.Context, b arrow.RecordBatch) error {
	rows := array.NewRecordBatch(arrow.NewSchema(b.Schema().Fields()[w.nkeys:], nil), b.Columns()[w.nkeys:], b.NumRows())
	err := w.ret.add(ctx, rows)
	rows.Release()
	if err != nil {
		return err
	}
	return w.tombstoneWriter.Append(ctx, b)
}
