package sql

import (
	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/planner"
	"github.com/sleeperd/sleeperd/types"
)

// lateralSubquery binds left [INNER | LEFT] JOIN LATERAL (subquery) alias ON quals (quals nil:
// ON true, as for a LATERAL item in a FROM list), where the subquery may refer to the
// columns of ls, the left side's scope. It returns the joined plan and the scope of the
// subquery's columns. A correlated subquery is decorrelated:
//
//   - SELECT f(aggregates) FROM ... WHERE corr: the aggregates grouped by the inner sides of
//     corr, equalities inner = outer, left-joined onto left on them, f computed over the
//     joined rows with counts of no rows taken as 0 (one row per left row, as an
//     aggregate without GROUP BY gives); the ON condition then filters (inner join) or
//     blanks the subquery's columns where it does not hold (left join).
//   - SELECT ... GROUP BY g WHERE corr: the same with the groups g kept, joined as asked.
//   - any other SELECT exprs FROM ... WHERE corr AND local: joined as asked on corr (any
//     conditions) and quals; exprs that refer to left's columns are computed over the
//     join, as NULL where a left join found no row.
//
// The correlation must be in conjuncts of the subquery's WHERE clause; its ORDER BY without
// LIMIT is dropped, as it cannot change the joined rows.
func (b *binder) lateralSubquery(kind planner.JoinKind, left planner.Node, ls *scope, rs *pg_query.RangeSubselect, quals *pg_query.Node) (planner.Node, *scope, error) {
	if rs.Alias == nil {
		return nil, nil, errs.New(errs.Syntax, "subquery in FROM must have an alias")
	}
	if kind == planner.JoinInner && quals != nil && hasSubLink(quals) {
		return b.lateralSubqueryOn(left, ls, rs, quals)
	}
	sel := rs.Subquery.GetSelectStmt()
	if sel == nil {
		return nil, nil, errs.New(errs.NotImplemented, "this subquery in FROM is not supported")
	}
	outerScope := &scope{parent: ls}
	saved := b.outer
	b.outer = outerScope
	sub, names, err := b.selectStmt(sel)
	b.outer = saved
	if err != nil {
		return nil, nil, err
	}
	unlifted := sub
	delete(b.volatileWhere, ls)
	if sub, err = b.liftCorrelatedFuncs(sub, outerScope.outer, ls); err != nil {
		return nil, nil, err
	}
	l := &lateral{b: b, kind: kind, left: left, ls: ls, rs: rs, quals: quals,
		names: names, width: len(names), leftCols: left.Columns(), outer: outerScope.outer}
	if kind == planner.JoinLeft && quals != nil && hasSubLink(quals) {
		return l.applyOn(dropSort(sub))
	}
	if b.volatileWhere[ls] {
		// The WHERE has a volatile condition on the left side, which the function's domain
		// cannot take: run the subquery per left row instead, below the WHERE's conditions on
		// the left side (the optimiser moves them under the Apply), as PostgreSQL runs it.
		return l.apply(dropSort(unlifted))
	}
	if len(l.outer) == 0 {
		cond, err := l.on(sub.Columns())
		if err != nil {
			return nil, nil, err
		}
		sc, err := l.scopeOf(sub.Columns())
		if kind == planner.JoinInner && cond == nil {
			kind = planner.JoinCross
		}
		return &planner.Join{Kind: kind, Left: left, Right: sub, Cond: cond}, sc, err
	}
	if err := l.checkKind(); err != nil {
		return nil, nil, err
	}
	sub = dropSort(sub)
	var n planner.Node
	var sc *scope
	if p, ok := sub.(*planner.Project); ok && isAggregateNode(p.Input) {
		n, sc, err = l.aggregate(p, p.Input.(*planner.Aggregate))
	} else {
		n, sc, err = l.correlated(sub)
	}
	if decorrelationFailed(err) {
		// Run per left row instead.
		return l.apply(sub)
	}
	return n, sc, err
}

func isAggregateNode(n planner.Node) bool {
	_, ok := n.(*planner.Aggregate)
	return ok
}

// lateral is the binding of one correlated LATERAL subquery (lateralSubquery).
type lateral struct {
	b        *binder
	kind     planner.JoinKind
	left     planner.Node
	ls       *scope // the left side's scope
	rs       *pg_query.RangeSubselect
	quals    *pg_query.Node // the ON condition; nil: true
	names    []string       // the subquery's output names
	width    int            // len(names): the subquery's visible columns
	leftCols []planner.Column
	outer    map[planner.ColumnID]bool // the left columns the subquery refers to
}

func (l *lateral) unsupported() error {
	return errs.New(errs.NotImplemented, "this LATERAL subquery is not supported yet: its correlation must be in the conjuncts of its WHERE clause")
}

// scopeOf is the scope of the subquery's columns cols.
func (l *lateral) scopeOf(cols []planner.Column) (*scope, error) {
	return relationScope(l.rs.Alias.Aliasname, renamed(cols[:l.width], l.names), l.rs.Alias)
}

// on binds the quals over left's columns and the subquery's columns rcols (nil: true).
func (l *lateral) on(rcols []planner.Column) (planner.Expr, error) {
	if l.quals == nil {
		return nil, nil
	}
	rsc, err := l.scopeOf(rcols)
	if err != nil {
		return nil, err
	}
	sc := &scope{}
	if err := sc.add(l.ls); err != nil {
		return nil, err
	}
	if err := sc.add(rsc); err != nil {
		return nil, err
	}
	pending := len(l.b.scalars)
	c, err := l.b.expr(l.quals, sc, nil)
	if err != nil {
		return nil, err
	}
	if len(l.b.scalars) > pending {
		return nil, errs.New(errs.Internal, "subqueries in the condition of a LATERAL join bound without them")
	}
	if c, err = l.b.coerceBool(c, "JOIN/ON"); err != nil {
		return nil, err
	}
	if lit, ok := c.(*planner.Literal); ok && lit.Value == true {
		return nil, nil
	}
	return c, nil
}

// project builds the columns of left and the expressions exprs over in, as cols.
func (l *lateral) project(in planner.Node, exprs []planner.Expr, cols []planner.Column) *planner.Project {
	p := &planner.Project{Input: in}
	for _, c := range l.leftCols {
		p.Exprs = append(p.Exprs, ref(c))
		p.Cols = append(p.Cols, c)
	}
	p.Exprs = append(p.Exprs, exprs...)
	p.Cols = append(p.Cols, cols...)
	return p
}

// aggregate decorrelates a subquery p that aggregates a: its aggregates grouped by the inner
// sides of the correlation's equalities as well, left-joined onto left on them.
func (l *lateral) aggregate(p *planner.Project, a *planner.Aggregate) (planner.Node, *scope, error) {
	b := l.b
	var corr []planner.Expr
	x, err := l.b.pullCorrelated(a.Input, l.outer, &corr)
	if err != nil {
		return nil, nil, err
	}
	var inner, outerKeys []planner.Expr
	for _, c := range corr {
		i, o, ok := splitEquality(c, l.outer)
		if !ok {
			return nil, nil, l.unsupported()
		}
		inner, outerKeys = append(inner, i), append(outerKeys, o)
	}
	var args []planner.Expr
	for _, call := range a.Aggs {
		args = append(append(args, call.Arg, call.Filter), call.Extra...)
	}
	if x, err = b.narrowToOuterKeys(x, args, inner, outerKeys, l.ls); err != nil {
		return nil, nil, err
	}
	na := &planner.Aggregate{Input: x, Groups: append(append([]planner.Expr{}, inner...), a.Groups...), Aggs: a.Aggs}
	var keys []planner.Column
	var keyCond []planner.Expr
	for i, k := range inner {
		c := b.newColumn("key", k.Type())
		keys = append(keys, c)
		keyCond = append(keyCond, &planner.Binary{Op: planner.OpEq, L: outerKeys[i], R: ref(c), Typ: types.Bool})
	}
	na.Cols = append(append([]planner.Column{}, keys...), a.Cols...)
	if ok, _ := checkOuterFree(na, l.outer); !ok {
		return nil, nil, l.unsupported()
	}
	exprs := p.Exprs[:l.width]
	cols := p.Cols[:l.width]
	if len(a.Groups) > 0 {
		// Grouped: no group, no row.
		j := &planner.Join{Kind: l.kind, Left: l.left, Right: na, Cond: planner.And(keyCond)}
		pr := l.project(j, exprs, cols)
		cond, err := l.on(cols)
		if err != nil {
			return nil, nil, err
		}
		var out planner.Node = pr
		if cond != nil {
			if l.kind == planner.JoinLeft {
				return nil, nil, errs.New(errs.NotImplemented, "LEFT JOIN LATERAL of a grouped subquery is supported only with ON true")
			}
			out = &planner.Filter{Input: pr, Pred: cond}
		}
		if l.kind == planner.JoinLeft {
			pr.Exprs = append(pr.Exprs[:len(l.leftCols)], b.nullUnlessMatched(j, na, exprs)...)
		}
		sc, err := l.scopeOf(cols)
		return out, sc, err
	}
	// One row per left row: counts of no rows are 0.
	counts := map[planner.ColumnID]bool{}
	for i, call := range a.Aggs {
		if call.Func == "count" || call.Func == "count_star" {
			counts[a.Cols[len(a.Groups)+i].ID] = true
		}
	}
	var fixed []planner.Expr
	for _, e := range exprs {
		f, err := planner.Transform(e, func(e planner.Expr) (planner.Expr, error) {
			if c, ok := e.(*planner.ColumnRef); ok && counts[c.ID] {
				return &planner.Coalesce{Args: []planner.Expr{c, &planner.Literal{Value: int64(0), Typ: types.Int64}}, Typ: c.Typ}, nil
			}
			return e, nil
		})
		if err != nil {
			return nil, nil, err
		}
		fixed = append(fixed, f)
	}
	j := &planner.Join{Kind: planner.JoinLeft, Left: l.left, Right: na, Cond: planner.And(keyCond)}
	pr := l.project(j, fixed, cols)
	cond, err := l.on(cols)
	if err != nil {
		return nil, nil, err
	}
	if cond == nil {
		sc, err := l.scopeOf(cols)
		return pr, sc, err
	}
	if l.kind == planner.JoinInner {
		sc, err := l.scopeOf(cols)
		return &planner.Filter{Input: pr, Pred: cond}, sc, err
	}
	// LEFT: the subquery's columns are NULL where the condition does not hold.
	var blanked []planner.Expr
	var bcols []planner.Column
	for _, c := range cols {
		blanked = append(blanked, &planner.Case{Whens: []planner.Expr{cond}, Thens: []planner.Expr{ref(c)}, Else: &planner.Literal{Typ: c.Type}, Typ: c.Type})
		bcols = append(bcols, b.newColumn(c.Name, c.Type))
	}
	sc, err := l.scopeOf(bcols)
	return l.project(pr, blanked, bcols), sc, err
}

// correlated decorrelates any other subquery: joined as asked on its correlation and the
// quals, its select list computed over the join when it refers to left's columns.
func (l *lateral) correlated(sub planner.Node) (planner.Node, *scope, error) {
	var corr []planner.Expr
	x, err := l.b.pullCorrelated(sub, l.outer, &corr)
	if err != nil {
		return nil, nil, err
	}
	if x, err = l.narrow(x, corr); err != nil {
		return nil, nil, err
	}
	if ok, _ := checkOuterFree(x, l.outer); ok {
		cond, err := l.on(x.Columns())
		if err != nil {
			return nil, nil, err
		}
		if cond != nil {
			corr = append(corr, cond)
		}
		sc, err := l.scopeOf(x.Columns())
		return &planner.Join{Kind: l.kind, Left: l.left, Right: x, Cond: planner.And(corr)}, sc, err
	}
	// The select list refers to left's columns: computed over the join.
	p, ok := x.(*planner.Project)
	if !ok {
		return nil, nil, l.unsupported()
	}
	if ok, _ := checkOuterFree(p.Input, l.outer); !ok {
		return nil, nil, l.unsupported()
	}
	exprs, cols := p.Exprs[:l.width], p.Cols[:l.width]
	cond, err := l.on(cols)
	if err != nil {
		return nil, nil, err
	}
	if cond != nil {
		// The condition refers to the select list's columns: their expressions instead.
		byID := map[planner.ColumnID]planner.Expr{}
		for i, c := range cols {
			byID[c.ID] = exprs[i]
		}
		cond, err = planner.Transform(cond, func(e planner.Expr) (planner.Expr, error) {
			if c, ok := e.(*planner.ColumnRef); ok && byID[c.ID] != nil {
				return byID[c.ID], nil
			}
			return e, nil
		})
		if err != nil {
			return nil, nil, err
		}
		corr = append(corr, cond)
	}
	j := &planner.Join{Kind: l.kind, Left: l.left, Right: p.Input, Cond: planner.And(corr)}
	if l.kind == planner.JoinLeft {
		exprs = l.b.nullUnlessMatched(j, p.Input, exprs)
	}
	sc, err := l.scopeOf(cols)
	return l.project(j, exprs, cols), sc, err
}

// narrow restricts x, the subquery's rows without its correlation corr, to the rows whose
// inner sides of corr's equalities the left side's rows can meet (narrowToOuterKeys), below
// the expressions x computes: only x's input when x computes its select list over the left
// side's columns, which the join then gives.
func (l *lateral) narrow(x planner.Node, corr []planner.Expr) (planner.Node, error) {
	var inner, outerKeys []planner.Expr
	for _, c := range corr {
		if i, o, ok := splitEquality(c, l.outer); ok {
			inner, outerKeys = append(inner, i), append(outerKeys, o)
		}
	}
	if ok, _ := checkOuterFree(x, l.outer); ok {
		return l.b.narrowToOuterKeys(x, nil, inner, outerKeys, l.ls)
	}
	p, ok := x.(*planner.Project)
	if !ok {
		return x, nil
	}
	if ok, _ := checkOuterFree(p.Input, l.outer); !ok {
		return x, nil
	}
	in, err := l.b.narrowToOuterKeys(p.Input, nil, inner, outerKeys, l.ls)
	if err != nil || in == p.Input {
		return x, err
	}
	c := *p
	c.Input = in
	return &c, nil
}

// nullUnlessMatched rewrites exprs, computed over the left join j whose right side is right,
// to be NULL on the rows where the join found no right row: right gets a marker column that
// is true on its rows (j's right side is replaced).
func (b *binder) nullUnlessMatched(j *planner.Join, right planner.Node, exprs []planner.Expr) []planner.Expr {
	p, m := b.markRows(right, "matched")
	j.Right = p
	out := make([]planner.Expr, len(exprs))
	for i, e := range exprs {
		out[i] = &planner.Case{Whens: []planner.Expr{ref(m)}, Thens: []planner.Expr{e}, Else: &planner.Literal{Typ: e.Type()}, Typ: e.Type()}
	}
	return out
}

// dropSort removes an ORDER BY without LIMIT from the top of a subquery's plan (and the
// projection that hides its sort keys, when the sort is under one).
func dropSort(n planner.Node) planner.Node {
	switch x := n.(type) {
	case *planner.Sort:
		return x.Input
	case *planner.Project:
		if s, ok := x.Input.(*planner.Sort); ok {
			c := *x
			c.Input = s.Input
			return &c
		}
	}
	return n
}

// lateralSubqueryOn binds left JOIN LATERAL (subquery) alias ON quals where quals hold
// subqueries: the lateral join with ON true, its rows joined with the subqueries of quals
// (correlated ones run per joined row, or decorrelated) and then filtered by quals.
func (b *binder) lateralSubqueryOn(left planner.Node, ls *scope, rs *pg_query.RangeSubselect, quals *pg_query.Node) (planner.Node, *scope, error) {
	n, rsc, err := b.lateralSubquery(planner.JoinInner, left, ls, rs, nil)
	if err != nil {
		return nil, nil, err
	}
	sc := &scope{}
	if err := sc.add(ls); err != nil {
		return nil, nil, err
	}
	if err := sc.add(rsc); err != nil {
		return nil, nil, err
	}
	pending := len(b.scalars)
	c, err := b.expr(quals, sc, nil)
	if err != nil {
		return nil, nil, err
	}
	subs := append([]pendingJoin(nil), b.scalars[pending:]...)
	b.scalars = b.scalars[:pending]
	if c, err = b.coerceBool(c, "JOIN/ON"); err != nil {
		return nil, nil, err
	}
	for _, s := range subs {
		n = applyPending(n, s)
	}
	return &planner.Filter{Input: n, Pred: c}, rsc, nil
}

// hasSubLink says whether the parse tree n holds a subquery expression.
func hasSubLink(n *pg_query.Node) bool {
	return !walkMessages(n.ProtoReflect(), func(m protoreflect.Message) (bool, bool) {
		_, ok := m.Interface().(*pg_query.SubLink)
		return !ok, !ok
	})
}

// applyOn binds left LEFT JOIN LATERAL (sub) ON quals where quals hold subqueries: sub,
// joined with the subqueries and filtered by quals, run per left row, which it keeps with
// NULLs when no row of sub passes.
func (l *lateral) applyOn(sub planner.Node) (planner.Node, *scope, error) {
	b := l.b
	cols := sub.Columns()[:l.width]
	rsc, err := l.scopeOf(cols)
	if err != nil {
		return nil, nil, err
	}
	sc := &scope{}
	if err := sc.add(l.ls); err != nil {
		return nil, nil, err
	}
	if err := sc.add(rsc); err != nil {
		return nil, nil, err
	}
	pending := len(b.scalars)
	c, err := b.expr(l.quals, sc, nil)
	if err != nil {
		return nil, nil, err
	}
	subs := append([]pendingJoin(nil), b.scalars[pending:]...)
	b.scalars = b.scalars[:pending]
	if c, err = b.coerceBool(c, "JOIN/ON"); err != nil {
		return nil, nil, err
	}
	r := sub
	for _, s := range subs {
		r = applyPending(r, s)
	}
	r = &planner.Filter{Input: r, Pred: c}
	return placeApply(l.left, &planner.Apply{Kind: planner.ApplyLeft, Right: r, Cols: cols}), rsc, nil
}
