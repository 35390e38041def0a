// Package ingest writes rows into a table: it sorts them by key, splits them by leaf partition,
// writes one sorted Parquet file per touched leaf and commits the files in one transaction.
// Write sorts in memory; Writer takes a stream of batches within a memory budget, spilling
// sorted runs to local disk and merging them at commit.
package ingest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/internal/take"
	"github.com/sleeperd/sleeperd/storage/keys"
	"github.com/sleeperd/sleeperd/storage/objstore"
	"github.com/sleeperd/sleeperd/storage/parquet"
	"github.com/sleeperd/sleeperd/storage/sketch"
	"github.com/sleeperd/sleeperd/storage/statestore"
)

// Errors returned by Write, wrapped with context.
var (
	// ErrInvalidSpec: the Spec is inconsistent (no row keys, an index out of range, an
	// unsupported key type, a sort key that is also a row key).
	ErrInvalidSpec = errors.New("invalid ingest spec")
	// ErrSchemaMismatch: a batch does not have the Spec's columns and types.
	ErrSchemaMismatch = errors.New("batch does not match the table schema")
)

// MaxAttempts bounds how often Write re-reads the state and re-splits its files after a commit
// failed because the partitions it split by changed meanwhile.
const MaxAttempts = 5

// chunkRows is how many rows Write gathers into one batch handed to the Parquet writer.
const chunkRows = 64 << 10

// Spec describes the table Write writes into.
type Spec struct {
	Table      statestore.TableID
	Schema     *arrow.Schema // every stored column, in order
	RowKeys    []int         // indices of the row key columns (never null; types keys.Supported accepts)
	SortKeys   []int         // indices of the sort key columns, ordered after the row keys (nulls last)
	Props      parquet.Properties
	FilePrefix string // object name prefix of new files, e.g. "tables/<id>/files/"
	// Alloc allocates the sorted copies of the rows; nil means memory.DefaultAllocator.
	Alloc memory.Allocator
	// Marks are names the commit names besides the stored column names (AddFiles.Columns):
	// it is refused if one of them is retired, as if a column were.
	Marks []string
}

// Validate reports whether the spec is usable.
func (s Spec) Validate() error {
	if s.Table == "" {
		return fmt.Errorf("%w: no table", ErrInvalidSpec)
	}
	if s.Schema == nil {
		return fmt.Errorf("%w: no schema", ErrInvalidSpec)
	}
	if len(s.RowKeys) == 0 {
		return fmt.Errorf("%w: no row key columns", ErrInvalidSpec)
	}
	n := s.Schema.NumFields()
	seen := make(map[int]bool)
	for _, i := range s.RowKeys {
		if i < 0 || i >= n || seen[i] {
			return fmt.Errorf("%w: row key column index %d", ErrInvalidSpec, i)
		}
		seen[i] = true
		if f := s.Schema.Field(i); !keys.Supported(f.Type) {
			return fmt.Errorf("%w: row key column %q has unsupported type %s", ErrInvalidSpec, f.Name, f.Type)
		}
	}
	for _, i := range s.SortKeys {
		if i < 0 || i >= n || seen[i] {
			return fmt.Errorf("%w: sort key column index %d", ErrInvalidSpec, i)
		}
		seen[i] = true
		if f := s.Schema.Field(i); !keys.SortKeySupported(f.Type) {
			return fmt.Errorf("%w: sort key column %q has unsupported type %s", ErrInvalidSpec, f.Name, f.Type)
		}
	}
	if err := s.Props.Validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidSpec, err)
	}
	return nil
}

// Write sorts the rows of batches by (row keys, sort keys), splits them by leaf partition of the
// table's current state, writes one Parquet file per touched leaf and commits them all in one
// AddFiles transaction: every row becomes visible at once, or none does. Rows with equal keys
// keep their input order. It returns the number of rows written. The batches stay owned by the
// caller.
//
// Files are referenced from the leaves of the state read again just before the commit, each
// from every leaf its rows now fall in, with exact row counts; should the commit still fail
// validation because the partitions changed, Write re-reads the state and retries, up to
// MaxAttempts times. Files are never rewritten. On failure the files written are
// deleted, unless a fresh state shows them committed or cannot be read (then they are left to
// garbage collection rather than risk deleting committed data).
//
// A null in a row key column fails with errs.NotNullViolation before anything is written.
func Write(ctx context.Context, store objstore.Store, ss *statestore.Store, spec Spec, batches []arrow.RecordBatch) (int64, error) {
	if err := spec.Validate(); err != nil {
		return 0, err
	}
	if spec.Alloc == nil {
		spec.Alloc = memory.DefaultAllocator
	}
	var total int
	for _, b := range batches {
		if err := checkBatch(spec, b); err != nil {
			return 0, err
		}
		total += int(b.NumRows())
	}
	if total == 0 {
		return 0, nil
	}
	if total > 1<<31-1 {
		return 0, fmt.Errorf("ingest: %d rows in one write, more than %d", total, 1<<31-1)
	}
	return writeSorted(ctx, store, ss, spec, batches, total, chunkRows)
}

// checkBatch reports whether b has the spec's columns and no null row key.
func checkBatch(spec Spec, b arrow.RecordBatch) error {
	if err := checkSchema(spec.Schema, b.Schema()); err != nil {
		return err
	}
	for _, i := range spec.RowKeys {
		if b.Column(i).NullN() > 0 {
			return errs.New(errs.NotNullViolation, "null value in column %q violates not-null constraint", spec.Schema.Field(i).Name)
		}
	}
	return nil
}

// writeSorted sorts the total rows of batches in memory, writes one file per touched leaf,
// gathering chunk rows at a time, and commits them.
func writeSorted(ctx context.Context, store objstore.Store, ss *statestore.Store, spec Spec, batches []arrow.RecordBatch, total, chunk int) (int64, error) {
	p, err := prepareSorted(ctx, store, ss, spec, batches, total, chunk)
	if err != nil {
		return 0, err
	}
	return p.Commit(ctx)
}

// prepareSorted sorts the total rows of batches in memory and writes one file per touched
// leaf, gathering chunk rows at a time, without committing them.
func prepareSorted(ctx context.Context, store objstore.Store, ss *statestore.Store, spec Spec, batches []arrow.RecordBatch, total, chunk int) (*Prepared, error) {
	srt := sortRows(spec, batches, total)
	in := newInput(batches)

	state, err := ss.Snapshot(ctx, spec.Table)
	if err != nil {
		return nil, fmt.Errorf("ingest: read state: %w", err)
	}
	files, err := writeFiles(ctx, store, spec, in, srt, split(srt, 0, total, state.Leaves()), chunk)
	if err != nil {
		cleanup(ctx, store, ss, spec.Table, files)
		return nil, err
	}
	return prepared(ctx, store, ss, spec, state, files, int64(total))
}

// Prepared is a write whose files are written but not committed: AddFiles builds the
// transaction that commits them, Commit commits it on its own, Discard deletes the files.
// A caller that commits the files with other transactions (a statestore.Batch, a
// transaction block committed later) uses AddFiles against the state it commits to.
type Prepared struct {
	store objstore.Store
	ss    *statestore.Store
	spec  Spec
	files []written
	rows  int64
	// txn references the files from leaves, the leaves of the state read last.
	txn    statestore.AddFiles
	leaves []string
}

// prepared references files from the leaves of the newest state (or of state, should it
// not be readable) and returns them as a Prepared; it deletes the files on failure. The
// files' rows are counted by leaf now, so that a Prepared holds no rows in memory.
func prepared(ctx context.Context, store objstore.Store, ss *statestore.Store, spec Spec, state *statestore.State, files []written, rows int64) (*Prepared, error) {
	// Writing may take a while: reference the files from the leaves of the newest state, so
	// that a split committed meanwhile is honoured without a failed commit.
	if fresh, err := ss.Snapshot(ctx, spec.Table); err == nil {
		state = fresh
	}
	p := &Prepared{store: store, ss: ss, spec: spec, files: files, rows: rows}
	txn, err := addFiles(ctx, store, spec, files, state.Leaves())
	if err != nil {
		cleanup(ctx, store, ss, spec.Table, files)
		return nil, err
	}
	p.txn, p.leaves = txn, state.LeafIDs()
	for i := range p.files {
		p.files[i].s = nil
	}
	return p, nil
}

// Rows returns the number of rows written.
func (p *Prepared) Rows() int64 { return p.rows }

// Files returns the files written, as AddFiles adds them.
func (p *Prepared) Files() []statestore.File {
	out := make([]statestore.File, len(p.files))
	for i, f := range p.files {
		out[i] = f.file
	}
	return out
}

// AddFiles returns the transaction that adds the files, each referenced from every leaf of
// state its rows fall in with exact row counts; it is empty (no Files) when nothing was
// written. It reads back the row keys of a file whose leaves have changed since it was
// written.
func (p *Prepared) AddFiles(ctx context.Context, state *statestore.State) (statestore.AddFiles, error) {
	if len(p.files) == 0 {
		return statestore.AddFiles{}, nil
	}
	if slices.Equal(state.LeafIDs(), p.leaves) {
		return p.txn, nil
	}
	txn, err := addFiles(ctx, p.store, p.spec, p.files, state.Leaves())
	if err != nil {
		return statestore.AddFiles{}, err
	}
	p.txn, p.leaves = txn, state.LeafIDs()
	return txn, nil
}

// Commit commits the files in one AddFiles transaction and returns the number of rows.
// Should validation fail because the partitions changed, it references the files from the
// new leaves and retries, up to MaxAttempts times. It deletes the files when the commit
// fails.
func (p *Prepared) Commit(ctx context.Context) (int64, error) {
	if len(p.files) == 0 {
		return p.rows, nil
	}
	txn := p.txn
	var err error
	for attempt := 1; ; attempt++ {
		_, err = p.ss.Commit(ctx, p.spec.Table, txn)
		if err == nil {
			return p.rows, nil
		}
		if attempt >= MaxAttempts || ctx.Err() != nil || !errors.Is(err, statestore.ErrInvalidTransaction) {
			break
		}
		state, serr := p.ss.Snapshot(ctx, p.spec.Table)
		if serr != nil || slices.Equal(state.LeafIDs(), p.leaves) {
			break // not a partition change: retrying the same transaction would fail again
		}
		var aerr error
		if txn, aerr = p.AddFiles(ctx, state); aerr != nil {
			err = aerr
			break
		}
	}
	n := len(p.files)
	p.Discard(ctx)
	return 0, fmt.Errorf("ingest: commit %d files: %w", n, err)
}

// Discard deletes the files that a fresh state shows uncommitted; it keeps them all when
// the state cannot be read (they are then left to garbage collection's orphan sweep).
// The Prepared holds nothing afterwards: no rows, and AddFiles adds no files. It is safe
// more than once.
func (p *Prepared) Discard(ctx context.Context) {
	if len(p.files) > 0 {
		cleanup(ctx, p.store, p.ss, p.spec.Table, p.files)
	}
	p.files, p.rows = nil, 0
}

// checkSchema reports whether got has the fields of want, by type and order.
func checkSchema(want, got *arrow.Schema) error {
	if got.NumFields() != want.NumFields() {
		return fmt.Errorf("%w: %d columns, want %d", ErrSchemaMismatch, got.NumFields(), want.NumFields())
	}
	for i := range want.NumFields() {
		if !arrow.TypeEqual(want.Field(i).Type, got.Field(i).Type) {
			return fmt.Errorf("%w: column %d (%s) is %s, want %s", ErrSchemaMismatch, i, want.Field(i).Name, got.Field(i).Type, want.Field(i).Type)
		}
	}
	return nil
}

// sorted is the rows of a write in key order.
type sorted struct {
	buf  []byte  // encoded keys of all rows, in input order
	off  []int   // row r's key is buf[off[r]:off[r+1]]
	rk   []int   // row r's row key is buf[off[r]:rk[r]]
	perm []int32 // perm[i] is the input row at sorted position i
	// src[i] is the batch of the row at sorted position i; nil for rows of one batch.
	src []int32
}

func (s *sorted) key(r int32) []byte    { return s.buf[s.off[r]:s.off[r+1]] }
func (s *sorted) rowKey(r int32) []byte { return s.buf[s.off[r]:s.rk[r]] }

// rowKeyAt returns the row key of the row at sorted position i.
func (s *sorted) rowKeyAt(i int) []byte { return s.rowKey(s.perm[i]) }

func sortRows(spec Spec, batches []arrow.RecordBatch, total int) *sorted {
	s := &sorted{off: make([]int, 0, total+1), rk: make([]int, total), perm: make([]int32, total)}
	s.off = append(s.off, 0)
	s.buf = make([]byte, 0, keyBytes(spec, batches))
	rkCols := make([]arrow.Array, len(spec.RowKeys))
	ents := make([]sortEntry, total)
	r := 0
	for bi, b := range batches {
		for j, c := range spec.RowKeys {
			rkCols[j] = b.Column(c)
		}
		for i := range int(b.NumRows()) {
			s.buf = keys.AppendRow(s.buf, rkCols, i)
			s.rk[r] = len(s.buf)
			for _, c := range spec.SortKeys {
				s.buf = keys.AppendSortValue(s.buf, b.Column(c), i)
			}
			s.off = append(s.off, len(s.buf))
			ents[r] = sortEntry{pfx: keys.Prefix64(s.key(int32(r))), row: int32(r), src: int32(bi)}
			r++
		}
	}
	// Sort (8-byte key prefix, row) pairs: most comparisons end at the prefix, without
	// touching the key buffer. Ties on the whole key keep the input order, so later rows of
	// one statement stay later.
	sortEntries(ents, s.key)
	if len(batches) > 1 {
		s.src = make([]int32, total)
		for i, e := range ents {
			s.perm[i], s.src[i] = e.row, e.src
		}
	} else {
		for i, e := range ents {
			s.perm[i] = e.row
		}
	}
	return s
}

// keyBytes estimates the size of the encoded keys of batches.
func keyBytes(spec Spec, batches []arrow.RecordBatch) int {
	n := 0
	for _, b := range batches {
		rows := int(b.NumRows())
		for _, c := range slices.Concat(spec.RowKeys, spec.SortKeys) {
			col := b.Column(c)
			if w, ok := col.DataType().(arrow.FixedWidthDataType); ok {
				n += rows * (w.Bytes() + 1)
				continue
			}
			switch a := col.(type) {
			case interface{ ValueOffsets() []int32 }:
				if o := a.ValueOffsets(); len(o) > 0 {
					n += int(o[len(o)-1] - o[0])
				}
			case interface{ ValueOffsets() []int64 }:
				if o := a.ValueOffsets(); len(o) > 0 {
					n += int(o[len(o)-1] - o[0])
				}
			}
			n += rows * 3
		}
	}
	return n
}

type sortEntry struct {
	pfx uint64
	row int32
	src int32 // the batch of row: the sort does not look at it
}

// run is the sorted positions [lo, hi) that fall in one leaf.
type run struct {
	leaf   *statestore.Partition
	lo, hi int
}

// split cuts the sorted positions [lo, hi) at the boundaries of leaves, which are sorted by
// range and cover every key. Leaves with no rows get no run.
func split(s *sorted, lo, hi int, leaves []*statestore.Partition) []run {
	var out []run
	for _, leaf := range leaves {
		if lo >= hi {
			break
		}
		end := hi
		if leaf.Range.Max != nil {
			end = lo + sort.Search(hi-lo, func(i int) bool {
				return bytes.Compare(s.rowKeyAt(lo+i), leaf.Range.Max) >= 0
			})
		}
		if end > lo {
			out = append(out, run{leaf: leaf, lo: lo, hi: end})
			lo = end
		}
	}
	return out
}

// written is a file put in the store. Files of an in-memory write know their rows: the
// sorted positions [lo, hi) of s. Files of a spilled write (s nil) know only their key range.
type written struct {
	file   statestore.File
	s      *sorted
	lo, hi int
}

// writeFiles writes one file per run, a few at a time, gathering chunk rows at a time. It
// returns the files written so far also on error, for cleanup.
func writeFiles(ctx context.Context, store objstore.Store, spec Spec, in *input, s *sorted, runs []run, chunk int) ([]written, error) {
	out := make([]written, len(runs))
	errs := make([]error, len(runs))
	par := min(runtime.GOMAXPROCS(0), 4, len(runs))
	next := make(chan int)
	var wg sync.WaitGroup
	for range par {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := ctx.Err(); err != nil {
					errs[i] = err
					continue
				}
				out[i], errs[i] = writeFile(ctx, store, spec, in, s, runs[i].lo, runs[i].hi, chunk)
			}
		}()
	}
	for i := range runs {
		next <- i
	}
	close(next)
	wg.Wait()
	var done []written
	for i := range runs {
		if errs[i] == nil {
			done = append(done, out[i])
		}
	}
	return done, errors.Join(errs...)
}

// writeFile writes the rows at sorted positions [lo, hi) to a new file, with the sketch of
// their row keys in its footer under sketch.FooterKey. A panic becomes its error (see
// errs.Recovered): the statement fails and the files already written are deleted.
func writeFile(ctx context.Context, store objstore.Store, spec Spec, in *input, s *sorted, lo, hi, chunk int) (w written, err error) {
	var fw *fileWriter
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("ingest: %w", errs.Recovered(p))
			if fw != nil {
				fw.fail(err)
			}
			w = written{}
		}
	}()
	fw, err = newFileWriter(ctx, store, spec)
	if err != nil {
		return written{}, err
	}
	var refs []take.Ref
	for c := lo; c < hi; c += chunk {
		refs = in.sortedRefs(refs[:0], s, c, min(c+chunk, hi))
		batch, err := gather(spec, in, refs)
		if err != nil {
			return written{}, fw.fail(err)
		}
		err = fw.write(batch, func(i int) []byte { return s.rowKeyAt(c + i) })
		batch.Release()
		if err != nil {
			return written{}, fw.fail(err)
		}
	}
	f, err := fw.finish()
	if err != nil {
		return written{}, err
	}
	return written{file: f, s: s, lo: lo, hi: hi}, nil
}

// fileWriter streams one new Parquet data file into the store: the Parquet writer writes into
// a pipe that a concurrent store.Put reads. It builds the sketch and the key range of the
// file's rows as they go by.
type fileWriter struct {
	ctx            context.Context
	store          objstore.Store
	name           string
	pw             *io.PipeWriter
	putErr         chan error
	w              *parquet.Writer
	sk             *sketch.Builder
	minKey, maxKey []byte
	rows           int64
}

func newFileWriter(ctx context.Context, store objstore.Store, spec Spec, opts ...parquet.WriterOption) (*fileWriter, error) {
	pr, pw := io.Pipe()
	f := &fileWriter{
		ctx: ctx, store: store, name: spec.FilePrefix + newID() + ".parquet",
		pw: pw, putErr: make(chan error, 1), sk: sketch.NewBuilder(0),
	}
	go func() {
		err := func() (err error) {
			defer func() {
				if p := recover(); p != nil {
					err = errs.Recovered(p)
				}
			}()
			return store.Put(ctx, f.name, pr)
		}()
		pr.CloseWithError(err) // unblocks the writer if Put gave up early
		f.putErr <- err
	}()
	w, err := parquet.NewWriter(pw, spec.Schema, spec.Props, append([]parquet.WriterOption{parquet.KeyColumns(spec.RowKeys...)}, opts...)...)
	if err != nil {
		return nil, f.fail(fmt.Errorf("ingest: %w", err))
	}
	f.w = w
	return f, nil
}

// write appends the rows of b; rowKey(i) is the encoded row key of row i. Rows come in key
// order.
func (f *fileWriter) write(b arrow.RecordBatch, rowKey func(i int) []byte) error {
	n := int(b.NumRows())
	if n == 0 {
		return nil
	}
	if f.rows == 0 {
		f.minKey = bytes.Clone(rowKey(0))
	}
	for i := range n {
		f.sk.Add(rowKey(i))
	}
	f.maxKey = append(f.maxKey[:0], rowKey(n-1)...)
	f.rows += int64(n)
	if err := f.w.Write(b); err != nil {
		return fmt.Errorf("ingest: write %s: %w", f.name, err)
	}
	return nil
}

// finish completes the file and waits for the store to have it.
func (f *fileWriter) finish() (statestore.File, error) {
	f.w.SetKeyValue(sketch.FooterKey, f.sk.Sketch().Encode())
	meta, err := f.w.Close()
	f.w = nil
	if err != nil {
		return statestore.File{}, f.fail(fmt.Errorf("ingest: write %s: %w", f.name, err))
	}
	if err := f.pw.Close(); err != nil {
		return statestore.File{}, f.fail(fmt.Errorf("ingest: write %s: %w", f.name, err))
	}
	if err := <-f.putErr; err != nil {
		f.store.Delete(context.WithoutCancel(f.ctx), f.name) // best effort: Put is atomic, so usually nothing is there
		return statestore.File{}, fmt.Errorf("ingest: put %s: %w", f.name, err)
	}
	return statestore.File{Name: f.name, Rows: meta.Rows, Bytes: meta.Bytes, MinKey: f.minKey, MaxKey: bytes.Clone(f.maxKey)}, nil
}

// fail stops the upload, waits for it, deletes whatever was stored and returns err.
func (f *fileWriter) fail(err error) error {
	f.pw.CloseWithError(err)
	if f.w != nil {
		f.w.Close() // fails on the closed pipe; releases the writer
		f.w = nil
	}
	<-f.putErr
	f.store.Delete(context.WithoutCancel(f.ctx), f.name) // best effort
	return err
}

// input is the rows of a write, in input order: the batches as given.
type input struct {
	batches []arrow.RecordBatch
	starts  []int // row number of the first row of each batch, and the total at the end
}

func newInput(batches []arrow.RecordBatch) *input {
	in := &input{batches: batches, starts: make([]int, 1, len(batches)+1)}
	for _, b := range batches {
		in.starts = append(in.starts, in.starts[len(in.starts)-1]+int(b.NumRows()))
		for _, c := range b.Columns() {
			settleNulls(c)
		}
	}
	return in
}

// settleNulls counts the NULLs of a and its children now. An array made by slicing keeps its
// count unknown until asked, and asking writes it into the array's data: files written at
// once from the same batches (writeFiles) would otherwise each write it, a data race.
func settleNulls(a arrow.Array) {
	a.NullN()
	switch a := a.(type) {
	case array.ListLike:
		settleNulls(a.ListValues())
	case *array.Struct:
		for i := range a.NumField() {
			settleNulls(a.Field(i))
		}
	case *array.Dictionary:
		settleNulls(a.Dictionary())
	}
}

// sortedRefs appends to out the batch and row of the rows at sorted positions [lo, hi) of s,
// the sort of in's rows.
func (in *input) sortedRefs(out []take.Ref, s *sorted, lo, hi int) []take.Ref {
	if s.src == nil {
		return in.refs(out, s.perm[lo:hi])
	}
	starts := in.starts
	for i, r := range s.perm[lo:hi] {
		b := s.src[lo+i]
		out = append(out, take.Ref{Src: b, Row: r - int32(starts[b])})
	}
	return out
}

// refs appends to out the batch and row of each of the input rows rows.
func (in *input) refs(out []take.Ref, rows []int32) []take.Ref {
	starts := in.starts
	if len(in.batches) == 1 {
		for _, r := range rows {
			out = append(out, take.Ref{Row: r})
		}
		return out
	}
	for _, r := range rows {
		// the last batch whose start is at most r
		lo, hi := 0, len(starts)-1
		for hi-lo > 1 {
			m := int(uint(lo+hi) >> 1)
			if starts[m] <= int(r) {
				lo = m
			} else {
				hi = m
			}
		}
		out = append(out, take.Ref{Src: int32(lo), Row: r - int32(starts[lo])})
	}
	return out
}

// gather returns the rows refs of in as one batch of spec.Schema.
func gather(spec Spec, in *input, refs []take.Ref) (arrow.RecordBatch, error) {
	out, err := gatherCols(spec, in.batches, refs)
	if err != nil {
		return nil, err
	}
	b := array.NewRecordBatch(spec.Schema, out, int64(len(refs)))
	for _, a := range out {
		a.Release()
	}
	return b, nil
}

// gatherCols returns the rows refs of the first len(spec.Schema) columns of batches, each
// value copied once.
func gatherCols(spec Spec, batches []arrow.RecordBatch, refs []take.Ref) ([]arrow.Array, error) {
	n := spec.Schema.NumFields()
	out := make([]arrow.Array, 0, n)
	srcs := make([]arrow.Array, len(batches))
	for i := range n {
		for j, b := range batches {
			srcs[j] = b.Column(i)
		}
		a, err := take.Rows(spec.Alloc, spec.Schema.Field(i).Type, srcs, refs)
		if err != nil {
			for _, a := range out {
				a.Release()
			}
			return nil, fmt.Errorf("ingest: gather column %s: %w", spec.Schema.Field(i).Name, err)
		}
		out = append(out, a)
	}
	return out, nil
}

// addFiles builds the transaction that adds files, each referenced from every leaf its rows
// fall in with exact row counts. A file of a spilled write within one leaf is referenced with
// all its rows; one spanning several leaves (a split committed while it was written) has its
// row keys read back to count them.
func addFiles(ctx context.Context, store objstore.Store, spec Spec, files []written, leaves []*statestore.Partition) (statestore.AddFiles, error) {
	// The stored column names fence the write against a change of a column's type
	// (statestore.RetireColumns) committed after the schema it was written under was read.
	txn := statestore.AddFiles{Files: make([]statestore.NewFile, 0, len(files)), Columns: make([]string, 0, spec.Schema.NumFields())}
	for _, f := range spec.Schema.Fields() {
		txn.Columns = append(txn.Columns, f.Name)
	}
	txn.Columns = append(txn.Columns, spec.Marks...)
	for _, f := range files {
		nf := statestore.NewFile{File: f.file}
		ref := func(leaf *statestore.Partition, rows int64) {
			nf.References = append(nf.References, statestore.FileReference{
				File:        f.file.Name,
				PartitionID: leaf.ID,
				Rows:        rows,
				Exact:       true,
			})
		}
		if f.s != nil {
			for _, r := range split(f.s, f.lo, f.hi, leaves) {
				ref(r.leaf, int64(r.hi-r.lo))
			}
		} else {
			counts, err := countByLeaf(ctx, store, spec, f.file, leaves)
			if err != nil {
				return statestore.AddFiles{}, err
			}
			for i, n := range counts {
				if n > 0 {
					ref(leaves[i], n)
				}
			}
		}
		txn.Files = append(txn.Files, nf)
	}
	return txn, nil
}

// countByLeaf returns how many rows of f fall in each of leaves.
func countByLeaf(ctx context.Context, store objstore.Store, spec Spec, f statestore.File, leaves []*statestore.Partition) ([]int64, error) {
	counts := make([]int64, len(leaves))
	var touched []int
	for i, leaf := range leaves {
		if (leaf.Range.Min == nil || bytes.Compare(leaf.Range.Min, f.MaxKey) <= 0) &&
			(leaf.Range.Max == nil || bytes.Compare(f.MinKey, leaf.Range.Max) < 0) {
			touched = append(touched, i)
		}
	}
	if len(touched) == 1 {
		counts[touched[0]] = f.Rows
		return counts, nil
	}
	leaf := 0
	err := ReadRowKeys(ctx, store, spec, f, func(key []byte) error {
		for leaves[leaf].Range.Max != nil && bytes.Compare(key, leaves[leaf].Range.Max) >= 0 {
			leaf++
		}
		counts[leaf]++
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("ingest: count rows of %s by leaf: %w", f.Name, err)
	}
	return counts, nil
}

// ReadRowKeys calls each with the encoded row key of every row of file f, a file of the
// table spec describes, in file order; the key is valid only during the call. An error of
// each stops the read and is returned.
func ReadRowKeys(ctx context.Context, store objstore.Store, spec Spec, f statestore.File, each func(key []byte) error) error {
	pf, err := parquet.Open(&objstore.ReaderAt{Ctx: ctx, Store: store, Name: f.Name, Size: f.Bytes}, f.Bytes)
	if err != nil {
		return err
	}
	r, err := pf.Read(ctx, parquet.ReadOptions{Columns: spec.RowKeys, Alloc: spec.Alloc})
	if err != nil {
		return err
	}
	defer r.Close()
	var key []byte
	for {
		b, err := r.Next(ctx)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		cols := b.Columns()
		for i := range int(b.NumRows()) {
			key = keys.AppendRow(key[:0], cols, i)
			if err := each(key); err != nil {
				b.Release()
				return err
			}
		}
		b.Release()
	}
}

// cleanup deletes the files of a failed write that a fresh state shows uncommitted. It keeps
// them all when the state cannot be read: a commit whose outcome is unknown may have succeeded.
func cleanup(ctx context.Context, store objstore.Store, ss *statestore.Store, table statestore.TableID, files []written) {
	if len(files) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	state, err := ss.Snapshot(ctx, table)
	if err != nil {
		return
	}
	for _, f := range files {
		if _, ok := state.File(f.file.Name); !ok {
			store.Delete(ctx, f.file.Name) // best effort
		}
	}
}

// newID returns a random 128-bit identifier in hex.
func newID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
