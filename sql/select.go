package sql

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/planner"
	"github.com/sleeperd/sleeperd/types"
)

// selectTarget is one output of a select list: its parse node (nil for a column of a star,
// already bound), its output name and its bound expression.
type selectTarget struct {
	node *pg_query.Node
	name string
	expr planner.Expr
}

// sortOrder is one ORDER BY item, bound.
type sortOrder struct {
	expr       planner.Expr
	desc       bool
	nullsFirst bool
}

// selectStmt binds a SELECT into a plan and its output names. It binds the clauses in
// PostgreSQL's order of evaluation: FROM and WHERE, the select list (with GROUP BY and
// HAVING when the query aggregates), ORDER BY; then builds grouping, window functions,
// set-returning functions, the projection, DISTINCT, the sort and LIMIT over them.
func (b *binder) selectStmt(sel *pg_query.SelectStmt) (planner.Node, []string, error) {
	out := b.out
	b.out = nil
	pop, err := b.pushWith(sel.WithClause)
	if err != nil {
		return nil, nil, err
	}
	defer pop()
	if sel.Op != pg_query.SetOperation_SETOP_NONE && sel.Op != pg_query.SetOperation_SET_OPERATION_UNDEFINED {
		return b.setOp(sel)
	}
	if emptyCatalogFrom(sel) {
		n, names, err := b.selectBody(sel, out)
		// What the binder cannot do yet (correlation in a subquery's FROM shows as a missing
		// FROM-clause entry) does not stop a query with no rows.
		if err != nil && (errs.KindOf(err) == errs.NotImplemented || errs.KindOf(err) == errs.UndefinedTable) {
			return b.emptySelect(sel)
		}
		return n, names, err
	}
	return b.selectBody(sel, out)
}

// selectBody binds a SELECT that is not a set operation.
func (b *binder) selectBody(sel *pg_query.SelectStmt, out *outputTypes) (planner.Node, []string, error) {
	// Scalar subqueries are joined in at the level of the query that holds them.
	savedScalars := b.scalars
	b.scalars = nil
	defer func() { b.scalars = savedScalars }()
	savedDefs := b.windowDefs
	defer func() { b.windowDefs = savedDefs }()
	if err := b.windowClause(sel.WindowClause); err != nil {
		return nil, nil, err
	}
	if sel.IntoClause != nil || len(sel.LockingClause) > 0 {
		return nil, nil, errs.New(errs.NotImplemented, "SELECT INTO and locking clauses are not supported")
	}
	if len(sel.ValuesLists) > 0 {
		return b.valuesSelect(sel)
	}
	b.fromWhere = sel.WhereClause
	plan, sc, err := b.from(sel.FromClause)
	if err != nil {
		return nil, nil, err
	}
	if sel.WhereClause != nil {
		if plan, err = b.where(sel.WhereClause, plan, sc); err != nil {
			return nil, nil, err
		}
	}
	targets, err := b.selectTargets(sel, sc)
	if err != nil {
		return nil, nil, err
	}

	hasAgg := aggregates(sel, targets)
	agg := &aggContext{}
	var aggCtx *aggContext
	if hasAgg {
		if err := b.groupBy(sel, sc, agg); err != nil {
			return nil, nil, err
		}
		aggCtx = agg
	}
	win := &windowContext{}
	savedWin := b.win
	b.win = win
	srf := &srfContext{}
	savedSRF := b.srf
	defer func() { b.srf = savedSRF }()
	if err := b.bindTargets(targets, sc, aggCtx, srf, out); err != nil {
		return nil, nil, err
	}
	var having planner.Expr
	if sel.HavingClause != nil {
		b.win, b.clause = nil, "HAVING"
		h, err := b.expr(sel.HavingClause, sc, aggCtx)
		b.win, b.clause = win, ""
		if err != nil {
			return nil, nil, err
		}
		if having, err = b.coerceBool(h, "HAVING"); err != nil {
			return nil, nil, err
		}
	}
	orders, err := b.orderBy(sel, targets, sc, aggCtx)
	if err != nil {
		return nil, nil, err
	}
	distinctOn, err := b.distinctOn(sel, targets, sc, aggCtx)
	if err != nil {
		return nil, nil, err
	}
	b.win = savedWin

	if hasAgg {
		// DISTINCT ON's expressions are rewritten over the groups as ORDER BY's are.
		keys := append(orders[:len(orders):len(orders)], distinctOn...)
		if plan, err = b.grouped(plan, agg, targets, keys, having); err != nil {
			return nil, nil, err
		}
		orders, distinctOn = keys[:len(orders)], keys[len(orders):]
	} else {
		plan = b.applyScalarSubqueries(plan)
	}
	// Window functions run after grouping, over the grouped rows.
	for _, w := range win.specs {
		if hasAgg {
			if err := b.rewriteWindow(w, agg); err != nil {
				return nil, nil, err
			}
		}
		w.Input = plan
		plan = w
	}
	// Set-returning functions of the select list expand the rows last.
	if len(srf.lists) > 0 {
		if hasAgg {
			for i, l := range srf.lists {
				e, err := b.rewriteGrouped(l, agg, agg.groupCols)
				if err != nil {
					return nil, nil, err
				}
				srf.lists[i] = e
			}
		}
		plan = &planner.Unnest{Input: plan, Lists: srf.lists, Cols: srf.cols}
	}
	return b.selectOutput(sel, plan, targets, orders, distinctOn)
}

// valuesSelect binds a SELECT that is a VALUES list: ORDER BY, LIMIT and OFFSET apply to the
// list's rows, as to a set operation's.
func (b *binder) valuesSelect(sel *pg_query.SelectStmt) (planner.Node, []string, error) {
	sort, count, offset := sel.SortClause, sel.LimitCount, sel.LimitOffset
	sel.SortClause, sel.LimitCount, sel.LimitOffset = nil, nil, nil
	n, names, err := b.values(sel, nil, nil)
	sel.SortClause, sel.LimitCount, sel.LimitOffset = sort, count, offset
	if err != nil {
		return nil, nil, err
	}
	out, err := b.sortLimit(sel, n, n.Columns(), "VALUES")
	return out, names, err
}

// selectTargets lists the select list's outputs with their names, expanding stars into
// bound column references; the other expressions are bound later (bindTargets).
func (b *binder) selectTargets(sel *pg_query.SelectStmt, sc *scope) ([]selectTarget, error) {
	var targets []selectTarget
	for _, t := range sel.TargetList {
		rt := t.GetResTarget()
		if cr := rt.Val.GetColumnRef(); cr != nil && isStar(cr) {
			cols, err := sc.star(cr)
			if err != nil {
				return nil, err
			}
			for _, c := range cols {
				targets = append(targets, selectTarget{name: c.Name, expr: &planner.ColumnRef{ID: c.ID, Name: c.Name, Typ: c.Type}})
			}
			if len(cols) == 0 && len(sel.FromClause) == 0 {
				return nil, errs.New(errs.Syntax, "SELECT * with no tables specified is not valid")
			}
			continue
		}
		if exp, ok, err := b.expandRecordStar(rt.Val, sc); ok || err != nil {
			if err != nil {
				return nil, err
			}
			targets = append(targets, exp...)
			continue
		}
		name := rt.Name
		if name == "" {
			name = columnName(rt.Val)
		}
		targets = append(targets, selectTarget{node: rt.Val, name: name})
	}
	return targets, nil
}

// aggregates says whether a SELECT groups its rows: GROUP BY, HAVING, or an aggregate call
// in the select list or ORDER BY.
func aggregates(sel *pg_query.SelectStmt, targets []selectTarget) bool {
	if len(sel.GroupClause) > 0 || sel.HavingClause != nil {
		return true
	}
	for _, t := range targets {
		if t.node != nil && containsAggregate(t.node) {
			return true
		}
	}
	for _, s := range sel.SortClause {
		if containsAggregate(s.GetSortBy().Node) {
			return true
		}
	}
	return false
}

// groupBy binds the GROUP BY expressions over the input scope into agg.
func (b *binder) groupBy(sel *pg_query.SelectStmt, sc *scope, agg *aggContext) error {
	if hasGroupingSets(sel.GroupClause) {
		return b.groupingSets(sel, sc, agg)
	}
	for _, g := range sel.GroupClause {
		b.clause = "GROUP BY"
		ge, err := b.groupExpr(g, sc, sel.TargetList)
		b.clause = ""
		if err != nil {
			return err
		}
		if types.IsUnknown(ge.Type()) {
			// An untyped literal or parameter groups as text, as in PostgreSQL.
			ge = b.coerce(ge, types.Text)
		}
		agg.groups = append(agg.groups, ge)
	}
	agg.input = sc
	return nil
}

// bindTargets binds the select list's expressions, collecting set-returning functions into
// srf and typing untyped outputs as out says.
func (b *binder) bindTargets(targets []selectTarget, sc *scope, aggCtx *aggContext, srf *srfContext, out *outputTypes) error {
	for i := range targets {
		if targets[i].node == nil {
			continue
		}
		b.srf = srf
		e, err := b.expr(targets[i].node, sc, aggCtx)
		b.srf = nil
		if err != nil {
			return err
		}
		if types.IsUnknown(e.Type()) || e.Type().ID() == arrow.NULL {
			if e, err = b.resolveOutput(e, i, out); err != nil {
				return err
			}
		}
		targets[i].expr = e
	}
	return nil
}

// orderBy binds ORDER BY items: output positions, output names, or expressions over the input.
func (b *binder) orderBy(sel *pg_query.SelectStmt, targets []selectTarget, sc *scope, aggCtx *aggContext) ([]sortOrder, error) {
	var orders []sortOrder
	for _, s := range sel.SortClause {
		sb := s.GetSortBy()
		var o sortOrder
		var err error
		if o.desc, o.nullsFirst, err = sortDirection(sb); err != nil {
			return nil, err
		}
		if o.expr, err = b.outputOrInput(sb.Node, "ORDER BY", targets, sc, aggCtx); err != nil {
			return nil, err
		}
		if err := sortable(o.expr.Type()); err != nil {
			return nil, err
		}
		orders = append(orders, o)
	}
	return orders, nil
}

// outputOrInput binds an ORDER BY or DISTINCT ON item: an output position, an output name,
// or an expression over the input.
func (b *binder) outputOrInput(n *pg_query.Node, clause string, targets []selectTarget, sc *scope, aggCtx *aggContext) (planner.Expr, error) {
	if c := n.GetAConst(); c != nil && c.GetIval() != nil {
		pos := int(c.GetIval().Ival)
		if pos < 1 || pos > len(targets) {
			return nil, &errs.Error{Kind: errs.InvalidColumnRef, Msg: fmt.Sprintf("%s position %d is not in select list", clause, pos), Position: int(c.Location) + 1}
		}
		return targets[pos-1].expr, nil
	}
	if cr := n.GetColumnRef(); cr != nil && len(cr.Fields) == 1 && cr.Fields[0].GetString_() != nil {
		name := cr.Fields[0].GetString_().Sval
		for _, t := range targets {
			if t.name == name {
				return t.expr, nil
			}
		}
	}
	return b.expr(n, sc, aggCtx)
}

// grouped puts the aggregation over plan: group expressions in targets, orders and having
// become references to the aggregate's group columns (anything else referring to an input
// column is an error), scalar subqueries join the grouped rows, and HAVING filters them.
func (b *binder) grouped(plan planner.Node, agg *aggContext, targets []selectTarget, orders []sortOrder, having planner.Expr) (planner.Node, error) {
	var used []planner.Expr
	for _, t := range targets {
		used = append(used, t.expr)
	}
	for _, o := range orders {
		used = append(used, o.expr)
	}
	if having != nil {
		used = append(used, having)
	}
	b.addDependentGroups(agg, used)
	for _, s := range agg.pre {
		plan = applyPending(plan, s)
	}
	var aggNode planner.Node
	var groupCols []planner.Column
	if agg.sets == nil && len(agg.groupings) > 0 {
		// GROUPING() in a plain GROUP BY: one set of all the groups.
		all := make([]int, len(agg.groups))
		for i := range all {
			all[i] = i
		}
		agg.sets = [][]int{all}
	}
	if agg.sets != nil {
		var cols []planner.Column
		aggNode, cols = b.groupingSetsPlan(plan, agg)
		groupCols = cols[:len(agg.groups)]
	} else {
		a := &planner.Aggregate{Input: plan}
		for _, g := range agg.groups {
			c := b.newColumn(planner.ExprName(g), g.Type())
			groupCols = append(groupCols, c)
			a.Groups = append(a.Groups, g)
		}
		a.Cols = append(groupCols, agg.cols...)
		a.Aggs = agg.calls
		aggNode = a
	}
	agg.groupCols = groupCols
	rewrite := func(e planner.Expr) (planner.Expr, error) {
		return b.rewriteGrouped(e, agg, groupCols)
	}
	for i := range targets {
		e, err := rewrite(targets[i].expr)
		if err != nil {
			return nil, err
		}
		targets[i].expr = e
	}
	for i := range orders {
		e, err := rewrite(orders[i].expr)
		if err != nil {
			return nil, err
		}
		orders[i].expr = e
	}
	// Subqueries of the select list and HAVING join the grouped rows: their conditions
	// refer to group columns.
	for i := range b.scalars {
		if m := b.scalars[i].mark; m != nil {
			if err := m.rewrite(rewrite); err != nil {
				return nil, err
			}
		}
		if a := b.scalars[i].apply; a != nil {
			c := *a
			if err := b.rewriteApply(&c, agg, groupCols); err != nil {
				return nil, err
			}
			b.scalars[i].apply = &c
		}
		if b.scalars[i].cond == nil {
			continue
		}
		c, err := rewrite(b.scalars[i].cond)
		if err != nil {
			return nil, err
		}
		b.scalars[i].cond = c
	}
	plan = b.applyScalarSubqueries(aggNode)
	if having != nil {
		h, err := rewrite(having)
		if err != nil {
			return nil, err
		}
		plan = &planner.Filter{Input: plan, Pred: h}
	}
	return plan, nil
}

// selectOutput projects the targets over plan (with any sort expressions not among them),
// then applies DISTINCT, ORDER BY and LIMIT/OFFSET, and drops the extra sort columns.
func (b *binder) selectOutput(sel *pg_query.SelectStmt, plan planner.Node, targets []selectTarget, orders, distinctOn []sortOrder) (planner.Node, []string, error) {
	if len(distinctOn) > 0 {
		return b.distinctOnOutput(sel, plan, targets, orders, distinctOn)
	}
	distinct := len(sel.DistinctClause) > 0
	proj := &planner.Project{Input: plan}
	names := make([]string, 0, len(targets))
	for _, t := range targets {
		c := b.newColumn(t.name, t.expr.Type())
		proj.Exprs = append(proj.Exprs, t.expr)
		proj.Cols = append(proj.Cols, c)
		names = append(names, t.name)
	}
	var result planner.Node = proj
	if distinct {
		d := &planner.Aggregate{Input: proj}
		for _, c := range proj.Cols {
			d.Groups = append(d.Groups, &planner.ColumnRef{ID: c.ID, Name: c.Name, Typ: c.Type})
			d.Cols = append(d.Cols, b.newColumn(c.Name, c.Type))
		}
		result = d
	}
	visible := len(targets)
	if len(orders) > 0 {
		keys := make([]planner.SortKey, len(orders))
		for i, o := range orders {
			idx := -1
			for j, e := range proj.Exprs {
				if planner.ExprKey(e) == planner.ExprKey(o.expr) {
					idx = j
					break
				}
			}
			if idx < 0 {
				if distinct {
					return nil, nil, errs.New(errs.InvalidColumnRef, "for SELECT DISTINCT, ORDER BY expressions must appear in select list")
				}
				proj.Exprs = append(proj.Exprs, o.expr)
				proj.Cols = append(proj.Cols, b.newColumn("?sort?", o.expr.Type()))
				idx = len(proj.Exprs) - 1
			}
			c := result.Columns()[idx]
			keys[i] = planner.SortKey{E: &planner.ColumnRef{ID: c.ID, Name: c.Name, Typ: c.Type}, Desc: o.desc, NullsFirst: o.nullsFirst}
		}
		result = &planner.Sort{Input: result, Keys: keys}
	}
	result, err := b.limit(sel, result)
	if err != nil {
		return nil, nil, err
	}
	if len(result.Columns()) > visible {
		cols := result.Columns()[:visible]
		p := &planner.Project{Input: result}
		for _, c := range cols {
			p.Exprs = append(p.Exprs, &planner.ColumnRef{ID: c.ID, Name: c.Name, Typ: c.Type})
			p.Cols = append(p.Cols, b.newColumn(c.Name, c.Type))
		}
		result = p
	}
	return result, names, nil
}
