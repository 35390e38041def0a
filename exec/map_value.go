package exec

import (
	"strconv"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"

	"github.com/sleeperd/sleeperd/types"
)

// MapValue is a map's value as a Go value (valueAt, NewLiteral): its entries' keys and
// values, in stored order, a NULL value as nil.
type MapValue struct{ Keys, Items []any }

// mapValue is row i of the map m as a MapValue.
func mapValue(m *array.Map, i int) MapValue {
	s, e := m.ValueOffsets(i)
	v := MapValue{Keys: make([]any, 0, e-s), Items: make([]any, 0, e-s)}
	keys, items := m.Keys(), m.Items()
	for k := int(s); k < int(e); k++ {
		v.Keys = append(v.Keys, valueAt(keys, k))
		v.Items = append(v.Items, valueAt(items, k))
	}
	return v
}

// appendMap appends a MapValue to b.
func appendMap(b *array.MapBuilder, v MapValue) {
	b.Append(true)
	kb, ib := b.KeyBuilder(), b.ItemBuilder()
	for k, key := range v.Keys {
		appendValue(kb, key)
		if v.Items[k] == nil {
			ib.AppendNull()
			continue
		}
		appendValue(ib, v.Items[k])
	}
}

// broadcastMap is n copies of the map v of type t.
func broadcastMap(b *array.MapBuilder, v MapValue, n int) arrow.Array {
	defer b.Release()
	for range n {
		appendMap(b, v)
	}
	return b.NewArray()
}

// formatMapJSON is the jsonb text of the map v of type t, as a map is shown: an object of
// its keys' text and its values as appendJSONValue writes them, normalised as jsonb.
func formatMapJSON(v MapValue, t *arrow.MapType, loc *time.Location) string {
	b := appendJSONValue(nil, v, t, loc)
	if n, err := types.JSONBNormalize(string(b)); err == nil {
		return n
	}
	return string(b)
}

// appendJSONValue writes v of type t as JSON: NULL as null, booleans and finite numbers as
// JSON's, arrays as arrays, records as objects of their fields, maps as objects of their
// keys' text, other values as strings of their text.
func appendJSONValue(b []byte, v any, t arrow.DataType, loc *time.Location) []byte {
	if v == nil {
		return append(b, "null"...)
	}
	switch x := v.(type) {
	case bool:
		return strconv.AppendBool(b, x)
	case MapValue:
		mt := t.(*arrow.MapType)
		b = append(b, '{')
		for k, key := range x.Keys {
			if k > 0 {
				b = append(b, ", "...)
			}
			b = types.AppendJSONString(b, formatTextIn(key, mt.KeyType(), loc))
			b = append(b, ": "...)
			b = appendJSONValue(b, x.Items[k], mt.ItemType(), loc)
		}
		return append(b, '}')
	case []any:
		if st, ok := t.(*arrow.StructType); ok {
			b = append(b, '{')
			for k, f := range x {
				if k > 0 {
					b = append(b, ", "...)
				}
				b = types.AppendJSONString(b, st.Field(k).Name)
				b = append(b, ": "...)
				b = appendJSONValue(b, f, st.Field(k).Type, loc)
			}
			return append(b, '}')
		}
		b = append(b, '[')
		for k, e := range x {
			if k > 0 {
				b = append(b, ", "...)
			}
			b = appendJSONValue(b, e, elemType(t), loc)
		}
		return append(b, ']')
	}
	s := formatTextIn(v, t, loc)
	switch v.(type) {
	case int16, int32, int64, float32, float64, decimal128.Num:
		if s != "NaN" && s != "Infinity" && s != "-Infinity" {
			return append(b, s...)
		}
	}
	return types.AppendJSONString(b, s)
}
