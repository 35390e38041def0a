package parquet

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"sort"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
	pq "github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
	"github.com/parquet-go/parquet-go/encoding/rle"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

// A flat column chunk of strings, binary, 32- and 64-bit integers, floats, dates or
// timestamps whose data pages are all V2 pages of PLAIN values, or of the delta encodings
// delta.go decodes to PLAIN when it loads a page, as this package writes
// them without dictionary encoding, is decoded here rather than through parquet-go's
// pages: its bytes are read in one request, each page's values are decompressed into a
// buffer the reader keeps and decoded straight into the batch's Arrow buffers (a string is
// copied once, from the decompressed page into the batch), and pages before a span are
// never decompressed. Any other chunk (dictionary pages, V1 pages, other encodings or
// codecs, encrypted chunks) is read through parquet-go as before.

// directPage is one data page of a column chunk read directly.
type directPage struct {
	first, rows, nulls int    // first row (in the row group), rows, NULLs
	levels             []byte // encoded definition levels, when 0 < nulls < rows
	body               []byte // the values, compressed unless raw
	raw                bool   // body is not compressed
	size               int    // uncompressed bytes of the values
	enc                format.Encoding
}

// directBuffers are the buffers a Reader keeps per output column for the chunks it reads
// directly: the chunk's bytes, one page's decompressed values and decoded levels.
type directBuffers struct {
	chunk, vals, defs []byte
	plain             []byte   // a DELTA_BINARY_PACKED page's values decoded to PLAIN (delta.go)
	strs              []byte   // a delta-encoded byte array page's values, one after another
	offs              []uint32 // and their offsets into strs
}

// directPool keeps the buffers of closed readers for the next ones: a cold key lookup opens
// a reader per query and would otherwise allocate a page's worth of bytes per column.
var directPool = sync.Pool{New: func() any { return &directBuffers{} }}

// maxPooledBytes bounds the buffers a closed reader returns to directPool.
const maxPooledBytes = 4 << 20

// releaseDirect returns the reader's direct buffers to directPool. The chunks that used
// them are closed, and no array returned points into them.
func (r *Reader) releaseDirect() {
	for i, b := range r.direct {
		if b != nil && cap(b.chunk)+cap(b.vals)+cap(b.defs)+cap(b.plain)+cap(b.strs)+4*cap(b.offs) <= maxPooledBytes {
			directPool.Put(b)
		}
		r.direct[i] = nil
	}
}

// deltaPadding is the bytes past its values that parquet-go's DELTA_BYTE_ARRAY decoder
// needs in the buffer it decodes into (it writes whole vectors).
const deltaPadding = 64

// directReader walks the data pages of one column chunk read directly.
type directReader struct {
	bufs  *directBuffers
	codec compress.Codec
	kind  pq.Kind
	pages []directPage
	page  int // index of the current page
	row   int // rows of the current page consumed
	// The current page's values once decompressed (loaded), its definition levels (nil
	// when every row or none is NULL) and the position of its next value: a byte offset
	// into vals for PLAIN byte arrays, an index of values for fixed-size types and for
	// delta-encoded byte arrays (delta), which are decoded into strs and offs, from vals,
	// when first read (pending until then): into the batch's data when the batch takes
	// the whole page, otherwise into a buffer of the reader's.
	loaded  bool
	delta   bool
	pending bool
	vals    []byte
	strs    []byte
	offs    []uint32
	defs    []byte
	pos     int
	width   int  // bit width of the definition levels
	max     byte // maximum definition level

	bytesPerRow float64 // expected bytes of string data per row; 0 before the first batch
	inPlace     int     // pages decoded straight into a batch's data
}

// directKind reports whether a flat column of Arrow type t stored as kind can be read
// directly.
func directKind(t arrow.DataType, kind pq.Kind) bool {
	switch t.ID() {
	case arrow.STRING, arrow.BINARY:
		return kind == pq.ByteArray
	case arrow.INT64, arrow.TIMESTAMP:
		return kind == pq.Int64
	case arrow.INT32, arrow.DATE32:
		return kind == pq.Int32
	case arrow.FLOAT32:
		return kind == pq.Float
	case arrow.FLOAT64:
		return kind == pq.Double
	}
	return false
}

// directCodec returns the codec of a chunk compressed with c, or nil for codecs read
// through parquet-go.
func directCodec(c format.CompressionCodec) compress.Codec {
	switch c {
	case format.Uncompressed, format.Snappy, format.Zstd:
		return pq.LookupCompressionCodec(c)
	}
	return nil
}

// openDirect positions cr, a flat column, at row sp.Lo of row group g, read directly when
// the chunk allows it (see above); it returns false when the chunk must be read through
// parquet-go instead. pages is the chunk's page index, if indexed. Only the pages holding
// the span's rows are read when the page index gives them.
func (r *Reader) openDirect(cr *chunkReader, sp Span, g, c, out int, pages []PageStats, indexed bool) (bool, error) {
	col := cr.col
	if col.list != nil || col.nested != nil || !directKind(col.field.Type, col.kind) {
		return false, nil
	}
	cc := &r.f.f.Metadata().RowGroups[g].Columns[col.leaf]
	md := &cc.MetaData
	if len(cc.EncryptedColumnMetadata) > 0 || md.NumValues == 0 || md.DictionaryPageOffset > 0 {
		return false, nil
	}
	codec := directCodec(md.Codec)
	if codec == nil {
		return false, nil
	}
	start, end := md.DataPageOffset, md.DataPageOffset+md.TotalCompressedSize
	first, whole := 0, true // the first row of the bytes read; whether they are the whole chunk
	if indexed && (sp.Lo > 0 || sp.Hi < r.f.groups[g].Rows) {
		locs := r.f.f.OffsetIndexes()[g*r.f.nleaves+col.leaf].PageLocations
		p := sort.Search(len(pages), func(i int) bool { return pages[i].FirstRow > sp.Lo }) - 1
		q := sort.Search(len(pages), func(i int) bool { return pages[i].FirstRow >= sp.Hi }) - 1
		if p < 0 || q < p || q >= len(locs) || len(locs) != len(pages) {
			return false, nil
		}
		start, end = locs[p].Offset, locs[q].Offset+int64(locs[q].CompressedPageSize)
		first, whole = int(pages[p].FirstRow), false
	}
	if start < 0 || end <= start || end-start > 1<<31-1 {
		return false, nil
	}
	if r.direct == nil {
		r.direct = make([]*directBuffers, len(r.cols))
	}
	bufs := r.direct[out]
	if bufs == nil {
		bufs = directPool.Get().(*directBuffers)
		r.direct[out] = bufs
	}
	if int64(cap(bufs.chunk)) < end-start {
		bufs.chunk = make([]byte, end-start)
	}
	buf := bufs.chunk[:end-start]
	src := r.src
	if src == nil {
		src = r.f.f
	}
	if n, err := src.ReadAt(buf, start); n < len(buf) {
		if err == nil || err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return false, err
	}
	d := &cr.dr // held by cr, which is pooled: its pages' slice is reused
	*d = directReader{bufs: bufs, codec: codec, kind: col.kind, width: levelWidth(cr.maxDef), max: cr.maxDef, pages: d.pages[:0]}
	ok, err := d.parse(buf, first)
	if !ok || err != nil {
		return false, err
	}
	last := d.pages[len(d.pages)-1]
	if int64(d.pages[0].first) > sp.Lo || int64(last.first+last.rows) < sp.Hi ||
		whole && int64(last.first+last.rows) != r.f.groups[g].Rows {
		return false, fmt.Errorf("%w: data pages hold rows [%d, %d) of a row group of %d", ErrCorrupt, d.pages[0].first, last.first+last.rows, r.f.groups[g].Rows)
	}
	d.page = sort.Search(len(d.pages), func(i int) bool { return d.pages[i].first > int(sp.Lo) }) - 1
	if err := d.skip(int(sp.Lo) - d.pages[d.page].first); err != nil {
		return false, err
	}
	cr.direct = d
	return true, nil
}

// parse reads the page headers of buf, the bytes of consecutive data pages whose first row
// is first. It returns false (and no error) when a page is not a V2 page of PLAIN values.
func (d *directReader) parse(buf []byte, first int) (bool, error) {
	proto := &thrift.CompactProtocol{}
	r := proto.NewReaderFromBytes(buf)
	dec := thrift.NewDecoder(r)
	row := first
	for pos := 0; pos < len(buf); {
		r.ResetBytes(buf[pos:])
		var h format.PageHeader
		if err := dec.Decode(&h); err != nil {
			return false, fmt.Errorf("%w: page header: %v", ErrCorrupt, err)
		}
		body := pos + r.BytesRead()
		end := body + int(h.CompressedPageSize)
		if h.CompressedPageSize < 0 || end > len(buf) || end < body {
			return false, fmt.Errorf("%w: page of %d bytes past the column chunk", ErrCorrupt, h.CompressedPageSize)
		}
		pos = end
		if h.Type == format.IndexPage {
			continue
		}
		if h.Type != format.DataPageV2 || !h.DataPageHeaderV2.Valid {
			return false, nil
		}
		v2 := &h.DataPageHeaderV2.V
		if !directEncoding(d.kind, v2.Encoding) || v2.NumNulls < 0 || v2.NumRows <= 0 || v2.NumNulls > v2.NumRows ||
			v2.NumValues != v2.NumRows || v2.RepetitionLevelsByteLength != 0 || v2.DefinitionLevelsByteLength < 0 ||
			int(v2.DefinitionLevelsByteLength) > end-body || h.UncompressedPageSize < v2.DefinitionLevelsByteLength ||
			v2.NumNulls > 0 && d.max == 0 {
			return false, nil
		}
		levels := int(v2.DefinitionLevelsByteLength)
		p := directPage{
			first: row, rows: int(v2.NumRows), nulls: int(v2.NumNulls),
			body: buf[body+levels : end],
			raw:  v2.IsCompressed.Valid && !v2.IsCompressed.V,
			size: int(h.UncompressedPageSize) - levels,
			enc:  v2.Encoding,
		}
		if p.nulls > 0 && p.nulls < p.rows {
			p.levels = buf[body : body+levels]
		}
		d.pages = append(d.pages, p)
		row += p.rows
	}
	return len(d.pages) > 0, nil
}

// current makes the current page have unconsumed rows, its values decompressed and its
// levels decoded.
func (d *directReader) current() error {
	for d.page < len(d.pages) && d.row == d.pages[d.page].rows {
		d.page++
		d.row, d.pos, d.loaded = 0, 0, false
	}
	if d.page == len(d.pages) {
		return fmt.Errorf("%w: column chunk ended early", ErrCorrupt)
	}
	if d.loaded {
		return nil
	}
	p := &d.pages[d.page]
	if p.raw {
		d.vals = p.body
	} else {
		v, err := d.codec.Decode(d.bufs.vals[:cap(d.bufs.vals)], p.body)
		if err != nil {
			return fmt.Errorf("%w: decompressing a page: %v", ErrCorrupt, err)
		}
		if cap(v) > cap(d.bufs.vals) {
			d.bufs.vals = v[:0]
		}
		d.vals = v
	}
	if len(d.vals) != p.size {
		return fmt.Errorf("%w: page of %d bytes, %d expected", ErrCorrupt, len(d.vals), p.size)
	}
	values := p.rows - p.nulls
	d.strs, d.offs, d.delta, d.pending = nil, nil, false, false
	switch {
	case p.enc == format.Plain:
	case d.kind == pq.ByteArray:
		d.delta, d.pending = true, true
	default:
		v, err := plainValues(d.bufs.plain, d.vals, d.kind, p.enc, values)
		if err != nil {
			return err
		}
		d.bufs.plain = v[:0]
		d.vals = v
	}
	switch d.kind {
	case pq.Int64, pq.Double:
		if len(d.vals) < 8*values {
			return fmt.Errorf("%w: page has too few values", ErrCorrupt)
		}
	case pq.Int32, pq.Float:
		if len(d.vals) < 4*values {
			return fmt.Errorf("%w: page has too few values", ErrCorrupt)
		}
	}
	d.defs = nil
	if p.levels != nil {
		e := rle.Encoding{BitWidth: d.width}
		defs, err := e.DecodeLevels(d.bufs.defs[:0], p.levels)
		if err != nil {
			return fmt.Errorf("%w: definition levels: %v", ErrCorrupt, err)
		}
		d.bufs.defs = defs
		if len(defs) < p.rows {
			return fmt.Errorf("%w: %d definition levels for %d rows", ErrCorrupt, len(defs), p.rows)
		}
		d.defs = defs[:p.rows]
	}
	d.loaded = true
	return nil
}

// pageBytesPerRow returns the bytes of byte array values per row of the current page, which
// is loaded.
func (d *directReader) pageBytesPerRow() (float64, error) {
	p := &d.pages[d.page]
	var size int
	switch {
	case d.delta:
		if err := d.decodeOwn(); err != nil {
			return 0, err
		}
		size = int(d.offs[len(d.offs)-1] - d.offs[0])
	default:
		size = len(d.vals) - 4*(p.rows-p.nulls)
	}
	return float64(max(size, 0)) / float64(p.rows), nil
}

// decode decodes the values of the current page, of delta-encoded byte arrays, into
// dst[:0], or into memory of its own when dst has too little capacity, and their offsets
// into the reader's buffer.
func (d *directReader) decode(dst []byte) error {
	p := &d.pages[d.page]
	strs, offs, err := decodeByteArrays(dst, d.bufs.offs, d.vals, p.enc, p.rows-p.nulls)
	d.bufs.offs = offs
	if err != nil {
		return err
	}
	d.strs, d.offs, d.pending = strs, offs, false
	return nil
}

// decodeOwn decodes the values of the current page, of delta-encoded byte arrays, into the
// reader's buffer unless they are already decoded.
func (d *directReader) decodeOwn() error {
	if !d.pending {
		return nil
	}
	if err := d.decode(d.bufs.strs); err != nil {
		return err
	}
	d.bufs.strs = d.strs[:0]
	return nil
}

// valuesIn returns how many of the next k rows of the current page hold values.
func (d *directReader) valuesIn(k int) int {
	p := &d.pages[d.page]
	switch {
	case p.nulls == 0:
		return k
	case p.nulls == p.rows:
		return 0
	}
	v := 0
	for _, x := range d.defs[d.row : d.row+k] {
		if x == d.max {
			v++
		}
	}
	return v
}

// skip consumes n rows, decompressing only the pages it has to walk into.
func (d *directReader) skip(n int) error {
	for n > 0 {
		for d.page < len(d.pages) && d.row == d.pages[d.page].rows {
			d.page++
			d.row, d.pos, d.loaded = 0, 0, false
		}
		if d.page == len(d.pages) {
			return fmt.Errorf("%w: column chunk ended early", ErrCorrupt)
		}
		p := &d.pages[d.page]
		if d.row == 0 && n >= p.rows {
			d.row = p.rows
			n -= p.rows
			continue
		}
		if err := d.current(); err != nil {
			return err
		}
		k := min(n, p.rows-d.row)
		v := d.valuesIn(k)
		if d.delta {
			if err := d.decodeOwn(); err != nil {
				return err
			}
			if d.pos+v >= len(d.offs) {
				return fmt.Errorf("%w: page has too few values", ErrCorrupt)
			}
			d.pos += v
		} else if d.kind == pq.ByteArray {
			for range v {
				l, err := d.length()
				if err != nil {
					return err
				}
				d.pos += 4 + l
			}
		} else {
			d.pos += v
		}
		d.row += k
		n -= k
	}
	return nil
}

// length returns the length of the byte array at d.pos of the current page.
func (d *directReader) length() (int, error) {
	if d.pos+4 > len(d.vals) {
		return 0, fmt.Errorf("%w: page has too few values", ErrCorrupt)
	}
	l := int(binary.LittleEndian.Uint32(d.vals[d.pos:]))
	if l > len(d.vals)-d.pos-4 {
		return 0, fmt.Errorf("%w: byte array of %d bytes past its page", ErrCorrupt, l)
	}
	return l, nil
}

// read decodes the next n rows into an array of type t.
func (d *directReader) read(n int, mem memory.Allocator, t arrow.DataType) (arrow.Array, error) {
	valid := newValidity(mem, n, d.max > 0)
	var (
		bufs  []*memory.Buffer
		nulls int
		err   error
	)
	switch d.kind {
	case pq.ByteArray:
		bufs, nulls, err = d.readBytes(n, mem, valid)
	case pq.Int64, pq.Double:
		bufs, nulls, err = d.readFixed(n, 8, mem, valid)
	default: // Int32, Float (directKind)
		bufs, nulls, err = d.readFixed(n, 4, mem, valid)
	}
	return makeArray(t, n, valid, bufs, nulls, err)
}

// readFixed decodes n rows of values of width bytes; NULLs become zero values with their
// validity bits cleared.
func (d *directReader) readFixed(n, width int, mem memory.Allocator, valid *memory.Buffer) ([]*memory.Buffer, int, error) {
	buf := newBuffer(mem, n*width)
	dst := buf.Bytes()
	nulls := 0
	for at := 0; at < n; {
		if err := d.current(); err != nil {
			buf.Release()
			return nil, 0, err
		}
		p := &d.pages[d.page]
		k := min(n-at, p.rows-d.row)
		switch {
		case p.nulls == 0:
			copy(dst[at*width:(at+k)*width], d.vals[d.pos*width:])
			d.pos += k
		case p.nulls == p.rows:
			clear(dst[at*width : (at+k)*width])
			bitutil.SetBitsTo(valid.Bytes(), int64(at), int64(k), false)
			nulls += k
		default:
			bits := valid.Bytes()
			for j, x := range d.defs[d.row : d.row+k] {
				out := dst[(at+j)*width : (at+j+1)*width]
				if x != d.max {
					clear(out)
					bitutil.ClearBit(bits, at+j)
					nulls++
					continue
				}
				copy(out, d.vals[d.pos*width:])
				d.pos++
			}
		}
		d.row += k
		at += k
	}
	return []*memory.Buffer{buf}, nulls, nil
}

// readBytes decodes n rows of byte arrays into Arrow offsets and data.
func (d *directReader) readBytes(n int, mem memory.Allocator, valid *memory.Buffer) ([]*memory.Buffer, int, error) {
	if d.bytesPerRow == 0 {
		// The chunk's first batch: the bytes per row of its first page. The chunk's
		// metadata would say too few for delta-encoded values, whose prefixes it does not
		// count, and each time the buffer grows it is copied.
		if err := d.current(); err != nil {
			return nil, 0, err
		}
		var err error
		if d.bytesPerRow, err = d.pageBytesPerRow(); err != nil {
			return nil, 0, err
		}
	}
	offBuf := newBuffer(mem, 4*(n+1))
	offs := arrow.Int32Traits.CastFromBytes(offBuf.Bytes())
	data := memory.NewResizableBuffer(mem)
	data.Reserve(int(float64(n)*d.bytesPerRow*1.05) + 64)
	fail := func(err error) ([]*memory.Buffer, int, error) {
		offBuf.Release()
		data.Release()
		return nil, 0, err
	}
	size := 0 // bytes used in data
	nulls := 0
	offs[0] = 0
	for at := 0; at < n; {
		if err := d.current(); err != nil {
			return fail(err)
		}
		p := &d.pages[d.page]
		k := min(n-at, p.rows-d.row)
		o := offs[at+1 : at+1+k]
		if p.nulls == p.rows {
			bitutil.SetBitsTo(valid.Bytes(), int64(at), int64(k), false)
			nulls += k
			for j := range o {
				o[j] = int32(size)
			}
			d.row += k
			at += k
			continue
		}
		var defs []byte
		if p.nulls > 0 {
			defs = d.defs[d.row : d.row+k]
		}
		if d.delta {
			// Delta-encoded: the page's values are decoded one after another, straight
			// into the batch's data when it takes the whole page, else into strs, from
			// which the batch's rows take one copy.
			inPlace := false
			switch {
			case !d.pending:
			case d.row == 0 && k == p.rows && size+int(float64(p.rows)*d.bytesPerRow*1.25)+deltaPadding <= data.Cap():
				// Room for the page by the expected bytes per row, with a margin: data is
				// not grown for it (a copy of the rows before).
				if err := d.decode(data.Buf()[size:size]); err != nil {
					return fail(err)
				}
				// Unless the decoder needed more room than data had and took its own.
				if inPlace = len(d.strs) > 0 && &d.strs[0] == &data.Buf()[size]; inPlace {
					// The values are in the batch's memory, which the reader must not
					// keep: it decodes them again if it ever reads the page again (a
					// read after a failed one).
					d.strs, d.pending = nil, true
					d.inPlace++
				}
			default:
				if err := d.decodeOwn(); err != nil {
					return fail(err)
				}
			}
			offs, idx, end := d.offs, d.pos, size
			for j := range o {
				if defs != nil && defs[j] != d.max {
					bitutil.ClearBit(valid.Bytes(), at+j)
					nulls++
					o[j] = int32(end)
					continue
				}
				if idx+1 >= len(offs) {
					return fail(fmt.Errorf("%w: page has too few values", ErrCorrupt))
				}
				end += int(offs[idx+1] - offs[idx])
				idx++
				if end > math.MaxInt32 {
					return fail(fmt.Errorf("%w: more than 2 GiB of bytes in one batch", ErrUnsupportedType))
				}
				o[j] = int32(end)
			}
			if inPlace {
				size = end
			} else {
				if end > data.Cap() {
					data.Reserve(max(end, data.Cap()+data.Cap()/2))
				}
				size += copy(data.Buf()[size:end], d.strs[offs[d.pos]:offs[idx]])
			}
			d.pos = idx
			d.row += k
			at += k
			continue
		}
		// First the offsets, checking each length against the page, then the bytes, into
		// a buffer of the size they take.
		vals, pos, end := d.vals, d.pos, size
		for j := range o {
			if defs != nil && defs[j] != d.max {
				o[j] = int32(end)
				continue
			}
			if pos+4 > len(vals) {
				return fail(fmt.Errorf("%w: page has too few values", ErrCorrupt))
			}
			l := int(binary.LittleEndian.Uint32(vals[pos:]))
			pos += 4
			if l > len(vals)-pos {
				return fail(fmt.Errorf("%w: byte array of %d bytes past its page", ErrCorrupt, l))
			}
			pos += l
			end += l
			if end > math.MaxInt32 {
				return fail(fmt.Errorf("%w: more than 2 GiB of bytes in one batch", ErrUnsupportedType))
			}
			o[j] = int32(end)
		}
		if end > data.Cap() {
			data.Reserve(max(end, data.Cap()+data.Cap()/2))
		}
		out := data.Buf()
		pos = d.pos
		for j := range o {
			if defs != nil && defs[j] != d.max {
				bitutil.ClearBit(valid.Bytes(), at+j)
				nulls++
				continue
			}
			l := int(binary.LittleEndian.Uint32(vals[pos:]))
			pos += 4
			size += copy(out[size:], vals[pos:pos+l])
			pos += l
		}
		d.pos = pos
		d.row += k
		at += k
	}
	data.ResizeNoShrink(size)
	d.bytesPerRow = float64(size) / float64(n)
	return []*memory.Buffer{offBuf, data}, nulls, nil
}
