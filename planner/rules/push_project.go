package rules

import (
	"github.com/sleeperd/sleeperd/planner"
)

// intoProject moves the conjuncts of a filter above a Project that refer only to columns the
// Project passes through from its input (a subquery's plain columns: SELECT * FROM (SELECT id,
// f(j) v FROM t) s WHERE s.id = 3) below it, rewritten to the input's columns, so that they go
// on to the joins, set-returning functions and scans under it. A Project keeps its input's
// rows one for one, so the predicates see the same rows either way. Conjuncts on computed
// columns stay above (PostgreSQL's rule too: a computed column's expression, volatile
// nextval() included, then runs only for the rows the predicates keep). It returns nil when
// nothing moves.
func intoProject(p *planner.Project, conjuncts []planner.Expr) planner.Node {
	in := ids(p.Input.Columns())
	through := map[planner.ColumnID]*planner.ColumnRef{}
	for i, e := range p.Exprs {
		if r, ok := e.(*planner.ColumnRef); ok && in[r.ID] && i < len(p.Cols) {
			through[p.Cols[i].ID] = r
		}
	}
	var below, keep []planner.Expr
	for _, c := range conjuncts {
		used := map[planner.ColumnID]bool{}
		planner.ColumnsUsed(c, used)
		ok := len(used) > 0
		for id := range used {
			if through[id] == nil {
				ok = false
				break
			}
		}
		if !ok {
			keep = append(keep, c)
			continue
		}
		r, err := planner.Transform(c, func(e planner.Expr) (planner.Expr, error) {
			if ref, isRef := e.(*planner.ColumnRef); isRef {
				return through[ref.ID], nil
			}
			return e, nil
		})
		if err != nil {
			keep = append(keep, c)
			continue
		}
		below = append(below, r)
	}
	if len(below) == 0 {
		return nil
	}
	c := *p
	c.Input = &planner.Filter{Input: p.Input, Pred: planner.And(below)}
	if len(keep) == 0 {
		return &c
	}
	return &planner.Filter{Input: &c, Pred: planner.And(keep)}
}
