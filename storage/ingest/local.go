package ingest

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/sleeperd/sleeperd/internal/spillfile"
	"github.com/sleeperd/sleeperd/internal/take"
)

// A sorted memSource gathers its rows in key order chunk by chunk. Gathered straight from the
// rows appended, every value of a chunk is a cache miss: the rows of a spill take tens of MiB
// and key order visits them at random. localize first copies the rows, cut into sub-runs of
// consecutive input rows of about subRunBytes (which fit in the core's cache), each sub-run in
// key order; a chunk is then gathered from the sub-runs, each read in order. Both gathers
// read near the rows they read last, and the rows come out as before: the order is the same
// permutation, the sort's, only the copies it is gathered from differ. The copy of a sub-run
// replaces its rows: an input batch is let go once every row of it is copied.

// subRunBytes is the size of a sub-run's rows: the random reads of its gather stay in the
// core's cache. A variable for tests.
var subRunBytes int64 = 256 << 10

// localMinBytes is the least size of the rows of a source that localize copies: rows that
// fit in the cache are gathered as fast from where they are. A variable for tests.
var localMinBytes int64 = 4 << 20

// localize copies the rows of m, sorted, into sub-runs (see above) unless they are small,
// arrive in batches too large to let go of soon enough (an input batch is held until each of
// its rows is copied, so a quarter of the rows at most is held twice), or have columns take
// copies value by value (nested types).
func (m *memSource) localize() error {
	if m.rows == 0 || !takeFast(m.spec.Schema) {
		return nil
	}
	var total, most int64
	for _, b := range m.in.batches {
		n := spillfile.BatchBufferBytes(b)
		total += n
		most = max(most, n)
	}
	if total <= localMinBytes || most > total/4 {
		return nil
	}
	per := max(1, total/int64(m.rows))
	size := int(min(max(subRunBytes/per, 16), int64(m.rows)))
	subs := (m.rows + size - 1) / size
	if subs < 2 {
		return nil
	}
	// One pass over the permutation places each row in its sub-run, in key order, and names
	// where each sorted position's row lands.
	starts := m.in.starts
	fill := make([]int32, subs)
	from := make([]take.Ref, m.rows) // the input row at each place of the sub-runs
	order := make([]take.Ref, m.rows)
	for i, r := range m.s.perm {
		s := int(r) / size
		k := fill[s]
		fill[s]++
		var b int32
		if m.s.src != nil {
			b = m.s.src[i]
		}
		from[s*size+int(k)] = take.Ref{Src: b, Row: r - int32(starts[b])}
		order[i] = take.Ref{Src: int32(s), Row: k}
	}
	local := make([]arrow.RecordBatch, 0, subs)
	first := 0 // the first input batch still held
	batches := m.in.batches
	fail := func(err error) error {
		for _, b := range local {
			b.Release()
		}
		m.in.batches = batches[first:]
		return err
	}
	for s := range subs {
		lo, hi := s*size, min((s+1)*size, m.rows)
		refs := from[lo:hi]
		for j := range refs {
			refs[j].Src -= int32(first)
		}
		cols, err := gatherCols(m.spec, batches[first:], refs)
		if err != nil {
			return fail(fmt.Errorf("ingest: sort: %w", err))
		}
		b := array.NewRecordBatch(m.spec.Schema, cols, int64(hi-lo))
		for _, c := range cols {
			c.Release()
		}
		local = append(local, b)
		// Let go of the input batches copied whole.
		for first < len(batches) && starts[first+1] <= hi {
			m.drop(batches[first], m.rows-starts[first])
			batches[first] = nil
			first++
		}
	}
	m.in.batches = nil
	m.local, m.order = local, order
	m.s.src = nil // the batch of each sorted row: next reads the sub-runs now
	return nil
}

// drop releases an input batch of m before m closes, and the memory accounted for it: its
// buffers, or less for a slice of a larger batch (whose buffers count whole): no more than
// its rows' share of what is accounted for the rest rows not let go of yet, b's included.
func (m *memSource) drop(b arrow.RecordBatch, rest int) {
	n := min(spillfile.BatchBufferBytes(b), m.held*b.NumRows()/int64(max(rest, 1)))
	b.Release()
	m.mem.hold(-n)
	m.held -= n
}

// takeFast reports whether package take copies every column of s in bulk, not value by
// value.
func takeFast(s *arrow.Schema) bool {
	for _, f := range s.Fields() {
		dt := f.Type
		if e, ok := dt.(arrow.ExtensionType); ok {
			dt = e.StorageType()
		}
		switch dt.ID() {
		case arrow.NULL, arrow.BOOL, arrow.STRING, arrow.BINARY, arrow.LARGE_STRING, arrow.LARGE_BINARY:
			continue
		}
		fw, ok := dt.(arrow.FixedWidthDataType)
		if !ok || fw.BitWidth()%8 != 0 || fw.BitWidth() == 0 {
			return false
		}
	}
	return true
}
