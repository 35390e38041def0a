package merge

import (
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/internal/take"
)

// ref names one row of one of several source arrays. It has take.Ref's layout (two int32,
// the source first; TestRefLayout), so a []ref is handed to take.Rows as it is, without a
// converted copy for every column of every output batch.
type ref struct{ src, row int32 }

// gather returns a new array of type dt whose row j is row refs[j].row of srcs[refs[j].src]
// (see take.Rows).
func gather(mem memory.Allocator, dt arrow.DataType, srcs []arrow.Array, refs []ref) (arrow.Array, error) {
	return take.Rows(mem, dt, srcs, takeRefs(refs))
}

// takeRefs returns refs as take.Refs, sharing their memory.
func takeRefs(refs []ref) []take.Ref {
	if len(refs) == 0 {
		return nil
	}
	return unsafe.Slice((*take.Ref)(unsafe.Pointer(unsafe.SliceData(refs))), len(refs))
}
