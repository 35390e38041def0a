package ingest

import (
	"context"
	"errors"

	"github.com/apache/arrow-go/v18/arrow"

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

// Writer writes a stream of batches into a table as one commit, like Write, without holding
// every row in memory.
type Writer struct {
	ctx     context.Context
	store   objstore.Store
	ss      *statestore.Store
	spec    Spec
	opts    WriterOptions
	batches []arrow.RecordBatch
	done    bool
}

// NewWriter returns a Writer into the table of spec.
func NewWriter(ctx context.Context, store objstore.Store, ss *statestore.Store, spec Spec, opts WriterOptions) (*Writer, error) {
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	if opts.Memory <= 0 {
		opts.Memory = DefaultMemory
	}
	return &Writer{ctx: ctx, store: store, ss: ss, spec: spec, opts: opts}, nil
}

// Append adds the rows of b. The caller keeps ownership of b.
func (w *Writer) Append(b arrow.RecordBatch) error {
	if w.done {
		return errors.New("ingest: append to a finished writer")
	}
	if err := checkSchema(w.spec.Schema, b.Schema()); err != nil {
		return err
	}
	if b.NumRows() == 0 {
		return nil
	}
	b.Retain()
	w.batches = append(w.batches, b)
	return nil
}

// Commit writes every row appended and commits them in one transaction; it returns the
// number of rows. The Writer is finished afterwards, whatever the outcome.
func (w *Writer) Commit(ctx context.Context) (int64, error) {
	if w.done {
		return 0, errors.New("ingest: commit of a finished writer")
	}
	defer w.Abort()
	return Write(ctx, w.store, w.ss, w.spec, w.batches)
}

// Abort drops every row appended and removes what was spilled. It is safe to call after
// Commit, and more than once.
func (w *Writer) Abort() {
	for _, b := range w.batches {
		b.Release()
	}
	w.batches = nil
	w.done = true
}
