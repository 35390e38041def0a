package sql

import (
	"github.com/apache/arrow-go/v18/arrow"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/exec"
	"github.com/sleeperd/sleeperd/planner"
	"github.com/sleeperd/sleeperd/types"
)

// where binds a WHERE clause over plan. Its top-level conjuncts that are [NOT] EXISTS or
// [NOT] IN subqueries become semi and anti joins (correlated ones too, when their correlation
// is a conjunct of the subquery's WHERE clause); scalar subqueries elsewhere in the clause are
// joined in as one-row relations. The rest filters the rows.
func (b *binder) where(n *pg_query.Node, plan planner.Node, sc *scope) (planner.Node, error) {
	b.clause = "WHERE"
	defer func() { b.clause = "" }()
	var preds []planner.Qual
	if b.bindingWhere == nil {
		b.bindingWhere = map[*pg_query.Node]bool{}
	}
	if !b.bindingWhere[n] {
		b.bindingWhere[n] = true
		defer delete(b.bindingWhere, n)
	}
	for _, c := range andConjuncts(n) {
		negate := false
		inner := c
		if be := c.GetBoolExpr(); be != nil && be.Boolop == pg_query.BoolExprType_NOT_EXPR {
			negate, inner = true, be.Args[0]
		}
		if sl := inner.GetSubLink(); sl != nil && (sl.SubLinkType == pg_query.SubLinkType_EXISTS_SUBLINK || (sl.SubLinkType == pg_query.SubLinkType_ANY_SUBLINK && isEqOp(sl.OperName) && sl.Testexpr.GetRowExpr() == nil)) {
			j, err := b.semiJoin(sl, negate, plan, sc)
			if decorrelationFailed(err) {
				// Run per outer row instead.
				e, err := b.applySublink(sl, sc, nil)
				if err != nil {
					return nil, err
				}
				if negate {
					e = &planner.Not{E: e}
				}
				preds = append(preds, planner.Qual{Expr: e, SubLink: true})
				continue
			}
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
		sub := hasSubLink(c)
		for _, e := range planner.Conjuncts(e) { // x BETWEEN a AND b is two
			preds = append(preds, planner.Qual{Expr: e, SubLink: sub})
		}
	}
	plan = b.applyScalarSubqueries(plan)
	if len(preds) > 0 {
		// In PostgreSQL's order: by cost, cheapest first.
		plan = &planner.Filter{Input: plan, Pred: planner.And(planner.OrderQuals(preds))}
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
	defer existsBody(sl)()
	sub, corr, width, err := b.correlatedSubquery(sl.Subselect.GetSelectStmt(), sc)
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
		if width != 1 {
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
		switch {
		case negate && len(corr) > 0:
			// x NOT IN (subquery) keeps the rows that meet no subquery row where x = v is
			// true or NULL.
			eqb := eq.(*planner.Binary)
			or := func(l, r planner.Expr) planner.Expr {
				return &planner.Binary{Op: planner.OpOr, L: l, R: r, Typ: types.Bool}
			}
			conds = append(conds, or(or(eq, &planner.IsNull{E: eqb.L}), &planner.IsNull{E: eqb.R}))
		case negate:
			conds = append([]planner.Expr{eq}, conds...)
			kind = planner.JoinNullAwareAnti
		default:
			conds = append([]planner.Expr{eq}, conds...)
		}
	}
	return &planner.Join{Kind: kind, Left: plan, Right: sub, Cond: planner.And(conds)}, nil
}

// correlatedSubquery binds a subquery that may refer to the columns of sc. The conjuncts of
// its WHERE clause that refer to them are taken out of the subquery and returned, to become
// the condition of the join that replaces it; a reference anywhere else is not supported. It
// also returns the number of the subquery's select-list columns (the first of its columns).
func (b *binder) correlatedSubquery(sel *pg_query.SelectStmt, sc *scope) (planner.Node, []planner.Expr, int, error) {
	node, outer, width, err := b.bindSubqueryWidth(sel, sc)
	if err != nil {
		return nil, nil, 0, err
	}
	if len(outer) == 0 {
		return node, nil, width, nil
	}
	var corr []planner.Expr
	node, err = b.pullCorrelated(node, outer, &corr)
	if err != nil {
		return nil, nil, 0, err
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
		return nil, nil, 0, errs.New(errs.NotImplemented, "this correlated subquery is not supported yet: correlation must be in the conjuncts of its WHERE clause")
	}
	return node, corr, width, nil
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
	if node, err = b.liftCorrelatedFuncs(node, outerScope.outer, sc); err != nil {
		return nil, nil, err
	}
	return node, outerScope.outer, nil
}

// pullCorrelated removes the conjuncts of filters in n (through projections and filters, and
// limits whose correlation is equalities; not through aggregates) that refer to outer
// columns, appending them to corr. The columns those conjuncts use from inside are kept in
// the projections above.
func (b *binder) pullCorrelated(n planner.Node, outer map[planner.ColumnID]bool, corr *[]planner.Expr) (planner.Node, error) {
	switch x := n.(type) {
	case *planner.Project:
		in, err := b.pullCorrelated(x.Input, outer, corr)
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
		in, err := b.pullCorrelated(x.Input, outer, corr)
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
		l, err := b.pullCorrelated(x.Left, outer, corr)
		if err != nil {
			return nil, err
		}
		c := *x
		c.Left = l
		return &c, nil
	case *planner.Limit:
		return b.pullThroughLimit(x, outer, corr)
	case *planner.Unnest, *planner.Sort:
		// Conditions on the input's rows hold on the rows an unnest expands them into, and
		// on the same rows sorted.
		in, err := b.pullCorrelated(n.Inputs()[0], outer, corr)
		if err != nil {
			return nil, err
		}
		return planner.WithInputs(n, []planner.Node{in}), nil
	}
	return n, nil
}

// scalarSubquery binds (SELECT ...) used as a value. The subquery is joined in as a relation
// with at most one row per outer row (none gives NULL): an uncorrelated one as it is when it
// cannot yield more than one row, else with its rows counted, so that more than one fails at
// run time; a correlated one decorrelated by correlatedScalar. The expression refers to the
// joined columns.
func (b *binder) scalarSubquery(sl *pg_query.SubLink, sc *scope) (planner.Expr, error) {
	sub, outer, width, err := b.bindSubqueryWidth(sl.Subselect.GetSelectStmt(), sc)
	if decorrelationFailed(err) {
		return b.applySublink(sl, sc, nil)
	}
	if err != nil {
		return nil, err
	}
	if width != 1 {
		return nil, errs.New(errs.Syntax, "subquery must return only one column")
	}
	if len(outer) > 0 {
		e, err := b.correlatedScalar(sub, outer, sc)
		if decorrelationFailed(err) {
			return b.applyValue(sub), nil
		}
		return e, err
	}
	v := sub.Columns()[0]
	if atMostOneRow(sub) {
		b.joinScalar(sub, nil)
		return ref(v), nil
	}
	a, cnt, val, err := b.countedValue(sub, ref(v), nil)
	if err != nil {
		// A type min cannot aggregate: the rows are joined in unchecked.
		b.joinScalar(sub, nil)
		return ref(v), nil
	}
	b.joinScalar(a, nil)
	return tooManyRows(val, cnt), nil
}

// tooManyRows is val, failing where cnt, a subquery's number of rows, is more than one.
func tooManyRows(val, cnt planner.Column) planner.Expr {
	return &planner.Check{
		E:    ref(val),
		Fail: &planner.Binary{Op: planner.OpGt, L: ref(cnt), R: &planner.Literal{Value: int64(1), Typ: types.Int64}, Typ: types.Bool},
		Kind: errs.TooManyRows,
		Msg:  "more than one row returned by a subquery used as an expression",
	}
}

// countedValue aggregates in, grouped by groups, into the groups, the number of rows and v's
// value (the minimum, which is the value when there is one row).
func (b *binder) countedValue(in planner.Node, v planner.Expr, groups []planner.Expr) (*planner.Aggregate, planner.Column, planner.Column, error) {
	if _, err := exec.AggregateResultType("min", v.Type()); err != nil {
		return nil, planner.Column{}, planner.Column{}, err
	}
	a := &planner.Aggregate{Input: in, Aggs: []planner.AggCall{{Func: "count_star"}, {Func: "min", Arg: v}}}
	for _, g := range groups {
		a.Groups = append(a.Groups, g)
		a.Cols = append(a.Cols, b.newColumn("key", g.Type()))
	}
	cnt := b.newColumn("count", types.Int64)
	val := b.newColumn(planner.ExprName(v), v.Type())
	a.Cols = append(a.Cols, cnt, val)
	return a, cnt, val, nil
}

// joinScalar queues n to be left-joined onto the query on cond (nil: on true), its columns
// constant within each outer row.
func (b *binder) joinScalar(n planner.Node, cond planner.Expr) {
	b.scalars = append(b.scalars, pendingJoin{node: n, cond: cond})
	if b.constCols == nil {
		b.constCols = map[planner.ColumnID]bool{}
	}
	for _, c := range n.Columns() {
		b.constCols[c.ID] = true
	}
}

// atMostOneRow reports whether n yields at most one row whatever the data.
func atMostOneRow(n planner.Node) bool {
	switch x := n.(type) {
	case *planner.Project:
		return atMostOneRow(x.Input)
	case *planner.Filter:
		return atMostOneRow(x.Input)
	case *planner.Sort:
		return atMostOneRow(x.Input)
	case *planner.Aggregate:
		return len(x.Groups) == 0
	case *planner.Limit:
		return (x.Count >= 0 && x.Count <= 1) || atMostOneRow(x.Input)
	case *planner.Values:
		return len(x.Rows) <= 1
	}
	return false
}

// pendingJoin is a scalar subquery waiting to be joined in, with its join condition (nil for
// an uncorrelated one).
type pendingJoin struct {
	node planner.Node
	cond planner.Expr
	// mark, when set, replaces the left join: see markJoin.
	mark *markJoin
	// apply, when set, replaces the left join: a dependent join (apply.go).
	apply *planner.Apply
}

// applyScalarSubqueries joins the scalar subqueries bound so far onto plan.
func (b *binder) applyScalarSubqueries(plan planner.Node) planner.Node {
	for _, s := range b.scalars {
		plan = applyPending(plan, s)
	}
	b.scalars = nil
	return plan
}

// correlatedScalar decorrelates a scalar subquery sub that refers to the outer columns outer,
// correlated by equalities inner_i = outer_i in the conjuncts of its WHERE clause:
//
//   - SELECT f(aggregates) FROM ... WHERE corr AND local becomes the aggregates grouped by the
//     inner keys, left-joined on the keys; f is computed over the joined columns, with the
//     counts of an empty group (no joined row) taken as 0, not NULL, as PostgreSQL computes
//     aggregates over no rows.
//   - SELECT v FROM ... WHERE corr AND local becomes the number of rows and v grouped by the
//     inner keys, left-joined on the keys; more than one row for an outer row fails.
//
// What it cannot decorrelate is a NotImplemented error: the subquery then runs per outer
// row (applyValue).
func (b *binder) correlatedScalar(sub planner.Node, outer map[planner.ColumnID]bool, sc *scope) (planner.Expr, error) {
	d := &scalarDecorrelation{b: b, outer: outer, sc: sc}
	if p, ok := sub.(*planner.Project); ok {
		if a, ok := p.Input.(*planner.Aggregate); ok && len(a.Groups) == 0 {
			return d.aggregate(p, a)
		}
		if !outerFree(p.Exprs[0], outer) {
			return d.value(p)
		}
	}
	x, inner, outerKeys, err := d.split(sub)
	if err != nil {
		return nil, err
	}
	a, cnt, val, err := b.countedValue(x, ref(x.Columns()[0]), inner)
	if err != nil {
		return nil, errUnsupportedScalar
	}
	b.joinScalar(a, d.keyCond(a.Cols[:len(inner)], outerKeys))
	return tooManyRows(val, cnt), nil
}

var errUnsupportedScalar = errs.New(errs.NotImplemented, "this correlated scalar subquery is not supported yet: it must be correlated by equalities in its WHERE clause")

// scalarDecorrelation is the decorrelation of one scalar subquery (correlatedScalar).
type scalarDecorrelation struct {
	b     *binder
	outer map[planner.ColumnID]bool
	// guards are the conjuncts that refer to outer columns only: they join the key
	// condition of the left join, so an outer row failing one joins no row.
	guards []planner.Expr
	// sc is the scope of the enclosing query, whose domain narrows the subquery's rows to
	// the keys it can meet (narrowToOuterKeys).
	sc *scope
	// aggArgs are the arguments of the aggregates computed over the split rows.
	aggArgs []planner.Expr
}

// split takes the correlation out of in: the plan without it, and its equalities as inner
// expressions equal to outer ones.
func (d *scalarDecorrelation) split(in planner.Node) (planner.Node, []planner.Expr, []planner.Expr, error) {
	outer := d.outer
	var corr []planner.Expr
	x, err := d.b.pullCorrelated(in, outer, &corr)
	if err != nil {
		return nil, nil, nil, err
	}
	var inner, outerKeys, rest []planner.Expr
	// same maps an outer column equal to an inner expression to that expression.
	same := map[planner.ColumnID]planner.Expr{}
	for _, c := range corr {
		i, o, ok := splitEquality(c, outer)
		if !ok {
			if outerOnly(c, outer) {
				d.guards = append(d.guards, c)
			} else {
				rest = append(rest, c)
			}
			continue
		}
		if cr, ok := o.(*planner.ColumnRef); ok && arrow.TypeEqual(cr.Typ, i.Type()) {
			same[cr.ID] = i
		}
		inner, outerKeys = append(inner, i), append(outerKeys, o)
	}
	// A conjunct over inner and outer columns whose outer columns each equal an inner
	// expression is a condition on the inner rows alone: it filters them.
	for _, c := range rest {
		sub, err := planner.Transform(c, func(e planner.Expr) (planner.Expr, error) {
			if cr, ok := e.(*planner.ColumnRef); ok && outer[cr.ID] {
				if i, ok := same[cr.ID]; ok {
					return i, nil
				}
			}
			return e, nil
		})
		if err != nil {
			return nil, nil, nil, err
		}
		if !outerFree(sub, outer) {
			return nil, nil, nil, errUnsupportedScalar
		}
		x = &planner.Filter{Input: x, Pred: sub}
	}
	if ok, _ := checkOuterFree(x, outer); !ok {
		return nil, nil, nil, errUnsupportedScalar
	}
	if x, err = d.b.narrowToOuterKeys(x, d.aggArgs, inner, outerKeys, d.sc); err != nil {
		return nil, nil, nil, err
	}
	return x, inner, outerKeys, nil
}

// keyCond is the condition joining the grouped keys to the outer keys, with the guards.
func (d *scalarDecorrelation) keyCond(keys []planner.Column, outerKeys []planner.Expr) planner.Expr {
	var conds []planner.Expr
	for i, k := range keys {
		conds = append(conds, &planner.Binary{Op: planner.OpEq, L: outerKeys[i], R: ref(k), Typ: types.Bool})
	}
	return planner.And(append(conds, d.guards...))
}

// groupedBy is an Aggregate over x grouped by the inner keys, with its key columns.
func (d *scalarDecorrelation) groupedBy(x planner.Node, inner []planner.Expr, aggs []planner.AggCall) (*planner.Aggregate, []planner.Column) {
	a := &planner.Aggregate{Input: x, Aggs: aggs}
	var keys []planner.Column
	for _, k := range inner {
		a.Groups = append(a.Groups, k)
		keys = append(keys, d.b.newColumn("key", k.Type()))
	}
	return a, keys
}

// aggregate decorrelates SELECT f(aggregates) FROM ... WHERE corr AND local: the aggregates
// grouped by the inner keys, left-joined on the keys; f is computed over the joined
// columns, with the counts of an empty group (no joined row) taken as 0, not NULL, as
// PostgreSQL computes aggregates over no rows.
func (d *scalarDecorrelation) aggregate(p *planner.Project, a *planner.Aggregate) (planner.Expr, error) {
	for _, call := range a.Aggs {
		d.aggArgs = append(append(d.aggArgs, call.Arg, call.Filter), call.Extra...)
	}
	x, inner, outerKeys, err := d.split(a.Input)
	if err != nil {
		return nil, err
	}
	na, keys := d.groupedBy(x, inner, a.Aggs)
	na.Cols = append(append([]planner.Column{}, keys...), a.Cols...)
	if ok, _ := checkOuterFree(na, d.outer); !ok {
		// The outer row in an aggregate's argument or FILTER.
		return nil, errUnsupportedScalar
	}
	counts := map[planner.ColumnID]bool{}
	for i, call := range a.Aggs {
		if call.Func == "count" || call.Func == "count_star" {
			counts[a.Cols[i].ID] = true
		}
	}
	e, err := planner.Transform(p.Exprs[0], func(e planner.Expr) (planner.Expr, error) {
		if c, ok := e.(*planner.ColumnRef); ok && counts[c.ID] {
			return &planner.Coalesce{Args: []planner.Expr{c, &planner.Literal{Value: int64(0), Typ: types.Int64}}, Typ: c.Typ}, nil
		}
		return e, nil
	})
	if err != nil {
		return nil, err
	}
	d.b.joinScalar(na, d.keyCond(keys, outerKeys))
	return e, nil
}

// value decorrelates SELECT f(inner, outer) FROM ... WHERE corr AND local: the inner
// columns f needs are aggregated (the minimum, which is the value of the one row) with the
// number of rows, grouped by the inner keys and left-joined on them; f is computed over the
// joined row, NULL where no row joined, and more than one row fails.
func (d *scalarDecorrelation) value(p *planner.Project) (planner.Expr, error) {
	b := d.b
	x, inner, outerKeys, err := d.split(p.Input)
	if err != nil {
		return nil, err
	}
	used := map[planner.ColumnID]bool{}
	planner.ColumnsUsed(p.Exprs[0], used)
	a, keys := d.groupedBy(x, inner, []planner.AggCall{{Func: "count_star"}})
	cnt := b.newColumn("count", types.Int64)
	a.Cols = append(append([]planner.Column{}, keys...), cnt)
	mins := map[planner.ColumnID]planner.Column{}
	for _, c := range x.Columns() {
		if !used[c.ID] {
			continue
		}
		if _, err := exec.AggregateResultType("min", c.Type); err != nil {
			return nil, errUnsupportedScalar
		}
		m := b.newColumn(c.Name, c.Type)
		a.Aggs = append(a.Aggs, planner.AggCall{Func: "min", Arg: ref(c)})
		a.Cols = append(a.Cols, m)
		mins[c.ID] = m
	}
	val, err := planner.Transform(p.Exprs[0], func(e planner.Expr) (planner.Expr, error) {
		if c, ok := e.(*planner.ColumnRef); ok {
			if m, ok := mins[c.ID]; ok {
				return ref(m), nil
			}
		}
		return e, nil
	})
	if err != nil {
		return nil, err
	}
	b.joinScalar(a, d.keyCond(keys, outerKeys))
	t := val.Type()
	val = &planner.Case{Whens: []planner.Expr{&planner.IsNull{E: ref(cnt)}}, Thens: []planner.Expr{&planner.Literal{Typ: t}}, Else: val, Typ: t}
	return &planner.Check{E: val,
		Fail: &planner.Binary{Op: planner.OpGt, L: ref(cnt), R: &planner.Literal{Value: int64(1), Typ: types.Int64}, Typ: types.Bool},
		Kind: errs.TooManyRows, Msg: "more than one row returned by a subquery used as an expression"}, nil
}

// outerFree reports whether e refers to no outer column.
func outerFree(e planner.Expr, outer map[planner.ColumnID]bool) bool {
	used := map[planner.ColumnID]bool{}
	planner.ColumnsUsed(e, used)
	for id := range used {
		if outer[id] {
			return false
		}
	}
	return true
}

// outerOnly reports whether e refers to outer columns only.
func outerOnly(e planner.Expr, outer map[planner.ColumnID]bool) bool {
	used := map[planner.ColumnID]bool{}
	planner.ColumnsUsed(e, used)
	for id := range used {
		if !outer[id] {
			return false
		}
	}
	return true
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

// existsBody drops what cannot change the result of EXISTS (subquery) from the subquery while
// it is bound: its ORDER BY and a LIMIT of a positive constant without OFFSET (which would
// stop a correlation from being pulled out). The returned function puts them back.
func existsBody(sl *pg_query.SubLink) func() {
	sel := sl.Subselect.GetSelectStmt()
	if sl.SubLinkType != pg_query.SubLinkType_EXISTS_SUBLINK || sel == nil {
		return func() {}
	}
	sort, limit := sel.SortClause, sel.LimitCount
	sel.SortClause = nil
	keepLimit := true
	if c := limit.GetAConst(); c != nil && c.GetIval() != nil && c.GetIval().Ival > 0 && sel.LimitOffset == nil {
		sel.LimitCount, keepLimit = nil, false
	}
	return func() {
		sel.SortClause = sort
		if !keepLimit {
			sel.LimitCount = limit
		}
	}
}
