package rules

import (
	"github.com/sleeperd/sleeperd/planner"
)

// PushJoinConditions moves predicates into and through joins: a conjunct of a filter above a
// join (or of an inner join's condition) that refers to one side only becomes a filter on that
// side; one that refers to both sides becomes part of the join condition, which turns a cross
// join into an inner join the physical planner can run as a hash join. Predicates are not moved
// below the null-extended side of an outer join, nor out of an outer join's condition. A
// conjunct above a set-returning function's Unnest that refers to its input only goes below it
// (intoUnnest), one above an Apply that refers to its left side only goes below it
// (intoApply), and one above a Project on the columns it passes through goes below that
// (intoProject), and on into the joins there.
func PushJoinConditions(n planner.Node) (planner.Node, error) {
	return pushDown(n), nil
}

func pushDown(n planner.Node) planner.Node {
	switch x := n.(type) {
	case *planner.Filter:
		if j, ok := x.Input.(*planner.Join); ok {
			if out := intoJoin(j, planner.Conjuncts(x.Pred)); out != nil {
				return pushDown(out)
			}
		}
		if u, ok := x.Input.(*planner.Unnest); ok {
			if out := intoUnnest(u, planner.Conjuncts(x.Pred)); out != nil {
				return pushDown(out)
			}
		}
		if a, ok := x.Input.(*planner.Apply); ok {
			if out := intoApply(a, planner.Conjuncts(x.Pred)); out != nil {
				return pushDown(out)
			}
		}
		if p, ok := x.Input.(*planner.Project); ok {
			if out := intoProject(p, planner.Conjuncts(x.Pred)); out != nil {
				return pushDown(out)
			}
		}
	case *planner.Join:
		if x.Kind == planner.JoinInner && x.Cond != nil {
			c := *x
			c.Cond = nil
			if out := intoJoin(&c, planner.Conjuncts(x.Cond)); out != nil {
				n = out
			}
		}
	}
	ins := n.Inputs()
	if len(ins) == 0 {
		return n
	}
	out := make([]planner.Node, len(ins))
	for i, in := range ins {
		out[i] = pushDown(in)
	}
	return planner.WithInputs(n, out)
}

// intoJoin distributes conjuncts that sit above join j. It returns nil when nothing moves.
func intoJoin(j *planner.Join, conjuncts []planner.Expr) planner.Node {
	left, right := ids(j.Left.Columns()), ids(j.Right.Columns())
	kind := reduceOuter(j.Kind, conjuncts, left, right)
	if kind != j.Kind {
		c := *j
		c.Kind = kind
		j = &c
	}
	var toLeft, toRight, toJoin, keep []planner.Expr
	// Sides whose rows a predicate may filter before the join without changing the result.
	leftOK := j.Kind == planner.JoinInner || j.Kind == planner.JoinCross || j.Kind == planner.JoinLeft ||
		j.Kind == planner.JoinSemi || j.Kind == planner.JoinAnti || j.Kind == planner.JoinNullAwareAnti
	rightOK := j.Kind == planner.JoinInner || j.Kind == planner.JoinCross || j.Kind == planner.JoinRight
	joinOK := j.Kind == planner.JoinInner || j.Kind == planner.JoinCross
	for _, c := range conjuncts {
		used := map[planner.ColumnID]bool{}
		planner.ColumnsUsed(c, used)
		inL, inR := subset(used, left), subset(used, right)
		switch {
		case len(used) == 0:
			keep = append(keep, c)
		case inL && leftOK:
			toLeft = append(toLeft, c)
		case inR && rightOK:
			toRight = append(toRight, c)
		case joinOK && !inL && !inR && subsetOfUnion(used, left, right):
			toJoin = append(toJoin, c)
		default:
			keep = append(keep, c)
		}
	}
	if len(toLeft)+len(toRight)+len(toJoin) == 0 {
		if kind != j.Kind {
			return &planner.Filter{Input: j, Pred: planner.And(keep)}
		}
		return nil
	}
	c := *j
	if len(toLeft) > 0 {
		c.Left = &planner.Filter{Input: j.Left, Pred: planner.And(toLeft)}
	}
	if len(toRight) > 0 {
		c.Right = &planner.Filter{Input: j.Right, Pred: planner.And(toRight)}
	}
	if len(toJoin) > 0 {
		c.Cond = planner.And(append(condConjuncts(j.Cond), toJoin...))
		if c.Kind == planner.JoinCross {
			c.Kind = planner.JoinInner
		}
	}
	if len(keep) == 0 {
		return &c
	}
	return &planner.Filter{Input: &c, Pred: planner.And(keep)}
}

func condConjuncts(e planner.Expr) []planner.Expr {
	if e == nil {
		return nil
	}
	return planner.Conjuncts(e)
}

func ids(cols []planner.Column) map[planner.ColumnID]bool {
	m := make(map[planner.ColumnID]bool, len(cols))
	for _, c := range cols {
		m[c.ID] = true
	}
	return m
}

func subset(a, b map[planner.ColumnID]bool) bool {
	for id := range a {
		if !b[id] {
			return false
		}
	}
	return true
}

func subsetOfUnion(a, b, c map[planner.ColumnID]bool) bool {
	for id := range a {
		if !b[id] && !c[id] {
			return false
		}
	}
	return true
}

// reduceOuter is the kind of an outer join under the conjuncts of a filter: a conjunct that
// is not true when the columns of a null-extended side are NULL drops the rows that side
// was extended with, so a left join becomes an inner join, and a full join a left, right
// or inner one, as PostgreSQL's reduce_outer_joins does. The filter's conditions on that
// side then go below the join, and a LATERAL function there runs only for the rows they
// keep.
func reduceOuter(kind planner.JoinKind, conjuncts []planner.Expr, left, right map[planner.ColumnID]bool) planner.JoinKind {
	if kind != planner.JoinLeft && kind != planner.JoinRight && kind != planner.JoinFull {
		return kind
	}
	var noNullLeft, noNullRight bool
	for _, c := range conjuncts {
		noNullLeft = noNullLeft || planner.RejectsNulls(c, left)
		noNullRight = noNullRight || planner.RejectsNulls(c, right)
	}
	switch kind {
	case planner.JoinLeft:
		if noNullRight {
			return planner.JoinInner
		}
	case planner.JoinRight:
		if noNullLeft {
			return planner.JoinInner
		}
	case planner.JoinFull:
		switch {
		case noNullLeft && noNullRight:
			return planner.JoinInner
		case noNullLeft:
			return planner.JoinLeft
		case noNullRight:
			return planner.JoinRight
		}
	}
	return kind
}
