package parquet

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	pq "github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

// File is an open Parquet file. Opening reads only the footer; column data is read by Readers.
// A File is safe for concurrent use if its io.ReaderAt is.
type File struct {
	f      *pq.File
	schema *arrow.Schema
	cols   []column
	leaves []*pq.Column // the leaf of each column
	tops   []*pq.Column // each column: its leaf, or the LIST, struct or MAP group holding it
	// nestedLeaves are the leaves of each struct or map column (nil for the others); first
	// is each column's first leaf, nleaves the file's leaves.
	nestedLeaves [][]*pq.Column
	first        []int
	nleaves      int
	groups       []RowGroup

	// pages[g*len(cols)+c] are the decoded page statistics of column c in row group g, filled
	// on first use; nil when the file was opened without its page index.
	pages []atomic.Pointer[[]PageStats]

	// chunks, if set, serves the stored bytes of column chunks to every Reader of the file.
	chunks ChunkCache
	// spanRows[g*len(cols)+c] counts the rows that reads of spans narrowed by the page index
	// have decoded from column c of row group g without the chunk cache since it was last
	// decoded whole, and admits[...] how often it has been (see admit).
	spanRows []atomic.Int64
	admits   []atomic.Int32
	// increasing[g*len(cols)+c] remembers whether column c of row group g holds int64 values
	// without NULLs, each greater than the one before (see Reader.Increasing): 0 not known
	// yet, 1 it does, 2 it does not.
	increasing []atomic.Int32

	// readSchemas are the output columns and schemas of recent Reads, reused by Reads of
	// the same columns (a table's lookups ask for the same ones each time), replaced in
	// turn from nextSchema; see readSchema.
	readSchemas [4]atomic.Pointer[readSchema]
	nextSchema  atomic.Uint32
}

// readSchema is the schema of a Read of columns cols (all columns when all is set). Both are
// shared by the Readers that use it and never modified.
type readSchema struct {
	all    bool
	cols   []int
	schema *arrow.Schema
}

// readSchemaOf returns the output columns and schema of a Read of cols (nil for all), from
// the ones kept for recent Reads or built and kept.
func (f *File) readSchemaOf(cols []int) (*readSchema, error) {
	all := cols == nil
	for i := range f.readSchemas {
		if rs := f.readSchemas[i].Load(); rs != nil && rs.all == all && slices.Equal(rs.cols, cols) {
			return rs, nil
		}
	}
	rs := &readSchema{all: all}
	if all {
		rs.cols = make([]int, len(f.cols))
		for i := range rs.cols {
			rs.cols[i] = i
		}
	} else {
		rs.cols = slices.Clone(cols)
	}
	fields := make([]arrow.Field, len(rs.cols))
	for i, c := range rs.cols {
		if c < 0 || c >= len(f.cols) {
			return nil, fmt.Errorf("%w: column index %d out of range [0, %d)", ErrInvalidProperties, c, len(f.cols))
		}
		fields[i] = f.schema.Field(c)
	}
	md := f.schema.Metadata()
	rs.schema = arrow.NewSchema(fields, &md)
	f.readSchemas[(f.nextSchema.Add(1)-1)%uint32(len(f.readSchemas))].Store(rs)
	return rs, nil
}

// RowGroup describes one row group of a file.
type RowGroup struct {
	Rows    int64
	Columns []ColumnStats // in Schema() order
}

// ColumnStats are the statistics of one column chunk.
//
// Min and Max are Go values by Arrow type: int64 for every integer type, date32 and timestamp;
// float64 for float32 and float64; string for string; []byte for binary; bool for bool;
// decimal128.Num for decimal128. HasMinMax is false when the file holds no statistics, the
// chunk has only nulls, or the recorded bounds cannot be trusted (NaN floats, a decimal order
// that disagrees with signed comparison); then Min and Max are nil.
//
// Float bounds cover the chunk's numbers only: Parquet statistics leave NaN out. MayHoldNaN is
// true for a float chunk unless the file records (under NaNCountsKey) that it holds no NaN,
// and then Max does not bound the chunk: NaN sorts above every number, Infinity included, in
// PostgreSQL's order. -0 and +0 compare equal, so either may stand for both in the bounds.
type ColumnStats struct {
	HasMinMax  bool
	Min, Max   any
	NullCount  int64
	MayHoldNaN bool
}

// OpenOption is an option of Open.
type OpenOption func(*openConfig)

type openConfig struct{ pageIndex bool }

// WithPageIndex makes Open also read the file's page index (the column and offset indexes,
// stored before the footer), which Pages and ReadOptions.Spans use to read only the pages
// that hold the rows wanted.
func WithPageIndex() OpenOption { return func(c *openConfig) { c.pageIndex = true } }

// Open opens the Parquet file of the given size read through r. It reads the 4-byte header, the
// 8-byte trailer and the footer, and with WithPageIndex the page index; nothing else.
func Open(r io.ReaderAt, size int64, opts ...OpenOption) (*File, error) {
	var cfg openConfig
	for _, o := range opts {
		o(&cfg)
	}
	pf, err := pq.OpenFile(r, size,
		pq.SkipPageIndex(!cfg.pageIndex),
		pq.SkipBloomFilters(true),
		// Not OptimisticRead: it reads ReadBufferSize bytes of the tail, mostly column data.
		pq.ReadBufferSize(256<<10),
	)
	if err != nil {
		return nil, fmt.Errorf("opening parquet file: %w", err)
	}
	f := &File{f: pf}
	root := pf.Root()
	for _, c := range root.Columns() {
		if err := f.addColumn(c); err != nil {
			return nil, fmt.Errorf("opening parquet file: %w", err)
		}
	}
	if err := f.initSchema(); err != nil {
		return nil, fmt.Errorf("opening parquet file: %w", err)
	}
	f.initStats()
	if n := len(f.groups) * f.nleaves; cfg.pageIndex && n > 0 && len(pf.ColumnIndexes()) == n && len(pf.OffsetIndexes()) == n {
		f.pages = make([]atomic.Pointer[[]PageStats], n)
	}
	return f, nil
}

// initSchema takes the Arrow schema from the ARROW:schema key when it matches the Parquet
// columns, and otherwise maps the Parquet schema.
func (f *File) initSchema() error {
	if v, ok := f.f.Lookup(arrowSchemaKey); ok {
		if s, err := decodeArrowSchema(v); err == nil && f.matches(s) {
			f.schema = s
		}
	}
	if f.schema == nil {
		fields := make([]arrow.Field, len(f.leaves))
		for i, c := range f.leaves {
			top := f.tops[i]
			if f.nestedLeaves[i] != nil {
				t, err := nestedArrowType(top)
				if err != nil {
					return err
				}
				t = nestedLogical(t, top)
				fields[i] = arrow.Field{Name: top.Name(), Type: t, Nullable: top.Optional()}
				continue
			}
			t, err := arrowTypeOf(c)
			if err != nil {
				return err
			}
			if c.MaxRepetitionLevel() > 0 {
				t = arrow.ListOfField(arrow.Field{Name: "element", Type: t, Nullable: c.Optional(), Metadata: logicalMetadata(c)})
			}
			fields[i] = arrow.Field{Name: top.Name(), Type: t, Nullable: top.Optional(), Metadata: logicalMetadata(c)}
		}
		f.schema = arrow.NewSchema(fields, nil)
	}
	f.cols = make([]column, len(f.leaves))
	for i, c := range f.leaves {
		f.cols[i] = column{field: f.schema.Field(i), kind: c.Type().Kind(), size: c.Type().Length(), leaf: f.first[i]}
		if ls := f.nestedLeaves[i]; ls != nil {
			nc, err := nestedColOfFile(f.cols[i].field, f.tops[i], ls)
			if err != nil {
				return err
			}
			f.cols[i].nested, f.cols[i].kind, f.cols[i].size = nc, 0, 0
			continue
		}
		if c.MaxRepetitionLevel() > 0 {
			f.cols[i].list = levelsOf(c)
		}
	}
	return nil
}

func (f *File) matches(s *arrow.Schema) bool {
	if s.NumFields() != len(f.leaves) {
		return false
	}
	for i, c := range f.leaves {
		fd, top := s.Field(i), f.tops[i]
		if ls := f.nestedLeaves[i]; ls != nil {
			if _, err := nestedColOfFile(fd, top, ls); err != nil || fd.Name != top.Name() {
				return false
			}
			continue
		}
		t := fd.Type
		if lt, ok := t.(*arrow.ListType); ok {
			if c.MaxRepetitionLevel() == 0 {
				return false
			}
			t = lt.Elem()
			if c.Optional() && !lt.ElemField().Nullable {
				return false
			}
		} else if c.MaxRepetitionLevel() > 0 {
			return false
		}
		if fd.Name != top.Name() || (top.Optional() && !fd.Nullable) || !compatible(t, c.Type().Kind(), c.Type().Length()) {
			return false
		}
	}
	return true
}

// Schema returns the Arrow schema of the file: the one written, or a mapping of the Parquet
// schema for files written without one.
func (f *File) Schema() *arrow.Schema { return f.schema }

// NumRows returns the number of rows in the file.
func (f *File) NumRows() int64 { return f.f.NumRows() }

// KeyValue returns the footer value of key.
func (f *File) KeyValue(key string) (string, bool) { return f.f.Lookup(key) }

// RowGroups returns the row groups of the file with their statistics. The slice is shared and
// must not be modified.
func (f *File) RowGroups() []RowGroup { return f.groups }

func (f *File) initStats() {
	md := f.f.Metadata()
	nans := f.nanCounts(len(md.RowGroups))
	f.groups = make([]RowGroup, len(md.RowGroups))
	for g := range md.RowGroups {
		rg := &md.RowGroups[g]
		out := RowGroup{Rows: rg.NumRows, Columns: make([]ColumnStats, len(f.cols))}
		for i := range f.cols {
			if f.cols[i].leaf >= len(rg.Columns) {
				continue
			}
			c := &f.cols[i]
			if c.list != nil || c.nested != nil {
				// The leaf's bounds and null count are of the elements, not of the rows.
				continue
			}
			out.Columns[i] = statsOf(c, &rg.Columns[c.leaf].MetaData.Statistics)
			if c.kind != pq.Float && c.kind != pq.Double {
				continue
			}
			counts, recorded := nans[c.field.Name]
			if recorded && counts[g] == 0 {
				continue
			}
			out.Columns[i].MayHoldNaN = true
			if dictionaryEncoded(&rg.Columns[c.leaf].MetaData) {
				// parquet-go's bounds of dictionary-encoded floats are wrong when NaN is among
				// the values (a NaN can hide the true min or max), unlike its bounds of plain
				// pages, which skip NaN.
				out.Columns[i].HasMinMax, out.Columns[i].Min, out.Columns[i].Max = false, nil, nil
			}
		}
		f.groups[g] = out
	}
}

// nanCounts decodes the NaNCountsKey record: the NaN count of each row group by float column
// name. Columns without a count for every one of the file's groups are left out.
func (f *File) nanCounts(groups int) map[string][]int64 {
	v, ok := f.f.Lookup(NaNCountsKey)
	if !ok {
		return nil
	}
	var m map[string][]int64
	if json.Unmarshal([]byte(v), &m) != nil {
		return nil
	}
	for name, counts := range m {
		if len(counts) != groups {
			delete(m, name)
		}
	}
	return m
}

func dictionaryEncoded(md *format.ColumnMetaData) bool {
	if md.DictionaryPageOffset != 0 {
		return true
	}
	for _, e := range md.Encoding {
		if e == format.RLEDictionary || e == format.PlainDictionary {
			return true
		}
	}
	return false
}

// statsOf decodes min_value/max_value (never the deprecated min/max, whose order is undefined
// for strings) into Go values for the column's Arrow type.
func statsOf(c *column, st *format.Statistics) ColumnStats {
	out := ColumnStats{NullCount: st.NullCount}
	lo, hi := st.MinValue, st.MaxValue
	if lo == nil || hi == nil {
		// An empty byte array is a valid bound that some encoders drop to nil.
		if c.kind != pq.ByteArray || (lo == nil && hi == nil) {
			return out
		}
	}
	min, ok1 := statValue(c, lo)
	max, ok2 := statValue(c, hi)
	if !ok1 || !ok2 {
		return out
	}
	if c.field.Type.ID() == arrow.DECIMAL128 && c.kind == pq.FixedLenByteArray {
		// parquet-go orders fixed-length byte arrays unsigned; that is the signed order only
		// when min and max have the same sign.
		if (lo[0]&0x80 == 0) != (hi[0]&0x80 == 0) {
			return out
		}
	}
	out.HasMinMax, out.Min, out.Max = true, min, max
	return out
}

func statValue(c *column, b []byte) (any, bool) {
	switch c.kind {
	case pq.Boolean:
		if len(b) != 1 {
			return nil, false
		}
		return b[0] != 0, true
	case pq.Int32:
		if len(b) != 4 {
			return nil, false
		}
		v := int32(binary.LittleEndian.Uint32(b))
		if c.field.Type.ID() == arrow.DECIMAL128 {
			return decimal128.FromI64(int64(v)), true
		}
		return int64(v), true
	case pq.Int64:
		if len(b) != 8 {
			return nil, false
		}
		v := int64(binary.LittleEndian.Uint64(b))
		if c.field.Type.ID() == arrow.DECIMAL128 {
			return decimal128.FromI64(v), true
		}
		return v, true
	case pq.Float:
		if len(b) != 4 {
			return nil, false
		}
		v := float64(math.Float32frombits(binary.LittleEndian.Uint32(b)))
		return v, !math.IsNaN(v)
	case pq.Double:
		if len(b) != 8 {
			return nil, false
		}
		v := math.Float64frombits(binary.LittleEndian.Uint64(b))
		return v, !math.IsNaN(v)
	case pq.ByteArray:
		if c.field.Type.ID() == arrow.STRING {
			return string(b), true
		}
		return append([]byte{}, b...), true
	case pq.FixedLenByteArray:
		if c.field.Type.ID() == arrow.BINARY && len(b) == c.size {
			return append([]byte{}, b...), true
		}
		if c.field.Type.ID() != arrow.DECIMAL128 || len(b) == 0 || len(b) > 16 || len(b) != c.size {
			return nil, false
		}
		return decimalFromBE(b), true
	}
	return nil, false
}

// decimalFromBE sign-extends a big-endian two's complement integer of 1 to 16 bytes.
func decimalFromBE(b []byte) decimal128.Num {
	var be [16]byte
	if b[0]&0x80 != 0 {
		for i := range be {
			be[i] = 0xff
		}
	}
	copy(be[16-len(b):], b)
	return decimal128.New(int64(binary.BigEndian.Uint64(be[:8])), binary.BigEndian.Uint64(be[8:]))
}
