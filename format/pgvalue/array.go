package pgvalue

import (
	"encoding/binary"
	"fmt"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/types"
)

// listValues returns the element array and the element range of row i of a list array.
func listRange(a *array.List, i int) (int, int) {
	start, end := a.ValueOffsets(i)
	return int(start), int(end)
}

// arrayTextWriter formats a list as PostgreSQL's array_out does: "{1,2,NULL}", with elements
// quoted when they are empty, spell NULL, or contain braces, quotes, commas, backslashes or
// white space.
func arrayTextWriter(a *array.List, loc *time.Location) Writer {
	return arrayTextWriterOf(a, textWriter(a.ListValues(), loc))
}

// arrayTextWriterOf is arrayTextWriter with elem writing the elements.
func arrayTextWriterOf(a *array.List, elem Writer) Writer {
	vals := a.ListValues()
	var buf []byte
	return func(dst []byte, i int) []byte {
		start, end := listRange(a, i)
		dst = append(dst, '{')
		for j := start; j < end; j++ {
			if j > start {
				dst = append(dst, ',')
			}
			if vals.IsNull(j) {
				dst = append(dst, "NULL"...)
				continue
			}
			buf = elem(buf[:0], j)
			dst = appendArrayElem(dst, buf)
		}
		return append(dst, '}')
	}
}

// appendArrayElem appends one element of an array's text form, quoted when it needs to be.
func appendArrayElem(dst, v []byte) []byte {
	quote := len(v) == 0 || strings.EqualFold(string(v), "NULL")
	for _, c := range v {
		switch c {
		case '{', '}', ',', '"', '\\', ' ', '\t', '\n', '\r', '\v', '\f':
			quote = true
		}
	}
	if !quote {
		return append(dst, v...)
	}
	dst = append(dst, '"')
	for _, c := range v {
		if c == '"' || c == '\\' {
			dst = append(dst, '\\')
		}
		dst = append(dst, c)
	}
	return append(dst, '"')
}

// arrayBinaryWriter encodes a list in array_send's format: the number of dimensions (0 for an
// empty array, else 1), a has-nulls flag, the element OID, then per dimension its length and
// lower bound (1), then each element as a length (-1 for NULL) and its binary form.
func arrayBinaryWriter(a *array.List) Writer {
	vals := a.ListValues()
	oid := types.PGTypeOf(vals.DataType()).OID
	if _, ok := types.ArrayOID(oid); !ok && vals.DataType().ID() != arrow.STRUCT {
		// (A record element keeps its composite type's OID, or record's.)
		oid = types.OIDText
	}
	return arrayBinaryWriterOf(a, oid)
}

// arrayBinaryWriterOf is arrayBinaryWriter with oid as the elements' type.
func arrayBinaryWriterOf(a *array.List, oid uint32) Writer {
	return arrayBinaryWriterElem(a, oid, nil)
}

// arrayBinaryWriterElem is arrayBinaryWriterOf with each element's binary form wrap's
// wrapping of the element writer (nil: the element writer as it is).
func arrayBinaryWriterElem(a *array.List, oid uint32, wrap func(Writer) Writer) Writer {
	vals := a.ListValues()
	elem := binaryWriter(vals)
	if m, ok := vals.(*array.Map); ok {
		// A map element is jsonb: its version byte, 1, and the text.
		mw := mapJSONWriter(m, nil)
		elem = func(dst []byte, i int) []byte { return mw(append(dst, 1), i) }
	} else if wrap != nil {
		elem = wrap(elem)
	}
	return func(dst []byte, i int) []byte {
		start, end := listRange(a, i)
		if start == end {
			dst = binary.BigEndian.AppendUint32(dst, 0)
			dst = binary.BigEndian.AppendUint32(dst, 0)
			return binary.BigEndian.AppendUint32(dst, oid)
		}
		nulls := uint32(0)
		for j := start; j < end; j++ {
			if vals.IsNull(j) {
				nulls = 1
				break
			}
		}
		dst = binary.BigEndian.AppendUint32(dst, 1)
		dst = binary.BigEndian.AppendUint32(dst, nulls)
		dst = binary.BigEndian.AppendUint32(dst, oid)
		dst = binary.BigEndian.AppendUint32(dst, uint32(end-start))
		dst = binary.BigEndian.AppendUint32(dst, 1)
		for j := start; j < end; j++ {
			if vals.IsNull(j) {
				dst = binary.BigEndian.AppendUint32(dst, 0xFFFFFFFF)
				continue
			}
			at := len(dst)
			dst = binary.BigEndian.AppendUint32(dst, 0)
			dst = elem(dst, j)
			binary.BigEndian.PutUint32(dst[at:], uint32(len(dst)-at-4))
		}
		return dst
	}
}

// listElem is the element type of a list type.
func listElem(dt arrow.DataType) arrow.DataType { return dt.(*arrow.ListType).Elem() }

// decodeArrayText parses PostgreSQL's array text form ("{1,2,NULL}", "{}", quoted elements
// with backslash escapes) into its elements, each decoded as a parameter of type elem.
// Multi-dimensional arrays and explicit bounds ("[1:2]={...}") are not supported.
func decodeArrayText(elem arrow.DataType, s string) ([]any, error) {
	malformed := func(why string) error {
		return &errs.Error{Kind: errs.InvalidText, Msg: fmt.Sprintf("malformed array literal: %q", s), Detail: why}
	}
	t := strings.TrimSpace(s)
	if len(t) < 2 || t[0] != '{' || t[len(t)-1] != '}' {
		return nil, malformed(`Array value must start with "{" or dimension information.`)
	}
	body := t[1 : len(t)-1]
	out := []any{}
	if strings.TrimSpace(body) == "" {
		return out, nil
	}
	eoid := types.PGTypeOf(elem).OID
	i := 0
	for {
		for i < len(body) && isArraySpace(body[i]) {
			i++
		}
		var v []byte
		quoted := false
		switch {
		case i < len(body) && body[i] == '{':
			return nil, errs.New(errs.NotImplemented, "multidimensional arrays are not supported")
		case i < len(body) && body[i] == '"':
			quoted = true
			i++
			for {
				if i >= len(body) {
					return nil, malformed("Unexpected end of input.")
				}
				c := body[i]
				if c == '"' {
					i++
					break
				}
				if c == '\\' && i+1 < len(body) {
					i++
					c = body[i]
				}
				v = append(v, c)
				i++
			}
			for i < len(body) && isArraySpace(body[i]) {
				i++
			}
		default:
			for i < len(body) && body[i] != ',' {
				c := body[i]
				switch c {
				case '"', '{', '}':
					return nil, malformed(fmt.Sprintf("Unexpected %q character.", c))
				case '\\':
					if i+1 < len(body) {
						i++
						c = body[i]
					}
				}
				v = append(v, c)
				i++
			}
			v = []byte(strings.TrimRight(string(v), " \t\n\r\v\f"))
			if len(v) == 0 {
				return nil, malformed("Unexpected \",\" character.")
			}
		}
		if !quoted && strings.EqualFold(string(v), "NULL") {
			out = append(out, nil)
		} else {
			x, err := decodeText(elem, eoid, string(v))
			if err == nil {
				x, err = jsonElem(elem, x)
			}
			if err != nil {
				return nil, err
			}
			out = append(out, x)
		}
		if i >= len(body) {
			return out, nil
		}
		if body[i] != ',' {
			return nil, malformed("Unexpected array element.")
		}
		i++
	}
}

// jsonElem is x, a decoded element of an array of elem, as json's and jsonb's input functions
// take it: checked as json, and normalised when elem is jsonb. Other elements are as they are.
func jsonElem(elem arrow.DataType, x any) (any, error) {
	s, ok := x.(string)
	switch {
	case !ok:
	case types.IsJSONB(elem):
		return types.JSONBNormalize(s)
	case types.IsPlainJSON(elem):
		if _, err := types.ParseJSON(s, "json"); err != nil {
			return nil, err
		}
	}
	return x, nil
}

func isArraySpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

// decodeArrayBinary decodes array_send's format (see arrayBinaryWriter) into its elements,
// each decoded as a binary parameter of type elem.
func decodeArrayBinary(elem arrow.DataType, v []byte) ([]any, error) {
	if len(v) < 12 {
		return nil, fmt.Errorf("array of %d bytes", len(v))
	}
	ndim := int32(binary.BigEndian.Uint32(v))
	v = v[12:]
	switch {
	case ndim == 0:
		return []any{}, nil
	case ndim != 1:
		return nil, fmt.Errorf("arrays of %d dimensions are not supported", ndim)
	case len(v) < 8:
		return nil, fmt.Errorf("truncated array dimensions")
	}
	n := int(int32(binary.BigEndian.Uint32(v)))
	v = v[8:]
	if n < 0 || n > len(v)/4 {
		return nil, fmt.Errorf("invalid array length %d", n)
	}
	eoid := types.PGTypeOf(elem).OID
	out := make([]any, 0, n)
	for k := 0; k < n; k++ {
		if len(v) < 4 {
			return nil, fmt.Errorf("truncated array element")
		}
		size := int32(binary.BigEndian.Uint32(v))
		v = v[4:]
		if size == -1 {
			out = append(out, nil)
			continue
		}
		if size < 0 || int(size) > len(v) {
			return nil, fmt.Errorf("invalid array element length %d", size)
		}
		x, err := decodeBinary(elem, eoid, v[:size])
		if err == nil {
			x, err = jsonElem(elem, x)
		}
		if err != nil {
			return nil, err
		}
		out = append(out, x)
		v = v[size:]
	}
	if len(v) != 0 {
		return nil, fmt.Errorf("%d bytes after the array's elements", len(v))
	}
	return out, nil
}
