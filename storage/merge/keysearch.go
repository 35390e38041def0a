package merge

import (
	"encoding/binary"
	"math"
	"sort"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// A point lookup binary searches the key column twice per file read (narrowing the span of
// the page index, then clipping the batch to the range), comparing each probe's encoded key
// with the range's bounds. A leading key column of bigint, the common row key, is searched
// on its values instead, without encoding a probe: an encoded bigint is 8 bytes whose order
// is the values' order, so a bound of at least 8 bytes compares with a value through its
// first 8 bytes decoded.

// int64Bound decodes the leading bigint of the encoded bound b: ok when b holds one, exact
// when b is that bigint alone.
func int64Bound(b []byte) (v int64, exact, ok bool) {
	if len(b) < 8 {
		return 0, false, false
	}
	return int64(binary.BigEndian.Uint64(b) ^ (1 << 63)), len(b) == 8, true
}

// searchInt64AtOrAbove returns the first i in [lo, hi) (hi if none) whose value's encoding
// compares at or above the encoded bound b, or ok false when b does not start with a
// bigint. The values must be sorted.
func searchInt64AtOrAbove(vals []int64, lo, hi int, b []byte) (int, bool) {
	bv, exact, ok := int64Bound(b)
	if !ok {
		return 0, false
	}
	// enc(v) >= b: v > bv, or v == bv and b is v's encoding alone.
	if !exact {
		if bv == math.MaxInt64 {
			return hi, true
		}
		bv++
	}
	return lo + sort.Search(hi-lo, func(i int) bool { return vals[lo+i] >= bv }), true
}

// searchInt64NotBelow returns the first i in [lo, hi) whose value's encoding e is not wholly
// below the encoded bound b: e >= b or b extends e (KeyNarrow's lower bound).
func searchInt64NotBelow(vals []int64, lo, hi int, b []byte) (int, bool) {
	bv, _, ok := int64Bound(b)
	if !ok {
		return 0, false
	}
	return lo + sort.Search(hi-lo, func(i int) bool { return vals[lo+i] >= bv }), true
}

// int64Values returns the values of a bigint column without NULLs, or nil.
func int64Values(a arrow.Array) []int64 {
	x, ok := a.(*array.Int64)
	if !ok || x.NullN() > 0 {
		return nil
	}
	return x.Int64Values()
}
