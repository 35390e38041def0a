package parquet

import (
	"bytes"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	arrowschema "github.com/apache/arrow-go/v18/parquet/schema"

	"github.com/sleeperd/sleeperd/types"
)

// TestTimeTZColumn writes a timetz column (packed int64s named timetz by their metadata):
// Parquet has no logical type that keeps an offset, so the leaf is a plain INT64 of the
// packed values, which this reader reads back as they were and arrow-go reads as int64.
func TestTimeTZColumn(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "k", Type: arrow.PrimitiveTypes.Int64},
		{Name: "tz", Type: arrow.PrimitiveTypes.Int64, Nullable: true, Metadata: arrow.NewMetadata([]string{types.SQLTypeKey, types.SQLTypmodKey}, []string{"timetz", "-1"})},
	}, nil)
	const rows = 500
	build := func() arrow.RecordBatch {
		b := array.NewRecordBuilder(mem, schema)
		defer b.Release()
		for r := range rows {
			b.Field(0).(*array.Int64Builder).Append(int64(r))
			if r%9 == 4 {
				b.Field(1).AppendNull()
				continue
			}
			zone := int32(r*397%(2*types.TZDispLimit+1)) - types.TZDispLimit
			b.Field(1).(*array.Int64Builder).Append(types.PackTimeTZ(int64(r)*172_800_347%types.MicrosPerDay, zone))
		}
		return b.NewRecordBatch()
	}
	want := build()
	defer want.Release()
	data := writeBatch(t, schema, Properties{RowGroupRows: 200}, want)

	pf, err := file.NewParquetReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer pf.Close()
	// Other tools see a signed 64-bit integer.
	if c := pf.MetaData().Schema.Column(1); c.PhysicalType() != parquet.Types.Int64 || !c.LogicalType().Equals(arrowschema.NewIntLogicalType(64, true)) && !c.LogicalType().IsNone() {
		t.Errorf("timetz leaf is %s, logical type %s", c.PhysicalType(), c.LogicalType())
	}

	r := openRead(t, data, ReadOptions{Alloc: mem, BatchRows: 128})
	compareLogical(t, r, want)
	r.Close()

	tbl := readByArrowGo(t, data, 0)
	defer tbl.Release()
	col, err := array.Concatenate(tbl.Column(1).Data().Chunks(), mem)
	if err != nil {
		t.Fatal(err)
	}
	defer col.Release()
	if !array.Equal(col, want.Column(1)) {
		t.Errorf("arrow-go reads %s %v, want the packed int64s", col.DataType(), col)
	}
}
