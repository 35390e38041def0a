package merge

import (
	"bytes"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
)

// Most batches of a table whose keys are unique hold no two rows with equal keys and no
// tombstone: under last-write-wins every row but the last of such a batch is final as it
// is. processRun returns those rows as a slice of the batch, sharing its buffers, instead
// of gathering them one by one; the open group before it is emitted on its own first, and
// the batch's last row opens the next group as usual.

// runnable reports whether process may take the run path at all: last-write-wins alone,
// no deletes and no age-off, so that a row alone in its group is output as it is.
func (s *stack) runnable() bool {
	return s.opts.LastWriteWins && len(s.opts.Aggregations) == 0 && len(s.opts.Deletes) == 0 && len(s.opts.AgeOff) == 0
}

// processRun handles b, whose keys s.keys holds, when its rows have pairwise distinct
// neighbouring keys, none equal to the open group's, and no tombstone; it reports false
// (having done nothing) otherwise. It returns up to two batches: the open group's row and
// the rows of b but the last.
func (s *stack) processRun(b arrow.RecordBatch) (bool, []arrow.RecordBatch, error) {
	n := int(b.NumRows())
	if n < 2 || (s.open && bytes.Equal(s.keys.key(0), s.openKey)) {
		return false, nil, nil
	}
	prev := s.keys.key(0)
	for i := 1; i < n; i++ {
		k := s.keys.key(i)
		if bytes.Equal(k, prev) {
			return false, nil, nil
		}
		prev = k
	}
	if s.hasTombstone(b) {
		return false, nil, nil
	}
	outs, err := s.run(b, s.keys.key(n-1))
	return true, outs, err
}

// hasTombstone reports whether some row of b has DeletedCol true.
func (s *stack) hasTombstone(b arrow.RecordBatch) bool {
	if s.opts.DeletedCol < 0 {
		return false
	}
	d := b.Column(s.opts.DeletedCol).(*array.Boolean)
	n := d.Len()
	if d.NullN() == n {
		return false
	}
	if d.NullN() == 0 {
		// The value bits of every row count: none may be set.
		return bitutil.CountSetBits(d.Data().Buffers()[1].Bytes(), d.Data().Offset(), n) > 0
	}
	for i := range n {
		if d.IsValid(i) && d.Value(i) {
			return true
		}
	}
	return false
}

// run returns the open group's row, if any, and the rows of b but the last, and opens the
// group of b's last row, whose encoded key is lastKey.
func (s *stack) run(b arrow.RecordBatch, lastKey []byte) ([]arrow.RecordBatch, error) {
	n := int(b.NumRows())
	var outs []arrow.RecordBatch
	if s.open {
		s.resetOut()
		if err := s.emit(nil); err != nil {
			return nil, err
		}
		s.open = false
		out, err := s.build(nil)
		s.releaseCarry()
		if err != nil {
			return nil, err
		}
		if out != nil {
			outs = append(outs, out)
		}
	}
	outs = append(outs, b.NewSlice(0, int64(n-1)))
	s.startGroup(b, int32(n-1))
	s.openKey = append(s.openKey[:0], lastKey...)
	s.carryOver(b)
	return outs, nil
}

func releaseBatches(bs []arrow.RecordBatch) {
	for _, b := range bs {
		b.Release()
	}
}
