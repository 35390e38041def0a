package pgvalue

import (
	"bytes"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/types"
)

// TestAppendDirectMatchesWriter checks that AppendDirect writes every column Direct accepts
// as NewWriter's writer does, in both formats, and that Direct refuses the columns whose
// wire form depends on the field's SQL type (character(n), time, json, regclass).
func TestAppendDirectMatchesWriter(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	md := func(kv ...string) arrow.Metadata {
		return arrow.NewMetadata([]string{types.SQLTypeKey, types.SQLTypmodKey}, kv)
	}
	build := func(dt arrow.DataType, fill func(b array.Builder)) arrow.Array {
		b := array.NewBuilder(mem, dt)
		defer b.Release()
		fill(b)
		return b.NewArray()
	}
	ints := func(b array.Builder) {
		for _, v := range []int64{0, 1, -1, 32767, -32768, 123456} {
			switch b := b.(type) {
			case *array.Int64Builder:
				b.Append(v * 70001)
			case *array.Int32Builder:
				b.Append(int32(v * 3))
			case *array.Int16Builder:
				b.Append(int16(v))
			}
		}
	}
	strs := func(b array.Builder) {
		for _, v := range []string{"", "a", "héllo wörld", "with\ttab", "x  "} {
			switch b := b.(type) {
			case *array.StringBuilder:
				b.Append(v)
			case *array.LargeStringBuilder:
				b.Append(v)
			}
		}
	}
	cases := []struct {
		f      arrow.Field
		fill   func(array.Builder)
		direct bool
	}{
		{arrow.Field{Name: "i8", Type: arrow.PrimitiveTypes.Int64}, ints, true},
		{arrow.Field{Name: "i4", Type: arrow.PrimitiveTypes.Int32}, ints, true},
		{arrow.Field{Name: "i2", Type: arrow.PrimitiveTypes.Int16}, ints, true},
		{arrow.Field{Name: "b", Type: arrow.FixedWidthTypes.Boolean}, func(b array.Builder) {
			b.(*array.BooleanBuilder).AppendValues([]bool{true, false, true}, nil)
		}, true},
		{arrow.Field{Name: "s", Type: arrow.BinaryTypes.String}, strs, true},
		{arrow.Field{Name: "ls", Type: arrow.BinaryTypes.LargeString}, strs, true},
		{arrow.Field{Name: "vc", Type: arrow.BinaryTypes.String, Metadata: md("varchar", "9")}, strs, true},
		{arrow.Field{Name: "bpchar", Type: arrow.BinaryTypes.String, Metadata: md("bpchar", "9")}, strs, false},
		{arrow.Field{Name: "time", Type: arrow.PrimitiveTypes.Int64, Metadata: md("time", "6")}, ints, false},
		{arrow.Field{Name: "json", Type: arrow.BinaryTypes.String, Metadata: arrow.NewMetadata([]string{types.SQLTypeKey}, []string{"jsonb"})}, strs, false},
		{arrow.Field{Name: "reg", Type: arrow.PrimitiveTypes.Int64, Metadata: arrow.NewMetadata([]string{types.SQLTypeKey}, []string{"regclass"})}, ints, false},
		{arrow.Field{Name: "f8", Type: arrow.PrimitiveTypes.Float64}, func(b array.Builder) { b.(*array.Float64Builder).Append(1.5) }, false},
	}
	for _, c := range cases {
		arr := build(c.f.Type, c.fill)
		for _, format := range []int16{FormatText, FormatBinary} {
			if got := Direct(c.f, format); got != c.direct {
				t.Errorf("%s format %d: Direct %v, want %v", c.f.Name, format, got, c.direct)
				continue
			}
			if !c.direct {
				continue
			}
			w := NewWriter(c.f, arr, format, nil)
			for i := range arr.Len() {
				want := w(nil, i)
				if got := AppendDirect([]byte("prefix"), arr, i, format); !bytes.Equal(got[6:], want) || string(got[:6]) != "prefix" {
					t.Errorf("%s format %d row %d: AppendDirect %q, writer %q", c.f.Name, format, i, got, want)
				}
			}
		}
		arr.Release()
	}
	if Direct(arrow.Field{Name: "i8", Type: arrow.PrimitiveTypes.Int64}, 2) {
		t.Error("Direct accepted format code 2")
	}
}
