package catalog

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/exec"
	"github.com/sleeperd/sleeperd/storage/keys"
	"github.com/sleeperd/sleeperd/storage/merge"
	"github.com/sleeperd/sleeperd/storage/objstore"
	"github.com/sleeperd/sleeperd/storage/parquet"
	"github.com/sleeperd/sleeperd/storage/statestore"
)

// ColumnBound is a row-group pruning hint: the rows wanted have values of Column within the
// bounds. Lower and Upper are values in the Go representation of parquet.ColumnStats (int64
// for integers, dates and timestamps, float64 for floats, string, []byte, bool,
// decimal128.Num); nil leaves a side unbounded. A bound only skips row groups: rows in the
// groups read are not filtered by it. Floats are ordered as in PostgreSQL: NaN above every
// number; a NaN bound compares with no statistic, so it excludes only all-null row groups.
type ColumnBound struct {
	Column         int // index into Table.Columns
	Lower, Upper   any
	LowerInclusive bool
	UpperInclusive bool
}

// ScanSpec describes a scan of a table.
type ScanSpec struct {
	Table *Table
	State *statestore.State
	// Leaves are the leaf partitions to read, already pruned; a leaf of no other State fails.
	Leaves []*statestore.Partition
	// Columns are the indices of the table columns to output, in order.
	Columns []int
	// NullOnly lists output columns (table column indices, among Columns) whose values the
	// plan never uses, only whether each is NULL (the argument of count): they may come back
	// with their NULLs in place and zero values (parquet.ReadOptions.NullOnly). A scan that
	// merges its leaves (Merge) reads them in full.
	NullOnly []int
	// Ranges of encoded row keys: rows outside every range are dropped. Nil keeps every row of
	// the leaves read. Overlapping ranges do not duplicate rows.
	Ranges []keys.Range
	// Bounds skip row groups whose statistics show no row within them.
	Bounds []ColumnBound
	// Parallelism is how many leaves are read at once; 0 means GOMAXPROCS.
	Parallelism int
	// Metrics, if set, counts what executions of the scan read.
	Metrics *Metrics
	// Merge, if set, makes the scan merge each leaf's files and apply the iterator stack.
	Merge *MergeSpec
	// Files, if set, is the cache of the store's open files to open files through; without
	// it each execution opens the files it reads.
	Files *FileCache
}

// FileCache is the process-wide cache of open data files (merge.FileCache).
type FileCache = merge.FileCache

// Metrics count what a scan read. The counters are safe for concurrent use.
type Metrics struct {
	FilesOpened      atomic.Int64
	FilesSkipped     atomic.Int64 // files whose key range misses the ranges read
	RowGroupsRead    atomic.Int64
	RowGroupsSkipped atomic.Int64
	RowsRead         atomic.Int64 // rows decoded from files, before clipping
	RowsOutput       atomic.Int64
	BytesRead        atomic.Int64
	// PartitionsRead and PartitionsPruned count the leaf partitions scans read and those
	// they skipped by key range.
	PartitionsRead   atomic.Int64
	PartitionsPruned atomic.Int64

	mu    sync.Mutex
	files map[string]bool
}

func (m *Metrics) opened(name string) {
	m.FilesOpened.Add(1)
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.files == nil {
		m.files = make(map[string]bool)
	}
	m.files[name] = true
}

// Files returns the names of the files opened, sorted.
func (m *Metrics) Files() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]string, 0, len(m.files))
	for f := range m.files {
		out = append(out, f)
	}
	slices.Sort(out)
	return out
}

// Scan is the table scan operator: it reads the files of the chosen leaves, each clipped to
// the leaf's range and the scan's ranges, one concurrent stream per leaf.
type Scan struct {
	store  objstore.Store
	spec   ScanSpec
	schema *arrow.Schema
}

var _ exec.Operator = (*Scan)(nil)

// NewScan validates spec and returns the scan.
func NewScan(store objstore.Store, spec ScanSpec) (*Scan, error) {
	if store == nil || spec.Table == nil || spec.State == nil {
		return nil, errors.New("catalog: scan needs a store, a table and a state")
	}
	t := spec.Table
	for _, c := range spec.Columns {
		if c < 0 || c >= len(t.Columns) {
			return nil, fmt.Errorf("catalog: scan of %s: column index %d out of range", t.Name, c)
		}
	}
	for _, b := range spec.Bounds {
		if b.Column < 0 || b.Column >= len(t.Columns) {
			return nil, fmt.Errorf("catalog: scan of %s: bound on column index %d out of range", t.Name, b.Column)
		}
	}
	for _, l := range spec.Leaves {
		p, ok := spec.State.Partition(l.ID)
		if !ok || !p.Leaf() {
			return nil, fmt.Errorf("catalog: scan of %s: %s is not a leaf partition of the state", t.Name, l.ID)
		}
	}
	if spec.Parallelism <= 0 {
		spec.Parallelism = runtime.GOMAXPROCS(0)
	}
	spec.Ranges = normalize(spec.Ranges)
	schema := t.cachedSchema('s', spec.Columns, func() *arrow.Schema {
		fields := make([]arrow.Field, len(spec.Columns))
		for i, c := range spec.Columns {
			fields[i] = t.schema.Field(c)
		}
		return arrow.NewSchema(fields, nil)
	})
	return &Scan{store: store, spec: spec, schema: schema}, nil
}

// normalize sorts ranges and merges those that overlap or touch, dropping empty ones. Nil
// stays nil (no clipping); a non-nil list of empty ranges becomes an empty non-nil list.
func normalize(rs []keys.Range) []keys.Range {
	if rs == nil {
		return nil
	}
	out := make([]keys.Range, 0, len(rs))
	for _, r := range rs {
		if !r.Empty() {
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b keys.Range) int { return bytes.Compare(a.Min, b.Min) })
	merged := out[:0]
	for _, r := range out {
		if n := len(merged); n > 0 {
			last := &merged[n-1]
			if last.Max == nil || bytes.Compare(r.Min, last.Max) <= 0 {
				if last.Max != nil && (r.Max == nil || bytes.Compare(r.Max, last.Max) > 0) {
					last.Max = r.Max
				}
				continue
			}
		}
		merged = append(merged, r)
	}
	return merged
}

// Schema implements exec.Operator.
func (s *Scan) Schema() *arrow.Schema { return s.schema }

// Children implements exec.Operator: a scan has none.
func (s *Scan) Children() []exec.Operator { return nil }

// Spec returns the scan's spec, with Ranges normalized.
func (s *Scan) Spec() ScanSpec { return s.spec }

// String implements exec.Operator.
func (s *Scan) String() string {
	t := s.spec.Table
	var b strings.Builder
	files := make(map[string]bool)
	for _, l := range s.spec.Leaves {
		for _, r := range s.spec.State.ReadFiles(l.ID) {
			files[r.File] = true
		}
	}
	fmt.Fprintf(&b, "TableScan: %s partitions=%d/%d files=%d columns=[", t.Name, len(s.spec.Leaves), len(s.spec.State.Leaves()), len(files))
	for i, c := range s.spec.Columns {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(t.Columns[c].Name)
	}
	b.WriteString("]")
	if s.spec.Ranges != nil {
		types := t.RowKeyTypes()
		b.WriteString(" ranges=[")
		for i, r := range s.spec.Ranges {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "[%s, %s)", keys.Format(types, r.Min, false), keys.Format(types, r.Max, true))
		}
		b.WriteString("]")
	}
	if len(s.spec.Bounds) > 0 {
		b.WriteString(" bounds=[")
		for i, bd := range s.spec.Bounds {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(formatBound(t.Columns[bd.Column].Name, bd))
		}
		b.WriteString("]")
	}
	return b.String()
}

func formatBound(name string, b ColumnBound) string {
	var parts []string
	if b.Lower != nil {
		op := ">"
		if b.LowerInclusive {
			op = ">="
		}
		parts = append(parts, fmt.Sprintf("%s %s %v", name, op, b.Lower))
	}
	if b.Upper != nil {
		op := "<"
		if b.UpperInclusive {
			op = "<="
		}
		parts = append(parts, fmt.Sprintf("%s %s %v", name, op, b.Upper))
	}
	if len(parts) == 0 {
		return name + " unbounded"
	}
	return strings.Join(parts, " and ")
}

// Execute implements exec.Operator. Batches come from the leaves in no particular order.
func (s *Scan) Execute(ctx context.Context) (exec.Stream, error) {
	if len(s.spec.Leaves) == 1 && s.spec.Merge != nil {
		return s.executeOne(ctx), nil
	}
	x := &execution{scan: s}
	leaves := make([]leafSource, 0, len(s.spec.Leaves))
	for _, l := range s.spec.Leaves {
		ranges := []keys.Range{l.Range}
		if s.spec.Ranges != nil {
			ranges = ranges[:0]
			for _, r := range s.spec.Ranges {
				if in := r.Intersect(l.Range); !in.Empty() {
					ranges = append(ranges, in)
				}
			}
		}
		if len(ranges) == 0 {
			continue
		}
		refs := dedupe(s.spec.State.ReadFiles(l.ID))
		if s.spec.Merge != nil {
			leaves = append(leaves, &mergedLeaf{x: x, leaf: l, ranges: ranges, refs: refs})
			continue
		}
		leaves = append(leaves, &leafReader{x: x, leaf: l, ranges: ranges, refs: refs})
	}
	if m := s.spec.Metrics; m != nil && s.spec.State != nil {
		m.PartitionsRead.Add(int64(len(leaves)))
		m.PartitionsPruned.Add(int64(s.spec.State.NumLeaves() - len(leaves)))
	}
	return newFanout(ctx, leaves, s.spec.Parallelism), nil
}

// oneLeaf is what Execute makes for a merged read of a single leaf (a key lookup's), in one
// allocation: the execution, the leaf's reader and its ranges, and the fanout over it.
type oneLeaf struct {
	x      execution
	leaf   mergedLeaf
	leaves [1]leafSource
	ranges [1]keys.Range
	fanout fanout
}

// executeOne is Execute of a merged read of the scan's single leaf.
func (s *Scan) executeOne(ctx context.Context) exec.Stream {
	o := &oneLeaf{}
	o.x.scan = s
	l := s.spec.Leaves[0]
	ranges := o.ranges[:1]
	ranges[0] = l.Range
	if s.spec.Ranges != nil {
		ranges = ranges[:0]
		for _, r := range s.spec.Ranges {
			if in := r.Intersect(l.Range); !in.Empty() {
				ranges = append(ranges, in)
			}
		}
	}
	var leaves []leafSource
	if len(ranges) > 0 {
		o.leaf = mergedLeaf{x: &o.x, leaf: l, ranges: ranges, refs: dedupe(s.spec.State.ReadFiles(l.ID))}
		o.leaves[0] = &o.leaf
		leaves = o.leaves[:]
	}
	if m := s.spec.Metrics; m != nil && s.spec.State != nil {
		m.PartitionsRead.Add(int64(len(leaves)))
		m.PartitionsPruned.Add(int64(s.spec.State.NumLeaves() - len(leaves)))
	}
	o.fanout = fanout{leaves: leaves, par: s.spec.Parallelism, parent: ctx}
	return &o.fanout
}

func dedupe(refs []statestore.FileReference) []statestore.FileReference {
	if len(refs) <= 16 { // few: compared with each other rather than through a map
		out := refs[:0]
		for i, r := range refs {
			if !slices.ContainsFunc(refs[:i], func(p statestore.FileReference) bool { return p.File == r.File }) {
				out = append(out, r)
			}
		}
		return out
	}
	seen := make(map[string]bool, len(refs))
	out := refs[:0]
	for _, r := range refs {
		if !seen[r.File] {
			seen[r.File] = true
			out = append(out, r)
		}
	}
	return out
}

// execution is the state one Execute shares among its leaf readers: the opened files.
type execution struct {
	scan *Scan

	mu      sync.Mutex
	footers map[string]*footer
}

// footer is a file opened once per execution, shared by the leaves that read it.
type footer struct {
	once sync.Once
	f    *parquet.File
	err  error
}

// open returns the opened file name, reading its footer on first use.
func (x *execution) open(ctx context.Context, name string, size int64) (*parquet.File, error) {
	x.mu.Lock()
	ft, ok := x.footers[name]
	if !ok {
		if x.footers == nil {
			x.footers = make(map[string]*footer)
		}
		ft = &footer{}
		x.footers[name] = ft
	}
	x.mu.Unlock()
	ft.once.Do(func() {
		m := x.scan.spec.Metrics
		ft.f, ft.err = merge.OpenFile(ctx, x.scan.spec.Files, x.scan.store, name, size, x.onRead())
		if ft.err == nil && m != nil {
			m.opened(name)
		}
	})
	if ft.err != nil {
		return nil, merge.OpenError("catalog", name, ft.err)
	}
	return ft.f, nil
}

// onRead returns the counter of bytes read, or nil without metrics.
func (x *execution) onRead() func(int64) {
	if m := x.scan.spec.Metrics; m != nil {
		return func(n int64) { m.BytesRead.Add(n) }
	}
	return nil
}

// source returns the reader of name's bytes for one file reader of this execution.
func (x *execution) source(ctx context.Context, name string, size int64) *objstore.ReaderAt {
	return &objstore.ReaderAt{Ctx: ctx, Store: x.scan.store, Name: name, Size: size, OnRead: x.onRead()}
}

// leafReader streams the rows of one leaf: every file it reads, clipped to ranges.
type leafReader struct {
	x      *execution
	leaf   *statestore.Partition
	ranges []keys.Range // sorted, disjoint, non-empty, within the leaf
	refs   []statestore.FileReference

	next    int // index into refs of the next file
	cur     *fileReader
	pending []arrow.RecordBatch
}

// fileReader reads one file of a leaf.
type fileReader struct {
	r       *parquet.Reader
	clip    bool
	keyCols []int // positions of the row key columns in the read batches, in key order
	outCols []int // positions of the output columns in the read batches
	done    bool  // the rest of the file lies above the last range
	conv    []conversion
}

// conversion is a column a file holds under a former name: position read of the read
// batches holds former k of table column col.
type conversion struct {
	read, col, former int
}

// convert returns b with the columns of fr.conv converted to their current types. It
// releases b.
func (l *leafReader) convert(ctx context.Context, fr *fileReader, b arrow.RecordBatch) (arrow.RecordBatch, error) {
	defer b.Release()
	t := l.x.scan.spec.Table
	cols := slices.Clone(b.Columns())
	fields := slices.Clone(b.Schema().Fields())
	var made []arrow.Array
	defer func() {
		for _, a := range made {
			a.Release()
		}
	}()
	for _, v := range fr.conv {
		f := t.Schema().Field(v.col)
		a, err := t.ConvertFormer(ctx, f, v.former, b.Column(v.read))
		if err != nil {
			return nil, fmt.Errorf("catalog: converting column %q of table %s: %w", t.Columns[v.col].Name, t.Name, err)
		}
		made = append(made, a)
		cols[v.read] = a
		fields[v.read] = arrow.Field{Name: fields[v.read].Name, Type: a.DataType(), Nullable: true}
	}
	return array.NewRecordBatch(arrow.NewSchema(fields, nil), cols, b.NumRows()), nil
}

// Next returns the leaf's next non-empty batch, or io.EOF.
func (l *leafReader) Next(ctx context.Context) (arrow.RecordBatch, error) {
	for {
		if len(l.pending) > 0 {
			b := l.pending[0]
			l.pending = l.pending[1:]
			return b, nil
		}
		if l.cur == nil {
			if l.next >= len(l.refs) {
				return nil, io.EOF
			}
			ref := l.refs[l.next]
			l.next++
			fr, err := l.openFile(ctx, ref.File)
			if err != nil {
				return nil, err
			}
			if fr == nil {
				continue
			}
			l.cur = fr
		}
		if l.cur.done {
			l.closeFile()
			continue
		}
		b, err := l.cur.r.Next(ctx)
		if err == io.EOF {
			l.closeFile()
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("catalog: read %s: %w", l.x.scan.spec.Table.Name, err)
		}
		if len(l.cur.conv) > 0 {
			if b, err = l.convert(ctx, l.cur, b); err != nil {
				return nil, err
			}
		}
		l.clip(b)
		b.Release()
	}
}

func (l *leafReader) closeFile() {
	if l.cur != nil {
		l.cur.r.Close()
		l.cur = nil
	}
}

// Close releases what the reader holds.
func (l *leafReader) Close() {
	l.closeFile()
	for _, b := range l.pending {
		b.Release()
	}
	l.pending = nil
}

// openFile opens a file of the leaf for reading, or returns nil when nothing in it can be
// wanted.
func (l *leafReader) openFile(ctx context.Context, name string) (*fileReader, error) {
	spec := &l.x.scan.spec
	m := spec.Metrics
	var size int64
	var within bool // every row of the file lies in one range: no clipping
	if f, ok := spec.State.File(name); ok {
		size = f.Bytes
		if f.Rows == 0 {
			return nil, nil
		}
		fr := keys.Range{Min: f.MinKey, Max: append(bytes.Clone(f.MaxKey), 0)}
		hit := false
		for _, r := range l.ranges {
			if r.Overlaps(fr) {
				hit = true
			}
			if bytes.Compare(r.Min, f.MinKey) <= 0 && (r.Max == nil || bytes.Compare(f.MaxKey, r.Max) < 0) {
				within = true
			}
		}
		if !hit {
			if m != nil {
				m.FilesSkipped.Add(1)
			}
			return nil, nil
		}
	}
	pf, err := l.x.open(ctx, name, size)
	if err != nil {
		return nil, err
	}
	t := spec.Table
	fs := pf.Schema()
	// formerCol finds a column the file holds under a former name (Column.Former): its
	// values are converted as read, and its statistics prune nothing (fileCol sees it absent).
	formerCol := func(c int) (fc, k int) {
		if len(t.Columns[c].Former) == 0 || len(fs.FieldIndices(t.Columns[c].StoredName())) > 0 {
			return -1, -1
		}
		return merge.FormerColumn(fs, t.Schema().Field(c))
	}
	fileCol := func(c int) (int, error) {
		idx := fs.FieldIndices(t.Columns[c].StoredName())
		if len(idx) == 0 && !slices.Contains(t.RowKeys, c) {
			return -1, nil // added after the file was written: filled (merge.FillMissing)
		}
		if len(idx) != 1 {
			return 0, fmt.Errorf("catalog: file %s of table %s has no column %q", name, t.Name, t.Columns[c].Name)
		}
		return idx[0], nil
	}
	// Columns to read: the output columns, then the row key columns when clipping.
	var read []int
	pos := func(fc int) int {
		if i := slices.Index(read, fc); i >= 0 {
			return i
		}
		read = append(read, fc)
		return len(read) - 1
	}
	fr := &fileReader{clip: !within}
	filled := false
	for _, c := range spec.Columns {
		if fc, k := formerCol(c); fc >= 0 {
			p := pos(fc)
			fr.conv = append(fr.conv, conversion{read: p, col: c, former: k})
			fr.outCols = append(fr.outCols, p)
			continue
		}
		fc, err := fileCol(c)
		if err != nil {
			return nil, err
		}
		if fc < 0 {
			fr.outCols = append(fr.outCols, -1-c) // -1-(table column index)
			filled = true
			continue
		}
		fr.outCols = append(fr.outCols, pos(fc))
	}
	if filled {
		// Batches of filled columns take their row count from the leading row key.
		fc, err := fileCol(t.RowKeys[0])
		if err != nil {
			return nil, err
		}
		pos(fc)
	}
	if fr.clip {
		for _, c := range t.RowKeys {
			fc, err := fileCol(c)
			if err != nil {
				return nil, err
			}
			fr.keyCols = append(fr.keyCols, pos(fc))
		}
	}
	spans, err := l.spans(pf, fileCol, fr.clip)
	if err != nil {
		return nil, err
	}
	if len(spans) == 0 {
		return nil, nil
	}
	opts := parquet.ReadOptions{Columns: read, Spans: spans, BatchRows: exec.BatchRows,
		Alloc: exec.Allocator(ctx), Source: l.x.source(ctx, name, pf.Size())}
	// Null-only output columns, unless also read for their values: as a row key to clip
	// by, or under a former name to convert.
	for _, c := range spec.NullOnly {
		if !slices.Contains(spec.Columns, c) {
			continue
		}
		if fc, _ := formerCol(c); fc >= 0 {
			continue
		}
		fc, err := fileCol(c)
		if err != nil {
			return nil, err
		}
		if fc < 0 || slices.Contains(fr.keyCols, slices.Index(read, fc)) {
			continue
		}
		opts.NullOnly = append(opts.NullOnly, fc)
	}
	if fr.clip {
		if opts.NarrowColumn, err = fileCol(t.RowKeys[0]); err != nil {
			return nil, err
		}
		opts.Narrow = merge.KeyNarrow(l.ranges)
	}
	r, err := pf.Read(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("catalog: read %s: %w", name, err)
	}
	fr.r = r
	return fr, nil
}

// spans returns the rows of pf that may hold wanted rows: the row groups whose statistics
// admit them, counting the others as skipped, and in each, when clipping to key ranges, the
// pages of the leading row key that may hold keys in the ranges.
func (l *leafReader) spans(pf *parquet.File, fileCol func(int) (int, error), clip bool) ([]parquet.Span, error) {
	spec := &l.x.scan.spec
	t := spec.Table
	keyType := t.Columns[t.RowKeys[0]].Type
	keyCol, err := fileCol(t.RowKeys[0])
	if err != nil {
		return nil, err
	}
	boundCols := make([]int, len(spec.Bounds))
	for i, b := range spec.Bounds {
		if boundCols[i], err = fileCol(b.Column); err != nil {
			return nil, err
		}
	}
	// A column the file lacks has no statistics there: its bounds prune nothing.
	bounds := spec.Bounds
	if slices.Contains(boundCols, -1) {
		bounds, boundCols = nil, nil
		for _, b := range spec.Bounds {
			if fc, _ := fileCol(b.Column); fc >= 0 {
				bounds, boundCols = append(bounds, b), append(boundCols, fc)
			}
		}
	}
	var out []parquet.Span
	var skipped int64
	for g, rg := range pf.RowGroups() {
		if rg.Rows == 0 || !l.keyStatsOverlap(keyType, rg.Columns[keyCol]) {
			skipped++
			continue
		}
		ok := true
		for i, b := range bounds {
			if !boundAdmits(b, rg.Columns[boundCols[i]], rg.Rows) {
				ok = false
				break
			}
		}
		if !ok {
			skipped++
			continue
		}
		sp := parquet.Span{Group: g, Hi: rg.Rows}
		if clip {
			sp.Lo, sp.Hi = merge.KeySpan(pf, g, keyCol, keyType, l.ranges)
			if sp.Hi <= sp.Lo {
				skipped++
				continue
			}
		}
		out = append(out, sp)
	}
	if m := spec.Metrics; m != nil {
		m.RowGroupsSkipped.Add(skipped)
		m.RowGroupsRead.Add(int64(len(out)))
	}
	return out, nil
}

// keyStatsOverlap reports whether a row group whose leading row key column has the statistics
// st may hold a key in the reader's ranges. Rows with leading values in [min, max] have keys
// in [enc(min), PrefixEnd(enc(max))).
func (l *leafReader) keyStatsOverlap(t arrow.DataType, st parquet.ColumnStats) bool {
	if !st.HasMinMax {
		return true
	}
	rg, ok := keys.LeadingRange(t, st.Min, st.Max)
	if !ok {
		return true
	}
	for _, r := range l.ranges {
		if r.Overlaps(rg) {
			return true
		}
	}
	return false
}

// boundAdmits reports whether a row group of rows rows whose column has statistics st may
// hold a value within b, in PostgreSQL's order of floats: NaN above every number.
func boundAdmits(b ColumnBound, st parquet.ColumnStats, rows int64) bool {
	if b.Lower == nil && b.Upper == nil {
		return true
	}
	if st.NullCount >= rows {
		return false // only nulls: no comparison holds
	}
	if !st.HasMinMax {
		return true
	}
	if b.Upper != nil {
		if c, ok := compareStat(st.Min, b.Upper); ok && (c > 0 || c == 0 && !b.UpperInclusive) {
			return false
		}
	}
	// A NaN in the chunk lies above its max: it meets every lower bound and fails every upper
	// bound but NaN. So the max may exclude the chunk only when the chunk holds no NaN or the
	// bound has an upper side that NaN fails; the min excludes it either way. (A NaN bound
	// compares with nothing, so it excludes nothing.)
	if b.Lower != nil && (!st.MayHoldNaN || b.Upper != nil && !isNaN(b.Upper)) {
		if c, ok := compareStat(st.Max, b.Lower); ok && (c < 0 || c == 0 && !b.LowerInclusive) {
			return false
		}
	}
	return true
}

func isNaN(v any) bool {
	f, ok := v.(float64)
	return ok && f != f
}

// compareStat compares two values of the statistics representation; ok is false when they
// cannot be compared (different kinds, NaN).
func compareStat(a, b any) (int, bool) {
	switch x := a.(type) {
	case int64:
		y, ok := asInt64(b)
		if !ok {
			if f, isF := b.(float64); isF && f == f {
				return cmpFloat(float64(x), f), true
			}
			return 0, false
		}
		return cmpOrdered(x, y), true
	case float64:
		var y float64
		switch v := b.(type) {
		case float64:
			y = v
		default:
			n, ok := asInt64(b)
			if !ok {
				return 0, false
			}
			y = float64(n)
		}
		if x != x || y != y {
			return 0, false
		}
		return cmpFloat(x, y), true
	case string:
		switch y := b.(type) {
		case string:
			return strings.Compare(x, y), true
		case []byte:
			return bytes.Compare([]byte(x), y), true
		}
	case []byte:
		switch y := b.(type) {
		case []byte:
			return bytes.Compare(x, y), true
		case string:
			return bytes.Compare(x, []byte(y)), true
		}
	case bool:
		if y, ok := b.(bool); ok {
			switch {
			case x == y:
				return 0, true
			case !x:
				return -1, true
			}
			return 1, true
		}
	case decimal128.Num:
		if y, ok := b.(decimal128.Num); ok {
			return x.Cmp(y), true
		}
	}
	return 0, false
}

func asInt64(v any) (int64, bool) {
	switch n := v.(type) {
	case int64:
		return n, true
	case int:
		return int64(n), true
	case int32:
		return int64(n), true
	case int16:
		return int64(n), true
	case int8:
		return int64(n), true
	case arrow.Date32:
		return int64(n), true
	case arrow.Timestamp:
		return int64(n), true
	}
	return 0, false
}

func cmpOrdered[T int64 | string](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// clip queues the parts of b that lie in the reader's ranges, projected to the output
// columns. b stays the caller's.
func (l *leafReader) clip(b arrow.RecordBatch) {
	m := l.x.scan.spec.Metrics
	n := int(b.NumRows())
	if m != nil {
		m.RowsRead.Add(int64(n))
	}
	fr := l.cur
	if !fr.clip {
		l.emit(b, 0, n)
		return
	}
	cols := make([]arrow.Array, len(fr.keyCols))
	for i, c := range fr.keyCols {
		cols[i] = b.Column(c)
	}
	var buf []byte
	key := func(i int) []byte {
		buf = keys.AppendRow(buf[:0], cols, i)
		return buf
	}
	// first returns the first row at or after from whose key is at least k (rows are sorted).
	first := func(from int, k []byte) int {
		return from + sort.Search(n-from, func(i int) bool { return bytes.Compare(key(from+i), k) >= 0 })
	}
	at := 0
	for _, r := range l.ranges {
		lo := first(at, r.Min)
		hi := n
		if r.Max != nil {
			hi = first(lo, r.Max)
		}
		l.emit(b, lo, hi)
		at = hi
		if at == n {
			break
		}
	}
	if last := l.ranges[len(l.ranges)-1]; last.Max != nil && n > 0 && bytes.Compare(key(n-1), last.Max) >= 0 {
		fr.done = true
	}
}

// emit queues rows [lo, hi) of b projected to the output columns.
func (l *leafReader) emit(b arrow.RecordBatch, lo, hi int) {
	if hi <= lo {
		return
	}
	cols := make([]arrow.Array, len(l.cur.outCols))
	for i, c := range l.cur.outCols {
		if c < 0 {
			// The fill is a constant of the column's type; its text was checked when the
			// column was added, so it parses.
			a, err := merge.FillMissing(memory.DefaultAllocator, l.x.scan.spec.Table.Schema().Field(-1-c), hi-lo)
			if err != nil {
				a = array.MakeArrayOfNull(memory.DefaultAllocator, l.x.scan.schema.Field(i).Type, hi-lo)
			}
			cols[i] = a
			continue
		}
		cols[i] = array.NewSlice(b.Column(c), int64(lo), int64(hi))
	}
	out := array.NewRecordBatch(l.x.scan.schema, cols, int64(hi-lo))
	for _, c := range cols {
		c.Release()
	}
	if m := l.x.scan.spec.Metrics; m != nil {
		m.RowsOutput.Add(int64(hi - lo))
	}
	l.pending = append(l.pending, out)
}

// fanout runs leaf readers, at most par at a time, and merges their batches.
type fanout struct {
	leaves []leafSource
	par    int
	parent context.Context

	started bool
	ctx     context.Context
	cancel  context.CancelFunc
	out     chan arrow.RecordBatch
	errc    chan error
	wg      sync.WaitGroup
	closed  bool
	// err is the sticky end (io.EOF or an error) of a single leaf read inline.
	err error
	// inlined counts the batches a single leaf returned inline.
	inlined int
}

// inlineBatches is how many batches a single leaf returns in the caller's goroutine before
// the rest is read ahead on a goroutine of its own: a key lookup ends within them, a longer
// read (a range) then decodes its next batches while the caller consumes this one.
const inlineBatches = 2

// leafSource streams the rows of one leaf.
type leafSource interface {
	Next(ctx context.Context) (arrow.RecordBatch, error)
	Close()
	name() string
}

func (l *leafReader) name() string { return l.leaf.ID }
func (l *mergedLeaf) name() string { return l.leaf.ID }

func newFanout(ctx context.Context, leaves []leafSource, par int) *fanout {
	return &fanout{leaves: leaves, par: par, parent: ctx}
}

func (f *fanout) start() {
	f.started = true
	f.ctx, f.cancel = context.WithCancel(f.parent)
	f.out = make(chan arrow.RecordBatch, f.par)
	f.errc = make(chan error, 1)
	sem := make(chan struct{}, f.par)
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		var leaves sync.WaitGroup
		defer func() {
			leaves.Wait()
			close(f.out)
		}()
		for _, l := range f.leaves {
			select {
			case sem <- struct{}{}:
			case <-f.ctx.Done():
				return
			}
			leaves.Add(1)
			go func() {
				defer leaves.Done()
				defer func() { <-sem }()
				defer l.Close()
				defer func() {
					// A reader's panic fails the query, not the process.
					if p := recover(); p != nil {
						select {
						case f.errc <- errs.FromPanic(p):
						default:
						}
						f.cancel()
					}
				}()
				for {
					b, err := l.Next(f.ctx)
					if err == io.EOF {
						return
					}
					if err != nil {
						select {
						case f.errc <- err:
						default:
						}
						f.cancel()
						return
					}
					select {
					case f.out <- b:
					case <-f.ctx.Done():
						b.Release()
						return
					}
				}
			}()
		}
	}()
}

// Next implements exec.Stream.
func (f *fanout) Next(ctx context.Context) (arrow.RecordBatch, error) {
	if f.closed {
		return nil, errors.New("catalog: scan stream is closed")
	}
	if len(f.leaves) == 1 && !f.started && (f.inlined < inlineBatches || f.err != nil || f.par < 2) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		b, err := f.inline()
		if err == nil {
			f.inlined++
		}
		return b, err
	}
	if !f.started {
		f.start()
	}
	select {
	case b, ok := <-f.out:
		if ok {
			return b, nil
		}
		select {
		case err := <-f.errc:
			f.errc <- err // keep reporting it
			return nil, err
		default:
		}
		if err := f.parent.Err(); err != nil {
			return nil, err
		}
		return nil, io.EOF
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// inline reads the only leaf in the caller's goroutine: a scan of one leaf (a key lookup)
// needs no reader goroutine and no hand-off of its batches. Past inlineBatches batches (and
// with more than one core to use) the leaf goes on in start's reader goroutine, so that
// decoding overlaps the caller's work.
func (f *fanout) inline() (b arrow.RecordBatch, err error) {
	if f.err != nil {
		return nil, f.err
	}
	defer func() {
		// A reader's panic fails the query, not the process.
		if p := recover(); p != nil {
			b, err = nil, errs.FromPanic(p)
		}
		if err != nil {
			if err == io.EOF {
				if perr := f.parent.Err(); perr != nil {
					err = perr
				}
			}
			f.err = err
		}
	}()
	return f.leaves[0].Next(f.parent)
}

// Close implements exec.Stream: it stops the leaf readers and releases queued batches.
func (f *fanout) Close() error {
	if f.closed {
		return nil
	}
	f.closed = true
	if !f.started {
		for _, l := range f.leaves {
			l.Close()
		}
		return nil
	}
	f.cancel()
	for b := range f.out {
		b.Release()
	}
	f.wg.Wait()
	return nil
}
