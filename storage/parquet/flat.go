package parquet

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
	pq "github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
	"github.com/parquet-go/parquet-go/encoding/rle"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"

	"github.com/sleeperd/sleeperd/internal/take"
)

// The flat path: a file whose columns are all flat booleans, integers, decimals of up to 18
// digits, floats, dates, timestamps, strings or binaries, without dictionary encoding, is written by this package's own page writer
// instead of through parquet-go's Value per cell. The pages are what parquet-go writes for
// the same schema: V2 data pages of PLAIN values, RLE definition levels for nullable
// columns, min/max/null-count statistics in each page header and column chunk, a column
// index (byte array bounds truncated to columnIndexLimit bytes as parquet-go does) and an
// offset index for every chunk, and the footer's schema elements as parquet-go builds them.
// Statistics are computed on the Arrow arrays in the same pass that encodes the values.
// Float statistics follow parquet-go's: a page's bounds leave NaN out (the first NaN is both
// bounds of a page of only NaN), -0 and +0 compare equal (the first seen stays a bound), and
// a chunk's bounds are the least and greatest bounds of its pages that have a number (the
// first NaN of a chunk of only NaN). That is parquet-go's result except where parquet-go's
// first page of a chunk holds only NaN: it then keeps NaN as the chunk's bounds, which
// readers cannot use. Float NaNs are counted per chunk for NaNCountsKey.
// Other schemas (wider decimals, intervals, lists, structs, maps, logical
// extension columns, dictionary encoding) take the parquet-go path.

// columnIndexLimit is the length byte array bounds are truncated to in the column index
// (parquet-go's DefaultColumnIndexSizeLimit).
const columnIndexLimit = 16

// flatPath disables the flat path when false (tests compare the two paths).
var flatPath = true

// flatEligible reports whether every column of cols can take the flat path.
func flatEligible(cols []column, props Properties) bool {
	if !flatPath || props.Dictionary {
		return false
	}
	for i := range cols {
		c := &cols[i]
		if c.list != nil || c.nested != nil || c.dict {
			return false
		}
		if _, ok := c.field.Type.(arrow.ExtensionType); ok {
			return false
		}
		if _, _, ok := logicalColumn(c.field); ok {
			return false
		}
		switch c.field.Type.ID() {
		case arrow.BOOL:
			if c.kind != pq.Boolean {
				return false
			}
		case arrow.FLOAT32:
			if c.kind != pq.Float {
				return false
			}
		case arrow.FLOAT64:
			if c.kind != pq.Double {
				return false
			}
		case arrow.INT8, arrow.INT16, arrow.INT32, arrow.DATE32:
			if c.kind != pq.Int32 {
				return false
			}
		case arrow.INT64, arrow.TIMESTAMP:
			if c.kind != pq.Int64 {
				return false
			}
		case arrow.DECIMAL128:
			// Decimals of up to 18 digits are stored as integers; wider ones as
			// fixed-length byte arrays without page bounds take parquet-go's path.
			if c.kind != pq.Int32 && c.kind != pq.Int64 {
				return false
			}
		case arrow.STRING, arrow.BINARY:
			if c.kind != pq.ByteArray {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// flatFile is the state of a file written by the flat path: what the footer needs.
type flatFile struct {
	schema    []format.SchemaElement
	orders    []format.ColumnOrder
	createdBy string
	kv        []format.KeyValue
	codec     compress.Codec
	paths     [][]string
	pageBytes []int // page size of each column
	groups    []format.RowGroup
	colIdx    [][]format.ColumnIndex
	offIdx    [][]format.OffsetIndex
	header    bool // the magic number has been written
	props     Properties
}

// newFlatFile builds the footer's schema elements the way parquet-go does, by writing an
// empty file of the same schema.
func newFlatFile(cols []column, pqOpts []pq.WriterOption, codec compress.Codec, pageBytes int, props Properties) (*flatFile, error) {
	var buf bytes.Buffer
	pw := pq.NewWriter(&buf, pqOpts...)
	if err := pw.Close(); err != nil {
		return nil, fmt.Errorf("writing parquet schema: %w", err)
	}
	f, err := pq.OpenFile(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		return nil, fmt.Errorf("writing parquet schema: %w", err)
	}
	md := f.Metadata()
	ff := &flatFile{
		schema:    md.Schema,
		orders:    md.ColumnOrders,
		createdBy: md.CreatedBy,
		kv:        md.KeyValueMetadata,
		codec:     codec,
		props:     props,
	}
	for i := range cols {
		ff.paths = append(ff.paths, []string{cols[i].field.Name})
		pb := pageBytes
		if cols[i].pageBytes > 0 {
			pb = cols[i].pageBytes
		}
		ff.pageBytes = append(ff.pageBytes, pb)
	}
	return ff, nil
}

func (f *flatFile) setKeyValue(key, value string) {
	for i := range f.kv {
		if f.kv[i].Key == key {
			f.kv[i].Value = value
			return
		}
	}
	f.kv = append(f.kv, format.KeyValue{Key: key, Value: value})
}

// newGroup returns the encoder of a row group (reusing g's buffers when g is not nil).
func (f *flatFile) newGroup(cols []column, g *flatGroup) *flatGroup {
	if g == nil {
		g = &flatGroup{cols: make([]flatCol, len(cols))}
		for i := range cols {
			fc := &g.cols[i]
			fc.c = &cols[i]
			fc.codec = f.codec
			fc.limit = max(f.pageBytes[i]*98/100, 1)
			fc.compressed = f.codec.CompressionCodec() != format.Uncompressed
			fc.encoding = flatEncoding(cols[i].kind, f.props)
			if fc.encoding == format.DeltaByteArray && f.codec.CompressionCodec() == format.Zstd && f.props.Compression == Zstd {
				fc.codec = litZstd
			}
			fc.enc = thrift.NewEncoder(new(thrift.CompactProtocol).NewWriter(&fc.hdr))
			fc.path = f.paths[i]
		}
	}
	for i := range g.cols {
		g.cols[i].reset()
	}
	g.rows = 0
	return g
}

// writeGroup writes an encoded row group to out.
func (f *flatFile) writeGroup(out *countingWriter, g *flatGroup) error {
	if err := f.writeHeader(out); err != nil {
		return err
	}
	rg := format.RowGroup{NumRows: g.rows, FileOffset: out.n, Ordinal: int16(len(f.groups))}
	cis := make([]format.ColumnIndex, len(g.cols))
	ois := make([]format.OffsetIndex, len(g.cols))
	for i := range g.cols {
		fc := &g.cols[i]
		meta := fc.meta
		meta.DataPageOffset = out.n
		locs := make([]format.PageLocation, len(fc.locs))
		for k, l := range fc.locs {
			l.Offset += out.n
			locs[k] = l
		}
		for _, b := range fc.buf.blocks {
			if _, err := out.Write(b); err != nil {
				return err
			}
		}
		meta.EncodingStats = []format.PageEncodingStats{{PageType: format.DataPageV2, Encoding: fc.encoding, Count: int32(len(fc.locs))}}
		rg.Columns = append(rg.Columns, format.ColumnChunk{MetaData: meta})
		rg.TotalByteSize += meta.TotalUncompressedSize
		rg.TotalCompressedSize += meta.TotalCompressedSize
		cis[i] = fc.columnIndex()
		ois[i] = format.OffsetIndex{PageLocations: locs}
	}
	f.groups = append(f.groups, rg)
	f.colIdx = append(f.colIdx, cis)
	f.offIdx = append(f.offIdx, ois)
	return nil
}

func (f *flatFile) writeHeader(out *countingWriter) error {
	if f.header {
		return nil
	}
	f.header = true
	_, err := io.WriteString(out, "PAR1")
	return err
}

// close writes the page index and the footer.
func (f *flatFile) close(out *countingWriter) error {
	if err := f.writeHeader(out); err != nil {
		return err
	}
	enc := thrift.NewEncoder(new(thrift.CompactProtocol).NewWriter(out))
	for g := range f.colIdx {
		for c := range f.colIdx[g] {
			cc := &f.groups[g].Columns[c]
			cc.ColumnIndexOffset = out.n
			if err := enc.Encode(&f.colIdx[g][c]); err != nil {
				return err
			}
			cc.ColumnIndexLength = int32(out.n - cc.ColumnIndexOffset)
		}
	}
	for g := range f.offIdx {
		for c := range f.offIdx[g] {
			cc := &f.groups[g].Columns[c]
			cc.OffsetIndexOffset = out.n
			if err := enc.Encode(&f.offIdx[g][c]); err != nil {
				return err
			}
			cc.OffsetIndexLength = int32(out.n - cc.OffsetIndexOffset)
		}
	}
	var rows int64
	for _, g := range f.groups {
		rows += g.NumRows
	}
	md := format.FileMetaData{
		Version:          2,
		Schema:           f.schema,
		NumRows:          rows,
		RowGroups:        f.groups,
		KeyValueMetadata: f.kv,
		CreatedBy:        f.createdBy,
		ColumnOrders:     f.orders,
	}
	start := out.n
	if err := enc.Encode(&md); err != nil {
		return err
	}
	var tail [8]byte
	binary.LittleEndian.PutUint32(tail[:4], uint32(out.n-start))
	copy(tail[4:], "PAR1")
	_, err := out.Write(tail[:])
	return err
}

// flatGroup encodes one row group: its columns' pages, in memory until written.
type flatGroup struct {
	cols []flatCol
	rows int64
}

// write encodes the rows of batch.
func (g *flatGroup) write(batch arrow.RecordBatch) error {
	n := int(batch.NumRows())
	for i := range g.cols {
		if err := g.cols[i].write(batch.Column(i), n); err != nil {
			return fmt.Errorf("column %q: %w", g.cols[i].c.field.Name, err)
		}
	}
	g.rows += int64(n)
	return nil
}

// writeRefs encodes the rows refs name of srcs (see Writer.WriteRows).
func (g *flatGroup) writeRefs(srcs []arrow.RecordBatch, refs []take.Ref) error {
	arrs := make([]arrow.Array, len(srcs))
	for i := range g.cols {
		for k, b := range srcs {
			arrs[k] = nil
			if b != nil {
				arrs[k] = b.Column(i)
			}
		}
		if err := g.cols[i].writeRefs(arrs, refs); err != nil {
			return fmt.Errorf("column %q: %w", g.cols[i].c.field.Name, err)
		}
	}
	g.rows += int64(len(refs))
	return nil
}

// release returns the group's page blocks to blockPool; the group is not used again.
func (g *flatGroup) release() {
	for i := range g.cols {
		g.cols[i].buf.release()
	}
}

// finish flushes the last page of every column.
func (g *flatGroup) finish() error {
	for i := range g.cols {
		if err := g.cols[i].flush(); err != nil {
			return fmt.Errorf("column %q: %w", g.cols[i].c.field.Name, err)
		}
	}
	return nil
}

// flatCol encodes one column chunk.
type flatCol struct {
	c          *column
	path       []string
	codec      compress.Codec
	compressed bool
	limit      int             // a page is cut when its PLAIN values take this many bytes
	encoding   format.Encoding // of the values in the pages (delta.go)

	// The page being filled.
	vals   []byte // PLAIN values
	defs   []byte // definition levels, one per row, once the page has a null
	rows   int
	nulls  int
	unenc  int64 // byte array bytes
	has    bool  // the page has a non-null value: min/max below are set
	minI   int64 // integer and boolean bounds; float bounds as the bits of the value
	maxI   int64
	num    bool // a float page has a number (not NaN): minF/maxF are set
	minF   float64
	maxF   float64
	bits   int    // boolean values in vals (bit-packed)
	minB   []byte // owned copies
	maxB   []byte
	minRef []byte // bounds within the current batch, not yet in minB/maxB
	maxRef []byte
	hasRef bool

	// The chunk.
	buf      blocks // encoded pages
	locs     []format.PageLocation
	nullPgs  []bool
	nullCnts []int64
	pgMin    [][]byte
	pgMax    [][]byte
	meta     format.ColumnMetaData
	chunkHas bool
	chunkNaN bool // the chunk's bounds are a NaN of a page of only NaN
	firstRow int64
	nans     int64 // float NaNs in the chunk

	// Scratch.
	hdr   bytes.Buffer
	enc   *thrift.Encoder
	lev   []byte
	comp  []byte
	encd  []byte    // the page's values in encoding
	delta deltaPage // a DELTA_BYTE_ARRAY page's values (delta.go)
	dsize int       // bytes the values in delta would take PLAIN
	bnd   [2][8]byte
	srcs  []byteSrc // writeBytesRefs's sources
}

func (fc *flatCol) reset() {
	fc.vals, fc.defs = fc.vals[:0], fc.defs[:0]
	fc.delta.reset()
	fc.dsize = 0
	fc.rows, fc.nulls, fc.unenc, fc.has, fc.hasRef = 0, 0, 0, false, false
	fc.num, fc.bits, fc.nans = false, 0, 0
	fc.buf.reset()
	fc.locs = fc.locs[:0]
	fc.nullPgs, fc.nullCnts = fc.nullPgs[:0], fc.nullCnts[:0]
	fc.pgMin, fc.pgMax = nil, nil
	encs := []format.Encoding{fc.encoding}
	if fc.c.field.Nullable {
		encs = append(encs, format.RLE)
	}
	fc.meta = format.ColumnMetaData{
		Type:         format.Type(fc.c.kind),
		Encoding:     encs,
		PathInSchema: fc.path,
		Codec:        fc.codec.CompressionCodec(),
	}
	fc.chunkHas, fc.chunkNaN = false, false
	fc.firstRow = 0
}

// null adds a null row to the page.
func (fc *flatCol) null() {
	if fc.nulls == 0 {
		for range fc.rows {
			fc.defs = append(fc.defs, 1)
		}
	}
	fc.defs = append(fc.defs, 0)
	fc.nulls++
	fc.rows++
}

// valid records a non-null row of the page.
func (fc *flatCol) valid() {
	if fc.nulls > 0 {
		fc.defs = append(fc.defs, 1)
	}
	fc.rows++
}

func (fc *flatCol) write(arr arrow.Array, n int) error {
	nulls := arr.NullN() > 0
	switch a := arr.(type) {
	case *array.Int8:
		return writeInts(fc, a.Int8Values(), arr, nulls, n, 4)
	case *array.Int16:
		return writeInts(fc, a.Int16Values(), arr, nulls, n, 4)
	case *array.Int32:
		return writeInts(fc, a.Int32Values(), arr, nulls, n, 4)
	case *array.Date32:
		return writeInts(fc, a.Date32Values(), arr, nulls, n, 4)
	case *array.Int64:
		return writeInts(fc, a.Int64Values(), arr, nulls, n, 8)
	case *array.Timestamp:
		return writeInts(fc, a.TimestampValues(), arr, nulls, n, 8)
	case *array.Decimal128:
		width := 8
		if fc.c.kind == pq.Int32 {
			width = 4
		}
		return writeDecimals(fc, a.Values(), arr, nulls, n, width)
	case *array.Float32:
		return writeFloats(fc, a.Float32Values(), arr, nulls, n, 4)
	case *array.Float64:
		return writeFloats(fc, a.Float64Values(), arr, nulls, n, 8)
	case *array.Boolean:
		return fc.writeBools(a, nulls, n)
	case *array.String:
		return fc.writeBytes(a.ValueOffsets(), a.ValueBytes(), arr, nulls, n)
	case *array.Binary:
		return fc.writeBytes(a.ValueOffsets(), a.ValueBytes(), arr, nulls, n)
	}
	return fmt.Errorf("%w: %s", ErrUnsupportedType, arr.DataType())
}

// boundInt widens the page's integer bounds to hold v.
func (fc *flatCol) boundInt(v int64) {
	if !fc.has {
		fc.has, fc.minI, fc.maxI = true, v, v
	} else if v < fc.minI {
		fc.minI = v
	} else if v > fc.maxI {
		fc.maxI = v
	}
}

// appendInt appends v PLAIN-encoded in width (4 or 8) bytes.
func (fc *flatCol) appendInt(v int64, width int) {
	if width == 4 {
		fc.vals = binary.LittleEndian.AppendUint32(fc.vals, uint32(int32(v)))
	} else {
		fc.vals = binary.LittleEndian.AppendUint64(fc.vals, uint64(v))
	}
}

// flushFull flushes the page once its values reach the page limit.
func (fc *flatCol) flushFull() error {
	if len(fc.vals)+fc.dsize < fc.limit {
		return nil
	}
	return fc.flush()
}

type integer interface {
	~int8 | ~int16 | ~int32 | ~int64
}

func writeInts[T integer](fc *flatCol, vs []T, arr arrow.Array, nulls bool, n, width int) error {
	for j := 0; j < n; j++ {
		if nulls && arr.IsNull(j) {
			fc.null()
			continue
		}
		v := int64(vs[j])
		fc.boundInt(v)
		fc.appendInt(v, width)
		fc.valid()
		if err := fc.flushFull(); err != nil {
			return err
		}
	}
	return nil
}

// writeDecimals writes decimals of up to 18 digits as integers (their low 64 bits).
func writeDecimals(fc *flatCol, vs []decimal128.Num, arr arrow.Array, nulls bool, n, width int) error {
	for j := 0; j < n; j++ {
		if nulls && arr.IsNull(j) {
			fc.null()
			continue
		}
		v := int64(vs[j].LowBits())
		if width == 4 {
			v = int64(int32(v))
		}
		fc.boundInt(v)
		fc.appendInt(v, width)
		fc.valid()
		if err := fc.flushFull(); err != nil {
			return err
		}
	}
	return nil
}

func writeFloats[T float32 | float64](fc *flatCol, vs []T, arr arrow.Array, nulls bool, n, width int) error {
	for j := 0; j < n; j++ {
		if nulls && arr.IsNull(j) {
			fc.null()
			continue
		}
		v := vs[j]
		var bits uint64
		if width == 4 {
			bits = uint64(math.Float32bits(float32(v)))
			fc.vals = binary.LittleEndian.AppendUint32(fc.vals, uint32(bits))
		} else {
			bits = math.Float64bits(float64(v))
			fc.vals = binary.LittleEndian.AppendUint64(fc.vals, bits)
		}
		if v != v {
			fc.nans++
			if !fc.has {
				// The bounds of a page of only NaN: its first value.
				fc.has, fc.minI, fc.maxI = true, int64(bits), int64(bits)
			}
		} else {
			f := float64(v)
			fc.has = true
			if !fc.num {
				fc.num, fc.minF, fc.maxF = true, f, f
			} else if f < fc.minF {
				fc.minF = f
			} else if f > fc.maxF {
				fc.maxF = f
			}
		}
		fc.valid()
		if err := fc.flushFull(); err != nil {
			return err
		}
	}
	return nil
}

// writeBools bit-packs booleans, least significant bit first (PLAIN).
func (fc *flatCol) writeBools(a *array.Boolean, nulls bool, n int) error {
	for j := 0; j < n; j++ {
		if nulls && a.IsNull(j) {
			fc.null()
			continue
		}
		var v int64
		if fc.bits&7 == 0 {
			fc.vals = append(fc.vals, 0)
		}
		if a.Value(j) {
			v = 1
			fc.vals[len(fc.vals)-1] |= 1 << (fc.bits & 7)
		}
		fc.bits++
		fc.boundInt(v)
		fc.valid()
		if err := fc.flushFull(); err != nil {
			return err
		}
	}
	return nil
}

func (fc *flatCol) writeBytes(offs []int32, data []byte, arr arrow.Array, nulls bool, n int) error {
	// ValueBytes starts at the first value's offset, which a slice need not have at 0.
	base := offs[0]
	for j := 0; j < n; j++ {
		if nulls && arr.IsNull(j) {
			fc.null()
			continue
		}
		if err := fc.addBytes(data[offs[j]-base : offs[j+1]-base]); err != nil {
			return err
		}
	}
	// The batch's buffers are released after this call: keep copies of its bounds and of
	// the value the next one's prefix is taken from.
	fc.foldRefs()
	fc.delta.keep()
	return nil
}

// addBytes adds one non-null byte-array value v to the page, which keeps v (not a copy)
// until foldRefs; it flushes the page when full.
func (fc *flatCol) addBytes(v []byte) error {
	// The max first: a value above it is not below the min, so a sorted column (the row key
	// of a compaction's output) costs one comparison a value.
	if !fc.hasRef {
		fc.hasRef, fc.minRef, fc.maxRef = true, v, v
	} else if c := bytes.Compare(v, fc.maxRef); c > 0 {
		fc.maxRef = v
	} else if c < 0 && bytes.Compare(v, fc.minRef) < 0 {
		fc.minRef = v
	}
	if fc.encoding == format.DeltaByteArray {
		// Delta-encoded as it comes; dsize is what PLAIN would take.
		fc.delta.add(v)
		fc.dsize += 4 + len(v)
	} else {
		fc.vals = binary.LittleEndian.AppendUint32(fc.vals, uint32(len(v)))
		fc.vals = append(fc.vals, v...)
	}
	fc.unenc += int64(len(v))
	fc.valid()
	return fc.flushFull()
}

// writeRefs encodes the rows refs name of srcs. Byte arrays are encoded from the sources;
// other columns are copied into one array first.
func (fc *flatCol) writeRefs(srcs []arrow.Array, refs []take.Ref) error {
	switch fc.c.field.Type.ID() {
	case arrow.STRING, arrow.BINARY:
		return fc.writeBytesRefs(srcs, refs)
	case arrow.INT8:
		return writeIntsRefs(fc, srcs, refs, 4, func(a arrow.Array) []int8 { return a.(*array.Int8).Int8Values() })
	case arrow.INT16:
		return writeIntsRefs(fc, srcs, refs, 4, func(a arrow.Array) []int16 { return a.(*array.Int16).Int16Values() })
	case arrow.INT32:
		return writeIntsRefs(fc, srcs, refs, 4, func(a arrow.Array) []int32 { return a.(*array.Int32).Int32Values() })
	case arrow.DATE32:
		return writeIntsRefs(fc, srcs, refs, 4, func(a arrow.Array) []arrow.Date32 { return a.(*array.Date32).Date32Values() })
	case arrow.INT64:
		return writeIntsRefs(fc, srcs, refs, 8, func(a arrow.Array) []int64 { return a.(*array.Int64).Int64Values() })
	case arrow.TIMESTAMP:
		return writeIntsRefs(fc, srcs, refs, 8, func(a arrow.Array) []arrow.Timestamp { return a.(*array.Timestamp).TimestampValues() })
	}
	a, err := take.Rows(memory.DefaultAllocator, fc.c.field.Type, srcs, refs)
	if err != nil {
		return err
	}
	defer a.Release()
	return fc.write(a, len(refs))
}

// writeIntsRefs is writeInts of the rows refs name of srcs.
func writeIntsRefs[T integer](fc *flatCol, srcs []arrow.Array, refs []take.Ref, width int, values func(arrow.Array) []T) error {
	vs := make([][]T, len(srcs))
	nulls := make([]bool, len(srcs))
	for i, s := range srcs {
		if s != nil {
			vs[i], nulls[i] = values(s), s.NullN() > 0
		}
	}
	for _, r := range refs {
		if nulls[r.Src] && srcs[r.Src].IsNull(int(r.Row)) {
			fc.null()
			continue
		}
		v := int64(vs[r.Src][r.Row])
		fc.boundInt(v)
		fc.appendInt(v, width)
		fc.valid()
		if err := fc.flushFull(); err != nil {
			return err
		}
	}
	return nil
}

// byteSrc is a byte array source of writeBytesRefs.
type byteSrc struct {
	offs  []int32
	data  []byte
	arr   arrow.Array
	nulls bool
}

// writeBytesRefs is writeBytes of the rows refs name of srcs.
func (fc *flatCol) writeBytesRefs(srcs []arrow.Array, refs []take.Ref) error {
	bs := fc.srcs[:0]
	for _, s := range srcs {
		var b byteSrc
		if s != nil {
			d := s.Data()
			b = byteSrc{offs: arrow.GetOffsets[int32](d, 1), arr: s, nulls: s.NullN() > 0}
			if buf := d.Buffers()[2]; buf != nil {
				b.data = buf.Bytes()
			}
		}
		bs = append(bs, b)
	}
	fc.srcs = bs
	defer clear(bs)
	for _, r := range refs {
		s := &bs[r.Src]
		if s.nulls && s.arr.IsNull(int(r.Row)) {
			fc.null()
			continue
		}
		if err := fc.addBytes(s.data[s.offs[r.Row]:s.offs[r.Row+1]]); err != nil {
			return err
		}
	}
	fc.foldRefs()
	fc.delta.keep()
	return nil
}

// foldRefs folds the bounds found in the current batch into the page's owned bounds.
func (fc *flatCol) foldRefs() {
	if !fc.hasRef {
		return
	}
	fc.hasRef = false
	if !fc.has {
		fc.has = true
		fc.minB = setBytes(fc.minB, fc.minRef)
		fc.maxB = setBytes(fc.maxB, fc.maxRef)
		return
	}
	if bytes.Compare(fc.minRef, fc.minB) < 0 {
		fc.minB = setBytes(fc.minB, fc.minRef)
	}
	if bytes.Compare(fc.maxRef, fc.maxB) > 0 {
		fc.maxB = setBytes(fc.maxB, fc.maxRef)
	}
}

// setBytes copies src into dst's memory; an empty value is not nil (a nil bound is
// omitted from the footer, an empty one is the empty string).
func setBytes(dst, src []byte) []byte {
	if dst == nil {
		dst = make([]byte, 0, max(len(src), 16))
	}
	return append(dst[:0], src...)
}

// bounds returns the page's min and max as statistics bytes (valid until the next page).
func (fc *flatCol) bounds() (lo, hi []byte) {
	switch fc.c.kind {
	case pq.Boolean:
		fc.bnd[0][0], fc.bnd[1][0] = byte(fc.minI), byte(fc.maxI)
		return fc.bnd[0][:1], fc.bnd[1][:1]
	case pq.Float:
		lo, hi := uint32(fc.minI), uint32(fc.maxI)
		if fc.num {
			lo, hi = math.Float32bits(float32(fc.minF)), math.Float32bits(float32(fc.maxF))
		}
		binary.LittleEndian.PutUint32(fc.bnd[0][:4], lo)
		binary.LittleEndian.PutUint32(fc.bnd[1][:4], hi)
		return fc.bnd[0][:4], fc.bnd[1][:4]
	case pq.Double:
		lo, hi := uint64(fc.minI), uint64(fc.maxI)
		if fc.num {
			lo, hi = math.Float64bits(fc.minF), math.Float64bits(fc.maxF)
		}
		binary.LittleEndian.PutUint64(fc.bnd[0][:], lo)
		binary.LittleEndian.PutUint64(fc.bnd[1][:], hi)
		return fc.bnd[0][:], fc.bnd[1][:]
	case pq.Int32:
		binary.LittleEndian.PutUint32(fc.bnd[0][:4], uint32(int32(fc.minI)))
		binary.LittleEndian.PutUint32(fc.bnd[1][:4], uint32(int32(fc.maxI)))
		return fc.bnd[0][:4], fc.bnd[1][:4]
	case pq.Int64:
		binary.LittleEndian.PutUint64(fc.bnd[0][:], uint64(fc.minI))
		binary.LittleEndian.PutUint64(fc.bnd[1][:], uint64(fc.maxI))
		return fc.bnd[0][:], fc.bnd[1][:]
	}
	return fc.minB, fc.maxB
}

// flush writes the page being filled, if it has rows.
func (fc *flatCol) flush() error {
	fc.foldRefs()
	if fc.rows == 0 {
		return nil
	}
	// Definition levels: one RLE run of 1s when the page has no null.
	lev := fc.lev[:0]
	if fc.c.field.Nullable {
		if fc.nulls == 0 {
			lev = binary.AppendUvarint(lev, uint64(fc.rows)<<1)
			lev = append(lev, 1)
		} else {
			var err error
			lev, err = (&rle.Encoding{BitWidth: 1}).EncodeLevels(lev, fc.defs)
			if err != nil {
				return err
			}
		}
	}
	fc.lev = lev
	vals := fc.vals
	if fc.encoding != format.Plain {
		var err error
		if fc.encoding == format.DeltaByteArray && fc.c.kind == pq.ByteArray {
			fc.encd = fc.delta.appendTo(fc.encd[:0])
		} else if fc.encd, err = encodePage(fc.encd[:0], fc.vals, fc.c.kind, fc.encoding, nil, nil); err != nil {
			return err
		}
		vals = fc.encd
	}
	body := vals
	if fc.compressed {
		var err error
		fc.comp, err = fc.codec.Encode(fc.comp[:0], vals)
		if err != nil {
			return fmt.Errorf("compressing parquet data page: %w", err)
		}
		body = fc.comp
	}
	crc := crc32.Update(crc32.ChecksumIEEE(lev), crc32.IEEETable, body)

	var st format.Statistics
	st.NullCount = int64(fc.nulls)
	var lo, hi []byte
	if fc.has {
		lo, hi = fc.bounds()
		st.MinValue, st.MaxValue = lo, hi
	}
	h := format.PageHeader{
		Type:                 format.DataPageV2,
		UncompressedPageSize: int32(len(lev) + len(vals)),
		CompressedPageSize:   int32(len(lev) + len(body)),
		CRC:                  int32(crc),
		DataPageHeaderV2: thrift.New(format.DataPageHeaderV2{
			NumValues:                  int32(fc.rows),
			NumNulls:                   int32(fc.nulls),
			NumRows:                    int32(fc.rows),
			Encoding:                   fc.encoding,
			DefinitionLevelsByteLength: int32(len(lev)),
			IsCompressed:               thrift.New(fc.compressed),
			Statistics:                 st,
		}),
	}
	fc.hdr.Reset()
	if err := fc.enc.Encode(&h); err != nil {
		return err
	}
	hl := int64(fc.hdr.Len())
	fc.locs = append(fc.locs, format.PageLocation{
		Offset:             fc.buf.n,
		CompressedPageSize: int32(hl) + h.CompressedPageSize,
		FirstRowIndex:      fc.firstRow,
	})
	fc.buf.append(fc.hdr.Bytes())
	fc.buf.append(lev)
	fc.buf.append(body)

	// Column index and chunk statistics.
	fc.nullPgs = append(fc.nullPgs, !fc.has)
	fc.nullCnts = append(fc.nullCnts, int64(fc.nulls))
	if fc.has {
		fc.pgMin = append(fc.pgMin, setBytes(nil, lo))
		fc.pgMax = append(fc.pgMax, setBytes(nil, hi))
		cs := &fc.meta.Statistics
		float := fc.c.kind == pq.Float || fc.c.kind == pq.Double
		switch {
		case float && !fc.num:
			// A page of only NaN bounds the chunk only until a page has a number.
			if !fc.chunkHas {
				cs.MinValue, cs.MaxValue = setBytes(nil, lo), setBytes(nil, hi)
				fc.chunkHas, fc.chunkNaN = true, true
			}
		case !fc.chunkHas || fc.chunkNaN:
			cs.MinValue, cs.MaxValue = setBytes(nil, lo), setBytes(nil, hi)
			fc.chunkHas, fc.chunkNaN = true, false
		default:
			if fc.less(lo, cs.MinValue) {
				cs.MinValue = setBytes(nil, lo)
			}
			if fc.less(cs.MaxValue, hi) {
				cs.MaxValue = setBytes(nil, hi)
			}
		}
	} else {
		fc.pgMin = append(fc.pgMin, []byte{})
		fc.pgMax = append(fc.pgMax, []byte{})
	}
	fc.meta.Statistics.NullCount += int64(fc.nulls)
	fc.meta.NumValues += int64(fc.rows)
	fc.meta.TotalUncompressedSize += hl + int64(h.UncompressedPageSize)
	fc.meta.TotalCompressedSize += hl + int64(h.CompressedPageSize)
	if fc.c.kind == pq.ByteArray {
		fc.meta.SizeStatistics.UnencodedByteArrayDataBytes += fc.unenc
	}

	fc.firstRow += int64(fc.rows)
	fc.vals, fc.defs = fc.vals[:0], fc.defs[:0]
	fc.delta.reset()
	fc.dsize = 0
	fc.rows, fc.nulls, fc.unenc, fc.has, fc.num, fc.bits = 0, 0, 0, false, false, 0
	return nil
}

// less compares two statistics values of the column (floats as parquet-go does: false when
// either is NaN).
func (fc *flatCol) less(a, b []byte) bool {
	switch fc.c.kind {
	case pq.Boolean:
		return a[0] < b[0]
	case pq.Float:
		return math.Float32frombits(binary.LittleEndian.Uint32(a)) < math.Float32frombits(binary.LittleEndian.Uint32(b))
	case pq.Double:
		return math.Float64frombits(binary.LittleEndian.Uint64(a)) < math.Float64frombits(binary.LittleEndian.Uint64(b))
	case pq.Int32:
		return int32(binary.LittleEndian.Uint32(a)) < int32(binary.LittleEndian.Uint32(b))
	case pq.Int64:
		return int64(binary.LittleEndian.Uint64(a)) < int64(binary.LittleEndian.Uint64(b))
	}
	return bytes.Compare(a, b) < 0
}

// columnIndex returns the chunk's column index.
func (fc *flatCol) columnIndex() format.ColumnIndex {
	mins, maxs := fc.pgMin, fc.pgMax
	if fc.c.kind == pq.ByteArray {
		for p := range mins {
			if len(mins[p]) > columnIndexLimit {
				mins[p] = mins[p][:columnIndexLimit]
			}
			if len(maxs[p]) > columnIndexLimit {
				m := maxs[p][:columnIndexLimit]
				incrementBytes(m)
				maxs[p] = m
			}
		}
	}
	asc, desc := true, true
	prev := -1
	for p := range mins {
		if fc.nullPgs[p] {
			continue
		}
		if fc.isNaN(mins[p]) || fc.isNaN(maxs[p]) {
			// NaN is not ordered among numbers.
			asc, desc = false, false
			break
		}
		if prev >= 0 {
			if fc.less(mins[p], mins[prev]) || fc.less(maxs[p], maxs[prev]) {
				asc = false
			}
			if fc.less(mins[prev], mins[p]) || fc.less(maxs[prev], maxs[p]) {
				desc = false
			}
		}
		prev = p
	}
	order := format.Unordered
	switch {
	case asc:
		order = format.Ascending
	case desc:
		order = format.Descending
	}
	return format.ColumnIndex{
		NullPages:     append([]bool(nil), fc.nullPgs...),
		MinValues:     mins,
		MaxValues:     maxs,
		BoundaryOrder: order,
		NullCounts:    append([]int64(nil), fc.nullCnts...),
	}
}

// incrementBytes adds 1 to a big-endian byte string in place; all 0xff stays all 0xff
// (readers treat such a bound as unknown).
func incrementBytes(b []byte) {
	for i := len(b) - 1; i >= 0; i-- {
		b[i]++
		if b[i] != 0 {
			return
		}
	}
	for i := range b {
		b[i] = 0xff
	}
}

// isNaN reports whether a statistics value of a float column is NaN.
func (fc *flatCol) isNaN(b []byte) bool {
	switch fc.c.kind {
	case pq.Float:
		f := math.Float32frombits(binary.LittleEndian.Uint32(b))
		return f != f
	case pq.Double:
		return math.IsNaN(math.Float64frombits(binary.LittleEndian.Uint64(b)))
	}
	return false
}

// blocks holds a column chunk's encoded pages in blocks that are filled in turn and never
// copied as the chunk grows; a row group's blocks are reused by the next.
type blocks struct {
	blocks [][]byte
	next   int   // blocks[next] is being filled
	n      int64 // bytes held
}

const (
	minBlock = 8 << 10
	maxBlock = 1 << 20
)

// blockPool holds blocks of maxBlock bytes between files.
var blockPool sync.Pool

func (b *blocks) reset() {
	for i := range b.blocks {
		b.blocks[i] = b.blocks[i][:0]
	}
	b.next, b.n = 0, 0
}

func (b *blocks) append(p []byte) {
	b.n += int64(len(p))
	for len(p) > 0 {
		if b.next == len(b.blocks) {
			size := minBlock
			if b.next > 0 {
				size = min(2*cap(b.blocks[b.next-1]), maxBlock)
			}
			var blk []byte
			if size == maxBlock {
				if v, ok := blockPool.Get().(*[]byte); ok {
					blk = (*v)[:0]
				}
			}
			if blk == nil {
				blk = make([]byte, 0, size)
			}
			b.blocks = append(b.blocks, blk)
		}
		blk := b.blocks[b.next]
		k := min(cap(blk)-len(blk), len(p))
		b.blocks[b.next] = append(blk, p[:k]...)
		p = p[k:]
		if len(p) > 0 {
			b.next++
		}
	}
}

// release returns the full-size blocks to blockPool.
func (b *blocks) release() {
	for _, blk := range b.blocks {
		if cap(blk) == maxBlock {
			blk = blk[:0]
			blockPool.Put(&blk)
		}
	}
	b.blocks, b.next, b.n = nil, 0, 0
}
