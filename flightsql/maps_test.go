package flightsql

import (
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// TestReadMapsInComposites reads a table made from a Parquet file of arrow-go's whose struct
// holds a map, with a list of maps and maps of lists and of structs, with arrow-go's Flight
// SQL client and with ADBC, before and after compacting it: the Arrow maps themselves, inside
// the struct and the list and holding the lists and structs, with their NULLs, unchanged.
func TestReadMapsInComposites(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx := testCtx(t)
	mapT := arrow.MapOf(arrow.BinaryTypes.String, arrow.PrimitiveTypes.Int64)
	sc := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "s", Type: arrow.StructOf(
			arrow.Field{Name: "a", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
			arrow.Field{Name: "m", Type: mapT, Nullable: true},
		), Nullable: true},
		{Name: "lm", Type: arrow.ListOf(mapT), Nullable: true},
		{Name: "ml", Type: arrow.MapOf(arrow.BinaryTypes.String, arrow.ListOf(arrow.PrimitiveTypes.Int64)), Nullable: true},
		{Name: "ms", Type: arrow.MapOf(arrow.BinaryTypes.String, arrow.StructOf(
			arrow.Field{Name: "x", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
			arrow.Field{Name: "y", Type: arrow.BinaryTypes.String, Nullable: true})), Nullable: true},
	}, nil)
	b := array.NewRecordBuilder(memory.NewGoAllocator(), sc)
	sb, lb := b.Field(1).(*array.StructBuilder), b.Field(2).(*array.ListBuilder)
	mlb, msb := b.Field(3).(*array.MapBuilder), b.Field(4).(*array.MapBuilder)
	for k := range 300 {
		b.Field(0).(*array.Int64Builder).Append(int64(k))
		if k%7 == 1 {
			sb.AppendNull()
			lb.AppendNull()
			mlb.AppendNull()
			msb.AppendNull()
			continue
		}
		sb.Append(true)
		sb.FieldBuilder(0).(*array.Int32Builder).Append(int32(k))
		mb := sb.FieldBuilder(1).(*array.MapBuilder)
		if k%7 == 2 {
			mb.AppendNull()
		} else {
			mb.Append(true)
			mb.KeyBuilder().(*array.StringBuilder).AppendValues([]string{"z", "a"}, nil)
			mb.ItemBuilder().(*array.Int64Builder).AppendValues([]int64{int64(k), 7}, []bool{true, k%7 != 3})
		}
		lb.Append(true)
		em := lb.ValueBuilder().(*array.MapBuilder)
		em.Append(true)
		em.KeyBuilder().(*array.StringBuilder).Append("p")
		em.ItemBuilder().(*array.Int64Builder).Append(int64(k))
		em.AppendNull()
		mlb.Append(true)
		mlb.KeyBuilder().(*array.StringBuilder).AppendValues([]string{"xs", "n"}, nil)
		il := mlb.ItemBuilder().(*array.ListBuilder)
		il.Append(true)
		il.ValueBuilder().(*array.Int64Builder).AppendValues([]int64{1, int64(k)}, []bool{true, k%7 != 4})
		il.AppendNull()
		msb.Append(true)
		msb.KeyBuilder().(*array.StringBuilder).Append("r")
		is := msb.ItemBuilder().(*array.StructBuilder)
		is.Append(true)
		is.FieldBuilder(0).(*array.Int64Builder).Append(int64(k * 10))
		is.FieldBuilder(1).AppendNull()
	}
	src := b.NewRecordBatch()
	b.Release()
	defer src.Release()
	file := writeParquet(t, src, "maps.parquet", 70)

	srv := serve(t, Config{Engine: openEngine(t, mem), Alloc: mem})
	cl := client(t, srv)
	if _, err := cl.ExecuteUpdate(ctx, fmt.Sprintf("CREATE TABLE mc WITH (row_keys = 'id', split_threshold = 100, gc_delay = '0s') AS SELECT * FROM read_parquet('%s')", file)); err != nil {
		t.Fatal(err)
	}
	const q = "SELECT id, s, lm, ml, ms FROM mc ORDER BY id"
	checkReadBack(ctx, t, srv, cl, mem, q, src, sameTypeText, "as loaded")
	execAll(ctx, t, cl, "VACUUM mc", "VACUUM mc", "VACUUM FULL mc")
	checkReadBack(ctx, t, srv, cl, mem, q, src, sameTypeText, "after splitting and compaction")
}
