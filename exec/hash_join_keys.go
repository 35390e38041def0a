package exec

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// A hash join on an integer key that is a column on both sides (f.k = d.k) outputs, for a
// matched pair, the same value in the two key columns: integers are equal only when they
// are identical. The right key column of a batch of matched pairs is then the left key
// column's rows, a slice of the left batch when the left rows are consecutive (a join on a
// foreign key), instead of a gather from the build side for every joined row.

// keyFromLeft returns, per right column, the left column whose values a matched pair shares
// with it (-1 for none). It is computed once per stream.
func (s *joinStream) keyFromLeft() []int {
	if s.fromLeftDone {
		return s.fromLeft
	}
	s.fromLeftDone = true
	p, ok := s.p.(*hashProbe)
	if !ok {
		return nil
	}
	nr := s.spec.right.Schema().NumFields()
	var from []int
	for i, rk := range p.j.rightKeys {
		rc, ok1 := rk.(*Column)
		lc, ok2 := p.j.leftKeys[i].(*Column)
		if !ok1 || !ok2 || !intKey(rc.DataType()) || !arrow.TypeEqual(rc.DataType(), lc.DataType()) ||
			rc.Index() >= nr || lc.Index() >= s.spec.left.Schema().NumFields() ||
			!arrow.TypeEqual(s.spec.right.Schema().Field(rc.Index()).Type, s.spec.left.Schema().Field(lc.Index()).Type) {
			continue
		}
		if from == nil {
			from = make([]int, nr)
			for c := range from {
				from[c] = -1
			}
		}
		from[rc.Index()] = lc.Index()
	}
	s.fromLeft = from
	return from
}

// rightKeyFromLeft returns right column c of pairs (li, ri) taken from the left batch lb
// instead of the build side, or nil when it cannot: c is not a key column shared with a
// left column, or some pair has no left or no right row. run says the left rows are the
// len(ri) rows of lb from lo (li may then be nil), rneg that some pair has no right row.
func (s *joinStream) rightKeyFromLeft(mem memory.Allocator, lb arrow.RecordBatch, c int, li, ri []int32, run bool, lo int, rneg bool) arrow.Array {
	from := s.keyFromLeft()
	if from == nil || from[c] < 0 || lb == nil || len(ri) == 0 || rneg {
		return nil
	}
	a := lb.Column(from[c])
	if run {
		return array.NewSlice(a, int64(lo), int64(lo+len(ri)))
	}
	for _, l := range li {
		if l < 0 {
			return nil
		}
	}
	return take(mem, a, li)
}
