package rules

import (
	"github.com/sleeperd/sleeperd/planner"
	"github.com/sleeperd/sleeperd/types"
)

// FactorOr pulls the conjuncts that every branch of an OR shares out of it:
// (a AND b) OR (a AND c) becomes a AND (b OR c). A join condition written inside each branch
// (as in TPC-H Q19) then becomes a join key, and a shared filter can be pushed down.
func FactorOr(n planner.Node) (planner.Node, error) {
	return planner.TransformPlan(n, func(n planner.Node) (planner.Node, error) {
		switch n.(type) {
		case *planner.Filter, *planner.Join:
		default:
			return n, nil
		}
		return planner.MapExprs(n, func(e planner.Expr) (planner.Expr, error) {
			return factor(e), nil
		})
	})
}

func factor(e planner.Expr) planner.Expr {
	b, ok := e.(*planner.Binary)
	if !ok || b.Op != planner.OpOr {
		return e
	}
	branches := disjuncts(b)
	sets := make([][]planner.Expr, len(branches))
	for i, br := range branches {
		sets[i] = planner.Conjuncts(br)
	}
	var common []planner.Expr
	for _, c := range sets[0] {
		k := planner.ExprKey(c)
		inAll := true
		for _, set := range sets[1:] {
			found := false
			for _, d := range set {
				if planner.ExprKey(d) == k {
					found = true
					break
				}
			}
			if !found {
				inAll = false
				break
			}
		}
		if inAll {
			common = append(common, c)
		}
	}
	if len(common) == 0 {
		return e
	}
	isCommon := map[string]bool{}
	for _, c := range common {
		isCommon[planner.ExprKey(c)] = true
	}
	var rest planner.Expr
	for _, set := range sets {
		var keep []planner.Expr
		for _, c := range set {
			if !isCommon[planner.ExprKey(c)] {
				keep = append(keep, c)
			}
		}
		if len(keep) == 0 {
			// One branch is just the common part: the OR adds nothing.
			return planner.And(common)
		}
		br := planner.And(keep)
		if rest == nil {
			rest = br
		} else {
			rest = &planner.Binary{Op: planner.OpOr, L: rest, R: br, Typ: types.Bool}
		}
	}
	return planner.And(append(common, rest))
}

func disjuncts(e planner.Expr) []planner.Expr {
	if b, ok := e.(*planner.Binary); ok && b.Op == planner.OpOr {
		return append(disjuncts(b.L), disjuncts(b.R)...)
	}
	return []planner.Expr{e}
}
