package exec

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"
)

// TestTakeStrings checks take of text values of 0 to 20 bytes (short ones are moved a word
// at a time) against the values themselves: indexes in any order and repeated, values at the
// very end of the data buffer, NULLs, and slices of the input starting at other offsets.
func TestTakeStrings(t *testing.T) {
	_, mem := checkedCtx(t)
	rng := rand.New(rand.NewPCG(5, 6))
	for _, n := range []int{1, 2, 9, 100, 1000} {
		for _, nulls := range []bool{false, true} {
			b := array.NewStringBuilder(mem)
			vals := make([]string, n)
			valid := make([]bool, n)
			for i := range vals {
				vals[i] = strings.Repeat(string(rune('a'+i%26)), rng.IntN(21))
				valid[i] = !nulls || rng.IntN(5) > 0
				if valid[i] {
					b.Append(vals[i])
				} else {
					b.AppendNull()
				}
			}
			whole := b.NewStringArray()
			b.Release()
			for _, off := range []int{0, 1, n / 2} {
				if off >= n {
					continue
				}
				a := array.NewSlice(whole, int64(off), int64(n)).(*array.String)
				idx := make([]int32, 3*a.Len())
				for j := range idx {
					idx[j] = int32(rng.IntN(a.Len()))
				}
				idx[len(idx)-1] = int32(a.Len() - 1) // the last value of the data
				got := take(mem, a, idx).(*array.String)
				for j, i := range idx {
					switch {
					case got.IsValid(j) != valid[off+int(i)]:
						t.Fatalf("n %d, offset %d: row %d valid %v, want %v", n, off, j, got.IsValid(j), valid[off+int(i)])
					case got.IsValid(j) && got.Value(j) != vals[off+int(i)]:
						t.Fatalf("n %d, offset %d: row %d %q, want %q", n, off, j, got.Value(j), vals[off+int(i)])
					}
				}
				got.Release()
				a.Release()
			}
			whole.Release()
		}
	}
}
