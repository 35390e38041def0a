package parquet

import (
	"bytes"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	arrowschema "github.com/apache/arrow-go/v18/parquet/schema"

	"github.com/sleeperd/sleeperd/types"
)

// TestLogicalStructFields writes a column of a record type whose fields are of time, uuid
// and character(3), in the storage tables keep it in (types.Storage: int64, binary and
// string children naming their SQL types in metadata): the time and uuid leaves carry
// Parquet's TIME(MICROS) and UUID logical types, as flat columns of them do, and the column
// reads back here with the same values and NULLs.
func TestLogicalStructFields(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rt := types.Storage(arrow.StructOf(
		arrow.Field{Name: "t", Type: types.TimeType, Nullable: true},
		arrow.Field{Name: "u", Type: types.UUIDType, Nullable: true},
		arrow.Field{Name: "c", Type: types.Bpchar(3), Nullable: true},
	)).(*arrow.StructType)
	for k, id := range []arrow.Type{arrow.INT64, arrow.BINARY, arrow.STRING} {
		if rt.Field(k).Type.ID() != id || rt.Field(k).Type != types.Storage(rt.Field(k).Type) {
			t.Fatalf("stored field %d: %s", k, rt.Field(k).Type)
		}
	}
	schema := arrow.NewSchema([]arrow.Field{{Name: "k", Type: arrow.PrimitiveTypes.Int64}, {Name: "r", Type: rt, Nullable: true}}, nil)
	const rows = 1000
	b := array.NewRecordBuilder(mem, schema)
	sb := b.Field(1).(*array.StructBuilder)
	for r := range rows {
		b.Field(0).(*array.Int64Builder).Append(int64(r))
		if r%7 == 3 {
			sb.AppendNull()
			continue
		}
		sb.Append(true)
		if r%5 == 1 {
			for k := range 3 {
				sb.FieldBuilder(k).AppendNull()
			}
			continue
		}
		sb.FieldBuilder(0).(*array.Int64Builder).Append(int64(r) * 1_000_003 % types.MicrosPerDay)
		u := make([]byte, 16)
		for i := range u {
			u[i] = byte(r*31 + i)
		}
		sb.FieldBuilder(1).(*array.BinaryBuilder).Append(u)
		sb.FieldBuilder(2).(*array.StringBuilder).Append(string(rune('a' + r%26)))
	}
	want := b.NewRecordBatch()
	b.Release()
	defer want.Release()
	data := writeBatch(t, schema, Properties{RowGroupRows: 300, PageBytes: 1 << 10}, want)

	pf, err := file.NewParquetReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	ps := pf.MetaData().Schema
	if lt := ps.Column(1).LogicalType(); !lt.Equals(arrowschema.NewTimeLogicalType(false, arrowschema.TimeUnitMicros)) {
		t.Errorf("r.t: logical type %s", lt)
	}
	if lt := ps.Column(2).LogicalType(); !lt.Equals(arrowschema.UUIDLogicalType{}) || ps.Column(2).TypeLength() != 16 {
		t.Errorf("r.u: logical type %s, length %d", lt, ps.Column(2).TypeLength())
	}
	pf.Close()

	r := openRead(t, data, ReadOptions{Alloc: mem, BatchRows: 128})
	defer r.Close()
	read := forBatches(t, r, func(got arrow.RecordBatch, row int) bool {
		n := int(got.NumRows())
		ws := array.NewSlice(want.Column(1), int64(row), int64(row+n))
		if !array.Equal(got.Column(1), ws) {
			t.Errorf("rows %d..%d: %s, want %s", row, row+n, got.Column(1), ws)
		}
		ws.Release()
		return true
	})
	if read != rows {
		t.Errorf("read %d rows, want %d", read, rows)
	}
}
