// Package rules holds the logical optimiser: rewrite rules over planner plans, one file each.
package rules

import (
	"context"

	"github.com/sleeperd/sleeperd/catalog"
	"github.com/sleeperd/sleeperd/planner"
	"github.com/sleeperd/sleeperd/storage/statestore"
)

// Env is what rules need from the engine.
type Env struct {
	// Snapshot returns the current state of a table.
	Snapshot func(ctx context.Context, t *catalog.Table) (*statestore.State, error)
}

// Optimize runs every rule over a plan whose parameters are bound, in order.
func Optimize(ctx context.Context, n planner.Node, env Env) (planner.Node, error) {
	var err error
	if n, err = FoldConstants(ctx, n); err != nil {
		return nil, err
	}
	if n, err = Placement(n); err != nil {
		return nil, err
	}
	if n, err = PrunePartitions(ctx, n, env); err != nil {
		return nil, err
	}
	if n, err = RowGroupBounds(n); err != nil {
		return nil, err
	}
	return PruneColumns(n)
}

// Placement runs the rules that place filters and joins, which depend neither on parameter
// values nor on the tables' state: Optimize runs them after folding constants, and a kept
// plan (prepared once, pruned per execution) runs them once.
func Placement(n planner.Node) (planner.Node, error) {
	var err error
	if n, err = FactorOr(n); err != nil {
		return nil, err
	}
	if n, err = PushJoinConditions(n); err != nil {
		return nil, err
	}
	if n, err = PushFilters(n); err != nil {
		return nil, err
	}
	return PushSemiJoins(n)
}
