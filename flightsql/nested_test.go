package flightsql

import (
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// TestIngestAndReadArrays creates a table by Flight SQL ingest (CommandStatementIngest) from
// an Arrow schema with list columns, then reads them back as Arrow lists, with arrow-go's
// Flight SQL client and with ADBC: NULL lists, empty lists and NULL elements unchanged.
func TestIngestAndReadArrays(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx := testCtx(t)
	sc := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "tags", Type: arrow.ListOf(arrow.BinaryTypes.String), Nullable: true},
		{Name: "nums", Type: arrow.ListOf(arrow.PrimitiveTypes.Int64), Nullable: true},
		{Name: "days", Type: arrow.ListOf(arrow.FixedWidthTypes.Date32), Nullable: true},
		{Name: "fs", Type: arrow.ListOf(arrow.PrimitiveTypes.Float64), Nullable: true},
	}, nil)
	const rows = 3000
	build := func() arrow.RecordBatch {
		b := array.NewRecordBuilder(mem, sc)
		defer b.Release()
		for i := range rows {
			b.Field(0).(*array.Int64Builder).Append(int64(i))
			for c := 1; c < 5; c++ {
				lb := b.Field(c).(*array.ListBuilder)
				switch (i + c) % 5 {
				case 0:
					lb.AppendNull()
					continue
				case 1:
					lb.AppendEmptyValue()
					continue
				}
				lb.Append(true)
				for k := range (i+c)%4 + 1 {
					if (i+k)%6 == 0 {
						lb.ValueBuilder().AppendNull()
						continue
					}
					switch vb := lb.ValueBuilder().(type) {
					case *array.StringBuilder:
						vb.Append(fmt.Sprintf("t%d,{%d}", i, k))
					case *array.Int64Builder:
						vb.Append(int64(i*10 + k))
					case *array.Date32Builder:
						vb.Append(arrow.Date32(i + k))
					case *array.Float64Builder:
						vb.Append(float64(i) / float64(k+1))
					}
				}
			}
		}
		return b.NewRecordBatch()
	}
	srv := serve(t, Config{Engine: openEngine(t, mem), Alloc: mem})
	cl := client(t, srv)
	src := build()
	rdr, err := array.NewRecordReader(sc, []arrow.RecordBatch{src})
	if err != nil {
		t.Fatal(err)
	}
	n, err := cl.ExecuteIngest(ctx, rdr, &flightsqlIngestOpts{
		TableDefinitionOptions: createOpts(),
		Table:                  "nested",
		Options:                map[string]string{OptionRowKeys: "id"},
	})
	rdr.Release()
	if err != nil || n != rows {
		src.Release()
		t.Fatalf("ingest: n=%d err=%v, want %d", n, err, rows)
	}
	defer src.Release()

	got := fetch(ctx, t, cl, mem, "SELECT id, tags, nums, days, fs FROM nested ORDER BY id")
	defer releaseAll(got)
	for i, f := range got[0].Schema().Fields() {
		if !arrow.TypeEqual(f.Type, sc.Field(i).Type) {
			t.Fatalf("column %s: %s, want %s", f.Name, f.Type, sc.Field(i).Type)
		}
	}
	if !sameRows(t, got, []arrow.RecordBatch{src}) {
		t.Error("Flight SQL: rows read back differ from the rows ingested")
	}

	cnx := adbcConn(t, srv, mem, nil)
	viaADBC := adbcFetch(ctx, t, cnx, "SELECT id, tags, nums, days, fs FROM nested ORDER BY id")
	defer releaseAll(viaADBC)
	if !sameRows(t, viaADBC, []arrow.RecordBatch{src}) {
		t.Error("ADBC: rows read back differ from the rows ingested")
	}
}
