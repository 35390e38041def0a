package merge

import (
	"bytes"
	"encoding/binary"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// A table keyed by one bigint and no sort key (the common PRIMARY KEY) needs no encoded keys
// to see that a batch is a run: its keys, in file order, are distinct exactly when they are
// strictly increasing. processRunInt checks that over the int64 values themselves and takes
// the run path, encoding only the batch's first and last keys, so that the batches of a leaf
// of one file (or of files whose key ranges do not overlap) pass through the last-write-wins
// step without the key encoding and the comparison of neighbouring keys process does.

// processRunInt is processRun for a batch of a stack keyed by one bigint without NULLs and no
// sort key, before any key is encoded; it reports false (having done nothing) when that
// does not hold or b is not a run.
func (s *stack) processRunInt(b arrow.RecordBatch) (bool, []arrow.RecordBatch, error) {
	if len(s.opts.RowKeys) != 1 || len(s.opts.SortKeys) != 0 {
		return false, nil, nil
	}
	a, ok := b.Column(s.opts.RowKeys[0]).(*array.Int64)
	if !ok || a.NullN() > 0 {
		return false, nil, nil
	}
	v := a.Int64Values()
	n := len(v)
	if n < 2 {
		return false, nil, nil
	}
	var first, last [8]byte
	encodeInt64Key(first[:], v[0])
	if s.open && bytes.Equal(first[:], s.openKey) {
		return false, nil, nil
	}
	if !strictlyIncreasing(v) || s.hasTombstone(b) {
		return false, nil, nil
	}
	encodeInt64Key(last[:], v[n-1])
	s.intRuns++
	outs, err := s.run(b, last[:])
	return true, outs, err
}

// encodeInt64Key writes the row key encoding of a bigint (storage/keys', as keyBuf.encode
// writes it).
func encodeInt64Key(dst []byte, v int64) {
	binary.BigEndian.PutUint64(dst, uint64(v)^(1<<63))
}

// strictlyIncreasing reports whether every value of v is greater than the one before it.
func strictlyIncreasing(v []int64) bool {
	for i := 1; i < len(v); i++ {
		if v[i] <= v[i-1] {
			return false
		}
	}
	return true
}
