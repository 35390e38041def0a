package exec

import (
	"context"
	"encoding/binary"
	"fmt"
	"hash/maphash"
	"io"
	"os"
	"sync"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/internal/spillfile"
)

// Spilling
//
// Sort, HashAggregate and HashJoin hold their input in memory. When the context carries a
// MemoryBudget (WithMemoryBudget), each of them keeps a Reservation of it sized to an
// estimate of what it holds (Arrow buffers plus Go maps, key encodings and per-row indexes)
// and, when the budget cannot grant more, writes part of its input to spill files (Arrow IPC
// streams) in the directory the context names (WithSpillDir) instead of growing further:
//
//   - Sort sorts what it holds into a run, spills the run and at the end merges the runs.
//   - HashAggregate stops adding groups: rows of groups it already has are still folded in
//     memory, rows of new groups are written, unaggregated, to one of spillFanOut partitions
//     by a hash of their group key; after the in-memory groups each partition is aggregated
//     in turn, recursively with another hash when it is still too large.
//   - HashJoin partitions both inputs by a hash of the join key (grace hash join) and joins
//     each partition pair in turn, recursively when a partition's build side is still too
//     large.
//
// Spill files are removed as soon as they are read, and on Close, on failure and on
// cancellation. Without a budget nothing spills.

// MemoryBudget is the memory the operators of one statement that can spill may hold
// together, shared through reservations. It also counts the spill files made under it.
type MemoryBudget struct {
	limit int64
	used  atomic.Int64

	pool   *MemoryPool // nil: the budget is the statement's alone
	mu     sync.Mutex  // joined and closed, and the pool's share of used
	joined bool        // the statement is counted in the pool
	closed bool

	files atomic.Int64 // spill files created
	bytes atomic.Int64 // bytes written to spill files
}

// NewMemoryBudget returns a budget of limit bytes.
func NewMemoryBudget(limit int64) *MemoryBudget { return &MemoryBudget{limit: limit} }

// Limit is the budget in bytes.
func (b *MemoryBudget) Limit() int64 { return b.limit }

// Used is the memory reserved now.
func (b *MemoryBudget) Used() int64 { return b.used.Load() }

// SpillFiles is how many spill files operators under the budget have created.
func (b *MemoryBudget) SpillFiles() int64 { return b.files.Load() }

// SpilledBytes is how many bytes operators under the budget have written to spill files.
func (b *MemoryBudget) SpilledBytes() int64 { return b.bytes.Load() }

// minShare is the least part of the budget an operator may always hold (1/minShare of it),
// whatever the others hold, so that every operator makes progress.
const minShare = 8

// Reservation is one operator's part of a MemoryBudget. A nil Reservation (no budget)
// grants everything.
type Reservation struct {
	b *MemoryBudget
	n int64
}

func (b *MemoryBudget) reserve() *Reservation {
	if b == nil {
		return nil
	}
	return &Reservation{b: b}
}

// resize sets the reservation to n bytes and reports whether the budget allows it: the
// reservation is changed either way, and the caller is expected to spill when it does not.
func (r *Reservation) resize(n int64) bool {
	if r == nil {
		return true
	}
	delta := n - r.n
	total := r.b.used.Add(delta)
	r.n = n
	limit := r.b.admit(delta, total)
	return total <= limit || n <= limit/minShare
}

// release returns the reservation to the budget.
func (r *Reservation) release() {
	if r != nil {
		r.resize(0)
	}
}

// WithMemoryBudget returns a context whose operators spill rather than hold more than b.
func WithMemoryBudget(ctx context.Context, b *MemoryBudget) context.Context {
	return with(ctx, func(v *ctxValues) { v.st.MemoryBudget = b })
}

// Budget returns the memory budget carried by ctx, or nil (no limit).
func Budget(ctx context.Context) *MemoryBudget {
	if v := valuesOf(ctx); v != nil {
		return v.st.MemoryBudget
	}
	return nil
}

// WithSpillDir returns a context whose operators spill into the directory dir returns,
// called at an operator's first spill.
func WithSpillDir(ctx context.Context, dir func() (string, error)) context.Context {
	return with(ctx, func(v *ctxValues) { v.st.SpillDir = dir })
}

// spillDir returns the directory spill files go in: ctx's, or the system temp directory.
func spillDir(ctx context.Context) (string, error) {
	if v := valuesOf(ctx); v != nil && v.st.SpillDir != nil {
		return v.st.SpillDir()
	}
	return os.TempDir(), nil
}

// SpillFilePrefix starts the name of every spill file an operator creates.
const SpillFilePrefix = "sleeperd-op-"

// spillFanOut is how many partitions a hash aggregate or hash join spills into.
const spillFanOut = 16

// spillBufBytes is the size of a spill file's read or write buffer.
const spillBufBytes = 64 << 10

// spillFile is a spill file of an operator (see spillfile.File), counted by the statement's
// budget.
type spillFile struct {
	f      *spillfile.File
	budget *MemoryBudget
}

// newSpillFile creates a spill file for batches of schema.
func newSpillFile(ctx context.Context, schema *arrow.Schema) (*spillFile, error) {
	dir, err := spillDir(ctx)
	if err != nil {
		return nil, err
	}
	f, err := spillfile.Create(dir, SpillFilePrefix, schema, Allocator(ctx), spillBufBytes)
	if err != nil {
		return nil, fmt.Errorf("spill: %w", err)
	}
	s := &spillFile{f: f, budget: Budget(ctx)}
	if s.budget != nil {
		s.budget.files.Add(1)
		if p := s.budget.pool; p != nil {
			p.files.Add(1)
		}
	}
	return s, nil
}

// write appends b to the file; the caller keeps b.
func (s *spillFile) write(b arrow.RecordBatch) error {
	if b.NumRows() == 0 {
		return nil
	}
	if schema := s.f.Schema(); !b.Schema().Equal(schema) {
		// Same columns, other names or nullability (say, from another branch of a union).
		b = array.NewRecordBatch(schema, b.Columns(), b.NumRows())
		defer b.Release()
	}
	if err := s.f.Write(b); err != nil {
		return fmt.Errorf("spill: %w", err)
	}
	return nil
}

// finish ends writing. It does nothing the second time.
func (s *spillFile) finish() error {
	if s.budget == nil {
		return wrapSpill(s.f.Finish())
	}
	before := s.f.Bytes()
	err := s.f.Finish()
	s.budget.bytes.Add(s.f.Bytes() - before)
	if p := s.budget.pool; p != nil {
		p.bytes.Add(s.f.Bytes() - before)
	}
	return wrapSpill(err)
}

func wrapSpill(err error) error {
	if err != nil {
		return fmt.Errorf("spill: %w", err)
	}
	return nil
}

// remove deletes the file. It is safe to call more than once.
func (s *spillFile) remove() {
	if s != nil {
		s.f.Remove()
	}
}

// open finishes the file and returns a stream of its batches; closing the stream removes
// the file, and so does a failure.
func (s *spillFile) open(ctx context.Context) (*spillStream, error) {
	if err := s.finish(); err != nil {
		s.remove()
		return nil, err
	}
	r, err := s.f.Open(Allocator(ctx), spillBufBytes)
	if err != nil {
		return nil, wrapSpill(err)
	}
	return &spillStream{r: r}, nil
}

// spillStream reads a spill file back; it is a Stream.
type spillStream struct {
	r    *spillfile.Reader
	done bool // closed
}

func (s *spillStream) Next(ctx context.Context) (arrow.RecordBatch, error) {
	if s.done {
		return nil, io.EOF
	}
	if err := ctx.Err(); err != nil {
		return nil, context.Cause(ctx)
	}
	b, err := s.r.Next()
	if err == io.EOF {
		s.Close()
		return nil, io.EOF
	}
	if err != nil {
		return nil, wrapSpill(err)
	}
	return b, nil
}

func (s *spillStream) Close() error {
	s.done = true
	s.r.Close()
	return nil
}

var spillSeed = maphash.MakeSeed()

// partitionsOf sets part[r] to the spill partition of row r of the key columns at the given
// recursion depth (a different hash at each depth), from the rows' group encodings.
func partitionsOf(keys []arrow.Array, depth int, part []int32) {
	encs := make([]rowEncoder, len(keys))
	for i, k := range keys {
		encs[i] = encoder(k)
	}
	var key []byte
	for r := range part {
		key = binary.LittleEndian.AppendUint32(key[:0], uint32(depth))
		for _, e := range encs {
			key = e(key, r)
		}
		part[r] = int32(maphash.Bytes(spillSeed, key) % spillFanOut)
	}
}

// partitionWriter writes rows into spillFanOut spill files.
type partitionWriter struct {
	schema *arrow.Schema
	files  [spillFanOut]*spillFile
	idx    [spillFanOut][]int32
}

// write writes row r of b to partition part[r]; the caller keeps b.
func (w *partitionWriter) write(ctx context.Context, mem memory.Allocator, b arrow.RecordBatch, part []int32) error {
	for i := range w.idx {
		w.idx[i] = w.idx[i][:0]
	}
	for r, p := range part {
		if p >= 0 {
			w.idx[p] = append(w.idx[p], int32(r))
		}
	}
	for p, rows := range w.idx {
		if len(rows) == 0 {
			continue
		}
		if w.files[p] == nil {
			f, err := newSpillFile(ctx, w.schema)
			if err != nil {
				return err
			}
			w.files[p] = f
		}
		var err error
		if len(rows) == int(b.NumRows()) {
			err = w.files[p].write(b)
		} else {
			t := takeBatch(mem, b, rows)
			err = w.files[p].write(t)
			t.Release()
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// remove deletes every file.
func (w *partitionWriter) remove() {
	for i, f := range w.files {
		f.remove()
		w.files[i] = nil
	}
}

// emptyStream is a Stream of no batches.
type emptyStream struct{}

func (emptyStream) Next(context.Context) (arrow.RecordBatch, error) { return nil, io.EOF }
func (emptyStream) Close() error                                    { return nil }

// batchSize estimates the memory the rows of b take: the part of its buffers its rows use
// (a slice of a larger batch counts its own rows only).
func batchSize(b arrow.RecordBatch) int64 {
	n := int64(0)
	for _, c := range b.Columns() {
		n += arraySize(c)
	}
	return n
}

func arraysSize(arrs []arrow.Array) int64 {
	n := int64(0)
	for _, a := range arrs {
		n += arraySize(a)
	}
	return n
}

func arraySize(a arrow.Array) int64 {
	l := int64(a.Len())
	switch t := a.DataType().(type) {
	case arrow.FixedWidthDataType:
		return (l*int64(t.BitWidth())+7)/8 + l/8
	}
	switch a.DataType().ID() {
	case arrow.STRING, arrow.BINARY:
		offs := arrow.GetOffsets[int32](a.Data(), 1)
		return 4*(l+1) + int64(offs[len(offs)-1]-offs[0]) + l/8
	}
	return spillfile.BufferBytes(a.Data())
}
