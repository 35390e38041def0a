package parquet

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
	pq "github.com/parquet-go/parquet-go"
)

// ReadOptions choose what a Reader reads.
type ReadOptions struct {
	Columns   []int // indices into File.Schema(), in output order; nil reads all
	RowGroups []int // ascending row group indices; nil reads all
	// Spans, if not nil, replace RowGroups: only the rows of each span are read, spans in
	// ascending order of row group, at most one per row group. With a page index (Open
	// WithPageIndex) only the pages holding a span's rows are read and decoded, in every
	// column; without one, the pages before a span are decoded and skipped.
	Spans     []Span
	BatchRows int              // maximum rows per batch; default 8192
	Alloc     memory.Allocator // allocator of the batches; default memory.DefaultAllocator
	// Source, if set, is read instead of the io.ReaderAt the file was opened with: a File
	// shared by several readers reads through each reader's own source.
	Source io.ReaderAt
	// Narrow, if set, narrows a span of column NarrowColumn (an index into File.Schema()),
	// whose values must be sorted within each row group: it is called with the span's row
	// group, an array of that column's rows and the span's rows [lo, hi) as indices into the
	// array, and returns the rows within them to read (as indices into the array). The array
	// is the chunk cache's whole chunk when it holds it; otherwise, for a span of part of a
	// row group with a page index, the span's rows decoded from their pages (lo is 0). A key
	// lookup uses it to binary search the keys for its row, so that the other columns read
	// only the page holding it instead of the page-sized span the page index gives. It must
	// not retain the array.
	Narrow       func(g int, col arrow.Array, lo, hi int64) (int64, int64)
	NarrowColumn int
	// NullOnly lists columns (indices into File.Schema(), among Columns) whose values the
	// caller does not use, only whether each is NULL: see nullonly.go. Columns of other
	// types than strings, binary and flat numbers, dates and timestamps are read in full.
	NullOnly []int

	// viaPages reads every chunk through parquet-go's pages, none directly (direct.go): for
	// tests that compare the two.
	viaPages bool
	// serial reads a batch's columns one after another, never in parallel (parallel.go):
	// for tests that compare the two.
	serial bool
}

// Reader streams record batches of the chosen columns and row groups of a File. Only the column
// chunks of the chosen columns and row groups are read from the file, lazily, as batches are
// requested. Batches never span row groups. A Reader is not safe for concurrent use.
type Reader struct {
	f      *File
	src    io.ReaderAt // nil: the file's own
	cols   []int
	schema *arrow.Schema
	spans  []Span
	next   int   // index into spans of the next span to open
	left   int64 // rows left in the open row group
	batch  int
	mem    memory.Allocator
	chunks []*chunkReader // one per output column, for the open row group
	closed bool

	narrow    func(g int, col arrow.Array, lo, hi int64) (int64, int64)
	narrowCol int
	nullOnly  []bool           // by index into File.Schema(); nil for none
	levelBufs [][]byte         // by output column: the bytes of the open chunk read null-only, reused
	direct    []*directBuffers // by output column: the buffers of chunks read directly (direct.go), reused
	viaPages  bool
	serial    bool
}

// Read returns a Reader of the chosen columns and row groups of f.
func (f *File) Read(ctx context.Context, opts ReadOptions) (*Reader, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	r := &Reader{f: f, batch: opts.BatchRows, mem: opts.Alloc, src: opts.Source, narrow: opts.Narrow, narrowCol: opts.NarrowColumn, viaPages: opts.viaPages, serial: opts.serial}
	if r.narrow != nil && (r.narrowCol < 0 || r.narrowCol >= len(f.cols)) {
		return nil, fmt.Errorf("%w: narrowing column index %d out of range [0, %d)", ErrInvalidProperties, r.narrowCol, len(f.cols))
	}
	if r.batch == 0 {
		r.batch = 8192
	}
	for _, c := range opts.NullOnly {
		if c < 0 || c >= len(f.cols) {
			return nil, fmt.Errorf("%w: null-only column index %d out of range [0, %d)", ErrInvalidProperties, c, len(f.cols))
		}
		if r.nullOnly == nil {
			r.nullOnly = make([]bool, len(f.cols))
		}
		r.nullOnly[c] = true
	}
	if r.batch < 0 {
		return nil, fmt.Errorf("%w: batch rows %d < 0", ErrInvalidProperties, r.batch)
	}
	if r.mem == nil {
		r.mem = memory.DefaultAllocator
	}
	rs, err := f.readSchemaOf(opts.Columns)
	if err != nil {
		return nil, err
	}
	r.cols, r.schema = rs.cols, rs.schema // shared with other Readers: never modified
	switch {
	case opts.Spans != nil:
		for i, sp := range opts.Spans {
			if sp.Group < 0 || sp.Group >= len(f.groups) {
				return nil, fmt.Errorf("%w: row group index %d out of range [0, %d)", ErrInvalidProperties, sp.Group, len(f.groups))
			}
			if i > 0 && sp.Group <= opts.Spans[i-1].Group {
				return nil, fmt.Errorf("%w: spans not in ascending order of row group: %v", ErrInvalidProperties, opts.Spans)
			}
			if sp.Lo < 0 || sp.Hi < sp.Lo || sp.Hi > f.groups[sp.Group].Rows {
				return nil, fmt.Errorf("%w: span [%d, %d) out of the %d rows of row group %d", ErrInvalidProperties, sp.Lo, sp.Hi, f.groups[sp.Group].Rows, sp.Group)
			}
			if sp.Hi > sp.Lo {
				r.spans = append(r.spans, sp)
			}
		}
	case opts.RowGroups == nil:
		r.spans = make([]Span, len(f.groups))
		for g := range r.spans {
			r.spans[g] = Span{Group: g, Hi: f.groups[g].Rows}
		}
	default:
		for i, g := range opts.RowGroups {
			if g < 0 || g >= len(f.groups) {
				return nil, fmt.Errorf("%w: row group index %d out of range [0, %d)", ErrInvalidProperties, g, len(f.groups))
			}
			if i > 0 && g <= opts.RowGroups[i-1] {
				return nil, fmt.Errorf("%w: row group indices not ascending: %v", ErrInvalidProperties, opts.RowGroups)
			}
			r.spans = append(r.spans, Span{Group: g, Hi: f.groups[g].Rows})
		}
	}
	return r, nil
}

// Schema returns the schema of the batches: the chosen columns in the chosen order.
func (r *Reader) Schema() *arrow.Schema { return r.schema }

// Next returns the next batch, or io.EOF after the last. The caller owns the batch and releases it.
func (r *Reader) Next(ctx context.Context) (arrow.RecordBatch, error) {
	if r.closed {
		return nil, fmt.Errorf("reading parquet: %w", ErrClosed)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for r.left == 0 {
		r.closeChunks()
		if r.next == len(r.spans) {
			return nil, io.EOF
		}
		sp := r.spans[r.next]
		r.next++
		if err := r.openSpan(sp); err != nil {
			r.closeChunks()
			return nil, fmt.Errorf("reading parquet row group %d: %w", sp.Group, err)
		}
	}
	n := int(min(r.left, int64(r.batch)))
	if len(r.cols) == 0 {
		r.left -= int64(n)
		return array.NewRecordBatch(r.schema, nil, int64(n)), nil
	}
	arrs := make([]arrow.Array, len(r.chunks))
	if err := r.readColumns(n, r.mem, arrs); err != nil {
		return nil, err
	}
	defer func() {
		for _, a := range arrs {
			a.Release()
		}
	}()
	r.left -= int64(n)
	return array.NewRecordBatch(r.schema, arrs, int64(n)), nil
}

// Close releases the Reader's resources. It does not release batches already returned.
func (r *Reader) Close() error {
	if !r.closed {
		r.closed = true
		r.closeChunks()
		r.releaseDirect()
	}
	return nil
}

// openSpan opens the column chunks of sp's row group, positioned at row sp.Lo.
func (r *Reader) openSpan(sp Span) error {
	g := sp.Group
	rg := r.f.f.RowGroups()[g]
	chunks := rg.ColumnChunks()
	// The rows the page index gives, which reads of pages decode and the cache's admission
	// counts, before narrowing.
	pageLo, pageHi := sp.Lo, sp.Hi
	var narrowed arrow.Array // the narrowing column's cached chunk, retained, until a chunk reader takes it
	defer func() {
		if narrowed != nil {
			narrowed.Release()
		}
	}()
	if r.narrow != nil && r.f.cacheable(g, r.narrowCol) {
		if narrowed = r.f.cachedChunk(g, r.narrowCol); narrowed != nil {
			lo, hi := r.narrow(g, narrowed, sp.Lo, sp.Hi)
			sp.Lo, sp.Hi = max(lo, sp.Lo), max(min(hi, sp.Hi), max(lo, sp.Lo))
		}
	}
	// Without the narrowing column's chunk cached, a span the page index gives is narrowed
	// from that column's pages, decoded first (narrow.go): the other columns then read only
	// the pages that hold the rows wanted.
	var spanArr arrow.Array // the narrowing column's rows from spanLo, decoded from pages
	var spanLo int64
	defer func() {
		if spanArr != nil {
			spanArr.Release()
		}
	}()
	if narrowed == nil {
		var err error
		if sp, spanArr, spanLo, narrowed, err = r.narrowPages(sp); err != nil {
			return fmt.Errorf("column %q: %w", r.f.cols[r.narrowCol].field.Name, err)
		}
	}
	r.left = sp.Hi - sp.Lo
	md := &r.f.f.Metadata().RowGroups[g]
	r.chunks = r.chunks[:0]
	if r.left == 0 {
		return nil
	}
	if r.chunks == nil {
		r.chunks = make([]*chunkReader, 0, len(r.cols))
	}
	for i, c := range r.cols {
		if r.f.cols[c].nested != nil {
			cr, err := r.f.openNested(r.src, g, c, sp.Lo)
			if err != nil {
				return fmt.Errorf("column %q: %w", r.f.cols[c].field.Name, err)
			}
			r.chunks = append(r.chunks, cr)
			continue
		}
		leaf := r.f.cols[c].leaf
		cr := newChunkReader(&r.f.cols[c], byte(r.f.leaves[c].MaxDefinitionLevel()))
		if c == r.narrowCol && spanArr != nil {
			cr.arr, cr.pos = spanArr, sp.Lo-spanLo
			spanArr.Retain()
			r.chunks = append(r.chunks, cr)
			continue
		}
		fc, isFile := chunks[leaf].(*pq.FileColumnChunk)
		pages, indexed := r.f.Pages(g, c)
		partial := indexed && (sp.Lo > 0 || sp.Hi < rg.NumRows())
		if r.nullOnly != nil && r.nullOnly[c] && cr.col.list == nil && nullOnlyType(cr.col.field.Type) {
			ok, err := r.openNullOnly(cr, sp, g, c, i)
			if err != nil {
				return fmt.Errorf("column %q: %w", cr.col.field.Name, err)
			}
			if ok {
				r.chunks = append(r.chunks, cr)
				continue
			}
		}
		if r.f.cacheable(g, c) {
			// A span the page index narrows (a key lookup or range) is sliced from the
			// cache if it holds the chunk, but decodes the whole chunk into it only once
			// such reads have covered a share of its rows (File.admit).
			var a arrow.Array
			switch {
			case c == r.narrowCol && narrowed != nil:
				a, narrowed = narrowed, nil
			case partial:
				a = r.f.cachedChunk(g, c)
			}
			if a == nil && (!partial || r.f.admit(g, c, pageLo, pageHi)) {
				var err error
				if a, err = r.f.decodedChunk(r.src, g, c); err != nil {
					return fmt.Errorf("column %q: %w", cr.col.field.Name, err)
				}
			}
			if a != nil {
				cr.arr, cr.pos = a, sp.Lo
				cr.whole, cr.group = true, g
				r.chunks = append(r.chunks, cr)
				continue
			}
		}
		if !r.viaPages {
			if ok, err := r.openDirect(cr, sp, g, c, i, pages, indexed); err != nil {
				return fmt.Errorf("column %q: %w", cr.col.field.Name, err)
			} else if ok {
				r.chunks = append(r.chunks, cr)
				continue
			}
		}
		src := r.src
		switch {
		case isFile && partial:
			// Read the span's pages in one request rather than a read buffer's worth of the
			// column chunk.
			if src == nil {
				src = r.f.f
			}
			w, err := r.f.window(src, g, c, pages, sp)
			if err != nil {
				return fmt.Errorf("column %q: %w", cr.col.field.Name, err)
			}
			cr.pages = fc.PagesFrom(w)
		case src != nil && isFile:
			cr.pages = fc.PagesFrom(src)
		default:
			cr.pages = chunks[leaf].Pages()
		}
		if cm := &md.Columns[leaf].MetaData; cm.NumValues > 0 {
			// An over-estimate (it counts lengths and levels); refined after each batch.
			cr.bytesPerRow = float64(cm.TotalUncompressedSize) / float64(cm.NumValues)
		}
		r.chunks = append(r.chunks, cr)
		if sp.Lo == 0 {
			continue
		}
		skip := sp.Lo
		if indexed {
			if fp, ok := cr.pages.(*pq.FilePages); ok {
				p := sort.Search(len(pages), func(i int) bool { return pages[i].FirstRow > sp.Lo }) - 1
				if err := fp.SeekToRow(pages[p].FirstRow); err != nil {
					return err
				}
				skip = sp.Lo - pages[p].FirstRow
			}
		}
		if err := cr.skip(skip); err != nil {
			return fmt.Errorf("column %q: %w", cr.col.field.Name, err)
		}
	}
	return nil
}

// openNullOnly positions cr, a column read null-only, at row sp.Lo of row group g: from the
// chunk cache if it holds the chunk, else from the chunk's page headers and levels. It
// returns false when the chunk must be read in full instead.
func (r *Reader) openNullOnly(cr *chunkReader, sp Span, g, c, out int) (bool, error) {
	if r.f.cacheable(g, c) {
		if a := r.f.cachedChunk(g, c); a != nil {
			cr.arr, cr.pos = a, sp.Lo
			return true, nil
		}
	}
	l := &levelReader{width: levelWidth(cr.maxDef), max: cr.maxDef}
	if cr.maxDef == 0 {
		// Every row holds a value: nothing to read.
		l.pages = []levelPage{{rows: int(r.f.groups[g].Rows)}}
	} else {
		src := r.src
		if src == nil {
			src = r.f.f
		}
		if r.levelBufs == nil {
			r.levelBufs = make([][]byte, len(r.cols))
		}
		// The chunk reader of the span before, which pointed into the buffer, is closed.
		pages, buf, err := r.f.levelPages(src, g, c, r.levelBufs[out])
		r.levelBufs[out] = buf
		if err != nil || pages == nil {
			return false, err
		}
		l.pages = pages
	}
	if err := l.skip(sp.Lo); err != nil {
		return false, err
	}
	cr.nulls = l
	return true, nil
}

func (r *Reader) closeChunks() {
	for _, c := range r.chunks {
		c.free()
	}
	clear(r.chunks)
	r.chunks = r.chunks[:0]
}

// chunkReaders pools chunk readers: a key lookup opens one per column it reads, and a
// reader is about a tenth of the bytes such a lookup allocates.
var chunkReaders = sync.Pool{New: func() any { return new(chunkReader) }}

// newChunkReader returns a chunk reader of col, from the pool; free returns it.
func newChunkReader(col *column, maxDef byte) *chunkReader {
	c := chunkReaders.Get().(*chunkReader)
	c.col, c.maxDef = col, maxDef
	return c
}

// free closes c and returns it to the pool: the caller keeps no reference to it.
func (c *chunkReader) free() {
	c.close()
	pages := c.dr.pages[:0]
	if cap(pages) > 64 {
		pages = nil // a whole chunk's pages: not kept for the next lookup
	}
	*c = chunkReader{}
	c.dr.pages = pages
	chunkReaders.Put(c)
}

// chunkReader decodes the pages of one column chunk into Arrow arrays.
type chunkReader struct {
	col    *column
	maxDef byte
	pages  pq.Pages
	page   pq.Page // current page, nil before the first and after each exhausted one
	defs   []byte  // definition levels of page, nil for required columns
	rows   int     // rows in page
	row    int     // rows of page consumed
	val    int     // non-null values of page consumed
	idx    []int32 // dictionary indices of page, or nil for plain pages
	data   pq.Page // the page holding the values: page itself or its dictionary's page

	// The values of a list column's page with their levels, and how many were consumed.
	levels []pq.Value
	lpos   int
	// The repetition levels of page when its entries are read by levels (levels.go), with
	// defs and lpos, and zero levels for the leaves that have none.
	reps, zeros []byte
	// nested, when set, reads a struct or map column from its leaves instead.
	nested *nestedReader

	bytesPerRow float64 // expected bytes of string and binary data per row
	// The elements (or values) per row and their bytes of byte arrays per row of the last
	// batch read by levels, to size the next one's buffers (levels.go); 0 before the first.
	levelElems, levelBytes float64

	scratch32 []int32 // int8, int16 and decimal conversions
	scratch64 []int64

	// arr, if set, is the whole column chunk, decoded (from a ChunkCache): rows are sliced
	// from it, from row pos, rather than decoded from pages.
	arr arrow.Array
	pos int64
	// whole says arr is the whole chunk of row group group, from the ChunkCache.
	whole bool
	group int

	// nulls, if set, reads the chunk null-only (nullonly.go).
	nulls *levelReader
	// direct, if set, reads the chunk's pages itself (direct.go): it is dr.
	direct *directReader
	dr     directReader
}

func (c *chunkReader) close() {
	if c.nested != nil {
		c.nested.close()
		c.nested = nil
	}
	if c.arr != nil {
		c.arr.Release()
		c.arr = nil
	}
	if c.page != nil {
		pq.Release(c.page)
		c.page = nil
	}
	if c.pages != nil {
		c.pages.Close()
		c.pages = nil
	}
}

// pageValues makes the values of page p the ones read next: those of its dictionary, through
// the page's indexes (each checked to be in range), when it has one.
func (c *chunkReader) pageValues(p pq.Page) error {
	c.idx, c.data = nil, p
	if d := p.Dictionary(); d != nil {
		pd := p.Data()
		c.idx = pd.Int32()
		c.data = d.Page()
		for _, i := range c.idx {
			if i < 0 || int(i) >= d.Len() {
				return fmt.Errorf("%w: dictionary index %d out of range", ErrCorrupt, i)
			}
		}
	}
	return nil
}

// segment makes the current page have unconsumed rows and returns how many of them (at most n)
// to take next, with their definition levels (nil when all are defined).
func (c *chunkReader) segment(n int) (int, []byte, error) {
	for c.page == nil || c.row == c.rows {
		if c.page != nil {
			pq.Release(c.page)
			c.page = nil
		}
		p, err := c.pages.ReadPage()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return 0, nil, fmt.Errorf("%w: column chunk ended early", ErrCorrupt)
			}
			return 0, nil, err
		}
		c.page, c.rows, c.row, c.val = p, int(p.NumRows()), 0, 0
		c.defs = nil
		if c.maxDef > 0 {
			c.defs = p.DefinitionLevels()
			if len(c.defs) != c.rows {
				return 0, nil, fmt.Errorf("%w: %d definition levels for %d rows", ErrCorrupt, len(c.defs), c.rows)
			}
		}
		if err := c.pageValues(p); err != nil {
			return 0, nil, err
		}
	}
	k := min(n, c.rows-c.row)
	var defs []byte
	if c.defs != nil {
		defs = c.defs[c.row : c.row+k]
		if allDefined(defs, c.maxDef) {
			defs = nil
		}
	}
	return k, defs, nil
}

func allDefined(defs []byte, max byte) bool {
	for _, d := range defs {
		if d != max {
			return false
		}
	}
	return true
}

// skip consumes n rows without decoding them into arrays.
func (c *chunkReader) skip(n int64) error {
	if c.nulls != nil {
		return c.nulls.skip(n)
	}
	if c.direct != nil {
		return c.direct.skip(int(n))
	}
	if c.col.list != nil {
		return c.walkList(int(n), nil)
	}
	if c.nested != nil {
		return c.nested.walk(int(n), nil)
	}
	for n > 0 {
		k, defs, err := c.segment(int(min(n, 1<<30)))
		if err != nil {
			return err
		}
		v := k
		if defs != nil {
			v = 0
			for _, d := range defs {
				if d == c.maxDef {
					v++
				}
			}
		}
		c.advance(k, v)
		n -= int64(k)
	}
	return nil
}

// advance records that k rows holding v values of the current page were consumed.
func (c *chunkReader) advance(k, v int) {
	c.row += k
	c.val += v
}

// read decodes the next n rows into an array.
func (c *chunkReader) read(n int, mem memory.Allocator) (arrow.Array, error) {
	if c.arr != nil {
		if c.pos+int64(n) > int64(c.arr.Len()) {
			return nil, fmt.Errorf("%w: column chunk ended early", ErrCorrupt)
		}
		// A slice shares the cached buffers (retained, read-only) instead of copying them.
		a := array.NewSlice(c.arr, c.pos, c.pos+int64(n))
		c.pos += int64(n)
		return a, nil
	}
	if c.nulls != nil {
		return c.readNullOnly(n, mem)
	}
	if c.direct != nil {
		return c.direct.read(n, mem, c.col.field.Type)
	}
	if c.col.list != nil {
		return c.readList(n, mem)
	}
	if c.nested != nil {
		return c.nested.read(n, mem)
	}
	t := c.col.field.Type
	valid := newValidity(mem, n, c.maxDef > 0)
	var (
		bufs  []*memory.Buffer
		nulls int
		err   error
	)
	id := t.ID()
	if e, ok := t.(arrow.ExtensionType); ok {
		id = e.StorageType().ID()
	}
	switch id {
	case arrow.BOOL:
		bufs, nulls, err = c.readBool(n, mem, valid)
	case arrow.STRING, arrow.BINARY:
		if c.col.kind == pq.FixedLenByteArray {
			bufs, nulls, err = c.readFixedBytes(n, mem, valid)
			break
		}
		bufs, nulls, err = c.readBytes(n, mem, valid)
	case arrow.INT64, arrow.TIMESTAMP:
		bufs, nulls, err = readFixed[int64](c, n, mem, valid, pq.Int64, int64sOf)
	case arrow.INT32, arrow.DATE32:
		bufs, nulls, err = readFixed[int32](c, n, mem, valid, pq.Int32, int32sOf)
	case arrow.FLOAT32:
		bufs, nulls, err = readFixed[float32](c, n, mem, valid, pq.Float, float32sOf)
	case arrow.FLOAT64:
		bufs, nulls, err = readFixed[float64](c, n, mem, valid, pq.Double, float64sOf)
	case arrow.INT8, arrow.INT16:
		bufs, nulls, err = c.readSmallInt(n, mem, valid, t.ID())
	case arrow.DECIMAL128:
		bufs, nulls, err = c.readDecimal(n, mem, valid)
	case arrow.INTERVAL_MONTH_DAY_NANO:
		bufs, nulls, err = c.readInterval(n, mem, valid)
	default:
		err = fmt.Errorf("%w: %s", ErrUnsupportedType, t)
	}
	return makeArray(t, n, valid, bufs, nulls, err)
}

func int64sOf(p pq.Page) []int64     { d := p.Data(); return d.Int64() }
func int32sOf(p pq.Page) []int32     { d := p.Data(); return d.Int32() }
func float32sOf(p pq.Page) []float32 { d := p.Data(); return d.Float() }
func float64sOf(p pq.Page) []float64 { d := p.Data(); return d.Double() }

// newValidity returns a validity bitmap of n rows all set, or nil when the column has no NULL.
func newValidity(mem memory.Allocator, n int, nullable bool) *memory.Buffer {
	if !nullable {
		return nil
	}
	valid := memory.NewResizableBuffer(mem)
	valid.Resize(int(bitutil.BytesForBits(int64(n))))
	memory.Set(valid.Bytes(), 0xff)
	return valid
}

// makeArray builds an array of n rows of type t from its validity bitmap and value buffers,
// taking over their references (valid is dropped when nulls is 0); on err it releases valid.
func makeArray(t arrow.DataType, n int, valid *memory.Buffer, bufs []*memory.Buffer, nulls int, err error) (arrow.Array, error) {
	if err != nil {
		if valid != nil {
			valid.Release()
		}
		return nil, err
	}
	if valid != nil && nulls == 0 {
		valid.Release()
		valid = nil
	}
	all := append([]*memory.Buffer{valid}, bufs...)
	data := array.NewData(t, n, all, nil, nulls, 0)
	for _, b := range all {
		if b != nil {
			b.Release()
		}
	}
	defer data.Release()
	return array.MakeFromData(data), nil
}

func newBuffer(mem memory.Allocator, size int) *memory.Buffer {
	b := memory.NewResizableBuffer(mem)
	b.Resize(size)
	return b
}

// fixedSize is the set of physical value types read as fixed-width Arrow values of the same
// representation.
type fixedSize interface {
	int32 | int64 | float32 | float64
}

// readFixed decodes n rows of a column whose Arrow values have the physical representation T
// into a new value buffer; nulls become zero values with their validity bit cleared.
func readFixed[T fixedSize](c *chunkReader, n int, mem memory.Allocator, valid *memory.Buffer, kind pq.Kind, values func(pq.Page) []T) ([]*memory.Buffer, int, error) {
	var zero T
	buf := newBuffer(mem, n*int(sizeOf(zero)))
	dst := arrow.GetData[T](buf.Bytes())
	nulls, err := gatherFixed(c, dst, valid, kind, values)
	if err != nil {
		buf.Release()
		return nil, 0, err
	}
	return []*memory.Buffer{buf}, nulls, nil
}

func sizeOf[T fixedSize](v T) uintptr {
	switch any(v).(type) {
	case int32, float32:
		return 4
	}
	return 8
}

// gatherFixed fills dst (one element per row) from the pages, returning the number of nulls.
func gatherFixed[T fixedSize](c *chunkReader, dst []T, valid *memory.Buffer, kind pq.Kind, values func(pq.Page) []T) (int, error) {
	if c.col.kind != kind {
		return 0, fmt.Errorf("%w: %s stored as %s", ErrUnsupportedType, c.col.field.Type, c.col.kind)
	}
	nulls := 0
	for pos := 0; pos < len(dst); {
		k, defs, err := c.segment(len(dst) - pos)
		if err != nil {
			return 0, err
		}
		src := values(c.data)
		out := dst[pos : pos+k]
		v := c.val
		switch {
		case defs == nil && c.idx == nil:
			if v+k > len(src) {
				return 0, fmt.Errorf("%w: page has too few values", ErrCorrupt)
			}
			copy(out, src[v:v+k])
			v += k
		case defs == nil:
			if v+k > len(c.idx) {
				return 0, fmt.Errorf("%w: page has too few values", ErrCorrupt)
			}
			for j, i := range c.idx[v : v+k] {
				out[j] = src[i]
			}
			v += k
		default:
			bits := valid.Bytes()
			avail := len(src)
			if c.idx != nil {
				avail = len(c.idx)
			}
			for j, d := range defs {
				if d != c.maxDef {
					out[j] = 0
					bitutil.ClearBit(bits, pos+j)
					nulls++
					continue
				}
				if v >= avail {
					return 0, fmt.Errorf("%w: page has too few values", ErrCorrupt)
				}
				if c.idx != nil {
					out[j] = src[c.idx[v]]
				} else {
					out[j] = src[v]
				}
				v++
			}
		}
		c.advance(k, v-c.val)
		pos += k
	}
	return nulls, nil
}

func (c *chunkReader) readSmallInt(n int, mem memory.Allocator, valid *memory.Buffer, id arrow.Type) ([]*memory.Buffer, int, error) {
	if cap(c.scratch32) < n {
		c.scratch32 = make([]int32, n)
	}
	tmp := c.scratch32[:n]
	nulls, err := gatherFixed(c, tmp, valid, pq.Int32, int32sOf)
	if err != nil {
		return nil, 0, err
	}
	var buf *memory.Buffer
	if id == arrow.INT8 {
		buf = newBuffer(mem, n)
		dst := arrow.Int8Traits.CastFromBytes(buf.Bytes())
		for i, v := range tmp {
			dst[i] = int8(v)
		}
	} else {
		buf = newBuffer(mem, 2*n)
		dst := arrow.Int16Traits.CastFromBytes(buf.Bytes())
		for i, v := range tmp {
			dst[i] = int16(v)
		}
	}
	return []*memory.Buffer{buf}, nulls, nil
}

func (c *chunkReader) readDecimal(n int, mem memory.Allocator, valid *memory.Buffer) ([]*memory.Buffer, int, error) {
	buf := newBuffer(mem, n*arrow.Decimal128SizeBytes)
	dst := arrow.Decimal128Traits.CastFromBytes(buf.Bytes())
	var nulls int
	var err error
	switch c.col.kind {
	case pq.Int32:
		if cap(c.scratch32) < n {
			c.scratch32 = make([]int32, n)
		}
		tmp := c.scratch32[:n]
		if nulls, err = gatherFixed(c, tmp, valid, pq.Int32, int32sOf); err == nil {
			for i, v := range tmp {
				dst[i] = decimal128.FromI64(int64(v))
			}
		}
	case pq.Int64:
		if cap(c.scratch64) < n {
			c.scratch64 = make([]int64, n)
		}
		tmp := c.scratch64[:n]
		if nulls, err = gatherFixed(c, tmp, valid, pq.Int64, int64sOf); err == nil {
			for i, v := range tmp {
				dst[i] = decimal128.FromI64(v)
			}
		}
	case pq.FixedLenByteArray:
		nulls, err = c.gatherFLBA(dst, valid)
	default:
		err = fmt.Errorf("%w: decimal stored as %s", ErrUnsupportedType, c.col.kind)
	}
	if err != nil {
		buf.Release()
		return nil, 0, err
	}
	return []*memory.Buffer{buf}, nulls, nil
}

func (c *chunkReader) gatherFLBA(dst []decimal128.Num, valid *memory.Buffer) (int, error) {
	nulls := 0
	for pos := 0; pos < len(dst); {
		k, defs, err := c.segment(len(dst) - pos)
		if err != nil {
			return 0, err
		}
		d := c.data.Data()
		src, size := d.FixedLenByteArray()
		if size < 1 || size > 16 {
			return 0, fmt.Errorf("%w: decimal of %d bytes", ErrUnsupportedType, size)
		}
		count := len(src) / size
		if c.idx != nil {
			count = len(c.idx)
		}
		v := c.val
		for j := range k {
			if defs != nil && defs[j] != c.maxDef {
				dst[pos+j] = decimal128.Num{}
				bitutil.ClearBit(valid.Bytes(), pos+j)
				nulls++
				continue
			}
			if v >= count {
				return 0, fmt.Errorf("%w: page has too few values", ErrCorrupt)
			}
			i := v
			if c.idx != nil {
				i = int(c.idx[v])
			}
			dst[pos+j] = decimalFromBE(src[i*size : (i+1)*size])
			v++
		}
		c.advance(k, v-c.val)
		pos += k
	}
	return nulls, nil
}

func (c *chunkReader) readBool(n int, mem memory.Allocator, valid *memory.Buffer) ([]*memory.Buffer, int, error) {
	if c.col.kind != pq.Boolean {
		return nil, 0, fmt.Errorf("%w: bool stored as %s", ErrUnsupportedType, c.col.kind)
	}
	buf := newBuffer(mem, int(bitutil.BytesForBits(int64(n))))
	out := buf.Bytes()
	clear(out)
	nulls := 0
	for pos := 0; pos < n; {
		k, defs, err := c.segment(n - pos)
		if err != nil {
			buf.Release()
			return nil, 0, err
		}
		if c.idx != nil {
			buf.Release()
			return nil, 0, fmt.Errorf("%w: dictionary-encoded booleans", ErrUnsupportedType)
		}
		d := c.data.Data()
		src := d.Boolean()
		v := c.val
		for j := range k {
			if defs != nil && defs[j] != c.maxDef {
				bitutil.ClearBit(valid.Bytes(), pos+j)
				nulls++
				continue
			}
			if v >= 8*len(src) {
				buf.Release()
				return nil, 0, fmt.Errorf("%w: page has too few values", ErrCorrupt)
			}
			if bitutil.BitIsSet(src, v) {
				bitutil.SetBit(out, pos+j)
			}
			v++
		}
		c.advance(k, v-c.val)
		pos += k
	}
	return []*memory.Buffer{buf}, nulls, nil
}

func (c *chunkReader) readBytes(n int, mem memory.Allocator, valid *memory.Buffer) ([]*memory.Buffer, int, error) {
	if c.col.kind != pq.ByteArray {
		return nil, 0, fmt.Errorf("%w: %s stored as %s", ErrUnsupportedType, c.col.field.Type, c.col.kind)
	}
	offBuf := newBuffer(mem, 4*(n+1))
	offs := arrow.Int32Traits.CastFromBytes(offBuf.Bytes())
	data := memory.NewResizableBuffer(mem)
	data.Reserve(int(float64(n)*c.bytesPerRow*1.05) + 64)
	fail := func(err error) ([]*memory.Buffer, int, error) {
		offBuf.Release()
		data.Release()
		return nil, 0, err
	}
	size := 0 // bytes used in data
	appendBytes := func(b []byte) error {
		end := size + len(b)
		if end > 1<<31-1 {
			return fmt.Errorf("%w: more than 2 GiB of bytes in one batch", ErrUnsupportedType)
		}
		if end > data.Cap() {
			data.Reserve(max(end, 2*data.Cap(), 4096))
		}
		data.ResizeNoShrink(end)
		copy(data.Bytes()[size:end], b)
		size = end
		return nil
	}
	nulls := 0
	offs[0] = 0
	for pos := 0; pos < n; {
		k, defs, err := c.segment(n - pos)
		if err != nil {
			return fail(err)
		}
		d := c.data.Data()
		vals, voffs := d.ByteArray()
		count := len(voffs) - 1
		if c.idx != nil {
			count = len(c.idx)
		}
		v := c.val
		if defs == nil && c.idx == nil {
			// One copy for the run, then rebase its offsets.
			if v+k > count {
				return fail(fmt.Errorf("%w: page has too few values", ErrCorrupt))
			}
			start := int32(size) - int32(voffs[v])
			if err := appendBytes(vals[voffs[v]:voffs[v+k]]); err != nil {
				return fail(err)
			}
			for j := range k {
				offs[pos+j+1] = int32(voffs[v+j+1]) + start
			}
			v += k
		} else {
			for j := range k {
				if defs != nil && defs[j] != c.maxDef {
					bitutil.ClearBit(valid.Bytes(), pos+j)
					nulls++
					offs[pos+j+1] = int32(size)
					continue
				}
				if v >= count {
					return fail(fmt.Errorf("%w: page has too few values", ErrCorrupt))
				}
				i := v
				if c.idx != nil {
					i = int(c.idx[v])
				}
				if err := appendBytes(vals[voffs[i]:voffs[i+1]]); err != nil {
					return fail(err)
				}
				offs[pos+j+1] = int32(size)
				v++
			}
		}
		c.advance(k, v-c.val)
		pos += k
	}
	c.bytesPerRow = float64(size) / float64(n)
	return []*memory.Buffer{offBuf, data}, nulls, nil
}

// readInterval reads month_day_nano intervals stored as 16-byte fixed-length byte arrays in
// Arrow's layout (see columnOf).
func (c *chunkReader) readInterval(n int, mem memory.Allocator, valid *memory.Buffer) ([]*memory.Buffer, int, error) {
	if c.col.kind != pq.FixedLenByteArray {
		return nil, 0, fmt.Errorf("%w: interval stored as %s", ErrUnsupportedType, c.col.kind)
	}
	buf := newBuffer(mem, n*intervalBytes)
	dst := buf.Bytes()
	nulls := 0
	for pos := 0; pos < n; {
		k, defs, err := c.segment(n - pos)
		if err != nil {
			buf.Release()
			return nil, 0, err
		}
		d := c.data.Data()
		src, size := d.FixedLenByteArray()
		if size == parquetIntervalBytes {
			src = widenIntervals(src)
			size = intervalBytes
		}
		if size != intervalBytes {
			buf.Release()
			return nil, 0, fmt.Errorf("%w: interval of %d bytes", ErrUnsupportedType, size)
		}
		count := len(src) / size
		if c.idx != nil {
			count = len(c.idx)
		}
		v := c.val
		for j := range k {
			out := dst[(pos+j)*size : (pos+j+1)*size]
			if defs != nil && defs[j] != c.maxDef {
				clear(out)
				bitutil.ClearBit(valid.Bytes(), pos+j)
				nulls++
				continue
			}
			if v >= count {
				buf.Release()
				return nil, 0, fmt.Errorf("%w: page has too few values", ErrCorrupt)
			}
			i := v
			if c.idx != nil {
				i = int(c.idx[v])
			}
			copy(out, src[i*size:(i+1)*size])
			v++
		}
		c.advance(k, v-c.val)
		pos += k
	}
	return []*memory.Buffer{buf}, nulls, nil
}
