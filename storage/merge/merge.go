package merge

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/internal/take"
	"github.com/sleeperd/sleeperd/storage/keys"
	"github.com/sleeperd/sleeperd/stream"
)

// Spec describes the streams Merge merges: their common schema and the roles of its columns.
type Spec struct {
	Schema     *arrow.Schema
	RowKeys    []int // indices into Schema of the row key columns, in key order
	SortKeys   []int // indices into Schema of the sort key columns, in key order
	VersionCol int   // index into Schema of the int64 version column (not null)
	Alloc      memory.Allocator
	// Prefetch reads each input's next batch, checks it and encodes its keys on a goroutine
	// of the input's own while the merge consumes the current one, so that decoding the
	// inputs runs beside the merge (on another core) instead of in turn with it. Each input
	// then holds one batch more (the one read ahead), and its Next is called from that
	// goroutine (one call at a time, with the context of the merge's first Next). A panic
	// there becomes the merge's error.
	Prefetch bool
}

func (s Spec) validate() error {
	if s.Schema == nil {
		return fmt.Errorf("%w: no schema", ErrInvalidSpec)
	}
	n := s.Schema.NumFields()
	if len(s.RowKeys) == 0 {
		return fmt.Errorf("%w: no row key columns", ErrInvalidSpec)
	}
	for _, c := range s.RowKeys {
		if c < 0 || c >= n || !keys.Supported(s.Schema.Field(c).Type) {
			return fmt.Errorf("%w: row key column index %d", ErrInvalidSpec, c)
		}
	}
	for _, c := range s.SortKeys {
		if c < 0 || c >= n || !keys.SortKeySupported(s.Schema.Field(c).Type) {
			return fmt.Errorf("%w: sort key column index %d", ErrInvalidSpec, c)
		}
	}
	if s.VersionCol < 0 || s.VersionCol >= n || s.Schema.Field(s.VersionCol).Type.ID() != arrow.INT64 {
		return fmt.Errorf("%w: version column index %d", ErrInvalidSpec, s.VersionCol)
	}
	return nil
}

// Merge returns a stream of the rows of every input, each sorted by (row key, sort key),
// ordered by (encoded row key, encoded sort key, version ascending, input index); rows equal
// in all four keep their input order. Every input must return batches of spec.Schema.
//
// Merge takes ownership of the inputs: the returned stream closes them, and Merge closes them
// itself when it fails. Memory is bounded: the stream holds the current batch of each input
// (with spec.Prefetch the next one too), and until the output batch being built (at most
// stream.BatchRows rows) is returned, the earlier batches it has rows of, at most
// len(inputs) of them. Output batches are new memory
// from spec.Alloc (nil: memory.DefaultAllocator); with a single input, its batches pass
// through unchanged.
func Merge(inputs []stream.Stream, spec Spec) (stream.Stream, error) {
	if err := spec.validate(); err != nil {
		for _, in := range inputs {
			in.Close()
		}
		return nil, err
	}
	if spec.Alloc == nil {
		spec.Alloc = memory.DefaultAllocator
	}
	if len(inputs) == 1 {
		return inputs[0], nil
	}
	m := &merger{spec: spec, cursors: make([]*cursor, len(inputs))}
	for i, in := range inputs {
		m.cursors[i] = &cursor{in: in, idx: i, slot: -1}
	}
	return m, nil
}

// cursor is the read position in one input.
type cursor struct {
	in    stream.Stream
	idx   int
	batch arrow.RecordBatch // current batch, or nil when exhausted
	n     int
	row   int
	keys  keyBuf
	pfx   []uint64 // the first 8 bytes of each row's key, big-endian, zero-padded
	ver   []int64
	slot  int32       // index of batch in merger.srcs, or -1
	pf    *prefetcher // nil unless Spec.Prefetch
}

func (c *cursor) less(o *cursor) bool {
	// Keys compare as their prefixes do unless the prefixes are equal.
	if a, b := c.pfx[c.row], o.pfx[o.row]; a != b {
		return a < b
	}
	if x := bytes.Compare(c.keys.key(c.row), o.keys.key(o.row)); x != 0 {
		return x < 0
	}
	if a, b := c.ver[c.row], o.ver[o.row]; a != b {
		return a < b
	}
	return c.idx < o.idx
}

// advance loads the input's next non-empty batch, dropping the current one.
func (c *cursor) advance(ctx context.Context, spec *Spec) error {
	if c.batch != nil {
		c.batch.Release()
		c.batch = nil
		c.keys.reset()
	}
	c.slot = -1
	if c.pf == nil {
		l := loaded{keys: c.keys, pfx: c.pfx}
		err := l.load(ctx, c.in, spec, c.idx)
		c.take(&l)
		return err
	}
	return c.pf.next(c)
}

// take makes l's batch (nil at the end of the input) the cursor's, with its keys.
func (c *cursor) take(l *loaded) {
	c.batch, c.keys, c.pfx = l.batch, l.keys, l.pfx
	c.n, c.row, c.ver = 0, 0, nil
	if l.batch != nil {
		c.n = int(l.batch.NumRows())
		c.ver = l.batch.Column(l.ver).(*array.Int64).Int64Values()
	}
}

// loaded is one batch of an input with its encoded keys, or the end of the input (batch nil).
type loaded struct {
	batch arrow.RecordBatch
	keys  keyBuf
	pfx   []uint64 // the first 8 bytes of each row's key, big-endian, zero-padded
	ver   int      // the version column's index
	err   error
}

// load reads in's next non-empty batch into l, checks it and encodes its keys; at the end of
// the input l.batch is nil.
func (l *loaded) load(ctx context.Context, in stream.Stream, spec *Spec, idx int) error {
	l.batch, l.ver = nil, spec.VersionCol
	for {
		b, err := in.Next(ctx)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if b.NumRows() == 0 {
			b.Release()
			continue
		}
		if !b.Schema().Equal(spec.Schema) {
			b.Release()
			return fmt.Errorf("%w: input %d returned a batch of schema %s", ErrInvalidSpec, idx, b.Schema())
		}
		if b.Column(spec.VersionCol).NullN() > 0 {
			b.Release()
			return fmt.Errorf("%w: input %d has NULL versions", ErrInvalidSpec, idx)
		}
		l.batch = b
		l.keys.encode(b, spec.RowKeys, spec.SortKeys)
		l.pfx = l.pfx[:0]
		for i := range int(b.NumRows()) {
			l.pfx = append(l.pfx, keys.Prefix64(l.keys.key(i)))
		}
		return nil
	}
}

// prefetcher reads one input ahead of its cursor on a goroutine of its own. Two loaded
// buffers circulate: the cursor holds one while the goroutine fills the other.
type prefetcher struct {
	out  chan *loaded // filled buffers, in input order; the last has a nil batch or an error
	free chan *loaded // buffers the cursor is done with
	stop chan struct{}
	done chan struct{} // closed when the goroutine has returned
	held *loaded       // the buffer whose batch the cursor holds
}

func startPrefetch(ctx context.Context, in stream.Stream, spec *Spec, idx int) *prefetcher {
	p := &prefetcher{out: make(chan *loaded, 1), free: make(chan *loaded, 2), stop: make(chan struct{}), done: make(chan struct{})}
	p.free <- new(loaded)
	p.free <- new(loaded)
	go p.run(ctx, in, spec, idx)
	return p
}

func (p *prefetcher) run(ctx context.Context, in stream.Stream, spec *Spec, idx int) {
	defer close(p.done)
	defer close(p.out) // nothing is sent after the goroutine returns
	for {
		var l *loaded
		select {
		case l = <-p.free:
		case <-p.stop:
			return
		}
		func() {
			defer func() {
				if r := recover(); r != nil {
					if l.batch != nil { // the panic was in the checks or the key encoding
						l.batch.Release()
					}
					l.batch, l.err = nil, errs.Recovered(r)
				}
			}()
			l.err = l.load(ctx, in, spec, idx)
		}()
		last := l.batch == nil || l.err != nil // read before l is the cursor's
		select {
		case p.out <- l:
		case <-p.stop:
			if l.batch != nil {
				l.batch.Release()
				l.batch = nil
			}
			return
		}
		if last {
			return
		}
	}
}

// next hands the cursor's buffer back and gives it the input's next batch.
func (p *prefetcher) next(c *cursor) error {
	if p.held != nil {
		p.held.keys, p.held.pfx = c.keys, c.pfx
		p.free <- p.held
		p.held = nil
	}
	c.keys, c.pfx = keyBuf{}, nil // they are the goroutine's now
	l, ok := <-p.out
	if !ok {
		c.take(&loaded{}) // the input ended before: the cursor stays at the end
		return nil
	}
	if l.err != nil {
		c.take(&loaded{})
		return l.err
	}
	p.held = l
	c.take(l)
	return nil
}

// close stops the goroutine, waits for it and releases the batch it read ahead.
func (p *prefetcher) close() {
	close(p.stop)
	<-p.done
	for l := range p.out {
		if l.batch != nil {
			l.batch.Release()
			l.batch = nil
		}
	}
}

// merger is the stream Merge returns.
type merger struct {
	spec    Spec
	cursors []*cursor
	heap    []*cursor // min-heap of cursors with rows
	started bool
	closed  bool
	err     error

	srcs    []arrow.RecordBatch // batches the pending output has rows of
	retired int                 // how many of srcs are no longer any cursor's current batch
	refs    []ref

	gathered Gathered // the batch NextGathered returned last
}

var _ stream.Stream = (*merger)(nil)

func (m *merger) start(ctx context.Context) error {
	m.started = true
	if m.spec.Prefetch {
		for _, c := range m.cursors {
			c.pf = startPrefetch(ctx, c.in, &m.spec, c.idx)
		}
	}
	for _, c := range m.cursors {
		if err := c.advance(ctx, &m.spec); err != nil {
			return fmt.Errorf("merge: input %d: %w", c.idx, err)
		}
		if c.batch != nil {
			m.heap = append(m.heap, c)
		}
	}
	for i := len(m.heap)/2 - 1; i >= 0; i-- {
		m.down(i)
	}
	return nil
}

func (m *merger) down(i int) {
	h := m.heap
	n := len(h)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		j := l
		if r := l + 1; r < n && h[r].less(h[l]) {
			j = r
		}
		if !h[j].less(h[i]) {
			return
		}
		h[i], h[j] = h[j], h[i]
		i = j
	}
}

// Next implements stream.Stream.
func (m *merger) Next(ctx context.Context) (arrow.RecordBatch, error) {
	if err := m.fill(ctx); err != nil {
		return nil, err
	}
	out, err := m.flush()
	if err != nil {
		m.err = err
		return nil, err
	}
	return out, nil
}

// Gathered is an output batch of Merge's stream before its rows are copied: its row j is row
// Refs[j].Row of Srcs[Refs[j].Src]. It holds a reference to each of Srcs.
type Gathered struct {
	Srcs []arrow.RecordBatch
	Refs []take.Ref
}

// Release drops the batch's references to its sources.
func (g *Gathered) Release() {
	for i, b := range g.Srcs {
		if b != nil {
			b.Release()
			g.Srcs[i] = nil
		}
	}
	g.Srcs, g.Refs = nil, nil
}

// GatheredStream is implemented by the stream Merge returns for more than one input.
// NextGathered returns the rows the next Next would return, as the rows of the input batches
// they come from, without copying them into a new batch (a writer that encodes rows one at a
// time reads them there). The Gathered's slices are valid until the next call of Next,
// NextGathered or Close, and the caller releases it before that call. Next and NextGathered
// may be mixed.
type GatheredStream interface {
	stream.Stream
	NextGathered(ctx context.Context) (*Gathered, error)
}

var _ GatheredStream = (*merger)(nil)

// NextGathered implements GatheredStream.
func (m *merger) NextGathered(ctx context.Context) (*Gathered, error) {
	if err := m.fill(ctx); err != nil {
		return nil, err
	}
	// The pending batches' references pass to g; the slices are reused by the next fill.
	g := &m.gathered
	g.Srcs, g.Refs = m.srcs, takeRefs(m.refs)
	m.srcs = m.srcs[:0]
	m.refs = m.refs[:0]
	m.retired = 0
	for _, c := range m.cursors {
		c.slot = -1
	}
	return g, nil
}

// fill gathers the refs of the next output batch (io.EOF when there are none).
func (m *merger) fill(ctx context.Context) error {
	if m.closed {
		return fmt.Errorf("merge: %w", ErrClosed)
	}
	if m.err != nil {
		return m.err
	}
	if !m.started {
		if err := m.start(ctx); err != nil {
			m.err = err
			return err
		}
	}
	clear(m.srcs[:cap(m.srcs)]) // entries a Gathered handed out
	limit := len(m.cursors)
	for len(m.refs) < stream.BatchRows && len(m.heap) > 0 && m.retired <= limit {
		c := m.heap[0]
		if c.slot < 0 {
			c.slot = int32(len(m.srcs))
			c.batch.Retain()
			m.srcs = append(m.srcs, c.batch)
		}
		m.refs = append(m.refs, ref{c.slot, int32(c.row)})
		c.row++
		if c.row < c.n {
			m.down(0)
			continue
		}
		m.retired++
		if err := c.advance(ctx, &m.spec); err != nil {
			m.err = fmt.Errorf("merge: input %d: %w", c.idx, err)
			return m.err
		}
		if c.batch == nil {
			last := len(m.heap) - 1
			m.heap[0] = m.heap[last]
			m.heap[last] = nil
			m.heap = m.heap[:last]
		}
		if len(m.heap) > 0 {
			m.down(0)
		}
	}
	if len(m.refs) == 0 {
		return io.EOF
	}
	return nil
}

// flush builds the output batch from the pending rows and drops the batches it referenced.
func (m *merger) flush() (arrow.RecordBatch, error) {
	defer func() {
		for i, b := range m.srcs {
			b.Release()
			m.srcs[i] = nil
		}
		m.srcs = m.srcs[:0]
		m.refs = m.refs[:0]
		m.retired = 0
		for _, c := range m.cursors {
			c.slot = -1
		}
	}()
	ncol := m.spec.Schema.NumFields()
	arrs := make([]arrow.Array, len(m.srcs))
	cols := make([]arrow.Array, 0, ncol)
	defer func() {
		for _, c := range cols {
			c.Release()
		}
	}()
	for c := range ncol {
		for i, b := range m.srcs {
			arrs[i] = b.Column(c)
		}
		a, err := gather(m.spec.Alloc, m.spec.Schema.Field(c).Type, arrs, m.refs)
		if err != nil {
			return nil, fmt.Errorf("merge: column %q: %w", m.spec.Schema.Field(c).Name, err)
		}
		cols = append(cols, a)
	}
	return array.NewRecordBatch(m.spec.Schema, cols, int64(len(m.refs))), nil
}

// Close implements stream.Stream: it closes every input.
func (m *merger) Close() error {
	if m.closed {
		return nil
	}
	m.closed = true
	for _, b := range m.srcs {
		b.Release()
	}
	m.srcs = nil
	var errsOut []error
	for _, c := range m.cursors {
		if c.pf != nil {
			c.pf.close() // before the input is closed: its goroutine may be in Next
			c.pf = nil
		}
		if c.batch != nil {
			c.batch.Release()
			c.batch = nil
		}
		if err := c.in.Close(); err != nil {
			errsOut = append(errsOut, err)
		}
	}
	m.heap = nil
	return errors.Join(errsOut...)
}
