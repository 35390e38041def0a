package merge

import (
	"bytes"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sleeperd/sleeperd/storage/keys"
)

// TestSearchInt64 compares the bigint key searches with binary searches of the encoded keys
// for bounds of every length: exact keys, keys extended by further key columns, prefixes of
// a key, and the extremes.
func TestSearchInt64(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	vals := []int64{math.MinInt64, -5, -5, -1, 0, 0, 3, 7, 7, 7, 100, math.MaxInt64 - 1, math.MaxInt64}
	for range 200 {
		vals = append(vals, rng.Int64N(400)-200)
	}
	slices.Sort(vals)
	enc := func(v int64) []byte {
		e, err := keys.AppendGo(nil, arrow.PrimitiveTypes.Int64, v)
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	var bounds [][]byte
	for _, v := range []int64{math.MinInt64, -201, -5, 0, 7, 100, 250, math.MaxInt64 - 1, math.MaxInt64} {
		e := enc(v)
		bounds = append(bounds, e, append(bytes.Clone(e), 0), append(bytes.Clone(e), 0xFF, 3), e[:7], e[:3], e[:1], []byte{})
	}
	for range 100 {
		bounds = append(bounds, enc(rng.Int64N(400)-200))
	}
	n := len(vals)
	for _, b := range bounds {
		for _, span := range [][2]int{{0, n}, {3, n - 2}, {n / 2, n / 2}, {0, 1}} {
			lo, hi := span[0], span[1]
			want := lo + sort.Search(hi-lo, func(i int) bool { return bytes.Compare(enc(vals[lo+i]), b) >= 0 })
			got, ok := searchInt64AtOrAbove(vals, lo, hi, b)
			if ok != (len(b) >= 8) || (ok && got != want) {
				t.Errorf("at or above %x in [%d,%d): %d, %v; want %d", b, lo, hi, got, ok, want)
			}
			want = lo + sort.Search(hi-lo, func(i int) bool {
				e := enc(vals[lo+i])
				return bytes.Compare(e, b) >= 0 || bytes.HasPrefix(b, e)
			})
			got, ok = searchInt64NotBelow(vals, lo, hi, b)
			if ok != (len(b) >= 8) || (ok && got != want) {
				t.Errorf("not below %x in [%d,%d): %d, %v; want %d", b, lo, hi, got, ok, want)
			}
		}
	}
}
