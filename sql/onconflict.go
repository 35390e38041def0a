package sql

import (
	"fmt"
	"slices"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/sleeperd/sleeperd/catalog"
	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/planner"
)

// onConflict binds the ON CONFLICT clause of an INSERT into t. The only unique constraint a
// table has is its primary key, named <table>_pkey as PostgreSQL names it: the conflict
// target must name its columns or that constraint. DO NOTHING without a target on a table
// without a primary key never finds a conflict: it binds to nil, a plain INSERT.
func (b *binder) onConflict(oc *pg_query.OnConflictClause, t *catalog.Table, rv *pg_query.RangeVar) (*planner.OnConflict, error) {
	if err := b.conflictTarget(oc, t); err != nil {
		return nil, err
	}
	if oc.Action == pg_query.OnConflictAction_ONCONFLICT_NOTHING {
		if len(t.PrimaryKey) == 0 {
			return nil, nil
		}
		return &planner.OnConflict{DoNothing: true}, nil
	}
	out := &planner.OnConflict{Set: map[int]planner.Expr{}}
	var existing, excluded []planner.Column
	for _, c := range t.Columns {
		col := b.newColumn(c.Name, c.SQL())
		col.Nullable = c.Nullable
		out.Existing = append(out.Existing, col)
		ex := b.newColumn(c.Name, c.SQL())
		ex.Nullable = true
		out.Excluded = append(out.Excluded, ex)
		if !c.Hidden {
			existing, excluded = append(existing, col), append(excluded, ex)
		}
	}
	name := t.Name
	if rv.Alias != nil {
		name = rv.Alias.Aliasname
	}
	sc, err := relationScope(name, existing, nil)
	if err != nil {
		return nil, err
	}
	exc, err := relationScope("excluded", excluded, nil)
	if err != nil {
		return nil, err
	}
	if err := sc.add(exc); err != nil {
		return nil, err
	}
	b.scalars = nil
	for _, n := range oc.TargetList {
		rt := n.GetResTarget()
		idx := t.ColumnIndex(rt.Name)
		if idx >= 0 && slices.Contains(t.PrimaryKey, idx) {
			return nil, errs.New(errs.NotImplemented, "ON CONFLICT DO UPDATE of primary key column %q is not supported", rt.Name)
		}
		idx, ae, err := b.setTarget(t, rt, out.Set, sc)
		if err != nil {
			return nil, err
		}
		out.Set[idx] = ae
	}
	if out.Where, err = b.whereClause(oc.WhereClause, sc); err != nil {
		return nil, err
	}
	if len(b.scalars) > 0 {
		return nil, errs.New(errs.NotImplemented, "subqueries in ON CONFLICT DO UPDATE are not supported")
	}
	return out, nil
}

// conflictTarget checks the conflict target of oc against the primary key of t.
func (b *binder) conflictTarget(oc *pg_query.OnConflictClause, t *catalog.Table) error {
	inf := oc.Infer
	if inf == nil {
		if oc.Action == pg_query.OnConflictAction_ONCONFLICT_UPDATE {
			return errs.New(errs.Syntax, "ON CONFLICT DO UPDATE requires inference specification or constraint name")
		}
		return nil
	}
	noMatch := errs.New(errs.InvalidColumnRef, "there is no unique or exclusion constraint matching the ON CONFLICT specification")
	if inf.Conname != "" {
		if len(t.PrimaryKey) == 0 || inf.Conname != t.Name+"_pkey" {
			return errs.New(errs.UndefinedObject, "constraint %q for table %q does not exist", inf.Conname, t.Name)
		}
		return nil
	}
	if inf.WhereClause != nil || len(t.PrimaryKey) == 0 {
		return noMatch
	}
	var cols []int
	for _, n := range inf.IndexElems {
		ie := n.GetIndexElem()
		if ie == nil || ie.Name == "" {
			return noMatch
		}
		idx := t.ColumnIndex(ie.Name)
		if idx < 0 || t.Columns[idx].Hidden {
			return &errs.Error{Kind: errs.UndefinedColumn, Msg: fmt.Sprintf("column %q does not exist", ie.Name)}
		}
		if !slices.Contains(cols, idx) {
			cols = append(cols, idx)
		}
	}
	pk := slices.Clone(t.PrimaryKey)
	slices.Sort(pk)
	slices.Sort(cols)
	if !slices.Equal(pk, cols) {
		return noMatch
	}
	return nil
}
