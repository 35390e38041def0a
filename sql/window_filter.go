package sql

import (
	"github.com/apache/arrow-go/v18/arrow"
	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/exec"
	"github.com/sleeperd/sleeperd/planner"
	"github.com/sleeperd/sleeperd/types"
)

// windowFilter binds the FILTER (WHERE condition) of a window aggregate call, nil without
// one. PostgreSQL allows FILTER on aggregates only, and refuses aggregates and window
// functions inside the condition.
func (b *binder) windowFilter(fc *pg_query.FuncCall, name string, sc *scope, agg *aggContext) (planner.Expr, error) {
	if fc.AggFilter == nil {
		return nil, nil
	}
	if !exec.IsAggregate(name) || exec.IsOrderedSetAggregate(name) {
		return nil, &errs.Error{Kind: errs.NotImplemented, Msg: "FILTER is not implemented for non-aggregate window functions", Position: int(fc.Location) + 1}
	}
	if name == "array_agg" {
		// array_agg keeps NULLs, so the filter cannot become a CASE over its argument.
		return nil, errs.New(errs.NotImplemented, "FILTER on array_agg as a window function is not supported yet")
	}
	if containsAggregate(fc.AggFilter) {
		return nil, errs.New(errs.Grouping, "aggregate functions are not allowed in FILTER")
	}
	// A window function in the condition fails as not allowed in FILTER.
	win, clause := b.win, b.clause
	b.win, b.clause = nil, "FILTER"
	cond, err := b.expr(fc.AggFilter, sc, agg)
	b.win, b.clause = win, clause
	if err != nil {
		return nil, err
	}
	return b.coerceBool(cond, "FILTER")
}

// filterArgs rewrites the arguments of a window aggregate with FILTER (WHERE cond): the
// aggregated value becomes CASE WHEN cond THEN value END, which the aggregates skip as
// NULL (count(*) counts CASE WHEN cond THEN 1 END).
func filterArgs(fc *pg_query.FuncCall, name string, cond planner.Expr, args []planner.Expr, argTypes []arrow.DataType) ([]planner.Expr, []arrow.DataType) {
	args, argTypes = append([]planner.Expr{}, args...), append([]arrow.DataType{}, argTypes...)
	if len(args) == 0 { // count(*)
		args, argTypes = []planner.Expr{&planner.Literal{Value: int32(1), Typ: types.Int32}}, []arrow.DataType{types.Int32}
	}
	args[0] = &planner.Case{Whens: []planner.Expr{cond}, Thens: []planner.Expr{args[0]}, Typ: argTypes[0]}
	return args, argTypes
}
