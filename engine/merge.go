package engine

import (
	"context"
	"errors"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/sleeperd/sleeperd/catalog"
	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/exec"
	"github.com/sleeperd/sleeperd/planner"
	"github.com/sleeperd/sleeperd/storage/statestore"
)

// MERGE (planner.Merge) runs its plan once, over one state of each table, and holds the
// joined rows in memory; then it writes what the WHEN clauses chose, through the writers of
// UPDATE, DELETE and INSERT into a table with a PRIMARY KEY: tombstones of the rows deleted
// (and of the old keys of rows whose key is updated), new versions of the rows updated, and
// the rows inserted (and rows under a new key), whose keys must not exist once the
// tombstones and versions are applied, nor repeat (23505).
//
// Every write joins a transaction block: the connection's, when the statement runs in one
// (it then commits or rolls back with the block), or else a block of the statement's own,
// committed as the statement ends, so that the writes become visible together in one log
// entry, or not at all when anything fails. That block reads one state of the table
// (REPEATABLE READ), and its commit fails when another write of the same keys committed
// after that state; the statement then runs again, up to maxRewriteAttempts times.
//
// A table without a primary key has no row identity that a new version or a tombstone could
// name: MERGE into one may only INSERT (or DO NOTHING).

// runMerge runs MERGE and returns its result, tagged MERGE n.
func (e *Engine) runMerge(ctx context.Context, m *planner.Merge, params []any) (Result, error) {
	if err := mergeSupported(m); err != nil {
		return nil, err
	}
	if blockOf(ctx) != nil {
		n, err := e.mergeOnce(ctx, m, params)
		if err != nil {
			return nil, err
		}
		return &doneResult{tag: fmt.Sprintf("MERGE %d", n)}, nil
	}
	for attempt := 1; ; attempt++ {
		n, err := e.mergeAlone(ctx, m, params)
		if err == nil {
			return &doneResult{tag: fmt.Sprintf("MERGE %d", n)}, nil
		}
		if !errors.Is(err, errs.Conflict) || attempt >= maxRewriteAttempts || ctx.Err() != nil {
			return nil, err
		}
	}
}

// mergeSupported refuses UPDATE and DELETE actions on a table without a primary key.
func mergeSupported(m *planner.Merge) error {
	if len(m.Table.PrimaryKey) > 0 {
		return nil
	}
	for _, a := range m.Actions {
		if a.Kind == planner.MergeUpdate || a.Kind == planner.MergeDelete {
			return &errs.Error{Kind: errs.NotImplemented,
				Msg:  fmt.Sprintf("MERGE with WHEN MATCHED THEN UPDATE or DELETE needs a table with a primary key, and %q has none", m.Table.Name),
				Hint: "Use UPDATE and DELETE statements in a transaction block, or give the table a PRIMARY KEY."}
		}
	}
	return nil
}

// mergeAlone runs MERGE in a transaction block of its own and commits it.
func (e *Engine) mergeAlone(ctx context.Context, m *planner.Merge, params []any) (int64, error) {
	b := &txnBlock{e: e, tables: map[statestore.TableID]*txnTable{}, reads: map[statestore.TableID]uint64{},
		level: func() string { return "repeatable read" }}
	defer b.end(ctx)
	n, err := e.mergeOnce(withBlock(ctx, b), m, params)
	if err == nil {
		streamEvent("commit")
		err = b.commit(ctx)
	}
	if err != nil {
		b.rollback(ctx)
		return 0, err
	}
	return n, nil
}

// mergeOnce runs the plan of MERGE and writes its actions into the block of ctx; it returns
// the number of rows inserted, updated and deleted.
func (e *Engine) mergeOnce(ctx context.Context, m *planner.Merge, params []any) (int64, error) {
	batches, err := e.runPlan(ctx, m.Rows, params)
	if err != nil {
		return 0, err
	}
	defer releaseAll(batches)
	sel, n, err := mergeSelect(m, batches)
	if err != nil {
		return 0, err
	}
	w := &mergeWriter{e: e, m: m, t: m.Table, inserts: map[int]*rowWriter{}}
	defer w.abort()
	for i, b := range batches {
		for k, idx := range sel[i] {
			if len(idx) > 0 {
				if err := w.add(ctx, b, k, idx); err != nil {
					return 0, err
				}
			}
		}
	}
	return n, w.commit(ctx)
}

// mergeSelect sorts the rows of each batch by the clause that applies (sel[batch][clause]
// are the rows), counts the rows inserted, updated or deleted, and refuses a target row
// that two source rows would update or delete (21000).
func mergeSelect(m *planner.Merge, batches []arrow.RecordBatch) ([][][]int32, int64, error) {
	t := m.Table
	ks := newKeySet(t)
	changed := map[string]bool{}
	sel := make([][][]int32, len(batches))
	var n int64
	for i, b := range batches {
		sel[i] = make([][]int32, len(m.Actions))
		act := b.Column(0).(*array.Int32)
		cols := mergeTargetCols(m, b)
		for r := 0; r < int(b.NumRows()); r++ {
			k := int(act.Value(r)) - 1
			if act.IsNull(r) || k < 0 {
				continue
			}
			sel[i][k] = append(sel[i][k], int32(r))
			switch m.Actions[k].Kind {
			case planner.MergeNothing:
				continue
			case planner.MergeUpdate, planner.MergeDelete:
				id := ks.identity(cols, r)
				if changed[id] {
					return nil, 0, &errs.Error{Kind: errs.TooManyRows, Msg: "MERGE command cannot affect row a second time",
						Hint: "Ensure that not more than one source row matches any one target row."}
				}
				changed[id] = true
			}
			n++
		}
	}
	return sel, n, nil
}

// mergeTargetCols returns the target row's columns of a batch of the plan of MERGE, one per
// table column.
func mergeTargetCols(m *planner.Merge, b arrow.RecordBatch) []arrow.Array {
	cols := make([]arrow.Array, len(m.Table.Columns))
	for i := range cols {
		cols[i] = b.Column(m.TargetCol(i))
	}
	return cols
}

// mergeWriter writes the actions of MERGE: each writer is opened at its first row.
type mergeWriter struct {
	e *Engine
	m *planner.Merge
	t *catalog.Table
	// tombs are the keys of rows deleted, and the old keys of rows whose key is updated.
	tombs *tombstoneWriter
	// versions are rows updated under their key.
	versions *rowWriter
	// inserts are the rows of each INSERT clause, by clause; moved, rows whose key is
	// updated, under their new key. keys are the keys of both.
	inserts map[int]*rowWriter
	moved   *rowWriter
	keys    *keySet
}

// add writes the rows idx of batch b, which clause k takes.
func (w *mergeWriter) add(ctx context.Context, b arrow.RecordBatch, k int, idx []int32) error {
	a := w.m.Actions[k]
	switch a.Kind {
	case planner.MergeDelete:
		return w.delete(ctx, b, idx)
	case planner.MergeUpdate:
		return w.update(ctx, b, a, idx)
	case planner.MergeInsert:
		return w.insert(ctx, b, k, a, idx)
	}
	return nil
}

// pick returns the rows idx of the columns cols of b as a new batch.
func pick(ctx context.Context, b arrow.RecordBatch, cols []int, idx []int32) arrow.RecordBatch {
	fields := make([]arrow.Field, len(cols))
	arrs := make([]arrow.Array, len(cols))
	for i, c := range cols {
		fields[i] = arrow.Field{Name: fmt.Sprintf("c%d", i), Type: b.Column(c).DataType(), Nullable: true}
		arrs[i] = b.Column(c)
	}
	sub := array.NewRecordBatch(arrow.NewSchema(fields, nil), arrs, b.NumRows())
	defer sub.Release()
	return exec.TakeBatch(exec.Allocator(ctx), sub, idx)
}

func (w *mergeWriter) keyCols() []int {
	return append(append([]int{}, w.t.RowKeys...), w.t.SortKeys...)
}

// delete writes tombstones of the target rows idx of b.
func (w *mergeWriter) delete(ctx context.Context, b arrow.RecordBatch, idx []int32) error {
	if w.tombs == nil {
		tw, err := w.e.newTombstoneWriter(ctx, w.t, w.keyCols())
		if err != nil {
			return err
		}
		w.tombs = tw
	}
	cols := make([]int, 0, len(w.t.Columns))
	for _, c := range w.keyCols() {
		cols = append(cols, w.m.TargetCol(c))
	}
	rec := pick(ctx, b, cols, idx)
	defer rec.Release()
	return w.tombs.Append(ctx, rec)
}

// update writes the rows idx of b with the values of clause a: as new versions of their
// keys, or, when a sets a key column, as a tombstone of the old key and a row under the new.
func (w *mergeWriter) update(ctx context.Context, b arrow.RecordBatch, a planner.MergeAction, idx []int32) error {
	cols := make([]int, len(w.t.Columns))
	moves := false
	for i := range cols {
		cols[i] = w.m.TargetCol(i)
	}
	for j, c := range a.Cols {
		cols[c] = a.First + j
		moves = moves || contains(w.t.RowKeys, c) || contains(w.t.SortKeys, c)
	}
	rec := pick(ctx, b, cols, idx)
	defer rec.Release()
	if !moves {
		if w.versions == nil {
			rw, err := w.e.newRowWriter(ctx, w.t, identity(len(w.t.Columns)))
			if err != nil {
				return err
			}
			w.versions = rw
		}
		return w.versions.Append(ctx, rec)
	}
	if err := w.delete(ctx, b, idx); err != nil {
		return err
	}
	if w.moved == nil {
		rw, err := w.e.newRowWriter(ctx, w.t, identity(len(w.t.Columns)))
		if err != nil {
			return err
		}
		w.moved = rw
	}
	return w.moved.appendWith(ctx, rec, w.addKeys)
}

// insert writes the rows idx of b with the values of INSERT clause k.
func (w *mergeWriter) insert(ctx context.Context, b arrow.RecordBatch, k int, a planner.MergeAction, idx []int32) error {
	rw := w.inserts[k]
	if rw == nil {
		targets := make([]int, len(w.t.Columns))
		for i := range targets {
			targets[i] = -1
		}
		for j, c := range a.Cols {
			targets[c] = j
		}
		var err error
		if rw, err = w.e.newRowWriter(ctx, w.t, targets); err != nil {
			return err
		}
		w.inserts[k] = rw
	}
	cols := make([]int, len(a.Cols))
	for j := range a.Cols {
		cols[j] = a.First + j
	}
	var rec arrow.RecordBatch
	if len(cols) == 0 {
		// DEFAULT VALUES: a batch of no columns, as many rows as taken.
		rec = array.NewRecordBatch(arrow.NewSchema(nil, nil), nil, int64(len(idx)))
	} else {
		rec = pick(ctx, b, cols, idx)
	}
	defer rec.Release()
	return rw.appendWith(ctx, rec, w.addKeys)
}

// addKeys records the keys of rows a table with a primary key gets under a key it may not
// have had: rows inserted, rows whose key is updated.
func (w *mergeWriter) addKeys(_ context.Context, rec arrow.RecordBatch) error {
	if len(w.t.PrimaryKey) == 0 {
		return nil
	}
	if w.keys == nil {
		w.keys = newKeySet(w.t)
	}
	w.keys.add(rec)
	return nil
}

func identity(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

// commit commits the writes into the block of ctx: tombstones and versions first, then,
// once no key of the rows inserted is found in the table so changed, the rows inserted.
func (w *mergeWriter) commit(ctx context.Context) error {
	if w.tombs != nil {
		if _, err := w.tombs.Commit(ctx); err != nil {
			return err
		}
	}
	if w.versions != nil {
		if _, err := w.versions.Commit(ctx); err != nil {
			return err
		}
	}
	if err := w.checkKeys(ctx); err != nil {
		return err
	}
	for k := range w.m.Actions {
		if rw := w.inserts[k]; rw != nil {
			if _, err := rw.Commit(ctx); err != nil {
				return err
			}
		}
	}
	if w.moved != nil {
		if _, err := w.moved.Commit(ctx); err != nil {
			return err
		}
	}
	return nil
}

// checkKeys refuses a key of the rows inserted that repeats, or that the table has once the
// statement's tombstones and versions apply (23505).
func (w *mergeWriter) checkKeys(ctx context.Context) error {
	k := w.keys
	if k == nil || k.n == 0 {
		return nil
	}
	if k.dup >= 0 {
		return uniqueViolation(w.t, k.dupKey)
	}
	st, hold, err := w.e.readState(ctx, w.t)
	if err != nil {
		return err
	}
	defer w.e.readers.release([]readHold{hold})
	return w.e.lookupKeys(ctx, w.t, st, k, false, func(cols []arrow.Array, rows []int32, _ []string) error {
		return uniqueViolation(w.t, k.describe(cols, int(rows[0])))
	})
}

// abort drops whatever was not committed.
func (w *mergeWriter) abort() {
	if w.tombs != nil {
		w.tombs.Abort()
	}
	if w.versions != nil {
		w.versions.Abort()
	}
	for _, rw := range w.inserts {
		rw.Abort()
	}
	if w.moved != nil {
		w.moved.Abort()
	}
}

// mergePrivileges are the privileges MERGE needs on its target: SELECT (its ON condition
// reads the target), and those of the actions its WHEN clauses name.
func mergePrivileges(m *planner.Merge) catalog.Privilege {
	var p catalog.Privilege
	for _, a := range m.Actions {
		switch a.Kind {
		case planner.MergeUpdate:
			p |= catalog.PrivUpdate
		case planner.MergeDelete:
			p |= catalog.PrivDelete
		case planner.MergeInsert:
			p |= catalog.PrivInsert
		}
	}
	return p
}
