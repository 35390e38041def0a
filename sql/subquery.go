package sql

import (
	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/planner"
)

// where binds a WHERE clause over plan. Its top-level conjuncts that are [NOT] EXISTS or
// [NOT] IN subqueries become semi and anti joins (correlated ones too, when their correlation
// is a conjunct of the subquery's WHERE clause); scalar subqueries elsewhere in the clause are
// joined in as one-row relations. The rest filters the rows.
func (b *binder) where(n *pg_query.Node, plan planner.Node, sc *scope) (planner.Node, error) {
	b.clause = "WHERE"
	defer func() { b.clause = "" }()
	var preds []planner.Expr
	for _, c := range andConjuncts(n) {
		negate := false
		inner := c
		if be := c.GetBoolExpr(); be != nil && be.Boolop == pg_query.BoolExprType_NOT_EXPR {
			negate, inner = true, be.Args[0]
		}
		if sl := inner.GetSubLink(); sl != nil && (sl.SubLinkType == pg_query.SubLinkType_EXISTS_SUBLINK || (sl.SubLinkType == pg_query.SubLinkType_ANY_SUBLINK && isEqOp(sl.OperName))) {
			j, err := b.semiJoin(sl, negate, plan, sc)
			if err != nil {
				return nil, err
			}
			plan = j
			continue
		}
		e, err := b.expr(c, sc, nil)
		if err != nil {
			return nil, err
		}
		if e, err = b.coerceBool(e, "WHERE"); err != nil {
			return nil, err
		}
		preds = append(preds, e)
	}
	plan = b.applyScalarSubqueries(plan)
	if len(preds) > 0 {
		plan = &planner.Filter{Input: plan, Pred: planner.And(preds)}
	}
	return plan, nil
}

func andConjuncts(n *pg_query.Node) []*pg_query.Node {
	if be := n.GetBoolExpr(); be != nil && be.Boolop == pg_query.BoolExprType_AND_EXPR {
		var out []*pg_query.Node
		for _, a := range be.Args {
			out = append(out, andConjuncts(a)...)
		}
		return out
	}
	return []*pg_query.Node{n}
}

func isEqOp(names []*pg_query.Node) bool {
	if len(names) == 0 {
		return true // IN (subquery) has no operator name
	}
	return names[len(names)-1].GetString_().GetSval() == "="
}

// semiJoin turns [NOT] EXISTS (subquery) or x [NOT] IN (subquery) into a semi or anti join
// of plan with the subquery.
func (b *binder) semiJoin(sl *pg_query.SubLink, negate bool, plan planner.Node, sc *scope) (planner.Node, error) {
	sub, corr, err := b.correlatedSubquery(sl.Subselect.GetSelectStmt(), sc)
	if err != nil {
		return nil, err
	}
	conds := corr
	kind := planner.JoinSemi
	if negate {
		kind = planner.JoinAnti
	}
	if sl.SubLinkType == pg_query.SubLinkType_ANY_SUBLINK {
		cols := sub.Columns()
		if len(cols) != 1 {
			return nil, errs.New(errs.Syntax, "subquery has too many columns")
		}
		x, err := b.expr(sl.Testexpr, sc, nil)
		if err != nil {
			return nil, err
		}
		eq, err := b.binary(planner.OpEq, x, ref(cols[0]))
		if err != nil {
			return nil, err
		}
		conds = append([]planner.Expr{eq}, conds...)
		if negate {
			if len(corr) > 0 {
				return nil, errs.New(errs.NotImplemented, "correlated NOT IN subqueries are not supported yet")
			}
			kind = planner.JoinNullAwareAnti
		}
	}
	return &planner.Join{Kind: kind, Left: plan, Right: sub, Cond: planner.And(conds)}, nil
}

// correlatedSubquery binds a subquery that may refer to the columns of sc. The conjuncts of
// its WHERE clause that refer to them are taken out of the subquery and returned, to become
// the condition of the join that replaces it; a reference anywhere else is not supported.
func (b *binder) correlatedSubquery(sel *pg_query.SelectStmt, sc *scope) (planner.Node, []planner.Expr, error) {
	node, outer, err := b.bindSubquery(sel, sc)
	if err != nil {
		return nil, nil, err
	}
	if len(outer) == 0 {
		return node, nil, nil
	}
	var corr []planner.Expr
	node, err = pullCorrelated(node, outer, &corr)
	if err != nil {
		return nil, nil, err
	}
	// Anything still referring to an outer column cannot be run.
	var bad bool
	var walk func(n planner.Node)
	walk = func(n planner.Node) {
		for _, e := range planner.Exprs(n) {
			used := map[planner.ColumnID]bool{}
			planner.ColumnsUsed(e, used)
			for id := range used {
				if outer[id] {
					bad = true
				}
			}
		}
		for _, in := range n.Inputs() {
			walk(in)
		}
	}
	walk(node)
	if bad {
		return nil, nil, errs.New(errs.NotImplemented, "this correlated subquery is not supported yet: correlation must be in the conjuncts of its WHERE clause")
	}
	return node, corr, nil
}

// bindSubquery binds a subquery that may refer to sc's columns, and returns the IDs of those
// it refers to.
func (b *binder) bindSubquery(sel *pg_query.SelectStmt, sc *scope) (planner.Node, map[planner.ColumnID]bool, error) {
	outerScope := &scope{parent: sc}
	saved := b.outer
	b.outer = outerScope
	defer func() { b.outer = saved }()
	node, _, err := b.selectStmt(sel)
	if err != nil {
		return nil, nil, err
	}
	return node, outerScope.outer, nil
}

// pullCorrelated removes the conjuncts of filters in n (through projections and filters,
// not through aggregates or limits) that refer to outer columns, appending them to corr. The
// columns those conjuncts use from inside are kept in the projections above.
func pullCorrelated(n planner.Node, outer map[planner.ColumnID]bool, corr *[]planner.Expr) (planner.Node, error) {
	switch x := n.(type) {
	case *planner.Project:
		in, err := pullCorrelated(x.Input, outer, corr)
		if err != nil {
			return nil, err
		}
		c := *x
		c.Input = in
		// Keep the inner columns the pulled conditions need.
		have := map[planner.ColumnID]bool{}
		for _, col := range c.Cols {
			have[col.ID] = true
		}
		for _, e := range *corr {
			used := map[planner.ColumnID]bool{}
			planner.ColumnsUsed(e, used)
			for _, col := range in.Columns() {
				if used[col.ID] && !have[col.ID] {
					c.Exprs = append(c.Exprs, ref(col))
					c.Cols = append(c.Cols, col)
					have[col.ID] = true
				}
			}
		}
		return &c, nil
	case *planner.Filter:
		in, err := pullCorrelated(x.Input, outer, corr)
		if err != nil {
			return nil, err
		}
		var keep []planner.Expr
		for _, e := range planner.Conjuncts(x.Pred) {
			used := map[planner.ColumnID]bool{}
			planner.ColumnsUsed(e, used)
			isOuter := false
			for id := range used {
				if outer[id] {
					isOuter = true
				}
			}
			if isOuter {
				*corr = append(*corr, e)
			} else {
				keep = append(keep, e)
			}
		}
		if len(keep) == 0 {
			return in, nil
		}
		return &planner.Filter{Input: in, Pred: planner.And(keep)}, nil
	case *planner.Join:
		l, err := pullCorrelated(x.Left, outer, corr)
		if err != nil {
			return nil, err
		}
		c := *x
		c.Left = l
		return &c, nil
	}
	return n, nil
}

// scalarSubquery binds (SELECT ...) used as a value: an uncorrelated subquery joined in as a
// one-row relation (no row gives NULL). The expression refers to its column.
func (b *binder) scalarSubquery(sl *pg_query.SubLink, sc *scope) (planner.Expr, error) {
	sub, outer, err := b.bindSubquery(sl.Subselect.GetSelectStmt(), sc)
	if err != nil {
		return nil, err
	}
	var cond planner.Expr
	if len(outer) > 0 {
		if sub, cond, err = b.decorrelateScalar(sub, outer); err != nil {
			return nil, err
		}
	}
	cols := sub.Columns()
	if len(cols) < 1 || (cond == nil && len(cols) != 1) {
		return nil, errs.New(errs.Syntax, "subquery must return only one column")
	}
	b.scalars = append(b.scalars, pendingJoin{node: sub, cond: cond})
	if b.constCols == nil {
		b.constCols = map[planner.ColumnID]bool{}
	}
	b.constCols[cols[0].ID] = true
	return ref(cols[0]), nil
}

// pendingJoin is a scalar subquery waiting to be joined in, with its join condition (nil for
// an uncorrelated one).
type pendingJoin struct {
	node planner.Node
	cond planner.Expr
}

// applyScalarSubqueries joins the scalar subqueries bound so far onto plan.
func (b *binder) applyScalarSubqueries(plan planner.Node) planner.Node {
	for _, s := range b.scalars {
		plan = &planner.Join{Kind: planner.JoinLeft, Left: plan, Right: s.node, Cond: s.cond}
	}
	b.scalars = nil
	return plan
}

// decorrelateScalar rewrites a correlated scalar subquery of the form
//
//	SELECT f(aggregates) FROM ... WHERE inner1 = outer1 AND ... AND local
//
// into SELECT f(aggregates), inner1, ... FROM ... WHERE local GROUP BY inner1, ..., to be
// left-joined on inner_i = outer_i: each outer row meets the aggregate of its own group, or
// NULL when the group is empty. (count(*) over an empty group would be 0, not NULL: such
// subqueries are not rewritten.)
func (b *binder) decorrelateScalar(sub planner.Node, outer map[planner.ColumnID]bool) (planner.Node, planner.Expr, error) {
	unsupported := errs.New(errs.NotImplemented, "this correlated scalar subquery is not supported yet: it must aggregate, and be correlated by equalities in its WHERE clause")
	p, ok := sub.(*planner.Project)
	if !ok {
		return nil, nil, unsupported
	}
	a, ok := p.Input.(*planner.Aggregate)
	if !ok || len(a.Groups) > 0 {
		return nil, nil, unsupported
	}
	for _, call := range a.Aggs {
		if call.Func == "count" || call.Func == "count_star" {
			return nil, nil, errs.New(errs.NotImplemented, "correlated scalar subqueries with count are not supported yet")
		}
	}
	var corr []planner.Expr
	x, err := pullCorrelated(a.Input, outer, &corr)
	if err != nil {
		return nil, nil, err
	}
	isOuter := func(e planner.Expr) (all, none bool) {
		used := map[planner.ColumnID]bool{}
		planner.ColumnsUsed(e, used)
		all, none = len(used) > 0, true
		for id := range used {
			if outer[id] {
				none = false
			} else {
				all = false
			}
		}
		return all, none
	}
	na := &planner.Aggregate{Input: x, Aggs: a.Aggs}
	np := &planner.Project{Input: na, Exprs: p.Exprs, Cols: p.Cols}
	var conds []planner.Expr
	for _, c := range corr {
		bin, ok := c.(*planner.Binary)
		if !ok || bin.Op != planner.OpEq {
			return nil, nil, unsupported
		}
		inner, outerSide := bin.L, bin.R
		if all, _ := isOuter(inner); all {
			inner, outerSide = bin.R, bin.L
		}
		if allO, _ := isOuter(outerSide); !allO {
			return nil, nil, unsupported
		}
		if _, none := isOuter(inner); !none {
			return nil, nil, unsupported
		}
		g := b.newColumn("key", inner.Type())
		na.Groups = append(na.Groups, inner)
		na.Cols = append(na.Cols, g)
		np.Exprs = append(np.Exprs, ref(g))
		np.Cols = append(np.Cols, g)
		conds = append(conds, &planner.Binary{Op: planner.OpEq, L: outerSide, R: ref(g), Typ: planner.Bool})
	}
	na.Cols = append(na.Cols, a.Cols...)
	if _, err := checkOuterFree(np, outer); err != nil {
		return nil, nil, unsupported
	}
	return np, planner.And(conds), nil
}

func checkOuterFree(n planner.Node, outer map[planner.ColumnID]bool) (bool, error) {
	for _, e := range planner.Exprs(n) {
		used := map[planner.ColumnID]bool{}
		planner.ColumnsUsed(e, used)
		for id := range used {
			if outer[id] {
				return false, errs.New(errs.NotImplemented, "correlated reference")
			}
		}
	}
	for _, in := range n.Inputs() {
		if ok, err := checkOuterFree(in, outer); !ok {
			return false, err
		}
	}
	return true, nil
}
