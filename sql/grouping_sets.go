package sql

import (
	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/planner"
	"github.com/sleeperd/sleeperd/types"
)

// groupingCall is one GROUPING(...) call: the indices of its arguments among the group
// expressions and the column that holds its value.
type groupingCall struct {
	args []int
	col  planner.Column
}

// hasGroupingSets says whether a GROUP BY clause holds ROLLUP, CUBE or GROUPING SETS.
func hasGroupingSets(clause []*pg_query.Node) bool {
	for _, g := range clause {
		if g.GetGroupingSet() != nil {
			return true
		}
	}
	return false
}

// expandGroupBy expands a GROUP BY clause into its grouping sets, each a list of items:
// the cross product of its elements' sets, as PostgreSQL does.
func expandGroupBy(clause []*pg_query.Node) [][]*pg_query.Node {
	sets := [][]*pg_query.Node{nil}
	for _, g := range clause {
		var next [][]*pg_query.Node
		for _, s := range sets {
			for _, t := range expandElement(g) {
				next = append(next, append(append([]*pg_query.Node{}, s...), t...))
			}
		}
		sets = next
	}
	return sets
}

// rowItems is a ROLLUP or CUBE element: (a, b) stands for both columns.
func rowItems(n *pg_query.Node) []*pg_query.Node {
	if r := n.GetRowExpr(); r != nil {
		return r.Args
	}
	return []*pg_query.Node{n}
}

// expandElement gives the grouping sets of one GROUP BY element.
func expandElement(g *pg_query.Node) [][]*pg_query.Node {
	gs := g.GetGroupingSet()
	if gs == nil {
		return [][]*pg_query.Node{{g}}
	}
	switch gs.Kind {
	case pg_query.GroupingSetKind_GROUPING_SET_EMPTY:
		return [][]*pg_query.Node{nil}
	case pg_query.GroupingSetKind_GROUPING_SET_SIMPLE:
		var items []*pg_query.Node
		for _, c := range gs.Content {
			items = append(items, rowItems(c)...)
		}
		return [][]*pg_query.Node{items}
	case pg_query.GroupingSetKind_GROUPING_SET_ROLLUP:
		var out [][]*pg_query.Node
		for n := len(gs.Content); n >= 0; n-- {
			var items []*pg_query.Node
			for _, c := range gs.Content[:n] {
				items = append(items, rowItems(c)...)
			}
			out = append(out, items)
		}
		return out
	case pg_query.GroupingSetKind_GROUPING_SET_CUBE:
		n := len(gs.Content)
		var out [][]*pg_query.Node
		for mask := (1 << n) - 1; mask >= 0; mask-- {
			var items []*pg_query.Node
			for i, c := range gs.Content {
				if mask&(1<<(n-1-i)) != 0 {
					items = append(items, rowItems(c)...)
				}
			}
			out = append(out, items)
		}
		return out
	}
	// GROUPING SETS (...): each element is a set, or sets of its own.
	var out [][]*pg_query.Node
	for _, c := range gs.Content {
		if c.GetGroupingSet() != nil {
			out = append(out, expandElement(c)...)
		} else {
			out = append(out, rowItems(c))
		}
	}
	return out
}

// groupingSets binds a GROUP BY clause with grouping sets into agg: the distinct group
// expressions of all the sets in agg.groups and each set as indices into them.
func (b *binder) groupingSets(sel *pg_query.SelectStmt, sc *scope, agg *aggContext) error {
	sets := expandGroupBy(sel.GroupClause)
	if len(sets) > 4096 {
		return errs.New(errs.NotImplemented, "too many grouping sets present (maximum 4096)")
	}
	for _, set := range sets {
		var idx []int
		for _, item := range set {
			b.clause = "GROUP BY"
			ge, err := b.groupExpr(item, sc, sel.TargetList)
			b.clause = ""
			if err != nil {
				return err
			}
			if types.IsUnknown(ge.Type()) {
				ge = b.coerce(ge, types.Text)
			}
			i := indexOfExpr(agg.groups, ge)
			if i < 0 {
				agg.groups = append(agg.groups, ge)
				i = len(agg.groups) - 1
			}
			if !containsInt(idx, i) {
				idx = append(idx, i)
			}
		}
		agg.sets = append(agg.sets, idx)
	}
	agg.input = sc
	return nil
}

func indexOfExpr(list []planner.Expr, e planner.Expr) int {
	k := planner.ExprKey(e)
	for i, x := range list {
		if planner.ExprKey(x) == k {
			return i
		}
	}
	return -1
}

func containsInt(list []int, v int) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// groupingFunc binds GROUPING(a, b, ...): a column whose value each grouping set sets, with
// one bit per argument (the first the most significant) that is 1 when the argument is not
// grouped in the row's set.
func (b *binder) groupingFunc(g *pg_query.GroupingFunc, sc *scope, agg *aggContext) (planner.Expr, error) {
	if agg == nil || agg.input == nil {
		return nil, &errs.Error{Kind: errs.Grouping, Msg: "arguments to GROUPING must be grouping expressions of the associated query level", Position: int(g.Location) + 1}
	}
	if len(g.Args) > 31 {
		return nil, errs.New(errs.NotImplemented, "GROUPING must have fewer than 32 arguments")
	}
	call := groupingCall{}
	for _, a := range g.Args {
		e, err := b.expr(a, agg.input, nil)
		if err != nil {
			return nil, err
		}
		i := indexOfExpr(agg.groups, e)
		if i < 0 {
			return nil, errs.New(errs.Grouping, "arguments to GROUPING must be grouping expressions of the associated query level")
		}
		call.args = append(call.args, i)
	}
	call.col = b.newColumn("grouping", types.Int32)
	agg.groupings = append(agg.groupings, call)
	return ref(call.col), nil
}

// groupingValue is GROUPING's value for a grouping set.
func (c groupingCall) value(set []int) int32 {
	var v int32
	for _, a := range c.args {
		v <<= 1
		if !containsInt(set, a) {
			v |= 1
		}
	}
	return v
}

// groupingSetsPlan aggregates plan once per grouping set and appends the results (UNION
// ALL): each branch outputs the group columns (NULL where the set does not group by one),
// the aggregates and the GROUPING values of the set.
func (b *binder) groupingSetsPlan(plan planner.Node, agg *aggContext) (planner.Node, []planner.Column) {
	var branches []*planner.Project
	var cols []planner.Column
	for _, set := range agg.sets {
		a := &planner.Aggregate{Input: plan, Aggs: agg.calls}
		for _, i := range set {
			g := agg.groups[i]
			a.Groups = append(a.Groups, g)
			a.Cols = append(a.Cols, b.newColumn(planner.ExprName(g), g.Type()))
		}
		for _, c := range agg.cols {
			a.Cols = append(a.Cols, b.newColumn(c.Name, c.Type))
		}
		p := &planner.Project{Input: a}
		for i, g := range agg.groups {
			var e planner.Expr = &planner.Literal{Typ: g.Type()}
			for j, s := range set {
				if s == i {
					e = ref(a.Cols[j])
				}
			}
			p.Exprs = append(p.Exprs, e)
		}
		for j := range agg.cols {
			p.Exprs = append(p.Exprs, ref(a.Cols[len(set)+j]))
		}
		for _, g := range agg.groupings {
			p.Exprs = append(p.Exprs, &planner.Literal{Value: g.value(set), Typ: types.Int32})
		}
		for _, e := range p.Exprs {
			p.Cols = append(p.Cols, b.newColumn("?column?", e.Type()))
		}
		branches = append(branches, p)
	}
	for _, g := range agg.groups {
		cols = append(cols, b.newColumn(planner.ExprName(g), g.Type()))
	}
	cols = append(cols, agg.cols...)
	for _, g := range agg.groupings {
		cols = append(cols, g.col)
	}
	if len(branches) == 1 {
		branches[0].Cols = cols
		return branches[0], cols
	}
	var out planner.Node = branches[0]
	for i, p := range branches[1:] {
		u := &planner.SetOp{Kind: planner.SetUnion, All: true, Left: out, Right: p, Cols: cols}
		if i < len(branches)-2 {
			u.Cols = nil
			for _, c := range cols {
				u.Cols = append(u.Cols, b.newColumn(c.Name, c.Type))
			}
		}
		out = u
	}
	return out, cols
}
