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
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// deepSchema has columns of every nested shape the general shredding writes: lists in
// structs, lists of structs, lists of lists, structs of lists of structs, maps of lists and
// of structs, a list of maps, with NULLs and required nodes at every depth.
func deepSchema() *arrow.Schema {
	pt := arrow.StructOf(
		arrow.Field{Name: "n", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
		arrow.Field{Name: "tags", Type: arrow.ListOf(arrow.BinaryTypes.String), Nullable: true},
	)
	reqElems := arrow.ListOfNonNullable(arrow.PrimitiveTypes.Int64)
	return arrow.NewSchema([]arrow.Field{
		{Name: "key", Type: arrow.PrimitiveTypes.Int64},
		{Name: "rec", Type: arrow.StructOf(
			arrow.Field{Name: "a", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
			arrow.Field{Name: "xs", Type: arrow.ListOf(arrow.PrimitiveTypes.Int32), Nullable: true},
			arrow.Field{Name: "in", Type: pt, Nullable: true},
			arrow.Field{Name: "req", Type: reqElems},
		), Nullable: true},
		{Name: "recs", Type: arrow.ListOf(pt), Nullable: true},
		{Name: "grid", Type: arrow.ListOf(arrow.ListOf(arrow.PrimitiveTypes.Float64)), Nullable: true},
		{Name: "v", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "ml", Type: arrow.MapOf(arrow.BinaryTypes.String, arrow.ListOf(arrow.PrimitiveTypes.Int32)), Nullable: true},
		{Name: "ms", Type: arrow.MapOf(arrow.PrimitiveTypes.Int32, pt), Nullable: true},
		{Name: "lm", Type: arrow.ListOf(arrow.MapOf(arrow.BinaryTypes.String, arrow.PrimitiveTypes.Int64)), Nullable: true},
		{Name: "dec", Type: arrow.ListOf(&arrow.Decimal128Type{Precision: 30, Scale: 3}), Nullable: true},
	}, nil)
}

// genDeep appends value number h of type f to b: a function of h alone, so any rows can be
// rebuilt, with NULLs, empty lists and maps, and one to three elements.
func genDeep(b array.Builder, f arrow.Field, h int) {
	h = h*1103515245 + 12345
	h &= 0x7fffffff
	if f.Nullable && h%7 == 0 {
		b.AppendNull()
		return
	}
	switch t := f.Type.(type) {
	case *arrow.StructType:
		sb := b.(*array.StructBuilder)
		sb.Append(true)
		for i, cf := range t.Fields() {
			genDeep(sb.FieldBuilder(i), cf, h+i*13)
		}
	case *arrow.ListType:
		lb := b.(*array.ListBuilder)
		lb.Append(true)
		for k := range (h / 7) % 4 {
			genDeep(lb.ValueBuilder(), t.ElemField(), h+k*17+1)
		}
	case *arrow.MapType:
		mb := b.(*array.MapBuilder)
		mb.Append(true)
		for k := range (h / 11) % 3 {
			switch kb := mb.KeyBuilder().(type) {
			case *array.StringBuilder:
				kb.Append(fmt.Sprintf("k%d", k))
			case *array.Int32Builder:
				kb.Append(int32(k))
			}
			genDeep(mb.ItemBuilder(), t.ItemField(), h+k*19+2)
		}
	default:
		switch x := b.(type) {
		case *array.Int64Builder:
			x.Append(int64(h % 100000))
		case *array.Int32Builder:
			x.Append(int32(h % 1000))
		case *array.Float64Builder:
			x.Append(float64(h%1000) / 8)
		case *array.StringBuilder:
			x.Append(fmt.Sprintf("s%d", h%97))
		case *array.Decimal128Builder:
			x.Append(decimalOf(int64(h%100000) - 50000))
		default:
			panic(fmt.Sprintf("genDeep: %T", b))
		}
	}
}

func genDeepBatch(mem memory.Allocator, schema *arrow.Schema, start, n int) arrow.RecordBatch {
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	for r := start; r < start+n; r++ {
		for i, f := range schema.Fields() {
			if f.Name == "key" {
				b.Field(i).(*array.Int64Builder).Append(int64(r))
				continue
			}
			genDeep(b.Field(i), f, r*37+len(f.Name))
		}
	}
	return b.NewRecordBatch()
}

// checkDeep reads r to the end and checks its rows are rows [start, start+n) of genDeepBatch.
func checkDeep(t *testing.T, mem memory.Allocator, r *Reader, start, n int) {
	t.Helper()
	checkGenerated(t, mem, r, start, n, genDeepBatch)
}

func decimalOf(v int64) decimal128.Num { return decimal128.FromI64(v) }

// TestDeepRoundTrip writes nested columns of every shape and reads them back whole, by spans
// that skip rows, and by columns out of order; the flat columns keep their statistics.
func TestDeepRoundTrip(t *testing.T) {
	schema := deepSchema()
	for _, props := range []Properties{
		{RowGroupRows: 900, PageBytes: 1 << 10},
		{RowGroupRows: 2000, Dictionary: true, Compression: Snappy},
	} {
		t.Run(fmt.Sprintf("dict=%v", props.Dictionary), func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			const rows = 2500
			data := writeDeep(t, mem, schema, props, rows)
			f, err := Open(bytes.NewReader(data), int64(len(data)), WithPageIndex())
			if err != nil {
				t.Fatal(err)
			}
			if !f.Schema().Equal(schema) {
				t.Fatalf("schema\n%s\nwant\n%s", f.Schema(), schema)
			}
			if st := f.RowGroups()[0].Columns[4]; !st.HasMinMax || st.NullCount == 0 {
				t.Fatalf("statistics of the flat column after nested ones: %+v", st)
			}
			r, err := f.Read(context.Background(), ReadOptions{Alloc: mem, BatchRows: 333})
			if err != nil {
				t.Fatal(err)
			}
			checkDeep(t, mem, r, 0, rows)
			r.Close()
			lo := int64(117)
			r, err = f.Read(context.Background(), ReadOptions{Alloc: mem, BatchRows: 100, Spans: []Span{{Group: 1, Lo: lo, Hi: lo + 250}}})
			if err != nil {
				t.Fatal(err)
			}
			checkDeep(t, mem, r, int(f.RowGroups()[0].Rows+lo), 250)
			r.Close()
			r, err = f.Read(context.Background(), ReadOptions{Alloc: mem, Columns: []int{8, 2, 5, 1, 3, 7, 6}, Spans: []Span{{Group: 0, Lo: 5, Hi: 600}}})
			if err != nil {
				t.Fatal(err)
			}
			checkDeep(t, mem, r, 5, 595)
			r.Close()
		})
	}
}

func writeDeep(t *testing.T, mem memory.Allocator, schema *arrow.Schema, props Properties, rows int) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := NewWriter(&buf, schema, props, KeyColumns(0))
	if err != nil {
		t.Fatal(err)
	}
	for r := 0; r < rows; r += 700 {
		b := genDeepBatch(mem, schema, r, min(700, rows-r))
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

// TestDeepReadByArrowGo reads the nested columns written here with arrow-go's reader, which
// checks the definition and repetition levels independently.
func TestDeepReadByArrowGo(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	schema := deepSchema()
	const rows = 1800
	data := writeDeep(t, mem, schema, Properties{RowGroupRows: 700, Dictionary: true}, rows)
	tbl := readByArrowGo(t, data, 512)
	defer tbl.Release()
	want := genDeepBatch(mem, schema, 0, rows)
	defer want.Release()
	for i, f := range schema.Fields() {
		got := tbl.Schema().Field(i)
		if got.Name != f.Name || !arrow.TypeEqual(got.Type, f.Type) || got.Nullable != f.Nullable {
			t.Fatalf("field %d: %v, want %v", i, got, f)
		}
		col, err := array.Concatenate(tbl.Column(i).Data().Chunks(), mem)
		if err != nil {
			t.Fatal(err)
		}
		for j := range rows {
			if !array.SliceEqual(col, int64(j), int64(j+1), want.Column(i), int64(j), int64(j+1)) {
				t.Errorf("column %s row %d: %s, want %s", f.Name, j, col.ValueStr(j), want.Column(i).ValueStr(j))
				break
			}
		}
		col.Release()
	}
}

// TestReadArrowGoDeep reads nested columns of every shape written by arrow-go, with and
// without the stored Arrow schema.
func TestReadArrowGoDeep(t *testing.T) {
	schema := deepSchema()
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
			w, err := pqarrow.NewFileWriter(schema, &buf, parquet.NewWriterProperties(
				parquet.WithDataPageSize(1<<10), parquet.WithMaxRowGroupLength(500)), pqarrow.NewArrowWriterProperties(aprops...))
			if err != nil {
				t.Fatal(err)
			}
			for r := 0; r < rows; r += 500 {
				b := genDeepBatch(mem, schema, r, 500)
				if err := w.Write(b); err != nil {
					t.Fatal(err)
				}
				b.Release()
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			f, err := Open(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
			if err != nil {
				t.Fatal(err)
			}
			r, err := f.Read(context.Background(), ReadOptions{Alloc: mem, BatchRows: 1000, Spans: []Span{{Group: 0, Hi: 500}, {Group: 1, Lo: 33, Hi: 500}}})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			// Without the stored schema, list elements and map entries take Parquet's names:
			// compare values by their text.
			check := func(start, n int) {
				b, err := r.Next(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				defer b.Release()
				want := genDeepBatch(mem, schema, start, n)
				defer want.Release()
				if int(b.NumRows()) != n {
					t.Fatalf("%d rows, want %d", b.NumRows(), n)
				}
				for i := range int(b.NumCols()) {
					for j := range n {
						if g, w := b.Column(i).ValueStr(j), want.Column(i).ValueStr(j); g != w {
							t.Fatalf("column %s row %d: %s, want %s", schema.Field(i).Name, start+j, g, w)
						}
					}
				}
			}
			check(0, 500)
			check(533, 467)
		})
	}
}

// BenchmarkDeepWrite writes 10000 rows of deepSchema with the general shredding, beside
// arrow-go's writer on the same batch (the peer).
func BenchmarkDeepWrite(b *testing.B) {
	mem := memory.NewGoAllocator()
	schema := deepSchema()
	batch := genDeepBatch(mem, schema, 0, 10000)
	defer batch.Release()
	b.Run("sleeperd", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			w, err := NewWriter(io.Discard, schema, Properties{RowGroupRows: 10000}, KeyColumns(0))
			if err != nil {
				b.Fatal(err)
			}
			if err := w.Write(batch); err != nil {
				b.Fatal(err)
			}
			if _, err := w.Close(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("arrow-go", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			w, err := pqarrow.NewFileWriter(schema, io.Discard, parquet.NewWriterProperties(parquet.WithMaxRowGroupLength(10000)), pqarrow.NewArrowWriterProperties())
			if err != nil {
				b.Fatal(err)
			}
			if err := w.Write(batch); err != nil {
				b.Fatal(err)
			}
			if err := w.Close(); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkDeepRead reads 10000 rows of deepSchema written here, with the general
// assembly and with arrow-go's reader (the peer).
func BenchmarkDeepRead(b *testing.B) {
	mem := memory.NewGoAllocator()
	schema := deepSchema()
	batch := genDeepBatch(mem, schema, 0, 10000)
	data := writeBatch(b, schema, Properties{RowGroupRows: 10000}, batch, KeyColumns(0))
	batch.Release()
	b.Run("sleeperd", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			drainRows(b, openRead(b, data, ReadOptions{Alloc: mem, BatchRows: 10000}))
		}
	})
	b.Run("arrow-go", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			pf, err := file.NewParquetReader(bytes.NewReader(data))
			if err != nil {
				b.Fatal(err)
			}
			fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: 10000}, mem)
			if err != nil {
				b.Fatal(err)
			}
			tbl, err := fr.ReadTable(context.Background())
			if err != nil {
				b.Fatal(err)
			}
			tbl.Release()
			pf.Close()
		}
	})
}
