package compaction

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"sync/atomic"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/storage/keys"
	"github.com/sleeperd/sleeperd/storage/merge"
	"github.com/sleeperd/sleeperd/storage/objstore"
	"github.com/sleeperd/sleeperd/storage/parquet"
	"github.com/sleeperd/sleeperd/storage/sketch"
	"github.com/sleeperd/sleeperd/storage/statestore"
	"github.com/sleeperd/sleeperd/stream"
)

// Errors of the runner, wrapped with context.
var (
	// ErrJobTaken: the job's files could not be claimed: another runner took them, or they
	// were compacted, pushed down or removed since the job was planned. Nothing was written.
	ErrJobTaken = errors.New("compaction job taken")
	// ErrInvalidEnv: the Env or the Job is unusable.
	ErrInvalidEnv = errors.New("invalid compaction environment")
)

// TableSpec describes the table a job compacts.
type TableSpec struct {
	ID         statestore.TableID
	Schema     *arrow.Schema // the stored columns, without the hidden ones
	RowKeys    []int         // indices into Schema of the row key columns, in key order
	SortKeys   []int         // indices into Schema of the sort key columns, in key order
	Props      parquet.Properties
	FilePrefix string // object name prefix of output files, e.g. "tables/<id>/files/"
	// Convert converts columns input files hold under former names (merge.FormerKey), so
	// that the output holds them in the current type; nil refuses such files.
	Convert merge.Converter
}

// Env is what a runner works with.
type Env struct {
	Store  objstore.Store
	States *statestore.Store
	Table  TableSpec
	// Iterators returns the iterator stack for a job that claimed its files in state: delete
	// predicates compiled from state.DeletePredicates() (all of them: they are the deletes
	// with txn <= the snapshot), last-write-wins or aggregations, age-off, and whether to drop
	// tombstones (honoured only when full). Column indices are into merge.ReadSchema of every
	// column of Table.Schema in order: the table's columns, then merge.VersionColumn at
	// len(columns), then merge.DeletedColumn. RowKeys, SortKeys, VersionCol, DeletedCol and
	// Alloc are set by the runner. Nil means no iterators.
	Iterators func(state *statestore.State, full bool) (merge.Options, error)
	// Alloc allocates the batches of the merge; nil means memory.DefaultAllocator.
	Alloc memory.Allocator
	// ReadAhead reads, decodes and key-encodes each input one batch ahead on a goroutine of
	// its own (merge.Spec.Prefetch; only with more than one core), beside the merge instead
	// of in turn with it, for one more batch per input in memory. The engine sets it: on a
	// quiet two-core machine the 10M-row compaction ran 1.2-1.3x faster with it
	// (docs/performance.md).
	ReadAhead bool
}

func (e *Env) validate() error {
	t := &e.Table
	switch {
	case e.Store == nil || e.States == nil:
		return fmt.Errorf("%w: no object store or state store", ErrInvalidEnv)
	case t.ID == "" || t.Schema == nil || len(t.RowKeys) == 0:
		return fmt.Errorf("%w: table without ID, schema or row keys", ErrInvalidEnv)
	}
	n := t.Schema.NumFields()
	for _, c := range slices.Concat(t.RowKeys, t.SortKeys) {
		if c < 0 || c >= n {
			return fmt.Errorf("%w: key column index %d", ErrInvalidEnv, c)
		}
	}
	return t.Props.Validate()
}

// Result is the outcome of a job that committed.
type Result struct {
	Job    Job
	Output *statestore.File // nil when no row survived
	// RowsRead counts the rows read from the inputs (clipped to the partition), RowsWritten
	// those written.
	RowsRead, RowsWritten int64
	// State is the table's state after the commit.
	State *statestore.State
}

// Run claims the job's files with AssignJobIds, merges them clipped to the partition's range
// through the iterator stack into one sorted file, with the hidden version column (and the
// deleted column while tombstones are kept) and the row key sketch in its footer, and commits
// ReplaceFileReferences. Batches flow from the inputs to the Parquet writer, whose output
// streams to the store: memory is bounded by a batch per input plus the row groups the writer
// encodes at once (see parquet.Writer). Without iterators the merged rows are not copied into
// batches: the writer encodes them from the input batches (merge.GatheredStream,
// parquet.Writer.WriteRows), which it holds until then instead of the copies.
//
// When the files cannot be claimed Run fails with ErrJobTaken and nothing changes. On a
// failure after the claim the output object, if written and not committed, is deleted; the
// claimed references stay assigned to the job.
func Run(ctx context.Context, env Env, job Job) (Result, error) {
	if err := env.validate(); err != nil {
		return Result{}, err
	}
	if job.ID == "" || job.PartitionID == "" || len(job.Files) == 0 {
		return Result{}, fmt.Errorf("%w: job without ID, partition or files", ErrInvalidEnv)
	}
	if env.Alloc == nil {
		env.Alloc = memory.DefaultAllocator
	}
	table := env.Table.ID
	claim := statestore.AssignJobIds{Jobs: []statestore.JobAssignment{{JobID: job.ID, PartitionID: job.PartitionID, Files: job.Files}}}
	st, err := env.States.Commit(ctx, table, claim)
	if err != nil {
		if errors.Is(err, statestore.ErrInvalidTransaction) {
			return Result{}, fmt.Errorf("%w: job %s: %w", ErrJobTaken, job.ID, err)
		}
		return Result{}, fmt.Errorf("compaction: claim job %s: %w", job.ID, err)
	}
	res := Result{Job: job}
	out, err := recoverWrite(ctx, env, job, st, &res)
	if err != nil {
		return Result{}, err
	}
	commit := statestore.ReplaceFileReferences{Jobs: []statestore.JobResult{{
		JobID:       job.ID,
		PartitionID: job.PartitionID,
		InputFiles:  job.Files,
		AppliedTxn:  st.TxnNumber(),
	}}}
	if out != nil {
		commit.Jobs[0].Output = &statestore.NewFile{File: *out}
	}
	after, err := env.States.Commit(ctx, table, commit)
	if err != nil {
		if out != nil {
			cleanup(ctx, env, out.Name)
		}
		return Result{}, fmt.Errorf("compaction: commit job %s: %w", job.ID, err)
	}
	res.State = after
	if out != nil {
		if f, ok := after.File(out.Name); ok {
			res.Output = f
		} else {
			res.Output = out
		}
	}
	return res, nil
}

// recoverWrite is write with a panic (in an iterator, a reader or the writer) turned into the
// job's error (see errs.Recovered), so the runner can release the claim.
func recoverWrite(ctx context.Context, env Env, job Job, st *statestore.State, res *Result) (out *statestore.File, err error) {
	defer func() {
		if p := recover(); p != nil {
			out, err = nil, fmt.Errorf("compaction: job %s: %w", job.ID, errs.Recovered(p))
		}
	}()
	return write(ctx, env, job, st, res)
}

// cleanup deletes an output object unless a fresh state shows it committed; it keeps it when
// the state cannot be read, leaving it to garbage collection rather than risk losing data.
func cleanup(ctx context.Context, env Env, name string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	st, err := env.States.Snapshot(ctx, env.Table.ID)
	if err != nil {
		return
	}
	if _, ok := st.File(name); !ok {
		env.Store.Delete(ctx, name) // best effort
	}
}

// write merges the job's inputs into the output object and returns its File, or nil when no
// row survived (then no object is left behind).
func write(ctx context.Context, env Env, job Job, st *statestore.State, res *Result) (*statestore.File, error) {
	t := &env.Table
	part, ok := st.Partition(job.PartitionID)
	if !ok {
		return nil, fmt.Errorf("compaction: job %s: partition %s not found", job.ID, job.PartitionID)
	}
	n := t.Schema.NumFields()
	cols := make([]int, n)
	for i := range cols {
		cols[i] = i
	}
	rspec := merge.ReadSpec{Schema: t.Schema, Columns: cols, RowKeys: t.RowKeys, Range: part.Range, Alloc: env.Alloc, Convert: t.Convert}
	if t.Convert != nil {
		// A row whose older value the column's type cannot take was removed before the type
		// changed: a full job, which sees what removes it, fails only if it survives; another
		// job writes it with NULL (a newer file still removes it).
		rspec.Failures = merge.NewFailures()
	}
	schema := merge.ReadSchema(rspec)
	versionCol, deletedCol := n, n+1

	var opts merge.Options
	if env.Iterators != nil {
		var err error
		if opts, err = env.Iterators(st, job.Full); err != nil {
			return nil, fmt.Errorf("compaction: job %s: iterators: %w", job.ID, err)
		}
	}
	opts.RowKeys, opts.SortKeys = t.RowKeys, t.SortKeys
	opts.VersionCol, opts.DeletedCol = versionCol, deletedCol
	opts.DropTombstones = opts.DropTombstones && job.Full
	opts.Alloc = env.Alloc
	// Tombstones exist only in last-write-wins tables; they stay until a full job drops them.
	keepDeleted := opts.LastWriteWins && !opts.DropTombstones

	inputs := make([]stream.Stream, 0, len(job.Files))
	for _, name := range job.Files {
		f, ok := st.File(name)
		if !ok {
			closeAll(inputs)
			return nil, fmt.Errorf("compaction: job %s: file %s not found", job.ID, name)
		}
		s, err := merge.ReadFile(ctx, merge.FileSource{Store: env.Store, Name: name, Size: f.Bytes, AddedTxn: f.AddedTxn}, rspec)
		if err != nil {
			closeAll(inputs)
			return nil, fmt.Errorf("compaction: job %s: %w", job.ID, err)
		}
		inputs = append(inputs, &counting{Stream: s, n: &res.RowsRead})
	}
	sortKeys := slices.Clone(t.SortKeys)
	merged, err := merge.Merge(inputs, merge.Spec{Schema: schema, RowKeys: t.RowKeys, SortKeys: sortKeys, VersionCol: versionCol, Alloc: env.Alloc,
		// On one core there is nothing to overlap.
		Prefetch: env.ReadAhead && runtime.GOMAXPROCS(0) > 1})
	if err != nil {
		return nil, fmt.Errorf("compaction: job %s: %w", job.ID, err)
	}
	out, err := merge.Apply(merged, schema, opts)
	if err != nil {
		return nil, fmt.Errorf("compaction: job %s: %w", job.ID, err)
	}
	if job.Full {
		out = rspec.Failures.Check(out, t.RowKeys, versionCol)
	}
	defer out.Close()

	outFields := slices.Clone(schema.Fields())
	if !keepDeleted {
		outFields = outFields[:n+1]
	}
	outSchema := arrow.NewSchema(outFields, nil)
	name := OutputName(t.FilePrefix, job.ID, job.Full)
	ctx = stream.WithAllocator(ctx, env.Alloc)
	return writeObject(ctx, env, name, outSchema, out, res)
}

// writeObject streams the batches of in into a Parquet object name of schema outSchema
// (a prefix of the stream's columns).
func writeObject(ctx context.Context, env Env, name string, outSchema *arrow.Schema, in stream.Stream, res *Result) (f *statestore.File, err error) {
	t := &env.Table
	pr, pw := io.Pipe()
	putErr := make(chan error, 1)
	go func() {
		var err error
		defer func() {
			if p := recover(); p != nil {
				err = errs.Recovered(p)
				pr.CloseWithError(err)
				putErr <- err
			}
		}()
		err = env.Store.Put(ctx, name, pr)
		pr.CloseWithError(err) // unblocks the writer if Put gave up early
		putErr <- err
	}()
	putDone := false
	waitPut := func() error {
		var err error
		if !putDone {
			err, putDone = <-putErr, true
		}
		return err
	}
	fail := func(err error) (*statestore.File, error) {
		pw.CloseWithError(err)
		waitPut()
		env.Store.Delete(context.WithoutCancel(ctx), name) // best effort
		return nil, err
	}
	defer func() {
		// A panic while writing (in an iterator or the encoder) stops the upload and deletes
		// the object before the job fails.
		if p := recover(); p != nil {
			f, err = fail(fmt.Errorf("compaction: write %s: %w", name, errs.Recovered(p)))
		}
	}()
	w, err := parquet.NewWriter(pw, outSchema, t.Props, parquet.KeyColumns(t.RowKeys...))
	if err != nil {
		return fail(fmt.Errorf("compaction: %w", err))
	}
	sk := sketch.NewBuilder(0)
	keyCols := make([]arrow.Array, len(t.RowKeys))
	var minKey, maxKey []byte
	var rows int64
	nOut := outSchema.NumFields()
	gs, gathered := in.(merge.GatheredStream)
	gathered = gathered && gatheredWrites
	for {
		if gathered {
			k, err := writeGathered(ctx, gs, w, t.RowKeys, sk, &minKey, &maxKey, rows == 0)
			if err == io.EOF {
				break
			}
			if err != nil {
				w.Close()
				return fail(fmt.Errorf("compaction: write %s: %w", name, err))
			}
			rows += int64(k)
			continue
		}
		b, err := in.Next(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			w.Close()
			return fail(fmt.Errorf("compaction: write %s: %w", name, err))
		}
		k := int(b.NumRows())
		if k == 0 {
			b.Release()
			continue
		}
		for i, c := range t.RowKeys {
			keyCols[i] = b.Column(c)
		}
		if rows == 0 {
			minKey = keys.AppendRow(nil, keyCols, 0)
		}
		maxKey = keys.AppendRow(maxKey[:0], keyCols, k-1)
		sk.AddColumns(keyCols, k)
		out := b
		if int(b.NumCols()) != nOut {
			out = array.NewRecordBatch(outSchema, b.Columns()[:nOut], b.NumRows())
			b.Release()
		}
		err = w.Write(out)
		out.Release()
		if err != nil {
			w.Close()
			return fail(fmt.Errorf("compaction: write %s: %w", name, err))
		}
		rows += int64(k)
	}
	clear(keyCols)
	w.SetKeyValue(sketch.FooterKey, sk.Sketch().Encode())
	meta, err := w.Close()
	if err != nil {
		return fail(fmt.Errorf("compaction: write %s: %w", name, err))
	}
	if err := pw.Close(); err != nil {
		return fail(fmt.Errorf("compaction: write %s: %w", name, err))
	}
	if err := waitPut(); err != nil {
		env.Store.Delete(context.WithoutCancel(ctx), name)
		return nil, fmt.Errorf("compaction: put %s: %w", name, err)
	}
	res.RowsWritten = rows
	if rows == 0 {
		env.Store.Delete(context.WithoutCancel(ctx), name) // best effort
		return nil, nil
	}
	return &statestore.File{Name: name, Rows: rows, Bytes: meta.Bytes, MinKey: minKey, MaxKey: bytes.Clone(maxKey)}, nil
}

// gatheredWrites hands the merge's rows to the writer as rows of the input batches
// (merge.GatheredStream, parquet.Writer.WriteRows) when no iterator stands between them,
// instead of copying them into batches first; tests turn it off to compare.
var gatheredWrites = true

// writeGathered writes the merge's next batch of rows straight from its input batches and
// adds their keys to the sketch and the bounds; it returns how many rows it wrote, or
// io.EOF at the end.
func writeGathered(ctx context.Context, in merge.GatheredStream, w *parquet.Writer, rowKeys []int, sk *sketch.Builder, minKey, maxKey *[]byte, first bool) (int, error) {
	g, err := in.NextGathered(ctx)
	if err != nil {
		return 0, err
	}
	defer g.Release()
	k := len(g.Refs)
	if k == 0 {
		return 0, nil
	}
	keyCols := make([][]arrow.Array, len(g.Srcs))
	for i, b := range g.Srcs {
		if b == nil {
			continue
		}
		keyCols[i] = make([]arrow.Array, len(rowKeys))
		for j, c := range rowKeys {
			keyCols[i][j] = b.Column(c)
		}
	}
	key := func(dst []byte, i int) []byte {
		r := g.Refs[i]
		return keys.AppendRow(dst, keyCols[r.Src], int(r.Row))
	}
	if first {
		*minKey = key(nil, 0)
	}
	*maxKey = key((*maxKey)[:0], k-1)
	sk.AddKeys(k, key)
	if err := w.WriteRows(g.Srcs, g.Refs); err != nil {
		return 0, err
	}
	return k, nil
}

func closeAll(ss []stream.Stream) {
	for _, s := range ss {
		s.Close()
	}
}

// counting counts the rows of the batches a stream returns. With Env.ReadAhead the merge
// reads its inputs on goroutines of their own, so the count is atomic.
type counting struct {
	stream.Stream
	n *int64
}

func (c *counting) Next(ctx context.Context) (arrow.RecordBatch, error) {
	b, err := c.Stream.Next(ctx)
	if err == nil {
		atomic.AddInt64(c.n, b.NumRows())
	}
	return b, err
}

// pushDownBackoff spaces PushDownAll's attempts when other processes' commits invalidate its
// plan. Each attempt plans afresh, so it fails only while other processes keep compacting
// the very references it planned; with several busy nodes on one store twelve attempts (about
// 3 s) were seen to run out, so it tries for up to about 15 s.
var pushDownBackoff = statestore.Backoff{Attempts: 40, First: 5 * time.Millisecond, Max: 500 * time.Millisecond}

// PushDownAll pushes every unassigned reference of a non-leaf partition down to the leaves,
// committing one SplitFileReferences per level (see PlanPushDown), and returns the number of
// references pushed. References assigned to running jobs stay until those jobs commit.
func PushDownAll(ctx context.Context, states *statestore.Store, table statestore.TableID) (int, error) {
	total := 0
	for attempt := 0; ; attempt++ {
		st, err := states.Snapshot(ctx, table)
		if err != nil {
			return total, fmt.Errorf("compaction: push down: %w", err)
		}
		pushes := PlanPushDown(st)
		if len(pushes) == 0 {
			return total, nil
		}
		txn := statestore.SplitFileReferences{Splits: make([]statestore.FileSplit, len(pushes))}
		for i, p := range pushes {
			txn.Splits[i] = statestore.FileSplit{File: p.File, FromPartition: p.From, ToPartitions: p.To}
		}
		if _, err := states.Commit(ctx, table, txn); err != nil {
			if errors.Is(err, statestore.ErrInvalidTransaction) && attempt+1 < pushDownBackoff.Attempts {
				// The state changed under the plan (another process committed): plan again
				// after a jittered wait, so that busy writers elsewhere do not win every race.
				if err := pushDownBackoff.Wait(ctx, attempt); err != nil {
					return total, fmt.Errorf("compaction: push down: %w", err)
				}
				continue
			}
			if errors.Is(err, statestore.ErrInvalidTransaction) {
				// Other processes kept invalidating the plan: a serialization failure the
				// client may retry, not an internal error.
				return total, errs.Wrap(errs.Conflict, err, "could not serialize access: concurrent compactions kept changing the file references of table %s (%d attempts at pushing them down); try again", table, pushDownBackoff.Attempts)
			}
			return total, fmt.Errorf("compaction: push down: %w", err)
		}
		total += len(pushes)
	}
}
