package function

import (
	"context"
	"crypto/md5"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sleeperd/sleeperd/exec"
)

// The hash functions over bytea (md5 of text is registered first, in func_string.go), num_nulls,
// num_nonnulls and timeofday.

func registerStringHash() {
	bin, text, i32 := arrow.BinaryTypes.Binary, arrow.BinaryTypes.String, arrow.PrimitiveTypes.Int32
	byteaOnly := func(name string, res arrow.DataType) func([]arrow.DataType) (arrow.DataType, []arrow.DataType, error) {
		return func(args []arrow.DataType) (arrow.DataType, []arrow.DataType, error) {
			if len(args) != 1 || args[0].ID() != arrow.BINARY {
				return nil, nil, undefinedFunc(name, args)
			}
			return res, nil, nil
		}
	}
	for name, sum := range map[string]func([]byte) []byte{
		"sha224": func(b []byte) []byte { s := sha256.Sum224(b); return s[:] },
		"sha256": func(b []byte) []byte { s := sha256.Sum256(b); return s[:] },
		"sha384": func(b []byte) []byte { s := sha512.Sum384(b); return s[:] },
		"sha512": func(b []byte) []byte { s := sha512.Sum512(b); return s[:] },
	} {
		register(function{resolve: byteaOnly(name, bin), eval: rowwise(false, func(v []any) (any, error) { return sum(v[0].([]byte)), nil })}, name)
	}
	register(function{takes: func(args []arrow.DataType) bool {
		return len(args) == 1 && args[0].ID() == arrow.BINARY
	}, resolve: func(args []arrow.DataType) (arrow.DataType, []arrow.DataType, error) {
		return text, nil, nil
	}, eval: rowwise(false, func(v []any) (any, error) {
		h := md5.Sum(v[0].([]byte))
		return hex.EncodeToString(h[:]), nil
	})}, "md5")
	nulls := func(name string, want bool) {
		register(function{resolve: func(args []arrow.DataType) (arrow.DataType, []arrow.DataType, error) {
			if len(args) == 0 {
				return nil, nil, undefinedFunc(name, args)
			}
			return i32, nil, nil
		}, eval: rowwise(true, func(v []any) (any, error) {
			n := int32(0)
			for _, x := range v {
				if (x == nil) == want {
					n++
				}
			}
			return n, nil
		})}, name)
	}
	nulls("num_nulls", true)
	nulls("num_nonnulls", false)
	register(function{resolve: signature("timeofday", text, []int{}), evalCtx: func(ctx context.Context, n int, typ arrow.DataType, _ []arrow.Array) (arrow.Array, error) {
		// As PostgreSQL writes it: Mon Dec 07 01:02:03.123456 2026 UTC.
		now := time.Now().In(exec.TimeZone(ctx))
		return exec.Broadcast(exec.Allocator(ctx), now.Format("Mon Jan 02 15:04:05.000000 2006 MST"), typ, n), nil
	}}, "timeofday")
}
