package function

import (
	"bytes"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/exec"
)

// More string functions: format, overlay, translate, quote_literal, quote_nullable,
// bit_length, and the bytea overloads of the trims, substr, substring and position.

func registerStringMore() {
	text, i32, bin := arrow.BinaryTypes.String, arrow.PrimitiveTypes.Int32, arrow.BinaryTypes.Binary
	register(function{resolve: func(args []arrow.DataType) (arrow.DataType, []arrow.DataType, error) {
		if len(args) < 1 || args[0].ID() != arrow.STRING {
			return nil, nil, undefinedFunc("format", args)
		}
		return text, nil, nil
	}, zoned: evalFormat}, "format")
	register(function{resolve: signature("translate", text, []int{pText, pText, pText}), eval: rowwise(false, func(v []any) (any, error) {
		from, to := []rune(v[1].(string)), []rune(v[2].(string))
		var sb strings.Builder
		for _, c := range v[0].(string) {
			i := indexRune(from, c)
			switch {
			case i < 0:
				sb.WriteRune(c)
			case i < len(to):
				sb.WriteRune(to[i])
			}
		}
		return sb.String(), nil
	})}, "translate")
	register(function{resolve: func(args []arrow.DataType) (arrow.DataType, []arrow.DataType, error) {
		if (len(args) == 3 || len(args) == 4) && args[0].ID() == args[1].ID() && (args[0].ID() == arrow.STRING || args[0].ID() == arrow.BINARY) {
			conv := []arrow.DataType{nil, nil}
			for _, a := range args[2:] {
				if !exec.IsInteger(a) {
					return nil, nil, undefinedFunc("overlay", args)
				}
				conv = append(conv, arrow.PrimitiveTypes.Int64)
			}
			return args[0], conv, nil
		}
		return nil, nil, undefinedFunc("overlay", args)
	}, eval: rowwise(false, evalOverlay)}, "overlay")
	register(function{resolve: func(args []arrow.DataType) (arrow.DataType, []arrow.DataType, error) {
		if len(args) != 1 {
			return nil, nil, undefinedFunc("quote_literal", args)
		}
		return text, nil, nil
	}, zoned: func(mem memory.Allocator, loc *time.Location, typ arrow.DataType, args []arrow.Array) (arrow.Array, error) {
		return rowwise(false, func(v []any) (any, error) { return quoteLiteral(formatQuoted(v[0], args[0].DataType(), loc)), nil })(mem, typ, args)
	}}, "quote_literal")
	register(function{resolve: func(args []arrow.DataType) (arrow.DataType, []arrow.DataType, error) {
		if len(args) != 1 {
			return nil, nil, undefinedFunc("quote_nullable", args)
		}
		return text, nil, nil
	}, zoned: func(mem memory.Allocator, loc *time.Location, typ arrow.DataType, args []arrow.Array) (arrow.Array, error) {
		return rowwise(true, func(v []any) (any, error) {
			if v[0] == nil {
				return "NULL", nil
			}
			return quoteLiteral(formatQuoted(v[0], args[0].DataType(), loc)), nil
		})(mem, typ, args)
	}}, "quote_nullable")
	register(function{resolve: func(args []arrow.DataType) (arrow.DataType, []arrow.DataType, error) {
		if len(args) != 1 || args[0].ID() != arrow.STRING && args[0].ID() != arrow.BINARY {
			return nil, nil, undefinedFunc("bit_length", args)
		}
		return i32, nil, nil
	}, eval: rowwise(false, func(v []any) (any, error) {
		if b, ok := v[0].([]byte); ok {
			return int32(8 * len(b)), nil
		}
		return int32(8 * len(v[0].(string))), nil
	})}, "bit_length")
	// The bytea overloads.
	byteaOverload := func(name string, f function) {
		if _, ok := registry[name]; !ok {
			panic("function: bytea overload of unregistered " + name)
		}
		f.takes = func(args []arrow.DataType) bool { return len(args) > 0 && args[0].ID() == arrow.BINARY }
		register(f, name)
	}
	bothBytea := func(name string, res arrow.DataType) func([]arrow.DataType) (arrow.DataType, []arrow.DataType, error) {
		return func(args []arrow.DataType) (arrow.DataType, []arrow.DataType, error) {
			if len(args) != 2 || args[1].ID() != arrow.BINARY {
				return nil, nil, undefinedFunc(name, args)
			}
			return res, nil, nil
		}
	}
	trim := func(name string, left, right bool) {
		byteaOverload(name, function{resolve: bothBytea(name, bin), eval: rowwise(false, func(v []any) (any, error) {
			s, cut := v[0].([]byte), v[1].([]byte)
			if left {
				for len(s) > 0 && bytes.IndexByte(cut, s[0]) >= 0 {
					s = s[1:]
				}
			}
			if right {
				for len(s) > 0 && bytes.IndexByte(cut, s[len(s)-1]) >= 0 {
					s = s[:len(s)-1]
				}
			}
			return append([]byte{}, s...), nil
		})})
	}
	trim("btrim", true, true)
	trim("ltrim", true, false)
	trim("rtrim", false, true)
	for _, name := range []string{"position", "strpos"} {
		if _, ok := registry[name]; ok {
			byteaOverload(name, function{resolve: bothBytea(name, i32), eval: rowwise(false, func(v []any) (any, error) {
				return int32(bytes.Index(v[0].([]byte), v[1].([]byte)) + 1), nil
			})})
		}
	}
	for _, name := range []string{"substr", "substring"} {
		byteaOverload(name, function{resolve: func(args []arrow.DataType) (arrow.DataType, []arrow.DataType, error) {
			if len(args) != 2 && len(args) != 3 {
				return nil, nil, undefinedFunc(name, args)
			}
			conv := []arrow.DataType{nil}
			for _, a := range args[1:] {
				if !exec.IsInteger(a) {
					return nil, nil, undefinedFunc(name, args)
				}
				conv = append(conv, arrow.PrimitiveTypes.Int64)
			}
			return bin, conv, nil
		}, eval: rowwise(false, func(v []any) (any, error) {
			b := v[0].([]byte)
			start, end := v[1].(int64), int64(len(b))+1
			if len(v) == 3 {
				if v[2].(int64) < 0 {
					return nil, errs.New(errs.DataException, "negative substring length not allowed")
				}
				end = start + v[2].(int64)
			}
			start = max(start, 1)
			end = min(end, int64(len(b))+1)
			if end <= start {
				return []byte{}, nil
			}
			return append([]byte{}, b[start-1:end-1]...), nil
		})})
	}
}

func indexRune(rs []rune, c rune) int {
	for i, r := range rs {
		if r == c {
			return i
		}
	}
	return -1
}

// evalOverlay is overlay(s PLACING r FROM start [FOR count]) over text or bytea.
func evalOverlay(v []any) (any, error) {
	start := v[2].(int64)
	if b, ok := v[0].([]byte); ok {
		r := v[1].([]byte)
		count := int64(len(r))
		if len(v) == 4 {
			count = v[3].(int64)
		}
		if start < 1 || count < 0 {
			return nil, errs.New(errs.DataException, "negative substring length not allowed")
		}
		head := b[:min(start-1, int64(len(b)))]
		tail := b[min(start-1+count, int64(len(b))):]
		return append(append(append([]byte{}, head...), r...), tail...), nil
	}
	s, r := []rune(v[0].(string)), v[1].(string)
	count := int64(utf8.RuneCountInString(r))
	if len(v) == 4 {
		count = v[3].(int64)
	}
	if start < 1 || count < 0 {
		return nil, errs.New(errs.DataException, "negative substring length not allowed")
	}
	head := s[:min(start-1, int64(len(s)))]
	tail := s[min(max(start-1+count, 0), int64(len(s))):]
	return string(head) + r + string(tail), nil
}

// formatQuoted is a value's text as quote_literal and format's %L read it.
func formatQuoted(v any, t arrow.DataType, loc *time.Location) string {
	if b, ok := v.(bool); ok {
		return map[bool]string{true: "true", false: "false"}[b]
	}
	return exec.FormatTextIn(v, t, loc)
}

// quoteLiteral quotes s as a string literal: quotes doubled, and with backslashes doubled
// behind E when it has any.
func quoteLiteral(s string) string {
	q := "'" + strings.ReplaceAll(s, "'", "''") + "'"
	if strings.Contains(s, `\`) {
		return "E" + strings.ReplaceAll(q, `\`, `\\`)
	}
	return q
}

// evalFormat is format(formatstr, args...): %s, %I, %L and %%, with argument positions
// (%2$s), widths and the - flag (%-10s, %*s), as PostgreSQL's text_format.
func evalFormat(mem memory.Allocator, loc *time.Location, typ arrow.DataType, args []arrow.Array) (arrow.Array, error) {
	return rowwise(true, func(v []any) (any, error) {
		if v[0] == nil {
			return nil, nil
		}
		arg := func(i int) (string, bool) {
			if v[i+1] == nil {
				return "", false
			}
			if b, ok := v[i+1].(bool); ok {
				return map[bool]string{true: "t", false: "f"}[b], true
			}
			return exec.FormatTextIn(v[i+1], args[i+1].DataType(), loc), true
		}
		return formatString(v[0].(string), len(v)-1, arg)
	})(mem, typ, args)
}

func formatString(f string, nargs int, arg func(int) (string, bool)) (string, error) {
	var sb strings.Builder
	next := 0
	tooFew := func() error { return errs.New(errs.DataException, "too few arguments for format()") }
	for i := 0; i < len(f); i++ {
		if f[i] != '%' {
			sb.WriteByte(f[i])
			continue
		}
		i++
		if i >= len(f) {
			return "", errs.New(errs.InvalidParameter, "unterminated format() type specifier")
		}
		if f[i] == '%' {
			sb.WriteByte('%')
			continue
		}
		// [argpos$][flags][width]type
		readNum := func() (int, bool) {
			j := i
			for j < len(f) && f[j] >= '0' && f[j] <= '9' {
				j++
			}
			if j == i {
				return 0, false
			}
			n, _ := strconv.Atoi(f[i:j])
			i = j
			return n, true
		}
		pos := -1
		if n, ok := readNum(); ok {
			if i < len(f) && f[i] == '$' {
				if n == 0 {
					return "", errs.New(errs.InvalidParameter, "format specifies argument 0, but arguments are numbered from 1")
				}
				pos, i = n-1, i+1
			} else {
				i -= len(strconv.Itoa(n))
			}
		}
		left := false
		for i < len(f) && f[i] == '-' {
			left, i = true, i+1
		}
		width := 0
		if i < len(f) && f[i] == '*' {
			i++
			wpos := next
			if n, ok := readNum(); ok {
				if i >= len(f) || f[i] != '$' {
					return "", errs.New(errs.InvalidParameter, "unterminated format() type specifier")
				}
				wpos, i = n-1, i+1
			}
			if wpos >= nargs {
				return "", tooFew()
			}
			w, ok := arg(wpos)
			next = wpos + 1
			if ok {
				n, err := strconv.Atoi(w)
				if err != nil {
					return "", errs.New(errs.InvalidText, "invalid input syntax for type integer: %q", w)
				}
				if n < 0 {
					left, n = true, -n
				}
				width = n
			}
		} else if n, ok := readNum(); ok {
			width = n
		}
		if i >= len(f) {
			return "", errs.New(errs.InvalidParameter, "unterminated format() type specifier")
		}
		if pos < 0 {
			pos = next
		}
		kind := f[i]
		if kind != 's' && kind != 'I' && kind != 'L' {
			return "", errs.New(errs.InvalidParameter, "unrecognized format() type specifier \"%c\"", kind)
		}
		if pos >= nargs {
			return "", tooFew()
		}
		next = pos + 1
		s, ok := arg(pos)
		switch kind {
		case 'I':
			if !ok {
				return "", errs.New(errs.NullNotAllowed, "null values cannot be formatted as an SQL identifier")
			}
			s = QuoteIdent(s)
		case 'L':
			if ok {
				s = quoteLiteral(s)
			} else {
				s = "NULL"
			}
		}
		if pad := width - utf8.RuneCountInString(s); pad > 0 {
			if left {
				s += strings.Repeat(" ", pad)
			} else {
				s = strings.Repeat(" ", pad) + s
			}
		}
		sb.WriteString(s)
	}
	return sb.String(), nil
}
