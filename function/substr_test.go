package function

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/sleeperd/sleeperd/exec"
)

// TestSubstrConstantArgs checks substr with one start and count for every row (built in one
// pass) against the same start and count given per row (the general path), over ASCII and
// multi-byte strings, NULLs, and starts before, inside and past the strings.
func TestSubstrConstantArgs(t *testing.T) {
	_, mem := checkedCtx(t)
	rng := rand.New(rand.NewPCG(3, 4))
	runes := []rune("abcXYZ09é€𝄞")
	b := array.NewStringBuilder(mem)
	for range 500 {
		if rng.IntN(9) == 0 {
			b.AppendNull()
			continue
		}
		var s []rune
		for range rng.IntN(12) {
			r := runes[rng.IntN(6)]
			if rng.IntN(4) == 0 {
				r = runes[rng.IntN(len(runes))]
			}
			s = append(s, r)
		}
		b.Append(string(s))
	}
	a := b.NewArray()
	b.Release()
	defer a.Release()
	n := a.Len()
	for from := int64(-3); from <= 14; from++ {
		for count := int64(0); count <= 7; count++ {
			one, err := substr(mem, a, exec.CopyValidity(mem, a), substrArgs{from: []int64{from}, count: []int64{count}})
			if err != nil {
				t.Fatal(err)
			}
			per, err := substr(mem, a, exec.CopyValidity(mem, a), substrArgs{from: slices.Repeat([]int64{from}, n), count: slices.Repeat([]int64{count}, n)})
			if err != nil {
				t.Fatal(err)
			}
			if got, want := texts(one), texts(per); !slices.Equal(got, want) {
				t.Fatalf("substr(s, %d, %d): %q, want %q", from, count, got, want)
			}
			one.Release()
			per.Release()
		}
	}
}
