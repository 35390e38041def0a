package engine

import (
	"context"
	"errors"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/exec"
	"github.com/sleeperd/sleeperd/planner"
	"github.com/sleeperd/sleeperd/storage/statestore"
)

// updateKeys runs an UPDATE that sets primary key columns of a table with a primary key:
// each matching row is written with its new key, and a tombstone hides its old key unless
// another updated row takes that key, all in one commit. The new keys must be unique among
// themselves and must not exist in the table outside the rows updated (23505): uniqueness
// holds at the end of the statement, as for a deferred constraint in PostgreSQL (which
// checks it row by row, so that SET id = id + 1 can fail there and succeeds here).
//
// The commit is guarded by statestore.UnchangedSince the state read, as a rewrite is; the
// statement runs again when another write got in between (inside a transaction block, the
// block's COMMIT checks instead: commitGuarded). The old keys of the rows updated are held
// in memory.
func (e *Engine) updateKeys(ctx context.Context, u *planner.Update, params []any, ret *returner) (int64, error) {
	for attempt := 1; ; attempt++ {
		ret.reset()
		n, err := e.updateKeysOnce(ctx, u, params, ret)
		if !errors.Is(err, statestore.ErrRowsChanged) {
			return n, err
		}
		if attempt >= maxRewriteAttempts || ctx.Err() != nil {
			return 0, errs.Wrap(errs.Conflict, err, "could not serialize access due to concurrent update of table %q", u.Table.Name)
		}
	}
}

func (e *Engine) updateKeysOnce(ctx context.Context, u *planner.Update, params []any, ret *returner) (int64, error) {
	t := u.Table
	st, hold, err := e.readState(ctx, t)
	if err != nil {
		return 0, err
	}
	defer e.readers.release([]readHold{hold})

	// The plan: the new values of every column, then the old key columns.
	keyCols := append(append([]int{}, t.RowKeys...), t.SortKeys...)
	n := len(t.Columns)
	exprs := make([]planner.Expr, 0, n+len(keyCols))
	names := make([]string, 0, n+len(keyCols))
	for i, c := range t.Columns {
		col := u.Scan.Cols[i]
		if x, ok := u.Set[i]; ok {
			exprs = append(exprs, x)
		} else {
			exprs = append(exprs, &planner.ColumnRef{ID: col.ID, Name: col.Name, Typ: col.Type})
		}
		names = append(names, c.Name)
	}
	oldExprs, oldNames := columnRefs(u.Scan, keyCols)
	exprs, names = append(exprs, oldExprs...), append(names, oldNames...)

	targets := make([]int, n)
	for i := range targets {
		targets[i] = i
	}
	rw, err := e.newRowWriter(ctx, t, targets)
	if err != nil {
		return 0, err
	}
	defer rw.Abort()
	k := newKeySet(t)
	old := newKeySet(t) // the old keys, by identity
	var oldKeys []arrow.RecordBatch
	defer func() { releaseAll(oldKeys) }()
	keySchema := func(b arrow.RecordBatch) *arrow.Schema {
		return arrow.NewSchema(b.Schema().Fields()[n:], nil)
	}
	op, release, err := e.planAt(ctx, matching(u.Rows(), u.Pred, exprs, names), params, t, st)
	if err != nil {
		return 0, err
	}
	err = pump(ctx, op, func(ctx context.Context, b arrow.RecordBatch) error {
		rows := b.NumRows()
		if rows == 0 {
			return nil
		}
		src := array.NewRecordBatch(arrow.NewSchema(b.Schema().Fields()[:n], nil), b.Columns()[:n], rows)
		defer src.Release()
		rec, err := e.tableBatch(ctx, t, rw.schema, targets, src, rw.rules)
		if err != nil {
			return err
		}
		defer rec.Release()
		if err := rw.rules.check(ctx, t, rec); err != nil {
			return err
		}
		k.add(rec)
		if err := ret.add(ctx, rec); err != nil {
			return err
		}
		ok := array.NewRecordBatch(keySchema(b), b.Columns()[n:], rows)
		oldKeys = append(oldKeys, ok)
		old.addCols(keyColumns(n, keyCols, ok), int(rows))
		return rw.w.Append(rec)
	})
	release()
	if err != nil {
		return 0, err
	}
	if k.n == 0 {
		return 0, nil
	}
	if k.dup >= 0 {
		return 0, uniqueViolation(t, k.dupKey)
	}
	// A new key that exists must be the old key of a row updated.
	var clash string
	err = e.lookupKeys(ctx, t, st, k, false, func(cols []arrow.Array, rows []int32, ids []string) error {
		for j, id := range ids {
			if _, moved := old.ord[id]; !moved && clash == "" {
				clash = k.describe(cols, int(rows[j]))
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	if clash != "" {
		return 0, uniqueViolation(t, clash)
	}
	// Tombstones for the old keys no new row takes.
	tw, err := e.newTombstoneWriter(ctx, t, keyCols)
	if err != nil {
		return 0, err
	}
	defer tw.Abort()
	mem := exec.Allocator(ctx)
	for _, ok := range oldKeys {
		cols := keyColumns(n, keyCols, ok)
		var gone []int32
		for i := 0; i < int(ok.NumRows()); i++ {
			if _, taken := k.ord[k.identity(cols, i)]; !taken {
				gone = append(gone, int32(i))
			}
		}
		if len(gone) == 0 {
			continue
		}
		b := exec.TakeBatch(mem, ok, gone)
		err := tw.Append(ctx, b)
		b.Release()
		if err != nil {
			return 0, err
		}
	}
	streamEvent("commit")
	rows, err := rw.Prepare(ctx)
	if err != nil {
		return 0, err
	}
	tombs, err := tw.Prepare(ctx)
	if err != nil {
		rows.Discard(context.WithoutCancel(ctx))
		return 0, err
	}
	count := rows.Rows()
	if err := e.commitGuarded(ctx, t, statestore.UnchangedSince{Since: st.TxnNumber()}, nil, tombs, rows); err != nil {
		tombs.Discard(context.WithoutCancel(ctx))
		rows.Discard(context.WithoutCancel(ctx))
		return 0, err
	}
	return count, nil
}

// keyColumns places the columns of b, the key columns keyCols in order, at their index
// among n table columns; the others are nil. keySet reads key columns only.
func keyColumns(n int, keyCols []int, b arrow.RecordBatch) []arrow.Array {
	cols := make([]arrow.Array, n)
	for j, c := range keyCols {
		cols[c] = b.Column(j)
	}
	return cols
}
