package function

import (
	"crypto/md5"
	"encoding/hex"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/exec"
)

// Parameter kinds of signature.
const (
	pText = iota // text
	pInt         // any integer, converted to bigint
	pNum         // any number, converted to double precision
)

// signature returns a resolver accepting the given parameter lists (one per arity), with
// result type res.
func signature(name string, res arrow.DataType, lists ...[]int) func([]arrow.DataType) (arrow.DataType, []arrow.DataType, error) {
	return func(args []arrow.DataType) (arrow.DataType, []arrow.DataType, error) {
	next:
		for _, ps := range lists {
			if len(ps) != len(args) {
				continue
			}
			conv := make([]arrow.DataType, len(args))
			for i, p := range ps {
				switch {
				case p == pText && args[i].ID() == arrow.STRING:
				case p == pInt && exec.IsInteger(args[i]):
					conv[i] = arrow.PrimitiveTypes.Int64
				case p == pNum && exec.IsNumeric(args[i]):
					conv[i] = arrow.PrimitiveTypes.Float64
				default:
					continue next
				}
			}
			return res, conv, nil
		}
		return nil, nil, undefinedFunc(name, args)
	}
}

// rowwise evaluates f over the Go values of each row (nil = NULL). Unless nulls is set, a
// NULL argument gives NULL without calling f. f returns nil for NULL.
func rowwise(nulls bool, f func(vals []any) (any, error)) func(memory.Allocator, arrow.DataType, []arrow.Array) (arrow.Array, error) {
	return func(mem memory.Allocator, typ arrow.DataType, args []arrow.Array) (arrow.Array, error) {
		return evalRows(mem, typ, args, nulls, exec.ValueAt, f)
	}
}

// evalRows builds an array of type typ by applying f to each row's arguments, read by value.
// Unless nulls is set, a NULL argument gives NULL without calling f; with it, f sees T's zero
// value for a NULL argument. f returns nil for NULL.
func evalRows[T any](mem memory.Allocator, typ arrow.DataType, args []arrow.Array, nulls bool, value func(arrow.Array, int) T, f func([]T) (any, error)) (arrow.Array, error) {
	n := args[0].Len()
	b := array.NewBuilder(mem, typ)
	defer b.Release()
	b.Reserve(n)
	vals := make([]T, len(args))
	var zero T
rows:
	for i := 0; i < n; i++ {
		for j, a := range args {
			if !a.IsNull(i) {
				vals[j] = value(a, i)
				continue
			}
			if !nulls {
				b.AppendNull()
				continue rows
			}
			vals[j] = zero
		}
		v, err := f(vals)
		if err != nil {
			return nil, err
		}
		if v == nil {
			b.AppendNull()
			continue
		}
		exec.AppendValue(b, v)
	}
	return b.NewArray(), nil
}

func registerString() {
	text, i32, boolean := arrow.BinaryTypes.String, arrow.PrimitiveTypes.Int32, arrow.FixedWidthTypes.Boolean
	str := func(v any) string { return v.(string) }
	// position(sub IN s) arrives as position(s, sub), the order of PostgreSQL's grammar.
	register(function{resolve: signature("strpos", i32, []int{pText, pText}), eval: rowwise(false, func(v []any) (any, error) {
		i := strings.Index(str(v[0]), str(v[1]))
		if i < 0 {
			return int32(0), nil
		}
		return int32(utf8.RuneCountInString(str(v[0])[:i]) + 1), nil
	})}, "strpos", "position")
	trim := func(left, right bool) function {
		return function{resolve: signature("btrim", text, []int{pText}, []int{pText, pText}), eval: rowwise(false, func(v []any) (any, error) {
			s, cut := str(v[0]), " "
			if len(v) == 2 {
				cut = str(v[1])
			}
			if left {
				s = strings.TrimLeft(s, cut)
			}
			if right {
				s = strings.TrimRight(s, cut)
			}
			return s, nil
		})}
	}
	register(trim(true, true), "btrim", "trim")
	register(trim(true, false), "ltrim")
	register(trim(false, true), "rtrim")
	register(function{resolve: signature("replace", text, []int{pText, pText, pText}), eval: rowwise(false, func(v []any) (any, error) {
		if str(v[1]) == "" {
			return str(v[0]), nil
		}
		return strings.ReplaceAll(str(v[0]), str(v[1]), str(v[2])), nil
	})}, "replace")
	register(function{resolve: signature("split_part", text, []int{pText, pText, pInt}), eval: rowwise(false, func(v []any) (any, error) {
		s, sep, n := str(v[0]), str(v[1]), v[2].(int64)
		if n == 0 {
			return nil, errs.New(errs.InvalidParameter, "field position must not be zero")
		}
		var parts []string
		switch {
		case s == "":
			return "", nil
		case sep == "":
			parts = []string{s}
		default:
			parts = strings.Split(s, sep)
		}
		if n < 0 {
			n += int64(len(parts)) + 1
		}
		if n < 1 || n > int64(len(parts)) {
			return "", nil
		}
		return parts[n-1], nil
	})}, "split_part")
	register(function{resolve: signature("starts_with", boolean, []int{pText, pText}), eval: rowwise(false, func(v []any) (any, error) {
		return strings.HasPrefix(str(v[0]), str(v[1])), nil
	})}, "starts_with")
	register(function{resolve: signature("left", text, []int{pText, pInt}), eval: rowwise(false, func(v []any) (any, error) {
		r := []rune(str(v[0]))
		n := clampLen(v[1].(int64), len(r))
		return string(r[:n]), nil
	})}, "left")
	register(function{resolve: signature("right", text, []int{pText, pInt}), eval: rowwise(false, func(v []any) (any, error) {
		r := []rune(str(v[0]))
		n := clampLen(v[1].(int64), len(r))
		return string(r[len(r)-n:]), nil
	})}, "right")
	pad := func(left bool) function {
		return function{resolve: signature("lpad", text, []int{pText, pInt}, []int{pText, pInt, pText}), eval: rowwise(false, func(v []any) (any, error) {
			r, n, fill := []rune(str(v[0])), v[1].(int64), []rune(" ")
			if len(v) == 3 {
				fill = []rune(str(v[2]))
			}
			if n <= 0 {
				return "", nil
			}
			if n > 1<<28 {
				return nil, errs.New(errs.OutOfMemory, "requested length too large")
			}
			if int64(len(r)) >= n {
				return string(r[:n]), nil
			}
			if len(fill) == 0 {
				return string(r), nil
			}
			p := make([]rune, 0, n)
			for i := int64(0); i < n-int64(len(r)); i++ {
				p = append(p, fill[i%int64(len(fill))])
			}
			if left {
				return string(p) + string(r), nil
			}
			return string(r) + string(p), nil
		})}
	}
	register(pad(true), "lpad")
	register(pad(false), "rpad")
	register(function{resolve: signature("repeat", text, []int{pText, pInt}), eval: rowwise(false, func(v []any) (any, error) {
		n := v[1].(int64)
		if n <= 0 {
			return "", nil
		}
		if int64(len(str(v[0])))*n > 1<<28 {
			return nil, errs.New(errs.OutOfMemory, "requested length too large")
		}
		return strings.Repeat(str(v[0]), int(n)), nil
	})}, "repeat")
	register(function{resolve: signature("reverse", text, []int{pText}), eval: rowwise(false, func(v []any) (any, error) {
		r := []rune(str(v[0]))
		for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
			r[i], r[j] = r[j], r[i]
		}
		return string(r), nil
	})}, "reverse")
	register(function{resolve: signature("md5", text, []int{pText}), eval: rowwise(false, func(v []any) (any, error) {
		h := md5.Sum([]byte(str(v[0])))
		return hex.EncodeToString(h[:]), nil
	})}, "md5")
	register(function{resolve: signature("initcap", text, []int{pText}), eval: rowwise(false, func(v []any) (any, error) {
		var sb strings.Builder
		prev := false // previous character alphanumeric
		for _, c := range str(v[0]) {
			if prev {
				sb.WriteRune(unicode.ToLower(c))
			} else {
				sb.WriteRune(unicode.ToUpper(c))
			}
			prev = unicode.IsLetter(c) || unicode.IsDigit(c)
		}
		return sb.String(), nil
	})}, "initcap")
	register(function{resolve: func(args []arrow.DataType) (arrow.DataType, []arrow.DataType, error) {
		if len(args) < 2 || args[0].ID() != arrow.STRING {
			return nil, nil, undefinedFunc("concat_ws", args)
		}
		return text, nil, nil
	}, zoned: evalConcatWS}, "concat_ws")
}

// clampLen is the number of leading characters left(s, n) keeps of a string of l characters.
func clampLen(n int64, l int) int {
	if n < 0 {
		n += int64(l)
		if n < 0 {
			n = 0
		}
	}
	if n > int64(l) {
		n = int64(l)
	}
	return int(n)
}

func evalConcatWS(mem memory.Allocator, loc *time.Location, typ arrow.DataType, args []arrow.Array) (arrow.Array, error) {
	return rowwise(true, func(v []any) (any, error) {
		if v[0] == nil {
			return nil, nil
		}
		var sb strings.Builder
		first := true
		for j, x := range v[1:] {
			if x == nil {
				continue
			}
			if !first {
				sb.WriteString(v[0].(string))
			}
			first = false
			if b, ok := x.(bool); ok { // boolout: t or f
				if b {
					sb.WriteString("t")
				} else {
					sb.WriteString("f")
				}
				continue
			}
			sb.WriteString(exec.FormatTextIn(x, args[j+1].DataType(), loc))
		}
		return sb.String(), nil
	})(mem, typ, args)
}
