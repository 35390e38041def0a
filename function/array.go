package function

import (
	"bytes"
	"math"
	"reflect"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/exec"
	"github.com/sleeperd/sleeperd/types"
)

// The array functions work on one-dimensional arrays whose lower bound is 1.

func registerArray() {
	i32 := arrow.PrimitiveTypes.Int32
	text := arrow.BinaryTypes.String
	register(function{resolve: arraySig("cardinality", i32, "a"), eval: rowwise(false, func(v []any) (any, error) {
		return int32(len(v[0].([]any))), nil
	})}, "cardinality")
	// array_length, array_lower and array_upper of dimension 1; other dimensions and empty
	// arrays give NULL.
	dim := func(f func(n int) any) func(v []any) (any, error) {
		return func(v []any) (any, error) {
			n := len(v[0].([]any))
			if v[1].(int64) != 1 || n == 0 {
				return nil, nil
			}
			return f(n), nil
		}
	}
	register(function{resolve: arraySig("array_length", i32, "ai"), eval: rowwise(false, dim(func(n int) any { return int32(n) }))}, "array_length")
	register(function{resolve: arraySig("array_lower", i32, "ai"), eval: rowwise(false, dim(func(int) any { return int32(1) }))}, "array_lower")
	register(function{resolve: arraySig("array_upper", i32, "ai"), eval: rowwise(false, dim(func(n int) any { return int32(n) }))}, "array_upper")
	register(function{resolve: arraySig("array_to_string", text, "at", "att"), zoned: evalArrayToString}, "array_to_string")
	register(function{resolve: signature("string_to_array", arrow.ListOf(text), []int{pText, pText}, []int{pText, pText, pText}),
		eval: rowwise(true, stringToArray)}, "string_to_array")
	register(function{resolve: arraySig("array_append", nil, "ae"), eval: rowwise(true, func(v []any) (any, error) {
		a, _ := v[0].([]any)
		return append(append([]any{}, a...), v[1]), nil
	})}, "array_append")
	register(function{resolve: arraySig("array_prepend", nil, "ea"), eval: rowwise(true, func(v []any) (any, error) {
		a, _ := v[1].([]any)
		return append([]any{v[0]}, a...), nil
	})}, "array_prepend")
	register(function{resolve: arraySig("array_cat", nil, "aa"), eval: rowwise(true, func(v []any) (any, error) {
		if v[0] == nil && v[1] == nil {
			return nil, nil
		}
		a, _ := v[0].([]any)
		b, _ := v[1].([]any)
		return append(append([]any{}, a...), b...), nil
	})}, "array_cat")
	// array_position(a, e [, start]): the first position from start (1 by default) of an
	// element not distinct from e. A NULL array gives NULL, a NULL start an error.
	register(function{resolve: arraySig("array_position", i32, "ae", "aei"), eval: byElem(true, func(eq func(a, b any) bool, v []any) (any, error) {
		if v[0] == nil {
			return nil, nil
		}
		from := 0
		if len(v) == 3 {
			if v[2] == nil {
				return nil, errs.New(errs.NullNotAllowed, "initial position must not be null")
			}
			from = int(min(max(v[2].(int64)-1, 0), math.MaxInt32))
		}
		a := v[0].([]any)
		for i := from; i < len(a); i++ {
			if notDistinct(eq, a[i], v[1]) {
				return int32(i + 1), nil
			}
		}
		return nil, nil
	})}, "array_position")
	// array_positions(a, e): the positions of the elements not distinct from e, in order; a
	// NULL array gives NULL.
	register(function{resolve: arraySig("array_positions", arrow.ListOf(i32), "ae"), eval: byElem(true, func(eq func(a, b any) bool, v []any) (any, error) {
		if v[0] == nil {
			return nil, nil
		}
		out := []any{}
		for i, x := range v[0].([]any) {
			if notDistinct(eq, x, v[1]) {
				out = append(out, int32(i+1))
			}
		}
		return out, nil
	})}, "array_positions")
	// array_remove(a, e) drops the elements not distinct from e; the others keep their
	// values as they are (a numeric keeps its scale).
	register(function{resolve: arraySig("array_remove", nil, "ae"), eval: byElem(true, func(eq func(a, b any) bool, v []any) (any, error) {
		if v[0] == nil {
			return nil, nil
		}
		out := []any{}
		for _, x := range v[0].([]any) {
			if !notDistinct(eq, x, v[1]) {
				out = append(out, x)
			}
		}
		return out, nil
	})}, "array_remove")
	// array_replace(a, e, r) puts r in place of each element not distinct from e.
	register(function{resolve: arraySig("array_replace", nil, "aee"), eval: byElem(true, func(eq func(a, b any) bool, v []any) (any, error) {
		if v[0] == nil {
			return nil, nil
		}
		a := v[0].([]any)
		out := make([]any, len(a))
		for i, x := range a {
			out[i] = x
			if notDistinct(eq, x, v[1]) {
				out[i] = v[2]
			}
		}
		return out, nil
	})}, "array_replace")
	register(function{resolve: arraySig("array_contains", arrow.FixedWidthTypes.Boolean, "aa"), eval: byElem(false, func(eq func(a, b any) bool, v []any) (any, error) {
		return containsAll(eq, v[0].([]any), v[1].([]any)), nil
	})}, "array_contains")
	register(function{resolve: arraySig("array_overlap", arrow.FixedWidthTypes.Boolean, "aa"), eval: byElem(false, func(eq func(a, b any) bool, v []any) (any, error) {
		for _, y := range v[1].([]any) {
			if y != nil && containsAll(eq, v[0].([]any), []any{y}) {
				return true, nil
			}
		}
		return false, nil
	})}, "array_overlap")
	// array_slice(a, lo, hi) is a[lo:hi]: the elements from lo to hi, as far as the array
	// has them (an empty array where it has none); a NULL bound gives NULL.
	register(function{resolve: arraySig("array_slice", nil, "aii"), eval: rowwise(false, func(v []any) (any, error) {
		a := v[0].([]any)
		lo, hi := max(v[1].(int64), 1), min(v[2].(int64), int64(len(a)))
		if lo > hi {
			return []any{}, nil
		}
		return append([]any{}, a[lo-1:hi]...), nil
	})}, "array_slice")
	register(function{resolve: arraySig("array_subscript", nil, "ai"), eval: rowwise(false, func(v []any) (any, error) {
		a, i := v[0].([]any), v[1].(int64)
		if i < 1 || i > int64(len(a)) {
			return nil, nil
		}
		return a[i-1], nil
	})}, "array_subscript")
}

// arraySig returns a resolver for the array functions. Each form is a string of parameter
// kinds: a the array, e its element type, i an integer (converted to bigint), t text. The
// result is res, or, when res is nil, the array's type (the element's for
// array_subscript).
func arraySig(name string, res arrow.DataType, forms ...string) func([]arrow.DataType) (arrow.DataType, []arrow.DataType, error) {
	return func(args []arrow.DataType) (arrow.DataType, []arrow.DataType, error) {
	next:
		for _, form := range forms {
			if len(form) != len(args) {
				continue
			}
			var list arrow.DataType
			for i, k := range form {
				if k == 'a' {
					if exec.ElemType(args[i]) == nil {
						continue next
					}
					if list != nil && !arrow.TypeEqual(list, args[i]) {
						continue next
					}
					list = args[i]
				}
			}
			conv := make([]arrow.DataType, len(args))
			for i, k := range form {
				switch k {
				case 'e':
					if !arrow.TypeEqual(args[i], exec.ElemType(list)) {
						continue next
					}
				case 'i':
					if !exec.IsInteger(args[i]) {
						continue next
					}
					conv[i] = arrow.PrimitiveTypes.Int64
				case 't':
					if args[i].ID() != arrow.STRING {
						continue next
					}
				}
			}
			switch {
			case res != nil:
				return res, conv, nil
			case name == "array_subscript":
				return exec.ElemType(list), conv, nil
			}
			return list, conv, nil
		}
		return nil, nil, undefinedFunc(name, args)
	}
}

// byElem is rowwise for the array functions that compare elements: f gets the equality of
// the first argument's element type.
func byElem(nulls bool, f func(eq func(a, b any) bool, v []any) (any, error)) func(memory.Allocator, arrow.DataType, []arrow.Array) (arrow.Array, error) {
	return func(mem memory.Allocator, typ arrow.DataType, args []arrow.Array) (arrow.Array, error) {
		eq := elemEqual(exec.ElemType(args[0].DataType()))
		return rowwise(nulls, func(v []any) (any, error) { return f(eq, v) })(mem, typ, args)
	}
}

// elemEqual is the equality of two non-NULL values of type t, as PostgreSQL's equality of
// the type says: numerics without a type modifier are equal when their numbers are, whatever
// their scales (1.0 = 1).
func elemEqual(t arrow.DataType) func(a, b any) bool {
	if st, ok := t.(*arrow.StructType); ok {
		// Records are equal when their fields are not distinct, field by field (record_eq:
		// two NULL fields are equal).
		fields := make([]func(a, b any) bool, st.NumFields())
		for i := range fields {
			fields[i] = elemEqual(st.Field(i).Type)
		}
		return func(a, b any) bool {
			x, y := a.([]any), b.([]any)
			for i, eq := range fields {
				if !notDistinct(eq, x[i], y[i]) {
					return false
				}
			}
			return true
		}
	}
	if et := exec.ElemType(t); et != nil && t.ID() != arrow.MAP {
		// Arrays (of a record's fields) are equal when they have the same length and their
		// elements are not distinct.
		eq := elemEqual(et)
		return func(a, b any) bool {
			x, y := a.([]any), b.([]any)
			if len(x) != len(y) {
				return false
			}
			for i := range x {
				if !notDistinct(eq, x[i], y[i]) {
					return false
				}
			}
			return true
		}
	}
	if t.ID() == arrow.MAP {
		return func(a, b any) bool { return reflect.DeepEqual(a, b) }
	}
	if types.IsVarNumeric(t) {
		return func(a, b any) bool {
			x, xs := types.UnpackNumeric(a.(decimal128.Num))
			y, ys := types.UnpackNumeric(b.(decimal128.Num))
			return types.CompareNumeric(x, xs, y, ys) == 0
		}
	}
	return equalValues
}

// notDistinct reports whether two element values (nil: NULL) are not distinct: both NULL,
// or equal as eq says.
func notDistinct(eq func(a, b any) bool, a, b any) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return eq(a, b)
}

// equalValues compares two non-NULL values of one type.
func equalValues(a, b any) bool {
	switch x := a.(type) {
	case []byte:
		return bytes.Equal(x, b.([]byte))
	case float32:
		return exec.CmpFloat(x, b.(float32)) == 0
	case float64:
		return exec.CmpFloat(x, b.(float64)) == 0
	case arrow.MonthDayNanoInterval:
		return exec.CmpInterval(x, b.(arrow.MonthDayNanoInterval)) == 0
	case decimal128.Num:
		return x == b.(decimal128.Num)
	}
	return a == b
}

// containsAll reports whether every element of b equals (eq) some element of a; NULL
// elements equal nothing (PostgreSQL's @>).
func containsAll(eq func(a, b any) bool, a, b []any) bool {
	for _, y := range b {
		if y == nil {
			return false
		}
		found := false
		for _, x := range a {
			if x != nil && eq(x, y) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// evalArrayToString is array_to_string(a, delimiter [, null_string]): the elements' text
// joined by the delimiter, NULL elements skipped or, given a non-NULL null_string, written
// as it. A NULL array or delimiter gives NULL.
func evalArrayToString(mem memory.Allocator, loc *time.Location, typ arrow.DataType, args []arrow.Array) (arrow.Array, error) {
	et := exec.ElemType(args[0].DataType())
	return rowwise(true, func(v []any) (any, error) { return arrayToString(v, et, loc) })(mem, typ, args)
}

func arrayToString(v []any, et arrow.DataType, loc *time.Location) (any, error) {
	if v[0] == nil || v[1] == nil {
		return nil, nil
	}
	var null *string
	if len(v) == 3 && v[2] != nil {
		s := v[2].(string)
		null = &s
	}
	var sb strings.Builder
	first := true
	for _, x := range v[0].([]any) {
		var s string
		switch {
		case x != nil:
			s = exec.FormatElemText(x, et, loc)
		case null != nil:
			s = *null
		default:
			continue
		}
		if !first {
			sb.WriteString(v[1].(string))
		}
		first = false
		sb.WriteString(s)
	}
	return sb.String(), nil
}

// stringToArray is string_to_array(s, delimiter [, null_string]): s split at each
// delimiter; a NULL delimiter splits into characters, an empty one gives s whole; an empty s
// gives an empty array; pieces equal to null_string are NULL.
func stringToArray(v []any) (any, error) {
	if v[0] == nil {
		return nil, nil
	}
	s := v[0].(string)
	out := []any{}
	if s == "" {
		return out, nil
	}
	var parts []string
	switch {
	case v[1] == nil:
		for len(s) > 0 {
			_, n := utf8.DecodeRuneInString(s)
			parts = append(parts, s[:n])
			s = s[n:]
		}
	case v[1].(string) == "":
		parts = []string{s}
	default:
		parts = strings.Split(s, v[1].(string))
	}
	for _, p := range parts {
		if len(v) == 3 && v[2] != nil && p == v[2].(string) {
			out = append(out, nil)
			continue
		}
		out = append(out, p)
	}
	return out, nil
}
