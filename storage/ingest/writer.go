package ingest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"slices"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/internal/spillfile"
	"github.com/sleeperd/sleeperd/storage/objstore"
	"github.com/sleeperd/sleeperd/storage/statestore"
)

// WriterOptions bound the memory of a Writer.
type WriterOptions struct {
	// Memory is the budget, in bytes, for rows held before they are sorted and spilled;
	// 0 means DefaultMemory.
	Memory int64
	// SpillDir is the local directory spill files go in; "" is os.TempDir().
	SpillDir string
}

// DefaultMemory is the memory budget of a Writer whose options give none.
const DefaultMemory = 256 << 20

// SpillPrefix starts the name of every spill file a Writer creates.
const SpillPrefix = "sleeperd-spill-"

// rowOverhead is the memory the sort takes per row besides the encoded key: key offsets, row
// key ends, the permutation, the batch of each sorted row and the sort entries.
const rowOverhead = 8 + 8 + 4 + 4 + 16

// WriterStats describe the work of a Writer.
type WriterStats struct {
	Rows         int64 // rows appended
	Runs         int   // sorted runs spilled to local disk by Append (0: the write stayed in memory)
	MergePasses  int   // intermediate merge passes over the runs before the final merge
	BytesSpilled int64 // bytes written to spill files, intermediate merge passes included
	// FinalMerges is how many merges the final merge of a spilled write ran at once, over
	// disjoint ranges of row keys (1: one merge; 0: nothing spilled).
	FinalMerges int
	// PeakBytes is the most memory the Writer held at once: rows retained from Append (their
	// Arrow buffers plus the estimated size of their encoded keys and sort index) and the
	// Arrow memory it allocated itself (sorted copies, spill read buffers, merge output).
	PeakBytes int64
}

// Writer writes a stream of batches into a table as one commit, like Write, without holding
// every row in memory.
//
// Append holds rows until they reach half of the memory budget; then a goroutine sorts them,
// writes them to a spill file in SpillDir as one sorted run and lets them go, while Append
// goes on taking up to a quarter of the budget more (a batch above half the budget is taken
// in slices). One spill runs at a time. Commit writes the rows like Write when nothing was spilled.
// Otherwise it merges the runs and the rows still held in key order (rows with equal keys keep
// their input order) and streams the merged rows into one Parquet file per touched leaf, one
// leaf at a time, each straight into the store. With run-ahead memory (256 MiB or more) that
// final merge runs as one merge per core (up to 4) at once over disjoint ranges of row
// keys, cut where a sample of the runs' row keys says the rows divide evenly: at a leaf
// boundary near there if there is one, else inside a leaf, whose rows then go into two files
// split at a row key (rows with equal row keys stay in one file); each reads
// every run from the batch its range starts in, so it holds a batch of each run of its own. A merge reads up to 64 runs at once, fewer
// with a small budget (a batch of each, of at least 64 KiB, fits in a quarter of the budget);
// with more runs, intermediate passes first merge groups of consecutive runs into longer ones.
//
// The memory accounted, and reported as WriterStats.PeakBytes, is the Arrow memory the
// Writer allocates plus, for the rows it holds, their Arrow buffers and the estimated size of
// their encoded keys and sort index; it stays within the budget: half for the rows held (a
// quarter while a spill runs), the rest for the rows being spilled and the chunks gathered
// from them in key order, or for merging (a batch of each run read, the merged output
// batch). A sorted part of more than a few MiB is first copied into cache-sized sub-runs, each
// in key order, that replace its batches as they go (localize): a batch is let go, and no
// longer accounted, once each of its rows is copied. Not accounted: the Parquet writer's row group buffer, the spill
// files' read and write buffers (at most 64 KiB each), the sketch of the file being written.
//
// One leaf's rows go into one file, however many there are, unless the final merge is cut
// inside it: then into one file per range it spans, their row keys disjoint. Spill files are removed as soon
// as they are merged, and by Abort and on every failure.
type Writer struct {
	ctx   context.Context
	store objstore.Store
	ss    *statestore.Store
	spec  Spec // spec.Alloc is mem
	opts  WriterOptions
	mem   *trackingAllocator

	batches   []arrow.RecordBatch // rows held, in input order
	bufRows   int
	bufBytes  int64 // memory accounted for the rows held
	holdBytes int64 // of which not allocated through mem
	rowBytes  int64 // memory accounted for every row appended, for the average row size
	runs      []*spillRun
	samples   []keySample      // row keys sampled from every sorted run, to cut the final merge
	spills    int              // spills started
	spilling  chan spillResult // the spill running in the background, or nil
	stats     WriterStats
	err       error // the first Append failure: the Writer commits nothing after one
	done      bool
}

// NewWriter returns a Writer into the table of spec.
func NewWriter(ctx context.Context, store objstore.Store, ss *statestore.Store, spec Spec, opts WriterOptions) (*Writer, error) {
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	if opts.Memory <= 0 {
		opts.Memory = DefaultMemory
	}
	if opts.SpillDir == "" {
		opts.SpillDir = os.TempDir()
	}
	if spec.Alloc == nil {
		spec.Alloc = memory.DefaultAllocator
	}
	mem := &trackingAllocator{mem: spec.Alloc}
	spec.Alloc = mem
	return &Writer{ctx: ctx, store: store, ss: ss, spec: spec, opts: opts, mem: mem}, nil
}

// Append adds the rows of b. The caller keeps ownership of b. A null row key fails with
// errs.NotNullViolation. After any failure the Writer takes no more rows and commits
// nothing: Commit returns the same error.
func (w *Writer) Append(b arrow.RecordBatch) error {
	if w.done {
		return errors.New("ingest: append to a finished writer")
	}
	if w.err != nil {
		return w.err
	}
	if err := w.append(b); err != nil {
		w.err = err
		w.releaseBuffer()
		return err
	}
	return nil
}

func (w *Writer) append(b arrow.RecordBatch) error {
	if err := checkBatch(w.spec, b); err != nil {
		return err
	}
	n := int(b.NumRows())
	if n == 0 {
		return nil
	}
	cost := spillfile.BatchBufferBytes(b) + int64(keyBytes(w.spec, []arrow.RecordBatch{b})) + int64(n)*rowOverhead
	half := w.opts.Memory / 2
	if cost <= half || n == 1 {
		return w.hold(b, cost)
	}
	// A batch above half the budget goes in slices of about a quarter of the budget. The
	// slices still held at the end are copied, not to keep all of b.
	per := max(1, int(int64(n)*(half/2)/cost))
	first := 0 // of the slices held
	for lo := 0; lo < n; lo += per {
		hi := min(lo+per, n)
		spills := w.spills
		sl := b.NewSlice(int64(lo), int64(hi))
		c := cost * int64(hi-lo) / int64(n)
		err := w.hold(sl, c)
		sl.Release()
		if err != nil {
			return err
		}
		if lo == 0 || w.spills != spills {
			first = len(w.batches) - 1
		}
	}
	for i := first; i < len(w.batches); i++ {
		cp, err := copyBatch(w.spec, w.batches[i])
		if err != nil {
			return err
		}
		w.batches[i].Release()
		w.batches[i] = cp
		// The copy's buffers are allocated through w.mem, which counts them already.
		own := spillfile.BatchBufferBytes(cp)
		w.mem.hold(-own)
		w.holdBytes -= own
	}
	return nil
}

// hold adds b to the rows held, spilling those held first if b would take them over the
// budget; cost is the memory b takes.
func (w *Writer) hold(b arrow.RecordBatch, cost int64) error {
	n := int(b.NumRows())
	if w.spilling != nil && w.bufBytes+cost > w.opts.Memory/4 {
		// The rows being spilled take up to half the budget: hold no more than a quarter
		// beside them, the rest covers the spill's copies.
		if err := w.waitSpill(); err != nil {
			return err
		}
	}
	if w.bufRows > 0 && (w.bufBytes+cost > w.opts.Memory/2 || w.bufRows+n > maxRunRows) {
		if err := w.spill(); err != nil {
			return err
		}
	}
	b.Retain()
	w.batches = append(w.batches, b)
	w.bufRows += n
	w.bufBytes += cost
	w.holdBytes += cost
	w.rowBytes += cost
	w.mem.hold(cost)
	w.stats.Rows += int64(n)
	return nil
}

// copyBatch returns a copy of b with buffers of its own size.
func copyBatch(spec Spec, b arrow.RecordBatch) (arrow.RecordBatch, error) {
	cols := make([]arrow.Array, b.NumCols())
	defer func() {
		for _, c := range cols {
			if c != nil {
				c.Release()
			}
		}
	}()
	for i, c := range b.Columns() {
		cp, err := array.Concatenate([]arrow.Array{c}, spec.Alloc)
		if err != nil {
			return nil, fmt.Errorf("ingest: copy column %d: %w", i, err)
		}
		cols[i] = cp
	}
	return array.NewRecordBatch(b.Schema(), cols, b.NumRows()), nil
}

// maxRunRows bounds the rows of one in-memory sort (its permutation is int32).
var maxRunRows = 1<<31 - 1

// maxFanIn is the most runs one merge reads at once.
var maxFanIn = 64

// minChunkBytes is the least memory a merge gives each run it reads, unless the budget is
// tiny: below it, per-batch costs dominate.
const minChunkBytes = 64 << 10

// Stats returns the statistics of the Writer so far.
func (w *Writer) Stats() WriterStats {
	s := w.stats
	s.PeakBytes = w.mem.peak.Load()
	return s
}

// fanIn returns how many runs a merge reads at once: a batch of each, of at least
// minChunkBytes, fits in a quarter of the budget.
func (w *Writer) fanIn() int {
	return int(min(max(w.opts.Memory/4/minChunkBytes, 2), int64(max(maxFanIn, 2))))
}

// avgRowBytes returns the memory accounted per row appended so far.
func (w *Writer) avgRowBytes() int64 {
	if w.stats.Rows == 0 {
		return 64
	}
	return max(1, w.rowBytes/w.stats.Rows)
}

// chunkRows returns how many rows to gather or spill at a time: the merge holds one chunk of
// each of fanIn runs in a quarter of the budget.
func (w *Writer) chunkRows() int {
	return int(min(max(w.opts.Memory/4/int64(w.fanIn())/w.avgRowBytes(), 16), chunkRows))
}

// outRows returns the most rows a merge puts in one output batch: an eighth of the budget.
func (w *Writer) outRows() int {
	return int(min(max(w.opts.Memory/8/w.avgRowBytes(), 16), chunkRows))
}

// Commit writes every row appended and commits them in one transaction; it returns the
// number of rows. The Writer is finished afterwards, whatever the outcome.
func (w *Writer) Commit(ctx context.Context) (int64, error) {
	p, err := w.Prepare(ctx)
	if err != nil {
		return 0, err
	}
	return p.Commit(ctx)
}

// Prepare writes every row appended into files without committing them, and returns them
// for the caller to commit (or discard). The Writer is finished afterwards, whatever the
// outcome.
func (w *Writer) Prepare(ctx context.Context) (*Prepared, error) {
	if w.done {
		return nil, errors.New("ingest: commit of a finished writer")
	}
	defer w.Abort()
	if w.err != nil {
		return nil, w.err
	}
	if err := w.waitSpill(); err != nil {
		return nil, err
	}
	if len(w.runs) == 0 {
		if w.bufRows == 0 {
			return &Prepared{store: w.store, ss: w.ss, spec: w.spec}, nil
		}
		return prepareSorted(ctx, w.store, w.ss, w.spec, w.batches, w.bufRows, w.chunkRows())
	}
	return w.prepareSpilled(ctx)
}

// Abort drops every row appended and removes what was spilled. It is safe to call after
// Commit, and more than once.
func (w *Writer) Abort() {
	w.waitSpill()
	w.releaseBuffer()
	for _, r := range w.runs {
		r.Remove()
	}
	w.runs = nil
	w.done = true
}

// releaseBuffer lets go of the rows held.
func (w *Writer) releaseBuffer() {
	for _, b := range w.batches {
		b.Release()
	}
	w.batches = nil
	w.mem.hold(-w.holdBytes)
	w.bufRows, w.bufBytes, w.holdBytes = 0, 0, 0
}

// spillResult is the outcome of a spill: its runs, in input order.
type spillResult struct {
	runs    []*spillRun
	samples []keySample
	err     error
}

// minSplitRows is the fewest rows per part of a spill split into parts sorted and written
// at once (a variable for tests).
var minSplitRows = 64 << 10

// spillParts returns how many parts a spill of rows rows is split into: one per core, up to
// 4, each of at least minSplitRows rows.
func spillParts(rows int) int {
	return max(1, min(runtime.GOMAXPROCS(0), 4, rows/minSplitRows))
}

// spill hands the rows held to a background goroutine that sorts them and writes them to
// new runs, after waiting for the spill before it: one spill runs at a time. The rows are
// cut into consecutive parts (spillParts), each sorted and written to a run of its own on a
// goroutine of its own, so that a spill keeps every core busy while Append waits for it.
func (w *Writer) spill() error {
	if err := w.ctx.Err(); err != nil {
		return err
	}
	if err := w.waitSpill(); err != nil {
		return err
	}
	src := w.takeBuffer()
	srcs := src.split(spillParts(src.rows))
	limit := w.outRows()
	done := make(chan spillResult, 1)
	w.spilling = done
	w.spills++
	go func() {
		runs := make([]*spillRun, len(srcs))
		samples := make([][]keySample, len(srcs))
		errs := make([]error, len(srcs))
		var wg sync.WaitGroup
		for i, src := range srcs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				runs[i], samples[i], errs[i] = w.sortRun(src, limit)
			}()
		}
		wg.Wait()
		res := spillResult{runs: runs, samples: slices.Concat(samples...), err: errors.Join(errs...)}
		if res.err != nil {
			for _, r := range runs {
				if r != nil {
					r.Remove()
				}
			}
			res.runs = nil
		}
		done <- res
	}()
	return nil
}

// sortRun sorts the rows of src and writes them to a new run, and returns a sample of their
// row keys; src is closed afterwards.
func (w *Writer) sortRun(src *memSource, limit int) (run *spillRun, samples []keySample, err error) {
	defer func() {
		if p := recover(); p != nil {
			src.close()
			run, samples, err = nil, nil, fmt.Errorf("ingest: %w", errs.Recovered(p))
		}
	}()
	if err := src.sort(); err != nil {
		src.close()
		return nil, nil, err
	}
	samples = src.sampleKeys()
	run, err = w.writeRun(w.ctx, []source{src}, limit)
	if err != nil {
		src.close() // writeRun closes it, unless it failed before the merge
		return nil, nil, err
	}
	return run, samples, nil
}

// waitSpill waits for the spill running in the background, if any, and adds its runs.
func (w *Writer) waitSpill() error {
	if w.spilling == nil {
		return nil
	}
	res := <-w.spilling
	w.spilling = nil
	if res.err != nil {
		return res.err
	}
	w.samples = append(w.samples, res.samples...)
	for _, r := range res.runs {
		w.runs = append(w.runs, r)
		w.stats.Runs++
		w.stats.BytesSpilled += r.Bytes()
	}
	return nil
}

// takeBuffer hands the rows held, and the memory accounted for them, to a new source, not
// sorted yet; the Writer holds no rows afterwards.
func (w *Writer) takeBuffer() *memSource {
	src := &memSource{spec: w.spec, schema: runSchema(w.spec.Schema), in: newInput(w.batches), rows: w.bufRows, chunk: w.chunkRows(), mem: w.mem, held: w.holdBytes}
	w.batches = nil
	w.bufRows, w.bufBytes, w.holdBytes = 0, 0, 0
	return src
}

// sortBuffer sorts the rows held and returns them as sources of consecutive rows, in input
// order: cut into spillParts parts sorted at once. The Writer holds no rows afterwards, the
// sources hold them (and their memory accounted) until closed.
func (w *Writer) sortBuffer() ([]*memSource, error) {
	src := w.takeBuffer()
	parts := src.split(spillParts(src.rows))
	failed := make([]error, len(parts))
	var wg sync.WaitGroup
	for i, p := range parts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				if r := recover(); r != nil {
					failed[i] = fmt.Errorf("ingest: %w", errs.Recovered(r))
				}
			}()
			failed[i] = p.sort()
		}()
	}
	wg.Wait()
	if err := errors.Join(failed...); err != nil {
		for _, p := range parts {
			p.close()
		}
		return nil, err
	}
	return parts, nil
}

// prepareSpilled merges the runs and the rows held into files, not committed.
func (w *Writer) prepareSpilled(ctx context.Context) (*Prepared, error) {
	fanIn := w.fanIn()
	for len(w.runs)+min(w.bufRows, 1) > fanIn {
		if err := w.mergePass(ctx, fanIn); err != nil {
			return nil, err
		}
	}
	state, err := w.ss.Snapshot(ctx, w.spec.Table)
	if err != nil {
		return nil, fmt.Errorf("ingest: read state: %w", err)
	}
	files, err := w.mergeToLeaves(ctx, state.Leaves())
	if err != nil {
		cleanup(ctx, w.store, w.ss, w.spec.Table, files)
		return nil, err
	}
	return prepared(ctx, w.store, w.ss, w.spec, state, files, w.stats.Rows)
}

// mergePass merges consecutive groups of fanIn runs into one run each, so that the runs keep
// their order.
func (w *Writer) mergePass(ctx context.Context, fanIn int) error {
	var done []*spillRun // the runs of this pass, in order
	rest := w.runs
	for len(rest) > 0 {
		group := rest[:min(fanIn, len(rest))]
		rest = rest[len(group):]
		if len(group) == 1 {
			done = append(done, group[0])
			continue
		}
		srcs, err := w.openRuns(group)
		if err != nil {
			return err
		}
		r, err := w.writeRun(ctx, srcs, w.outRows())
		closeSources(srcs)
		if err != nil {
			return err
		}
		w.stats.BytesSpilled += r.Bytes()
		for _, g := range group {
			g.Remove()
		}
		done = append(done, r)
		w.runs = append(slices.Clone(done), rest...) // every spill file there is, for Abort
	}
	w.stats.MergePasses++
	return nil
}
