package sql

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/decimal128"

	"github.com/sleeperd/sleeperd/planner"
	"github.com/sleeperd/sleeperd/types"
)

// TestDivScale checks select_div_scale's choices, taken from PostgreSQL 15's results (the
// same quotients are compared with a live server in testdata/slt/pg_compat/numeric.slt).
func TestDivScale(t *testing.T) {
	num := func(s string) planner.Expr {
		l, err := numericLiteral(s)
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	integer := func(v int32) planner.Expr { return &planner.Literal{Value: v, Typ: types.Int32} }
	for _, c := range []struct {
		l, r planner.Expr
		want int32
	}{
		{integer(1), integer(3), 20},
		{integer(7), integer(2), 16},
		{integer(0), integer(3), 20},
		{integer(-1), integer(3), 20},
		{num("0.0001"), integer(7), 24},
		{integer(1), num("0.0003"), 16},
		{num("123.456"), num("-0.001"), 12},
		{integer(9999), integer(10000), 20},
		{integer(10000), integer(9999), 16},
		{num("0.00001234"), integer(5678), 28},
		{integer(5678), num("0.00001234"), 8},
		{num("12345678901234567890"), num("0.5"), 1},
		{num("1.000"), num("1.0"), 20},
	} {
		got, ok := divScale(c.l, c.r)
		if !ok || got != c.want {
			t.Errorf("%v / %v: scale %d (%v), want %d", c.l, c.r, got, ok, c.want)
		}
	}
	col := &planner.ColumnRef{Name: "n", Typ: types.DefaultNumeric}
	if _, ok := divScale(col, integer(3)); ok {
		t.Error("a column's quotient has a constant scale")
	}
	if n, ok := numericCast(&planner.Literal{Value: " 4.20 ", Typ: types.Unknown}).(*planner.Literal); !ok ||
		n.Value != decimal128.FromI64(420) || !arrow.TypeEqual(n.Typ, types.Numeric(38, 2)) {
		t.Errorf("' 4.20 '::numeric is %v", n)
	}
	for _, s := range []string{"x", "1..5", "NaN", "Infinity", "0x10", "1_000", ""} {
		if n := numericCast(&planner.Literal{Value: s, Typ: types.Unknown}); n != nil {
			t.Errorf("%q::numeric folded to %v; the cast at run time raises its error", s, n)
		}
	}
}
