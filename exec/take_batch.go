package exec

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// TakeBatch returns the rows idx of batch, in that order, as a new batch from mem. The
// caller keeps batch and releases the result.
func TakeBatch(mem memory.Allocator, batch arrow.RecordBatch, idx []int32) arrow.RecordBatch {
	return takeBatch(mem, batch, idx)
}
