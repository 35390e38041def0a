// Package stream is the contract between the storage layer and the executor: a pull-based
// stream of Arrow record batches, the batch size both aim for, and the allocator a context
// carries. It sits at the bottom of the layering (arrow-go only), so that storage (merged
// reads, compaction) produces streams the executor consumes without importing it.
package stream

import (
	"context"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Stream is a pull-based sequence of record batches.
type Stream interface {
	// Next returns the next batch, or io.EOF when there are no more. The caller owns the batch
	// and must Release it. Batches may have zero rows.
	Next(ctx context.Context) (arrow.RecordBatch, error)
	// Close stops the stream and releases everything it holds. It is safe to call more than
	// once, and after Next returned an error.
	Close() error
}

// Predicate is a function of a batch's rows, such as an executor's expression; a filter
// checks that its DataType is boolean.
type Predicate interface {
	// DataType is the type of the array Eval returns.
	DataType() arrow.DataType
	// Eval returns a boolean array with one value per row of batch. The caller releases it.
	Eval(ctx context.Context, batch arrow.RecordBatch) (arrow.Array, error)
}

// BatchRows is the number of rows streams aim for in each batch they build.
const BatchRows = 8192

type allocatorKey struct{}

// WithAllocator returns a context whose streams, operators and expressions allocate from mem.
func WithAllocator(ctx context.Context, mem memory.Allocator) context.Context {
	return context.WithValue(ctx, allocatorKey{}, mem)
}

// Allocator returns the allocator carried by ctx, or the default Go allocator.
func Allocator(ctx context.Context) memory.Allocator {
	if mem, ok := ctx.Value(allocatorKey{}).(memory.Allocator); ok {
		return mem
	}
	return memory.DefaultAllocator
}
