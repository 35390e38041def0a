package rules

import (
	"github.com/sleeperd/sleeperd/planner"
)

// PushFilters moves filter predicates as close to the scans as they can go: a filter over a
// scan becomes the scan's pushed predicates (which prune partitions and row groups), and
// stacked filters merge.
func PushFilters(n planner.Node) (planner.Node, error) {
	return planner.TransformPlan(n, func(n planner.Node) (planner.Node, error) {
		f, ok := n.(*planner.Filter)
		if !ok {
			return n, nil
		}
		switch in := f.Input.(type) {
		case *planner.Scan:
			c := *in
			c.Filter = append(append([]planner.Expr{}, in.Filter...), planner.Conjuncts(f.Pred)...)
			return &c, nil
		case *planner.Filter:
			return &planner.Filter{Input: in.Input, Pred: planner.And([]planner.Expr{in.Pred, f.Pred})}, nil
		}
		return n, nil
	})
}
