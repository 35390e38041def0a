// Package arrowgen builds small Arrow arrays of every Arrow type, flat and nested, for tests
// that feed each type to code that converts between types.
package arrowgen

import (
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/extensions"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Leaves are the flat Arrow types (and dictionaries of flat types) a client can send.
func Leaves() []arrow.DataType {
	return []arrow.DataType{
		arrow.Null, arrow.FixedWidthTypes.Boolean,
		arrow.PrimitiveTypes.Int8, arrow.PrimitiveTypes.Int16, arrow.PrimitiveTypes.Int32, arrow.PrimitiveTypes.Int64,
		arrow.PrimitiveTypes.Uint8, arrow.PrimitiveTypes.Uint16, arrow.PrimitiveTypes.Uint32, arrow.PrimitiveTypes.Uint64,
		arrow.FixedWidthTypes.Float16, arrow.PrimitiveTypes.Float32, arrow.PrimitiveTypes.Float64,
		&arrow.Decimal128Type{Precision: 10, Scale: 2}, &arrow.Decimal256Type{Precision: 40, Scale: 5},
		&arrow.Decimal32Type{Precision: 7, Scale: 2}, &arrow.Decimal64Type{Precision: 15, Scale: 3},
		arrow.BinaryTypes.String, arrow.BinaryTypes.LargeString, arrow.BinaryTypes.StringView,
		arrow.BinaryTypes.Binary, arrow.BinaryTypes.LargeBinary, arrow.BinaryTypes.BinaryView,
		&arrow.FixedSizeBinaryType{ByteWidth: 16}, &arrow.FixedSizeBinaryType{ByteWidth: 3},
		arrow.FixedWidthTypes.Date32, arrow.FixedWidthTypes.Date64,
		arrow.FixedWidthTypes.Time32s, arrow.FixedWidthTypes.Time32ms, arrow.FixedWidthTypes.Time64us, arrow.FixedWidthTypes.Time64ns,
		arrow.FixedWidthTypes.Timestamp_s, &arrow.TimestampType{Unit: arrow.Microsecond}, &arrow.TimestampType{Unit: arrow.Nanosecond},
		&arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}, &arrow.TimestampType{Unit: arrow.Nanosecond, TimeZone: "Europe/Paris"},
		arrow.FixedWidthTypes.Duration_us, arrow.FixedWidthTypes.MonthInterval, arrow.FixedWidthTypes.DayTimeInterval, arrow.FixedWidthTypes.MonthDayNanoInterval,
		extensions.NewUUIDType(),
		&arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String},
		&arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int8, ValueType: arrow.PrimitiveTypes.Int64},
	}
}

// Nestings are the ways a leaf type is nested: itself, a list, large list and fixed-size
// list (2) of it, a struct of one field "a" of it, a map from strings to it.
var Nestings = []string{"flat", "list", "large_list", "fixed_size_list", "struct", "map"}

// Nest is leaf nested as Nestings[k] says.
func Nest(leaf arrow.DataType, k int) arrow.DataType {
	switch Nestings[k] {
	case "list":
		return arrow.ListOf(leaf)
	case "large_list":
		return arrow.LargeListOf(leaf)
	case "fixed_size_list":
		return arrow.FixedSizeListOf(2, leaf)
	case "struct":
		return arrow.StructOf(arrow.Field{Name: "a", Type: leaf, Nullable: true})
	case "map":
		return arrow.MapOf(arrow.BinaryTypes.String, leaf)
	}
	return leaf
}

// Array is n values of type dt, every fourth NULL, the rest varied (numbers, text that reads
// as numbers, dates or not at all, bytes), nested values each holding one value and one
// NULL. The caller releases it.
func Array(mem memory.Allocator, dt arrow.DataType, n int) arrow.Array {
	b := array.NewBuilder(mem, dt)
	defer b.Release()
	for i := 0; i < n; i++ {
		if i%4 == 3 {
			b.AppendNull()
			continue
		}
		appendOne(b, i)
	}
	return b.NewArray()
}

var texts = []string{"1", "abc", "2020-01-02", "-7", "true", "1.5", "99999999999"}

func appendOne(b array.Builder, i int) {
	switch bb := b.(type) {
	case *array.ListBuilder:
		bb.Append(true)
		appendOne(bb.ValueBuilder(), i)
		bb.ValueBuilder().AppendNull()
	case *array.LargeListBuilder:
		bb.Append(true)
		appendOne(bb.ValueBuilder(), i)
		bb.ValueBuilder().AppendNull()
	case *array.FixedSizeListBuilder:
		bb.Append(true)
		appendOne(bb.ValueBuilder(), i)
		bb.ValueBuilder().AppendNull()
	case *array.StructBuilder:
		bb.Append(true)
		for k := 0; k < bb.NumField(); k++ {
			appendOne(bb.FieldBuilder(k), i)
		}
	case *array.MapBuilder:
		bb.Append(true)
		bb.KeyBuilder().(*array.StringBuilder).Append("k" + strconv.Itoa(i))
		appendOne(bb.ItemBuilder(), i)
	case *array.NullBuilder:
		bb.AppendNull()
	case *array.BooleanBuilder:
		bb.Append(i%2 == 0)
	case *array.StringBuilder:
		bb.Append(texts[i%len(texts)])
	case *array.LargeStringBuilder:
		bb.Append(texts[i%len(texts)])
	case *array.StringViewBuilder:
		bb.Append(texts[i%len(texts)])
	case *array.BinaryBuilder:
		bb.Append([]byte{byte(i), 0xff, 'a'})
	case *array.BinaryViewBuilder:
		bb.Append([]byte{byte(i), 0xff, 'a'})
	case *array.FixedSizeBinaryBuilder:
		v := make([]byte, bb.Type().(*arrow.FixedSizeBinaryType).ByteWidth)
		v[0] = byte(i)
		bb.Append(v)
	case *extensions.UUIDBuilder:
		var u [16]byte
		u[15] = byte(i)
		bb.Append(u)
	case *array.BinaryDictionaryBuilder:
		if err := bb.AppendString(texts[i%2]); err != nil {
			panic(err)
		}
	case *array.Int64DictionaryBuilder:
		if err := bb.Append(int64(i)); err != nil {
			panic(err)
		}
	default:
		n := b.Len()
		if err := b.AppendValueFromString(strconv.Itoa(i*3 - 4)); err != nil && b.Len() == n {
			b.AppendEmptyValue()
		}
	}
}
