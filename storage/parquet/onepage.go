package parquet

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
	pq "github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding/rle"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

// A span of a few rows (a key lookup, narrowed) lies in one page of each column. readOnePage
// reads such a span from that page directly: one read of the page's bytes (its offset and
// size from the offset index), its header, one decompression of its values into a pooled
// buffer, and then only the span's values are copied into Arrow buffers: fixed-width values
// are indexed, byte arrays found by walking their lengths, without decoding the page into
// values and offsets first (as a read of the page through parquet-go does) or keeping it.
//
// Only the common layout is read so: a flat column of strings, binary, 32- or 64-bit
// integers, floats, dates or timestamps, at most one definition level, in a PLAIN-encoded
// DATA_PAGE_V2 page (what Writer writes for columns it does not dictionary-encode), or one
// of the delta encodings, decoded to PLAIN first (delta.go). Anything
// else is read through the page reader as before.

// onePageReads counts the spans read by readOnePage (tests check the path is taken).
var onePageReads atomic.Int64

// pageBufs pools the buffers of page bytes and of decompressed values.
var pageBufs sync.Pool

func getPageBuf(n int) *[]byte {
	if p, ok := pageBufs.Get().(*[]byte); ok && cap(*p) >= n {
		*p = (*p)[:n]
		return p
	} else if ok {
		pageBufs.Put(p)
	}
	b := make([]byte, n, max(n, 64<<10))
	return &b
}

func putPageBuf(p *[]byte) {
	if cap(*p) <= 4<<20 {
		pageBufs.Put(p)
	}
}

// readOnePage returns rows [sp.Lo, sp.Hi) of column c of row group g (pages: its page
// index) read from the one page that holds them, or nil (and no error) when the span, the
// column or the page is not of the layout read so.
func (r *Reader) readOnePage(g, c int, pages []PageStats, sp Span) (arrow.Array, error) {
	cl := &r.f.cols[c]
	if cl.nested != nil || cl.list != nil || sp.Hi <= sp.Lo {
		return nil, nil
	}
	leaf := r.f.leaves[c]
	maxDef := leaf.MaxDefinitionLevel()
	if maxDef > 1 || leaf.MaxRepetitionLevel() != 0 {
		return nil, nil
	}
	t := cl.field.Type
	id := t.ID()
	if e, ok := t.(arrow.ExtensionType); ok {
		id = e.StorageType().ID()
	}
	width := 0 // bytes of a fixed-width value; 0 for byte arrays
	switch {
	case (id == arrow.STRING || id == arrow.BINARY) && cl.kind == pq.ByteArray:
	case (id == arrow.INT64 || id == arrow.TIMESTAMP) && cl.kind == pq.Int64,
		id == arrow.FLOAT64 && cl.kind == pq.Double:
		width = 8
	case (id == arrow.INT32 || id == arrow.DATE32) && cl.kind == pq.Int32,
		id == arrow.FLOAT32 && cl.kind == pq.Float:
		width = 4
	default:
		return nil, nil
	}
	cm := &r.f.f.Metadata().RowGroups[g].Columns[cl.leaf].MetaData
	if cm.DictionaryPageOffset > 0 {
		return nil, nil // dictionary-encoded pages: not worth reading a page to find out
	}
	p := sort.Search(len(pages), func(i int) bool { return pages[i].FirstRow > sp.Lo }) - 1
	if p < 0 || sp.Hi > pages[p].FirstRow+pages[p].Rows {
		return nil, nil
	}
	locs := r.f.f.OffsetIndexes()[g*r.f.nleaves+cl.leaf].PageLocations
	if p >= len(locs) || locs[p].CompressedPageSize <= 0 || locs[p].CompressedPageSize > 64<<20 {
		return nil, nil
	}
	loc := locs[p]
	src := r.src
	if src == nil {
		src = r.f.f
	}
	raw := getPageBuf(int(loc.CompressedPageSize))
	defer putPageBuf(raw)
	if n, err := src.ReadAt(*raw, loc.Offset); n < len(*raw) {
		if err == nil {
			err = fmt.Errorf("%w: page ends past the file", ErrCorrupt)
		}
		return nil, err
	}
	var h format.PageHeader
	var proto thrift.CompactProtocol
	rd := bytes.NewReader(*raw)
	if err := thrift.NewDecoder(proto.NewReader(rd)).Decode(&h); err != nil {
		return nil, nil // not a header we read: let the page reader say what is wrong
	}
	body := (*raw)[len(*raw)-rd.Len():]
	if h.Type != format.DataPageV2 || !h.DataPageHeaderV2.Valid {
		return nil, nil
	}
	v2 := &h.DataPageHeaderV2.V
	if !directEncoding(cl.kind, v2.Encoding) || int(h.CompressedPageSize) != len(body) ||
		v2.RepetitionLevelsByteLength != 0 || v2.NumRows != v2.NumValues || int64(v2.NumRows) != pages[p].Rows ||
		v2.DefinitionLevelsByteLength < 0 || int(v2.DefinitionLevelsByteLength) > len(body) {
		return nil, nil
	}
	rows := int(v2.NumRows)
	k, n := int(sp.Lo-pages[p].FirstRow), int(sp.Hi-sp.Lo)
	levels, vals := body[:v2.DefinitionLevelsByteLength], body[v2.DefinitionLevelsByteLength:]
	var defs []byte
	if maxDef == 1 && v2.NumNulls > 0 {
		dp := getPageBuf(rows)
		defer putPageBuf(dp)
		d, err := (&rle.Encoding{BitWidth: 1}).DecodeLevels((*dp)[:0], levels)
		if err != nil || len(d) < rows {
			return nil, fmt.Errorf("%w: definition levels of a page of %d rows", ErrCorrupt, rows)
		}
		*dp = d[:0]
		defs = d[:rows]
	}
	if codec := cm.Codec; codec != format.Uncompressed && (!v2.IsCompressed.Valid || v2.IsCompressed.V) {
		if h.UncompressedPageSize < v2.DefinitionLevelsByteLength || h.UncompressedPageSize > 256<<20 {
			return nil, fmt.Errorf("%w: page of %d uncompressed bytes", ErrCorrupt, h.UncompressedPageSize)
		}
		out := getPageBuf(int(h.UncompressedPageSize - v2.DefinitionLevelsByteLength))
		defer putPageBuf(out)
		d, err := pq.LookupCompressionCodec(codec).Decode((*out)[:0], vals)
		if err != nil {
			return nil, fmt.Errorf("decompressing page: %w", err)
		}
		*out = d[:0]
		vals = d
	}
	if v2.Encoding != format.Plain {
		if v2.NumNulls < 0 || v2.NumNulls > v2.NumRows {
			return nil, fmt.Errorf("%w: page of %d rows with %d NULLs", ErrCorrupt, rows, v2.NumNulls)
		}
		out := getPageBuf(0)
		defer putPageBuf(out)
		d, err := plainValues((*out)[:0], vals, cl.kind, v2.Encoding, rows-int(v2.NumNulls))
		if err != nil {
			return nil, err
		}
		*out = d[:0]
		vals = d
	}
	// The values before the span's first row.
	skip := k
	if defs != nil {
		skip = 0
		for _, d := range defs[:k] {
			skip += int(d)
		}
	}
	var valid *memory.Buffer
	nulls := 0
	if defs != nil {
		for _, d := range defs[k : k+n] {
			nulls += int(1 - d)
		}
		if nulls > 0 {
			valid = newBuffer(r.mem, int(bitutil.BytesForBits(int64(n))))
			clear(valid.Bytes())
			for j, d := range defs[k : k+n] {
				if d == 1 {
					bitutil.SetBit(valid.Bytes(), j)
				}
			}
		}
	}
	var bufs []*memory.Buffer
	if width > 0 {
		if (skip+n-nulls)*width > len(vals) {
			if valid != nil {
				valid.Release()
			}
			return nil, fmt.Errorf("%w: page has too few values", ErrCorrupt)
		}
		buf := newBuffer(r.mem, n*width)
		dst, v := buf.Bytes(), vals[skip*width:]
		if nulls == 0 {
			copy(dst, v[:n*width])
		} else {
			clear(dst)
			for j, d := range defs[k : k+n] {
				if d == 1 {
					copy(dst[j*width:(j+1)*width], v[:width])
					v = v[width:]
				}
			}
		}
		bufs = []*memory.Buffer{valid, buf}
	} else {
		var err error
		if bufs, err = spanBytes(r.mem, vals, skip, n, defs, k); err != nil {
			if valid != nil {
				valid.Release()
			}
			return nil, err
		}
		bufs = append([]*memory.Buffer{valid}, bufs...)
	}
	data := array.NewData(t, n, bufs, nil, nulls, 0)
	for _, b := range bufs {
		if b != nil {
			b.Release()
		}
	}
	defer data.Release()
	onePageReads.Add(1)
	return array.MakeFromData(data), nil
}

// spanBytes returns the offsets and data buffers of n rows of PLAIN byte arrays vals, from
// value skip on: rows whose definition level (defs[k+j], nil for none NULL) is 0 are empty.
func spanBytes(mem memory.Allocator, vals []byte, skip, n int, defs []byte, k int) ([]*memory.Buffer, error) {
	off := 0
	next := func() ([]byte, bool) {
		if len(vals)-off < 4 {
			return nil, false
		}
		l := binary.LittleEndian.Uint32(vals[off:])
		if uint64(l) > uint64(len(vals)-off-4) {
			return nil, false
		}
		b := vals[off+4 : off+4+int(l)]
		off += 4 + int(l)
		return b, true
	}
	for range skip {
		if _, ok := next(); !ok {
			return nil, fmt.Errorf("%w: page has too few values", ErrCorrupt)
		}
	}
	start := off
	// The span's values, in place: their bytes less their lengths.
	defined := n
	if defs != nil {
		defined = 0
		for _, d := range defs[k : k+n] {
			defined += int(d)
		}
	}
	for range defined {
		if _, ok := next(); !ok {
			return nil, fmt.Errorf("%w: page has too few values", ErrCorrupt)
		}
	}
	size := off - start - 4*defined
	if size > math.MaxInt32 {
		return nil, fmt.Errorf("%w: more than 2 GiB of bytes in one batch", ErrUnsupportedType)
	}
	offBuf := newBuffer(mem, 4*(n+1))
	offs := arrow.Int32Traits.CastFromBytes(offBuf.Bytes())
	dataBuf := newBuffer(mem, size)
	dst := dataBuf.Bytes()
	off = start
	at := 0
	offs[0] = 0
	for j := range n {
		if defs == nil || defs[k+j] == 1 {
			b, _ := next()
			at += copy(dst[at:], b)
		}
		offs[j+1] = int32(at)
	}
	return []*memory.Buffer{offBuf, dataBuf}, nil
}
