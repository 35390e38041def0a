package rules

import (
	"github.com/sleeperd/sleeperd/planner"
)

// PushSemiJoins moves a semi or anti join (a WHERE's [NOT] EXISTS or [NOT] IN subquery)
// below the nodes of its left side that its condition does not need: a Project that passes
// the columns it refers to through, the side of an inner or cross join (the left side of a
// left join) whose columns it refers to, the input of a set-returning function's Unnest, and
// the left side of an Apply. As PostgreSQL joins such a subquery to the relation it refers
// to before it joins a LATERAL item, the expressions and functions over the rows it
// excludes then never run (SELECT ... FROM t, LATERAL (SELECT 10 / t.x) s WHERE t.id IN
// (SELECT ...) divides for the rows the IN keeps alone). Filters stay where they are.
func PushSemiJoins(n planner.Node) (planner.Node, error) {
	return pushSemi(n), nil
}

func pushSemi(n planner.Node) planner.Node {
	ins := n.Inputs()
	if len(ins) > 0 {
		out := make([]planner.Node, len(ins))
		for i, in := range ins {
			out[i] = pushSemi(in)
		}
		n = planner.WithInputs(n, out)
	}
	if j, ok := n.(*planner.Join); ok && isSemi(j.Kind) {
		return sinkSemi(j)
	}
	return n
}

func isSemi(k planner.JoinKind) bool {
	return k == planner.JoinSemi || k == planner.JoinAnti || k == planner.JoinNullAwareAnti
}

// sinkSemi moves the semi or anti join j as far down its left side as it goes.
func sinkSemi(j *planner.Join) planner.Node {
	used := map[planner.ColumnID]bool{}
	if j.Cond != nil {
		planner.ColumnsUsed(j.Cond, used)
	}
	left := ids(j.Left.Columns())
	for id := range used {
		if !left[id] {
			delete(used, id)
		}
	}
	over := func(in planner.Node, cond planner.Expr) planner.Node {
		return sinkSemi(&planner.Join{Kind: j.Kind, Left: in, Right: j.Right, Cond: cond})
	}
	switch l := j.Left.(type) {
	case *planner.Project:
		in := ids(l.Input.Columns())
		through := map[planner.ColumnID]planner.Expr{}
		for i, e := range l.Exprs {
			if r, ok := e.(*planner.ColumnRef); ok && in[r.ID] && i < len(l.Cols) {
				through[l.Cols[i].ID] = r
			}
		}
		for id := range used {
			if through[id] == nil {
				return j
			}
		}
		cond := j.Cond
		if cond != nil {
			var err error
			cond, err = planner.Transform(cond, func(e planner.Expr) (planner.Expr, error) {
				if r, ok := e.(*planner.ColumnRef); ok && through[r.ID] != nil {
					return through[r.ID], nil
				}
				return e, nil
			})
			if err != nil {
				return j
			}
		}
		c := *l
		c.Input = over(l.Input, cond)
		return &c
	case *planner.Join:
		if l.Kind != planner.JoinInner && l.Kind != planner.JoinCross && l.Kind != planner.JoinLeft {
			return j
		}
		if subset(used, ids(l.Left.Columns())) {
			c := *l
			c.Left = over(l.Left, j.Cond)
			return &c
		}
		if l.Kind != planner.JoinLeft && subset(used, ids(l.Right.Columns())) {
			c := *l
			c.Right = over(l.Right, j.Cond)
			return &c
		}
	case *planner.Unnest:
		if subset(used, ids(l.Input.Columns())) {
			c := *l
			c.Input = over(l.Input, j.Cond)
			return &c
		}
	case *planner.Apply:
		if subset(used, ids(l.Left.Columns())) {
			c := *l
			c.Left = over(l.Left, j.Cond)
			return &c
		}
	}
	return j
}
