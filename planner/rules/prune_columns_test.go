package rules

import (
	"slices"
	"testing"

	"github.com/sleeperd/sleeperd/planner"
	"github.com/sleeperd/sleeperd/types"
)

// TestPruneColumnsNullOnly checks which scanned columns PruneColumns marks null-only: those
// used only as the argument of a plain count over the scan.
func TestPruneColumnsNullOnly(t *testing.T) {
	a, b, v := col(1, types.Int64), col(2, types.Text), col(3, types.Int64)
	out := []planner.Column{{ID: 100, Name: "n", Type: types.Int64}, {ID: 101, Name: "m", Type: types.Int64}}
	agg := func(in planner.Node, calls ...planner.AggCall) planner.Node {
		return &planner.Aggregate{Input: in, Aggs: calls, Cols: out[:len(calls)]}
	}
	count := func(e planner.Expr) planner.AggCall { return planner.AggCall{Func: "count", Arg: e} }
	for _, tc := range []struct {
		name                string
		plan                planner.Node
		projected, nullOnly []int
	}{
		{"count(*)", agg(scanOf(), planner.AggCall{Func: "count_star"}), []int{0}, []int{0}},
		{"count(v)", agg(scanOf(), count(v)), []int{2}, []int{2}},
		{"count(v), sum(v)", agg(scanOf(), count(v), planner.AggCall{Func: "sum", Arg: v}), []int{2}, nil},
		{"count(v) filtered by v", agg(&planner.Filter{Input: scanOf(), Pred: cmp(planner.OpGt, v, i64(1))}, count(v)), []int{2}, nil},
		{"count(v) filtered by a", agg(&planner.Filter{Input: scanOf(), Pred: cmp(planner.OpGt, a, i64(1))}, count(v)), []int{0, 2}, []int{2}},
		{"count(v) FILTER (WHERE b)", agg(scanOf(), planner.AggCall{Func: "count", Arg: v, Filter: cmp(planner.OpEq, b, str("x"))}), []int{1, 2}, []int{2}},
		{"count(DISTINCT v)", agg(scanOf(), planner.AggCall{Func: "count", Arg: v, Distinct: true}), []int{2}, nil},
		{"count(v) grouped by v", &planner.Aggregate{Input: scanOf(), Groups: []planner.Expr{v}, Aggs: []planner.AggCall{count(v)}, Cols: out}, []int{2}, nil},
		{"count(v + 1)", agg(scanOf(), count(&planner.Binary{Op: planner.OpAdd, L: v, R: i64(1), Typ: types.Int64})), []int{2}, nil},
		{"count(v) over a sort", agg(&planner.Sort{Input: scanOf(), Keys: []planner.SortKey{{E: a}}}, count(v)), []int{0, 2}, nil},
		{"count(v) over a limit", agg(&planner.Limit{Input: scanOf()}, count(v)), []int{2}, nil},
		{"v output", scanOf(), []int{0, 1, 2}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := PruneColumns(tc.plan)
			if err != nil {
				t.Fatal(err)
			}
			var s *planner.Scan
			var find func(n planner.Node)
			find = func(n planner.Node) {
				if x, ok := n.(*planner.Scan); ok {
					s = x
				}
				for _, in := range n.Inputs() {
					find(in)
				}
			}
			find(got)
			if !slices.Equal(s.Projected, tc.projected) || !slices.Equal(s.NullOnly, tc.nullOnly) {
				t.Errorf("projected %v, null-only %v; want %v, %v", s.Projected, s.NullOnly, tc.projected, tc.nullOnly)
			}
		})
	}
}
