package parquet

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

var innerType = arrow.StructOf(
	arrow.Field{Name: "x", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	arrow.Field{Name: "y", Type: arrow.FixedWidthTypes.Date32, Nullable: true},
)

// nestedSchema has struct and map columns between flat and list columns, so every kind of
// column follows a column of several leaves. With interval, a struct field holds intervals
// (which arrow-go's writer does not take).
func nestedSchema(interval bool) *arrow.Schema {
	st := []arrow.Field{
		{Name: "a", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "b", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "d", Type: &arrow.Decimal128Type{Precision: 20, Scale: 2}, Nullable: true},
		{Name: "inner", Type: innerType, Nullable: true},
		{Name: "ok", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
	}
	if interval {
		st = append(st, arrow.Field{Name: "iv", Type: arrow.FixedWidthTypes.MonthDayNanoInterval, Nullable: true})
	}
	req := arrow.MapOf(arrow.PrimitiveTypes.Int32, arrow.BinaryTypes.String)
	req.SetItemNullable(false)
	return arrow.NewSchema([]arrow.Field{
		{Name: "key", Type: arrow.PrimitiveTypes.Int64},
		{Name: "st", Type: arrow.StructOf(st...), Nullable: true},
		{Name: "v", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "m", Type: arrow.MapOf(arrow.BinaryTypes.String, arrow.PrimitiveTypes.Int64), Nullable: true},
		{Name: "reqst", Type: arrow.StructOf(arrow.Field{Name: "p", Type: arrow.PrimitiveTypes.Int32, Nullable: true}, arrow.Field{Name: "q", Type: arrow.BinaryTypes.String})},
		{Name: "l", Type: arrow.ListOf(arrow.PrimitiveTypes.Int64), Nullable: true},
		{Name: "reqmap", Type: req, Nullable: true},
	}, nil)
}

// genNestedBatch builds rows [start, start+n) of schema (a nestedSchema, or some of its
// columns by name): NULL records, records of NULL fields, NULL and empty maps and NULL map
// values, each a function of the row and the column.
func genNestedBatch(mem memory.Allocator, schema *arrow.Schema, start, n int) arrow.RecordBatch {
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	for r := start; r < start+n; r++ {
		for i, f := range schema.Fields() {
			fb := b.Field(i)
			h := r*31 + len(f.Name)*7
			switch f.Name {
			case "key":
				fb.(*array.Int64Builder).Append(int64(r))
			case "v":
				if r%5 == 0 {
					fb.AppendNull()
				} else {
					fb.(*array.Int64Builder).Append(int64(r) * 3)
				}
			case "st":
				sb := fb.(*array.StructBuilder)
				if h%9 == 0 {
					sb.AppendNull()
					continue
				}
				sb.Append(true)
				for k := range sb.NumField() {
					cb := sb.FieldBuilder(k)
					if (h+k)%4 == 0 {
						cb.AppendNull()
						continue
					}
					switch cb := cb.(type) {
					case *array.Int64Builder:
						cb.Append(int64(r) - 1000)
					case *array.StringBuilder:
						cb.Append(fmt.Sprintf("s %d,\"x\"", r%37))
					case *array.Decimal128Builder:
						cb.Append(decimal128.FromI64(int64(r)*12345 - 99999))
					case *array.BooleanBuilder:
						cb.Append(r%3 == 0)
					case *array.MonthDayNanoIntervalBuilder:
						cb.Append(arrow.MonthDayNanoInterval{Months: int32(r % 13), Days: -int32(r % 7), Nanoseconds: int64(r) * 1000})
					case *array.StructBuilder:
						if h%5 == 0 {
							cb.AppendNull()
							continue
						}
						cb.Append(true)
						if r%3 == 0 {
							cb.FieldBuilder(0).AppendNull()
						} else {
							cb.FieldBuilder(0).(*array.Float64Builder).Append(float64(r) / 8)
						}
						cb.FieldBuilder(1).(*array.Date32Builder).Append(arrow.Date32(r))
					}
				}
			case "reqst":
				sb := fb.(*array.StructBuilder)
				sb.Append(true)
				if r%4 == 1 {
					sb.FieldBuilder(0).AppendNull()
				} else {
					sb.FieldBuilder(0).(*array.Int32Builder).Append(int32(r))
				}
				sb.FieldBuilder(1).(*array.StringBuilder).Append(fmt.Sprint(r % 11))
			case "l":
				lb := fb.(*array.ListBuilder)
				if h%7 == 0 {
					lb.AppendNull()
					continue
				}
				lb.Append(true)
				for k := range h % 4 {
					lb.ValueBuilder().(*array.Int64Builder).Append(int64(r + k))
				}
			case "m", "reqmap":
				mb := fb.(*array.MapBuilder)
				switch {
				case h%8 == 0:
					mb.AppendNull()
					continue
				case h%6 == 0:
					mb.Append(true) // empty
					continue
				}
				mb.Append(true)
				for k := range 1 + h%4 {
					switch kb := mb.KeyBuilder().(type) {
					case *array.StringBuilder:
						kb.Append(fmt.Sprintf("k%d", k))
					case *array.Int32Builder:
						kb.Append(int32(k * 10))
					}
					switch ib := mb.ItemBuilder().(type) {
					case *array.Int64Builder:
						if (h+k)%5 == 0 {
							ib.AppendNull()
						} else {
							ib.Append(int64(r*k) - 7)
						}
					case *array.StringBuilder:
						ib.Append(fmt.Sprintf("v%d", r+k))
					}
				}
			}
		}
	}
	return b.NewRecordBatch()
}

func writeNested(t *testing.T, mem memory.Allocator, schema *arrow.Schema, props Properties, rows int) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := NewWriter(&buf, schema, props, KeyColumns(0))
	if err != nil {
		t.Fatal(err)
	}
	for r := 0; r < rows; r += 700 {
		b := genNestedBatch(mem, schema, r, min(700, rows-r))
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

// checkNested reads r to the end and checks its rows equal rows [start, start+n) of
// genNestedBatch.
func checkNested(t *testing.T, mem memory.Allocator, r *Reader, start, n int) {
	t.Helper()
	checkGenerated(t, mem, r, start, n, genNestedBatch)
}

// TestNestedRoundTrip writes struct and map columns and reads them back whole, by spans that
// skip rows (with and without the page index), and by columns chosen out of order; the flat
// columns after them keep their statistics.
func TestNestedRoundTrip(t *testing.T) {
	schema := nestedSchema(true)
	for _, props := range []Properties{
		{RowGroupRows: 900, PageBytes: 1 << 10},
		{RowGroupRows: 2000, Dictionary: true, Compression: Snappy},
	} {
		t.Run(fmt.Sprintf("dict=%v", props.Dictionary), func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			const rows = 2500
			data := writeNested(t, mem, schema, props, rows)
			for _, indexed := range []bool{false, true} {
				var opts []OpenOption
				if indexed {
					opts = append(opts, WithPageIndex())
				}
				f, err := Open(bytes.NewReader(data), int64(len(data)), opts...)
				if err != nil {
					t.Fatal(err)
				}
				if !f.Schema().Equal(schema) {
					t.Fatalf("schema\n%s\nwant\n%s", f.Schema(), schema)
				}
				g0 := f.RowGroups()[0]
				if st := g0.Columns[0]; !st.HasMinMax || st.Min != int64(0) || st.Max != g0.Rows-1 {
					t.Fatalf("key statistics %+v", st)
				}
				if st := g0.Columns[2]; !st.HasMinMax || st.Min != int64(3) || st.Max != (g0.Rows-1)*3 || st.NullCount != (g0.Rows+4)/5 {
					t.Fatalf("statistics of the flat column after a struct: %+v", st)
				}
				if st := g0.Columns[1]; st.HasMinMax || st.NullCount != 0 {
					t.Fatalf("struct column has statistics %+v", st)
				}
				if indexed {
					if _, ok := f.Pages(0, 2); !ok {
						t.Fatalf("no page index for the flat column after a struct")
					}
				}
				r, err := f.Read(context.Background(), ReadOptions{Alloc: mem, BatchRows: 333})
				if err != nil {
					t.Fatal(err)
				}
				checkNested(t, mem, r, 0, rows)
				r.Close()
				lo := int64(117)
				r, err = f.Read(context.Background(), ReadOptions{Alloc: mem, BatchRows: 100, Spans: []Span{{Group: 1, Lo: lo, Hi: lo + 250}}})
				if err != nil {
					t.Fatal(err)
				}
				checkNested(t, mem, r, int(f.RowGroups()[0].Rows+lo), 250)
				r.Close()
				r, err = f.Read(context.Background(), ReadOptions{Alloc: mem, Columns: []int{6, 2, 5, 1, 3, 4}, Spans: []Span{{Group: 0, Lo: 5, Hi: 600}}})
				if err != nil {
					t.Fatal(err)
				}
				checkNested(t, mem, r, 5, 595)
				r.Close()
			}
		})
	}
}

// TestNestedWriteErrors: NULLs where the schema has none, and structs of no fields.
func TestNestedWriteErrors(t *testing.T) {
	for _, f := range []arrow.Field{
		{Name: "s", Type: arrow.StructOf(), Nullable: true},
		{Name: "l", Type: arrow.ListOf(arrow.StructOf()), Nullable: true},
	} {
		if _, err := NewWriter(io.Discard, arrow.NewSchema([]arrow.Field{f}, nil), Properties{}); err == nil {
			t.Errorf("%s: no error", f.Type)
		}
	}
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	schema := arrow.NewSchema([]arrow.Field{{Name: "s", Type: arrow.StructOf(arrow.Field{Name: "p", Type: arrow.PrimitiveTypes.Int32}), Nullable: true}}, nil)
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	sb := b.Field(0).(*array.StructBuilder)
	sb.Append(true)
	sb.FieldBuilder(0).AppendNull()
	rec := b.NewRecordBatch()
	defer rec.Release()
	w, err := NewWriter(io.Discard, schema, Properties{})
	if err != nil {
		t.Fatal(err)
	}
	err = w.Write(rec)
	if err == nil {
		_, err = w.Close()
	} else {
		w.Close()
	}
	if err == nil {
		t.Fatal("a NULL in a non-nullable field was written")
	}
}

// arrowGoSchema is nestedSchema without intervals, which arrow-go's writer does not take.
var arrowGoSchema = nestedSchema(false)

// TestNestedReadByArrowGo reads struct and map columns written here with arrow-go's reader.
func TestNestedReadByArrowGo(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	const rows = 1800
	data := writeNested(t, mem, arrowGoSchema, Properties{RowGroupRows: 700, Dictionary: true}, rows)
	tbl := readByArrowGo(t, data, 512)
	defer tbl.Release()
	want := genNestedBatch(mem, arrowGoSchema, 0, rows)
	defer want.Release()
	for i, f := range arrowGoSchema.Fields() {
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

// TestReadArrowGoNested reads struct and map columns written by arrow-go, with and without
// the stored Arrow schema (then mapped from the Parquet groups).
func TestReadArrowGoNested(t *testing.T) {
	for _, store := range []bool{true, false} {
		t.Run(fmt.Sprintf("store=%v", store), func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			const rows = 1500
			var buf bytes.Buffer
			var aprops []pqarrow.WriterOption
			if store {
				aprops = append(aprops, pqarrow.WithStoreSchema())
			}
			w, err := pqarrow.NewFileWriter(arrowGoSchema, &buf, parquet.NewWriterProperties(
				parquet.WithDataPageSize(1<<10), parquet.WithMaxRowGroupLength(500)), pqarrow.NewArrowWriterProperties(aprops...))
			if err != nil {
				t.Fatal(err)
			}
			for r := 0; r < rows; r += 500 {
				b := genNestedBatch(mem, arrowGoSchema, r, 500)
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
			for i, fd := range arrowGoSchema.Fields() {
				got := f.Schema().Field(i)
				if got.Name != fd.Name || got.Nullable != fd.Nullable || got.Type.ID() != fd.Type.ID() {
					t.Fatalf("field %d: %v, want %v", i, got, fd)
				}
			}
			r, err := f.Read(context.Background(), ReadOptions{Alloc: mem, BatchRows: 1000, Spans: []Span{{Group: 0, Hi: 500}, {Group: 1, Lo: 33, Hi: 500}}})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			// Without the stored schema, map entries and list elements take Parquet's names;
			// compare values by their text.
			want := genNestedBatch(mem, arrowGoSchema, 0, 500)
			defer want.Release()
			b, err := r.Next(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			for i := range int(b.NumCols()) {
				for j := range int(b.NumRows()) {
					if g, w := b.Column(i).ValueStr(j), want.Column(i).ValueStr(j); g != w {
						t.Fatalf("column %s row %d: %s, want %s", arrowGoSchema.Field(i).Name, j, g, w)
					}
				}
			}
			b.Release()
			want2 := genNestedBatch(mem, arrowGoSchema, 533, 467)
			defer want2.Release()
			b, err = r.Next(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			defer b.Release()
			if b.NumRows() != 467 {
				t.Fatalf("%d rows in the span", b.NumRows())
			}
			for i := range int(b.NumCols()) {
				for j := range int(b.NumRows()) {
					if g, w := b.Column(i).ValueStr(j), want2.Column(i).ValueStr(j); g != w {
						t.Fatalf("column %s row %d: %s, want %s", arrowGoSchema.Field(i).Name, 533+j, g, w)
					}
				}
			}
		})
	}
}
