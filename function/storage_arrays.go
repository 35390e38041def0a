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
	// _json_array_in(text) and _jsonb_array_in(text) read the array text of json and jsonb
	// values, each element checked as json (and normalised as jsonb) with its input errors:
	// their lists hold the elements' text.
	for _, jt := range []*types.JSON{types.JSONType, types.JSONBType} {
		name, lt := "_"+jt.Name()+"_array_in", arrow.ListOf(jt)
		register(function{resolve: func(args []arrow.DataType) (arrow.DataType, []arrow.DataType, error) {
			if len(args) != 1 || args[0].ID() != arrow.STRING {
				return nil, nil, undefinedFunc(name, args)
			}
			return text, nil, nil
		}, eval: rowwise(false, func(v []any) (any, error) {
			return exec.ParseArray(v[0].(string), lt, nil)
		})}, name)
	}
}

func registerTimeArrayRound() {
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

// _time_array_out(a) and _uuid_array_out(a) are time[] and uuid[] (lists of their stored
// int64 microseconds and 16-byte binary values) as PostgreSQL's array text ('{10:00:00,NULL}'):
// package sql puts them where such an array is cast or assigned to text.
func registerStorageArraysOut() {
	out := func(name string, elem arrow.Type, text func(any) string) {
		register(function{resolve: func(args []arrow.DataType) (arrow.DataType, []arrow.DataType, error) {
			if len(args) != 1 || args[0].ID() != arrow.LIST || args[0].(*arrow.ListType).Elem().ID() != elem {
				return nil, nil, undefinedFunc(name, args)
			}
			return arrow.BinaryTypes.String, nil, nil
		}, eval: rowwise(false, func(v []any) (any, error) {
			return exec.ArrayText(v[0].([]any), text), nil
		})}, name)
	}
	out("_time_array_out", arrow.INT64, func(x any) string { return types.FormatTime(x.(int64)) })
	out("_uuid_array_out", arrow.BINARY, func(x any) string { return string(types.AppendUUID(nil, x.([]byte))) })
}

// _time_array_text(a), _timetz_array_text(a) and _uuid_array_text(a) are time[], timetz[]
// and uuid[] (lists of their stored int64 microseconds, packed timetz values and 16-byte
// binary values) as text[] of each element's own text: package sql puts them where a function shows the elements (array_to_string, to_json).
func registerStorageArraysText() {
	texts := func(name string, elem arrow.Type, text func(any) string) {
		register(function{resolve: func(args []arrow.DataType) (arrow.DataType, []arrow.DataType, error) {
			if len(args) != 1 || args[0].ID() != arrow.LIST || args[0].(*arrow.ListType).Elem().ID() != elem {
				return nil, nil, undefinedFunc(name, args)
			}
			return arrow.ListOf(arrow.BinaryTypes.String), nil, nil
		}, eval: rowwise(false, func(v []any) (any, error) {
			in := v[0].([]any)
			out := make([]any, len(in))
			for i, e := range in {
				if e != nil {
					out[i] = text(e)
				}
			}
			return out, nil
		})}, name)
	}
	texts("_time_array_text", arrow.INT64, func(x any) string { return types.FormatTime(x.(int64)) })
	texts("_uuid_array_text", arrow.BINARY, func(x any) string { return string(types.AppendUUID(nil, x.([]byte))) })
	texts("_timetz_array_text", arrow.INT64, func(x any) string { return types.FormatTimeTZ(x.(int64)) })
}
