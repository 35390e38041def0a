package engine

import (
	"bytes"
	"context"
	"errors"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sleeperd/sleeperd/catalog"
	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/planner"
	"github.com/sleeperd/sleeperd/storage/ingest"
	"github.com/sleeperd/sleeperd/storage/keys"
	"github.com/sleeperd/sleeperd/storage/statestore"
)

// An UPDATE of a table with a primary key that sets no key column writes the matching rows
// again as newer versions of their keys; a DELETE writes tombstones of them. Either commits
// with statestore.UnchangedSince the state it read over the range of the keys it wrote, so
// that a concurrent write of those keys (an UPDATE of the same rows) is not overwritten with
// values computed from the old ones, nor a row deleted that a concurrent UPDATE moved out of
// the condition: the statement runs again on the newer state instead, up to
// maxRewriteAttempts times, then fails with 40001. Inside a transaction block the statement
// reads the block's view and its work joins the block's, whose COMMIT checks for conflicts
// instead (commitGuarded).

// versionWriter is a write of new versions for one attempt: rowWriter or tombstoneWriter.
type versionWriter interface {
	Prepare(ctx context.Context) (*ingest.Prepared, error)
	Abort()
}

// updateVersions runs an UPDATE of a table with a primary key that sets no key column.
func (e *Engine) updateVersions(ctx context.Context, u *planner.Update, params []any, ret *returner) (int64, error) {
	t := u.Table
	exprs := make([]planner.Expr, len(t.Columns))
	names := make([]string, len(t.Columns))
	targets := make([]int, len(t.Columns))
	for i, c := range t.Columns {
		if x, ok := u.Set[i]; ok {
			exprs[i] = x
		} else {
			col := u.Scan.Cols[i]
			exprs[i] = &planner.ColumnRef{ID: col.ID, Name: col.Name, Typ: col.Type}
		}
		names[i] = c.Name
		targets[i] = i
	}
	root := matching(u.Rows(), u.Pred, exprs, names)
	return e.writeVersions(ctx, t, root, params, ret, func(ctx context.Context) (versionWriter, func(context.Context, arrow.RecordBatch) ([]arrow.Array, error), error) {
		w, err := e.newRowWriter(ctx, t, targets)
		if err != nil {
			return nil, nil, err
		}
		return w, func(ctx context.Context, b arrow.RecordBatch) ([]arrow.Array, error) {
			rec, err := e.tableBatch(ctx, t, w.schema, targets, b, w.rules)
			if err != nil {
				return nil, err
			}
			defer rec.Release()
			if err := w.rules.check(ctx, t, rec); err != nil {
				return nil, err
			}
			if err := ret.add(ctx, rec); err != nil {
				return nil, err
			}
			if err := w.w.Append(rec); err != nil {
				return nil, err
			}
			rk := make([]arrow.Array, len(t.RowKeys))
			for j, c := range t.RowKeys {
				rk[j] = b.Column(c)
			}
			return rk, nil
		}, nil
	})
}

// deleteKeys runs a DELETE of a table with a primary key: tombstones of the matching keys.
func (e *Engine) deleteKeys(ctx context.Context, d *planner.Delete, params []any, ret *returner) (int64, error) {
	t := d.Table
	keyCols := append(append([]int{}, t.RowKeys...), t.SortKeys...)
	exprs, names := columnRefs(d.Scan, keyCols)
	if ret != nil {
		// The deleted rows' columns follow their keys, for RETURNING.
		all := make([]int, len(t.Columns))
		for i := range all {
			all[i] = i
		}
		more, moreNames := columnRefs(d.Scan, all)
		exprs, names = append(exprs, more...), append(names, moreNames...)
	}
	root := matching(d.Rows(), d.Pred, exprs, names)
	return e.writeVersions(ctx, t, root, params, ret, func(ctx context.Context) (versionWriter, func(context.Context, arrow.RecordBatch) ([]arrow.Array, error), error) {
		w, err := e.newTombstoneWriter(ctx, t, keyCols)
		if err != nil {
			return nil, nil, err
		}
		var add batchWriter = w
		if ret != nil {
			add = returningTombstones{w, ret, len(keyCols)}
		}
		return w, func(ctx context.Context, b arrow.RecordBatch) ([]arrow.Array, error) {
			if err := add.Append(ctx, b); err != nil {
				return nil, err
			}
			return b.Columns()[:len(t.RowKeys)], nil
		}, nil
	})
}

// writeVersions runs root over the table's newest state, handing its batches to the writer
// open returns for each attempt (its append returns the row key columns of the batch), and
// commits what it wrote under a guard over the keys' range; it runs again when another
// write of those keys got in between.
func (e *Engine) writeVersions(ctx context.Context, t *catalog.Table, root planner.Node, params []any, ret *returner,
	open func(context.Context) (versionWriter, func(context.Context, arrow.RecordBatch) ([]arrow.Array, error), error)) (int64, error) {
	for attempt := 1; ; attempt++ {
		ret.reset()
		n, err := e.writeVersionsOnce(ctx, t, root, params, open)
		if !errors.Is(err, statestore.ErrRowsChanged) {
			return n, err
		}
		if attempt >= maxRewriteAttempts || ctx.Err() != nil {
			return 0, errs.Wrap(errs.Conflict, err, "could not serialize access due to concurrent update of table %q", t.Name)
		}
	}
}

func (e *Engine) writeVersionsOnce(ctx context.Context, t *catalog.Table, root planner.Node, params []any,
	open func(context.Context) (versionWriter, func(context.Context, arrow.RecordBatch) ([]arrow.Array, error), error)) (int64, error) {
	st, hold, err := e.readState(ctx, t)
	if err != nil {
		return 0, err
	}
	defer e.readers.release([]readHold{hold})
	w, add, err := open(ctx)
	if err != nil {
		return 0, err
	}
	defer w.Abort()
	op, release, err := e.planAt(ctx, root, params, t, st)
	if err != nil {
		return 0, err
	}
	var minKey, maxKey []byte
	err = pump(ctx, op, func(ctx context.Context, b arrow.RecordBatch) error {
		if b.NumRows() == 0 {
			return nil
		}
		rk, err := add(ctx, b)
		if err != nil {
			return err
		}
		for i := 0; i < int(b.NumRows()); i++ {
			k := keys.AppendRow(nil, rk, i)
			if minKey == nil || bytes.Compare(k, minKey) < 0 {
				minKey = k
			}
			if maxKey == nil || bytes.Compare(k, maxKey) > 0 {
				maxKey = k
			}
		}
		return nil
	})
	release()
	if err != nil {
		return 0, err
	}
	streamEvent("commit")
	p, err := w.Prepare(ctx)
	if err != nil {
		return 0, err
	}
	n := p.Rows()
	if n == 0 {
		return 0, nil
	}
	guard := statestore.UnchangedSince{Since: st.TxnNumber(), MinKey: minKey, MaxKey: maxKey}
	if err := e.commitGuarded(ctx, t, guard, nil, p); err != nil {
		p.Discard(context.WithoutCancel(ctx))
		return 0, err
	}
	return n, nil
}
