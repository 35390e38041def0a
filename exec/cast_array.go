package exec

import (
	"context"

	"github.com/apache/arrow-go/v18/arrow"
)

// CastArray converts a to type to as Cast does, with the allocator and time zone of ctx. It
// does not release a.
func CastArray(ctx context.Context, a arrow.Array, to arrow.DataType) (arrow.Array, error) {
	return castArray(Allocator(ctx), TimeZone(ctx), a, to)
}
