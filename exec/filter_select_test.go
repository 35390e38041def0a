package exec

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"
)

// TestSelectedRows checks the word-at-a-time selection of a filter's rows against a row by
// row reading of the predicate: lengths around word and byte boundaries, slices starting
// within a byte, NULLs, and mostly-false, mostly-true and all-true predicates.
func TestSelectedRows(t *testing.T) {
	_, mem := checkedCtx(t)
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 7, 8, 9, 63, 64, 65, 127, 128, 129, 200, 1000, 8192} {
		for _, pTrue := range []float64{0, 0.02, 0.5, 0.98, 1} {
			for _, pNull := range []float64{0, 0.1} {
				b := array.NewBooleanBuilder(mem)
				for range n + 21 {
					if rng.Float64() < pNull {
						b.AppendNull()
					} else {
						b.Append(rng.Float64() < pTrue)
					}
				}
				whole := b.NewBooleanArray()
				b.Release()
				for _, off := range []int{0, 1, 5, 8, 13, 21} {
					s := array.NewSlice(whole, int64(off), int64(off+n)).(*array.Boolean)
					var want []int32
					for i := range s.Len() {
						if s.IsValid(i) && s.Value(i) {
							want = append(want, int32(i))
						}
					}
					got := selectedRows(s, []int32{-7}[:0])
					if !slices.Equal(got, want) {
						t.Fatalf("n %d, true %v, null %v, offset %d: got %v, want %v", n, pTrue, pNull, off, got, want)
					}
					s.Release()
				}
				whole.Release()
			}
		}
	}
}
