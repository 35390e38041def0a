package merge

import (
	"bytes"
	"encoding/binary"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// A table keyed by one bigint and no sort key (the common PRIMARY KEY) needs no encoded keys
// to see that a batch is a run: its keys, in file order, are distinct exactly when they are
// strictly increasing. processRunInt checks that over the int64 values themselves, so that
// the batches of a leaf of one file (or of files whose key ranges do not overlap) pass
// through the last-write-wins step without the key encoding and the comparison of
// neighbouring keys process does. It holds such a batch back whole (pend) until the next
// batch's first key shows that the held batch's last row is final too, and then returns it
// as it is: no batch of the one row that ends a run. A batch read straight from a file
// (one input) whose key column is a span of a column chunk of the hot cache is known to
// increase when the chunk's values do (fileStream.keysIncreasing, checked once per chunk
// and kept with the open file), and is not looked at again: rows with equal keys inside
// a file, which ingest writes in input order for last-write-wins to resolve, make a chunk
// not increasing, and tombstones and keys equal across batches are checked as before.

// processRunInt is processRun for a batch of a stack keyed by one bigint and no sort key,
// before any key is encoded. It reports true when it took b: outs are the batches to return
// (possibly none). It reports false when b is not such a run, having turned a held batch
// back into rows returned (outs, to go before b's) and an open group of its last row.
func (s *stack) processRunInt(b arrow.RecordBatch) (bool, []arrow.RecordBatch, error) {
	if len(s.opts.RowKeys) != 1 || len(s.opts.SortKeys) != 0 {
		return false, nil, nil
	}
	v, ok := int64Keys(b.Column(s.opts.RowKeys[0]))
	n := len(v)
	if !ok || n == 0 || (s.pend != nil && v[0] == s.pendLast) || !(s.increasing || strictlyIncreasing(v)) || s.hasTombstone(b) {
		outs, err := s.unpend()
		return false, outs, err
	}
	var first [8]byte
	encodeInt64Key(first[:], v[0])
	if s.open && bytes.Equal(first[:], s.openKey) {
		return false, nil, nil // s.open excludes a held batch
	}
	s.intRuns++
	if s.increasing {
		s.knownRuns++
	}
	var outs []arrow.RecordBatch
	if s.open {
		s.resetOut()
		if err := s.emit(nil); err != nil {
			return true, nil, err
		}
		s.open = false
		out, err := s.build(nil)
		s.releaseCarry()
		if err != nil {
			return true, nil, err
		}
		if out != nil {
			outs = append(outs, out)
		}
	}
	if s.pend != nil {
		outs = append(outs, s.pend)
	}
	b.Retain()
	s.pend, s.pendLast = b, v[n-1]
	return true, outs, nil
}

// int64Keys returns the values of a bigint key column without NULLs.
func int64Keys(a arrow.Array) ([]int64, bool) {
	x, ok := a.(*array.Int64)
	if !ok || x.NullN() > 0 {
		return nil, false
	}
	return x.Int64Values(), true
}

// unpend turns the held batch, if any, into its rows but the last, returned, and an open
// group of its last row, as processRun would have left them.
func (s *stack) unpend() ([]arrow.RecordBatch, error) {
	if s.pend == nil {
		return nil, nil
	}
	b := s.pend
	s.pend = nil
	defer b.Release()
	n := int(b.NumRows())
	var last [8]byte
	encodeInt64Key(last[:], s.pendLast)
	var outs []arrow.RecordBatch
	if n > 1 {
		outs = append(outs, b.NewSlice(0, int64(n-1)))
	}
	s.startGroup(b, int32(n-1))
	s.openKey = append(s.openKey[:0], last[:]...)
	s.carryOver(b)
	return outs, nil
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
