package rules

import (
	"context"

	"github.com/sleeperd/sleeperd/function"
	"github.com/sleeperd/sleeperd/planner"
)

// FoldConstants evaluates every sub-expression that refers to no column, once, at planning
// time: casts of literals become typed literals (so '2024-01-01' compared with a date column
// is a date that can prune partitions), and errors in constants surface before any scan.
func FoldConstants(ctx context.Context, n planner.Node) (planner.Node, error) {
	return planner.TransformPlan(n, func(n planner.Node) (planner.Node, error) {
		return planner.MapExprs(n, func(e planner.Expr) (planner.Expr, error) {
			switch e.(type) {
			case *planner.Literal, *planner.ColumnRef, *planner.Param:
				return e, nil
			case *planner.Func:
				if function.Volatile(e.(*planner.Func).Name) {
					return e, nil // nextval() and the like: once per row, at run time
				}
			}
			for _, c := range planner.Children(e) {
				if _, ok := c.(*planner.Literal); !ok {
					return e, nil
				}
			}
			return planner.Eval(ctx, e)
		})
	})
}
