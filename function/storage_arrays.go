package function

import (
	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sleeperd/sleeperd/exec"
	"github.com/sleeperd/sleeperd/types"
)

// _time_array_in(text, p) and _uuid_array_in(text) read PostgreSQL's array text of time and
// uuid values ('{10:00,NULL}') into lists of their storage (int64 microseconds rounded to p
// fractional digits, p < 0 for none; 16-byte binary values), with each element's own input
// errors. Package sql puts them where text becomes time[] or uuid[].

func registerStorageArrays() {
	text := arrow.ListOf(arrow.BinaryTypes.String)
	elems := func(s string) ([]any, error) { return exec.ParseArray(s, text, nil) }
	register(function{resolve: func(args []arrow.DataType) (arrow.DataType, []arrow.DataType, error) {
		if len(args) != 2 || args[0].ID() != arrow.STRING || args[1].ID() != arrow.INT32 {
			return nil, nil, undefinedFunc("_time_array_in", args)
		}
		return arrow.ListOf(arrow.PrimitiveTypes.Int64), nil, nil
	}, eval: rowwise(false, func(v []any) (any, error) {
		in, err := elems(v[0].(string))
		if err != nil {
			return nil, err
		}
		p := v[1].(int32)
		for i, e := range in {
			if e == nil {
				continue
			}
			us, err := types.ParseTime(e.(string))
			if err != nil {
				return nil, err
			}
			in[i] = types.RoundTime(us, p)
		}
		return in, nil
	})}, "_time_array_in")
	register(function{resolve: func(args []arrow.DataType) (arrow.DataType, []arrow.DataType, error) {
		if len(args) != 1 || args[0].ID() != arrow.STRING {
			return nil, nil, undefinedFunc("_uuid_array_in", args)
		}
		return arrow.ListOf(arrow.BinaryTypes.Binary), nil, nil
	}, eval: rowwise(false, func(v []any) (any, error) {
		in, err := elems(v[0].(string))
		if err != nil {
			return nil, err
		}
		for i, e := range in {
			if e == nil {
				continue
			}
			u, err := types.ParseUUID(e.(string))
			if err != nil {
				return nil, err
			}
			in[i] = u
		}
		return in, nil
	})}, "_uuid_array_in")
}

func init() {
	// _time_array_round(a, p) rounds each time of a to p fractional digits, as a time[] cast or
	// assigned to time(p)[] is.
	register(function{resolve: func(args []arrow.DataType) (arrow.DataType, []arrow.DataType, error) {
		if len(args) != 2 || args[0].ID() != arrow.LIST || args[1].ID() != arrow.INT32 {
			return nil, nil, undefinedFunc("_time_array_round", args)
		}
		return arrow.ListOf(arrow.PrimitiveTypes.Int64), nil, nil
	}, eval: rowwise(false, func(v []any) (any, error) {
		in := v[0].([]any)
		out := make([]any, len(in))
		for i, e := range in {
			if e != nil {
				out[i] = types.RoundTime(e.(int64), v[1].(int32))
			}
		}
		return out, nil
	})}, "_time_array_round")
}
