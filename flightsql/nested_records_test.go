package flightsql

import (
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// TestReadNestedRecordsAndLists reads columns of nested shapes (a record holding an array
// and a record, an array of records holding arrays) of a table made from a Parquet file of
// arrow-go's, through the table's own data files, with arrow-go's Flight SQL client and with
// ADBC: Arrow structs with list and struct children and lists of structs, every NULL and
// empty list unchanged.
func TestReadNestedRecordsAndLists(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx := testCtx(t)
	inner := arrow.StructOf(
		arrow.Field{Name: "a", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
		arrow.Field{Name: "tags", Type: arrow.ListOf(arrow.BinaryTypes.String), Nullable: true},
	)
	sc := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "s", Type: arrow.StructOf(
			arrow.Field{Name: "xs", Type: arrow.ListOf(arrow.PrimitiveTypes.Int64), Nullable: true},
			arrow.Field{Name: "in", Type: inner, Nullable: true},
		), Nullable: true},
		{Name: "l", Type: arrow.ListOf(inner), Nullable: true},
	}, nil)
	const rows = 2000
	b := array.NewRecordBuilder(mem, sc)
	sb, lb := b.Field(1).(*array.StructBuilder), b.Field(2).(*array.ListBuilder)
	appendInner := func(ib *array.StructBuilder, i int) {
		if i%11 == 0 {
			ib.AppendNull()
			return
		}
		ib.Append(true)
		ib.FieldBuilder(0).(*array.Int32Builder).Append(int32(i))
		tb := ib.FieldBuilder(1).(*array.ListBuilder)
		if i%4 == 0 {
			tb.AppendNull()
			return
		}
		tb.Append(true)
		for k := range i % 3 {
			if (i+k)%5 == 0 {
				tb.ValueBuilder().AppendNull()
			} else {
				tb.ValueBuilder().(*array.StringBuilder).Append(fmt.Sprintf("t%d", k))
			}
		}
	}
	for i := range rows {
		b.Field(0).(*array.Int64Builder).Append(int64(i))
		if i%7 == 0 {
			sb.AppendNull()
			lb.AppendNull()
			continue
		}
		sb.Append(true)
		xb := sb.FieldBuilder(0).(*array.ListBuilder)
		if i%9 == 1 {
			xb.AppendNull()
		} else {
			xb.Append(true)
			for k := range i % 4 {
				xb.ValueBuilder().(*array.Int64Builder).Append(int64(i * k))
			}
		}
		appendInner(sb.FieldBuilder(1).(*array.StructBuilder), i)
		lb.Append(true)
		for k := range i % 3 {
			appendInner(lb.ValueBuilder().(*array.StructBuilder), i+k)
		}
	}
	src := b.NewRecordBatch()
	b.Release()
	defer src.Release()
	file := writeParquet(t, src, "nested.parquet", 700)

	srv := serve(t, Config{Engine: openEngine(t, mem), Alloc: mem})
	cl := client(t, srv)
	if _, err := cl.ExecuteUpdate(ctx, fmt.Sprintf("CREATE TABLE nest WITH (row_keys = 'id') AS SELECT * FROM read_parquet('%s')", file)); err != nil {
		t.Fatal(err)
	}
	const q = "SELECT id, s, l FROM nest ORDER BY id"
	checkReadBack(ctx, t, srv, cl, mem, q, src, sameType, "")
}
