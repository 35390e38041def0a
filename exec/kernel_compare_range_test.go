package exec

import (
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
)

// TestCompareRange checks x op1 c1 AND x op2 c2, evaluated in one pass over x, against
// logic over the two comparisons evaluated apart: every pair of comparison operators,
// bigint, integer, smallint and double precision columns with NULLs, the types' extremes,
// NaN, -0 and infinities, over more rows than a block and a slice starting within a byte of
// the bitmaps, for literals inside, at and outside the values; and checks that the pass is
// taken for such operands and not for others (a NaN literal, two columns).
func TestCompareRange(t *testing.T) {
	ctx, mem := checkedCtx(t)
	cases := []struct {
		typ  arrow.DataType
		lits []any
	}{
		{tI64, []any{int64(math.MinInt64), int64(0), int64(7), int64(math.MaxInt64)}},
		{tI32, []any{int32(math.MinInt32), int32(0), int32(3)}},
		{tI16, []any{int16(-2), int16(10)}},
		{tF64, []any{math.Inf(-1), math.Copysign(0, -1), 2.5, math.Inf(1)}},
	}
	for _, c := range cases {
		vals := compareEdgeValues[c.typ]
		var rows []any
		for i := range rangeBlock + 301 {
			rows = append(rows, vals[(i*7+i/13)%len(vals)])
		}
		b := col(t, mem, c.typ, rows...)
		sl := b.NewSlice(3, int64(rangeBlock+290))
		for _, in := range []arrow.RecordBatch{b, sl} {
			for _, l1 := range c.lits {
				for _, l2 := range c.lits {
					for op1 := Eq; op1 <= GtEq; op1++ {
						for op2 := Eq; op2 <= GtEq; op2++ {
							name := fmt.Sprintf("%s: x %s %v AND x %s %v over %d rows", c.typ, op1, l1, op2, l2, in.NumRows())
							e1 := mustBinary(t, op1, mustCol(t, 0, c.typ), lit(t, l1, c.typ))
							e2 := mustBinary(t, op2, mustCol(t, 0, c.typ), lit(t, l2, c.typ))
							and := mustBinary(t, And, e1, e2)
							out, ok, err := compareRange(ctx, and.(*Binary), in)
							if err != nil || !ok {
								t.Fatalf("%s: not taken (%v)", name, err)
							}
							got := texts(out)
							out.Release()
							a1, _ := e1.Eval(ctx, in)
							a2, _ := e2.Eval(ctx, in)
							w := logic(mem, And, a1, a2)
							want := texts(w)
							a1.Release()
							a2.Release()
							w.Release()
							if !slices.Equal(got, want) {
								t.Fatalf("%s: %v, want %v", name, got, want)
							}
						}
					}
				}
			}
		}
		sl.Release()
		b.Release()
	}
	// Not taken: a NaN literal, two columns, a column and a literal of another type.
	b := col(t, mem, tF64, 1.0, math.NaN(), nil)
	defer b.Release()
	x := mustCol(t, 0, tF64)
	for _, e := range []Expr{
		mustBinary(t, And, mustBinary(t, GtEq, x, lit(t, 0.0, tF64)), mustBinary(t, Lt, x, lit(t, math.NaN(), tF64))),
		mustBinary(t, And, mustBinary(t, GtEq, x, lit(t, 0.0, tF64)), mustBinary(t, Lt, x, x)),
	} {
		if _, ok, _ := compareRange(ctx, e.(*Binary), b); ok {
			t.Errorf("%s: taken", e)
		}
	}
}
