package merge

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// A point lookup ends its stack with one group of one row: the row the key names, carried
// over from the last batch. Gathering it copies every column into new arrays; when the
// output rows of a column are consecutive rows of one source they are a slice of it
// instead, sharing its buffers. Slicing keeps the whole source alive as long as the output
// is, so it is taken only when the rows are a good share of the source or the source is
// small.

// sliceMaxShare is the source length, in multiples of the output rows, up to which a
// contiguous output is sliced; sliceSmall is the source length up to which it always is.
const (
	sliceMaxShare = 4
	sliceSmall    = 256
)

// contiguous reports whether refs name consecutive rows of one source, and which rows.
func contiguous(refs []ref) (src, start int32, ok bool) {
	if len(refs) == 0 {
		return 0, 0, false
	}
	src, start = refs[0].src, refs[0].row
	for i, r := range refs[1:] {
		if r.src != src || r.row != start+int32(i)+1 {
			return 0, 0, false
		}
	}
	return src, start, true
}

// sliceOf returns rows [start, start+n) of a as a slice sharing its buffers, or nil when a
// is too large for so few rows (see sliceMaxShare).
func sliceOf(a arrow.Array, start, n int) arrow.Array {
	if a == nil || start < 0 || start+n > a.Len() {
		return nil
	}
	if l := a.Len(); l > sliceSmall && l > n*sliceMaxShare {
		return nil
	}
	if start == 0 && n == a.Len() {
		a.Retain()
		return a
	}
	return array.NewSlice(a, int64(start), int64(start+n))
}
