package exec

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// TestSortPermInts checks the sort of a single integer-like key without NULLs against the
// comparer-based sort it replaces: bigint, timestamp, integer, date and smallint keys with
// many repeated values (the order among equal keys is the input's), the types' extremes,
// ascending and descending, over a slice of the input; and that a key with NULLs, or two
// keys, is left to the comparer-based sort.
func TestSortPermInts(t *testing.T) {
	_, mem := checkedCtx(t)
	rng := rand.New(rand.NewPCG(7, 8))
	for _, typ := range []arrow.DataType{tI64, tTS, tI32, tDate, tI16} {
		for _, n := range []int{0, 1, 2, 50, 3000} {
			b := array.NewBuilder(mem, typ)
			for i := range n + 5 {
				v := int64(rng.IntN(40) - 20)
				switch i % 17 {
				case 3:
					v = math.MinInt16
				case 5:
					v = math.MaxInt16
				}
				switch bb := b.(type) {
				case *array.Int64Builder:
					if i%23 == 7 {
						v = math.MinInt64
					}
					bb.Append(v)
				case *array.TimestampBuilder:
					bb.Append(arrow.Timestamp(v))
				case *array.Int32Builder:
					if i%23 == 7 {
						v = math.MaxInt32
					}
					bb.Append(int32(v))
				case *array.Date32Builder:
					bb.Append(arrow.Date32(v))
				case *array.Int16Builder:
					bb.Append(int16(v))
				}
			}
			whole := b.NewArray()
			b.Release()
			a := array.NewSlice(whole, 5, int64(n+5))
			for _, desc := range []bool{false, true} {
				keys := []SortKey{{Desc: desc}}
				got, ok := sortPermInts(keys, []arrow.Array{a}, n)
				if !ok {
					t.Fatalf("%s: not taken", typ)
				}
				if want := sortPermRows(keys, []arrow.Array{a}, n); !slices.Equal(got, want) {
					t.Fatalf("%s, %d rows, desc %v: %v, want %v", typ, n, desc, got[:min(20, n)], want[:min(20, n)])
				}
			}
			a.Release()
			whole.Release()
		}
	}
	withNull := col(t, mem, tI64, int64(2), nil, int64(1))
	defer withNull.Release()
	if _, ok := sortPermInts([]SortKey{{}}, []arrow.Array{withNull.Column(0)}, 3); ok {
		t.Error("taken for a key with NULLs")
	}
	two := mkBatch(t, mem, schemaOf(tI64, tI64), []any{int64(1), int64(2)})
	defer two.Release()
	if _, ok := sortPermInts([]SortKey{{}, {}}, two.Columns(), 1); ok {
		t.Error("taken for two keys")
	}
}
