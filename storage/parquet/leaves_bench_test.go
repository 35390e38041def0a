package parquet

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/types"
)

// leafBenchFile is a file written here of one column of type t, 1M rows (every tenth list
// or struct NULL, lists of 0 to 4 elements, every thirteenth element NULL), in row groups
// of 250000 rows.
func leafBenchFile(b *testing.B, t arrow.DataType) []byte {
	mem := memory.NewGoAllocator()
	schema := arrow.NewSchema([]arrow.Field{{Name: "c", Type: t, Nullable: true}}, nil)
	rb := array.NewRecordBuilder(mem, schema)
	defer rb.Release()
	var fill func(bl array.Builder, r int)
	fill = func(bl array.Builder, r int) {
		if _, nested := bl.(*array.ListBuilder); !nested && r%13 == 5 {
			if _, nested := bl.(*array.StructBuilder); !nested {
				bl.AppendNull()
				return
			}
		}
		switch x := bl.(type) {
		case *array.BooleanBuilder:
			x.Append(r%3 == 0)
		case *array.Int8Builder:
			x.Append(int8(r))
		case *array.Int16Builder:
			x.Append(int16(r * 7))
		case *array.Decimal128Builder:
			v := decimal128.FromI64(int64(r) * 7919)
			if x.Type().(*arrow.Decimal128Type).Precision > 18 {
				v = v.Mul(decimal128.FromI64(1_000_000_007_000_000))
			}
			x.Append(v)
		case *array.MonthDayNanoIntervalBuilder:
			x.Append(arrow.MonthDayNanoInterval{Months: int32(r % 24), Days: int32(r % 31), Nanoseconds: int64(r) * 1_000_003})
		case *array.BinaryBuilder:
			var u [uuidBytes]byte
			for k := range u {
				u[k] = byte(r >> (k % 4 * 8))
			}
			x.Append(u[:])
		case *array.ListBuilder:
			if r%10 == 9 {
				x.AppendNull()
				return
			}
			x.Append(true)
			for k := range r % 5 {
				fill(x.ValueBuilder(), r*5+k)
			}
		case *array.StructBuilder:
			if r%10 == 9 {
				x.AppendNull()
				return
			}
			x.Append(true)
			for k := range x.NumField() {
				fill(x.FieldBuilder(k), r+k)
			}
		default:
			b.Fatalf("no values of %T", bl)
		}
	}
	for r := range nestedBenchRows {
		fill(rb.Field(0), r)
	}
	batch := rb.NewRecordBatch()
	defer batch.Release()
	return writeBatch(b, schema, Properties{RowGroupRows: 250_000}, batch)
}

// BenchmarkConvertedLeavesRead reads a file of 1M rows of lists of booleans, int8, int16,
// decimals (INT32, INT64 and FIXED_LEN_BYTE_ARRAY), intervals, and of structs of a uuid and
// a list of uuids, with this package's reader and with arrow-go's pqarrow (the peer), each
// in batches of 65536 rows.
func BenchmarkConvertedLeavesRead(b *testing.B) {
	uuid := arrow.Field{Name: "u", Type: arrow.BinaryTypes.Binary, Nullable: true, Metadata: arrow.NewMetadata([]string{types.SQLTypeKey}, []string{"uuid"})}
	uuidElem := uuid
	uuidElem.Name = "element"
	shapes := []struct {
		name string
		t    arrow.DataType
	}{
		{"list_bool", arrow.ListOf(arrow.FixedWidthTypes.Boolean)},
		{"list_int8", arrow.ListOf(arrow.PrimitiveTypes.Int8)},
		{"list_int16", arrow.ListOf(arrow.PrimitiveTypes.Int16)},
		{"list_decimal9", arrow.ListOf(&arrow.Decimal128Type{Precision: 9, Scale: 2})},
		{"list_decimal18", arrow.ListOf(&arrow.Decimal128Type{Precision: 18, Scale: 2})},
		{"list_decimal38", arrow.ListOf(&arrow.Decimal128Type{Precision: 38, Scale: 2})},
		{"list_interval", arrow.ListOf(arrow.FixedWidthTypes.MonthDayNanoInterval)},
		{"struct_uuid", arrow.StructOf(uuid, arrow.Field{Name: "l", Type: arrow.ListOfField(uuidElem), Nullable: true})},
	}
	for _, sh := range shapes {
		benchReadBoth(b, sh.name, leafBenchFile(b, sh.t))
	}
}
