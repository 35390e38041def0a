package engine

import (
	"bytes"
	"context"
	"errors"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/planner"
	"github.com/sleeperd/sleeperd/storage/ingest"
	"github.com/sleeperd/sleeperd/storage/keys"
	"github.com/sleeperd/sleeperd/storage/statestore"
)

// updateVersions runs an UPDATE of a table with a primary key that sets no key column: the
// matching rows are written again with their new values, as newer versions of their keys.
// The commit holds statestore.UnchangedSince the state read over the range of the keys
// updated, so that a concurrent write of those keys (an UPDATE of the same rows) is not
// overwritten with values computed from the old ones: the statement runs again on the newer
// state instead, up to maxRewriteAttempts times, then fails with 40001.
func (e *Engine) updateVersions(ctx context.Context, u *planner.Update, params []any, ret *returner) (int64, error) {
	for attempt := 1; ; attempt++ {
		ret.reset()
		n, err := e.updateVersionsOnce(ctx, u, params, ret)
		if !errors.Is(err, statestore.ErrRowsChanged) {
			return n, err
		}
		if attempt >= maxRewriteAttempts || ctx.Err() != nil {
			return 0, errs.Wrap(errs.Conflict, err, "could not serialize access due to concurrent update of table %q", u.Table.Name)
		}
	}
}

func (e *Engine) updateVersionsOnce(ctx context.Context, u *planner.Update, params []any, ret *returner) (int64, error) {
	t := u.Table
	id := t.StateID()
	st, err := e.ss.Snapshot(ctx, id)
	if err != nil {
		return 0, err
	}
	held := []readHold{e.readers.hold(id, st.TxnNumber())}
	defer func() { e.readers.release(held) }()

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
	w, err := e.newRowWriter(ctx, t, targets)
	if err != nil {
		return 0, err
	}
	defer w.Abort()
	op, release, err := e.planAt(ctx, matching(u.Rows(), u.Pred, exprs, names), params, t, st)
	if err != nil {
		return 0, err
	}
	var minKey, maxKey []byte
	rk := make([]arrow.Array, len(t.RowKeys))
	err = pump(ctx, op, func(ctx context.Context, b arrow.RecordBatch) error {
		if b.NumRows() == 0 {
			return nil
		}
		rec, err := e.tableBatch(ctx, t, w.schema, targets, b)
		if err != nil {
			return err
		}
		defer rec.Release()
		for j, c := range t.RowKeys {
			rk[j] = rec.Column(c)
		}
		for i := 0; i < int(rec.NumRows()); i++ {
			k := keys.AppendRow(nil, rk, i)
			if minKey == nil || bytes.Compare(k, minKey) < 0 {
				minKey = k
			}
			if maxKey == nil || bytes.Compare(k, maxKey) > 0 {
				maxKey = k
			}
		}
		if err := ret.add(ctx, rec); err != nil {
			return err
		}
		return w.w.Append(rec)
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
	defer p.Abort(context.WithoutCancel(ctx))
	if p.Rows() == 0 {
		return 0, nil
	}
	guard := statestore.UnchangedSince{Since: st.TxnNumber(), MinKey: minKey, MaxKey: maxKey}
	cur := st
	for attempt := 1; ; attempt++ {
		add, err := p.Txn(ctx, cur)
		if err != nil {
			return 0, err
		}
		_, err = e.ss.Commit(ctx, id, statestore.Batch{Txns: []statestore.Transaction{guard, add}})
		if err == nil {
			p.Done()
			return p.Rows(), nil
		}
		if errors.Is(err, statestore.ErrRowsChanged) || !errors.Is(err, statestore.ErrInvalidTransaction) || attempt >= ingest.MaxAttempts {
			return 0, err
		}
		fresh, serr := e.ss.Snapshot(ctx, id)
		if serr != nil || samePartitions(cur, fresh) {
			return 0, err
		}
		cur = fresh
	}
}
