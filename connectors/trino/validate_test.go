package trino

import (
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/connectors/trino/trinothrift"
)

// column builds an array of n rows of type dt; null(i) says which rows are NULL.
func column(mem memory.Allocator, dt arrow.DataType, n int, null func(int) bool) arrow.Array {
	b := array.NewBuilder(mem, dt)
	defer b.Release()
	for i := 0; i < n; i++ {
		if null(i) {
			b.AppendNull()
			continue
		}
		switch bb := b.(type) {
		case *array.BooleanBuilder:
			bb.Append(i%2 == 0)
		case *array.Int8Builder:
			bb.Append(int8(i))
		case *array.Int16Builder:
			bb.Append(int16(i * 100))
		case *array.Int32Builder:
			bb.Append(int32(-i * 1000))
		case *array.Uint8Builder:
			bb.Append(uint8(i))
		case *array.Uint16Builder:
			bb.Append(uint16(i))
		case *array.Uint32Builder:
			bb.Append(uint32(i) << 20)
		case *array.Int64Builder:
			bb.Append(int64(i) << 40)
		case *array.Uint64Builder:
			bb.Append(uint64(i) << 60)
		case *array.Float32Builder:
			bb.Append(float32(i) / 3)
		case *array.Float64Builder:
			bb.Append(float64(i) / 7)
		case *array.StringBuilder:
			bb.Append(fmt.Sprintf("s%d", i*i))
		case *array.LargeStringBuilder:
			bb.Append(fmt.Sprintf("l%d", i))
		case *array.BinaryBuilder:
			bb.Append([]byte{byte(i), 0xff})
		case *array.Date32Builder:
			bb.Append(arrow.Date32(i - 3))
		case *array.Date64Builder:
			bb.Append(arrow.Date64(int64(i-3) * 86_400_000))
		case *array.TimestampBuilder:
			bb.Append(arrow.Timestamp(int64(i-3)*1_000_500 + 7))
		case *array.Decimal128Builder:
			bb.Append(decimal128.FromI64(int64(i * 101)))
		case *array.ListBuilder:
			bb.Append(true)
			vb := bb.ValueBuilder().(*array.Int64Builder)
			for j := 0; j < i%4; j++ {
				if j == 1 {
					vb.AppendNull()
				} else {
					vb.Append(int64(i * j))
				}
			}
		default:
			panic(fmt.Sprintf("no values for %s", dt))
		}
	}
	return b.NewArray()
}

// TestValidatorOverEveryType builds blocks of every mapped Arrow type (and every Trino type
// the connector accepts) with no NULLs, some NULLs, only NULLs and no rows, and checks that
// the validator accepts them, and that it rejects each kind of broken block.
func TestValidatorOverEveryType(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	types := []arrow.DataType{
		arrow.FixedWidthTypes.Boolean, arrow.PrimitiveTypes.Int8, arrow.PrimitiveTypes.Int16, arrow.PrimitiveTypes.Int32,
		arrow.PrimitiveTypes.Uint8, arrow.PrimitiveTypes.Uint16, arrow.PrimitiveTypes.Uint32, arrow.PrimitiveTypes.Int64,
		arrow.PrimitiveTypes.Uint64, arrow.PrimitiveTypes.Float32, arrow.PrimitiveTypes.Float64, arrow.BinaryTypes.String,
		arrow.BinaryTypes.LargeString, arrow.BinaryTypes.Binary, arrow.FixedWidthTypes.Date32, arrow.FixedWidthTypes.Date64,
		&arrow.TimestampType{Unit: arrow.Microsecond}, &arrow.TimestampType{Unit: arrow.Nanosecond, TimeZone: "UTC"},
		&arrow.Decimal128Type{Precision: 10, Scale: 2}, arrow.ListOf(arrow.PrimitiveTypes.Int64),
	}
	nulls := map[string]func(int) bool{
		"none": func(int) bool { return false },
		"some": func(i int) bool { return i%3 == 1 },
		"all":  func(int) bool { return true },
	}
	seen := map[string]bool{}
	for _, dt := range types {
		for _, n := range []int{0, 1, 7} {
			for nname, null := range nulls {
				arr := column(mem, dt, n, null)
				f := arrow.Field{Name: "c", Type: dt, Nullable: true}
				bb := newBlockBuilder(f)
				for i := 0; i < n; i++ {
					bb.append(arr, i)
				}
				arr.Release()
				typ := kindOf(f).trinoType()
				seen[typ] = true
				page := &trinothrift.TrinoThriftPageResult_{ColumnBlocks: []*trinothrift.TrinoThriftBlock{bb.block()}, RowCount: int32(n)}
				if err := ValidatePage(page, []string{typ}); err != nil {
					t.Errorf("%s, %d rows, %s NULL: %v", dt, n, nname, err)
				}
				if nname == "all" && n > 0 && page.ColumnBlocks[0].String() == "" {
					t.Errorf("%s: an all-NULL block is empty", dt)
				}
				// Every block of an all-NULL column sends its null flags.
				if nname == "all" && n > 0 && !hasNulls(page.ColumnBlocks[0]) {
					t.Errorf("%s: an all-NULL block has no nulls", dt)
				}
				page.RowCount++
				if ValidatePage(page, []string{typ}) == nil {
					t.Errorf("%s, %d rows: a wrong rowCount passes", dt, n)
				}
			}
		}
	}
	// JSON blocks come from json columns (by PostgreSQL type); build one directly.
	jb := &blockBuilder{kind: kindJSON, field: arrow.Field{Name: "j", Type: arrow.BinaryTypes.String}}
	js := column(mem, arrow.BinaryTypes.String, 3, func(i int) bool { return i == 1 })
	for i := 0; i < 3; i++ {
		jb.append(js, i)
	}
	js.Release()
	if err := ValidatePage(&trinothrift.TrinoThriftPageResult_{ColumnBlocks: []*trinothrift.TrinoThriftBlock{jb.block()}, RowCount: 3}, []string{"json"}); err != nil {
		t.Errorf("json: %v", err)
	}
	seen["json"] = true
	hll := &trinothrift.TrinoThriftBlock{HyperLogLogData: &trinothrift.TrinoThriftHyperLogLog{Nulls: []bool{false, true}, Sizes: []int32{3, 0}, Bytes: []byte{1, 2, 3}}}
	if err := ValidatePage(&trinothrift.TrinoThriftPageResult_{ColumnBlocks: []*trinothrift.TrinoThriftBlock{hll}, RowCount: 2}, []string{"HyperLogLog"}); err != nil {
		t.Errorf("HyperLogLog: %v", err)
	}
	seen["HyperLogLog"] = true
	for _, typ := range []string{"integer", "bigint", "double", "varchar", "boolean", "date", "timestamp(3)", "json", "HyperLogLog", "array(bigint)"} {
		if !seen[typ] {
			t.Errorf("type %s not validated", typ)
		}
	}

	i32 := func(v ...int32) []int32 { return v }
	bad := []struct {
		name string
		typ  string
		blk  *trinothrift.TrinoThriftBlock
		rows int32
	}{
		{"no field set", "bigint", &trinothrift.TrinoThriftBlock{}, 0},
		{"two fields set", "bigint", &trinothrift.TrinoThriftBlock{BigintData: &trinothrift.TrinoThriftBigint{Longs: []int64{1}}, IntegerData: &trinothrift.TrinoThriftInteger{Ints: i32(1)}}, 1},
		{"another type's field", "bigint", &trinothrift.TrinoThriftBlock{IntegerData: &trinothrift.TrinoThriftInteger{Ints: i32(1)}}, 1},
		{"values and nulls differ", "integer", &trinothrift.TrinoThriftBlock{IntegerData: &trinothrift.TrinoThriftInteger{Nulls: []bool{false, true}, Ints: i32(1)}}, 2},
		{"sizes do not sum to the bytes", "varchar", &trinothrift.TrinoThriftBlock{VarcharData: &trinothrift.TrinoThriftVarchar{Sizes: i32(1, 2), Bytes: []byte("ab")}}, 2},
		{"negative size", "varchar", &trinothrift.TrinoThriftBlock{VarcharData: &trinothrift.TrinoThriftVarchar{Sizes: i32(3, -1), Bytes: []byte("ab")}}, 2},
		{"NULL with a size", "varchar", &trinothrift.TrinoThriftBlock{VarcharData: &trinothrift.TrinoThriftVarchar{Nulls: []bool{true}, Sizes: i32(2), Bytes: []byte("ab")}}, 1},
		{"array sizes over the elements", "array(bigint)", &trinothrift.TrinoThriftBlock{BigintArrayData: &trinothrift.TrinoThriftBigintArray{Sizes: i32(2, 2), Values: &trinothrift.TrinoThriftBigint{Longs: []int64{1, 2, 3}}}}, 2},
		{"unknown type", "real", &trinothrift.TrinoThriftBlock{DoubleData: &trinothrift.TrinoThriftDouble{Doubles: []float64{1}}}, 1},
	}
	for _, c := range bad {
		if err := ValidatePage(&trinothrift.TrinoThriftPageResult_{ColumnBlocks: []*trinothrift.TrinoThriftBlock{c.blk}, RowCount: c.rows}, []string{c.typ}); err == nil {
			t.Errorf("%s: the validator accepts it", c.name)
		}
	}
	if ValidatePage(&trinothrift.TrinoThriftPageResult_{RowCount: 1}, []string{"bigint"}) == nil {
		t.Error("a page with a missing block passes")
	}
}

func hasNulls(b *trinothrift.TrinoThriftBlock) bool {
	switch {
	case b.IntegerData != nil:
		return b.IntegerData.Nulls != nil
	case b.BigintData != nil:
		return b.BigintData.Nulls != nil
	case b.DoubleData != nil:
		return b.DoubleData.Nulls != nil
	case b.VarcharData != nil:
		return b.VarcharData.Nulls != nil
	case b.BooleanData != nil:
		return b.BooleanData.Nulls != nil
	case b.DateData != nil:
		return b.DateData.Nulls != nil
	case b.TimestampData != nil:
		return b.TimestampData.Nulls != nil
	case b.JsonData != nil:
		return b.JsonData.Nulls != nil
	case b.BigintArrayData != nil:
		return b.BigintArrayData.Nulls != nil
	}
	return false
}

// TestBlockValues checks values of the types a table cannot hold yet (lists, unsigned
// integers, date64, nanosecond timestamps) as they are written into blocks.
func TestBlockValues(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	cases := []struct {
		dt   arrow.DataType
		want []any
	}{
		{arrow.ListOf(arrow.PrimitiveTypes.Int64), []any{[]any{}, []any{int64(0)}, []any{int64(0), nil}}},
		{arrow.PrimitiveTypes.Uint32, []any{int64(0), int64(1 << 20), int64(2 << 20)}},
		{arrow.PrimitiveTypes.Uint64, []any{"0", "1152921504606846976", "2305843009213693952"}},
		{arrow.FixedWidthTypes.Date64, []any{int32(-3), int32(-2), int32(-1)}},
		{&arrow.TimestampType{Unit: arrow.Microsecond}, []any{int64(-3002), int64(-2001), int64(-1001)}},
		{&arrow.TimestampType{Unit: arrow.Nanosecond}, []any{int64(-4), int64(-3), int64(-2)}},
		{&arrow.Decimal128Type{Precision: 10, Scale: 2}, []any{"0.00", "1.01", "2.02"}},
		{arrow.BinaryTypes.Binary, []any{`\x00ff`, `\x01ff`, `\x02ff`}},
	}
	for _, c := range cases {
		arr := column(mem, c.dt, 3, func(int) bool { return false })
		bb := newBlockBuilder(arrow.Field{Name: "c", Type: c.dt})
		for i := 0; i < 3; i++ {
			bb.append(arr, i)
		}
		arr.Release()
		blk := bb.block()
		for i, w := range c.want {
			if got := cell(blk, i); fmt.Sprint(got) != fmt.Sprint(w) {
				t.Errorf("%s row %d: %v (%T), want %v", c.dt, i, got, got, w)
			}
		}
	}
}
