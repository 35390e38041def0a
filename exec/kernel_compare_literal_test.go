package exec

import (
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
)

// TestCompareLiteral checks column op literal, compared against the literal itself without
// broadcasting it, against compareArrays over the literal broadcast to an array: every
// comparison operator, bigint, integer, smallint and double precision columns with NULLs,
// the types' extremes, NaN, -0 and infinities, over a whole batch and a slice of it that
// starts within a byte of the bitmaps, for literals inside, at and outside the values.
func TestCompareLiteral(t *testing.T) {
	ctx, mem := checkedCtx(t)
	cases := []struct {
		typ  arrow.DataType
		lits []any
	}{
		{tI64, []any{int64(math.MinInt64), int64(0), int64(7), int64(8), int64(math.MaxInt64)}},
		{tI32, []any{int32(math.MinInt32), int32(0), int32(3), int32(math.MaxInt32)}},
		{tI16, []any{int16(-2), int16(0), int16(10)}},
		{tF64, []any{math.Inf(-1), 0.0, math.Copysign(0, -1), 2.5, 3.0, math.Inf(1), math.NaN()}},
	}
	for _, c := range cases {
		vals := compareEdgeValues[c.typ]
		var rows []any
		for i := range 77 {
			rows = append(rows, vals[i%len(vals)])
		}
		b := col(t, mem, c.typ, rows...)
		sl := b.NewSlice(3, 70)
		for _, in := range []arrow.RecordBatch{b, sl} {
			for _, lv := range c.lits {
				for op := Eq; op <= GtEq; op++ {
					name := fmt.Sprintf("%s %s %v over %d rows", c.typ, op, lv, in.NumRows())
					e, err := NewBinary(op, mustCol(t, 0, c.typ), lit(t, lv, c.typ))
					if err != nil {
						t.Fatal(err)
					}
					got, err := evalText(ctx, e, in)
					if err != nil {
						t.Fatal(err)
					}
					l := in.Column(0)
					r := broadcast(mem, lv, c.typ, l.Len())
					w := compareArrays(mem, op, l, r)
					want := texts(w)
					r.Release()
					w.Release()
					if !slices.Equal(got, want) {
						t.Fatalf("%s: %v, want %v", name, got, want)
					}
				}
			}
		}
		sl.Release()
		b.Release()
	}
}
