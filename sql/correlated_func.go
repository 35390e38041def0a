package sql

import (
	"sort"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/planner"
	"github.com/sleeperd/sleeperd/types"
)

// liftCorrelatedFuncs rewrites the set-returning functions in the FROM clause of a subquery
// whose arguments refer to the enclosing query's columns (a LATERAL unnest(outer.arr) or
// generate_series(1, outer.n)) so that the correlation becomes conjuncts of a filter, which
// the decorrelation of every kind of subquery (pullCorrelated) takes out as the condition of
// its join. outer is the set of outer columns the subquery refers to; sc is the scope of the
// enclosing query.
//
// Such a function's rows depend on the values of its outer arguments o only, so it is
// evaluated once per distinct value of o over a domain: the enclosing FROM clause bound again
// (fresh column IDs, so the copy is independent of the outer plan), grouped by o, as columns
// p. The function takes p for o, and a filter above it keeps the rows where p is o, NULL
// equal to NULL (a function can yield rows for a NULL argument: unnest(ARRAY[o])):
//
//	Unnest(in, f(o))  =>  Filter(Unnest(in × Domain(p), f(p)), p ≡ o)
//
// The domain holds every value o takes in the enclosing FROM clause, a superset of the values
// of the rows the subquery is evaluated for, and the filter's equalities become hash join
// keys. A function whose outer arguments come from a scope whose FROM clause cannot be bound
// again (a join's ON condition) is left as it is, and the subquery stays unsupported.
func (b *binder) liftCorrelatedFuncs(n planner.Node, outer map[planner.ColumnID]bool, sc *scope) (planner.Node, error) {
	if len(outer) == 0 {
		return n, nil
	}
	var outerIDs []planner.ColumnID
	for id := range outer {
		outerIDs = append(outerIDs, id)
	}
	sort.Slice(outerIDs, func(i, j int) bool { return outerIDs[i] < outerIDs[j] })
	var lifted []*planner.Filter
	same := map[planner.ColumnID]planner.Expr{}
	out, err := planner.TransformPlan(n, func(x planner.Node) (planner.Node, error) {
		u, ok := x.(*planner.Unnest)
		if !ok {
			return x, nil
		}
		f, err := b.liftFunc(u, outerIDs, sc, same)
		if err != nil || f == nil {
			return x, err
		}
		lifted = append(lifted, f)
		return f, nil
	})
	if err != nil || len(lifted) != 1 {
		return out, err
	}
	out, _, err = substituteOuter(out, lifted[0], same)
	return out, err
}

// liftFunc lifts the set-returning function u over the domains of the outer columns
// outerIDs it takes (liftCorrelatedFuncs), recording in same the domain column each outer
// column is equal to. It returns nil when u is to stay as it is.
func (b *binder) liftFunc(u *planner.Unnest, outerIDs []planner.ColumnID, sc *scope, same map[planner.ColumnID]planner.Expr) (*planner.Filter, error) {
	owners, byOwner := funcOwners(u, outerIDs, sc)
	if len(owners) == 0 {
		return nil, nil
	}
	domains := make([]*planner.Aggregate, len(owners))
	for i, s := range owners {
		d, err := b.domain(s, byOwner[s])
		if err == errVolatileDomain {
			return nil, nil // the function runs per row of the query, which computes its values once
		}
		if err != nil {
			return nil, err
		}
		if s != sc && b.volatileWhere[s] {
			// The WHERE of a query two or more levels up has a volatile condition on the
			// items the function's arguments come from, which the domain leaves out: the
			// function stays as it is, so that the subquery refers to that query, which then
			// runs the subqueries in between per row, after its WHERE (bindSubqueryWidth,
			// lateralSubquery), as PostgreSQL runs them.
			return nil, nil
		}
		domains[i] = d
	}
	in := u.Input
	if isOneEmptyRow(in) {
		in = nil
	}
	var conds []planner.Expr
	for si, s := range owners {
		d := domains[si]
		for i, o := range byOwner[s] {
			p := d.Cols[i]
			same[o.ID] = ref(p)
			conds = append(conds, nullSafeEq(ref(o), ref(p))...)
		}
		if in == nil {
			in = d
		} else {
			in = &planner.Join{Kind: planner.JoinCross, Left: in, Right: d}
		}
	}
	c := *u
	c.Input = in
	c.Lists = make([]planner.Expr, len(u.Lists))
	for i, l := range u.Lists {
		e, err := substitute(l, same)
		if err != nil {
			return nil, err
		}
		c.Lists[i] = e
	}
	return &planner.Filter{Input: &c, Pred: planner.And(conds)}, nil
}

// funcOwners returns the outer columns (of outerIDs) the function u takes, with the
// subquery's other outer columns of the same scopes (see substituteOuter), grouped by the
// scope whose FROM clause yields them, in order; none when one of them comes from a scope
// whose FROM clause cannot be bound again.
func funcOwners(u *planner.Unnest, outerIDs []planner.ColumnID, sc *scope) ([]*scope, map[*scope][]planner.Column) {
	used := map[planner.ColumnID]bool{}
	for _, l := range u.Lists {
		planner.ColumnsUsed(l, used)
	}
	var owners []*scope
	byOwner := map[*scope][]planner.Column{}
	for _, id := range outerIDs {
		if !used[id] {
			continue
		}
		s, col := ownerOf(sc, id)
		if s == nil || len(s.items) == 0 {
			return nil, nil
		}
		if _, ok := byOwner[s]; !ok {
			owners = append(owners, s)
		}
		byOwner[s] = append(byOwner[s], col)
	}
	for _, id := range outerIDs {
		if used[id] {
			continue
		}
		if s, col := ownerOf(sc, id); byOwner[s] != nil {
			byOwner[s] = append(byOwner[s], col)
		}
	}
	return owners, byOwner
}

// substituteOuter replaces, in the nodes of a subquery's plan n whose input carries the rows
// of the filter lifted (above it through filters, sorts and the left sides of joins), the
// outer columns that have a domain column by that column: the filter makes them equal. So
// the select list of ARRAY(SELECT f(x, outer) FROM unnest(outer.a) x), or an aggregate's
// argument over it, refers to no outer column. It returns the node and whether its rows still
// carry the domain columns.
func substituteOuter(n planner.Node, lifted *planner.Filter, same map[planner.ColumnID]planner.Expr) (planner.Node, bool, error) {
	if n == planner.Node(lifted) {
		return n, true, nil
	}
	ins := n.Inputs()
	if len(ins) == 0 {
		return n, false, nil
	}
	in, visible, err := substituteOuter(ins[0], lifted, same)
	if err != nil {
		return nil, false, err
	}
	if !visible {
		return planner.WithInputs(n, append([]planner.Node{in}, ins[1:]...)), false, nil
	}
	sub := func(e planner.Expr) planner.Expr {
		if e == nil || err != nil {
			return e
		}
		var out planner.Expr
		out, err = substitute(e, same)
		return out
	}
	switch x := n.(type) {
	case *planner.Project:
		c := *x
		c.Input = in
		c.Exprs = make([]planner.Expr, len(x.Exprs))
		for i, e := range x.Exprs {
			c.Exprs[i] = sub(e)
		}
		return &c, false, err
	case *planner.Filter:
		return &planner.Filter{Input: in, Pred: sub(x.Pred)}, true, err
	case *planner.Sort:
		c := *x
		c.Input = in
		c.Keys = make([]planner.SortKey, len(x.Keys))
		for i, k := range x.Keys {
			k.E = sub(k.E)
			c.Keys[i] = k
		}
		return &c, true, err
	case *planner.Aggregate:
		c := *x
		c.Input = in
		c.Groups = make([]planner.Expr, len(x.Groups))
		for i, g := range x.Groups {
			c.Groups[i] = sub(g)
		}
		c.Aggs = make([]planner.AggCall, len(x.Aggs))
		for i, a := range x.Aggs {
			a.Arg, a.Filter = sub(a.Arg), sub(a.Filter)
			a.Extra = append([]planner.Expr(nil), a.Extra...)
			for j, e := range a.Extra {
				a.Extra[j] = sub(e)
			}
			a.OrderBy = append([]planner.SortKey(nil), a.OrderBy...)
			for j, k := range a.OrderBy {
				k.E = sub(k.E)
				a.OrderBy[j] = k
			}
			c.Aggs[i] = a
		}
		return &c, false, err
	case *planner.Join:
		c := *x
		c.Left = in
		if x.Cond != nil {
			c.Cond = sub(x.Cond)
		}
		return &c, true, err
	}
	return planner.WithInputs(n, append([]planner.Node{in}, ins[1:]...)), false, nil
}

// substitute replaces the columns of e that same maps.
func substitute(e planner.Expr, same map[planner.ColumnID]planner.Expr) (planner.Expr, error) {
	return planner.Transform(e, func(e planner.Expr) (planner.Expr, error) {
		if cr, ok := e.(*planner.ColumnRef); ok && same[cr.ID] != nil {
			return same[cr.ID], nil
		}
		return e, nil
	})
}

// ownerOf finds the scope, sc or one enclosing it, whose columns include id.
func ownerOf(sc *scope, id planner.ColumnID) (*scope, planner.Column) {
	for s := sc; s != nil; s = s.parent {
		for _, c := range s.cols {
			if c.col.ID == id {
				return s, c.col
			}
		}
	}
	return nil, planner.Column{}
}

// domain binds the FROM clause of s again and groups its rows by the counterparts of cols:
// the distinct values cols take, as new columns.
func (b *binder) domain(s *scope, cols []planner.Column) (*planner.Aggregate, error) {
	saved, pending := b.outer, len(b.scalars)
	b.outer = nil
	if s.parent != nil {
		b.outer = &scope{parent: s.parent}
	}
	node, again, err := b.from(s.items)
	b.outer = saved
	if err != nil {
		return nil, err
	}
	if len(b.scalars) != pending || len(again.cols) < len(s.cols) {
		return nil, errs.New(errs.NotImplemented, "this correlated set-returning function is not supported yet")
	}
	if callsVolatile(node) {
		// Bound again, a FROM clause that calls a volatile function (nextval, random)
		// yields other values than the query's own: no domain of them.
		return nil, errVolatileDomain
	}
	// A subquery of the WHERE bound over again whose function asks for again's domain finds
	// the same WHERE clause being narrowed.
	again.where, again.from, again.strictWhere = s.where, s.from, s.strictWhere
	if node, err = b.domainWhere(s, node, again); err != nil {
		return nil, err
	}
	a := &planner.Aggregate{Input: node}
	for _, c := range cols {
		for i, sc := range s.cols {
			if sc.col.ID == c.ID {
				a.Groups = append(a.Groups, ref(again.cols[i].col))
				a.Cols = append(a.Cols, b.newColumn(c.Name, c.Type))
				break
			}
		}
	}
	if len(a.Cols) != len(cols) {
		return nil, errs.New(errs.Internal, "correlated function: outer column not found in its FROM clause")
	}
	return a, nil
}

// domainWhere narrows node, the FROM clause of s bound again (its scope again), by the
// conjuncts of s's WHERE clause that the query applies to those items before a LATERAL
// subquery over them runs, as PostgreSQL evaluates a WHERE's conditions on the outer side of
// a nested loop before it: the rows they exclude are not in the query's result, so the
// domain leaves their values out and the function never runs for them. They are taken in
// their order: conditions on the items alone; [NOT] EXISTS and [NOT] IN subqueries (correlated
// with the items or not), which become semi and anti joins of the domain, and other
// subqueries; and conditions that also refer to an enclosing query, which keep the rows that
// meet them for some values of the enclosing query's domain (domainCorrelated). Conditions
// on later items, conditions that call a volatile function (which must run once per row, in
// the query itself: volatileWhere records s when such a condition refers to its items), and
// subqueries that also refer to an enclosing query are left out: the
// domain stays a superset of the values the subquery is evaluated for.
func (b *binder) domainWhere(s *scope, node planner.Node, again *scope) (planner.Node, error) {
	if s.where == nil {
		return node, nil
	}
	if b.narrowing[s.where] {
		// A subquery in the WHERE clause being narrowed holds a function whose domain asks
		// for it again: the conjunct with the subquery is left out.
		return nil, errNarrowing
	}
	if b.narrowing == nil {
		b.narrowing, b.volatileWhere = map[*pg_query.Node]bool{}, map[*scope]bool{}
	}
	b.narrowing[s.where] = true
	savedClause, savedScalars := b.clause, b.scalars
	defer func() {
		delete(b.narrowing, s.where)
		b.clause, b.scalars = savedClause, savedScalars
	}()
	// The FROM items' own references to enclosing queries (a derived table's correlation).
	fromOuter := len(again.outer) > 0
	volatileConds := false
	defer func() {
		// A LATERAL subquery then runs per outer row (lateralSubquery), under the WHERE's
		// filters and semi joins on the outer side.
		if volatileConds {
			b.volatileWhere[s] = true
		}
	}()
	for _, c := range andConjuncts(s.where) {
		if b.keyDomain && b.bindingWhere[s.where] && hasSubLink(c) {
			// A subquery of the WHERE clause being bound asks for this domain: conditions
			// with subqueries, its own among them, are narrowed in the query too (see
			// binder.bindingWhere).
			continue
		}
		seen := map[planner.ColumnID]bool{}
		for id := range again.outer {
			seen[id] = true
		}
		b.scalars = nil
		n, err := b.where(c, node, again)
		var outer []planner.ColumnID
		for id := range again.outer {
			if !seen[id] {
				outer = append(outer, id)
				delete(again.outer, id)
			}
		}
		if err != nil || len(b.scalars) > 0 {
			continue
		}
		if s.strictWhere {
			// Only a plain condition that rejects NULLs.
			if f, ok := n.(*planner.Filter); ok && f.Input == node && len(outer) == 0 && !hasSubLink(c) && !planner.Volatile(f.Pred) && planner.RejectsNulls(f.Pred, nil) {
				node = n
			}
			continue
		}
		if volatileAbove(n, node) {
			if f, ok := n.(*planner.Filter); ok && len(outer) == 0 && !hasSubLink(c) && usesColumns(f.Pred) {
				volatileConds = true
			}
			continue
		}
		if len(outer) == 0 {
			node = n
			continue
		}
		if fromOuter || !outerRefsSafe(c, again, s.from) || applyAbove(n, node) {
			continue
		}
		if node, err = b.domainCorrelated(s, node, n, outer); err != nil {
			return nil, err
		}
	}
	return node, nil
}

// domainCorrelated narrows node, a domain's rows, by cond, the plan of a condition over node
// (a filter, or the semi and anti joins and joined subqueries of a condition with
// subqueries) that also refers to the columns outer of the queries enclosing s: it keeps the
// rows that meet the condition for some values of those columns in their own domains (the
// enclosing FROM clauses bound again and narrowed by their WHERE clauses), a superset of the
// rows that meet it for the enclosing rows the subquery runs for. A column whose query's
// FROM clause cannot be bound again leaves node as it is.
func (b *binder) domainCorrelated(s *scope, node planner.Node, cond planner.Node, outer []planner.ColumnID) (planner.Node, error) {
	sort.Slice(outer, func(i, j int) bool { return outer[i] < outer[j] })
	var owners []*scope
	byOwner := map[*scope][]planner.Column{}
	for _, id := range outer {
		o, col := ownerOf(s.parent, id)
		if o == nil || len(o.items) == 0 {
			return node, nil
		}
		if _, ok := byOwner[o]; !ok {
			owners = append(owners, o)
		}
		byOwner[o] = append(byOwner[o], col)
	}
	same := map[planner.ColumnID]planner.Expr{}
	in := node
	for _, o := range owners {
		d, err := b.domain(o, byOwner[o])
		if err != nil {
			if errs.KindOf(err) == errs.NotImplemented {
				return node, nil
			}
			return nil, err
		}
		for i, c := range byOwner[o] {
			same[c.ID] = ref(d.Cols[i])
		}
		in = &planner.Join{Kind: planner.JoinCross, Left: in, Right: d}
	}
	return planner.SubstitutePlan(replaceNode(cond, node, in), same)
}

// replaceNode is the plan n with its node old replaced by new.
func replaceNode(n, old, new planner.Node) planner.Node {
	if n == old {
		return new
	}
	ins := n.Inputs()
	if len(ins) == 0 {
		return n
	}
	out := make([]planner.Node, len(ins))
	for i, in := range ins {
		out[i] = replaceNode(in, old, new)
	}
	return planner.WithInputs(n, out)
}

// applyAbove reports whether the nodes of n above its input in include a dependent join,
// whose parameters are fixed when it is placed.
func applyAbove(n, in planner.Node) bool {
	if n == nil || n == in {
		return false
	}
	if _, ok := n.(*planner.Apply); ok {
		return true
	}
	for _, c := range n.Inputs() {
		if applyAbove(c, in) {
			return true
		}
	}
	return false
}

// outerRefsSafe reports whether the columns the condition c refers to, bound over again (the
// first items of the FROM list from, bound again) and the enclosing queries, are the ones the
// query binds it to: an unqualified name must be a column of those items, and a qualified
// one whose relation is not among them must not name a later item of from, which the query
// would take it for rather than an enclosing query's.
func outerRefsSafe(c *pg_query.Node, again *scope, from []*pg_query.Node) bool {
	if from == nil {
		return false
	}
	names := map[string]bool{}
	for _, it := range from {
		if !rangeNames(it, names) {
			return false
		}
	}
	// safe says whether the column reference cr resolves in again as in the enclosing query.
	safe := func(cr *pg_query.ColumnRef) bool {
		var parts []string
		for _, f := range cr.Fields {
			if f.GetAStar() != nil {
				return true
			}
			parts = append(parts, f.GetString_().GetSval())
		}
		switch {
		case len(parts) == 1:
			if _, err := again.find("", parts[0], 0); err != nil {
				return false
			}
		case len(parts) > 1:
			q := parts[len(parts)-2]
			if !again.hasTable(q) && names[q] {
				return false
			}
		}
		return true
	}
	return walkMessages(c.ProtoReflect(), func(m protoreflect.Message) (bool, bool) {
		if cr, ok := m.Interface().(*pg_query.ColumnRef); ok {
			return false, safe(cr)
		}
		return true, true
	})
}

// rangeNames adds the relation names the FROM item it brings into scope to names; it reports
// false for an item whose names it does not know.
func rangeNames(it *pg_query.Node, names map[string]bool) bool {
	switch {
	case it.GetRangeVar() != nil:
		rv := it.GetRangeVar()
		names[rv.Relname] = true
		if rv.Alias != nil {
			names[rv.Alias.Aliasname] = true
		}
	case it.GetRangeSubselect() != nil:
		rs := it.GetRangeSubselect()
		if rs.Alias == nil {
			return false
		}
		names[rs.Alias.Aliasname] = true
	case it.GetRangeFunction() != nil:
		rf := it.GetRangeFunction()
		if rf.Alias != nil {
			names[rf.Alias.Aliasname] = true
		}
		for _, f := range rf.Functions {
			for _, e := range f.GetList().GetItems() {
				fc := e.GetFuncCall()
				if fc == nil {
					return false
				}
				names[funcName(fc)] = true
			}
		}
	case it.GetJoinExpr() != nil:
		j := it.GetJoinExpr()
		if j.Alias != nil {
			names[j.Alias.Aliasname] = true
		}
		return rangeNames(j.Larg, names) && rangeNames(j.Rarg, names)
	default:
		return false
	}
	return true
}

// errNarrowing fails the binding of a conjunct of a WHERE clause being bound over a domain
// whose subquery needs a domain narrowed by the same WHERE clause.
var errNarrowing = errs.New(errs.Internal, "a domain's WHERE clause refers to itself")

// errVolatileDomain is domain's error for a FROM clause that calls a volatile function: bound
// again it would yield other rows than the query's, so no domain stands for them.
var errVolatileDomain = errs.New(errs.NotImplemented, "a volatile FROM clause has no domain")

// usesColumns reports whether e refers to a column.
func usesColumns(e planner.Expr) bool {
	used := map[planner.ColumnID]bool{}
	planner.ColumnsUsed(e, used)
	return len(used) > 0
}

// volatileAbove reports whether the nodes of n above its input in (n's own and any
// subquery's joined in) call a volatile function.
func volatileAbove(n, in planner.Node) bool {
	if n == nil || n == in {
		return false
	}
	for _, e := range planner.Exprs(n) {
		if planner.Volatile(e) {
			return true
		}
	}
	for _, c := range n.Inputs() {
		if volatileAbove(c, in) {
			return true
		}
	}
	return false
}

// callsVolatile reports whether a node of n calls a function PostgreSQL declares volatile
// (planner.PGVolatile).
func callsVolatile(n planner.Node) bool {
	for _, e := range planner.Exprs(n) {
		if planner.PGVolatile(e) {
			return true
		}
	}
	for _, c := range n.Inputs() {
		if callsVolatile(c) {
			return true
		}
	}
	return false
}

// nullSafeEq is o IS NOT DISTINCT FROM p as equalities a hash join can take as keys: a
// one-element array of each (arrays compare NULL elements as equal), or, for arrays, which
// have no two-dimensional arrays here, their NULLness and their value with NULL as empty.
func nullSafeEq(o, p planner.Expr) []planner.Expr {
	eq := func(l, r planner.Expr) planner.Expr {
		return &planner.Binary{Op: planner.OpEq, L: l, R: r, Typ: types.Bool}
	}
	t := o.Type()
	if types.Elem(t) == nil {
		wrap := func(e planner.Expr) planner.Expr {
			return &planner.Array{Elems: []planner.Expr{e}, Typ: types.ArrayOf(t)}
		}
		return []planner.Expr{eq(wrap(o), wrap(p))}
	}
	isNull := func(e planner.Expr) planner.Expr { return &planner.IsNull{E: e} }
	orEmpty := func(e planner.Expr) planner.Expr {
		return &planner.Coalesce{Args: []planner.Expr{e, &planner.Array{Typ: t}}, Typ: t}
	}
	return []planner.Expr{eq(isNull(o), isNull(p)), eq(orEmpty(o), orEmpty(p))}
}

// isOneEmptyRow reports whether n is the one row without columns a FROM clause without items
// (or before its first item) is.
func isOneEmptyRow(n planner.Node) bool {
	v, ok := n.(*planner.Values)
	return ok && len(v.Rows) == 1 && len(v.Rows[0]) == 0 && len(v.Cols) == 0
}
