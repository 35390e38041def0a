package sql

import (
	"fmt"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/exec"
	"github.com/sleeperd/sleeperd/planner"
	"github.com/sleeperd/sleeperd/types"
)

// A correlated subquery that cannot be turned into joins (its correlation is under a LIMIT,
// DISTINCT, a window, a set operation, a grouping or a nested subquery) runs as a dependent
// join, planner.Apply: once per distinct binding of the outer columns it refers to, as
// PostgreSQL runs a correlated SubPlan. The functions here build the subquery's plan for
// one outer row; the Apply is placed onto the query where scalar subqueries are joined in
// (pendingJoin), its parameters the columns of the rows there that the plan refers to.

// decorrelationFailed reports whether err is decorrelation giving up, after which the
// subquery runs as a dependent join.
func decorrelationFailed(err error) bool {
	return err != nil && errs.KindOf(err) == errs.NotImplemented
}

// applyValue queues the plan sub, whose first column is the value for an outer row, to run
// per outer row, and returns a reference to the value (NULL when sub yields no row; more
// than one row is an error).
func (b *binder) applyValue(sub planner.Node) planner.Expr {
	v := sub.Columns()[0]
	col := b.newColumn(v.Name, v.Type)
	b.scalars = append(b.scalars, pendingJoin{apply: &planner.Apply{Kind: planner.ApplyScalar, Right: sub, Cols: []planner.Column{col}}})
	if b.constCols == nil {
		b.constCols = map[planner.ColumnID]bool{}
	}
	b.constCols[col.ID] = true
	return ref(col)
}

// project is one expression over in, as a new column.
func (b *binder) project(in planner.Node, e planner.Expr, name string) planner.Node {
	return &planner.Project{Input: in, Exprs: []planner.Expr{e}, Cols: []planner.Column{b.newColumn(name, e.Type())}}
}

// applyExists is EXISTS (sub) for a subquery run per outer row.
func (b *binder) applyExists(sub planner.Node) planner.Expr {
	one := b.project(&planner.Limit{Input: sub, Count: 1}, &planner.Literal{Value: true, Typ: types.Bool}, "exists")
	return &planner.IsNull{E: b.applyValue(one), Negate: true}
}

// applySublink binds EXISTS, x op ANY|ALL (subquery) and (subquery) for a correlated
// subquery run per outer row.
func (b *binder) applySublink(sl *pg_query.SubLink, sc *scope, agg *aggContext) (planner.Expr, error) {
	sel := sl.Subselect.GetSelectStmt()
	if sel == nil {
		return nil, errs.New(errs.NotImplemented, "this subquery is not supported")
	}
	restore := existsBody(sl)
	b.perRow = true
	sub, _, width, err := b.bindSubqueryWidth(sel, sc)
	restore()
	if err != nil {
		return nil, err
	}
	switch sl.SubLinkType {
	case pg_query.SubLinkType_EXISTS_SUBLINK:
		return b.applyExists(sub), nil
	case pg_query.SubLinkType_EXPR_SUBLINK:
		if width != 1 {
			return nil, errs.New(errs.Syntax, "subquery must return only one column")
		}
		return b.applyValue(sub), nil
	case pg_query.SubLinkType_ARRAY_SUBLINK:
		return b.applyArray(sub, width)
	}
	test, err := b.quantifiedTest(sl, sc, agg, sub, width)
	if err != nil {
		return nil, err
	}
	return b.applyQuantified(sub, test, sl.SubLinkType == pg_query.SubLinkType_ALL_SUBLINK), nil
}

// applyRowSublink binds (x1, x2, ...) IN (subquery) (all false) or NOT IN (all true) for
// a correlated subquery run per outer row.
func (b *binder) applyRowSublink(sl *pg_query.SubLink, xs []*pg_query.Node, sc *scope, agg *aggContext, all bool) (planner.Expr, error) {
	b.perRow = true
	sub, _, width, err := b.bindSubqueryWidth(sl.Subselect.GetSelectStmt(), sc)
	if err != nil {
		return nil, err
	}
	test, err := b.rowEquality(xs, sub, width, sc, agg)
	if err != nil {
		return nil, err
	}
	in := b.applyQuantified(sub, test, false)
	if all {
		return &planner.Not{E: in}, nil
	}
	return in, nil
}

// applyQuantified is x op ANY|ALL (sub), test being x op v, with PostgreSQL's NULL
// semantics: ANY is true when a row's test is true, else NULL when one is NULL, else false
// (false with no rows); ALL the dual.
func (b *binder) applyQuantified(sub planner.Node, test planner.Expr, all bool) planner.Expr {
	f := "bool_or"
	if all {
		f = "bool_and"
	}
	a := &planner.Aggregate{Input: sub, Aggs: []planner.AggCall{{Func: f, Arg: test}, {Func: "count_star"}, {Func: "count", Arg: test}}}
	some, rows, known := b.newColumn(f, types.Bool), b.newColumn("count", types.Int64), b.newColumn("count", types.Int64)
	a.Cols = []planner.Column{some, rows, known}
	lit := func(v any) planner.Expr {
		if v == nil {
			return &planner.Literal{Typ: types.Bool}
		}
		return &planner.Literal{Value: v, Typ: types.Bool}
	}
	decisive, decided := planner.Expr(ref(some)), true
	if all {
		decisive, decided = &planner.Not{E: ref(some)}, false
	}
	unknown := &planner.Binary{Op: planner.OpLt, L: ref(known), R: ref(rows), Typ: types.Bool}
	e := &planner.Case{Whens: []planner.Expr{decisive, unknown}, Thens: []planner.Expr{lit(decided), lit(nil)}, Else: lit(!decided), Typ: types.Bool}
	return b.applyValue(b.project(a, e, "?column?"))
}

// applyArray is ARRAY(sub) for a subquery run per outer row: its column aggregated in its
// order, an empty array for no rows.
func (b *binder) applyArray(sub planner.Node, width int) (planner.Expr, error) {
	if width != 1 {
		return nil, errs.New(errs.Syntax, "subquery must return only one column")
	}
	in := sub
	var val planner.Expr = ref(sub.Columns()[0])
	var order []planner.SortKey
	if p, ok := in.(*planner.Project); ok {
		if s, ok := p.Input.(*planner.Sort); ok {
			in, val, order = s, p.Exprs[0], s.Keys
		}
	}
	t, err := exec.AggregateResultType("array_agg", val.Type())
	if err != nil {
		return nil, err
	}
	col := b.newColumn("array", t)
	a := &planner.Aggregate{Input: in, Aggs: []planner.AggCall{{Func: "array_agg", Arg: val, OrderBy: order}}, Cols: []planner.Column{col}}
	return &planner.Coalesce{Args: []planner.Expr{b.applyValue(a), &planner.Array{Typ: t}}, Typ: t}, nil
}

// placeApply puts a pending dependent join onto plan: its parameters are the columns of
// plan its right side refers to.
func placeApply(plan planner.Node, a *planner.Apply) planner.Node {
	c := *a
	c.Left = plan
	c.Params = nil
	used := freeColumns(a.Right)
	for _, col := range plan.Columns() {
		if used[col.ID] {
			c.Params = append(c.Params, col)
			used[col.ID] = false
		}
	}
	return &c
}

// planUses returns the columns every expression of the plan n refers to.
func planUses(n planner.Node) map[planner.ColumnID]bool {
	used := map[planner.ColumnID]bool{}
	var walk func(n planner.Node)
	walk = func(n planner.Node) {
		for _, e := range planner.Exprs(n) {
			planner.ColumnsUsed(e, used)
		}
		for _, in := range n.Inputs() {
			walk(in)
		}
	}
	walk(n)
	return used
}

// derivedTable binds a subquery in FROM. In a subquery, it may refer to the columns of the
// enclosing queries (not to the FROM items beside it): such references are the enclosing
// subquery's correlation too.
func (b *binder) derivedTable(sel *pg_query.SelectStmt) (planner.Node, []string, error) {
	own := b.fromOuter
	if own == nil || own.parent == nil {
		return b.subquery(sel)
	}
	sc := &scope{parent: own.parent}
	savedOuter, savedFrom := b.outer, b.fromOuter
	b.outer = sc
	defer func() { b.outer, b.fromOuter = savedOuter, savedFrom }()
	n, names, err := b.subquery(sel)
	if err != nil {
		return nil, nil, err
	}
	for id := range sc.outer {
		if own.outer == nil {
			own.outer = map[planner.ColumnID]bool{}
		}
		own.outer[id] = true
	}
	return n, names, nil
}

// refersToColumns reports whether e refers to any column (in LIMIT: an enclosing query's).
func refersToColumns(e planner.Expr) bool {
	used := map[planner.ColumnID]bool{}
	planner.ColumnsUsed(e, used)
	return len(used) > 0
}

// leftJoinApply is the left join j whose condition has the subqueries subs that refer to
// both sides: its right side, joined with them and filtered by the condition, runs per left
// row, and a left row without a right row is kept with NULLs.
func leftJoinApply(j *planner.Join, subs []pendingJoin) planner.Node {
	r := j.Right
	for _, s := range subs {
		r = applyPending(r, s)
	}
	r = &planner.Filter{Input: r, Pred: j.Cond}
	return placeApply(j.Left, &planner.Apply{Kind: planner.ApplyLeft, Right: r, Cols: j.Right.Columns()})
}

// rightJoinApply is the right join j whose condition's subqueries subs refer to both
// sides: the left side, joined with subs and filtered by the condition, run per right row,
// which it keeps with NULLs when none matches; its columns in j's order.
func rightJoinApply(j *planner.Join, subs []pendingJoin) planner.Node {
	l := j.Left
	for _, s := range subs {
		l = applyPending(l, s)
	}
	l = &planner.Filter{Input: l, Pred: j.Cond}
	a := placeApply(j.Right, &planner.Apply{Kind: planner.ApplyLeft, Right: l, Cols: j.Left.Columns()})
	p := &planner.Project{Input: a}
	for _, c := range j.Columns() {
		p.Exprs = append(p.Exprs, ref(c))
		p.Cols = append(p.Cols, c)
	}
	return p
}

// checkKind rejects a LATERAL subquery that refers to the left side of a join that
// null-extends it (RIGHT or FULL), as PostgreSQL does.
func (l *lateral) checkKind() error {
	if l.kind == planner.JoinInner || l.kind == planner.JoinCross || l.kind == planner.JoinLeft {
		return nil
	}
	table := ""
	for _, c := range l.leftCols {
		if l.outer[c.ID] {
			if table = l.ls.tableOf(c.ID); table != "" {
				break
			}
		}
	}
	return &errs.Error{Kind: errs.InvalidColumnRef, Msg: fmt.Sprintf("invalid reference to FROM-clause entry for table %q", table),
		Hint: "The combining JOIN type must be INNER or LEFT for a LATERAL reference."}
}

// freeColumns returns the columns the expressions of the plan n refer to that no node of it
// produces: its references to enclosing queries.
func freeColumns(n planner.Node) map[planner.ColumnID]bool {
	used := planUses(n)
	var walk func(n planner.Node)
	walk = func(n planner.Node) {
		for _, c := range n.Columns() {
			delete(used, c.ID)
		}
		if s, ok := n.(*planner.Scan); ok {
			for _, c := range s.Cols {
				delete(used, c.ID)
			}
		}
		for _, in := range n.Inputs() {
			walk(in)
		}
	}
	walk(n)
	return used
}

// rewriteApply rewrites the references of a pending dependent join's right side to the
// grouped query's input columns over the grouped rows (its group columns).
func (b *binder) rewriteApply(a *planner.Apply, agg *aggContext, groupCols []planner.Column) error {
	if agg.input == nil {
		return nil
	}
	used := freeColumns(a.Right)
	vals := map[planner.ColumnID]planner.Expr{}
	for _, c := range agg.input.cols {
		if !used[c.col.ID] {
			continue
		}
		e, err := b.rewriteGrouped(ref(c.col), agg, groupCols)
		if err != nil {
			return err
		}
		vals[c.col.ID] = e
	}
	if len(vals) == 0 {
		return nil
	}
	r, err := planner.SubstitutePlan(a.Right, vals)
	a.Right = r
	return err
}

// applyLateral joins left with a correlated LATERAL subquery sub run per left row, on the
// quals (nil: true): an inner join drops the left rows without rows, a left join keeps them
// with NULLs.
func (l *lateral) apply(sub planner.Node) (planner.Node, *scope, error) {
	cols := sub.Columns()[:l.width]
	cond, err := l.on(cols)
	if err != nil {
		return nil, nil, err
	}
	if cond != nil {
		sub = &planner.Filter{Input: sub, Pred: cond}
	}
	kind := planner.ApplyInner
	if l.kind == planner.JoinLeft {
		kind = planner.ApplyLeft
	}
	sc, err := l.scopeOf(cols)
	if err != nil {
		return nil, nil, err
	}
	return placeApply(l.left, &planner.Apply{Kind: kind, Right: sub, Cols: cols}), sc, nil
}

// pullThroughLimit takes the correlation out from under [ORDER BY ...] LIMIT n OFFSET m when
// it is equalities inner_i = outer_i: the rows of one outer row are those of one value of
// the inner sides, so the limit becomes a limit per value, row_number() OVER (PARTITION BY
// inner sides ORDER BY ...) between m+1 and m+n, and the equalities join. (A top-n per
// group: one pass, where running the subquery per outer row reads its input each time.)
// Anything else under a limit stays, for the subquery to run per outer row.
func (b *binder) pullThroughLimit(l *planner.Limit, outer map[planner.ColumnID]bool, corr *[]planner.Expr) (planner.Node, error) {
	if l.CountExpr != nil || l.OffsetExpr != nil {
		return l, nil
	}
	var below []planner.Expr
	in := l.Input
	var order []planner.SortKey
	if s, ok := in.(*planner.Sort); ok {
		in, order = s.Input, s.Keys
	}
	pulled, err := b.pullCorrelated(in, outer, &below)
	if err != nil || len(below) == 0 {
		return l, err
	}
	var partition []planner.Expr
	for _, c := range below {
		i, _, ok := splitEquality(c, outer)
		if !ok {
			return l, nil
		}
		partition = append(partition, i)
	}
	// The sort keys must be over the pulled plan's columns, which keep the input's.
	rn := b.newColumn("row_number", types.Int64)
	w := &planner.Window{Input: pulled, Partition: partition, Order: order, Calls: []planner.WindowCall{{Func: "row_number"}}, Cols: []planner.Column{rn}}
	lit := func(v int64) planner.Expr { return &planner.Literal{Value: v, Typ: types.Int64} }
	conds := []planner.Expr{&planner.Binary{Op: planner.OpGt, L: ref(rn), R: lit(l.Offset), Typ: types.Bool}}
	if l.Count >= 0 {
		conds = append(conds, &planner.Binary{Op: planner.OpLtEq, L: ref(rn), R: lit(l.Offset + l.Count), Typ: types.Bool})
	}
	f := &planner.Filter{Input: w, Pred: planner.And(conds)}
	p := &planner.Project{Input: f}
	for _, c := range pulled.Columns() {
		p.Exprs = append(p.Exprs, ref(c))
		p.Cols = append(p.Cols, c)
	}
	*corr = append(*corr, below...)
	return p, nil
}
