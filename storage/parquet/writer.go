package parquet

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	pq "github.com/parquet-go/parquet-go"

	"github.com/sleeperd/sleeperd/internal/take"
)

// Meta describes a written file.
type Meta struct {
	Rows      int64
	RowGroups int
	Bytes     int64 // file size
}

// Writer writes one Parquet file from Arrow record batches. Every column chunk gets min, max and
// null count statistics, and every page an entry in the column and offset indexes; the footer
// also records the NaN count of every float column chunk (NaNCountsKey). The file is complete
// only after Close. A Writer is not safe for concurrent use.
//
// Row groups are encoded and compressed on worker goroutines, up to GOMAXPROCS (at most 4)
// of them at once, while the caller goes on producing the next rows; they are written to the output in
// order, by the goroutine that calls Write or Close. The file is the same byte for byte as a
// sequential writer would produce. Write queues a row group's batches for its worker (up to
// groupQueue of them, or QueueBatches) rather than waiting for each to be encoded, so the caller can run
// ahead into the next row groups while earlier ones are encoded: the encoding of one row
// group is not the pace of the whole file.
type Writer struct {
	out    *countingWriter
	w      *pq.Writer
	schema *arrow.Schema
	cols   []column
	props  Properties
	par    int
	queue  int // batches queued for a row group's worker at most
	rgRows int // rows in the current row group
	rows   int64
	groups int
	closed bool
	err    error // the first failure: the Writer writes nothing more

	cur      *rowGroup   // the row group taking rows, or nil
	inflight []*rowGroup // row groups handed to workers, in file order (cur not included)
	free     []*pq.ConcurrentRowGroupWriter
	// flat, when set, writes the file through this package's own page writer instead of w
	// (see flat.go); freeFlat holds its row group encoders for reuse.
	flat     *flatFile
	freeFlat []*flatGroup
	// nanCounts holds the NaN counts of the row groups written, by column name (float columns
	// only).
	nanCounts map[string][]int64
}

// rowGroup is one row group being encoded by its worker goroutine.
type rowGroup struct {
	rg   *pq.ConcurrentRowGroupWriter
	in   chan groupPart // the group's rows in order (Writer.queue parts at most); closed when the group is complete
	done chan struct{}  // closed when the worker has encoded every batch of in
	err  error          // the worker's failure, read after done
	enc  encoder
	flat *flatGroup // the flat path's encoder, instead of rg and enc
}

// encoder converts Arrow columns to parquet-go values; one per worker.
type encoder struct {
	cols   []column
	values []pq.Value // scratch
	fixed  []byte     // scratch for fixed-length decimals
	nans   []int64    // NaNs of each float column in the row group
	// pending is the estimated bytes buffered since the last page of each column that cuts
	// its own pages (column.pageBytes > 0).
	pending []int
}

// WriterOption configures a Writer beyond its Properties.
type WriterOption func(*writerConfig)

type writerConfig struct {
	keys  []int
	queue int
}

// QueueBatches sets how many batches Write queues for a row group's worker before it waits
// for the worker to take one (at least 1; groupQueue without this option). A caller with
// little memory to spare passes 1: it then holds at most two batches per row group in
// flight, and waits for each row group's encoding batch by batch.
func QueueBatches(n int) WriterOption {
	return func(c *writerConfig) { c.queue = max(n, 1) }
}

// KeyColumns gives the schema indices of the columns a reader looks rows up by (a table's
// row keys). Their pages are Properties.PageBytes and the other columns' pages
// Properties.ValuePageBytes (larger by default): the key columns' page index narrows a
// lookup to a few rows, and the other columns are read from the pages that hold those
// rows. Without this option every column's pages are PageBytes.
func KeyColumns(idx ...int) WriterOption {
	return func(c *writerConfig) { c.keys = append(c.keys, idx...) }
}

// NaNCountsKey is the footer key under which Writer records how many NaNs each float column
// chunk holds: a JSON object from column name to one count per row group, in row group order.
// Parquet min/max statistics leave NaN out, so only this record shows that a chunk whose max
// is 6 holds no NaN, which sorts above every number in PostgreSQL's order.
const NaNCountsKey = "sleeperd.nan_counts"

// groupQueue is the number of batches Write queues for a row group's worker before it waits
// for the worker to take one. A row group holds RowGroupRows rows at most, so in the usual
// case (batches of thousands of rows) the caller never waits for a row group to be encoded
// while fewer than the writer's limit of them are in flight.
const groupQueue = 64

// writeChunk is the number of rows handed to parquet-go at once; pages are cut between chunks.
const writeChunk = 1024

// NewWriter returns a Writer of a file with the given Arrow schema to w. Lists of flat types
// are written as LIST groups; other nested types (structs, maps, lists of them) and types
// without a Parquet mapping are rejected with ErrUnsupportedType.
// Non-nullable fields become REQUIRED columns. Zero fields of props take their defaults.
func NewWriter(w io.Writer, schema *arrow.Schema, props Properties, opts ...WriterOption) (*Writer, error) {
	if w == nil || schema == nil {
		return nil, fmt.Errorf("%w: nil writer or schema", ErrInvalidProperties)
	}
	if err := props.Validate(); err != nil {
		return nil, err
	}
	props = props.withDefaults()
	codec, err := props.codec()
	if err != nil {
		return nil, err
	}
	cols, pschema, err := buildSchema(schema, props, codec)
	if err != nil {
		return nil, err
	}
	enc, err := encodeArrowSchema(schema)
	if err != nil {
		return nil, err
	}
	var cfg writerConfig
	for _, o := range opts {
		o(&cfg)
	}
	pageBytes := props.PageBytes
	if len(cfg.keys) > 0 {
		// parquet-go cuts pages of one size for every column: the larger one, while the
		// encoder cuts the key columns' pages itself.
		pageBytes = props.ValuePageBytes
		for _, k := range cfg.keys {
			if k < 0 || k >= len(cols) {
				return nil, fmt.Errorf("%w: key column %d of %d columns", ErrInvalidProperties, k, len(cols))
			}
			if props.PageBytes < pageBytes {
				cols[k].pageBytes = props.PageBytes
			}
		}
	}
	pqOpts := []pq.WriterOption{pschema}
	for _, c := range cols {
		if c.kind == pq.FixedLenByteArray {
			// parquet-go would order decimal bytes unsigned, which is wrong for mixed signs;
			// no bounds is better than bounds other readers would prune by.
			pqOpts = append(pqOpts, pq.SkipPageBounds(c.path()...))
		}
		if c.nested != nil {
			for k, l := range c.nested.leaves {
				if l.kind == pq.FixedLenByteArray {
					pqOpts = append(pqOpts, pq.SkipPageBounds(c.nested.paths[k]...))
				}
			}
		}
	}
	out := newCountingWriter(w)
	pqOpts = append(pqOpts,
		pq.Compression(codec),
		pq.PageBufferSize(pageBytes),
		pq.MaxRowsPerRowGroup(int64(props.RowGroupRows)),
		pq.CreatedBy("sleeperd", "", ""),
		// PLAIN byte arrays: the most widely readable encoding and the cheapest to decode
		// (parquet-go defaults to DELTA_LENGTH_BYTE_ARRAY).
		pq.DefaultEncodingFor(pq.ByteArray, &pq.Plain),
		pq.KeyValueMetadata(arrowSchemaKey, enc),
	)
	var pw *pq.Writer
	var flat *flatFile
	if flatEligible(cols, props) {
		if flat, err = newFlatFile(cols, pqOpts, codec, pageBytes, props); err != nil {
			return nil, err
		}
	} else {
		pw = pq.NewWriter(out, pqOpts...)
	}
	// Each row group in flight holds its compressed pages until written, and the batches
	// of its rows queued for its worker (see groupQueue).
	par := min(runtime.GOMAXPROCS(0), 4)
	queue := groupQueue
	if cfg.queue > 0 {
		queue = cfg.queue
	}
	wr := &Writer{out: out, w: pw, flat: flat, schema: schema, cols: cols, props: props, par: par, queue: queue, nanCounts: map[string][]int64{}}
	for _, c := range cols {
		if isFloat(c.field.Type) {
			wr.nanCounts[c.field.Name] = []int64{}
		}
	}
	return wr, nil
}

func isFloat(t arrow.DataType) bool {
	return t.ID() == arrow.FLOAT32 || t.ID() == arrow.FLOAT64
}

// SetKeyValue sets a footer key/value pair; the last value set for a key wins. It may be called
// any time before Close.
func (w *Writer) SetKeyValue(key, value string) {
	if w.flat != nil {
		w.flat.setKeyValue(key, value)
		return
	}
	w.w.SetKeyValueMetadata(key, value)
}

// Write appends the rows of batch, whose schema must equal the writer's (field names, types and
// nullability). The batch's buffers are retained (by reference count) until its rows are
// encoded; the caller may release it when Write returns. A failure of a worker may be
// reported by a later Write or by Close.
func (w *Writer) Write(batch arrow.RecordBatch) error {
	if w.closed {
		return fmt.Errorf("writing parquet: %w", ErrClosed)
	}
	if w.err != nil {
		return w.err
	}
	if !batch.Schema().Equal(w.schema) {
		return fmt.Errorf("%w: got %s", ErrSchemaMismatch, batch.Schema())
	}
	for i, c := range w.cols {
		if !c.field.Nullable && batch.Column(i).NullN() > 0 {
			return fmt.Errorf("%w: nulls in non-nullable column %q", ErrSchemaMismatch, c.field.Name)
		}
	}
	n := int(batch.NumRows())
	for off := 0; off < n; {
		k := min(n-off, w.props.RowGroupRows-w.rgRows)
		if w.cur == nil {
			if err := w.startGroup(); err != nil {
				return w.fail(err)
			}
		}
		var part arrow.RecordBatch
		if off == 0 && k == n {
			batch.Retain()
			part = batch
		} else {
			part = batch.NewSlice(int64(off), int64(off+k))
		}
		w.cur.in <- groupPart{batch: part} // the worker releases it
		off += k
		w.rgRows += k
		w.rows += int64(k)
		if w.rgRows == w.props.RowGroupRows {
			w.endGroup()
		}
	}
	return nil
}

// groupPart is rows handed to a row group's worker: a batch, or rows of several batches
// (WriteRows).
type groupPart struct {
	batch arrow.RecordBatch
	srcs  []arrow.RecordBatch // retained for the part; nil entries are not referenced
	refs  []take.Ref          // the part's own copy
}

func (p *groupPart) release() {
	if p.batch != nil {
		p.batch.Release()
	}
	for _, b := range p.srcs {
		if b != nil {
			b.Release()
		}
	}
}

// WriteRows appends rows chosen from several batches, as Write of the batch whose row j is
// row refs[j].Row of srcs[refs[j].Src] would: the file is the same. The sources' first
// columns must be the writer's fields' types (further columns are not written); sources
// not referenced may be nil. On the flat path (see flat.go) the rows are encoded straight
// from the sources, which are retained until then, and no batch is built; otherwise they
// are copied into one first. The caller may release the sources and reuse refs when
// WriteRows returns.
func (w *Writer) WriteRows(srcs []arrow.RecordBatch, refs []take.Ref) error {
	if w.closed {
		return fmt.Errorf("writing parquet: %w", ErrClosed)
	}
	if w.err != nil {
		return w.err
	}
	if len(refs) == 0 {
		return nil
	}
	nf := len(w.cols)
	for _, b := range srcs {
		if b == nil {
			continue
		}
		if int(b.NumCols()) < nf {
			return fmt.Errorf("%w: got %s", ErrSchemaMismatch, b.Schema())
		}
		for i := range nf {
			if !arrow.TypeEqual(b.Column(i).DataType(), w.schema.Field(i).Type) {
				return fmt.Errorf("%w: column %d of %s", ErrSchemaMismatch, i, b.Schema())
			}
		}
	}
	for i, c := range w.cols {
		if c.field.Nullable || !slices.ContainsFunc(srcs, func(b arrow.RecordBatch) bool { return b != nil && b.Column(i).NullN() > 0 }) {
			continue
		}
		for _, r := range refs {
			if srcs[r.Src].Column(i).IsNull(int(r.Row)) {
				return fmt.Errorf("%w: nulls in non-nullable column %q", ErrSchemaMismatch, c.field.Name)
			}
		}
	}
	if w.flat == nil {
		cols := make([]arrow.Array, nf)
		arrs := make([]arrow.Array, len(srcs))
		defer func() {
			for _, c := range cols {
				if c != nil {
					c.Release()
				}
			}
		}()
		for i := range nf {
			for k, b := range srcs {
				arrs[k] = nil
				if b != nil {
					arrs[k] = b.Column(i)
				}
			}
			var err error
			if cols[i], err = take.Rows(memory.DefaultAllocator, w.schema.Field(i).Type, arrs, refs); err != nil {
				return fmt.Errorf("writing parquet: %w", err)
			}
		}
		batch := array.NewRecordBatch(w.schema, cols, int64(len(refs)))
		defer batch.Release()
		return w.Write(batch)
	}
	n := len(refs)
	for off := 0; off < n; {
		k := min(n-off, w.props.RowGroupRows-w.rgRows)
		if w.cur == nil {
			if err := w.startGroup(); err != nil {
				return w.fail(err)
			}
		}
		part := groupPart{srcs: make([]arrow.RecordBatch, len(srcs)), refs: slices.Clone(refs[off : off+k])}
		for i, b := range srcs {
			if b != nil {
				b.Retain()
				part.srcs[i] = b
			}
		}
		w.cur.in <- part // the worker releases it
		off += k
		w.rgRows += k
		w.rows += int64(k)
		if w.rgRows == w.props.RowGroupRows {
			w.endGroup()
		}
	}
	return nil
}

// fail records err as the Writer's failure and returns it.
func (w *Writer) fail(err error) error {
	if w.err == nil {
		w.err = err
	}
	return w.err
}

// startGroup starts a worker on a new row group, first writing the oldest row groups in flight
// while w.par of them are.
func (w *Writer) startGroup() error {
	for len(w.inflight) >= w.par {
		if err := w.commitOldest(); err != nil {
			return err
		}
	}
	var rg *pq.ConcurrentRowGroupWriter
	var fg *flatGroup
	if w.flat != nil {
		if n := len(w.freeFlat); n > 0 {
			fg, w.freeFlat = w.freeFlat[n-1], w.freeFlat[:n-1]
		}
		fg = w.flat.newGroup(w.cols, fg)
	} else if n := len(w.free); n > 0 {
		rg, w.free = w.free[n-1], w.free[:n-1]
	} else {
		rg = w.w.BeginRowGroup()
	}
	g := &rowGroup{rg: rg, flat: fg, in: make(chan groupPart, w.queue), done: make(chan struct{}),
		enc: encoder{cols: w.cols, nans: make([]int64, len(w.cols)), pending: make([]int, len(w.cols))}}
	w.cur = g
	go g.run()
	return nil
}

// endGroup ends the current row group: its worker finishes it.
func (w *Writer) endGroup() {
	if w.cur == nil {
		return
	}
	close(w.cur.in)
	w.inflight = append(w.inflight, w.cur)
	w.cur = nil
	w.rgRows = 0
}

// commitOldest waits for the oldest row group in flight and writes it to the output.
func (w *Writer) commitOldest() error {
	g := w.inflight[0]
	w.inflight[0] = nil
	w.inflight = w.inflight[1:]
	<-g.done
	if g.err != nil {
		return fmt.Errorf("writing parquet row group: %w", g.err)
	}
	if g.flat != nil {
		if err := w.flat.writeGroup(w.out, g.flat); err != nil {
			return fmt.Errorf("writing parquet row group: %w", err)
		}
		w.freeFlat = append(w.freeFlat, g.flat)
	} else {
		if _, err := g.rg.Commit(); err != nil {
			return fmt.Errorf("writing parquet row group: %w", err)
		}
		w.free = append(w.free, g.rg)
	}
	for i, c := range w.cols {
		if counts, ok := w.nanCounts[c.field.Name]; ok {
			nans := g.enc.nans[i]
			if g.flat != nil {
				nans = g.flat.cols[i].nans
			}
			w.nanCounts[c.field.Name] = append(counts, nans)
		}
	}
	w.groups++
	return nil
}

// drain ends the current row group and waits for every worker, writing nothing more.
func (w *Writer) drain() {
	w.endGroup()
	for _, g := range w.inflight {
		<-g.done
	}
	w.inflight = nil
}

// run encodes the group's batches and compresses its last pages. A panic becomes its error.
func (g *rowGroup) run() {
	defer close(g.done)
	defer func() {
		if p := recover(); p != nil {
			g.err = fmt.Errorf("parquet encoder panic: %v\n%s", p, debug.Stack())
			for p := range g.in {
				p.release()
			}
		}
	}()
	if g.flat != nil {
		for p := range g.in {
			if g.err == nil {
				if p.batch != nil {
					g.err = g.flat.write(p.batch)
				} else {
					g.err = g.flat.writeRefs(p.srcs, p.refs)
				}
			}
			p.release()
		}
		if g.err == nil {
			g.err = g.flat.finish()
		}
		return
	}
	cws := g.rg.ColumnWriters()
	for p := range g.in {
		b := p.batch // only the flat path is given gathered rows
		if g.err == nil {
			for i := range g.enc.cols {
				if err := g.enc.write(cws, i, b.Column(i), 0, int(b.NumRows())); err != nil {
					g.err = fmt.Errorf("column %q: %w", g.enc.cols[i].field.Name, err)
					break
				}
			}
		}
		b.Release()
	}
	if g.err == nil {
		g.err = g.rg.Flush()
	}
}

// Close writes the last row group and the footer and returns the file's metadata. It does not
// close the underlying io.Writer.
func (w *Writer) Close() (Meta, error) {
	if w.closed {
		return Meta{}, fmt.Errorf("closing parquet writer: %w", ErrClosed)
	}
	w.closed = true
	if w.err != nil {
		w.drain()
		return Meta{}, w.err
	}
	w.endGroup()
	for len(w.inflight) > 0 {
		if err := w.commitOldest(); err != nil {
			w.drain()
			return Meta{}, w.fail(err)
		}
	}
	if len(w.nanCounts) > 0 {
		enc, err := json.Marshal(w.nanCounts)
		if err != nil {
			return Meta{}, fmt.Errorf("writing parquet footer: %w", err)
		}
		w.SetKeyValue(NaNCountsKey, string(enc))
	}
	if w.flat != nil {
		for _, g := range w.freeFlat {
			g.release()
		}
		w.freeFlat = nil
		if err := w.flat.close(w.out); err != nil {
			return Meta{}, fmt.Errorf("writing parquet footer: %w", err)
		}
	} else if err := w.w.Close(); err != nil {
		return Meta{}, fmt.Errorf("writing parquet footer: %w", err)
	}
	if err := w.out.flush(); err != nil {
		return Meta{}, fmt.Errorf("writing parquet footer: %w", err)
	}
	return Meta{Rows: w.rows, RowGroups: w.groups, Bytes: w.out.n}, nil
}

// writeColumn writes rows [from, to) of arr to column i in chunks of writeChunk rows.
func (w *encoder) writeColumn(cw *pq.ColumnWriter, i int, arr arrow.Array, from, to int) error {
	c := &w.cols[i]
	if c.list != nil {
		return w.writeList(cw, i, arr, from, to)
	}
	def := 0
	if c.field.Nullable {
		def = 1
	}
	if e, ok := arr.(array.ExtensionArray); ok {
		arr = e.Storage()
	}
	for lo := from; lo < to; lo += writeChunk {
		hi := min(lo+writeChunk, to)
		vals := w.values[:0]
		nulls := arr.NullN() > 0
		switch a := arr.(type) {
		case *array.Boolean:
			for j := lo; j < hi; j++ {
				vals = append(vals, pq.BooleanValue(a.Value(j)))
			}
		case *array.Int8:
			vs := a.Int8Values()
			for j := lo; j < hi; j++ {
				vals = append(vals, pq.Int32Value(int32(vs[j])))
			}
		case *array.Int16:
			vs := a.Int16Values()
			for j := lo; j < hi; j++ {
				vals = append(vals, pq.Int32Value(int32(vs[j])))
			}
		case *array.Int32:
			vs := a.Int32Values()
			for j := lo; j < hi; j++ {
				vals = append(vals, pq.Int32Value(vs[j]))
			}
		case *array.Date32:
			vs := a.Date32Values()
			for j := lo; j < hi; j++ {
				vals = append(vals, pq.Int32Value(int32(vs[j])))
			}
		case *array.Int64:
			vs := a.Int64Values()
			for j := lo; j < hi; j++ {
				vals = append(vals, pq.Int64Value(vs[j]))
			}
		case *array.Timestamp:
			vs := a.TimestampValues()
			for j := lo; j < hi; j++ {
				vals = append(vals, pq.Int64Value(int64(vs[j])))
			}
		case *array.Float32:
			vs := a.Float32Values()
			for j := lo; j < hi; j++ {
				if vs[j] != vs[j] && !(nulls && a.IsNull(j)) {
					w.nans[i]++
				}
				vals = append(vals, pq.FloatValue(vs[j]))
			}
		case *array.Float64:
			vs := a.Float64Values()
			for j := lo; j < hi; j++ {
				if vs[j] != vs[j] && !(nulls && a.IsNull(j)) {
					w.nans[i]++
				}
				vals = append(vals, pq.DoubleValue(vs[j]))
			}
		case *array.String:
			// ValueBytes starts at the first value's offset, which a slice need not have at 0.
			offs, data := a.ValueOffsets(), a.ValueBytes()
			base := offs[0]
			for j := lo; j < hi; j++ {
				b, e := offs[j]-base, offs[j+1]-base
				vals = append(vals, pq.ByteArrayValue(data[b:e:e]))
			}
		case *array.Binary:
			// ValueBytes starts at the first value's offset, which a slice need not have at 0.
			offs, data := a.ValueOffsets(), a.ValueBytes()
			base := offs[0]
			for j := lo; j < hi; j++ {
				b, e := offs[j]-base, offs[j+1]-base
				v := pq.ByteArrayValue(data[b:e:e])
				if c.kind == pq.FixedLenByteArray && !(nulls && a.IsNull(j)) {
					var err error
					if v, err = fixedBinaryValue(data[b:e:e], c.size, c.field.Name); err != nil {
						return err
					}
				}
				vals = append(vals, v)
			}
		case *array.MonthDayNanoInterval:
			// Values reference w.fixed until WriteRowValues has copied them.
			if need := (hi - lo) * intervalBytes; cap(w.fixed) < need {
				w.fixed = make([]byte, need)
			}
			buf := w.fixed[:(hi-lo)*intervalBytes]
			vs := a.MonthDayNanoIntervalValues()
			for j := lo; j < hi; j++ {
				b := buf[(j-lo)*intervalBytes : (j-lo+1)*intervalBytes : (j-lo+1)*intervalBytes]
				binary.LittleEndian.PutUint32(b[0:], uint32(vs[j].Months))
				binary.LittleEndian.PutUint32(b[4:], uint32(vs[j].Days))
				binary.LittleEndian.PutUint64(b[8:], uint64(vs[j].Nanoseconds))
				vals = append(vals, pq.FixedLenByteArrayValue(b))
			}
		case *array.Decimal128:
			vs := a.Values()
			switch c.kind {
			case pq.Int32:
				for j := lo; j < hi; j++ {
					vals = append(vals, pq.Int32Value(int32(vs[j].LowBits())))
				}
			case pq.Int64:
				for j := lo; j < hi; j++ {
					vals = append(vals, pq.Int64Value(int64(vs[j].LowBits())))
				}
			default:
				// Values reference w.fixed until WriteRowValues has copied them.
				size := c.size
				if need := (hi - lo) * size; cap(w.fixed) < need {
					w.fixed = make([]byte, need)
				}
				buf := w.fixed[:(hi-lo)*size]
				for j := lo; j < hi; j++ {
					var be [16]byte
					binary.BigEndian.PutUint64(be[:8], uint64(vs[j].HighBits()))
					binary.BigEndian.PutUint64(be[8:], vs[j].LowBits())
					b := buf[(j-lo)*size : (j-lo+1)*size : (j-lo+1)*size]
					copy(b, be[16-size:])
					vals = append(vals, pq.FixedLenByteArrayValue(b))
				}
			}
		default:
			return fmt.Errorf("%w: %s", ErrUnsupportedType, arr.DataType())
		}
		setLevels(vals, arr, lo, nulls, def, i)
		if _, err := cw.WriteRowValues(vals); err != nil {
			return err
		}
		clear(vals) // drop references to the batch's buffers
		w.values = vals[:0]
		if c.pageBytes > 0 {
			// Cut the page where parquet-go would have at this page size (it flushes a
			// buffer of 98% of its size or more).
			w.pending[i] += c.bufferedBytes(arr, lo, hi)
			if w.pending[i] >= c.pageBytes*98/100 {
				w.pending[i] = 0
				if err := cw.Flush(); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// bufferedBytes estimates the bytes rows [lo, hi) of arr (c's values) take in parquet-go's
// page buffer: the plain values, or the dictionary indexes.
func (c *column) bufferedBytes(arr arrow.Array, lo, hi int) int {
	n := hi - lo
	if c.dict {
		return 4 * n
	}
	switch c.kind {
	case pq.Boolean:
		return (n + 7) / 8
	case pq.Int32, pq.Float:
		return 4 * n
	case pq.Int64, pq.Double:
		return 8 * n
	case pq.FixedLenByteArray:
		return c.size * n
	}
	switch a := arr.(type) {
	case *array.String:
		offs := a.ValueOffsets()
		return int(offs[hi]-offs[lo]) + 4*n
	case *array.Binary:
		offs := a.ValueOffsets()
		return int(offs[hi]-offs[lo]) + 4*n
	}
	return 8 * n
}

// setLevels gives vals, the values of rows [lo, lo+len(vals)) of arr in column col, their
// definition levels and column index: a null where arr has one, def elsewhere. parquet-go's
// column buffers read only the definition level, which is 0 in a value made without levels,
// so the values of a required column (def 0, no nulls) are left as made.
func setLevels(vals []pq.Value, arr arrow.Array, lo int, nulls bool, def, col int) {
	switch {
	case nulls:
		null := pq.NullValue().Level(0, 0, col)
		for k := range vals {
			if arr.IsNull(lo + k) {
				vals[k] = null
			} else {
				vals[k] = vals[k].Level(0, def, col)
			}
		}
	case def > 0:
		for k := range vals {
			vals[k] = vals[k].Level(0, def, col)
		}
	}
}

// appendValue appends v to vals with its levels: a null, or def.
func appendValue(vals []pq.Value, null bool, v pq.Value, def, col int) []pq.Value {
	if null {
		return append(vals, pq.NullValue().Level(0, 0, col))
	}
	return append(vals, v.Level(0, def, col))
}

// outBuffer is the size of the buffer that gathers a Writer's small writes (see
// countingWriter).
const outBuffer = 64 << 10

// countingWriter counts the bytes written through it and gathers small writes into a buffer
// of outBuffer bytes before they reach the output; larger ones reach it directly once the
// buffer is empty (bufio.Writer's rule). The footer's thrift encoder writes a field, often
// a byte, at a time: a file of many pages has hundreds of thousands of them in its page
// index, and behind a pipe to an object store each write was a hand-off between goroutines
// and a system call. flush must be called for the last bytes to reach the output.
type countingWriter struct {
	w *bufio.Writer
	n int64
}

func newCountingWriter(w io.Writer) *countingWriter {
	return &countingWriter{w: bufio.NewWriterSize(w, outBuffer)}
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// flush writes the buffered bytes to the output.
func (c *countingWriter) flush() error {
	return c.w.Flush()
}
