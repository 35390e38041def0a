package sql

import (
	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/sleeperd/sleeperd/catalog"
	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/planner"
)

// returning binds the RETURNING list of a statement writing rows of t: its expressions see
// the columns cols (one per table column) through the scope sc, as a select list would.
func (b *binder) returning(list []*pg_query.Node, t *catalog.Table, cols []planner.Column, sc *scope) (*planner.Returning, error) {
	if len(list) == 0 {
		return nil, nil
	}
	scalars := b.scalars
	b.scalars = nil
	defer func() { b.scalars = scalars }()
	// A FROM clause, for selectTargets: "*" is the table's columns.
	from := []*pg_query.Node{{}}
	targets, err := b.selectTargets(&pg_query.SelectStmt{TargetList: list, FromClause: from}, sc)
	if err != nil {
		return nil, err
	}
	b.clause = "RETURNING"
	err = b.bindTargets(targets, sc, nil, nil, nil)
	b.clause = ""
	if err != nil {
		return nil, err
	}
	if len(b.scalars) > 0 {
		return nil, errs.New(errs.NotImplemented, "subqueries in RETURNING are not supported")
	}
	r := &planner.Returning{Cols: cols}
	for _, tg := range targets {
		r.Exprs = append(r.Exprs, tg.expr)
		r.Names = append(r.Names, tg.name)
		r.Out = append(r.Out, b.newColumn(tg.name, tg.expr.Type()))
	}
	return r, nil
}

// insertScope is the scope of the RETURNING list of an INSERT into t: the row inserted,
// under the table's name or alias.
func (b *binder) insertScope(t *catalog.Table, rv *pg_query.RangeVar) ([]planner.Column, *scope, error) {
	var cols, visible []planner.Column
	for _, c := range t.Columns {
		col := b.newColumn(c.Name, c.SQL())
		col.Nullable = c.Nullable
		cols = append(cols, col)
		if !c.Hidden {
			visible = append(visible, col)
		}
	}
	name := t.Name
	if rv.Alias != nil {
		name = rv.Alias.Aliasname
	}
	sc, err := relationScope(name, visible, nil)
	return cols, sc, err
}
