package rules

import (
	"testing"

	"github.com/sleeperd/sleeperd/planner"
	"github.com/sleeperd/sleeperd/types"
)

// TestPushSemiJoins checks where PushSemiJoins leaves a semi join on a's column: on a itself
// under projects, inner and cross joins, the left side of a left join, unnests and applies,
// and where it was over a limit, a filter or the right side of a left join.
func TestPushSemiJoins(t *testing.T) {
	values := func(id planner.ColumnID) *planner.Values {
		return &planner.Values{Cols: []planner.Column{{ID: id, Name: "c", Type: types.Int64}}}
	}
	a, b, s := values(1), values(2), values(3)
	ra, rb, rs := col(1, types.Int64), col(2, types.Int64), col(3, types.Int64)
	semi := func(left planner.Node, cond planner.Expr) planner.Node {
		return &planner.Join{Kind: planner.JoinSemi, Left: left, Right: s, Cond: cond}
	}
	join := func(k planner.JoinKind, l, r planner.Node) planner.Node {
		return &planner.Join{Kind: k, Left: l, Right: r}
	}
	eqA := cmp(planner.OpEq, ra, rs)
	project := &planner.Project{Input: join(planner.JoinCross, a, b), Exprs: []planner.Expr{ra, cmp(planner.OpGt, rb, i64(0))},
		Cols: []planner.Column{{ID: 10, Name: "x", Type: types.Int64}, {ID: 11, Name: "y", Type: types.Bool}}}
	for _, tc := range []struct {
		name  string
		plan  planner.Node
		moved bool // the semi join's left side is a
	}{
		{"cross join", semi(join(planner.JoinCross, a, b), eqA), true},
		{"inner join, right side", semi(join(planner.JoinInner, b, a), eqA), true},
		{"left join, left side", semi(join(planner.JoinLeft, a, b), eqA), true},
		{"left join, right side", semi(join(planner.JoinLeft, b, a), eqA), false},
		{"project passing a through", semi(project, cmp(planner.OpEq, col(10, types.Int64), rs)), true},
		{"project, computed column", semi(project, cmp(planner.OpEq, col(11, types.Bool), rs)), false},
		{"unnest", semi(&planner.Unnest{Input: a, Lists: []planner.Expr{rb}}, eqA), true},
		{"apply", semi(&planner.Apply{Kind: planner.ApplyInner, Left: a, Right: b}, eqA), true},
		{"limit", semi(&planner.Limit{Input: join(planner.JoinCross, a, b), Count: 1}, eqA), false},
		{"filter", semi(&planner.Filter{Input: a, Pred: cmp(planner.OpGt, ra, i64(0))}, eqA), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := PushSemiJoins(tc.plan)
			if err != nil {
				t.Fatal(err)
			}
			var found *planner.Join
			var find func(n planner.Node)
			find = func(n planner.Node) {
				if j, ok := n.(*planner.Join); ok && j.Kind == planner.JoinSemi {
					found = j
				}
				for _, in := range n.Inputs() {
					find(in)
				}
			}
			find(got)
			if found == nil {
				t.Fatal("no semi join left")
			}
			if moved := found.Left == planner.Node(a); moved != tc.moved {
				t.Errorf("semi join over %T (moved %v), want moved %v", found.Left, moved, tc.moved)
			}
			if tc.moved && found.Cond.String() != eqA.String() {
				t.Errorf("condition %s, want %s", found.Cond, eqA)
			}
			if len(got.Columns()) != len(tc.plan.Columns()) {
				t.Errorf("%d columns, want %d", len(got.Columns()), len(tc.plan.Columns()))
			}
		})
	}
}

// TestPushFiltersUnderApply checks that PushJoinConditions moves a filter's conjuncts on an
// Apply's left side below it, and keeps those on its columns or on none above.
func TestPushFiltersUnderApply(t *testing.T) {
	a := &planner.Values{Cols: []planner.Column{{ID: 1, Name: "a", Type: types.Int64}}}
	b := &planner.Values{Cols: []planner.Column{{ID: 2, Name: "b", Type: types.Int64}}}
	out := planner.Column{ID: 3, Name: "v", Type: types.Int64}
	onA := cmp(planner.OpGt, col(1, types.Int64), i64(0))
	onV := cmp(planner.OpGt, col(3, types.Int64), i64(0))
	none := cmp(planner.OpGt, &planner.Func{Name: "random", Typ: types.Float64}, i64(0))
	apply := &planner.Apply{Kind: planner.ApplyInner, Left: a, Right: b, Cols: []planner.Column{out}}
	got, err := PushJoinConditions(&planner.Filter{Input: apply, Pred: planner.And([]planner.Expr{onA, onV, none})})
	if err != nil {
		t.Fatal(err)
	}
	f, ok := got.(*planner.Filter)
	if !ok {
		t.Fatalf("got %T, want a filter above the apply", got)
	}
	if want := planner.And([]planner.Expr{onV, none}).String(); f.Pred.String() != want {
		t.Errorf("above: %s, want %s", f.Pred, want)
	}
	ap, ok := f.Input.(*planner.Apply)
	if !ok {
		t.Fatalf("filter over %T, want the apply", f.Input)
	}
	below, ok := ap.Left.(*planner.Filter)
	if !ok || below.Pred.String() != onA.String() || below.Input != planner.Node(a) {
		t.Errorf("apply's left side %T, want a filter on %s over a", ap.Left, onA)
	}
}
