package rules

import (
	"github.com/sleeperd/sleeperd/planner"
)

// intoUnnest moves the conjuncts of a filter above an Unnest (a set-returning function in
// FROM, LATERAL or not, or in a select list) that refer to the Unnest's input columns only
// below it, as PostgreSQL places a WHERE on the outer side of a LATERAL function call: the
// function then runs only over the input rows the predicates keep (SELECT k FROM t, LATERAL
// json_object_keys(t.j) k WHERE t.id = 3 calls json_object_keys for the row id = 3 alone, and
// never on the rows it would fail on). Conjuncts on the function's columns or the ordinality,
// and those without columns, stay above. It returns nil when nothing moves.
func intoUnnest(u *planner.Unnest, conjuncts []planner.Expr) planner.Node {
	below, keep := splitOnColumns(conjuncts, ids(u.Input.Columns()))
	if len(below) == 0 {
		return nil
	}
	c := *u
	c.Input = &planner.Filter{Input: u.Input, Pred: planner.And(below)}
	if len(keep) == 0 {
		return &c
	}
	return &planner.Filter{Input: &c, Pred: planner.And(keep)}
}

// intoApply moves the conjuncts of a filter above an Apply (a subquery run per row of its
// left side) that refer to the left side's columns only below it, as PostgreSQL evaluates
// a WHERE's conditions on the outer side of a nested loop before it: the subquery then runs
// only for the rows they keep, and a volatile condition once per left row. It returns nil
// when nothing moves.
func intoApply(a *planner.Apply, conjuncts []planner.Expr) planner.Node {
	below, keep := splitOnColumns(conjuncts, ids(a.Left.Columns()))
	if len(below) == 0 {
		return nil
	}
	c := *a
	c.Left = &planner.Filter{Input: a.Left, Pred: planner.And(below)}
	if len(keep) == 0 {
		return &c
	}
	return &planner.Filter{Input: &c, Pred: planner.And(keep)}
}

// splitOnColumns splits conjuncts into those that use columns, all of them in in (below),
// and the others (keep), each in its order.
func splitOnColumns(conjuncts []planner.Expr, in map[planner.ColumnID]bool) (below, keep []planner.Expr) {
	for _, c := range conjuncts {
		used := map[planner.ColumnID]bool{}
		planner.ColumnsUsed(c, used)
		if len(used) > 0 && subset(used, in) {
			below = append(below, c)
		} else {
			keep = append(keep, c)
		}
	}
	return below, keep
}
