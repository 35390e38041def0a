package ingest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sort"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/internal/spillfile"
	"github.com/sleeperd/sleeperd/internal/take"
	"github.com/sleeperd/sleeperd/storage/keys"
	"github.com/sleeperd/sleeperd/storage/parquet"
	"github.com/sleeperd/sleeperd/storage/statestore"
)

// Spill files are Arrow IPC streams of the table's columns plus two: the encoded key of each
// row (row keys then sort keys, as package keys encodes them) and the length of its row key
// prefix. Their batches are in key order; the merge compares the encoded keys only.
const (
	keyField   = "sleeperd.spill.key"
	rowKeyLen  = "sleeperd.spill.row_key_len"
	ioBufBytes = 64 << 10 // the most a spill file's read or write buffer takes
)

// runSchema returns the schema of spill files for a table of schema s.
func runSchema(s *arrow.Schema) *arrow.Schema {
	fields := append(s.Fields(),
		arrow.Field{Name: keyField, Type: arrow.BinaryTypes.Binary},
		arrow.Field{Name: rowKeyLen, Type: arrow.PrimitiveTypes.Int32})
	return arrow.NewSchema(fields, nil)
}

// trackingAllocator counts the bytes a Writer holds: what it allocates and what hold adds.
type trackingAllocator struct {
	mem       memory.Allocator
	cur, peak atomic.Int64
}

func (t *trackingAllocator) hold(n int64) {
	c := t.cur.Add(n)
	for {
		p := t.peak.Load()
		if c <= p || t.peak.CompareAndSwap(p, c) {
			return
		}
	}
}

func (t *trackingAllocator) Allocate(size int) []byte {
	b := t.mem.Allocate(size)
	t.hold(int64(len(b)))
	return b
}

func (t *trackingAllocator) Reallocate(size int, b []byte) []byte {
	old := len(b)
	b = t.mem.Reallocate(size, b)
	t.hold(int64(len(b) - old))
	return b
}

func (t *trackingAllocator) Free(b []byte) {
	t.hold(-int64(len(b)))
	t.mem.Free(b)
}

// source is a stream of batches of run schema in key order.
type source interface {
	next() (arrow.RecordBatch, error) // a batch the caller releases, or io.EOF
	close()
}

// memSource streams rows sorted in memory, chunk rows at a time.
type memSource struct {
	spec   Spec
	schema *arrow.Schema
	s      *sorted
	in     *input // the rows, retained until close
	rows   int    // rows in in
	refs   []take.Ref
	pos, n int
	chunk  int
	mem    *trackingAllocator
	held   int64  // accounted for the rows and their sorted keys
	shared bool   // a view of another memSource's rows (view): close releases nothing
	keyBuf []byte // scratch of encodeKeys
	// local holds the rows in sub-runs each in key order, and order the sub-run and row of
	// each sorted position, once localize copied them (the input batches are let go then).
	local []arrow.RecordBatch
	order []take.Ref
}

// split cuts the rows, not sorted yet, into up to n sources of consecutive rows of about
// the same number, which share out the memory accounted for them; m holds nothing
// afterwards. A batch is sliced where a cut falls inside it.
func (m *memSource) split(n int) []*memSource {
	if n <= 1 || m.rows < n {
		return []*memSource{m}
	}
	out := make([]*memSource, 0, n)
	var part []arrow.RecordBatch
	start, pos := 0, 0 // the first row of the part, the next row of the input
	var given int64    // memory accounted to the parts so far
	for _, b := range m.in.batches {
		k := int(b.NumRows())
		if k == 0 {
			b.Release()
			continue
		}
		whole := true
		for lo := 0; lo < k; {
			end := m.rows * (len(out) + 1) / n // the row the part ends before
			take := min(k-lo, end-pos)
			if take == k {
				part = append(part, b) // the part owns b now
			} else {
				part = append(part, b.NewSlice(int64(lo), int64(lo+take)))
				whole = false
			}
			lo, pos = lo+take, pos+take
			if pos == end {
				held := m.held * int64(end-start) / int64(m.rows)
				if len(out) == n-1 {
					held = m.held - given
				}
				out = append(out, &memSource{spec: m.spec, schema: m.schema, in: newInput(part), rows: end - start, chunk: m.chunk, mem: m.mem, held: held})
				given += held
				part, start = nil, end
			}
		}
		if !whole {
			b.Release()
		}
	}
	m.in.batches, m.rows, m.held = nil, 0, 0
	return out
}

// sort sorts the rows; next returns them in key order afterwards.
func (m *memSource) sort() error {
	m.s = sortRows(m.spec, m.in.batches, m.rows)
	m.n = len(m.s.perm)
	return m.localize()
}

func (m *memSource) next() (arrow.RecordBatch, error) {
	if m.pos >= m.n {
		return nil, io.EOF
	}
	lo, hi := m.pos, min(m.pos+m.chunk, m.n)
	perm := m.s.perm[lo:hi]
	m.pos = hi
	var cols []arrow.Array
	var err error
	if m.local != nil {
		cols, err = gatherCols(m.spec, m.local, m.order[lo:hi])
	} else {
		m.refs = m.in.sortedRefs(m.refs[:0], m.s, lo, hi)
		cols, err = gatherCols(m.spec, m.in.batches, m.refs)
	}
	if err != nil {
		return nil, err
	}
	ks, lens := m.encodeKeys(cols, len(perm))
	cols = append(cols, ks, lens)
	b := array.NewRecordBatch(m.schema, cols, int64(len(perm)))
	for _, c := range cols {
		c.Release()
	}
	return b, nil
}

// encodeKeys returns the encoded keys of the n rows of cols (the table's columns, gathered
// in key order) as a binary array, and the length of each one's row key prefix. It encodes
// them again rather than copy them from the sort's key buffer: the gathered rows are read in
// order, the key buffer at random.
func (m *memSource) encodeKeys(cols []arrow.Array, n int) (keysArr, lens arrow.Array) {
	rkCols := make([]arrow.Array, len(m.spec.RowKeys))
	for j, c := range m.spec.RowKeys {
		rkCols[j] = cols[c]
	}
	ob := memory.NewResizableBuffer(m.spec.Alloc)
	ob.Resize((n + 1) * arrow.Int32SizeBytes)
	offs := arrow.Int32Traits.CastFromBytes(ob.Bytes())
	lb := memory.NewResizableBuffer(m.spec.Alloc)
	lb.Resize(n * arrow.Int32SizeBytes)
	ls := arrow.Int32Traits.CastFromBytes(lb.Bytes())
	buf := m.keyBuf[:0]
	for i := range n {
		offs[i] = int32(len(buf))
		buf = keys.AppendRow(buf, rkCols, i)
		ls[i] = int32(len(buf)) - offs[i]
		for _, c := range m.spec.SortKeys {
			buf = keys.AppendSortValue(buf, cols[c], i)
		}
	}
	offs[n] = int32(len(buf))
	m.keyBuf = buf
	db := memory.NewResizableBuffer(m.spec.Alloc)
	db.Resize(len(buf))
	copy(db.Bytes(), buf)
	kd := array.NewData(arrow.BinaryTypes.Binary, n, []*memory.Buffer{nil, ob, db}, nil, 0, 0)
	ld := array.NewData(arrow.PrimitiveTypes.Int32, n, []*memory.Buffer{nil, lb}, nil, 0, 0)
	ob.Release()
	db.Release()
	lb.Release()
	defer kd.Release()
	defer ld.Release()
	return array.MakeFromData(kd), array.MakeFromData(ld)
}

func (m *memSource) close() {
	if m.shared {
		return
	}
	for _, b := range m.in.batches {
		b.Release()
	}
	m.in.batches = nil
	for _, b := range m.local {
		b.Release()
	}
	m.local, m.order = nil, nil
	m.mem.hold(-m.held)
	m.held = 0
}

// fileSource streams a spill file; closing it removes the file.
type fileSource struct {
	r *spillfile.Reader
}

// openRuns opens the runs for reading. On failure it closes the sources it opened, which
// removes their files; the run that failed to open is removed too.
func (w *Writer) openRuns(runs []*spillRun) ([]source, error) {
	srcs := make([]source, 0, len(runs))
	for _, r := range runs {
		rd, err := r.Open(w.spec.Alloc, w.ioBuf())
		if err != nil {
			closeSources(srcs)
			return nil, fmt.Errorf("ingest: %w", err)
		}
		srcs = append(srcs, &fileSource{r: rd})
	}
	return srcs, nil
}

// ioBuf returns the size of a spill file's read or write buffer.
func (w *Writer) ioBuf() int {
	return int(min(max(w.opts.Memory/4/int64(w.fanIn()), 4<<10), ioBufBytes))
}

func (s *fileSource) next() (arrow.RecordBatch, error) {
	b, err := s.r.Next()
	if err != nil && err != io.EOF {
		return nil, fmt.Errorf("ingest: %w", err)
	}
	return b, err
}

func (s *fileSource) close() { s.r.Close() }

func closeSources(srcs []source) {
	for _, s := range srcs {
		s.close()
	}
}

// writeRun merges srcs into a new spill file, and closes each source once read.
// Its output batches have at most limit rows. It may run on a goroutine of its own: it
// changes nothing of w.
func (w *Writer) writeRun(ctx context.Context, srcs []source, limit int) (_ *spillRun, err error) {
	f, err := spillfile.Create(w.opts.SpillDir, SpillPrefix, runSchema(w.spec.Schema), w.spec.Alloc, w.ioBuf())
	if err != nil {
		return nil, fmt.Errorf("ingest: %w", err)
	}
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("ingest: %w", errs.Recovered(p))
		}
		if err != nil {
			f.Remove()
		}
	}()
	sink := &runSink{f: f, keyCol: w.spec.Schema.NumFields()}
	if len(srcs) == 1 {
		err = copyRun(ctx, srcs[0], sink)
	} else {
		err = w.merge(ctx, srcs, sink, limit)
	}
	if err != nil {
		return nil, err
	}
	if err = f.Finish(); err != nil {
		return nil, fmt.Errorf("ingest: %w", err)
	}
	return &spillRun{File: f, firsts: sink.firsts}, nil
}

// copyRun writes the batches of src, in key order already, to s, and closes src.
func copyRun(ctx context.Context, src source, s sink) error {
	defer src.close()
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		b, err := src.next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		err = s.emit(b)
		b.Release()
		if err != nil {
			return err
		}
	}
}

// spillRun is a sorted run in a spill file, with the row key of the first row of each of
// its batches: a merge of a range of keys starts reading it at the batch the range starts in.
type spillRun struct {
	*spillfile.File
	firsts [][]byte
}

// startBatch returns the first batch of r that may hold rows with row keys at or past lo.
func (r *spillRun) startBatch(lo []byte) int {
	if lo == nil {
		return 0
	}
	// The batch before the first that starts at or past lo may end with rows at lo.
	i := sort.Search(len(r.firsts), func(i int) bool { return bytes.Compare(r.firsts[i], lo) >= 0 })
	return max(0, i-1)
}

// runSink writes merged batches to a spill file.
type runSink struct {
	f      *spillfile.File
	keyCol int
	firsts [][]byte // row key of the first row of each batch written
}

func (s *runSink) boundary([]byte) bool { return false }
func (s *runSink) endGroup() error      { return nil }
func (s *runSink) emit(b arrow.RecordBatch) error {
	if b.NumRows() == 0 {
		return nil
	}
	if err := s.f.Write(b); err != nil {
		return fmt.Errorf("ingest: %w", err)
	}
	ks := b.Column(s.keyCol).(*array.Binary)
	rk := b.Column(s.keyCol + 1).(*array.Int32)
	s.firsts = append(s.firsts, bytes.Clone(ks.Value(0)[:rk.Value(0)]))
	return nil
}

// mergeToLeaves merges the runs and the rows held into one new file per touched leaf (per
// range of a leaf the final merge is cut inside): with run-ahead memory as several merges at
// once over ranges of row keys (mergeRanges, cuts), else as one. It returns the files written also on error, for cleanup.
func (w *Writer) mergeToLeaves(ctx context.Context, leaves []*statestore.Partition) (files []written, err error) {
	var held []*memSource
	if w.bufRows > 0 {
		if held, err = w.sortBuffer(); err != nil {
			return nil, err
		}
		for _, h := range held {
			w.samples = append(w.samples, h.sampleKeys()...)
		}
	}
	bounds := cuts(w.samples, leaves, w.mergeRanges())
	w.stats.FinalMerges = len(bounds) + 1
	if len(bounds) > 0 {
		files, err = w.mergeRangesToLeaves(ctx, leaves, held, bounds)
		for _, h := range held {
			h.close()
		}
		for _, r := range w.runs {
			r.Remove()
		}
		w.runs = nil
		return files, err
	}
	srcs, err := w.openRuns(w.runs)
	if err != nil {
		for _, h := range held {
			h.close()
		}
		return nil, err
	}
	w.runs = w.runs[len(srcs):] // the sources remove their files
	for _, h := range held {
		srcs = append(srcs, h)
	}
	return w.mergeInto(ctx, srcs, leaves)
}

// mergeInto merges srcs into one new file per touched leaf, closing each source once read.
// It returns the files written also on error, for cleanup.
func (w *Writer) mergeInto(ctx context.Context, srcs []source, leaves []*statestore.Partition) (files []written, err error) {
	sink := &leafSink{ctx: ctx, w: w, leaves: leaves}
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("ingest: %w", errs.Recovered(p))
		}
		if err != nil && sink.fw != nil {
			sink.fw.fail(err)
			sink.fw = nil
		}
		if ferr := sink.wait(); err == nil {
			err = ferr
		}
		files = sink.files
	}()
	if err := w.merge(ctx, srcs, sink, w.outRows()); err != nil {
		return nil, err
	}
	return nil, sink.endGroup()
}

// runAheadMemory is the least Memory with which the final merge runs ahead of the Parquet
// encoders: it queues whole row groups for them and completes one leaf's file while it
// writes the next, which holds up to a few row groups of rows (tens of MiB at 100,000-row
// row groups) beyond the merge's own batches. With less, the merge waits for the encoders
// batch by batch and for each file to be stored, as the budget asks.
var runAheadMemory int64 = 256 << 20 // a variable for tests

func (w *Writer) runAhead() bool { return w.opts.Memory >= runAheadMemory }

// leafSink writes merged batches into one file per leaf.
type leafSink struct {
	ctx    context.Context
	w      *Writer
	leaves []*statestore.Partition
	leaf   int
	fw     *fileWriter
	files  []written
	// finishing is the result of the file being completed on a goroutine of its own, or
	// nil: the merge goes on into the next leaf while the last row groups of the previous
	// one are encoded and written (with runAhead). One file at a time finishes.
	finishing chan finished
}

// finished is the outcome of fileWriter.finish.
type finished struct {
	f   statestore.File
	err error
}

// boundary advances to the leaf of row key rk and reports whether the rows so far belong to
// an earlier leaf (the file of which may not be open yet: it opens at the first emit).
func (s *leafSink) boundary(rk []byte) bool {
	cut := false
	for s.leaves[s.leaf].Range.Max != nil && bytes.Compare(rk, s.leaves[s.leaf].Range.Max) >= 0 {
		s.leaf++
		cut = true
	}
	return cut
}

func (s *leafSink) emit(b arrow.RecordBatch) error {
	if s.fw == nil {
		var opts []parquet.WriterOption
		if !s.w.runAhead() {
			opts = append(opts, parquet.QueueBatches(1))
		}
		fw, err := newFileWriter(s.ctx, s.w.store, s.w.spec, opts...)
		if err != nil {
			return err
		}
		s.fw = fw
	}
	n := s.w.spec.Schema.NumFields()
	data := array.NewRecordBatch(s.w.spec.Schema, b.Columns()[:n], b.NumRows())
	defer data.Release()
	ks := b.Column(n).(*array.Binary)
	rk := b.Column(n + 1).(*array.Int32)
	return s.fw.write(data, func(i int) []byte { return ks.Value(i)[:rk.Value(i)] })
}

// endGroup completes the current leaf's file: with runAhead on a goroutine, once the
// previous one is complete (wait collects it); otherwise before it returns.
func (s *leafSink) endGroup() error {
	if s.fw == nil {
		return nil
	}
	if err := s.wait(); err != nil {
		s.fw.fail(err)
		s.fw = nil
		return err
	}
	fw := s.fw
	s.fw = nil
	if !s.w.runAhead() {
		f, err := fw.finish()
		if err != nil {
			return err
		}
		s.files = append(s.files, written{file: f})
		return nil
	}
	ch := make(chan finished, 1)
	s.finishing = ch
	go func() {
		var r finished
		defer func() {
			if p := recover(); p != nil {
				r = finished{err: fw.fail(fmt.Errorf("ingest: %w", errs.Recovered(p)))}
			}
			ch <- r
		}()
		r.f, r.err = fw.finish()
	}()
	return nil
}

// wait waits for the file being completed, if any, and adds it to the files written.
func (s *leafSink) wait() error {
	if s.finishing == nil {
		return nil
	}
	r := <-s.finishing
	s.finishing = nil
	if r.err != nil {
		return r.err
	}
	s.files = append(s.files, written{file: r.f})
	return nil
}

// sink receives the merged stream.
type sink interface {
	// boundary is told the row key of the next row; true ends the group of rows so far.
	boundary(rowKey []byte) bool
	// emit takes the next rows of the group (of run schema); it must not keep b.
	emit(b arrow.RecordBatch) error
	// endGroup ends a group, before the rows after a boundary.
	endGroup() error
}

// cursor is a source's position in the merge.
type cursor struct {
	src    source
	order  int // ties go to the lower order: the earlier run
	b      arrow.RecordBatch
	keys   *array.Binary
	rkLen  *array.Int32
	from   int // first row of b not emitted yet
	row, n int
	key    []byte // key of row
	pfx    uint64 // keys.Prefix64(key)
}

// load reads the next non-empty batch; it reports false at the end of the source.
func (c *cursor) load(keyCol int) (bool, error) {
	for {
		b, err := c.src.next()
		if err == io.EOF {
			c.src.close()
			return false, nil
		}
		if err != nil {
			return false, err
		}
		if b.NumRows() == 0 {
			b.Release()
			continue
		}
		c.b, c.from, c.row, c.n = b, 0, 0, int(b.NumRows())
		c.keys = b.Column(keyCol).(*array.Binary)
		c.rkLen = b.Column(keyCol + 1).(*array.Int32)
		c.key = c.keys.Value(0)
		c.pfx = keys.Prefix64(c.key)
		return true, nil
	}
}

func (c *cursor) rowKey() []byte { return c.key[:c.rkLen.Value(c.row)] }

func less(a, b *cursor) bool {
	if a.pfx != b.pfx {
		return a.pfx < b.pfx
	}
	if c := bytes.Compare(a.key, b.key); c != 0 {
		return c < 0
	}
	return a.order < b.order
}

// merge merges srcs (in run order) into sink in key order, rows with equal keys in run order,
// closing each source once read. Rows go out in batches of at most limit rows, cut whenever a
// cursor needs its next batch, so that each source holds one batch at a time.
func (w *Writer) merge(ctx context.Context, srcs []source, s sink, limit int) (err error) {
	keyCol := w.spec.Schema.NumFields()
	schema := runSchema(w.spec.Schema)
	all := make([]*cursor, 0, len(srcs))
	defer func() {
		for _, c := range all {
			if c.b != nil {
				c.b.Release()
				c.b = nil
			}
		}
		closeSources(srcs) // the rest, on failure
	}()
	var heap []*cursor
	for i, src := range srcs {
		c := &cursor{src: src, order: i}
		ok, err := c.load(keyCol)
		if err != nil {
			return err
		}
		all = append(all, c) // all[i].order == i
		if ok {
			heap = append(heap, c)
		}
	}
	for i := len(heap)/2 - 1; i >= 0; i-- {
		down(heap, i)
	}
	m := &merging{mem: w.spec.Alloc, schema: schema, all: all}
	for len(heap) > 0 {
		c := heap[0]
		if s.boundary(c.rowKey()) {
			if err := m.flush(ctx, s); err != nil {
				return err
			}
			if err := s.endGroup(); err != nil {
				return err
			}
		}
		m.picks = append(m.picks, int32(c.order))
		c.row++
		if len(m.picks) >= limit {
			if err := m.flush(ctx, s); err != nil {
				return err
			}
		}
		if c.row < c.n {
			c.key = c.keys.Value(c.row)
			c.pfx = keys.Prefix64(c.key)
			down(heap, 0)
			continue
		}
		// c's batch is done: emit what the merge took from it before reading on.
		if err := m.flush(ctx, s); err != nil {
			return err
		}
		c.b.Release()
		c.b = nil
		ok, err := c.load(keyCol)
		if err != nil {
			return err
		}
		if !ok {
			last := len(heap) - 1
			heap[0] = heap[last]
			heap = heap[:last]
		}
		if len(heap) > 0 {
			down(heap, 0)
		}
	}
	return m.flush(ctx, s)
}

// down restores the heap order below i.
func down(h []*cursor, i int) {
	for {
		l := 2*i + 1
		if l >= len(h) {
			return
		}
		j := l
		if r := l + 1; r < len(h) && less(h[r], h[l]) {
			j = r
		}
		if !less(h[j], h[i]) {
			return
		}
		h[i], h[j] = h[j], h[i]
		i = j
	}
}

// merging builds output batches from the rows the merge picked.
type merging struct {
	mem    memory.Allocator
	schema *arrow.Schema
	all    []*cursor // by order
	picks  []int32   // the order of the cursor of each output row
	offs   []int32
	srcs   []arrow.RecordBatch
	refs   []take.Ref
}

// flush emits the rows picked: each cursor's rows [from, row) of its batch, interleaved as
// picked.
func (m *merging) flush(ctx context.Context, s sink) error {
	if len(m.picks) == 0 {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	var only *cursor
	n := 0
	for _, c := range m.all {
		if c.b != nil && c.row > c.from {
			only = c
			n++
		}
	}
	var out arrow.RecordBatch
	if n == 1 {
		out = only.b.NewSlice(int64(only.from), int64(only.row))
	} else {
		var err error
		if out, err = m.interleave(); err != nil {
			return err
		}
	}
	m.picks = m.picks[:0]
	for _, c := range m.all {
		c.from = c.row
	}
	err := s.emit(out)
	out.Release()
	return err
}

// interleave takes the picked rows of each cursor in pick order, each value copied once.
func (m *merging) interleave() (arrow.RecordBatch, error) {
	m.offs = m.offs[:0]
	m.srcs = m.srcs[:0]
	for _, c := range m.all {
		m.offs = append(m.offs, int32(c.from))
		m.srcs = append(m.srcs, c.b) // nil when exhausted: no picks refer to it
	}
	m.refs = m.refs[:0]
	for _, o := range m.picks {
		m.refs = append(m.refs, take.Ref{Src: o, Row: m.offs[o]})
		m.offs[o]++
	}
	cols := make([]arrow.Array, 0, m.schema.NumFields())
	arrs := make([]arrow.Array, len(m.srcs))
	for j := range m.schema.NumFields() {
		for i, b := range m.srcs {
			arrs[i] = nil
			if b != nil {
				arrs[i] = b.Column(j)
			}
		}
		a, err := take.Rows(m.mem, m.schema.Field(j).Type, arrs, m.refs)
		if err != nil {
			for _, c := range cols {
				c.Release()
			}
			return nil, fmt.Errorf("ingest: merge: %w", err)
		}
		cols = append(cols, a)
	}
	b := array.NewRecordBatch(m.schema, cols, int64(len(m.picks)))
	for _, c := range cols {
		c.Release()
	}
	return b, nil
}
