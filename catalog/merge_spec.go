package catalog

import (
	"context"

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
func (t *Table) MergeSchema() *arrow.Schema { return merge.ReadSchema(t.readSpec(keys.Full)) }

func (t *Table) readSpec(r keys.Range) merge.ReadSpec {
	all := make([]int, len(t.Columns))
	for i := range all {
		all[i] = i
	}
	return merge.ReadSpec{Schema: t.Schema(), Columns: all, RowKeys: t.RowKeys, Range: r}
}

// mergedLeaf reads one leaf by merging its files in key order and applying the iterator
// stack, then keeps the scan's columns.
type mergedLeaf struct {
	x      *execution
	leaf   *statestore.Partition
	ranges []keys.Range
	refs   []statestore.FileReference

	stream exec.Stream
}

func (l *mergedLeaf) open(ctx context.Context) error {
	spec := &l.x.scan.spec
	t := spec.Table
	m := spec.Metrics
	var inputs []exec.Stream
	fail := func(err error) error {
		for _, in := range inputs {
			in.Close()
		}
		return err
	}
	mem := exec.Allocator(ctx)
	for _, ref := range l.refs {
		f, ok := spec.State.File(ref.File)
		if !ok {
			continue
		}
		for _, r := range l.ranges {
			if f.MinKey != nil && !r.Overlaps(keys.Range{Min: f.MinKey, Max: keys.PrefixEnd(f.MaxKey)}) {
				if m != nil {
					m.FilesSkipped.Add(1)
				}
				continue
			}
			rs := t.readSpec(r)
			rs.Alloc = mem
			in, err := merge.ReadFile(ctx, merge.FileSource{Store: l.x.scan.store, Name: f.Name, Size: f.Bytes, AddedTxn: f.AddedTxn,
				Cache: spec.Files, OnRead: l.x.onRead()}, rs)
			if err != nil {
				return fail(err)
			}
			if m != nil {
				m.opened(f.Name)
			}
			inputs = append(inputs, in)
		}
	}
	schema := t.MergeSchema()
	ncols := len(t.Columns)
	merged, err := merge.Merge(inputs, merge.Spec{Schema: schema, RowKeys: t.RowKeys, SortKeys: t.SortKeys, VersionCol: ncols, Alloc: mem})
	if err != nil {
		return err
	}
	opts := spec.Merge.Options
	opts.Alloc = mem
	applied, err := merge.Apply(merged, schema, opts)
	if err != nil {
		merged.Close()
		return err
	}
	l.stream = applied
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
		cols := make([]arrow.Array, len(l.x.scan.spec.Columns))
		for i, c := range l.x.scan.spec.Columns {
			cols[i] = b.Column(c)
		}
		out := array.NewRecordBatch(l.x.scan.schema, cols, b.NumRows())
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
