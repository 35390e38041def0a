package sql

import (
	"github.com/apache/arrow-go/v18/arrow"
	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/exec"
	"github.com/sleeperd/sleeperd/planner"
	"github.com/sleeperd/sleeperd/types"
)

// sublink binds EXISTS (subquery) and x op ANY|ALL (subquery) used as a value: anywhere in
// an expression, under OR, NOT or CASE, in the select list or HAVING. The subquery becomes
// relations left-joined onto the query (as scalar subqueries are), one row per outer row:
//
//   - EXISTS: the distinct correlation keys of the subquery with a marker column; EXISTS is
//     "marker IS NOT NULL".
//   - x = ANY (IN): the distinct (keys, value) pairs with a marker, joined on the keys and
//     x = value, plus the row and non-NULL value counts per key, for PostgreSQL's NULL
//     semantics: true on a match, false when the subquery is empty, NULL when x is NULL or
//     the subquery yields a NULL, false otherwise.
//   - x < ANY, x >= ALL, x = ALL, ...: the counts and the minimum or maximum value per key.
//
// x <> ALL is NOT (x = ANY) and x <> ANY is NOT (x = ALL). The subquery may be correlated by
// equalities between its columns and the outer query's in the conjuncts of its WHERE clause.
func (b *binder) sublink(sl *pg_query.SubLink, sc *scope, agg *aggContext) (planner.Expr, error) {
	sel := sl.Subselect.GetSelectStmt()
	if sel == nil {
		return nil, errs.New(errs.NotImplemented, "this subquery is not supported")
	}
	if r := sl.Testexpr.GetRowExpr(); r != nil {
		return b.rowSublink(sl, r.Args, sc, agg)
	}
	restore := existsBody(sl)
	sub, width, inner, outerKeys, rest, err := b.equiCorrelated(sel, sc)
	restore()
	if decorrelationFailed(err) {
		return b.applySublink(sl, sc, agg)
	}
	if err != nil {
		return nil, err
	}
	if len(rest) > 0 {
		// Correlated by more than equalities: mark the outer rows with semi and anti joins.
		var corr []planner.Expr
		for i := range inner {
			corr = append(corr, &planner.Binary{Op: planner.OpEq, L: inner[i], R: outerKeys[i], Typ: types.Bool})
		}
		return b.markSublink(sl, sc, agg, sub, width, append(corr, rest...))
	}
	e := &equiSublink{b: b, sub: sub, inner: inner, outerKeys: outerKeys}
	if sl.SubLinkType == pg_query.SubLinkType_EXISTS_SUBLINK {
		return e.exists(), nil
	}
	return e.quantified(sl, sc, agg, width)
}

// equiSublink is a subquery used as a value, correlated by the equalities inner_i =
// outerKeys_i (none when it is not correlated): see sublink.
type equiSublink struct {
	b                *binder
	sub              planner.Node
	inner, outerKeys []planner.Expr
}

// grouped builds an Aggregate over sub grouped by the inner keys (plus extra groups), with
// the given calls, and returns it with the join condition on the keys.
func (e *equiSublink) grouped(extra []planner.Expr, calls []planner.AggCall) (*planner.Aggregate, []planner.Expr) {
	b := e.b
	a := &planner.Aggregate{Input: e.sub, Aggs: calls}
	var keyCond []planner.Expr
	for i, k := range e.inner {
		c := b.newColumn("key", k.Type())
		a.Groups = append(a.Groups, k)
		a.Cols = append(a.Cols, c)
		keyCond = append(keyCond, &planner.Binary{Op: planner.OpEq, L: e.outerKeys[i], R: ref(c), Typ: types.Bool})
	}
	for _, x := range extra {
		a.Groups = append(a.Groups, x)
		a.Cols = append(a.Cols, b.newColumn(planner.ExprName(x), x.Type()))
	}
	for _, call := range calls {
		t, _ := exec.AggregateResultType(call.Func, argType(call.Arg))
		a.Cols = append(a.Cols, b.newColumn(call.Func, t))
	}
	return a, keyCond
}

// join queues n to be left-joined onto the query on cond.
func (e *equiSublink) join(n planner.Node, cond []planner.Expr) {
	e.b.joinScalar(n, planner.And(cond))
}

// markRows is in with a new column, named name, that is true on its rows (NULL where a left
// join found none).
func (b *binder) markRows(in planner.Node, name string) (planner.Node, planner.Column) {
	m := b.newColumn(name, types.Bool)
	p := &planner.Project{Input: in}
	for _, c := range in.Columns() {
		p.Exprs = append(p.Exprs, ref(c))
		p.Cols = append(p.Cols, c)
	}
	p.Exprs = append(p.Exprs, &planner.Literal{Value: true, Typ: types.Bool})
	p.Cols = append(p.Cols, m)
	return p, m
}

// exists is EXISTS (sub): the distinct keys (one row, uncorrelated) with a marker.
func (e *equiSublink) exists() planner.Expr {
	var rel planner.Node
	var cond []planner.Expr
	if len(e.inner) == 0 {
		rel = &planner.Limit{Input: e.sub, Count: 1}
	} else {
		rel, cond = e.grouped(nil, nil)
	}
	rel, m := e.b.markRows(rel, "marker")
	e.join(rel, cond)
	return &planner.IsNull{E: ref(m), Negate: true}
}

// quantified is x op ANY|ALL (sub): see sublink.
func (e *equiSublink) quantified(sl *pg_query.SubLink, sc *scope, agg *aggContext, width int) (planner.Expr, error) {
	b := e.b
	op, opName, err := sublinkOp(sl, width)
	if err != nil {
		return nil, err
	}
	all := sl.SubLinkType == pg_query.SubLinkType_ALL_SUBLINK
	xv, v, err := b.subqueryTest(sl, sc, agg, op, e.sub)
	if err != nil {
		return nil, err
	}
	// x <> ALL is NOT (x = ANY), x <> ANY is NOT (x = ALL).
	negate := false
	if op == planner.OpNotEq {
		op, all, negate = planner.OpEq, !all, true
	}
	lit := func(v any) planner.Expr {
		if v == nil {
			return &planner.Literal{Typ: types.Bool}
		}
		return &planner.Literal{Value: v, Typ: types.Bool}
	}
	bin := func(op planner.Op, l, r planner.Expr) planner.Expr {
		return &planner.Binary{Op: op, L: l, R: r, Typ: types.Bool}
	}
	// Counts of rows and of non-NULL values per key, and a minimum or maximum.
	calls := []planner.AggCall{{Func: "count_star"}, {Func: "count", Arg: v}}
	var ext []string
	switch {
	case op == planner.OpEq && all:
		ext = []string{"min", "max"}
	case op == planner.OpEq:
	case (op == planner.OpLt || op == planner.OpLtEq) != all:
		ext = []string{"max"}
	default:
		ext = []string{"min"}
	}
	for _, f := range ext {
		if _, err := exec.AggregateResultType(f, v.Type()); err != nil {
			return nil, errs.New(errs.UndefinedFunction, "operator does not exist: %s %s %s", types.Name(xv.Type()), opName, types.Name(v.Type()))
		}
		calls = append(calls, planner.AggCall{Func: f, Arg: v})
	}
	counts, cond := e.grouped(nil, calls)
	e.join(counts, cond)
	cc := counts.Columns()[len(e.inner):]
	n := &planner.Coalesce{Args: []planner.Expr{ref(cc[0]), &planner.Literal{Value: int64(0), Typ: types.Int64}}, Typ: types.Int64}
	empty := bin(planner.OpEq, n, &planner.Literal{Value: int64(0), Typ: types.Int64})
	unknown := bin(planner.OpOr, &planner.IsNull{E: xv}, bin(planner.OpLt, ref(cc[1]), ref(cc[0])))
	var out planner.Expr
	switch {
	case op == planner.OpEq && !all:
		pairs, pcond := e.grouped([]planner.Expr{v}, nil)
		rel, m := e.b.markRows(pairs, "marker")
		vcol := pairs.Columns()[len(e.inner)]
		e.join(rel, append(pcond, bin(planner.OpEq, xv, ref(vcol))))
		out = &planner.Case{Whens: []planner.Expr{&planner.IsNull{E: ref(m), Negate: true}, empty, unknown},
			Thens: []planner.Expr{lit(true), lit(false), lit(nil)}, Else: lit(false), Typ: types.Bool}
	case op == planner.OpEq:
		differs := bin(planner.OpOr, bin(planner.OpNotEq, xv, ref(cc[2])), bin(planner.OpNotEq, xv, ref(cc[3])))
		out = &planner.Case{Whens: []planner.Expr{empty, differs, unknown},
			Thens: []planner.Expr{lit(true), lit(false), lit(nil)}, Else: lit(true), Typ: types.Bool}
	case all:
		out = &planner.Case{Whens: []planner.Expr{empty, &planner.Not{E: bin(op, xv, ref(cc[2]))}, unknown},
			Thens: []planner.Expr{lit(true), lit(false), lit(nil)}, Else: lit(true), Typ: types.Bool}
	default:
		out = &planner.Case{Whens: []planner.Expr{empty, bin(op, xv, ref(cc[2])), unknown},
			Thens: []planner.Expr{lit(false), lit(true), lit(nil)}, Else: lit(false), Typ: types.Bool}
	}
	if negate {
		out = &planner.Not{E: out}
	}
	return out, nil
}

func argType(e planner.Expr) arrow.DataType {
	if e == nil {
		return nil
	}
	return e.Type()
}

// equiCorrelated binds a subquery that may be correlated with sc by equalities in the
// conjuncts of its WHERE clause. It returns the subquery without them, the number of its
// select-list columns, and the correlation as pairs: inner[i] (over the subquery's columns)
// equals outerKeys[i] (over sc's).
func (b *binder) equiCorrelated(sel *pg_query.SelectStmt, sc *scope) (sub planner.Node, width int, inner, outerKeys, rest []planner.Expr, err error) {
	sub, outer, width, err := b.bindSubqueryWidth(sel, sc)
	if err != nil {
		return nil, 0, nil, nil, nil, err
	}
	if len(outer) == 0 {
		return sub, width, nil, nil, nil, nil
	}
	var corr []planner.Expr
	if sub, err = b.pullCorrelated(sub, outer, &corr); err != nil {
		return nil, 0, nil, nil, nil, err
	}
	if ok, _ := checkOuterFree(sub, outer); !ok {
		return nil, 0, nil, nil, nil, errs.New(errs.NotImplemented, "this correlated subquery is not supported yet: correlation must be in the conjuncts of its WHERE clause")
	}
	for _, c := range corr {
		in, out, ok := splitEquality(c, outer)
		if !ok {
			rest = append(rest, c)
			continue
		}
		inner, outerKeys = append(inner, in), append(outerKeys, out)
	}
	return sub, width, inner, outerKeys, rest, nil
}

// splitEquality splits inner = outer, where one side refers only to outer columns and the
// other to none.
func splitEquality(c planner.Expr, outer map[planner.ColumnID]bool) (planner.Expr, planner.Expr, bool) {
	bin, ok := c.(*planner.Binary)
	if !ok || bin.Op != planner.OpEq {
		return nil, nil, false
	}
	kind := func(e planner.Expr) (all, none bool) {
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
	in, out := bin.L, bin.R
	if a, _ := kind(in); a {
		in, out = bin.R, bin.L
	}
	if a, _ := kind(out); !a {
		return nil, nil, false
	}
	if _, none := kind(in); !none {
		return nil, nil, false
	}
	return in, out, true
}

// bindSubqueryWidth is bindSubquery that also returns the number of select-list columns.
func (b *binder) bindSubqueryWidth(sel *pg_query.SelectStmt, sc *scope) (planner.Node, map[planner.ColumnID]bool, int, error) {
	outerScope := &scope{parent: sc}
	saved := b.outer
	b.outer = outerScope
	defer func() { b.outer = saved }()
	perRow := b.perRow
	b.perRow = false
	node, names, err := b.selectStmt(sel)
	if err != nil {
		return nil, nil, 0, err
	}
	unlifted := node
	delete(b.volatileWhere, sc)
	if node, err = b.liftCorrelatedFuncs(node, outerScope.outer, sc); err != nil {
		return nil, nil, 0, err
	}
	if b.volatileWhere[sc] {
		// The enclosing WHERE has a volatile condition on its FROM items, which the domain
		// of a function over their columns leaves out: the subquery runs per outer row
		// instead (applySublink), after the WHERE, so the function runs only for the rows the
		// condition keeps and the condition once per row.
		if !perRow {
			return nil, nil, 0, errs.New(errs.NotImplemented, "a correlated function under a volatile WHERE runs per row")
		}
		node = unlifted
	}
	return node, outerScope.outer, len(names), nil
}

// arraySublink binds ARRAY(subquery): the subquery's single column aggregated with array_agg
// in the subquery's order, an empty array when it has no rows. The subquery may be correlated
// by equalities, as for sublink.
func (b *binder) arraySublink(sl *pg_query.SubLink, sc *scope) (planner.Expr, error) {
	sel := sl.Subselect.GetSelectStmt()
	if sel == nil {
		return nil, errs.New(errs.NotImplemented, "this subquery is not supported")
	}
	sub, width, inner, outerKeys, rest, err := b.equiCorrelated(sel, sc)
	if decorrelationFailed(err) || err == nil && len(rest) > 0 {
		return b.applySublink(sl, sc, nil)
	}
	if err != nil {
		return nil, err
	}
	if width != 1 {
		return nil, errs.New(errs.Syntax, "subquery must return only one column")
	}
	in := sub
	var val planner.Expr = ref(sub.Columns()[0])
	// Aggregate under the projection that hides ORDER BY columns, to keep the sort keys.
	if p, ok := in.(*planner.Project); ok {
		switch p.Input.(type) {
		case *planner.Sort, *planner.Limit:
			in, val = p.Input, p.Exprs[0]
		}
	}
	var order []planner.SortKey
	s := in
	if l, ok := s.(*planner.Limit); ok {
		s = l.Input
	}
	if srt, ok := s.(*planner.Sort); ok {
		order = srt.Keys
	}
	t, err := exec.AggregateResultType("array_agg", val.Type())
	if err != nil {
		return nil, err
	}
	a := &planner.Aggregate{Input: in, Aggs: []planner.AggCall{{Func: "array_agg", Arg: val, OrderBy: order}}}
	var cond []planner.Expr
	for i, k := range inner {
		c := b.newColumn("key", k.Type())
		a.Groups = append(a.Groups, k)
		a.Cols = append(a.Cols, c)
		cond = append(cond, &planner.Binary{Op: planner.OpEq, L: outerKeys[i], R: ref(c), Typ: types.Bool})
	}
	col := b.newColumn("array", t)
	a.Cols = append(a.Cols, col)
	b.scalars = append(b.scalars, pendingJoin{node: a, cond: planner.And(cond)})
	if b.constCols == nil {
		b.constCols = map[planner.ColumnID]bool{}
	}
	for _, c := range a.Cols {
		b.constCols[c.ID] = true
	}
	return &planner.Coalesce{Args: []planner.Expr{ref(col), &planner.Array{Typ: t}}, Typ: t}, nil
}

// sublinkOp checks the test of x op ANY|ALL (subquery) and returns its operator.
func sublinkOp(sl *pg_query.SubLink, width int) (planner.Op, string, error) {
	if sl.SubLinkType != pg_query.SubLinkType_ANY_SUBLINK && sl.SubLinkType != pg_query.SubLinkType_ALL_SUBLINK {
		return 0, "", errs.New(errs.NotImplemented, "this kind of subquery is not supported yet")
	}
	if sl.Testexpr.GetRowExpr() != nil {
		return 0, "", errs.New(errs.NotImplemented, "row comparisons with subqueries are not supported yet")
	}
	if width != 1 {
		return 0, "", errs.New(errs.Syntax, "subquery has too many columns")
	}
	name := "="
	if len(sl.OperName) > 0 {
		name = sl.OperName[len(sl.OperName)-1].GetString_().GetSval()
	}
	op, ok := binaryOps[name]
	if !ok || !op.Comparison() {
		return 0, "", errs.New(errs.NotImplemented, "operator %s with ANY or ALL (subquery) is not supported yet", name)
	}
	return op, name, nil
}

// quantifiedTest binds the test x op v of x op ANY|ALL (subquery), v being the value of a
// row of sub, whose select list is width wide.
func (b *binder) quantifiedTest(sl *pg_query.SubLink, sc *scope, agg *aggContext, sub planner.Node, width int) (planner.Expr, error) {
	op, _, err := sublinkOp(sl, width)
	if err != nil {
		return nil, err
	}
	x, v, err := b.subqueryTest(sl, sc, agg, op, sub)
	if err != nil {
		return nil, err
	}
	return &planner.Binary{Op: op, L: x, R: v, Typ: types.Bool}, nil
}

// subqueryTest binds x of x op ANY|ALL (subquery) and returns x and the subquery's value,
// coerced to their common type.
func (b *binder) subqueryTest(sl *pg_query.SubLink, sc *scope, agg *aggContext, op planner.Op, sub planner.Node) (planner.Expr, planner.Expr, error) {
	x, err := b.expr(sl.Testexpr, sc, agg)
	if err != nil {
		return nil, nil, err
	}
	cmp, err := b.binary(op, x, ref(sub.Columns()[0]))
	if err != nil {
		return nil, nil, err
	}
	bc := cmp.(*planner.Binary)
	return bc.L, bc.R, nil
}

// markSublink binds EXISTS or x op ANY|ALL (subquery) for a subquery correlated by any
// conditions corr: see markJoin.
func (b *binder) markSublink(sl *pg_query.SubLink, sc *scope, agg *aggContext, sub planner.Node, width int, corr []planner.Expr) (planner.Expr, error) {
	m := &markJoin{sub: sub, corr: corr, marker: b.newColumn("marker", types.Bool)}
	if sl.SubLinkType != pg_query.SubLinkType_EXISTS_SUBLINK {
		test, err := b.quantifiedTest(sl, sc, agg, sub, width)
		if err != nil {
			return nil, err
		}
		m.test = test
		m.all = sl.SubLinkType == pg_query.SubLinkType_ALL_SUBLINK
	}
	b.scalars = append(b.scalars, pendingJoin{mark: m})
	if b.constCols == nil {
		b.constCols = map[planner.ColumnID]bool{}
	}
	for _, c := range append(sub.Columns(), m.marker) {
		b.constCols[c.ID] = true
	}
	return ref(m.marker), nil
}

// markJoin computes, for each row of a plan, the value of EXISTS (sub WHERE corr) or of
// x op ANY|ALL (SELECT v FROM sub WHERE corr) (test is x op v) into the column marker, for
// any correlation conditions. The plan's rows are split by semi and anti joins with sub, each
// part gets its marker, and the parts are concatenated (UNION ALL); the plan is read once per
// part. For ANY: the rows meeting a row where corr and test hold are true; of the others,
// those meeting a row where corr holds and test is NULL are NULL, the rest false. ALL is the
// dual (a row where test is false makes it false).
type markJoin struct {
	sub    planner.Node
	corr   []planner.Expr
	test   planner.Expr // nil for EXISTS
	all    bool
	marker planner.Column
}

// rewrite rewrites the conditions over a grouped query's output.
func (m *markJoin) rewrite(f func(planner.Expr) (planner.Expr, error)) error {
	for i, c := range m.corr {
		e, err := f(c)
		if err != nil {
			return err
		}
		m.corr[i] = e
	}
	if m.test != nil {
		e, err := f(m.test)
		if err != nil {
			return err
		}
		m.test = e
	}
	return nil
}

func (m *markJoin) build(plan planner.Node) planner.Node {
	cols := plan.Columns()
	out := append(append([]planner.Column{}, cols...), m.marker)
	mark := func(in planner.Node, v any) planner.Node {
		p := &planner.Project{Input: in, Cols: out}
		for _, c := range cols {
			p.Exprs = append(p.Exprs, ref(c))
		}
		lit := &planner.Literal{Typ: types.Bool}
		if v != nil {
			lit.Value = v
		}
		p.Exprs = append(p.Exprs, lit)
		return p
	}
	join := func(kind planner.JoinKind, in planner.Node, extra planner.Expr) planner.Node {
		conds := append([]planner.Expr{}, m.corr...)
		if extra != nil {
			conds = append(conds, extra)
		}
		return &planner.Join{Kind: kind, Left: in, Right: m.sub, Cond: planner.And(conds)}
	}
	union := func(l, r planner.Node) planner.Node {
		return &planner.SetOp{Kind: planner.SetUnion, All: true, Left: l, Right: r, Cols: out}
	}
	if m.test == nil {
		return union(mark(join(planner.JoinSemi, plan, nil), true), mark(join(planner.JoinAnti, plan, nil), false))
	}
	decisive, decided, undecided := m.test, true, false
	if m.all {
		decisive, decided, undecided = &planner.Not{E: m.test}, false, true
	}
	rest := join(planner.JoinAnti, plan, decisive)
	unknown := &planner.IsNull{E: m.test}
	return union(mark(join(planner.JoinSemi, plan, decisive), decided),
		union(mark(join(planner.JoinSemi, rest, unknown), nil), mark(join(planner.JoinAnti, rest, unknown), undecided)))
}

// rowSublink binds (x1, x2, ...) IN (subquery), = ANY, and NOT IN (<> ALL), comparing the
// row with the subquery's rows column by column: see markJoin.
func (b *binder) rowSublink(sl *pg_query.SubLink, xs []*pg_query.Node, sc *scope, agg *aggContext) (planner.Expr, error) {
	name := "="
	if len(sl.OperName) > 0 {
		name = sl.OperName[len(sl.OperName)-1].GetString_().GetSval()
	}
	anyLink := sl.SubLinkType == pg_query.SubLinkType_ANY_SUBLINK
	all := sl.SubLinkType == pg_query.SubLinkType_ALL_SUBLINK
	if !(anyLink && name == "=") && !(all && name == "<>") {
		return nil, errs.New(errs.NotImplemented, "row comparisons with subqueries other than IN and NOT IN are not supported yet")
	}
	sub, width, inner, outerKeys, rest, err := b.equiCorrelated(sl.Subselect.GetSelectStmt(), sc)
	if decorrelationFailed(err) {
		return b.applyRowSublink(sl, xs, sc, agg, all)
	}
	if err != nil {
		return nil, err
	}
	test, err := b.rowEquality(xs, sub, width, sc, agg)
	if err != nil {
		return nil, err
	}
	corr := append([]planner.Expr{}, rest...)
	for i := range inner {
		corr = append(corr, &planner.Binary{Op: planner.OpEq, L: inner[i], R: outerKeys[i], Typ: types.Bool})
	}
	m := &markJoin{sub: sub, corr: corr, test: test, marker: b.newColumn("marker", types.Bool)}
	b.scalars = append(b.scalars, pendingJoin{mark: m})
	if b.constCols == nil {
		b.constCols = map[planner.ColumnID]bool{}
	}
	for _, c := range append(sub.Columns(), m.marker) {
		b.constCols[c.ID] = true
	}
	if all {
		return &planner.Not{E: ref(m.marker)}, nil
	}
	return ref(m.marker), nil
}

// rowEquality binds the test of (x1, x2, ...) IN (sub), x1 = c1 AND x2 = c2 ..., over the
// columns of sub, whose select list is width wide and must match the row's.
func (b *binder) rowEquality(xs []*pg_query.Node, sub planner.Node, width int, sc *scope, agg *aggContext) (planner.Expr, error) {
	switch {
	case width > len(xs):
		return nil, errs.New(errs.Syntax, "subquery has too many columns")
	case width < len(xs):
		return nil, errs.New(errs.Syntax, "subquery has too few columns")
	}
	cols := sub.Columns()
	eqs := make([]planner.Expr, 0, len(xs))
	for i, x := range xs {
		l, err := b.expr(x, sc, agg)
		if err != nil {
			return nil, err
		}
		eq, err := b.binary(planner.OpEq, l, ref(cols[i]))
		if err != nil {
			return nil, err
		}
		eqs = append(eqs, eq)
	}
	return planner.And(eqs), nil
}
