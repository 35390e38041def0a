package merge

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/storage/keys"
	"github.com/sleeperd/sleeperd/storage/objstore"
	"github.com/sleeperd/sleeperd/storage/parquet"
	"github.com/sleeperd/sleeperd/stream"
)

// FileSource is one table file in the object store.
type FileSource struct {
	Store objstore.Store
	Name  string
	// Size is the object's size in bytes; 0 asks the store.
	Size int64
	// AddedTxn is the transaction that added the file: the version of every row of a file
	// without a VersionColumn.
	AddedTxn uint64
	// Cache, if set, is the cache of Store's open files to open the file through.
	Cache *FileCache
	// OnRead, if set, counts the bytes read from the file.
	OnRead func(n int64)
	// File, if set, is the file already opened (through Cache, if set): ReadFile reads its
	// footer from it instead of opening the file.
	File *parquet.File
}

// ReadSpec describes what ReadFile reads.
type ReadSpec struct {
	Schema  *arrow.Schema // the table's stored columns
	Columns []int         // indices into Schema of the columns to output, in order; a merge needs the key columns among them
	RowKeys []int         // indices into Schema of the row key columns, in key order
	Range   keys.Range    // rows whose encoded row key lies outside [Min, Max) are dropped
	Alloc   memory.Allocator
	// Out, if set, is ReadSchema of the spec, which a caller reading many files may build once.
	Out *arrow.Schema
	// Convert converts the values of a column a file holds under a former name (FormerKey).
	// Without it such a file does not match the schema.
	Convert Converter
	// Failures, if set, defers conversion errors to Failures.Check (it needs the row key
	// columns among Columns).
	Failures *Failures
	// Skip, if set, holds a flag per row group of the file: the groups flagged are not read
	// (see Isolated for when leaving a group out of a merge keeps its result).
	Skip []bool
}

// ReadSchema returns the schema of the batches ReadFile returns for spec: the fields of
// spec.Columns in order, then VersionColumn (int64, not nullable), then DeletedColumn (bool,
// nullable; NULL means not deleted).
func ReadSchema(spec ReadSpec) *arrow.Schema {
	if spec.Out != nil {
		return spec.Out
	}
	fields := make([]arrow.Field, 0, len(spec.Columns)+2)
	for _, c := range spec.Columns {
		fields = append(fields, spec.Schema.Field(c))
	}
	fields = append(fields,
		arrow.Field{Name: VersionColumn, Type: arrow.PrimitiveTypes.Int64},
		arrow.Field{Name: DeletedColumn, Type: arrow.FixedWidthTypes.Boolean, Nullable: true})
	return arrow.NewSchema(fields, nil)
}

func (s ReadSpec) validate() error {
	if s.Schema == nil {
		return fmt.Errorf("%w: no schema", ErrInvalidSpec)
	}
	n := s.Schema.NumFields()
	for _, c := range s.Columns {
		if c < 0 || c >= n {
			return fmt.Errorf("%w: column index %d out of range", ErrInvalidSpec, c)
		}
	}
	if len(s.RowKeys) == 0 {
		return fmt.Errorf("%w: no row key columns", ErrInvalidSpec)
	}
	for _, c := range s.RowKeys {
		if c < 0 || c >= n {
			return fmt.Errorf("%w: row key column index %d out of range", ErrInvalidSpec, c)
		}
		if t := s.Schema.Field(c).Type; !keys.Supported(t) {
			return fmt.Errorf("%w: row key column %q has unsupported type %s", ErrInvalidSpec, s.Schema.Field(c).Name, t)
		}
	}
	return nil
}

// ReadFile opens one table file and streams its rows whose encoded row key lies in
// spec.Range, in file order (which is (row key, sort key) order), as batches of ReadSchema(spec).
// Rows of a file without a VersionColumn get version src.AddedTxn; rows of a file without a
// DeletedColumn get false.
//
// Opening reads the footer only. Row groups whose leading row key statistics lie outside the
// range are not read, and reading stops at the first row at or above Range.Max. Batches are
// never empty. The stream reads from the store with the context given to Next.
func ReadFile(ctx context.Context, src FileSource, spec ReadSpec) (stream.Stream, error) {
	if err := spec.validate(); err != nil {
		return nil, err
	}
	if src.Store == nil || src.Name == "" {
		return nil, fmt.Errorf("%w: no store or file name", ErrInvalidSpec)
	}
	if spec.Alloc == nil {
		spec.Alloc = memory.DefaultAllocator
	}
	if spec.Range.Empty() {
		return &fileStream{src: src, done: true, schema: ReadSchema(spec)}, nil
	}
	size := src.Size
	if size <= 0 {
		var err error
		if size, err = src.Store.Size(ctx, src.Name); err != nil {
			return nil, OpenError("merge", src.Name, err)
		}
	}
	pf := src.File
	if pf == nil {
		var err error
		if pf, err = OpenFile(ctx, src.Cache, src.Store, src.Name, size, src.OnRead); err != nil {
			return nil, OpenError("merge", src.Name, err)
		}
	}
	s := &fileStream{src: src, spec: spec, schema: ReadSchema(spec), version: -1, deleted: -1}
	s.orv = objstore.ReaderAt{Ctx: ctx, Store: src.Store, Name: src.Name, Size: size, OnRead: src.OnRead}
	or := &s.orv
	s.or = or
	fs := pf.Schema()
	fileCol := func(name string, want arrow.DataType) (int, error) {
		idx := fieldIndices(fs, name, s.idxBuf[:0])
		if len(idx) == 0 && name != VersionColumn && name != DeletedColumn && !slices.ContainsFunc(spec.RowKeys, func(k int) bool { return spec.Schema.Field(k).Name == name }) {
			return -1, nil // a column added after the file was written (FillMissing)
		}
		if len(idx) != 1 {
			return -1, fmt.Errorf("merge: %w: %s has no column %q", ErrFileMismatch, src.Name, name)
		}
		if got := fs.Field(idx[0]).Type; !arrow.TypeEqual(got, want) {
			return -1, fmt.Errorf("merge: %w: column %q of %s is %s, not %s", ErrFileMismatch, name, src.Name, got, want)
		}
		return idx[0], nil
	}
	read := s.readBuf[:0]
	s.out = s.outBuf[:0]
	s.keyBuf = s.keyArr[:0]
	pos := func(fc int) int {
		if i := slices.Index(read, fc); i >= 0 {
			return i
		}
		read = append(read, fc)
		return len(read) - 1
	}
	for _, c := range spec.Columns {
		f := spec.Schema.Field(c)
		if !fs.HasField(f.Name) {
			if fc, k := FormerColumn(fs, f); fc >= 0 {
				if spec.Convert == nil {
					return nil, fmt.Errorf("merge: %w: %s holds column %q under a former type", ErrFileMismatch, src.Name, f.Name)
				}
				s.conv = append(s.conv, conversion{out: len(s.out), field: f, former: k})
				s.out = append(s.out, pos(fc))
				continue
			}
		}
		fc, err := fileCol(f.Name, f.Type)
		if err != nil {
			return nil, err
		}
		if fc < 0 {
			s.out = append(s.out, -1-c) // filled: -1-(index into spec.Schema)
			continue
		}
		s.out = append(s.out, pos(fc))
	}
	if spec.Failures != nil && len(s.conv) > 0 {
		for _, k := range spec.RowKeys {
			p := slices.Index(spec.Columns, k)
			if p < 0 {
				s.failKey = nil
				break
			}
			s.failKey = append(s.failKey, p)
		}
	}
	s.clip = len(spec.Range.Min) > 0 || spec.Range.Max != nil
	if s.clip {
		for _, c := range spec.RowKeys {
			f := spec.Schema.Field(c)
			fc, err := fileCol(f.Name, f.Type)
			if err != nil {
				return nil, err
			}
			s.keyCols = append(s.keyCols, pos(fc))
		}
	}
	if fs.HasField(VersionColumn) {
		fc, err := fileCol(VersionColumn, arrow.PrimitiveTypes.Int64)
		if err != nil {
			return nil, err
		}
		s.version = pos(fc)
	}
	if fs.HasField(DeletedColumn) {
		fc, err := fileCol(DeletedColumn, arrow.FixedWidthTypes.Boolean)
		if err != nil {
			return nil, err
		}
		s.deleted = pos(fc)
	}
	lead := spec.Schema.Field(spec.RowKeys[0])
	keyCol, err := fileCol(lead.Name, lead.Type)
	if err != nil {
		return nil, err
	}
	if slices.ContainsFunc(s.out, func(c int) bool { return c < 0 }) {
		pos(keyCol) // batches of filled columns take their row count from it
	}
	spans := s.spanBuf[:0]
	// One buffer takes the bounds that the row groups' statistics and page indexes encode,
	// and then the keys the batches' clipping encodes.
	buf := s.keyBuf
	for g, rg := range pf.RowGroups() {
		if g < len(spec.Skip) && spec.Skip[g] {
			continue
		}
		if rg.Rows == 0 {
			continue
		}
		var overlap bool
		if overlap, buf = statsOverlap(lead.Type, rg.Columns[keyCol], spec.Range, buf); overlap {
			sp := parquet.Span{Group: g, Hi: rg.Rows}
			if s.clip {
				sp.Lo, sp.Hi, buf = keySpan(pf, g, keyCol, lead.Type, []keys.Range{spec.Range}, buf)
			}
			if sp.Hi > sp.Lo {
				spans = append(spans, sp)
			}
		}
	}
	s.keyBuf = buf
	if len(spans) == 0 {
		s.done = true
		return s, nil
	}
	opts := parquet.ReadOptions{Columns: read, Spans: spans, BatchRows: stream.BatchRows, Alloc: spec.Alloc, Source: or}
	if s.clip {
		s.narrower = keyNarrower{first: spec.Range.Min, last: spec.Range.Max}
		opts.Narrow, opts.NarrowColumn = s.narrower.narrow, keyCol
	}
	s.r, err = pf.Read(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("merge: read %s: %w", src.Name, err)
	}
	return s, nil
}

// fieldIndices is fs.FieldIndices(name) appended to buf: a schema of a few fields is searched
// in place, without the copy FieldIndices returns.
func fieldIndices(fs *arrow.Schema, name string, buf []int) []int {
	if fs.NumFields() > 32 {
		return append(buf, fs.FieldIndices(name)...)
	}
	for i := range fs.NumFields() {
		if fs.Field(i).Name == name {
			buf = append(buf, i)
		}
	}
	return buf
}

// statsOverlap reports whether a row group whose leading row key column has statistics st
// may hold a key in r. Rows with leading values in [min, max] have keys in
// [enc(min), PrefixEnd(enc(max))). It encodes the bounds into buf, which it returns grown
// for the caller's next use.
func statsOverlap(t arrow.DataType, st parquet.ColumnStats, r keys.Range, buf []byte) (bool, []byte) {
	if !st.HasMinMax {
		return true, buf
	}
	buf, err := keys.AppendGo(buf[:0], t, st.Min)
	if err != nil {
		return true, buf
	}
	n := len(buf)
	if buf, err = keys.AppendGo(buf, t, st.Max); err != nil {
		return true, buf
	}
	// PrefixEnd of the encoded max, in place: nil when it is all 0xFF (no end).
	end := buf[n:]
	i := len(end) - 1
	for i >= 0 && end[i] == 0xFF {
		i--
	}
	var hi []byte
	if i >= 0 {
		end[i]++
		hi = end[:i+1]
	}
	return r.Overlaps(keys.Range{Min: buf[:n:n], Max: hi}), buf
}

// conversion is an output column (index into fileStream.out) a file holds under former name
// former of field.
type conversion struct {
	out    int
	field  arrow.Field
	former int
}

// fileStream is the stream ReadFile returns.
type fileStream struct {
	src     FileSource
	spec    ReadSpec
	or      *objstore.ReaderAt
	r       *parquet.Reader
	schema  *arrow.Schema
	out     []int // positions of the output columns in the read batches
	keyCols []int // positions of the row key columns, when clipping
	version int   // position of VersionColumn, or -1
	deleted int   // position of DeletedColumn, or -1
	clip    bool
	done    bool // nothing more to read
	closed  bool
	keyBuf  []byte
	rk      []arrow.Array
	conv    []conversion // output columns the file holds under a former name
	failKey []int        // positions among the output columns of the row key columns, for Failures
	failBuf []byte

	// constant columns for files without hidden columns, sliced per batch
	constVer, constDel arrow.Array

	// room for a few columns and spans, so that a point lookup's read allocates no slices
	orv      objstore.ReaderAt
	readBuf  [8]int
	outBuf   [8]int
	spanBuf  [1]parquet.Span
	keyArr   [32]byte
	idxBuf   [2]int
	narrower keyNarrower
}

var _ stream.Stream = (*fileStream)(nil)

// Next implements stream.Stream.
func (s *fileStream) Next(ctx context.Context) (arrow.RecordBatch, error) {
	if s.closed {
		return nil, fmt.Errorf("merge: read %s: %w", s.src.Name, ErrClosed)
	}
	for !s.done {
		s.or.Ctx = ctx
		b, err := s.r.Next(ctx)
		if err == io.EOF {
			s.done = true
			break
		}
		if err != nil {
			if errors.Is(err, objstore.ErrNotExist) {
				return nil, OpenError("merge", s.src.Name, err)
			}
			return nil, fmt.Errorf("merge: read %s: %w", s.src.Name, err)
		}
		out, err := s.project(ctx, b)
		b.Release()
		if err != nil {
			return nil, err
		}
		if out != nil {
			return out, nil
		}
	}
	s.release()
	return nil, io.EOF
}

// keysIncreasing reports whether output column col of the batch Next returned last is known
// to hold int64 values without NULLs, each greater than the one before: the file's column,
// unconverted, read from a whole column chunk of the hot cache whose values all increase
// (parquet.Reader.Increasing; the batch's rows are a span of the chunk's). It reports false
// when it does not know. Call it before the next call of Next.
func (s *fileStream) keysIncreasing(col int) bool {
	if s.r == nil || col < 0 || col >= len(s.out) || s.out[col] < 0 {
		return false
	}
	for _, v := range s.conv {
		if v.out == col {
			return false
		}
	}
	return s.r.Increasing(s.out[col])
}

// project returns rows of b within the range as an output batch, or nil if there are none.
func (s *fileStream) project(ctx context.Context, b arrow.RecordBatch) (arrow.RecordBatch, error) {
	n := int(b.NumRows())
	lo, hi := 0, n
	if s.clip && n > 0 {
		s.rk = s.rk[:0]
		for _, c := range s.keyCols {
			s.rk = append(s.rk, b.Column(c))
		}
		key := func(i int) []byte {
			s.keyBuf = keys.AppendRow(s.keyBuf[:0], s.rk, i)
			return s.keyBuf
		}
		r := s.spec.Range
		if lo, hi, ok := s.clipInt64(n); ok {
			clear(s.rk)
			if hi < n {
				s.done = true
			}
			return s.projectRows(ctx, b, lo, hi)
		}
		if len(r.Min) > 0 {
			lo = sort.Search(n, func(i int) bool { return bytes.Compare(key(i), r.Min) >= 0 })
		}
		if r.Max != nil {
			hi = lo + sort.Search(n-lo, func(i int) bool { return bytes.Compare(key(lo+i), r.Max) >= 0 })
			if hi < n {
				s.done = true
			}
		}
		clear(s.rk)
	}
	return s.projectRows(ctx, b, lo, hi)
}

// clipInt64 is project's clipping of a batch of n rows (keys in s.rk) to the range when the
// row key is one bigint column (see searchInt64AtOrAbove); ok is false otherwise.
func (s *fileStream) clipInt64(n int) (lo, hi int, ok bool) {
	if len(s.rk) != 1 {
		return 0, 0, false
	}
	vals := int64Values(s.rk[0])
	if vals == nil {
		return 0, 0, false
	}
	r := s.spec.Range
	lo, hi = 0, n
	if len(r.Min) > 0 {
		if lo, ok = searchInt64AtOrAbove(vals, 0, n, r.Min); !ok {
			return 0, 0, false
		}
	}
	if r.Max != nil {
		if hi, ok = searchInt64AtOrAbove(vals, lo, n, r.Max); !ok {
			return 0, 0, false
		}
	}
	return lo, hi, true
}

// projectRows returns rows [lo, hi) of b as an output batch, or nil if there are none.
func (s *fileStream) projectRows(ctx context.Context, b arrow.RecordBatch, lo, hi int) (arrow.RecordBatch, error) {
	if hi <= lo {
		return nil, nil
	}
	cols := make([]arrow.Array, 0, len(s.out)+2)
	type failed struct {
		col  int
		rows []int
		errs []error
	}
	var fails []failed
	defer func() {
		for _, c := range cols {
			c.Release()
		}
	}()
	for i, c := range s.out {
		if k := slices.IndexFunc(s.conv, func(v conversion) bool { return v.out == i }); k >= 0 {
			v := s.conv[k]
			part := array.NewSlice(b.Column(c), int64(lo), int64(hi))
			a, rows, errs, err := convertRows(ctx, s.spec.Convert, v.field, v.former, part, s.spec.Alloc, s.failKey != nil)
			part.Release()
			if err != nil {
				return nil, fmt.Errorf("merge: converting column %q of %s: %w", v.field.Name, s.src.Name, err)
			}
			if len(rows) > 0 {
				fails = append(fails, failed{col: i, rows: rows, errs: errs})
			}
			cols = append(cols, a)
			continue
		}
		if c < 0 {
			a, err := FillMissing(s.spec.Alloc, s.spec.Schema.Field(-1-c), hi-lo)
			if err != nil {
				return nil, fmt.Errorf("merge: filling column %q of %s: %w", s.spec.Schema.Field(-1-c).Name, s.src.Name, err)
			}
			cols = append(cols, a)
			continue
		}
		cols = append(cols, slice(b.Column(c), lo, hi))
	}
	if s.version >= 0 {
		v := b.Column(s.version)
		if v.NullN() > 0 {
			return nil, fmt.Errorf("merge: %w: NULL %s in %s", ErrFileMismatch, VersionColumn, s.src.Name)
		}
		cols = append(cols, slice(v, lo, hi))
	} else {
		cols = append(cols, s.constant(&s.constVer, hi-lo))
	}
	if s.deleted >= 0 {
		cols = append(cols, slice(b.Column(s.deleted), lo, hi))
	} else {
		cols = append(cols, s.constant(&s.constDel, hi-lo))
	}
	if len(fails) > 0 {
		keyCols := make([]arrow.Array, len(s.failKey))
		for j, p := range s.failKey {
			keyCols[j] = cols[p]
		}
		version := cols[len(s.out)]
		for _, f := range fails {
			for j, r := range f.rows {
				s.failBuf = failureID(s.failBuf[:0], keyCols, version, r)
				s.spec.Failures.add(s.failBuf, f.col, fmt.Errorf("%s: %w", s.src.Name, f.errs[j]))
			}
		}
	}
	return array.NewRecordBatch(s.schema, cols, int64(hi-lo)), nil
}

// slice returns rows [lo, hi) of a, retained: a itself when they are all of its rows (a
// point lookup's read narrows its batch to the rows of the key), which saves a slice's
// array and data.
func slice(a arrow.Array, lo, hi int) arrow.Array {
	if lo == 0 && hi == a.Len() {
		a.Retain()
		return a
	}
	return array.NewSlice(a, int64(lo), int64(hi))
}

// constant returns n copies of the file's version (cache is &s.constVer) or of false (the
// deleted column, &s.constDel). A point lookup reads one row of each file it opens: one row
// takes a shared array (sharedConstant), which costs no allocation; more rows take the first
// n rows of an array of the stream's, rebuilt when it is too short, built from its buffers
// rather than through a builder.
func (s *fileStream) constant(cache *arrow.Array, n int) arrow.Array {
	if n == 1 {
		if cache == &s.constVer {
			return sharedVersion(int64(s.src.AddedTxn))
		}
		return sharedFalse()
	}
	if *cache == nil || (*cache).Len() < n {
		if *cache != nil {
			(*cache).Release()
		}
		buf := memory.NewResizableBuffer(s.spec.Alloc)
		var data *array.Data
		if cache == &s.constVer {
			buf.Resize(n * arrow.Int64SizeBytes)
			vals := arrow.Int64Traits.CastFromBytes(buf.Bytes())
			for i := range vals {
				vals[i] = int64(s.src.AddedTxn)
			}
			data = array.NewData(arrow.PrimitiveTypes.Int64, n, []*memory.Buffer{nil, buf}, nil, 0, 0)
		} else {
			buf.Resize(int(bitutil.BytesForBits(int64(n))))
			clear(buf.Bytes())
			data = array.NewData(s.schema.Field(s.schema.NumFields()-1).Type, n, []*memory.Buffer{nil, buf}, nil, 0, 0)
		}
		*cache = array.MakeFromData(data)
		data.Release()
		buf.Release()
	}
	if (*cache).Len() == n {
		(*cache).Retain()
		return *cache
	}
	return array.NewSlice(*cache, 0, int64(n))
}

// One-row constant columns shared by every file read: the deleted column's false, and the
// version of each of the last files read without a version column. They are immutable, hold
// a reference of their own (a reader's Release never frees them) and are allocated from the
// Go heap rather than a reader's allocator. The versions are looked up without a lock (many
// sessions read the same few files at once); when sharedVersionsMax of them are kept, the
// next one starts a new map (the old arrays live on while batches hold them).
var (
	sharedOnce     sync.Once
	sharedFalseArr arrow.Array
	sharedVersions atomic.Pointer[sync.Map] // int64 -> arrow.Array
	sharedCount    atomic.Int64             // entries of *sharedVersions, about
)

const sharedVersionsMax = 4096

// sharedFalse returns a one-row boolean array holding false, retained.
func sharedFalse() arrow.Array {
	sharedOnce.Do(func() {
		b := array.NewBooleanBuilder(memory.NewGoAllocator())
		b.Append(false)
		sharedFalseArr = b.NewArray()
		b.Release()
	})
	sharedFalseArr.Retain()
	return sharedFalseArr
}

// sharedVersion returns a one-row int64 array holding v, retained.
func sharedVersion(v int64) arrow.Array {
	m := sharedVersions.Load()
	if m != nil {
		if a, ok := m.Load(v); ok {
			a.(arrow.Array).Retain()
			return a.(arrow.Array)
		}
	}
	if m == nil || sharedCount.Add(1) > sharedVersionsMax {
		next := new(sync.Map)
		if sharedVersions.CompareAndSwap(m, next) {
			sharedCount.Store(1)
		}
		m = sharedVersions.Load()
	}
	b := array.NewInt64Builder(memory.NewGoAllocator())
	b.Append(v)
	a := b.NewArray()
	b.Release()
	got, _ := m.LoadOrStore(v, a)
	got.(arrow.Array).Retain()
	return got.(arrow.Array)
}

func (s *fileStream) release() {
	if s.r != nil {
		s.r.Close()
		s.r = nil
	}
	for _, c := range []*arrow.Array{&s.constVer, &s.constDel} {
		if *c != nil {
			(*c).Release()
			*c = nil
		}
	}
}

// Close implements stream.Stream.
func (s *fileStream) Close() error {
	if !s.closed {
		s.closed = true
		s.release()
	}
	return nil
}

// OpenError describes a failure of pkg to open the data file name. A file that is gone was
// deleted by garbage collection, which knows only the readers of its own process: on another
// node it waits only gc_delay after the file lost its last reference, so a reader of a state
// older than that fails here rather than go on without the file's rows.
func OpenError(pkg, name string, err error) error {
	if errors.Is(err, objstore.ErrNotExist) {
		return fmt.Errorf("%s: file %s is gone: garbage collection deleted it, which another node does once gc_delay has passed since the file lost its last reference; run the statement again on the current state: %w", pkg, name, err)
	}
	return fmt.Errorf("%s: open %s: %w", pkg, name, err)
}
