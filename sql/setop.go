package sql

import (
	"github.com/apache/arrow-go/v18/arrow"
	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/planner"
	"github.com/sleeperd/sleeperd/types"
)

// setOp binds UNION, INTERSECT and EXCEPT [ALL], then the ORDER BY, LIMIT and OFFSET that
// apply to the combined result (by output position or name, as PostgreSQL allows).
func (b *binder) setOp(sel *pg_query.SelectStmt) (planner.Node, []string, error) {
	// The branches' untyped outputs take the type the other branch gives the column, so
	// a branch with one is bound again once the types are known.
	b.out = &outputTypes{}
	left, names, err := b.selectStmt(sel.Larg)
	if err != nil {
		return nil, nil, err
	}
	b.out = &outputTypes{}
	right, _, err := b.selectStmt(sel.Rarg)
	if err != nil {
		return nil, nil, err
	}
	lc, rc := left.Columns(), right.Columns()
	what := map[pg_query.SetOperation]string{
		pg_query.SetOperation_SETOP_UNION: "UNION", pg_query.SetOperation_SETOP_INTERSECT: "INTERSECT", pg_query.SetOperation_SETOP_EXCEPT: "EXCEPT",
	}[sel.Op]
	if len(lc) != len(rc) {
		return nil, nil, errs.New(errs.Syntax, "each %s query must have the same number of columns", what)
	}
	colTypes := make([]arrow.DataType, len(lc))
	for i := range lc {
		t, err := types.SelectCommon(lc[i].Type, rc[i].Type)
		if err != nil {
			return nil, nil, errs.New(errs.DatatypeMismatch, "%s types %s and %s cannot be matched", what, types.Name(lc[i].Type), types.Name(rc[i].Type))
		}
		if types.IsUnknown(t) || t.ID() == arrow.NULL {
			t = types.Text
		}
		colTypes[i] = t
	}
	if untyped(left) {
		b.out = &outputTypes{types: colTypes}
		if left, _, err = b.selectStmt(sel.Larg); err != nil {
			return nil, nil, err
		}
	}
	if untyped(right) {
		b.out = &outputTypes{types: colTypes}
		if right, _, err = b.selectStmt(sel.Rarg); err != nil {
			return nil, nil, err
		}
	}
	left, right = b.castColumns(left, colTypes), b.castColumns(right, colTypes)
	op := &planner.SetOp{All: sel.All, Left: left, Right: right}
	switch sel.Op {
	case pg_query.SetOperation_SETOP_INTERSECT:
		op.Kind = planner.SetIntersect
	case pg_query.SetOperation_SETOP_EXCEPT:
		op.Kind = planner.SetExcept
	}
	for i, t := range colTypes {
		op.Cols = append(op.Cols, b.newColumn(names[i], t))
	}
	out, err := b.sortLimit(sel, op, op.Cols, what)
	if err != nil {
		return nil, nil, err
	}
	return out, names, nil
}

// untyped reports whether a column of n has no type yet (NULL or a quoted literal).
func untyped(n planner.Node) bool {
	for _, c := range n.Columns() {
		if types.IsUnknown(c.Type) || c.Type.ID() == arrow.NULL {
			return true
		}
	}
	return false
}

// castColumns returns n with its columns cast to types where they differ.
func (b *binder) castColumns(n planner.Node, colTypes []arrow.DataType) planner.Node {
	cols := n.Columns()
	same := true
	for i, c := range cols {
		if !arrow.TypeEqual(c.Type, colTypes[i]) {
			same = false
		}
	}
	if same {
		return n
	}
	p := &planner.Project{Input: n}
	for i, c := range cols {
		p.Exprs = append(p.Exprs, b.coerce(ref(c), colTypes[i]))
		p.Cols = append(p.Cols, b.newColumn(c.Name, colTypes[i]))
	}
	return p
}

// sortLimit applies the ORDER BY, LIMIT and OFFSET of a set operation or VALUES list to its
// result n, whose columns are cols: ORDER BY names output columns by position or name.
func (b *binder) sortLimit(sel *pg_query.SelectStmt, n planner.Node, cols []planner.Column, what string) (planner.Node, error) {
	out := n
	if len(sel.SortClause) > 0 {
		sort := &planner.Sort{Input: out}
		for _, n := range sel.SortClause {
			sb := n.GetSortBy()
			idx := -1
			if c := sb.Node.GetAConst(); c != nil && c.GetIval() != nil {
				idx = int(c.GetIval().Ival) - 1
				if idx < 0 || idx >= len(cols) {
					return nil, errs.New(errs.InvalidColumnRef, "ORDER BY position %d is not in select list", idx+1)
				}
			} else if cr := sb.Node.GetColumnRef(); cr != nil && len(cr.Fields) == 1 && cr.Fields[0].GetString_() != nil {
				name := cr.Fields[0].GetString_().Sval
				for i, c := range cols {
					if c.Name == name {
						idx = i
						break
					}
				}
			}
			if idx < 0 {
				return nil, errs.New(errs.NotImplemented, "ORDER BY on a %s must name an output column", what)
			}
			desc, nullsFirst, err := sortDirection(sb)
			if err != nil {
				return nil, err
			}
			sort.Keys = append(sort.Keys, planner.SortKey{E: ref(cols[idx]), Desc: desc, NullsFirst: nullsFirst})
		}
		out = sort
	}
	if sel.LimitOption == pg_query.LimitOption_LIMIT_OPTION_WITH_TIES {
		cols := out.Columns()
		ties, err := b.withTies(sel, out)
		if err != nil {
			return nil, err
		}
		p := &planner.Project{Input: ties}
		for _, c := range cols {
			p.Exprs = append(p.Exprs, ref(c))
			p.Cols = append(p.Cols, b.newColumn(c.Name, c.Type))
		}
		out = p
		return out, nil
	}
	return b.limit(sel, out)
}
