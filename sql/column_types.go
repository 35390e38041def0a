package sql

import (
	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/types"
)

// checkColumnType refuses column types a table cannot hold: arrays of character types with a
// length, whose element lengths would go unchecked on assignment.
func checkColumnType(name string, t arrow.DataType) error {
	if e := types.Elem(t); e != nil {
		if n, ok := types.CharLength(e); ok && n >= 0 {
			return errs.New(errs.NotImplemented, "column %q: arrays of %s are not supported; use text[] or character varying[]", name, types.Name(e))
		}
	}
	return nil
}
