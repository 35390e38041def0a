package planner

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sleeperd/sleeperd/types"
)

func TestQualCost(t *testing.T) {
	i32 := arrow.PrimitiveTypes.Int32
	x := &ColumnRef{ID: 1, Name: "x", Typ: i32}
	s := &ColumnRef{ID: 2, Name: "s", Typ: types.Text}
	lit := func(v int32) Expr { return &Literal{Value: v, Typ: i32} }
	bin := func(op Op, l, r Expr) Expr { return &Binary{Op: op, L: l, R: r, Typ: i32} }
	list := func(n int) []Expr {
		var out []Expr
		for i := 0; i < n; i++ {
			out = append(out, lit(int32(i)))
		}
		return out
	}
	for _, c := range []struct {
		e    Expr
		want float64
	}{
		{bin(OpNotEq, x, lit(0)), 1},
		{bin(OpGt, bin(OpDiv, lit(10), x), lit(1)), 2},
		{bin(OpGt, bin(OpDiv, bin(OpAdd, lit(1), lit(1)), x), lit(0)), 2}, // 1 + 1 folds
		{&IsNull{E: x}, 0},
		{&InList{E: x, List: list(2)}, 1},
		{&InList{E: x, List: list(8)}, 4},
		{&InList{E: x, List: list(9)}, 2},
		{&InList{E: x, List: []Expr{lit(1)}}, 1},
		{bin(OpGt, &Cast{E: s, To: i32}, lit(0)), 3},
		{bin(OpGt, &Cast{E: x, To: arrow.PrimitiveTypes.Int64}, lit(0)), 1},
		{bin(OpGt, &Func{Name: "abs", Args: []Expr{x}, Typ: i32}, lit(0)), 2},
		{&Func{Name: "pg_table_is_visible", Args: []Expr{x}, Typ: types.Bool}, 10},
	} {
		if got := QualCost(c.e); got != c.want {
			t.Errorf("QualCost(%s) = %v, want %v", c.e, got, c.want)
		}
	}
}

func TestOrderQuals(t *testing.T) {
	i32 := arrow.PrimitiveTypes.Int32
	x := &ColumnRef{ID: 1, Name: "x", Typ: i32}
	y := &ColumnRef{ID: 2, Name: "y", Typ: i32}
	lit := func(v int32) Expr { return &Literal{Value: v, Typ: i32} }
	bin := func(op Op, l, r Expr) Expr { return &Binary{Op: op, L: l, R: r, Typ: i32} }
	div := bin(OpGt, bin(OpDiv, lit(10), x), lit(1))          // 2
	ne := bin(OpNotEq, x, lit(0))                             // 1
	eq := bin(OpEq, bin(OpDiv, lit(1), y), lit(1))            // 2, an equivalence
	gt := bin(OpGt, bin(OpDiv, lit(1), y), lit(0))            // 2
	gate := bin(OpLt, &Func{Name: "now", Typ: i32}, lit(0))   // no column
	vol := bin(OpLt, &Func{Name: "random", Typ: i32}, lit(0)) // volatile, no column
	got := OrderQuals([]Qual{{Expr: div, SubLink: true}, {Expr: eq}, {Expr: vol}, {Expr: gt}, {Expr: ne}, {Expr: gate}})
	want := []Expr{gate, ne, vol, gt, eq, div}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("OrderQuals: got %v, want %v", got, want)
		}
	}
}
