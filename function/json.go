package function

import (
	"math"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/exec"
	"github.com/sleeperd/sleeperd/types"
)

// The json and jsonb functions and operators. Values of both types reach exec as their text
// (types.JSON is stored as strings): json as given, jsonb normalised. Package sql picks the
// function for each operator and wraps conversions to json and jsonb in _json_in and
// _jsonb_in; the functions here parse their arguments per row.

// jsonArg parses the json or jsonb text of an argument. Its text was validated when it became
// json, so errors here are rare (a json value holding \u0000 read as jsonb).
func jsonArg(v any) (*types.JSONValue, error) { return types.ParseJSON(v.(string), "json") }

// jsonbOut is the jsonb text of v, normalised.
func jsonbOut(v *types.JSONValue) (any, error) {
	v.Raw = ""
	if err := v.Normalize(); err != nil {
		return nil, err
	}
	return v.JSONB(), nil
}

// jsonScalarText is v as ->> shows it: a string's text, null as SQL NULL, others as JSON.
func jsonScalarText(v *types.JSONValue) any {
	switch v.Kind {
	case types.JSONNull:
		return nil
	case types.JSONString:
		return v.Str
	}
	return v.Text()
}

// textList is the non-NULL strings of a text[] value; ok is false when one is NULL.
func textList(v any) ([]string, bool) {
	l := v.([]any)
	out := make([]string, len(l))
	for i, x := range l {
		s, ok := x.(string)
		if !ok {
			return nil, false
		}
		out[i] = s
	}
	return out, true
}

// jsonPath follows path (object keys, or array indexes as integers) from v; nil when a step
// is missing.
func jsonPath(v *types.JSONValue, path []string) *types.JSONValue {
	for _, p := range path {
		switch v.Kind {
		case types.JSONObject:
			v = v.Get(p)
		case types.JSONArray:
			i, err := strconv.ParseInt(strings.TrimSpace(p), 10, 64)
			if err != nil {
				return nil
			}
			v = v.Index(i)
		default:
			return nil
		}
		if v == nil {
			return nil
		}
	}
	return v
}

func jsonResolve(name string, res arrow.DataType, kinds ...arrow.Type) func([]arrow.DataType) (arrow.DataType, []arrow.DataType, error) {
	return func(args []arrow.DataType) (arrow.DataType, []arrow.DataType, error) {
		if len(args) != len(kinds) {
			return nil, nil, undefinedFunc(name, args)
		}
		conv := make([]arrow.DataType, len(args))
		for i, k := range kinds {
			switch {
			case k == arrow.INT64 && exec.IsInteger(args[i]):
				conv[i] = arrow.PrimitiveTypes.Int64
			case k == arrow.LIST && args[i].ID() == arrow.LIST && exec.ElemType(args[i]).ID() == arrow.STRING:
			case k == args[i].ID() && k != arrow.LIST && k != arrow.INT64:
			default:
				return nil, nil, undefinedFunc(name, args)
			}
		}
		return res, conv, nil
	}
}

// variadicText accepts one json argument followed by any number of text ones.
func variadicText(name string, res arrow.DataType, min int) func([]arrow.DataType) (arrow.DataType, []arrow.DataType, error) {
	return func(args []arrow.DataType) (arrow.DataType, []arrow.DataType, error) {
		if len(args) < min {
			return nil, nil, undefinedFunc(name, args)
		}
		for _, a := range args {
			if a.ID() != arrow.STRING {
				return nil, nil, undefinedFunc(name, args)
			}
		}
		return res, nil, nil
	}
}

func regJSON(res arrow.DataType, nulls bool, f func([]any) (any, error), name string, kinds ...arrow.Type) {
	register(function{resolve: jsonResolve(name, res, kinds...), eval: rowwise(nulls, f)}, name)
}

func registerJSON() {
	text, i32, boolean := arrow.BinaryTypes.String, arrow.PrimitiveTypes.Int32, arrow.FixedWidthTypes.Boolean
	S, I, L, B := arrow.STRING, arrow.INT64, arrow.LIST, arrow.BOOL

	regJSON(text, false, func(v []any) (any, error) {
		if _, err := types.ParseJSON(v[0].(string), "json"); err != nil {
			return nil, err
		}
		return v[0], nil
	}, "_json_in", S)
	regJSON(text, false, func(v []any) (any, error) { return types.JSONBNormalize(v[0].(string)) }, "_jsonb_in", S)

	// -> and ->> with a key or an index; the json and jsonb functions share one body, as
	// a value's Raw text is its jsonb text when the whole is jsonb.
	field := func(asText bool) func([]any) (any, error) {
		return func(v []any) (any, error) {
			j, err := jsonArg(v[0])
			if err != nil {
				return nil, err
			}
			var e *types.JSONValue
			if k, ok := v[1].(string); ok {
				e = j.Get(k)
			} else {
				e = j.Index(v[1].(int64))
			}
			if e == nil {
				return nil, nil
			}
			if asText {
				return jsonScalarText(e), nil
			}
			return e.Text(), nil
		}
	}
	for _, p := range []string{"json", "jsonb"} {
		regJSON(text, false, field(false), p+"_object_field", S, S)
		regJSON(text, false, field(true), p+"_object_field_text", S, S)
		regJSON(text, false, field(false), p+"_array_element", S, I)
		regJSON(text, false, field(true), p+"_array_element_text", S, I)
	}
	// #> and #>> with a text[] path; json(b)_extract_path(_text) with variadic text.
	path := func(asText bool, variadic bool) func([]any) (any, error) {
		return func(v []any) (any, error) {
			if v[0] == nil {
				return nil, nil
			}
			var steps []string
			if variadic {
				for _, s := range v[1:] {
					if s == nil {
						return nil, nil
					}
					steps = append(steps, s.(string))
				}
			} else {
				if v[1] == nil {
					return nil, nil
				}
				var ok bool
				if steps, ok = textList(v[1]); !ok {
					return nil, nil
				}
			}
			j, err := jsonArg(v[0])
			if err != nil {
				return nil, err
			}
			e := jsonPath(j, steps)
			if e == nil {
				return nil, nil
			}
			if asText {
				return jsonScalarText(e), nil
			}
			return e.Text(), nil
		}
	}
	regJSON(text, false, path(false, false), "_json_path", S, L)
	regJSON(text, false, path(true, false), "_json_path_text", S, L)
	for _, p := range []string{"json", "jsonb"} {
		register(function{resolve: variadicText(p+"_extract_path", text, 1), eval: rowwise(true, path(false, true))}, p+"_extract_path")
		register(function{resolve: variadicText(p+"_extract_path_text", text, 1), eval: rowwise(true, path(true, true))}, p+"_extract_path_text")
	}

	two := func(f func(a, b *types.JSONValue) (any, error)) func([]any) (any, error) {
		return func(v []any) (any, error) {
			a, err := jsonArg(v[0])
			if err != nil {
				return nil, err
			}
			b, err := jsonArg(v[1])
			if err != nil {
				return nil, err
			}
			return f(a, b)
		}
	}
	regJSON(boolean, false, two(func(a, b *types.JSONValue) (any, error) { return types.JSONContains(a, b, true), nil }), "jsonb_contains", S, S)
	regJSON(boolean, false, two(func(a, b *types.JSONValue) (any, error) { return types.JSONContains(b, a, true), nil }), "jsonb_contained", S, S)
	regJSON(text, false, two(jsonbConcat), "jsonb_concat", S, S)

	// ? ?| ?&: a key of an object, or a string element of an array (or the string itself).
	has := func(j *types.JSONValue, k string) bool {
		switch j.Kind {
		case types.JSONObject:
			return j.Get(k) != nil
		case types.JSONArray:
			for _, e := range j.Elems {
				if e.Kind == types.JSONString && e.Str == k {
					return true
				}
			}
		case types.JSONString:
			return j.Str == k
		}
		return false
	}
	regJSON(boolean, false, func(v []any) (any, error) {
		j, err := jsonArg(v[0])
		if err != nil {
			return nil, err
		}
		return has(j, v[1].(string)), nil
	}, "jsonb_exists", S, S)
	exists := func(all bool) func([]any) (any, error) {
		return func(v []any) (any, error) {
			j, err := jsonArg(v[0])
			if err != nil {
				return nil, err
			}
			for _, k := range v[1].([]any) {
				s, ok := k.(string)
				if !ok {
					continue // NULL keys are ignored
				}
				if has(j, s) != all {
					return !all, nil
				}
			}
			return all, nil
		}
	}
	regJSON(boolean, false, exists(false), "jsonb_exists_any", S, L)
	regJSON(boolean, false, exists(true), "jsonb_exists_all", S, L)

	// - with a key, an index or keys; #- with a path.
	regJSON(text, false, func(v []any) (any, error) {
		j, err := jsonArg(v[0])
		if err != nil {
			return nil, err
		}
		return jsonbDeleteKeys(j, []string{v[1].(string)})
	}, "jsonb_delete", S, S)
	regJSON(text, false, func(v []any) (any, error) {
		j, err := jsonArg(v[0])
		if err != nil {
			return nil, err
		}
		keys, _ := textList(v[1])
		if keys == nil {
			for _, k := range v[1].([]any) {
				if s, ok := k.(string); ok {
					keys = append(keys, s)
				}
			}
		}
		return jsonbDeleteKeys(j, keys)
	}, "_jsonb_delete_keys", S, L)
	regJSON(text, false, func(v []any) (any, error) {
		j, err := jsonArg(v[0])
		if err != nil {
			return nil, err
		}
		switch j.Kind {
		case types.JSONObject:
			return nil, errs.New(errs.DatatypeMismatch, "cannot delete from object using integer index")
		case types.JSONArray:
		default:
			return nil, errs.New(errs.DatatypeMismatch, "cannot delete from scalar")
		}
		i := v[1].(int64)
		if i < 0 {
			i += int64(len(j.Elems))
		}
		if i >= 0 && i < int64(len(j.Elems)) {
			j.Elems = append(j.Elems[:i:i], j.Elems[i+1:]...)
		}
		return jsonbOut(j)
	}, "_jsonb_delete_index", S, I)
	regJSON(text, false, func(v []any) (any, error) {
		j, err := jsonArg(v[0])
		if err != nil {
			return nil, err
		}
		p, ok := textList(v[1])
		if !ok {
			return nil, errs.New(errs.InvalidParameter, "path element at position 1 is null")
		}
		if j.Kind != types.JSONObject && j.Kind != types.JSONArray {
			return nil, errs.New(errs.InvalidParameter, "cannot delete path in scalar")
		}
		jsonDeletePath(j, p)
		return jsonbOut(j)
	}, "jsonb_delete_path", S, L)

	for _, p := range []string{"json", "jsonb"} {
		regJSON(text, false, func(v []any) (any, error) {
			j, err := jsonArg(v[0])
			if err != nil {
				return nil, err
			}
			return j.Kind.String(), nil
		}, p+"_typeof", S)
		name := p
		regJSON(i32, false, func(v []any) (any, error) {
			j, err := jsonArg(v[0])
			if err != nil {
				return nil, err
			}
			switch j.Kind {
			case types.JSONArray:
				return int32(len(j.Elems)), nil
			case types.JSONObject:
				return nil, errs.New(errs.InvalidParameter, "cannot get array length of a non-array")
			}
			return nil, errs.New(errs.InvalidParameter, "cannot get array length of a scalar")
		}, name+"_array_length", S)
	}
	regJSON(text, false, func(v []any) (any, error) {
		j, err := jsonArg(v[0])
		if err != nil {
			return nil, err
		}
		stripNulls(j)
		return jsonbOut(j)
	}, "jsonb_strip_nulls", S)
	regJSON(text, false, func(v []any) (any, error) {
		j, err := jsonArg(v[0])
		if err != nil {
			return nil, err
		}
		stripNulls(j)
		j.Raw = ""
		return string(appendCompact(nil, j, ",", ":")), nil
	}, "json_strip_nulls", S)
	regJSON(text, false, func(v []any) (any, error) {
		j, err := jsonArg(v[0])
		if err != nil {
			return nil, err
		}
		return string(j.AppendPretty(nil, 0)), nil
	}, "jsonb_pretty", S)
	set := func(v []any) (any, error) {
		j, err := jsonArg(v[0])
		if err != nil {
			return nil, err
		}
		p, ok := textList(v[1])
		if !ok {
			return nil, errs.New(errs.InvalidParameter, "path element at position 1 is null")
		}
		nv, err := jsonArg(v[2])
		if err != nil {
			return nil, err
		}
		create := len(v) < 4 || v[3].(bool)
		if j.Kind != types.JSONObject && j.Kind != types.JSONArray {
			return nil, errs.New(errs.InvalidParameter, "cannot set path in scalar")
		}
		if err := jsonSetPath(j, p, nv, create); err != nil {
			return nil, err
		}
		return jsonbOut(j)
	}
	register(function{resolve: func(args []arrow.DataType) (arrow.DataType, []arrow.DataType, error) {
		if len(args) == 4 {
			return jsonResolve("jsonb_set", text, S, L, S, B)(args)
		}
		return jsonResolve("jsonb_set", text, S, L, S)(args)
	}, eval: rowwise(false, set)}, "jsonb_set")

	// Casts of jsonb to scalar types: a number's text (which the caller casts on), a boolean.
	regJSON(text, false, func(v []any) (any, error) {
		j, err := jsonArg(v[0])
		if err != nil {
			return nil, err
		}
		if j.Kind != types.JSONNumber {
			return nil, errs.New(errs.InvalidParameter, "cannot cast jsonb %s to type %s", jsonCastKind(j), v[1].(string))
		}
		return j.Str, nil
	}, "_jsonb_number", S, S)
	regJSON(boolean, false, func(v []any) (any, error) {
		j, err := jsonArg(v[0])
		if err != nil {
			return nil, err
		}
		if j.Kind != types.JSONBool {
			return nil, errs.New(errs.InvalidParameter, "cannot cast jsonb %s to type boolean", jsonCastKind(j))
		}
		return j.Str == "true", nil
	}, "_jsonb_bool", S)

	// Building values: the arguments are JSON texts made by package sql from each value
	// (to_json's conversion), keys as plain text.
	register(function{resolve: variadicText("_json_build_object", text, 0), eval: rowwise(true, func(v []any) (any, error) {
		return buildObject(v, false)
	})}, "_json_build_object")
	register(function{resolve: variadicText("_jsonb_build_object", text, 0), eval: rowwise(true, func(v []any) (any, error) {
		return buildObject(v, true)
	})}, "_jsonb_build_object")
	register(function{resolve: variadicText("_json_build_array", text, 0), eval: rowwise(true, func(v []any) (any, error) {
		b := []byte{'['}
		for i, x := range v {
			if i > 0 {
				b = append(b, ", "...)
			}
			b = appendOrNull(b, x)
		}
		return string(append(b, ']')), nil
	})}, "_json_build_array")
	register(function{resolve: variadicText("_jsonb_build_array", text, 0), eval: rowwise(true, func(v []any) (any, error) {
		b := []byte{'['}
		for i, x := range v {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendOrNull(b, x)
		}
		return types.JSONBNormalize(string(append(b, ']')))
	})}, "_jsonb_build_array")
	register(function{resolve: func(args []arrow.DataType) (arrow.DataType, []arrow.DataType, error) {
		if len(args) != 1 || args[0].ID() != arrow.FLOAT64 {
			return nil, nil, undefinedFunc("_json_float", args)
		}
		return text, nil, nil
	}, eval: rowwise(false, func(v []any) (any, error) {
		f := v[0].(float64)
		if s, ok := exec.FloatSpecial(f); ok {
			return `"` + s + `"`, nil
		}
		return exec.FormatFloat(f, 64), nil
	})}, "_json_float")
	regJSON(text, false, func(v []any) (any, error) {
		// to_json of a date or timestamp: ISO 8601 with a T, and a zone as +hh:mm.
		s := strings.Replace(v[0].(string), " ", "T", 1)
		if n := len(s); n > 3 && (s[n-3] == '+' || s[n-3] == '-') && strings.Contains(s, "T") {
			s += ":00"
		}
		return string(types.AppendJSONString(nil, s)), nil
	}, "_json_datetime", S)
	register(function{resolve: func(args []arrow.DataType) (arrow.DataType, []arrow.DataType, error) {
		if len(args) != 2 || args[0].ID() != arrow.LIST || args[1].ID() != arrow.BOOL && args[1].ID() != arrow.STRING {
			return nil, nil, undefinedFunc("_json_list", args)
		}
		return text, nil, nil
	}, eval: func(mem memory.Allocator, typ arrow.DataType, args []arrow.Array) (arrow.Array, error) {
		elem := exec.ElemType(args[0].DataType())
		return rowwise(false, func(v []any) (any, error) {
			sep := ","
			switch x := v[1].(type) {
			case bool:
				if x {
					sep = ", "
				}
			case string:
				sep = x // array_to_json's separator
			}
			b := []byte{'['}
			for i, x := range v[0].([]any) {
				if i > 0 {
					b = append(b, sep...)
				}
				b = appendJSONOf(b, x, elem)
			}
			return string(append(b, ']')), nil
		})(mem, typ, args)
	}}, "_json_list")
	registerJSONListRaw(text)
}

func jsonCastKind(j *types.JSONValue) string {
	if j.Kind == types.JSONBool {
		return "boolean"
	}
	return j.Kind.String()
}

func appendOrNull(b []byte, x any) []byte {
	if x == nil {
		return append(b, "null"...)
	}
	return append(b, x.(string)...)
}

// buildObject builds {"k" : v, ...} from alternating keys (text) and values (JSON texts), as
// json_build_object prints it, or normalised as jsonb.
func buildObject(v []any, jsonb bool) (any, error) {
	if len(v)%2 != 0 {
		return nil, errs.New(errs.InvalidParameter, "argument list must have even number of elements")
	}
	b := []byte{'{'}
	for i := 0; i < len(v); i += 2 {
		if v[i] == nil {
			return nil, errs.New(errs.InvalidParameter, "argument %d: key must not be null", i+1)
		}
		if i > 0 {
			b = append(b, ", "...)
		}
		b = types.AppendJSONString(b, v[i].(string))
		b = append(b, " : "...)
		b = appendOrNull(b, v[i+1])
	}
	b = append(b, '}')
	if jsonb {
		return types.JSONBNormalize(string(b))
	}
	return string(b), nil
}

// appendJSONOf appends a Go value of Arrow type t as to_json converts it.
func appendJSONOf(b []byte, x any, t arrow.DataType) []byte {
	if x == nil {
		return append(b, "null"...)
	}
	switch t.ID() {
	case arrow.INT16, arrow.INT32, arrow.INT64, arrow.DECIMAL128, arrow.BOOL:
		return append(b, exec.FormatText(x, t)...)
	case arrow.FLOAT32, arrow.FLOAT64:
		f, _ := strconv.ParseFloat(exec.FormatText(x, t), 64)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return types.AppendJSONString(b, exec.FormatText(x, t))
		}
		return append(b, exec.FormatText(x, t)...)
	case arrow.EXTENSION:
		if types.IsVarNumeric(t) {
			return append(b, exec.FormatText(x, t)...)
		}
	case arrow.TIMESTAMP:
		s := strings.Replace(exec.FormatText(x, t), " ", "T", 1)
		if n := len(s); n > 3 && (s[n-3] == '+' || s[n-3] == '-') {
			s += ":00"
		}
		return types.AppendJSONString(b, s)
	}
	return types.AppendJSONString(b, exec.FormatText(x, t))
}

// appendCompact appends v with the given separators and no other spaces, as json's functions
// that rebuild a value print it.
func appendCompact(b []byte, v *types.JSONValue, comma, colon string) []byte {
	switch v.Kind {
	case types.JSONArray:
		b = append(b, '[')
		for i, e := range v.Elems {
			if i > 0 {
				b = append(b, comma...)
			}
			b = appendCompact(b, e, comma, colon)
		}
		return append(b, ']')
	case types.JSONObject:
		b = append(b, '{')
		for i, k := range v.Keys {
			if i > 0 {
				b = append(b, comma...)
			}
			b = types.AppendJSONString(b, k)
			b = append(b, colon...)
			b = appendCompact(b, v.Vals[i], comma, colon)
		}
		return append(b, '}')
	case types.JSONNumber:
		if v.Raw != "" {
			return append(b, v.Raw...)
		}
	}
	return v.AppendJSONB(b)
}

func stripNulls(v *types.JSONValue) {
	switch v.Kind {
	case types.JSONArray:
		for _, e := range v.Elems {
			stripNulls(e)
		}
	case types.JSONObject:
		keys, vals := v.Keys[:0:0], v.Vals[:0:0]
		for i, k := range v.Keys {
			if v.Vals[i].Kind == types.JSONNull {
				continue
			}
			stripNulls(v.Vals[i])
			keys, vals = append(keys, k), append(vals, v.Vals[i])
		}
		v.Keys, v.Vals = keys, vals
	}
}

// jsonbConcat is a || b: objects merge (b's keys win), arrays concatenate, a scalar or object
// joins an array as one element.
func jsonbConcat(a, b *types.JSONValue) (any, error) {
	if a.Kind == types.JSONObject && b.Kind == types.JSONObject {
		a.Keys = append(a.Keys, b.Keys...)
		a.Vals = append(a.Vals, b.Vals...)
		return jsonbOut(a)
	}
	asArray := func(v *types.JSONValue) []*types.JSONValue {
		if v.Kind == types.JSONArray {
			return v.Elems
		}
		return []*types.JSONValue{v}
	}
	out := &types.JSONValue{Kind: types.JSONArray, Elems: append(append([]*types.JSONValue{}, asArray(a)...), asArray(b)...)}
	return jsonbOut(out)
}

func jsonbDeleteKeys(j *types.JSONValue, keys []string) (any, error) {
	switch j.Kind {
	case types.JSONObject:
		drop := map[string]bool{}
		for _, k := range keys {
			drop[k] = true
		}
		nk, nv := j.Keys[:0:0], j.Vals[:0:0]
		for i, k := range j.Keys {
			if !drop[k] {
				nk, nv = append(nk, k), append(nv, j.Vals[i])
			}
		}
		j.Keys, j.Vals = nk, nv
	case types.JSONArray:
		drop := map[string]bool{}
		for _, k := range keys {
			drop[k] = true
		}
		var ne []*types.JSONValue
		for _, e := range j.Elems {
			if e.Kind == types.JSONString && drop[e.Str] {
				continue
			}
			ne = append(ne, e)
		}
		j.Elems = ne
	default:
		return nil, errs.New(errs.InvalidParameter, "cannot delete from scalar")
	}
	return jsonbOut(j)
}

func jsonDeletePath(v *types.JSONValue, path []string) {
	if len(path) == 0 {
		return
	}
	last := len(path) == 1
	switch v.Kind {
	case types.JSONObject:
		i := v.KeyIndex(path[0])
		switch {
		case i < 0:
		case last:
			v.Keys = append(v.Keys[:i:i], v.Keys[i+1:]...)
			v.Vals = append(v.Vals[:i:i], v.Vals[i+1:]...)
		default:
			jsonDeletePath(v.Vals[i], path[1:])
		}
	case types.JSONArray:
		i, err := strconv.ParseInt(path[0], 10, 64)
		if err != nil {
			return
		}
		if i < 0 {
			i += int64(len(v.Elems))
		}
		if i < 0 || i >= int64(len(v.Elems)) {
			return
		}
		if last {
			v.Elems = append(v.Elems[:i:i], v.Elems[i+1:]...)
		} else {
			jsonDeletePath(v.Elems[i], path[1:])
		}
	}
}

// jsonSetPath replaces the value at path with nv; with create, a missing last key is added
// (and an index past either end of an array adds nv there).
func jsonSetPath(v *types.JSONValue, path []string, nv *types.JSONValue, create bool) error {
	if len(path) == 0 {
		return nil
	}
	last := len(path) == 1
	switch v.Kind {
	case types.JSONObject:
		switch i := v.KeyIndex(path[0]); {
		case i >= 0 && last:
			v.Vals[i] = nv
		case i >= 0:
			return jsonSetPath(v.Vals[i], path[1:], nv, create)
		case last && create:
			v.Keys, v.Vals = append(v.Keys, path[0]), append(v.Vals, nv)
		}
	case types.JSONArray:
		i, err := strconv.ParseInt(path[0], 10, 64)
		if err != nil {
			return errs.New(errs.InvalidText, "path element at position 1 is not an integer: \"%s\"", path[0])
		}
		n := int64(len(v.Elems))
		if i < 0 {
			i += n
		}
		switch {
		case i >= 0 && i < n:
			if last {
				v.Elems[i] = nv
				return nil
			}
			return jsonSetPath(v.Elems[i], path[1:], nv, create)
		case last && create && i >= n:
			v.Elems = append(v.Elems, nv)
		case last && create && i < 0:
			v.Elems = append([]*types.JSONValue{nv}, v.Elems...)
		}
	}
	return nil
}

// jsonSetError is the error PostgreSQL's set-returning json function fn gives for a value of
// kind k it cannot take apart (22023): each function words it its own way.
func jsonSetError(fn string, k types.JSONKind) error {
	bad := func(format string, args ...any) error { return errs.New(errs.InvalidParameter, format, args...) }
	switch fn {
	case "json_each", "json_each_text":
		if k == types.JSONArray {
			return bad("cannot deconstruct an array as an object")
		}
		return bad("cannot deconstruct a scalar")
	case "json_object_keys", "jsonb_object_keys":
		if k == types.JSONArray {
			return bad("cannot call %s on an array", fn)
		}
		return bad("cannot call %s on a scalar", fn)
	case "json_array_elements", "json_array_elements_text":
		if k == types.JSONObject {
			return bad("cannot call %s on a non-array", fn)
		}
		return bad("cannot call %s on a scalar", fn)
	case "jsonb_array_elements", "jsonb_array_elements_text":
		if k == types.JSONObject {
			return bad("cannot extract elements from an object")
		}
		return bad("cannot extract elements from a scalar")
	}
	return bad("cannot call %s on a non-object", fn)
}

// registerJSONElements registers the lists the set-returning json functions unnest (see
// jsonSetFuncs in package sql), each failing on a value it cannot take apart as the function
// that unnests it does in PostgreSQL.
func registerJSONElements() {
	texts := arrow.ListOf(arrow.BinaryTypes.String)
	elems := func(fn string, asText bool) func([]any) (any, error) {
		return func(v []any) (any, error) {
			j, err := jsonArg(v[0])
			if err != nil {
				return nil, err
			}
			if j.Kind != types.JSONArray {
				return nil, jsonSetError(fn, j.Kind)
			}
			out := make([]any, len(j.Elems))
			for i, e := range j.Elems {
				if asText {
					out[i] = jsonScalarText(e)
				} else {
					out[i] = e.Text()
				}
			}
			return out, nil
		}
	}
	each := func(fn string, part int) func([]any) (any, error) {
		return func(v []any) (any, error) {
			j, err := jsonArg(v[0])
			if err != nil {
				return nil, err
			}
			if j.Kind != types.JSONObject {
				return nil, jsonSetError(fn, j.Kind)
			}
			out := make([]any, len(j.Keys))
			for i, k := range j.Keys {
				switch part {
				case 0:
					out[i] = k
				case 1:
					out[i] = j.Vals[i].Text()
				default:
					out[i] = jsonScalarText(j.Vals[i])
				}
			}
			return out, nil
		}
	}
	for _, p := range []string{"json", "jsonb"} {
		regJSON(texts, false, elems(p+"_array_elements", false), p+"_elements_list", arrow.STRING)
		regJSON(texts, false, elems(p+"_array_elements_text", true), p+"_elements_text_list", arrow.STRING)
		regJSON(texts, false, each(p+"_object_keys", 0), p+"_keys_list", arrow.STRING)
		regJSON(texts, false, each(p+"_each", 0), p+"_each_keys_list", arrow.STRING)
		regJSON(texts, false, each(p+"_each", 1), p+"_values_list", arrow.STRING)
		regJSON(texts, false, each(p+"_each_text", 0), p+"_each_text_keys_list", arrow.STRING)
		regJSON(texts, false, each(p+"_each_text", 2), p+"_values_text_list", arrow.STRING)
	}
}

func registerJSONSortKey() {
	// _jsonb_sortkey(jsonb) is a byte string whose order is PostgreSQL's jsonb order
	// (types.AppendJSONBSortKey): sorts and comparisons of jsonb go through it.
	register(function{resolve: func(args []arrow.DataType) (arrow.DataType, []arrow.DataType, error) {
		if len(args) != 1 || args[0].ID() != arrow.STRING {
			return nil, nil, undefinedFunc("_jsonb_sortkey", args)
		}
		return arrow.BinaryTypes.Binary, nil, nil
	}, eval: rowwise(false, func(v []any) (any, error) {
		j, err := types.ParseJSONB(v[0].(string))
		if err != nil {
			return nil, err
		}
		return types.AppendJSONBSortKey(nil, j), nil
	})}, "_jsonb_sortkey")
}

// jsonPathStep is one accessor of a simple SQL/JSON path: a member (key), any member (.*),
// any element ([*]) or an element by index.
type jsonPathStep struct {
	kind  byte // 'k' key, 'm' any member, 'e' any element, 'i' index
	key   string
	index int
}

// parseJSONPath reads the simple SQL/JSON paths the jsonb_path functions take here: an
// optional lax mode, $, then .key, ."key", .*, [*] and [n]. Filters, item methods, strict
// mode and the other accessors fail with 0A000; text that is no path with 42601.
func parseJSONPath(s string) ([]jsonPathStep, error) {
	syntax := func() error {
		return errs.New(errs.Syntax, "syntax error in jsonpath %q", s)
	}
	unsupported := func(what string) error {
		return errs.New(errs.NotImplemented, "jsonpath %s is not supported (in %q)", what, s)
	}
	p := strings.TrimSpace(s)
	if rest, ok := strings.CutPrefix(p, "lax "); ok {
		p = strings.TrimSpace(rest)
	} else if strings.HasPrefix(p, "strict ") {
		return nil, unsupported("strict mode")
	}
	if !strings.HasPrefix(p, "$") {
		return nil, syntax()
	}
	p = p[1:]
	var steps []jsonPathStep
	for p = strings.TrimLeft(p, " "); p != ""; p = strings.TrimLeft(p, " ") {
		switch {
		case strings.HasPrefix(p, ".*"):
			steps, p = append(steps, jsonPathStep{kind: 'm'}), p[2:]
		case strings.HasPrefix(p, `."`):
			end := strings.IndexByte(p[2:], '"')
			if end < 0 {
				return nil, syntax()
			}
			steps, p = append(steps, jsonPathStep{kind: 'k', key: p[2 : 2+end]}), p[3+end:]
		case strings.HasPrefix(p, "."):
			j := 1
			for j < len(p) && (p[j] == '_' || p[j] >= 'a' && p[j] <= 'z' || p[j] >= 'A' && p[j] <= 'Z' || j > 1 && p[j] >= '0' && p[j] <= '9') {
				j++
			}
			if j == 1 {
				return nil, syntax()
			}
			if j < len(p) && p[j] == '(' {
				return nil, unsupported("item method " + p[1:j] + "()")
			}
			steps, p = append(steps, jsonPathStep{kind: 'k', key: p[1:j]}), p[j:]
		case strings.HasPrefix(p, "[*]"):
			steps, p = append(steps, jsonPathStep{kind: 'e'}), p[3:]
		case strings.HasPrefix(p, "["):
			end := strings.IndexByte(p, ']')
			if end < 0 {
				return nil, syntax()
			}
			n, err := strconv.Atoi(strings.TrimSpace(p[1:end]))
			if err != nil {
				return nil, unsupported("subscript " + p[:end+1])
			}
			steps, p = append(steps, jsonPathStep{kind: 'i', index: n}), p[end+1:]
		case strings.HasPrefix(p, "?"):
			return nil, unsupported("filter expression")
		default:
			return nil, syntax()
		}
	}
	return steps, nil
}

// evalJSONPath applies steps to v in lax mode, as PostgreSQL does: a member accessor on an
// array applies to its elements, an element accessor on a non-array to the value itself, and
// what does not exist is no item (no error).
func evalJSONPath(v *types.JSONValue, steps []jsonPathStep) []*types.JSONValue {
	items := []*types.JSONValue{v}
	for _, st := range steps {
		var next []*types.JSONValue
		for _, it := range items {
			switch st.kind {
			case 'k', 'm':
				targets := []*types.JSONValue{it}
				if it.Kind == types.JSONArray {
					targets = it.Elems // lax: unwrap one level
				}
				for _, o := range targets {
					if o.Kind != types.JSONObject {
						continue
					}
					for i, k := range o.Keys {
						if st.kind == 'm' || k == st.key {
							next = append(next, o.Vals[i])
						}
					}
				}
			case 'e', 'i':
				elems := []*types.JSONValue{it}
				if it.Kind == types.JSONArray {
					elems = it.Elems
				}
				if st.kind == 'e' {
					next = append(next, elems...)
				} else if st.index >= 0 && st.index < len(elems) {
					next = append(next, elems[st.index])
				}
			}
		}
		items = next
	}
	return items
}

func registerJSONPath() {
	S := arrow.STRING
	path := func(v []any) ([]*types.JSONValue, error) {
		steps, err := parseJSONPath(v[1].(string))
		if err != nil {
			return nil, err
		}
		j, err := types.ParseJSONB(v[0].(string))
		if err != nil {
			return nil, err
		}
		return evalJSONPath(j, steps), nil
	}
	regJSON(arrow.FixedWidthTypes.Boolean, false, func(v []any) (any, error) {
		items, err := path(v)
		return len(items) > 0, err
	}, "jsonb_path_exists", S, S)
	regJSON(arrow.BinaryTypes.String, false, func(v []any) (any, error) {
		items, err := path(v)
		if err != nil || len(items) == 0 {
			return nil, err
		}
		return items[0].JSONB(), nil
	}, "jsonb_path_query_first", S, S)
	regJSON(arrow.BinaryTypes.String, false, func(v []any) (any, error) {
		items, err := path(v)
		if err != nil {
			return nil, err
		}
		parts := make([]string, len(items))
		for i, it := range items {
			parts[i] = it.JSONB()
		}
		return "[" + strings.Join(parts, ", ") + "]", nil
	}, "jsonb_path_query_array", S, S)
	regJSON(arrow.ListOf(arrow.BinaryTypes.String), false, func(v []any) (any, error) {
		items, err := path(v)
		if err != nil {
			return nil, err
		}
		out := make([]any, len(items))
		for i, it := range items {
			out[i] = it.JSONB()
		}
		return out, nil
	}, "jsonb_path_query_list", S, S)
}
