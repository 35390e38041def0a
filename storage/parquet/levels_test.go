package parquet

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
)

// levelElemTypes are the element, key and value types of the random lists and maps: those
// whose values are copied as they are, and booleans and decimals, converted as they are
// copied (TestConvertedLeavesRandom has the other converted types).
var levelElemTypes = []arrow.DataType{
	arrow.PrimitiveTypes.Int32,
	arrow.PrimitiveTypes.Int64,
	arrow.PrimitiveTypes.Float32,
	arrow.PrimitiveTypes.Float64,
	arrow.FixedWidthTypes.Date32,
	arrow.FixedWidthTypes.Timestamp_us,
	arrow.BinaryTypes.String,
	arrow.BinaryTypes.Binary,
	arrow.FixedWidthTypes.Boolean,
	&arrow.Decimal128Type{Precision: 20, Scale: 2},
}

// randomListSchema is a schema of a key column and random lists of flat elements and maps
// of flat keys and values, nullable or not at each level, and lists of lists, of structs
// and of maps, maps of lists, structs of flat fields, of lists and of maps.
func randomListSchema(rng *rand.Rand) *arrow.Schema {
	fields := []arrow.Field{{Name: "key", Type: arrow.PrimitiveTypes.Int64}}
	elem := func() arrow.DataType { return levelElemTypes[rng.IntN(len(levelElemTypes))] }
	for i := range 4 + rng.IntN(4) {
		name := fmt.Sprintf("c%d", i)
		var t arrow.DataType
		switch rng.IntN(8) {
		case 0, 1, 2:
			if rng.IntN(3) == 0 {
				t = arrow.ListOfNonNullable(elem())
			} else {
				t = arrow.ListOf(elem())
			}
		case 3, 4:
			keys := []arrow.DataType{arrow.BinaryTypes.String, arrow.PrimitiveTypes.Int32, arrow.PrimitiveTypes.Int64}
			mt := arrow.MapOf(keys[rng.IntN(len(keys))], elem())
			if rng.IntN(3) == 0 {
				mt.SetItemNullable(false)
			}
			t = mt
		default:
			switch rng.IntN(7) {
			case 0:
				t = arrow.ListOf(arrow.ListOf(elem()))
			case 1:
				t = arrow.ListOf(arrow.StructOf(arrow.Field{Name: "a", Type: elem(), Nullable: true}, arrow.Field{Name: "b", Type: elem(), Nullable: true}))
			case 2:
				t = arrow.ListOf(arrow.MapOf(arrow.BinaryTypes.String, elem()))
			case 3:
				t = arrow.MapOf(arrow.PrimitiveTypes.Int32, arrow.ListOf(elem()))
			case 4:
				t = arrow.StructOf(arrow.Field{Name: "m", Type: arrow.MapOf(arrow.BinaryTypes.String, elem()), Nullable: true})
			case 5:
				t = arrow.StructOf(arrow.Field{Name: "x", Type: elem(), Nullable: true}, arrow.Field{Name: "y", Type: elem()},
					arrow.Field{Name: "in", Type: arrow.StructOf(arrow.Field{Name: "z", Type: elem(), Nullable: true}), Nullable: true})
			default:
				t = arrow.StructOf(arrow.Field{Name: "n", Type: elem(), Nullable: true}, arrow.Field{Name: "l", Type: arrow.ListOf(elem()), Nullable: true})
			}
		}
		fields = append(fields, arrow.Field{Name: name, Type: t, Nullable: rng.IntN(4) != 0})
	}
	return arrow.NewSchema(fields, nil)
}

// randomLists is a batch of rows of schema: NULL lists and maps, empty ones, NULL elements
// and values, in proportions that vary by column (some columns with no NULL element at all,
// so that whole runs of values are copied at once).
func randomLists(rng *rand.Rand, mem memory.Allocator, schema *arrow.Schema, rows int) arrow.RecordBatch {
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	for i, f := range schema.Fields() {
		if i == 0 {
			for r := range rows {
				b.Field(0).(*array.Int64Builder).Append(int64(r))
			}
			continue
		}
		nullPct, emptyPct, elemNullPct, maxLen := rng.IntN(30), rng.IntN(30), rng.IntN(3)*rng.IntN(40), 1+rng.IntN(8)
		var gen func(b array.Builder, nullable bool)
		gen = func(b array.Builder, nullable bool) {
			if nullable && rng.IntN(100) < nullPct {
				b.AppendNull()
				return
			}
			switch x := b.(type) {
			case *array.ListBuilder:
				x.Append(true)
				if rng.IntN(100) < emptyPct {
					return
				}
				en := x.Type().(*arrow.ListType).ElemField().Nullable
				for range 1 + rng.IntN(maxLen) {
					if en && rng.IntN(100) < elemNullPct {
						x.ValueBuilder().AppendNull()
						continue
					}
					gen(x.ValueBuilder(), false)
				}
			case *array.MapBuilder:
				x.Append(true)
				if rng.IntN(100) < emptyPct {
					return
				}
				vn := x.Type().(*arrow.MapType).ItemField().Nullable
				for k := range 1 + rng.IntN(maxLen) {
					switch kb := x.KeyBuilder().(type) {
					case *array.StringBuilder:
						kb.Append(fmt.Sprintf("k%d", k))
					case *array.Int32Builder:
						kb.Append(int32(k))
					case *array.Int64Builder:
						kb.Append(int64(k) << 40)
					}
					if vn && rng.IntN(100) < elemNullPct {
						x.ItemBuilder().AppendNull()
						continue
					}
					gen(x.ItemBuilder(), false)
				}
			case *array.StructBuilder:
				x.Append(true)
				st := x.Type().(*arrow.StructType)
				for k := range x.NumField() {
					gen(x.FieldBuilder(k), st.Field(k).Nullable)
				}
			case *array.Int32Builder:
				x.Append(rng.Int32() - 1<<30)
			case *array.Int64Builder:
				x.Append(rng.Int64() - 1<<62)
			case *array.Float32Builder:
				x.Append(rng.Float32()*1000 - 500)
			case *array.Float64Builder:
				x.Append(rng.NormFloat64())
			case *array.Date32Builder:
				x.Append(arrow.Date32(rng.IntN(40000)))
			case *array.TimestampBuilder:
				x.Append(arrow.Timestamp(rng.Int64N(1 << 50)))
			case *array.StringBuilder:
				// Few distinct strings, so that dictionary pages are written.
				x.Append(fmt.Sprintf("s%d%s", rng.IntN(50), string(make([]byte, rng.IntN(3)))))
			case *array.BinaryBuilder:
				bs := make([]byte, rng.IntN(12))
				for k := range bs {
					bs[k] = byte(rng.IntN(256))
				}
				x.Append(bs)
			case *array.BooleanBuilder:
				x.Append(rng.IntN(2) == 0)
			case *array.Decimal128Builder:
				x.Append(decimalOf(rng.Int64N(1e12) - 5e11))
			default:
				panic(fmt.Sprintf("no values of %T", b))
			}
		}
		for range rows {
			gen(b.Field(i), f.Nullable)
		}
	}
	return b.NewRecordBatch()
}

// forBatches reads r to its end, or until f returns false, calling f with each batch and the
// number of rows before it and releasing the batch after; it returns the rows read.
func forBatches(t *testing.T, r *Reader, f func(b arrow.RecordBatch, row int) bool) int {
	t.Helper()
	row := 0
	for {
		b, err := r.Next(context.Background())
		if err == io.EOF {
			return row
		}
		if err != nil {
			t.Fatal(err)
		}
		more := f(b, row)
		row += int(b.NumRows())
		b.Release()
		if !more {
			return row
		}
	}
}

// checkWholeAndSpan reads f whole in batches of a random size (which it returns), then rows
// of its second row group (of 600 rows) from a random span, and checks both against want, a
// batch of rows rows.
func checkWholeAndSpan(t *testing.T, f *File, mem memory.Allocator, rng *rand.Rand, want arrow.RecordBatch, rows int) int {
	t.Helper()
	batch := 1 + rng.IntN(400)
	r, err := f.Read(context.Background(), ReadOptions{Alloc: mem, BatchRows: batch})
	if err != nil {
		t.Fatal(err)
	}
	checkAgainst(t, r, want, 0, rows)
	r.Close()
	// Spans that skip rows at the start of a row group and leave some at its
	// end, read in small batches.
	lo, hi := int64(rng.IntN(300)), int64(300+rng.IntN(300))
	r, err = f.Read(context.Background(), ReadOptions{Alloc: mem, BatchRows: 1 + rng.IntN(64), Spans: []Span{{Group: 1, Lo: lo, Hi: hi}}})
	if err != nil {
		t.Fatal(err)
	}
	checkAgainst(t, r, want, 600+int(lo), int(hi-lo))
	r.Close()
	return batch
}

// checkAgainst reads r to its end and checks that its rows are rows [start, start+n) of
// want.
func checkAgainst(t *testing.T, r *Reader, want arrow.RecordBatch, start, n int) {
	t.Helper()
	got := forBatches(t, r, func(b arrow.RecordBatch, row int) bool {
		for i := range int(b.NumCols()) {
			compareRows(t, want.Schema().Field(i).Name, b.Column(i), 0, want.Column(i), start+row, int(b.NumRows()))
		}
		return !t.Failed()
	})
	if t.Failed() {
		t.FailNow()
	}
	if got != n {
		t.Fatalf("read %d rows, want %d", got, n)
	}
}

// compareRows checks that rows [g0, g0+n) of got equal rows [w0, w0+n) of want.
func compareRows(t *testing.T, name string, got arrow.Array, g0 int, want arrow.Array, w0, n int) {
	t.Helper()
	if !arrow.TypeEqual(got.DataType(), want.DataType()) {
		t.Fatalf("column %s: type %s, want %s", name, got.DataType(), want.DataType())
	}
	for j := range n {
		if !array.SliceEqual(got, int64(g0+j), int64(g0+j+1), want, int64(w0+j), int64(w0+j+1)) {
			t.Fatalf("column %s row %d: got %s, want %s", name, w0+j, got.ValueStr(g0+j), want.ValueStr(w0+j))
		}
	}
}

// TestListsAndMapsRandom writes random lists and maps (NULL, empty, with NULL elements, of
// element types copied as they are and of some converted, beside lists of lists,
// of structs and of maps, maps of lists, structs of flat fields, of lists and of maps) with this package's writer and with arrow-go's (V1 and
// V2 data pages, dictionary encoded or not, small pages), and reads each file back whole, in
// batches of random sizes and by spans that skip rows, comparing with the values written;
// arrow-go's reader reads each of the files too, to the same values.
func TestListsAndMapsRandom(t *testing.T) {
	seeds := uint64(16)
	if raceEnabled {
		seeds = 4
	}
	for seed := range seeds {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 17))
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			schema := randomListSchema(rng)
			t.Log(schema)
			const rows = 1500
			want := randomLists(rng, mem, schema, rows)
			defer want.Release()

			var files [][]byte
			names := []string{}
			props := Properties{RowGroupRows: 600, PageBytes: 1 << (7 + rng.IntN(5)), Dictionary: seed%2 == 1, Compression: []string{None, Snappy, Zstd}[seed%3]}
			files = append(files, writeBatch(t, schema, props, want, KeyColumns(0)))
			names = append(names, fmt.Sprintf("ours %+v", props))
			for _, v1 := range []bool{false, true} {
				version := parquet.DataPageV2
				if v1 {
					version = parquet.DataPageV1
				}
				files = append(files, writeByArrowGo(t, schema, want, parquet.NewWriterProperties(
					parquet.WithDataPageVersion(version), parquet.WithDictionaryDefault(seed%2 == 0),
					parquet.WithCompression(compress.Codecs.Snappy),
					parquet.WithDataPageSize(int64(1<<(6+rng.IntN(6)))), parquet.WithMaxRowGroupLength(600))))
				names = append(names, fmt.Sprintf("arrow-go v1=%v", v1))
			}
			for k, data := range files {
				t.Run(names[k], func(t *testing.T) {
					f, err := Open(bytes.NewReader(data), int64(len(data)))
					if err != nil {
						t.Fatal(err)
					}
					batch := checkWholeAndSpan(t, f, mem, rng, want, rows)

					tbl := readByArrowGo(t, data, int64(batch))
					defer tbl.Release()
					for i := range schema.NumFields() {
						col, err := array.Concatenate(tbl.Column(i).Data().Chunks(), mem)
						if err != nil {
							t.Fatal(err)
						}
						compareRows(t, "arrow-go "+schema.Field(i).Name, col, 0, want.Column(i), 0, rows)
						col.Release()
					}
				})
			}
		})
	}
}
