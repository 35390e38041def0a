package merge

import (
	"context"
	"encoding/binary"
	"fmt"
	"slices"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/storage/keys"
	"github.com/sleeperd/sleeperd/stream"
)

// Failures holds the rows of a merge whose value of a column held under a former type
// (FormerKey) could not be converted to the column's type. Such a row may be one a later
// tombstone, a newer version or a delete predicate removes: ALTER COLUMN ... TYPE checks the
// rows that are there, not the ones the files still hold. A ReadSpec with Failures reads the
// value of such a row as NULL and records the failure; Check, over the merged stream with the
// iterator stack applied, fails with the conversion's error when such a row survives. Without
// Failures a conversion error fails the read at once. A Failures serves one merge and may be
// shared by the files it reads.
type Failures struct {
	mu   sync.Mutex
	rows map[string]failure
}

type failure struct {
	col int // the output column, an index into ReadSchema's fields
	err error
}

// NewFailures returns an empty Failures.
func NewFailures() *Failures { return &Failures{} }

func (f *Failures) len() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.rows)
}

func (f *Failures) add(id []byte, col int, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.rows == nil {
		f.rows = map[string]failure{}
	}
	if _, ok := f.rows[string(id)]; !ok {
		f.rows[string(id)] = failure{col: col, err: err}
	}
}

func (f *Failures) find(id []byte) (failure, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	v, ok := f.rows[string(id)]
	return v, ok
}

// failureID appends the identity of row i to dst: its encoded row key, then its version.
func failureID(dst []byte, keyCols []arrow.Array, version arrow.Array, i int) []byte {
	dst = keys.AppendRow(dst, keyCols, i)
	var v int64
	if version != nil {
		v = version.(*array.Int64).Value(i)
	}
	return binary.BigEndian.AppendUint64(dst, uint64(v))
}

// convertRows converts part as conv does; when that fails and failures is set, it converts
// row by row, reads the rows that fail as NULL and returns their positions in part with the
// first row's error.
func convertRows(ctx context.Context, conv Converter, field arrow.Field, former int, part arrow.Array, alloc memory.Allocator, lenient bool) (arrow.Array, []int, []error, error) {
	a, err := conv(ctx, field, former, part)
	if err == nil || !lenient {
		return a, nil, nil, err
	}
	pieces := make([]arrow.Array, 0, part.Len())
	defer func() {
		for _, p := range pieces {
			p.Release()
		}
	}()
	var bad []int
	var errs []error
	for i := 0; i < part.Len(); i++ {
		row := array.NewSlice(part, int64(i), int64(i+1))
		out, err := conv(ctx, field, former, row)
		row.Release()
		if err != nil {
			bad, errs = append(bad, i), append(errs, err)
			out = array.MakeArrayOfNull(alloc, field.Type, 1)
		}
		pieces = append(pieces, out)
	}
	a, err = array.Concatenate(pieces, alloc)
	if err != nil {
		return nil, nil, nil, err
	}
	return a, bad, errs, nil
}

// Check returns in, the merged stream with the iterator stack applied (keyCols: its row key columns,
// versionCol: its version column), failing with the recorded error when a row whose value
// failed to convert comes out of it. Check takes ownership of in.
func (f *Failures) Check(in stream.Stream, keyCols []int, versionCol int) stream.Stream {
	if f == nil {
		return in
	}
	return &checkStream{Stream: in, f: f, keyCols: slices.Clone(keyCols), versionCol: versionCol}
}

type checkStream struct {
	stream.Stream
	f          *Failures
	keyCols    []int
	versionCol int
	buf        []byte
	cols       []arrow.Array
}

func (s *checkStream) Next(ctx context.Context) (arrow.RecordBatch, error) {
	b, err := s.Stream.Next(ctx)
	if err != nil || s.f.len() == 0 {
		return b, err
	}
	s.cols = s.cols[:0]
	for _, c := range s.keyCols {
		s.cols = append(s.cols, b.Column(c))
	}
	version := b.Column(s.versionCol)
	for i := 0; i < int(b.NumRows()); i++ {
		s.buf = failureID(s.buf[:0], s.cols, version, i)
		if v, ok := s.f.find(s.buf); ok && b.Column(v.col).IsNull(i) {
			name := b.Schema().Field(v.col).Name
			b.Release()
			clear(s.cols)
			return nil, fmt.Errorf("merge: converting column %q: %w", name, v.err)
		}
	}
	clear(s.cols)
	return b, nil
}
