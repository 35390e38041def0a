package function

import (
	"context"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sleeperd/sleeperd/exec"
)

func registerRegtype() {
	i64 := arrow.PrimitiveTypes.Int64
	// _regtype_in(text) is text::regtype computed per row: the OID of the type the text names
	// (an error for a name no type has).
	register(function{resolve: func(args []arrow.DataType) (arrow.DataType, []arrow.DataType, error) {
		if len(args) != 1 || args[0].ID() != arrow.STRING {
			return nil, nil, undefinedFunc("_regtype_in", args)
		}
		return i64, nil, nil
	}, evalCtx: func(ctx context.Context, _ int, typ arrow.DataType, args []arrow.Array) (arrow.Array, error) {
		own := exec.TypeOIDsOf(ctx)
		return rowwise(false, func(v []any) (any, error) {
			oid, err := exec.RegtypeOID(v[0].(string), own)
			if err != nil {
				return nil, err
			}
			return int64(oid), nil
		})(exec.Allocator(ctx), typ, args)
	}}, "_regtype_in")
}
