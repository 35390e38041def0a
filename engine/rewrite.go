package engine

import (
	"context"
	"errors"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/google/uuid"

	"github.com/sleeperd/sleeperd/catalog"
	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/exec"
	"github.com/sleeperd/sleeperd/planner"
	"github.com/sleeperd/sleeperd/planner/rules"
	"github.com/sleeperd/sleeperd/storage/ingest"
	"github.com/sleeperd/sleeperd/storage/statestore"
	"github.com/sleeperd/sleeperd/types"
)

// maxRewriteAttempts is how often a DELETE or UPDATE by predicate runs again when another
// writer added or deleted rows of its table between its read and its commit, before it
// fails with a serialization failure (40001).
const maxRewriteAttempts = 5

// rewrite is a DELETE or UPDATE of a table without a primary key, whose rows have no
// identity a new version could replace: the statement commits, as one log entry, a delete
// predicate that removes the rows it matched and the files of their new values (none for a
// DELETE). The predicate removes rows older than the entry; the new rows have the entry's
// own number, so it keeps them.
//
// The entry also holds statestore.UnchangedSince the state the statement read, so that it
// commits only if no other write added or deleted rows meanwhile: the predicate would
// remove rows the statement did not see (or did not rewrite), or the statement would
// rewrite rows another DELETE removed. When that happens the statement runs again on the
// newer state, up to maxRewriteAttempts times. Inside a transaction block the block's COMMIT
// checks for such writes instead (commitGuarded).
type rewrite struct {
	t    *catalog.Table
	scan *planner.Scan
	rows planner.Node // the rows Pred filters: the scan, with subqueries joined in
	pred planner.Expr // nil: every row
	// set maps column indices to their new values; nil for a DELETE.
	set map[int]planner.Expr
	// ret gets the rows deleted or the new rows, for RETURNING; nil without.
	ret *returner
}

// run runs the statement and returns the number of rows it deleted or updated.
func (e *Engine) runRewrite(ctx context.Context, r rewrite, params []any) (int64, error) {
	if err := r.check(); err != nil {
		return 0, err
	}
	enc, err := r.encodePred(ctx, params)
	if err != nil {
		return 0, err
	}
	for attempt := 1; ; attempt++ {
		n, err := e.rewriteOnce(ctx, r, enc, params)
		if !errors.Is(err, statestore.ErrRowsChanged) {
			return n, err
		}
		if attempt >= maxRewriteAttempts || ctx.Err() != nil {
			return 0, errs.Wrap(errs.Conflict, err, "could not serialize access due to concurrent update of table %q", r.t.Name)
		}
	}
}

// check refuses what the delete predicate cannot express.
func (r rewrite) check() error {
	if r.t.Props.Aggregations == "" || r.pred == nil {
		return nil
	}
	// An aggregating table stores the rows it combines: a predicate over a value column
	// matches the combined row, not the stored ones the delete predicate tests.
	var bad string
	planner.Walk(r.pred, func(x planner.Expr) bool {
		if c, ok := x.(*planner.ColumnRef); ok && bad == "" {
			if i := r.t.ColumnIndex(c.Name); i >= 0 && !contains(r.t.RowKeys, i) && !contains(r.t.SortKeys, i) {
				bad = c.Name
			}
		}
		return true
	})
	if bad != "" {
		return errs.New(errs.NotImplemented, "the WHERE clause of a DELETE or UPDATE of table %q, which aggregates its rows, can test its key columns only, not %q", r.t.Name, bad)
	}
	return nil
}

// encodePred returns the statement's predicate, with its parameters bound, as a delete
// predicate; nil when it cannot be one: it reads subqueries (joined onto the scan, while a
// delete predicate sees the table's columns only) or holds what the encoding cannot. Then
// each attempt matches the rows it read by their values (rowsPredicate).
func (r rewrite) encodePred(ctx context.Context, params []any) ([]byte, error) {
	if r.rows != planner.Node(r.scan) {
		return nil, nil
	}
	pred := r.pred
	if pred == nil {
		pred = &planner.Literal{Value: true, Typ: types.Bool}
	}
	bound, err := planner.BindParams(&planner.Filter{Input: r.scan, Pred: pred}, params)
	if err != nil {
		return nil, err
	}
	if bound, err = rules.FoldConstants(ctx, bound); err != nil {
		return nil, err
	}
	f, ok := bound.(*planner.Filter)
	if !ok {
		// Folding removed a constant true filter.
		f = &planner.Filter{Input: bound, Pred: &planner.Literal{Value: true, Typ: types.Bool}}
	}
	enc, err := planner.EncodeExpr(f.Pred)
	if err != nil {
		return nil, nil
	}
	return enc, nil
}

// maxRowsPredicate is the most rows a predicate matching rows by their values names.
const maxRowsPredicate = 1000

// rowsPredicate returns a delete predicate that matches the rows of the table in state st
// that the statement matches, by the values of all their columns (the row id of a keyless
// table among them): rows equal in every column are alike to any predicate. It names at
// most maxRowsPredicate rows; reads test it against every row until compaction applies it.
func (e *Engine) rowsPredicate(ctx context.Context, r rewrite, st *statestore.State, params []any) ([]byte, error) {
	if r.t.Props.Aggregations != "" {
		return nil, errs.New(errs.NotImplemented, "the WHERE clause of a DELETE or UPDATE of table %q, which aggregates its rows, cannot have subqueries", r.t.Name)
	}
	all := make([]int, len(r.t.Columns))
	for i := range all {
		all[i] = i
	}
	exprs, names := columnRefs(r.scan, all)
	op, release, err := e.planAt(ctx, matching(r.rows, r.pred, exprs, names), params, r.t, st)
	if err != nil {
		return nil, err
	}
	defer release()
	var or planner.Expr
	rows := 0
	err = pump(ctx, op, func(ctx context.Context, b arrow.RecordBatch) error {
		for i := 0; i < int(b.NumRows()); i++ {
			if rows++; rows > maxRowsPredicate {
				return errs.New(errs.NotImplemented, "a DELETE or UPDATE of table %q, which has no PRIMARY KEY, whose WHERE clause cannot be kept as a delete predicate (it has subqueries) may match at most %d rows", r.t.Name, maxRowsPredicate)
			}
			var and planner.Expr
			for j, c := range r.t.Columns {
				col := r.scan.Cols[j]
				ref := &planner.ColumnRef{ID: col.ID, Name: c.Name, Typ: col.Type}
				var x planner.Expr
				if v := planner.ValueAt(b.Column(j), i); v == nil {
					x = &planner.IsNull{E: ref}
				} else {
					x = &planner.Binary{Op: planner.OpEq, L: ref, R: &planner.Literal{Value: v, Typ: col.Type}, Typ: types.Bool}
				}
				if and == nil {
					and = x
				} else {
					and = &planner.Binary{Op: planner.OpAnd, L: and, R: x, Typ: types.Bool}
				}
			}
			if or == nil {
				or = and
			} else {
				or = &planner.Binary{Op: planner.OpOr, L: or, R: and, Typ: types.Bool}
			}
		}
		return nil
	})
	if err != nil || or == nil {
		return nil, err
	}
	enc, err := planner.EncodeExpr(or)
	if err != nil {
		return nil, errs.Wrap(errs.NotImplemented, err, "the rows a DELETE or UPDATE of table %q matches cannot be kept as a delete predicate: %v", r.t.Name, err)
	}
	return enc, nil
}

// rewriteOnce makes one attempt: read the table's state, write the new rows, commit. It
// fails with statestore.ErrRowsChanged when another write got in between. Inside a
// transaction block it reads the block's view of the table and its work joins the block's
// (commitGuarded).
func (e *Engine) rewriteOnce(ctx context.Context, r rewrite, pred []byte, params []any) (int64, error) {
	st, hold, err := e.readState(ctx, r.t)
	if err != nil {
		return 0, err
	}
	defer e.readers.release([]readHold{hold})

	var p *ingest.Prepared
	var n int64
	r.ret.reset()
	switch {
	case r.set == nil && r.ret != nil:
		if n, err = e.returnRowsAt(ctx, r, st, params); err != nil {
			return 0, err
		}
	case r.set == nil:
		if n, err = e.countRowsAt(ctx, r, st, params); err != nil {
			return 0, err
		}
	default:
		if p, err = e.prepareUpdate(ctx, r, st, params); err != nil {
			return 0, err
		}
		defer func() {
			if p != nil { // not committed
				p.Discard(context.WithoutCancel(ctx))
			}
		}()
		n = p.Rows()
	}
	if n == 0 {
		return 0, nil
	}
	if pred == nil {
		if pred, err = e.rowsPredicate(ctx, r, st, params); err != nil {
			return 0, err
		}
	}
	streamEvent("commit")
	// The predicate tests values in the types of r.t's schema: it is refused, as files are,
	// if a change of a column's type retired one of its stored names (alter_type.go).
	del := statestore.AddDeletePredicate{ID: uuid.NewString(), Predicate: pred, Columns: storedNames(r.t)}
	if err := e.commitGuarded(ctx, r.t, statestore.UnchangedSince{Since: st.TxnNumber()}, []statestore.Transaction{del}, p); err != nil {
		return 0, err
	}
	p = nil // committed, or the block's: the deferred Discard must not delete its files
	return n, nil
}

// countRowsAt counts the rows of the table in state st that the statement's predicate
// matches.
func (e *Engine) countRowsAt(ctx context.Context, r rewrite, st *statestore.State, params []any) (int64, error) {
	var rows planner.Node = r.rows
	if r.pred != nil {
		rows = &planner.Filter{Input: rows, Pred: r.pred}
	}
	agg := &planner.Aggregate{Input: rows, Aggs: []planner.AggCall{{Func: "count_star"}},
		Cols: []planner.Column{{ID: 2_000_000, Name: "count", Type: types.Int64}}}
	op, release, err := e.planAt(ctx, agg, params, r.t, st)
	if err != nil {
		return 0, err
	}
	defer release()
	batches, err := exec.Collect(ctx, op)
	if err != nil {
		return 0, err
	}
	defer releaseAll(batches)
	return firstCount(batches), nil
}

// prepareUpdate writes the new values of the rows the statement matches in state st into
// files, without committing them.
func (e *Engine) prepareUpdate(ctx context.Context, r rewrite, st *statestore.State, params []any) (*ingest.Prepared, error) {
	t := r.t
	exprs := make([]planner.Expr, len(t.Columns))
	names := make([]string, len(t.Columns))
	targets := make([]int, len(t.Columns))
	for i, c := range t.Columns {
		if x, ok := r.set[i]; ok {
			exprs[i] = x
		} else {
			col := r.scan.Cols[i]
			exprs[i] = &planner.ColumnRef{ID: col.ID, Name: col.Name, Typ: col.Type}
		}
		names[i] = c.Name
		targets[i] = i
	}
	w, err := e.newRowWriter(ctx, t, targets)
	if err != nil {
		return nil, err
	}
	defer w.Abort()
	op, release, err := e.planAt(ctx, matching(r.rows, r.pred, exprs, names), params, t, st)
	if err != nil {
		return nil, err
	}
	defer release()
	if err := pump(ctx, op, returningWriter{w, r.ret}.Append); err != nil {
		return nil, err
	}
	return w.Prepare(ctx)
}

// returnRowsAt hands the rows of the table in state st that the statement's predicate
// matches to its returner and counts them.
func (e *Engine) returnRowsAt(ctx context.Context, r rewrite, st *statestore.State, params []any) (int64, error) {
	all := make([]int, len(r.t.Columns))
	for i := range all {
		all[i] = i
	}
	exprs, names := columnRefs(r.scan, all)
	op, release, err := e.planAt(ctx, matching(r.rows, r.pred, exprs, names), params, r.t, st)
	if err != nil {
		return 0, err
	}
	defer release()
	var n int64
	err = pump(ctx, op, func(ctx context.Context, b arrow.RecordBatch) error {
		n += b.NumRows()
		return r.ret.add(ctx, b)
	})
	return n, err
}

// Prepare writes every row appended into files without committing them.
func (w *tableWriter) Prepare(ctx context.Context) (*ingest.Prepared, error) {
	p, err := w.w.Prepare(ctx)
	w.count()
	return p, err
}

// planAt is plan, reading table t at state st (other tables as plan reads them: readState).
func (e *Engine) planAt(ctx context.Context, root planner.Node, params []any, t *catalog.Table, st *statestore.State) (op exec.Operator, release func(), err error) {
	return e.planReading(ctx, root, params, false, t, st)
}

// firstCount returns the count in the first row of batches, or 0.
func firstCount(batches []arrow.RecordBatch) int64 {
	for _, b := range batches {
		if b.NumRows() > 0 {
			if c, ok := b.Column(0).(interface{ Value(int) int64 }); ok {
				return c.Value(0)
			}
		}
	}
	return 0
}

// storedNames returns the stored names of the columns of t (those its files hold), and the
// name of its definition (catalog.Table.FenceName).
func storedNames(t *catalog.Table) []string {
	names := make([]string, len(t.Columns), len(t.Columns)+1)
	for i, c := range t.Columns {
		names[i] = c.StoredName()
	}
	return append(names, t.FenceName())
}
