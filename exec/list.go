package exec

import (
	"context"
	"encoding/binary"
	"fmt"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/types"
)

// A SQL array is an Arrow list (one dimension, nullable elements). The kernels here move,
// encode and compare list values; elements use the kernels of their type.

// elemType is the element type of a list type, or nil for other types.
func elemType(t arrow.DataType) arrow.DataType {
	if l, ok := t.(*arrow.ListType); ok {
		return l.Elem()
	}
	return nil
}

// listSpan returns the element range [start, end) of row i of a list array, or the entry
// range of a map array; NULL rows are empty whatever their offsets say.
func listSpan(l array.ListLike, i int) (int, int) {
	if l.IsNull(i) {
		return 0, 0
	}
	s, e := l.ValueOffsets(i)
	return int(s), int(e)
}

// makeList assembles a list (or map) array of type t from a validity bitmap (may be nil) and
// offsets (n+1 values), taking ownership of both, and the child array, which it retains.
func makeList(t arrow.DataType, n int, validity, offsets *memory.Buffer, child arrow.Array) arrow.Array {
	nulls := 0
	if validity != nil {
		nulls = n - bitutil.CountSetBits(validity.Bytes(), 0, n)
	}
	data := array.NewData(t, n, []*memory.Buffer{validity, offsets}, []arrow.ArrayData{child.Data()}, nulls, 0)
	if validity != nil {
		validity.Release()
	}
	offsets.Release()
	defer data.Release()
	return array.MakeFromData(data)
}

// takeList is take for lists and maps: the rows idx of a, with their elements (entries)
// gathered into a new child array.
func takeList(mem memory.Allocator, a arrow.Array, idx []int32, validity *memory.Buffer) arrow.Array {
	l := a.(array.ListLike)
	n := len(idx)
	offBuf, oo := newValues[int32](mem, n+1)
	var elems []int32
	for j, i := range idx {
		oo[j] = int32(len(elems))
		s, e := listSpan(l, int(i))
		for k := s; k < e; k++ {
			elems = append(elems, int32(k))
		}
	}
	oo[n] = int32(len(elems))
	child := take(mem, l.ListValues(), elems)
	defer child.Release()
	return makeList(a.DataType(), n, validity, offBuf, child)
}

// scatterList is scatter for lists and maps.
func scatterList(mem memory.Allocator, t arrow.DataType, n int, parts []part, validity *memory.Buffer) arrow.Array {
	lens := make([]int32, n)
	for _, p := range parts {
		l := p.arr.(array.ListLike)
		for j, r := range p.rows {
			s, e := listSpan(l, j)
			lens[r] = int32(e - s)
		}
	}
	offBuf, oo, total := lengthOffsets(mem, lens)
	var childParts []part
	for _, p := range parts {
		l := p.arr.(array.ListLike)
		var elems, rows []int32
		for j, r := range p.rows {
			s, e := listSpan(l, j)
			for k := s; k < e; k++ {
				elems = append(elems, int32(k))
				rows = append(rows, oo[r]+int32(k-s))
			}
		}
		childParts = append(childParts, part{rows: rows, arr: take(mem, l.ListValues(), elems)})
	}
	child := scatter(mem, t.(arrow.ListLikeType).Elem(), int(total), childParts)
	for _, p := range childParts {
		p.arr.Release()
	}
	defer child.Release()
	return makeList(t, n, validity, offBuf, child)
}

// listEncoder encodes a list value as its length followed by its elements' encodings
// (which mark NULL elements), so equal lists, NULL elements included, encode alike.
func listEncoder(a arrow.Array) rowEncoder {
	l := a.(*array.List)
	enc := encoder(l.ListValues())
	return func(dst []byte, i int) []byte {
		s, e := listSpan(l, i)
		dst = binary.AppendUvarint(dst, uint64(e-s))
		for k := s; k < e; k++ {
			dst = enc(dst, k)
		}
		return dst
	}
}

// listAppender appends list values of a to the list builder b.
func listAppender(a arrow.Array, b array.Builder) rowAppender {
	l, lb := a.(*array.List), b.(*array.ListBuilder)
	app := appender(l.ListValues(), lb.ValueBuilder())
	return func(i int) {
		lb.Append(true)
		s, e := listSpan(l, i)
		for k := s; k < e; k++ {
			app(k)
		}
	}
}

// listComparer orders lists as PostgreSQL orders arrays: element by element (NULL elements
// above every value, equal to each other), then the shorter first.
func listComparer(a, b arrow.Array) rowComparer {
	x, y := a.(*array.List), b.(*array.List)
	xv, yv := x.ListValues(), y.ListValues()
	c := comparer(xv, yv)
	return func(i, j int) int {
		xs, xe := listSpan(x, i)
		ys, ye := listSpan(y, j)
		for xs < xe && ys < ye {
			xn, yn := xv.IsNull(xs), yv.IsNull(ys)
			switch {
			case xn && yn:
			case xn:
				return 1
			case yn:
				return -1
			default:
				if r := c(xs, ys); r != 0 {
					return r
				}
			}
			xs++
			ys++
		}
		switch {
		case xe-xs < ye-ys:
			return -1
		case xe-xs > ye-ys:
			return 1
		}
		return 0
	}
}

// listValue is row i of a list array as a Go []any.
func listValue(l *array.List, i int) []any {
	s, e := listSpan(l, i)
	out := make([]any, 0, e-s)
	for k := s; k < e; k++ {
		out = append(out, valueAt(l.ListValues(), k))
	}
	return out
}

// appendList appends a Go []any list to b.
func appendList(b *array.ListBuilder, v []any) {
	b.Append(true)
	vb := b.ValueBuilder()
	for _, x := range v {
		if x == nil {
			vb.AppendNull()
			continue
		}
		appendValue(vb, x)
	}
}

// checkListValue checks that v is a []any of Go values of element type t and returns a copy.
func checkListValue(v any, t arrow.DataType) ([]any, error) {
	l, ok := v.([]any)
	if !ok {
		return nil, typeErr("literal %v (%T) is not a value of type %s", v, v, t)
	}
	out := make([]any, len(l))
	for i, x := range l {
		if x == nil {
			continue
		}
		lit, err := NewLiteral(x, elemType(t))
		if err != nil {
			return nil, fmt.Errorf("array element %d: %w", i+1, err)
		}
		out[i] = lit.v
	}
	return out, nil
}

// ArrayExpr is ARRAY[e1, ...]: one list per row holding the elements' values of that row.
type ArrayExpr struct {
	elems []Expr
	typ   arrow.DataType
}

var _ Expr = (*ArrayExpr)(nil)

// NewArrayExpr returns ARRAY[elems...] of list type t; every element already has t's
// element type. No elements (ARRAY[]) gives empty lists.
func NewArrayExpr(elems []Expr, t arrow.DataType) (Expr, error) {
	et := elemType(t)
	if et == nil || !supported(t) {
		return nil, typeErr("ARRAY of type %v", t)
	}
	for i, e := range elems {
		if e == nil {
			return nil, fmt.Errorf("ARRAY: nil element %d", i)
		}
		if !arrow.TypeEqual(e.DataType(), et) {
			return nil, typeErr("ARRAY element %s of type %s, want %s", e, types.BaseName(e.DataType()), types.BaseName(et))
		}
	}
	return &ArrayExpr{elems: append([]Expr(nil), elems...), typ: t}, nil
}

func (a *ArrayExpr) DataType() arrow.DataType { return a.typ }

func (a *ArrayExpr) String() string { return "ARRAY[" + joinExprs(a.elems) + "]" }

func (a *ArrayExpr) Eval(ctx context.Context, batch arrow.RecordBatch) (arrow.Array, error) {
	mem := Allocator(ctx)
	n := int(batch.NumRows())
	k := len(a.elems)
	vals, err := evalAll(ctx, a.elems, batch)
	if err != nil {
		return nil, err
	}
	defer releaseAll(vals)
	var all arrow.Array
	switch k {
	case 0:
		all = array.MakeArrayOfNull(mem, elemType(a.typ), 0)
	default:
		if all, err = concatArrays1(mem, vals); err != nil {
			return nil, err
		}
	}
	defer all.Release()
	// Row r's element j is row r of element j: position j*n+r of the concatenation.
	idx := make([]int32, 0, n*k)
	for r := 0; r < n; r++ {
		for j := 0; j < k; j++ {
			idx = append(idx, int32(j*n+r))
		}
	}
	child := take(mem, all, idx)
	defer child.Release()
	offBuf, oo := newValues[int32](mem, n+1)
	for r := range oo {
		oo[r] = int32(r * k)
	}
	return makeList(a.typ, n, nil, offBuf, child), nil
}

// formatArray writes a list value as PostgreSQL's array text output: {1,2,NULL}, with
// elements quoted when empty, "NULL"-like, or containing special characters.
func formatArray(v []any, t arrow.DataType, loc *time.Location) string {
	et := elemType(t)
	return arrayText(v, func(x any) string { return FormatElemText(x, et, loc) })
}

// FormatElemText is the text of a non-NULL element of an array of type et, as the element
// type's output function writes it: as formatTextIn, but a boolean is t or f.
func FormatElemText(x any, et arrow.DataType, loc *time.Location) string {
	if b, ok := x.(bool); ok {
		if b {
			return "t"
		}
		return "f"
	}
	return formatTextIn(x, et, loc)
}

// arrayText writes elements as PostgreSQL's array text output, text giving the text form
// of each non-NULL element.
func arrayText(v []any, text func(any) string) string {
	var sb strings.Builder
	sb.WriteByte('{')
	for i, x := range v {
		if i > 0 {
			sb.WriteByte(',')
		}
		if x == nil {
			sb.WriteString("NULL")
			continue
		}
		s := text(x)
		if needsQuote(s) {
			sb.WriteByte('"')
			for _, c := range []byte(s) {
				if c == '"' || c == '\\' {
					sb.WriteByte('\\')
				}
				sb.WriteByte(c)
			}
			sb.WriteByte('"')
			continue
		}
		sb.WriteString(s)
	}
	sb.WriteByte('}')
	return sb.String()
}

func needsQuote(s string) bool {
	if s == "" || strings.EqualFold(s, "NULL") {
		return true
	}
	for _, c := range []byte(s) {
		switch c {
		case '{', '}', ',', '"', '\\', ' ', '\t', '\n', '\r', '\v', '\f':
			return true
		}
	}
	return false
}

// parseArray parses PostgreSQL's array text input ({1,2,NULL}, {"a b","c\"d"}, {}) into a
// list value of type t, converting each element with the element type's input function.
func parseArray(s string, t arrow.DataType, loc *time.Location) ([]any, error) {
	et := elemType(t)
	malformed := func(detail string) error {
		return &errs.Error{Kind: errs.InvalidText, Msg: fmt.Sprintf("malformed array literal: %q", s), Detail: detail}
	}
	p := strings.TrimLeft(s, " \t\n\r\v\f")
	if p == "" || p[0] != '{' {
		if strings.HasPrefix(p, "[") {
			return nil, errs.New(errs.NotImplemented, "array bounds are not supported")
		}
		return nil, malformed(`Array value must start with "{" or dimension information.`)
	}
	p = p[1:]
	out := []any{}
	isSpace := func(c byte) bool { return strings.IndexByte(" \t\n\r\v\f", c) >= 0 }
	skipSpace := func() {
		for p != "" && isSpace(p[0]) {
			p = p[1:]
		}
	}
	skipSpace()
	if strings.HasPrefix(p, "}") {
		p = p[1:]
	} else {
		for {
			skipSpace()
			if p == "" {
				return nil, malformed("Unexpected end of input.")
			}
			if p[0] == '{' {
				return nil, errs.New(errs.NotImplemented, "multidimensional arrays are not supported")
			}
			var elem strings.Builder
			null := false
			if p[0] == '"' {
				p = p[1:]
				closed := false
				for p != "" {
					c := p[0]
					p = p[1:]
					if c == '\\' {
						if p == "" {
							break
						}
						elem.WriteByte(p[0])
						p = p[1:]
						continue
					}
					if c == '"' {
						closed = true
						break
					}
					elem.WriteByte(c)
				}
				if !closed {
					return nil, malformed("Unexpected end of input.")
				}
				skipSpace()
			} else {
				// Unquoted: up to a delimiter, backslash escapes, surrounding blanks dropped.
				trail := 0 // length of elem up to the last escaped or non-blank byte
				escaped := false
				for p != "" && p[0] != ',' && p[0] != '}' {
					c := p[0]
					p = p[1:]
					switch {
					case c == '\\':
						if p == "" {
							return nil, malformed("Unexpected end of input.")
						}
						elem.WriteByte(p[0])
						p = p[1:]
						trail, escaped = elem.Len(), true
					case c == '"' || c == '{':
						return nil, malformed(fmt.Sprintf("Unexpected %q character.", c))
					case isSpace(c):
						if elem.Len() > 0 {
							elem.WriteByte(c)
						}
					default:
						elem.WriteByte(c)
						trail = elem.Len()
					}
				}
				str := elem.String()[:trail]
				elem.Reset()
				elem.WriteString(str)
				if str == "" {
					return nil, malformed("Unexpected \",\" character.")
				}
				null = strings.EqualFold(str, "NULL") && !escaped
			}
			switch {
			case null:
				out = append(out, nil)
			case types.IsJSONB(et):
				v, err := types.JSONBNormalize(elem.String())
				if err != nil {
					return nil, err
				}
				out = append(out, v)
			case types.IsPlainJSON(et):
				if _, err := types.ParseJSON(elem.String(), "json"); err != nil {
					return nil, err
				}
				out = append(out, elem.String())
			case et.ID() == arrow.STRING:
				out = append(out, elem.String())
			case types.IsVarNumeric(et):
				v, err := ParseVarNumeric(elem.String())
				if err != nil {
					return nil, err
				}
				out = append(out, v)
			default:
				v, err := parseTextIn(elem.String(), et, loc)
				if err != nil {
					return nil, err
				}
				out = append(out, v)
			}
			if p == "" {
				return nil, malformed("Unexpected end of input.")
			}
			c := p[0]
			p = p[1:]
			if c == '}' {
				break
			}
			if c != ',' {
				return nil, malformed(fmt.Sprintf("Unexpected %q character.", c))
			}
		}
	}
	if strings.TrimLeft(p, " \t\n\r\v\f") != "" {
		return nil, malformed("Junk after closing right brace.")
	}
	return out, nil
}

// castList casts a list array to another list type element by element.
func castList(mem memory.Allocator, loc *time.Location, a arrow.Array, to arrow.DataType) (arrow.Array, error) {
	l := a.(*array.List)
	n := l.Len()
	offBuf, oo := newValues[int32](mem, n+1)
	var elems []int32
	for i := 0; i < n; i++ {
		oo[i] = int32(len(elems))
		s, e := listSpan(l, i)
		for k := s; k < e; k++ {
			elems = append(elems, int32(k))
		}
	}
	oo[n] = int32(len(elems))
	from := take(mem, l.ListValues(), elems)
	defer from.Release()
	child, err := castArray(mem, loc, from, elemType(to))
	if err != nil {
		offBuf.Release()
		return nil, err
	}
	defer child.Release()
	return makeList(to, n, copyValidity(mem, a), offBuf, child), nil
}
