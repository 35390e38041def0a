package function

import (
	"context"
	"crypto/rand"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/sleeperd/sleeperd/exec"
	"github.com/sleeperd/sleeperd/types"
)

// The uuid functions. uuid values (types.UUID) reach exec as their 16 bytes; package sql puts
// _uuid_in and _uuid_out where text becomes uuid and back.

func registerUUID() {
	volatile["gen_random_uuid"] = true
	bin, text := arrow.BinaryTypes.Binary, arrow.BinaryTypes.String
	register(function{resolve: func(args []arrow.DataType) (arrow.DataType, []arrow.DataType, error) {
		if len(args) != 1 || args[0].ID() != arrow.STRING {
			return nil, nil, undefinedFunc("_uuid_in", args)
		}
		return bin, nil, nil
	}, eval: rowwise(false, func(v []any) (any, error) { return types.ParseUUID(v[0].(string)) })}, "_uuid_in")
	register(function{resolve: func(args []arrow.DataType) (arrow.DataType, []arrow.DataType, error) {
		if len(args) != 1 || args[0].ID() != arrow.BINARY {
			return nil, nil, undefinedFunc("_uuid_out", args)
		}
		return text, nil, nil
	}, eval: rowwise(false, func(v []any) (any, error) { return string(types.AppendUUID(nil, v[0].([]byte))), nil })}, "_uuid_out")
	// gen_random_uuid() is a version 4 (random) uuid, different for each row.
	register(function{resolve: func(args []arrow.DataType) (arrow.DataType, []arrow.DataType, error) {
		if len(args) != 0 {
			return nil, nil, undefinedFunc("gen_random_uuid", args)
		}
		return types.UUIDType, nil, nil
	}, evalCtx: func(ctx context.Context, n int, _ arrow.DataType, _ []arrow.Array) (arrow.Array, error) {
		b := array.NewBinaryBuilder(exec.Allocator(ctx), bin)
		defer b.Release()
		buf := make([]byte, 16*n)
		if _, err := rand.Read(buf); err != nil {
			return nil, err
		}
		for i := 0; i < n; i++ {
			u := buf[16*i : 16*i+16]
			u[6] = u[6]&0x0f | 0x40 // version 4
			u[8] = u[8]&0x3f | 0x80 // RFC 4122 variant
			b.Append(u)
		}
		return b.NewArray(), nil
	}}, "gen_random_uuid")
}
