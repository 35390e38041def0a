package exec

import (
	"context"
	"encoding/binary"
	"slices"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/sleeperd/sleeperd/types"
)

// Grouping, DISTINCT, set operations and hash joins compare jsonb values as jsonb's =
// does. Stored jsonb text is normalised (keys sorted, duplicates dropped, PostgreSQL's
// spacing: types.JSON), so equal values have equal text except for numbers, which jsonb
// compares by value: '1.0'::jsonb = '1'::jsonb = '1e0'::jsonb. The hash key of a jsonb value
// is its text with each number outside strings written in one canonical form.

// jsonbEncoder encodes the jsonb values of a (string storage) with their numbers canonical.
func jsonbEncoder(a arrow.Array) rowEncoder {
	offs := arrow.GetOffsets[int32](a.Data(), 1)
	d := byteData(a)
	var buf []byte
	return func(dst []byte, i int) []byte {
		buf = appendJSONBKey(buf[:0], d[offs[i]:offs[i+1]])
		dst = binary.AppendUvarint(dst, uint64(len(buf)))
		return append(dst, buf...)
	}
}

// appendJSONBKey appends s, normalised jsonb text, with its numbers canonical.
func appendJSONBKey(dst, s []byte) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '"':
			j := i + 1
			for j < len(s) && s[j] != '"' {
				if s[j] == '\\' {
					j++
				}
				j++
			}
			j = min(j+1, len(s))
			dst = append(dst, s[i:j]...)
			i = j
		case c == '-' || (c >= '0' && c <= '9'):
			j := i + 1
			for j < len(s) && (s[j] == '.' || s[j] == 'e' || s[j] == 'E' || s[j] == '+' || s[j] == '-' || (s[j] >= '0' && s[j] <= '9')) {
				j++
			}
			dst = appendCanonicalNumber(dst, s[i:j])
			i = j
		default:
			dst = append(dst, c)
			i++
		}
	}
	return dst
}

// appendCanonicalNumber appends the JSON number n as [-]digits then 'e' and the exponent,
// digits without leading or trailing zeros ("0" for zero): one form per numeric value.
func appendCanonicalNumber(dst, n []byte) []byte {
	neg := false
	if len(n) > 0 && n[0] == '-' {
		neg, n = true, n[1:]
	}
	var digits []byte
	exp := 0
	frac := false
	k := 0
	for ; k < len(n); k++ {
		c := n[k]
		if c == '.' {
			frac = true
			continue
		}
		if c < '0' || c > '9' {
			break
		}
		if len(digits) == 0 && c == '0' {
			if frac {
				exp--
			}
			continue
		}
		digits = append(digits, c)
		if frac {
			exp--
		}
	}
	if k < len(n) && (n[k] == 'e' || n[k] == 'E') {
		e, err := strconv.Atoi(string(n[k+1:]))
		if err != nil {
			return append(dst, n...) // not a number jsonb holds: keep its text
		}
		exp += e
	}
	for len(digits) > 0 && digits[len(digits)-1] == '0' {
		digits = digits[:len(digits)-1]
		exp++
	}
	if len(digits) == 0 {
		return append(dst, '0')
	}
	if neg {
		dst = append(dst, '-')
	}
	dst = append(dst, digits...)
	dst = append(dst, 'e')
	return strconv.AppendInt(dst, int64(exp), 10)
}

// asJSONB returns a, string storage of jsonb values, as an array of type jsonb (sharing its
// buffers), so that encoder compares its values as jsonb. It takes over the caller's
// reference to a.
func asJSONB(a arrow.Array) arrow.Array {
	if types.IsJSONB(a.DataType()) || a.DataType().ID() != arrow.STRING {
		return a
	}
	d := a.Data()
	nd := array.NewData(types.JSONBType, d.Len(), d.Buffers(), nil, d.NullN(), d.Offset())
	out := array.MakeFromData(nd)
	nd.Release()
	a.Release()
	return out
}

// jsonbKeyEncoder is encoder for an array of jsonb values held as strings.
func jsonbKeyEncoder(a arrow.Array) rowEncoder {
	enc := jsonbEncoder(a)
	return func(dst []byte, i int) []byte {
		if a.IsNull(i) {
			return append(dst, 0)
		}
		return enc(append(dst, 1), i)
	}
}

// jsonbViews returns cols with those jsonb marks as arrays of type jsonb sharing their
// buffers, and a function releasing the views.
func jsonbViews(cols []arrow.Array, jsonb []bool) ([]arrow.Array, func()) {
	if !slices.Contains(jsonb, true) {
		return cols, func() {}
	}
	out := slices.Clone(cols)
	var made []arrow.Array
	for i, c := range cols {
		if i < len(jsonb) && jsonb[i] {
			c.Retain()
			out[i] = asJSONB(c)
			made = append(made, out[i])
		}
	}
	return out, func() {
		for _, m := range made {
			m.Release()
		}
	}
}

// JSONBKey returns e, an expression of jsonb values held as strings, as a key of grouping
// or of a hash join: its values compare as jsonb's = compares them.
func JSONBKey(e Expr) Expr { return jsonbKey{e} }

type jsonbKey struct{ Expr }

func (k jsonbKey) Eval(ctx context.Context, b arrow.RecordBatch) (arrow.Array, error) {
	a, err := k.Expr.Eval(ctx, b)
	if err != nil {
		return nil, err
	}
	return asJSONB(a), nil
}

// CompareJSONB makes the set operation compare column i, of jsonb values held as strings,
// as jsonb's = compares them.
func (o *SetOp) CompareJSONB(i int) {
	if o.jsonb == nil {
		o.jsonb = make([]bool, o.schema.NumFields())
	}
	o.jsonb[i] = true
}
