package engine

import (
	"bytes"
	"context"
	"io"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/exec"
	"github.com/sleeperd/sleeperd/storage/merge"
	"github.com/sleeperd/sleeperd/storage/statestore"
	"github.com/sleeperd/sleeperd/stream"
)

// A table's work commits as one log entry, under one transaction number: every row the
// block wrote gets that number as its version, and each delete predicate removes the rows
// of versions below it. Two pieces of work whose order matters would lose it: a later
// write of a key the block wrote before (rows of equal key and version have no order), or
// a delete predicate after rows the block added (it would not remove them). squash
// rewrites such work before it commits: the block's files are merged in the order they
// were written, with its own delete predicates applied to the rows written before each,
// into new files (tombstones kept, for a PRIMARY KEY table) committed after the
// predicates, which then apply to committed rows only.

// ambiguous reports whether the table's work loses its order in one log entry.
func (tt *txnTable) ambiguous() bool {
	ordered := len(tt.t.PrimaryKey) > 0 || tt.t.Props.Aggregations != ""
	var files []statestore.File
	for _, p := range tt.parts {
		if p.txn != nil {
			if len(files) > 0 {
				return true // a predicate after rows of the block
			}
			continue
		}
		fs := p.prep.Files()
		if ordered {
			for _, f := range fs {
				for _, g := range files {
					if f.Rows > 0 && g.Rows > 0 && bytes.Compare(f.MinKey, g.MaxKey) <= 0 && bytes.Compare(g.MinKey, f.MaxKey) <= 0 {
						return true
					}
				}
			}
		}
		files = append(files, fs...)
	}
	return false
}

// squash rewrites the table's work when its order matters (see above).
func (b *txnBlock) squash(ctx context.Context, tt *txnTable) error {
	if !tt.ambiguous() {
		return nil
	}
	e, t := b.e, tt.t
	var preds []txnPart
	var deletes []statestore.DeletePredicate
	var srcs []merge.FileSource
	for i, p := range tt.parts {
		v := uint64(i + 1) // the order of the work, as Overlay numbers it
		if p.prep != nil {
			for _, f := range p.prep.Files() {
				srcs = append(srcs, merge.FileSource{Store: e.store, Name: f.Name, Size: f.Bytes, AddedTxn: v})
			}
			continue
		}
		if _, ok := p.txn.(statestore.Truncate); ok && i == 0 {
			preds = append(preds, p) // first: it removes committed rows only (fromTruncate)
			continue
		}
		d, ok := p.txn.(statestore.AddDeletePredicate)
		if !ok {
			return errs.New(errs.Internal, "table %s: cannot order a %s in a transaction", t.Name, p.txn.Kind())
		}
		preds = append(preds, p)
		deletes = append(deletes, statestore.DeletePredicate{ID: d.ID, Txn: v, Predicate: d.Predicate})
	}
	opts, err := e.iterators(t, deletes, time.Now(), false)
	if err != nil {
		return err
	}
	alloc := exec.Allocator(ctx)
	opts.Alloc = alloc
	keepDeleted := opts.LastWriteWins
	n := len(t.Columns)
	cols := make([]int, n)
	for i := range cols {
		cols[i] = i
	}
	rspec := merge.ReadSpec{Schema: t.Schema(), Columns: cols, RowKeys: t.RowKeys, Alloc: alloc, Convert: t.ConvertFormer}
	schema := merge.ReadSchema(rspec)
	rspec.Out = schema
	inputs := make([]stream.Stream, 0, len(srcs))
	for _, src := range srcs {
		s, err := merge.ReadFile(ctx, src, rspec)
		if err != nil {
			for _, in := range inputs {
				in.Close()
			}
			return err
		}
		inputs = append(inputs, s)
	}
	merged, err := merge.Merge(inputs, merge.Spec{Schema: schema, RowKeys: t.RowKeys, SortKeys: t.SortKeys, VersionCol: n, Alloc: alloc})
	if err != nil {
		return err
	}
	out, err := merge.Apply(merged, schema, opts)
	if err != nil {
		return err
	}
	defer out.Close()

	spec := t.IngestSpec()
	keep := cols
	if keepDeleted {
		fields := make([]arrow.Field, 0, n+1)
		for i, f := range t.Schema().Fields() {
			f.Nullable = f.Nullable || !contains(t.RowKeys, i)
			fields = append(fields, f)
		}
		fields = append(fields, arrow.Field{Name: merge.DeletedColumn, Type: arrow.FixedWidthTypes.Boolean, Nullable: true})
		spec.Schema = arrow.NewSchema(fields, nil)
		keep = append(append([]int{}, cols...), n+1)
	}
	w, err := e.openWriter(ctx, t, spec)
	if err != nil {
		return err
	}
	defer w.Abort()
	sctx := stream.WithAllocator(ctx, alloc)
	for {
		batch, err := out.Next(sctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		arrs := make([]arrow.Array, len(keep))
		for i, c := range keep {
			arrs[i] = batch.Column(c)
		}
		rec := array.NewRecordBatch(spec.Schema, arrs, batch.NumRows())
		batch.Release()
		err = w.w.Append(rec)
		rec.Release()
		if err != nil {
			return err
		}
	}
	p, err := w.w.Prepare(ctx)
	w.count()
	if err != nil {
		return err
	}
	for _, old := range tt.parts {
		if old.prep != nil {
			old.prep.Discard(ctx)
		}
	}
	tt.parts = append(preds, txnPart{prep: p})
	if p.Rows() == 0 {
		tt.parts = preds
	}
	return nil
}
