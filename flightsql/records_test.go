package flightsql

import (
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// TestReadRecordsAndMaps reads record and map columns of a table made from a Parquet file of
// arrow-go's (CREATE TABLE ... AS SELECT * FROM read_parquet) with arrow-go's Flight SQL
// client and with ADBC: Arrow structs and maps, NULL records, NULL fields, NULL and empty
// maps and NULL map values unchanged.
func TestReadRecordsAndMaps(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx := testCtx(t)
	sc := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "s", Type: arrow.StructOf(
			arrow.Field{Name: "a", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
			arrow.Field{Name: "b", Type: arrow.BinaryTypes.String, Nullable: true},
		), Nullable: true},
		{Name: "m", Type: arrow.MapOf(arrow.BinaryTypes.String, arrow.PrimitiveTypes.Float64), Nullable: true},
	}, nil)
	const rows = 2000
	b := array.NewRecordBuilder(mem, sc)
	sb, mb := b.Field(1).(*array.StructBuilder), b.Field(2).(*array.MapBuilder)
	for i := range rows {
		b.Field(0).(*array.Int64Builder).Append(int64(i))
		switch i % 7 {
		case 0:
			sb.AppendNull()
			mb.AppendNull()
			continue
		case 1:
			sb.Append(true)
			sb.FieldBuilder(0).AppendNull()
			sb.FieldBuilder(1).AppendNull()
			mb.Append(true)
			continue
		}
		sb.Append(true)
		sb.FieldBuilder(0).(*array.Int32Builder).Append(int32(i))
		sb.FieldBuilder(1).(*array.StringBuilder).Append(fmt.Sprintf("r%d", i))
		mb.Append(true)
		for k := range i%3 + 1 {
			mb.KeyBuilder().(*array.StringBuilder).Append(fmt.Sprintf("k%d", k))
			if (i+k)%5 == 0 {
				mb.ItemBuilder().AppendNull()
			} else {
				mb.ItemBuilder().(*array.Float64Builder).Append(float64(i) / float64(k+1))
			}
		}
	}
	src := b.NewRecordBatch()
	b.Release()
	defer src.Release()
	file := writeParquet(t, src, "records.parquet", 700)

	srv := serve(t, Config{Engine: openEngine(t, mem), Alloc: mem})
	cl := client(t, srv)
	if _, err := cl.ExecuteUpdate(ctx, fmt.Sprintf("CREATE TABLE rec WITH (row_keys = 'id') AS SELECT * FROM read_parquet('%s')", file)); err != nil {
		t.Fatal(err)
	}
	const q = "SELECT id, s, m FROM rec ORDER BY id"
	checkReadBack(ctx, t, srv, cl, mem, q, src, sameTypeText, "")
}
