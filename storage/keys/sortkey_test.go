package keys

import (
	"bytes"
	"math"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

func TestSortKeyEncodingOrder(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	fb := array.NewFloat64Builder(mem)
	defer fb.Release()
	// ascending order as PostgreSQL sorts, nulls last
	fb.AppendValues([]float64{math.Inf(-1), -1e300, -2.5, -1e-300, 0, 1e-300, 1, 3, math.Inf(1), math.NaN()}, nil)
	fb.AppendNull()
	floats := fb.NewArray()
	defer floats.Release()
	sb := array.NewStringBuilder(mem)
	defer sb.Release()
	sb.AppendValues([]string{"", "\x00", "\x00\x00", "\x00a", "a", "a\x00", "ab", "b"}, nil)
	sb.AppendNull()
	strs := sb.NewArray()
	defer strs.Release()
	ib := array.NewInt32Builder(mem)
	defer ib.Release()
	ib.AppendValues([]int32{math.MinInt32, -1, 0, 1, math.MaxInt32}, nil)
	ints := ib.NewArray()
	defer ints.Release()
	for _, a := range []arrow.Array{floats, strs, ints} {
		t.Run(a.DataType().String(), func(t *testing.T) {
			for i := 1; i < a.Len(); i++ {
				p, q := AppendSortValue(nil, a, i-1), AppendSortValue(nil, a, i)
				if bytes.Compare(p, q) >= 0 {
					t.Errorf("value %d (%x) not below value %d (%x)", i-1, p, i, q)
				}
			}
		})
	}
	negZero := array.NewFloat64Builder(mem)
	defer negZero.Release()
	negZero.AppendValues([]float64{math.Copysign(0, -1), 0}, nil)
	z := negZero.NewArray()
	defer z.Release()
	if !bytes.Equal(AppendSortValue(nil, z, 0), AppendSortValue(nil, z, 1)) {
		t.Error("-0 and +0 encode differently")
	}
}
