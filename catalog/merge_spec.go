package catalog

import (
	"context"
	"encoding/binary"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/sleeperd/sleeperd/exec"
	"github.com/sleeperd/sleeperd/storage/keys"
	"github.com/sleeperd/sleeperd/storage/merge"
	"github.com/sleeperd/sleeperd/storage/statestore"
)

// MergeSpec says how to read a table whose rows must be merged before they are returned:
// tables with a primary key, iterators, or active delete predicates. The scan merges the
// files of each leaf in key order and applies Options (package storage/merge).
type MergeSpec struct {
	// Options is the iterator stack; column indices refer to MergeSchema: the table's stored
	// columns, then the version column, then the deleted column.
	Options merge.Options
}

// MergeSchema is the schema of a table's rows as merged: the stored columns, then
// merge.VersionColumn and merge.DeletedColumn.
func (t *Table) MergeSchema() *arrow.Schema {
	return t.cachedSchema('m', nil, func() *arrow.Schema { return merge.ReadSchema(t.readSpec(keys.Full)) })
}

func (t *Table) readSpec(r keys.Range) merge.ReadSpec {
	all := make([]int, len(t.Columns))
	for i := range all {
		all[i] = i
	}
	return merge.ReadSpec{Schema: t.Schema(), Columns: all, RowKeys: t.RowKeys, Range: r, Convert: t.ConvertFormer}
}

// mergedLeaf reads one leaf by merging its files in key order and applying the iterator
// stack, then keeps the scan's columns.
type mergedLeaf struct {
	x      *execution
	leaf   *statestore.Partition
	ranges []keys.Range
	refs   []statestore.FileReference

	stream exec.Stream
	pos    []int         // position in the merged batches of each of the scan's columns
	cols   []arrow.Array // the columns of the batch Next returns (NewRecordBatch copies them)

	// room for the files and inputs of a leaf of few files, so that a point lookup's open
	// allocates no slices for them
	fileBuf [4]*statestore.File
	inBuf   [4]exec.Stream
}

// mergePlan returns the table columns a merged read of the scan reads, in table order, the
// position among them of each of the scan's columns, and the options and schema of the merge
// over them. Only an iterator stack of last write wins and tombstones lets the read
// leave out the columns the scan does not output: the keys decide which rows survive.
// Aggregations, age-off and delete predicates see every column.
func mergePlan(spec *ScanSpec) (cols, outPos []int, opts merge.Options, schema *arrow.Schema) {
	t := spec.Table
	opts = spec.Merge.Options
	n := len(t.Columns)
	if len(opts.Deletes) > 0 || len(opts.Aggregations) > 0 || len(opts.AgeOff) > 0 || opts.VersionCol != n || opts.DeletedCol != n+1 {
		cols = make([]int, n)
		for c := range n {
			cols[c] = c
		}
		return cols, spec.Columns, opts, t.MergeSchema()
	}
	if t.schemas == nil {
		p := buildReadPlan(t, spec.Columns, opts.RowKeys, opts.SortKeys)
		opts.RowKeys, opts.SortKeys, opts.VersionCol, opts.DeletedCol = p.rowKeys, p.sortKeys, len(p.cols), len(p.cols)+1
		return p.cols, p.outPos, opts, p.schema
	}
	// Every execution of a kept plan reads the same columns: the plan is built once per
	// table and key (the scan's columns and the options' keys) and shared, read only.
	var kb [64]byte
	key := append(kb[:0], 'p')
	for _, cs := range [][]int{spec.Columns, opts.RowKeys, opts.SortKeys} {
		for _, c := range cs {
			key = binary.LittleEndian.AppendUint32(key, uint32(c))
		}
		key = append(key, 0xFF, 0xFF, 0xFF, 0xFF) // no column index: ends the list
	}
	var p *readPlan
	if v, ok := t.schemas.Load(string(key)); ok {
		p = v.(*readPlan)
	} else {
		v, _ := t.schemas.LoadOrStore(string(key), buildReadPlan(t, spec.Columns, opts.RowKeys, opts.SortKeys))
		p = v.(*readPlan)
	}
	opts.RowKeys, opts.SortKeys, opts.VersionCol, opts.DeletedCol = p.rowKeys, p.sortKeys, len(p.cols), len(p.cols)+1
	return p.cols, p.outPos, opts, p.schema
}

// readPlan is mergePlan's result for a merge that only keeps the last version of each key:
// the table columns read, the positions among them of the scan's columns and of the merge
// options' keys, and the schema of the read.
type readPlan struct {
	cols, outPos      []int
	rowKeys, sortKeys []int
	schema            *arrow.Schema
}

func buildReadPlan(t *Table, columns, rowKeys, sortKeys []int) *readPlan {
	n := len(t.Columns)
	want := make([]bool, n)
	for _, c := range columns {
		want[c] = true
	}
	for _, c := range t.RowKeys {
		want[c] = true
	}
	for _, c := range t.SortKeys {
		want[c] = true
	}
	p := &readPlan{}
	pos := make([]int, n)
	for c := range n {
		pos[c] = -1
		if want[c] {
			pos[c] = len(p.cols)
			p.cols = append(p.cols, c)
		}
	}
	remap := func(cs []int) []int {
		out := make([]int, len(cs))
		for i, c := range cs {
			out[i] = pos[c]
		}
		return out
	}
	p.outPos, p.rowKeys, p.sortKeys = remap(columns), remap(rowKeys), remap(sortKeys)
	cols := p.cols
	p.schema = t.cachedSchema('r', cols, func() *arrow.Schema { return merge.ReadSchema(merge.ReadSpec{Schema: t.Schema(), Columns: cols}) })
	return p
}

func (l *mergedLeaf) open(ctx context.Context) error {
	spec := &l.x.scan.spec
	t := spec.Table
	m := spec.Metrics
	inputs := l.inBuf[:0]
	fail := func(err error) error {
		for _, in := range inputs {
			in.Close()
		}
		return err
	}
	mem := exec.Allocator(ctx)
	cols, outPos, opts, schema := mergePlan(spec)
	// Rows whose older values the column's type cannot take fail only if they survive.
	var failures *merge.Failures
	if t.hasFormers() {
		failures = merge.NewFailures()
	}
	files := l.fileBuf[:0]
	for _, ref := range l.refs {
		if f, ok := spec.State.File(ref.File); ok {
			files = append(files, f)
		}
	}
	skips, opened, err := l.mergeSkips(ctx, files, &opts)
	if err != nil {
		return err
	}
	for _, f := range files {
		for _, r := range l.ranges {
			if f.MinKey != nil && !r.Overlaps(keys.Range{Min: f.MinKey, Max: keys.PrefixEnd(f.MaxKey)}) {
				if m != nil {
					m.FilesSkipped.Add(1)
				}
				continue
			}
			// The read's columns are cols: no readSpec, whose Columns would be every column.
			rs := merge.ReadSpec{Schema: t.Schema(), RowKeys: t.RowKeys, Range: r, Convert: t.ConvertFormer}
			rs.Columns, rs.Alloc, rs.Out, rs.Failures, rs.Skip = cols, mem, schema, failures, skips[f.Name]
			in, err := merge.ReadFile(ctx, merge.FileSource{Store: l.x.scan.store, Name: f.Name, Size: f.Bytes, AddedTxn: f.AddedTxn,
				Cache: spec.Files, OnRead: l.x.onRead(), File: opened[f.Name]}, rs)
			if err != nil {
				return fail(err)
			}
			if m != nil {
				m.opened(f.Name)
			}
			inputs = append(inputs, in)
		}
	}
	merged, err := merge.Merge(inputs, merge.Spec{Schema: schema, RowKeys: opts.RowKeys, SortKeys: opts.SortKeys, VersionCol: opts.VersionCol, Alloc: mem})
	if err != nil {
		return err
	}
	opts.Alloc = mem
	applied, err := merge.Apply(merged, schema, opts)
	if err != nil {
		merged.Close()
		return err
	}
	l.stream = failures.Check(applied, opts.RowKeys, opts.VersionCol)
	l.pos = outPos // read only
	return nil
}

func (l *mergedLeaf) Next(ctx context.Context) (arrow.RecordBatch, error) {
	if l.stream == nil {
		if err := l.open(ctx); err != nil {
			return nil, err
		}
	}
	for {
		b, err := l.stream.Next(ctx)
		if err != nil {
			return nil, err
		}
		if b.NumRows() == 0 {
			b.Release()
			continue
		}
		if l.cols == nil {
			l.cols = make([]arrow.Array, len(l.x.scan.spec.Columns))
		}
		for i := range l.cols {
			l.cols[i] = b.Column(l.pos[i])
		}
		out := array.NewRecordBatch(l.x.scan.schema, l.cols, b.NumRows())
		clear(l.cols)
		if m := l.x.scan.spec.Metrics; m != nil {
			m.RowsOutput.Add(b.NumRows())
		}
		b.Release()
		return out, nil
	}
}

func (l *mergedLeaf) Close() {
	if l.stream != nil {
		l.stream.Close()
		l.stream = nil
	}
}
