package parquet

import (
	"fmt"
	"io"
	"math/bits"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/parquet-go/parquet-go/encoding/rle"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

// A column read null-only (ReadOptions.NullOnly) yields arrays whose validity is the column's
// and whose values are zero (empty strings, zero numbers): for a reader of the rows that asks
// only whether each value is NULL, such as count(column). Its values are never decompressed
// or decoded: a required column reads nothing, and an optional one reads only the headers of
// its data pages (V2 pages give each page's rows and nulls) and, in a page holding both
// values and NULLs, its definition levels, which V2 pages store uncompressed. A column chunk
// with a page of another kind is read in full.

// nullOnlyType reports whether arrays of t can be made null-only.
func nullOnlyType(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.STRING, arrow.BINARY, arrow.INT64, arrow.TIMESTAMP, arrow.INT32, arrow.DATE32,
		arrow.FLOAT32, arrow.FLOAT64:
		return true
	}
	return false
}

// levelPage is one data page of a column chunk read null-only.
type levelPage struct {
	rows, nulls int
	levels      []byte // the page's encoded definition levels, when 0 < nulls < rows
}

// levelReader walks the data pages of one column chunk read null-only.
type levelReader struct {
	pages []levelPage
	page  int    // index of the current page
	row   int    // rows of the current page consumed
	defs  []byte // decoded definition levels of the current page, once needed
	width int    // bit width of the definition levels
	max   byte   // maximum definition level
	zeros []byte // shared zero value bytes of the arrays made
}

// levelPages reads the page headers of column c in row group g through src into buf (grown
// as needed and returned; the pages' levels point into it) and returns the chunk's data
// pages, or nil (and no error) when a page is not a V2 data page or the chunk is encrypted
// or holds no rows: such a chunk is read in full.
func (f *File) levelPages(src io.ReaderAt, g, c int, buf []byte) ([]levelPage, []byte, error) {
	cc := &f.f.Metadata().RowGroups[g].Columns[f.cols[c].leaf]
	if len(cc.EncryptedColumnMetadata) > 0 || cc.MetaData.NumValues == 0 {
		return nil, buf, nil
	}
	md := &cc.MetaData
	start := md.DataPageOffset
	if md.DictionaryPageOffset > 0 && md.DictionaryPageOffset < start {
		start = md.DictionaryPageOffset
	}
	if start < 0 || md.TotalCompressedSize <= 0 || md.TotalCompressedSize > 1<<31-1 {
		return nil, buf, nil
	}
	if int64(cap(buf)) < md.TotalCompressedSize {
		buf = make([]byte, md.TotalCompressedSize)
	}
	buf = buf[:md.TotalCompressedSize]
	if n, err := src.ReadAt(buf, start); n < len(buf) {
		if err == nil || err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, buf, err
	}
	proto := &thrift.CompactProtocol{}
	r := proto.NewReaderFromBytes(buf)
	dec := thrift.NewDecoder(r)
	var pages []levelPage
	rows := int64(0)
	for pos := 0; pos < len(buf); {
		r.ResetBytes(buf[pos:])
		var h format.PageHeader
		if err := dec.Decode(&h); err != nil {
			return nil, buf, fmt.Errorf("%w: page header: %v", ErrCorrupt, err)
		}
		body := pos + r.BytesRead()
		end := body + int(h.CompressedPageSize)
		if h.CompressedPageSize < 0 || end > len(buf) || end < body {
			return nil, buf, fmt.Errorf("%w: page of %d bytes past the column chunk", ErrCorrupt, h.CompressedPageSize)
		}
		pos = end
		switch h.Type {
		case format.DictionaryPage, format.IndexPage:
			continue
		case format.DataPageV2:
		default:
			return nil, buf, nil
		}
		if !h.DataPageHeaderV2.Valid {
			return nil, buf, nil
		}
		v2 := &h.DataPageHeaderV2.V
		if v2.NumNulls < 0 || v2.NumRows < 0 || v2.NumNulls > v2.NumRows || v2.NumValues != v2.NumRows ||
			v2.RepetitionLevelsByteLength != 0 || v2.DefinitionLevelsByteLength < 0 ||
			int(v2.DefinitionLevelsByteLength) > end-body {
			// Repeated values, or levels that do not fit: read the chunk in full.
			return nil, buf, nil
		}
		p := levelPage{rows: int(v2.NumRows), nulls: int(v2.NumNulls)}
		if p.nulls > 0 && p.nulls < p.rows {
			p.levels = buf[body : body+int(v2.DefinitionLevelsByteLength)]
		}
		pages = append(pages, p)
		rows += int64(p.rows)
	}
	if rows != f.f.Metadata().RowGroups[g].NumRows {
		return nil, buf, fmt.Errorf("%w: data pages hold %d rows of a row group of %d", ErrCorrupt, rows, f.f.Metadata().RowGroups[g].NumRows)
	}
	return pages, buf, nil
}

// current makes the current page have unconsumed rows, decoding its levels when needed.
func (l *levelReader) current() error {
	for l.page < len(l.pages) && l.row == l.pages[l.page].rows {
		l.page++
		l.row = 0
		l.defs = l.defs[:0]
	}
	if l.page == len(l.pages) {
		return fmt.Errorf("%w: column chunk ended early", ErrCorrupt)
	}
	p := &l.pages[l.page]
	if p.levels != nil && len(l.defs) == 0 {
		e := rle.Encoding{BitWidth: l.width}
		defs, err := e.DecodeLevels(l.defs[:0], p.levels)
		if err != nil {
			return fmt.Errorf("%w: definition levels: %v", ErrCorrupt, err)
		}
		if len(defs) < p.rows {
			return fmt.Errorf("%w: %d definition levels for %d rows", ErrCorrupt, len(defs), p.rows)
		}
		l.defs = defs[:p.rows]
	}
	return nil
}

// skip consumes n rows.
func (l *levelReader) skip(n int64) error {
	for n > 0 {
		if err := l.current(); err != nil {
			return err
		}
		k := min(n, int64(l.pages[l.page].rows-l.row))
		l.row += int(k)
		n -= k
	}
	return nil
}

// read clears the validity bits of the NULLs among the next n rows in valid (n bits from
// bit 0) and returns how many there were.
func (l *levelReader) read(n int, valid []byte) (int, error) {
	nulls := 0
	for pos := 0; pos < n; {
		if err := l.current(); err != nil {
			return 0, err
		}
		p := &l.pages[l.page]
		k := min(n-pos, p.rows-l.row)
		switch {
		case p.nulls == 0:
		case p.nulls == p.rows:
			bitutil.SetBitsTo(valid, int64(pos), int64(k), false)
			nulls += k
		default:
			for j, d := range l.defs[l.row : l.row+k] {
				if d != l.max {
					bitutil.ClearBit(valid, pos+j)
					nulls++
				}
			}
		}
		l.row += k
		pos += k
	}
	return nulls, nil
}

// readNullOnly makes the next n rows of a chunk read null-only into an array.
func (c *chunkReader) readNullOnly(n int, mem memory.Allocator) (arrow.Array, error) {
	t := c.col.field.Type
	var valid *memory.Buffer
	nulls := 0
	if c.maxDef > 0 {
		valid = memory.NewResizableBuffer(mem)
		valid.Resize(int(bitutil.BytesForBits(int64(n))))
		memory.Set(valid.Bytes(), 0xff)
		var err error
		if nulls, err = c.nulls.read(n, valid.Bytes()); err != nil {
			valid.Release()
			return nil, err
		}
		if nulls == 0 {
			valid.Release()
			valid = nil
		}
	}
	zero := func(size int) *memory.Buffer {
		if len(c.nulls.zeros) < size {
			c.nulls.zeros = make([]byte, size)
		}
		return memory.NewBufferBytes(c.nulls.zeros[:size])
	}
	var bufs []*memory.Buffer
	switch t.ID() {
	case arrow.STRING, arrow.BINARY:
		bufs = []*memory.Buffer{valid, zero(4 * (n + 1)), zero(0)}
	case arrow.INT64, arrow.TIMESTAMP, arrow.FLOAT64:
		bufs = []*memory.Buffer{valid, zero(8 * n)}
	default: // INT32, DATE32, FLOAT32 (nullOnlyType)
		bufs = []*memory.Buffer{valid, zero(4 * n)}
	}
	data := array.NewData(t, n, bufs, nil, nulls, 0)
	if valid != nil {
		valid.Release()
	}
	defer data.Release()
	return array.MakeFromData(data), nil
}

// levelWidth is the bit width of definition levels up to max.
func levelWidth(max byte) int { return bits.Len8(max) }
