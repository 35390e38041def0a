package planner

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sleeperd/sleeperd/types"
)

func TestRejectsNulls(t *testing.T) {
	i32 := arrow.PrimitiveTypes.Int32
	a := &ColumnRef{ID: 1, Name: "a", Typ: i32}
	b := &ColumnRef{ID: 2, Name: "b", Typ: i32}
	lit := &Literal{Value: int32(2), Typ: i32}
	cmp := func(op Op, l, r Expr) Expr { return &Binary{Op: op, L: l, R: r, Typ: types.Bool} }
	side := map[ColumnID]bool{1: true}
	for _, c := range []struct {
		e    Expr
		want bool
	}{
		{cmp(OpEq, a, lit), true},
		{cmp(OpEq, &Binary{Op: OpAdd, L: a, R: lit, Typ: i32}, lit), true},
		{cmp(OpEq, b, lit), false},
		{cmp(OpEq, a, b), true},
		{cmp(OpOr, cmp(OpEq, a, lit), cmp(OpEq, b, lit)), false},
		{cmp(OpOr, cmp(OpEq, a, lit), cmp(OpGt, a, b)), true},
		{cmp(OpAnd, cmp(OpEq, b, lit), cmp(OpGt, a, lit)), true},
		{&Not{E: cmp(OpEq, a, lit)}, true},
		{&IsNull{E: a}, false},
		{&Not{E: &IsNull{E: a}}, false},
		{cmp(OpEq, &Coalesce{Args: []Expr{a, lit}, Typ: i32}, lit), false},
		{cmp(OpEq, &Func{Name: "f", Args: []Expr{a}, Typ: i32}, lit), false},
		{&InList{E: a, List: []Expr{lit}}, true},
		{&IsNull{E: a, Negate: true}, true},
		{&IsNull{E: b, Negate: true}, false},
		{&Coalesce{Args: []Expr{cmp(OpEq, a, lit), &Literal{Value: false, Typ: types.Bool}}, Typ: types.Bool}, true},
		{&Coalesce{Args: []Expr{&Not{E: cmp(OpEq, a, lit)}, &Literal{Value: false, Typ: types.Bool}}, Typ: types.Bool}, true},
		{&Coalesce{Args: []Expr{cmp(OpEq, a, lit), &Literal{Value: true, Typ: types.Bool}}, Typ: types.Bool}, false},
		{&Not{E: &Coalesce{Args: []Expr{cmp(OpEq, a, lit), &Literal{Value: false, Typ: types.Bool}}, Typ: types.Bool}}, false},
		{&AnyOp{Op: OpEq, L: a, R: b}, true},
		{&AnyOp{Op: OpEq, L: a, R: b, All: true}, false}, // true if b is empty
		{&AnyOp{Op: OpEq, L: a, R: &Array{Typ: types.ArrayOf(i32)}, All: true}, false},
		{&AnyOp{Op: OpEq, L: a, R: &Array{Elems: []Expr{lit}, Typ: types.ArrayOf(i32)}, All: true}, true},
	} {
		if got := RejectsNulls(c.e, side); got != c.want {
			t.Errorf("RejectsNulls(%s) = %v, want %v", c.e, got, c.want)
		}
	}
}
