package engine

import (
	"context"
	"time"

	"github.com/sleeperd/sleeperd/catalog"
	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/exec"
	"github.com/sleeperd/sleeperd/planner"
	"github.com/sleeperd/sleeperd/storage/merge"
	"github.com/sleeperd/sleeperd/storage/statestore"
)

// mergeSpec returns how to read table t in state: nil when its files can be read as they are
// (no primary key, no iterators, no active deletes), else the iterator stack the scan
// applies after merging each leaf's files.
func (e *Engine) mergeSpec(ctx context.Context, t *catalog.Table, state *statestore.State) (*catalog.MergeSpec, error) {
	deletes := state.DeletePredicates()
	if len(t.PrimaryKey) == 0 && t.Props.Aggregations == "" && t.Props.Filters == "" && len(deletes) == 0 {
		return nil, nil
	}
	opts, err := e.iterators(t, deletes, time.Now(), true)
	if err != nil {
		return nil, err
	}
	return &catalog.MergeSpec{Options: opts}, nil
}

// iterators builds the iterator stack of a table over its merge schema, applying the given
// delete predicates and age-off filters as of now. dropTombstones is true for reads and for
// compactions that see every older version of their keys.
func (e *Engine) iterators(t *catalog.Table, deletes []statestore.DeletePredicate, now time.Time, dropTombstones bool) (merge.Options, error) {
	schema := t.MergeSchema()
	n := len(t.Columns)
	keyCols := append(append([]int{}, t.RowKeys...), t.SortKeys...)
	opts := merge.Options{
		RowKeys: t.RowKeys, SortKeys: t.SortKeys, VersionCol: n, DeletedCol: n + 1,
		LastWriteWins: len(t.PrimaryKey) > 0, DropTombstones: dropTombstones,
	}
	if t.Props.Aggregations != "" {
		aggs, err := merge.ParseAggregations(t.Props.Aggregations, schema, keyCols)
		if err != nil {
			return opts, err
		}
		opts.Aggregations, opts.LastWriteWins = aggs, false
	}
	if t.Props.Filters != "" {
		filters, err := merge.ParseFilters(t.Props.Filters, schema)
		if err != nil {
			return opts, err
		}
		for _, f := range filters {
			opts.AgeOff = append(opts.AgeOff, f.At(now))
		}
	}
	for _, d := range deletes {
		pred, err := e.compileDelete(t, d.Predicate)
		if err != nil {
			return opts, err
		}
		opts.Deletes = append(opts.Deletes, merge.Delete{Txn: int64(d.Txn), Pred: pred})
	}
	return opts, nil
}

// compileDelete compiles a stored delete predicate over the table's merge schema.
func (e *Engine) compileDelete(t *catalog.Table, data []byte) (exec.Expr, error) {
	layout := make(map[planner.ColumnID]int, len(t.Columns))
	resolve := func(name string) (planner.ColumnRef, bool) {
		i := t.ColumnIndex(name)
		if i < 0 {
			return planner.ColumnRef{}, false
		}
		id := planner.ColumnID(i + 1)
		layout[id] = i
		return planner.ColumnRef{ID: id, Name: name, Typ: t.Columns[i].Type}, true
	}
	pred, err := planner.DecodeExpr(data, resolve)
	if err != nil {
		return nil, errs.Wrap(errs.Internal, err, "table %s: delete predicate: %v", t.Name, err)
	}
	return planner.CompileExpr(pred, layout)
}

// validateIterators checks a table's iterator properties against its schema.
func (e *Engine) validateIterators(t *catalog.Table) error {
	_, err := e.iterators(t, nil, time.Now(), true)
	return err
}
