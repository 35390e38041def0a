package merge

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/internal/take"
)

// ref names one row of one of several source arrays.
type ref struct{ src, row int32 }

// gather returns a new array of type dt whose row j is row refs[j].row of srcs[refs[j].src]
// (see take.Rows).
func gather(mem memory.Allocator, dt arrow.DataType, srcs []arrow.Array, refs []ref) (arrow.Array, error) {
	trefs := make([]take.Ref, len(refs))
	for i, r := range refs {
		trefs[i] = take.Ref{Src: r.src, Row: r.row}
	}
	return take.Rows(mem, dt, srcs, trefs)
}
