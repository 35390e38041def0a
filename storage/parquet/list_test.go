package parquet

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// listSchema has a list column of every flat element type, NULL lists, empty lists and NULL
// elements among their values, next to a flat key and a non-nullable list.
var listSchema = arrow.NewSchema([]arrow.Field{
	{Name: "key", Type: arrow.PrimitiveTypes.Int64},
	{Name: "b", Type: arrow.ListOf(arrow.FixedWidthTypes.Boolean), Nullable: true},
	{Name: "i16", Type: arrow.ListOf(arrow.PrimitiveTypes.Int16), Nullable: true},
	{Name: "i32", Type: arrow.ListOf(arrow.PrimitiveTypes.Int32), Nullable: true},
	{Name: "i64", Type: arrow.ListOf(arrow.PrimitiveTypes.Int64), Nullable: true},
	{Name: "f32", Type: arrow.ListOf(arrow.PrimitiveTypes.Float32), Nullable: true},
	{Name: "f64", Type: arrow.ListOf(arrow.PrimitiveTypes.Float64), Nullable: true},
	{Name: "d9", Type: arrow.ListOf(&arrow.Decimal128Type{Precision: 9, Scale: 2}), Nullable: true},
	{Name: "d18", Type: arrow.ListOf(&arrow.Decimal128Type{Precision: 18, Scale: 4}), Nullable: true},
	{Name: "d38", Type: arrow.ListOf(&arrow.Decimal128Type{Precision: 38, Scale: 9}), Nullable: true},
	{Name: "s", Type: arrow.ListOf(arrow.BinaryTypes.String), Nullable: true},
	{Name: "bin", Type: arrow.ListOf(arrow.BinaryTypes.Binary), Nullable: true},
	{Name: "date", Type: arrow.ListOf(arrow.FixedWidthTypes.Date32), Nullable: true},
	{Name: "ts", Type: arrow.ListOf(&arrow.TimestampType{Unit: arrow.Microsecond}), Nullable: true},
	{Name: "req", Type: arrow.ListOf(arrow.PrimitiveTypes.Int64)},
	{Name: "reqelem", Type: arrow.ListOfNonNullable(arrow.BinaryTypes.String), Nullable: true},
}, nil)

// genListBatch builds rows [start, start+n) of listSchema: row r's lists depend on r and the
// column only, with NULL lists, empty lists, NULL elements and up to 6 elements.
func genListBatch(mem memory.Allocator, schema *arrow.Schema, start, n int) arrow.RecordBatch {
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	for r := start; r < start+n; r++ {
		for i, f := range schema.Fields() {
			if i == 0 {
				b.Field(0).(*array.Int64Builder).Append(int64(r))
				continue
			}
			lb := b.Field(i).(*array.ListBuilder)
			h := r*31 + i*7
			switch {
			case f.Nullable && h%13 == 0:
				lb.AppendNull()
				continue
			case h%11 == 0:
				lb.AppendEmptyValue()
				continue
			}
			lb.Append(true)
			eb := lb.ValueBuilder()
			elemNullable := f.Type.(*arrow.ListType).ElemField().Nullable
			for k := 0; k < 1+h%6; k++ {
				v := int64(r*7+k*3) - 500
				if elemNullable && (h+k)%7 == 0 {
					eb.AppendNull()
					continue
				}
				switch eb := eb.(type) {
				case *array.BooleanBuilder:
					eb.Append(v%2 == 0)
				case *array.Int16Builder:
					eb.Append(int16(v))
				case *array.Int32Builder:
					eb.Append(int32(v * 1000))
				case *array.Int64Builder:
					eb.Append(v << 20)
				case *array.Float32Builder:
					eb.Append(float32(v) / 4)
				case *array.Float64Builder:
					eb.Append(float64(v) / 8)
				case *array.Decimal128Builder:
					eb.Append(decimal128.FromI64(v * 12345))
				case *array.StringBuilder:
					eb.Append(fmt.Sprintf("s%d", v%50))
				case *array.BinaryBuilder:
					eb.Append([]byte{byte(v), byte(v >> 8)})
				case *array.Date32Builder:
					eb.Append(arrow.Date32(v))
				case *array.TimestampBuilder:
					eb.Append(arrow.Timestamp(v * 1_000_003))
				}
			}
		}
	}
	return b.NewRecordBatch()
}

func writeLists(t *testing.T, mem memory.Allocator, props Properties, rows int) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := NewWriter(&buf, listSchema, props)
	if err != nil {
		t.Fatal(err)
	}
	for r := 0; r < rows; r += 700 {
		b := genListBatch(mem, listSchema, r, min(700, rows-r))
		if err := w.Write(b); err != nil {
			t.Fatal(err)
		}
		b.Release()
	}
	if _, err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// checkLists reads r to the end and checks its rows are rows [start, start+n) as
// genListBatch makes them.
func checkLists(t *testing.T, mem memory.Allocator, r *Reader, start, n int) {
	t.Helper()
	checkGenerated(t, mem, r, start, n, genListBatch)
}

// checkGenerated reads r to the end and checks its rows are rows [start, start+n) as gen
// makes them.
func checkGenerated(t *testing.T, mem memory.Allocator, r *Reader, start, n int, gen func(memory.Allocator, *arrow.Schema, int, int) arrow.RecordBatch) {
	t.Helper()
	got := forBatches(t, r, func(b arrow.RecordBatch, row int) bool {
		want := gen(mem, r.Schema(), start+row, int(b.NumRows()))
		defer want.Release()
		for i := range int(b.NumCols()) {
			g, w := b.Column(i), want.Column(i)
			for j := range g.Len() {
				if !array.SliceEqual(g, int64(j), int64(j+1), w, int64(j), int64(j+1)) {
					t.Errorf("column %s row %d: got %s, want %s", r.Schema().Field(i).Name, start+row+j, g.ValueStr(j), w.ValueStr(j))
					break
				}
			}
		}
		return !t.Failed()
	})
	if t.Failed() {
		return
	}
	if got != n {
		t.Fatalf("read %d rows, want %d", got, n)
	}
}

// TestListRoundTrip writes list columns of every element type and reads them back: whole,
// by row group, and by spans within row groups (skipping values with and without the page
// index), with and without dictionaries.
func TestListRoundTrip(t *testing.T) {
	for _, props := range []Properties{
		{RowGroupRows: 900, PageBytes: 1 << 10},
		{RowGroupRows: 2000, Dictionary: true, Compression: Snappy},
	} {
		t.Run(fmt.Sprintf("dict=%v", props.Dictionary), func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			const rows = 2500
			data := writeLists(t, mem, props, rows)
			for _, indexed := range []bool{false, true} {
				var opts []OpenOption
				if indexed {
					opts = append(opts, WithPageIndex())
				}
				f, err := Open(bytes.NewReader(data), int64(len(data)), opts...)
				if err != nil {
					t.Fatal(err)
				}
				if !f.Schema().Equal(listSchema) {
					t.Fatalf("schema\n%s\nwant\n%s", f.Schema(), listSchema)
				}
				for g, rg := range f.RowGroups() {
					for i := 1; i < len(rg.Columns); i++ {
						if st := rg.Columns[i]; st.HasMinMax || st.NullCount != 0 {
							t.Fatalf("row group %d list column %d has statistics %+v", g, i, st)
						}
					}
				}
				r, err := f.Read(context.Background(), ReadOptions{Alloc: mem, BatchRows: 333})
				if err != nil {
					t.Fatal(err)
				}
				checkLists(t, mem, r, 0, rows)
				r.Close()
				// A span in the second row group: values before it are skipped.
				lo := int64(117)
				r, err = f.Read(context.Background(), ReadOptions{Alloc: mem, BatchRows: 100, Spans: []Span{{Group: 1, Lo: lo, Hi: lo + 250}}})
				if err != nil {
					t.Fatal(err)
				}
				checkLists(t, mem, r, int(f.RowGroups()[0].Rows+lo), 250)
				r.Close()
			}
		})
	}
}

// TestListsReadByArrowGo reads list columns written here with arrow-go's reader.
func TestListsReadByArrowGo(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	const rows = 1800
	data := writeLists(t, mem, Properties{RowGroupRows: 700, Dictionary: true}, rows)
	tbl := readByArrowGo(t, data, 512)
	defer tbl.Release()
	want := genListBatch(mem, listSchema, 0, rows)
	defer want.Release()
	for i, f := range listSchema.Fields() {
		got := tbl.Schema().Field(i)
		if got.Name != f.Name || !arrow.TypeEqual(got.Type, f.Type) || got.Nullable != f.Nullable {
			t.Fatalf("field %d: %v, want %v", i, got, f)
		}
		col, err := array.Concatenate(tbl.Column(i).Data().Chunks(), mem)
		if err != nil {
			t.Fatal(err)
		}
		if !array.Equal(col, want.Column(i)) {
			t.Errorf("column %s differs", f.Name)
		}
		col.Release()
	}
}

// TestReadArrowGoLists reads list columns written by arrow-go, with and without the stored
// Arrow schema (then mapped from the LIST groups).
func TestReadArrowGoLists(t *testing.T) {
	for _, store := range []bool{true, false} {
		t.Run(fmt.Sprintf("store=%v", store), func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			// Without the stored schema, element fields come back named "element" and the
			// types Parquet maps: leave out int16 (stored as INT(16)) only if it maps back.
			schema := listSchema
			const rows = 1500
			var buf bytes.Buffer
			var aprops []pqarrow.WriterOption
			if store {
				aprops = append(aprops, pqarrow.WithStoreSchema())
			}
			w, err := pqarrow.NewFileWriter(schema, &buf, parquet.NewWriterProperties(
				parquet.WithDataPageSize(1<<10), parquet.WithMaxRowGroupLength(600)), pqarrow.NewArrowWriterProperties(aprops...))
			if err != nil {
				t.Fatal(err)
			}
			for r := 0; r < rows; r += 500 {
				b := genListBatch(mem, schema, r, 500)
				if err := w.Write(b); err != nil {
					t.Fatal(err)
				}
				b.Release()
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			f, err := Open(bytes.NewReader(buf.Bytes()), int64(buf.Len()), WithPageIndex())
			if err != nil {
				t.Fatal(err)
			}
			for i, fd := range schema.Fields() {
				got := f.Schema().Field(i)
				gt, wt := got.Type, fd.Type
				if lt, ok := wt.(*arrow.ListType); ok {
					glt, ok := gt.(*arrow.ListType)
					if !ok {
						t.Fatalf("field %s: %s, want a list", fd.Name, gt)
					}
					gt, wt = glt.Elem(), lt.Elem()
					if glt.ElemField().Nullable != lt.ElemField().Nullable {
						t.Fatalf("field %s: element nullable %v", fd.Name, glt.ElemField().Nullable)
					}
				}
				if got.Name != fd.Name || !arrow.TypeEqual(gt, wt) || got.Nullable != fd.Nullable {
					t.Fatalf("field %d: %v, want %v", i, got, fd)
				}
			}
			r, err := f.Read(context.Background(), ReadOptions{Alloc: mem, BatchRows: 400})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			checkLists(t, mem, r, 0, rows)
		})
	}
}
