// Package exec runs physical query plans: pull-based operators that stream Arrow record batches.
package exec

import (
	"context"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/stream"
)

// Operator is a node of a physical plan.
//
// An operator is a description: it holds no per-execution state and may be executed many
// times, concurrently.
type Operator interface {
	// Schema is the schema of every batch the operator's streams return.
	Schema() *arrow.Schema
	// Children are the operator's inputs, in order.
	Children() []Operator
	// Execute starts the operator. It does no work until the first Next, and stops every
	// goroutine it started when the Stream is closed or ctx is done.
	Execute(ctx context.Context) (Stream, error)
	// String is one line describing the operator, for EXPLAIN.
	String() string
}

// Stream is one execution of an operator: the stream contract storage and the executor share.
type Stream = stream.Stream

// Expr is a physical expression, evaluated over a batch of its input.
type Expr interface {
	// DataType is the type of the array Eval returns.
	DataType() arrow.DataType
	// Eval returns an array with one value per row of batch. The caller releases it.
	Eval(ctx context.Context, batch arrow.RecordBatch) (arrow.Array, error)
	// String is the expression as text, for EXPLAIN.
	String() string
}

// WithAllocator returns a context whose operators and expressions allocate from mem.
func WithAllocator(ctx context.Context, mem memory.Allocator) context.Context {
	return stream.WithAllocator(ctx, mem)
}

// Allocator returns the allocator carried by ctx, or the default Go allocator.
func Allocator(ctx context.Context) memory.Allocator { return stream.Allocator(ctx) }

// BatchRows is the number of rows operators aim for in each batch they build.
const BatchRows = stream.BatchRows
