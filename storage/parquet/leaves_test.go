package parquet

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	pq "github.com/parquet-go/parquet-go"

	"github.com/sleeperd/sleeperd/types"
)

// convertedLeaves are the leaf types whose values are converted as they are read by levels
// (leaves.go), as the fields of the random columns of TestConvertedLeavesRandom; arrowGo
// says whether arrow-go writes them.
var convertedLeaves = []struct {
	name    string
	field   arrow.Field
	arrowGo bool
}{
	{"bool", arrow.Field{Type: arrow.FixedWidthTypes.Boolean}, true},
	{"int8", arrow.Field{Type: arrow.PrimitiveTypes.Int8}, true},
	{"int16", arrow.Field{Type: arrow.PrimitiveTypes.Int16}, true},
	{"decimal(9,2)", arrow.Field{Type: &arrow.Decimal128Type{Precision: 9, Scale: 2}}, true},
	{"decimal(18,4)", arrow.Field{Type: &arrow.Decimal128Type{Precision: 18, Scale: 4}}, true},
	{"decimal(38,10)", arrow.Field{Type: &arrow.Decimal128Type{Precision: 38, Scale: 10}}, true},
	{"decimal(25,0)", arrow.Field{Type: &arrow.Decimal128Type{Precision: 25, Scale: 0}}, true},
	{"interval", arrow.Field{Type: arrow.FixedWidthTypes.MonthDayNanoInterval}, false},
	{"uuid", arrow.Field{Type: arrow.BinaryTypes.Binary, Metadata: arrow.NewMetadata([]string{types.SQLTypeKey}, []string{"uuid"})}, true},
	{"timestamp_ms_tz", arrow.Field{Type: &arrow.TimestampType{Unit: arrow.Millisecond, TimeZone: "UTC"}}, true},
	{"time", arrow.Field{Type: arrow.PrimitiveTypes.Int64, Metadata: arrow.NewMetadata([]string{types.SQLTypeKey}, []string{"time"})}, true},
}

// convertedSchema is a key column and one column of each shape of leaf lf: lists (of
// nullable and of non-nullable elements), maps, lists of structs, of lists and of maps,
// maps of lists, and structs of a leaf and a list, and of leaves only; each column nullable
// or not at random.
func convertedSchema(rng *rand.Rand, lf arrow.Field) *arrow.Schema {
	named := func(name string, nullable bool) arrow.Field {
		f := lf
		f.Name, f.Nullable = name, nullable
		return f
	}
	mapOf := func(k arrow.DataType, item arrow.Field) *arrow.MapType {
		mt := arrow.MapOfFields(arrow.Field{Name: "key", Type: k}, item)
		return mt
	}
	shapes := []arrow.DataType{
		arrow.ListOfField(named("element", true)),
		arrow.ListOfField(named("element", false)),
		mapOf(arrow.BinaryTypes.String, named("value", true)),
		mapOf(arrow.PrimitiveTypes.Int32, named("value", false)),
		arrow.ListOf(arrow.StructOf(named("a", true), arrow.Field{Name: "b", Type: arrow.PrimitiveTypes.Int32, Nullable: true})),
		arrow.ListOf(arrow.ListOfField(named("element", true))),
		arrow.ListOf(mapOf(arrow.BinaryTypes.String, named("value", true))),
		mapOf(arrow.PrimitiveTypes.Int64, arrow.Field{Name: "value", Type: arrow.ListOfField(named("element", true)), Nullable: true}),
		arrow.StructOf(named("x", true), arrow.Field{Name: "l", Type: arrow.ListOfField(named("element", true)), Nullable: true}),
		arrow.StructOf(named("x", true), named("y", false), arrow.Field{Name: "in", Type: arrow.StructOf(named("z", true)), Nullable: true}),
	}
	fields := []arrow.Field{{Name: "key", Type: arrow.PrimitiveTypes.Int64}}
	for i, t := range shapes {
		fields = append(fields, arrow.Field{Name: fmt.Sprintf("c%d", i), Type: t, Nullable: rng.IntN(4) != 0})
	}
	return arrow.NewSchema(fields, nil)
}

// convertedRows is a batch of rows of schema (from convertedSchema): NULL lists, maps and
// structs, empty lists and maps, NULL elements and values, in proportions that vary by
// column (some with no NULL element at all), and leaf values over their types' whole range
// (decimals of every digit their precision allows).
func convertedRows(rng *rand.Rand, mem memory.Allocator, schema *arrow.Schema, rows int) arrow.RecordBatch {
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	for r := range rows {
		b.Field(0).(*array.Int64Builder).Append(int64(r))
	}
	for i := 1; i < schema.NumFields(); i++ {
		nullPct, emptyPct, elemNullPct, maxLen := rng.IntN(30), rng.IntN(30), rng.IntN(3)*rng.IntN(40), 1+rng.IntN(8)
		var gen func(b array.Builder, f arrow.Field)
		gen = func(b array.Builder, f arrow.Field) {
			if f.Nullable && rng.IntN(100) < nullPct {
				b.AppendNull()
				return
			}
			switch x := b.(type) {
			case *array.ListBuilder:
				x.Append(true)
				if rng.IntN(100) < emptyPct {
					return
				}
				ef := x.Type().(*arrow.ListType).ElemField()
				for range 1 + rng.IntN(maxLen) {
					if ef.Nullable && rng.IntN(100) < elemNullPct {
						x.ValueBuilder().AppendNull()
						continue
					}
					ef.Nullable = false
					gen(x.ValueBuilder(), ef)
				}
			case *array.MapBuilder:
				x.Append(true)
				if rng.IntN(100) < emptyPct {
					return
				}
				vf := x.Type().(*arrow.MapType).ItemField()
				for k := range 1 + rng.IntN(maxLen) {
					switch kb := x.KeyBuilder().(type) {
					case *array.StringBuilder:
						kb.Append(fmt.Sprintf("k%d", k))
					case *array.Int32Builder:
						kb.Append(int32(k))
					case *array.Int64Builder:
						kb.Append(int64(k) << 40)
					case *array.BinaryBuilder:
						u := make([]byte, uuidBytes) // a uuid key
						u[0], u[15] = byte(k), byte(k*7)
						kb.Append(u)
					}
					if vf.Nullable && rng.IntN(100) < elemNullPct {
						x.ItemBuilder().AppendNull()
						continue
					}
					item := vf
					item.Nullable = false
					gen(x.ItemBuilder(), item)
				}
			case *array.StructBuilder:
				x.Append(true)
				st := x.Type().(*arrow.StructType)
				for k := range x.NumField() {
					gen(x.FieldBuilder(k), st.Field(k))
				}
			case *array.BooleanBuilder:
				x.Append(rng.IntN(3) == 0)
			case *array.Int8Builder:
				x.Append(int8(rng.IntN(256) - 128))
			case *array.Int16Builder:
				x.Append(int16(rng.IntN(1<<16) - 1<<15))
			case *array.Int32Builder:
				x.Append(rng.Int32() - 1<<30)
			case *array.Int64Builder:
				if v, _ := f.Metadata.GetValue(types.SQLTypeKey); v == "time" {
					x.Append(rng.Int64N(types.MicrosPerDay))
				} else {
					x.Append(rng.Int64() - 1<<62)
				}
			case *array.TimestampBuilder:
				x.Append(arrow.Timestamp(rng.Int64N(1<<50) - 1<<49))
			case *array.Decimal128Builder:
				x.Append(randomDecimal(rng, x.Type().(*arrow.Decimal128Type).Precision))
			case *array.MonthDayNanoIntervalBuilder:
				x.Append(arrow.MonthDayNanoInterval{Months: rng.Int32N(2000) - 1000, Days: rng.Int32N(20000) - 10000, Nanoseconds: rng.Int64() - 1<<62})
			case *array.StringBuilder:
				// json: few distinct documents, so that dictionary pages are written.
				x.Append(fmt.Sprintf(`{"a": %d}`, rng.IntN(5)))
			case *array.BinaryBuilder:
				// uuids: few distinct ones, so that dictionary pages are written.
				u := make([]byte, uuidBytes)
				for k := range u {
					u[k] = byte(rng.IntN(3) * (k + 1))
				}
				x.Append(u)
			default:
				panic(fmt.Sprintf("no values of %T", b))
			}
		}
		f := schema.Field(i)
		for range rows {
			gen(b.Field(i), f)
		}
	}
	return b.NewRecordBatch()
}

// randomDecimal is a random decimal of up to p digits, of a random number of digits.
func randomDecimal(rng *rand.Rand, p int32) decimal128.Num {
	digits := 1 + rng.Int32N(p)
	var v decimal128.Num
	for range digits {
		v = v.Mul(decimal128.FromI64(10)).Add(decimal128.FromI64(rng.Int64N(10)))
	}
	if rng.IntN(2) == 0 {
		v = v.Negate()
	}
	return v
}

// byLevelsColumn reports whether column c of a file is read by levels.
func byLevelsColumn(c *column) bool {
	switch {
	case c.list != nil:
		return byLevels(c)
	case c.nested == nil:
		return false
	case c.nested.isMap:
		return byLevels(c)
	}
	return generalByLevels(c)
}

// TestConvertedLeavesRandom writes, for each leaf type whose values are converted as they
// are read by levels (booleans, int8, int16, decimals of INT32, INT64 and
// FIXED_LEN_BYTE_ARRAY, up to 38 digits, intervals, uuids, and millisecond timestamps and
// times beside them), random lists, maps, lists of structs, of lists and of maps, maps of
// lists and structs of them (NULL, empty, with NULL elements) with this package's writer
// and with arrow-go's (V1 and V2 data pages, dictionary encoded or not, decimals as
// integers or not, small pages), checks that every such column is read by levels, and
// reads each file back whole, in batches of random sizes and by spans that skip rows,
// comparing with the values written; arrow-go's reader reads each of the files too, to the
// same values.
func TestConvertedLeavesRandom(t *testing.T) {
	seeds := uint64(3)
	if raceEnabled {
		seeds = 1 // every leaf and shape still, with one of the seeds' settings
	}
	for li, leaf := range convertedLeaves {
		for seed := range seeds {
			t.Run(fmt.Sprintf("%s/%d", leaf.name, seed), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(seed, uint64(li)))
				mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
				defer mem.AssertSize(t, 0)
				schema := convertedSchema(rng, leaf.field)
				const rows = 1500
				want := convertedRows(rng, mem, schema, rows)
				defer want.Release()

				var files [][]byte
				var names []string
				props := Properties{RowGroupRows: 600, PageBytes: 1 << (7 + rng.IntN(5)), Dictionary: seed%2 == 1, Compression: []string{None, Snappy, Zstd}[seed%3]}
				files = append(files, writeBatch(t, schema, props, want, KeyColumns(0)))
				names = append(names, fmt.Sprintf("ours %+v", props))
				for _, v1 := range []bool{false, true} {
					if !leaf.arrowGo {
						break
					}
					version := parquet.DataPageV2
					if v1 {
						version = parquet.DataPageV1
					}
					asInt := rng.IntN(2) == 0
					files = append(files, writeByArrowGo(t, schema, want, parquet.NewWriterProperties(
						parquet.WithDataPageVersion(version), parquet.WithDictionaryDefault(seed%2 == 0),
						parquet.WithStoreDecimalAsInteger(asInt),
						parquet.WithCompression(compress.Codecs.Snappy),
						parquet.WithDataPageSize(int64(1<<(6+rng.IntN(6)))), parquet.WithMaxRowGroupLength(600))))
					names = append(names, fmt.Sprintf("arrow-go v1=%v decimals as integers=%v", v1, asInt))
				}
				for k, data := range files {
					t.Run(names[k], func(t *testing.T) {
						f, err := Open(bytes.NewReader(data), int64(len(data)))
						if err != nil {
							t.Fatal(err)
						}
						for i := 1; i < len(f.cols); i++ {
							if !byLevelsColumn(&f.cols[i]) {
								t.Fatalf("column %s (%s) is not read by levels", f.cols[i].field.Name, f.cols[i].field.Type)
							}
						}
						batch := checkWholeAndSpan(t, f, mem, rng, want, rows)

						tbl := readByArrowGo(t, data, int64(batch))
						defer tbl.Release()
						for i := range schema.NumFields() {
							col, err := array.Concatenate(tbl.Column(i).Data().Chunks(), mem)
							if err != nil {
								t.Fatal(err)
							}
							defer col.Release()
							sameValues(t, "arrow-go "+schema.Field(i).Name, col, want.Column(i))
						}
					})
				}
			})
		}
	}
}

// sameValues checks that got and want hold the same values, row by row, as plainValue
// gives them.
func sameValues(t *testing.T, name string, got, want arrow.Array) {
	t.Helper()
	if got.Len() != want.Len() {
		t.Fatalf("column %s: %d rows, want %d", name, got.Len(), want.Len())
	}
	for j := range want.Len() {
		if g, w := plainValue(got, j), plainValue(want, j); !reflect.DeepEqual(g, w) {
			t.Fatalf("column %s row %d: got %v, want %v", name, j, g, w)
		}
	}
}

// plainValue is value j of a as plain Go values: lists (fixed-size ones too) and maps as slices of their
// elements, structs as slices of their fields, times as their int64 microseconds, byte arrays (fixed-size ones, such as
// arrow-go's uuids, too) and intervals as strings of their bytes (arrow-go reads this
// package's intervals as 16 fixed-size bytes), other values as arrow-go marshals them.
func plainValue(a arrow.Array, j int) any {
	if a.IsNull(j) {
		return nil
	}
	switch x := a.(type) {
	case array.ExtensionArray:
		return plainValue(x.Storage(), j)
	case *array.Map:
		b, e := x.ValueOffsets(j)
		out := []any{}
		for k := b; k < e; k++ {
			out = append(out, []any{plainValue(x.Keys(), int(k)), plainValue(x.Items(), int(k))})
		}
		return out
	case interface {
		ValueOffsets(int) (int64, int64)
		ListValues() arrow.Array
	}: // lists and fixed-size lists
		b, e := x.ValueOffsets(j)
		out := []any{}
		for k := b; k < e; k++ {
			out = append(out, plainValue(x.ListValues(), int(k)))
		}
		return out
	case *array.Struct:
		out := []any{}
		for k := range x.NumField() {
			out = append(out, plainValue(x.Field(k), j))
		}
		return out
	case *array.Binary:
		return string(x.Value(j))
	case *array.FixedSizeBinary:
		return string(x.Value(j))
	case *array.Time64:
		// arrow-go reads Parquet's TIME(MICROS) as time64[us].
		return int64(x.Value(j))
	case *array.MonthDayNanoInterval:
		return string(arrow.MonthDayNanoIntervalTraits.CastToBytes([]arrow.MonthDayNanoInterval{x.Value(j)}))
	}
	return a.GetOneForMarshal(j)
}

// TestParquetIntervalListByLevels reads a list column of Parquet's 12-byte INTERVAL
// elements (months, days, milliseconds, as DuckDB and Spark write intervals) by levels,
// widened to month_day_nano: NULL lists, empty ones, NULL elements and values across
// pages and row groups, whole and in batches, and by a span that skips rows.
func TestParquetIntervalListByLevels(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	schema := pq.NewSchema("s", group{namedNode{Node: pq.Optional(pq.List(pq.Optional(pq.IntervalNode()))), name: "iv"}})
	var buf bytes.Buffer
	w := pq.NewWriter(&buf, schema, pq.PageBufferSize(256), pq.MaxRowsPerRowGroup(500))
	const rows = 1200
	lb := array.NewListBuilder(mem, arrow.FixedWidthTypes.MonthDayNanoInterval)
	defer lb.Release()
	ib := lb.ValueBuilder().(*array.MonthDayNanoIntervalBuilder)
	for r := range rows {
		var row pq.Row
		switch r % 7 {
		case 0:
			row = append(row, pq.NullValue().Level(0, 0, 0))
			lb.AppendNull()
		case 1:
			row = append(row, pq.NullValue().Level(0, 1, 0))
			lb.Append(true)
		default:
			lb.Append(true)
			for k := range 1 + r%4 {
				rep := min(k, 1)
				if (r+k)%6 == 0 {
					row = append(row, pq.NullValue().Level(rep, 2, 0))
					ib.AppendNull()
					continue
				}
				months, days, ms := uint32(r%40), uint32(k*3+r%30), uint32(r*7919+k)
				b := make([]byte, parquetIntervalBytes)
				binary.LittleEndian.PutUint32(b[0:], months)
				binary.LittleEndian.PutUint32(b[4:], days)
				binary.LittleEndian.PutUint32(b[8:], ms)
				row = append(row, pq.FixedLenByteArrayValue(b).Level(rep, 3, 0))
				ib.Append(arrow.MonthDayNanoInterval{Months: int32(months), Days: int32(days), Nanoseconds: int64(ms) * 1_000_000})
			}
		}
		if _, err := w.WriteRows([]pq.Row{row}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	la := lb.NewArray()
	defer la.Release()
	wantSchema := arrow.NewSchema([]arrow.Field{{Name: "iv", Type: la.DataType(), Nullable: true}}, nil)
	want := array.NewRecordBatch(wantSchema, []arrow.Array{la}, rows)
	defer want.Release()
	data := buf.Bytes()
	f, err := Open(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if !f.Schema().Equal(wantSchema) {
		t.Fatalf("schema %s, want %s", f.Schema(), wantSchema)
	}
	if !byLevelsColumn(&f.cols[0]) {
		t.Fatal("the column is not read by levels")
	}
	for _, batch := range []int{rows, 77} {
		r, err := f.Read(context.Background(), ReadOptions{Alloc: mem, BatchRows: batch})
		if err != nil {
			t.Fatal(err)
		}
		checkAgainst(t, r, want, 0, rows)
		r.Close()
	}
	r, err := f.Read(context.Background(), ReadOptions{Alloc: mem, BatchRows: 50, Spans: []Span{{Group: 1, Lo: 123, Hi: 456}}})
	if err != nil {
		t.Fatal(err)
	}
	checkAgainst(t, r, want, 623, 333)
	r.Close()
}

// TestFixedSizeListsOfArrowGo reads files arrow-go wrote (V1 and V2 data pages, dictionary
// encoded or not) of fixed-size lists of each converted leaf type that arrow-go writes, with
// NULL elements (arrow-go does not write NULL fixed-size lists): a fixed-size list is stored
// as a LIST group, and read by levels as a list of the same values, whole and by a span that
// skips rows, which arrow-go's reader reads too. The files have one row group: arrow-go
// v18.8.0 writes the wrong elements in the row groups after the first of a batch of
// fixed-size lists (and reads them back so).
func TestFixedSizeListsOfArrowGo(t *testing.T) {
	for li, leaf := range convertedLeaves {
		if !leaf.arrowGo {
			continue
		}
		t.Run(leaf.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(li), 29))
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			ef := leaf.field
			ef.Name, ef.Nullable = "element", true
			schema := arrow.NewSchema([]arrow.Field{
				{Name: "key", Type: arrow.PrimitiveTypes.Int64},
				{Name: "c", Type: arrow.FixedSizeListOfField(3, ef), Nullable: true},
			}, nil)
			// The leaf values of a random batch of lists, whose elements the fixed-size
			// lists take three by three.
			const rows = 1500
			src := convertedRows(rng, mem, arrow.NewSchema([]arrow.Field{
				{Name: "key", Type: arrow.PrimitiveTypes.Int64},
				{Name: "v", Type: arrow.ListOfField(ef)},
			}, nil), 3*rows)
			defer src.Release()
			vals := src.Column(1).(*array.List).ListValues()
			b := array.NewRecordBuilder(mem, schema)
			defer b.Release()
			fb := b.Field(1).(*array.FixedSizeListBuilder)
			for r := range rows {
				b.Field(0).(*array.Int64Builder).Append(int64(r))
				fb.Append(true)
				for k := range 3 {
					if (r+k)%7 == 0 {
						fb.ValueBuilder().AppendNull()
						continue
					}
					if err := fb.ValueBuilder().AppendValueFromString(vals.ValueStr((3*r + k) % vals.Len())); err != nil {
						t.Fatal(err)
					}
				}
			}
			want := b.NewRecordBatch()
			defer want.Release()
			for _, v1 := range []bool{false, true} {
				for _, dict := range []bool{false, true} {
					version := parquet.DataPageV2
					if v1 {
						version = parquet.DataPageV1
					}
					data := writeByArrowGo(t, schema, want, parquet.NewWriterProperties(
						parquet.WithDataPageVersion(version), parquet.WithDictionaryDefault(dict),
						parquet.WithDataPageSize(512), parquet.WithMaxRowGroupLength(rows)))
					tbl := readByArrowGo(t, data, 256)
					col, err := array.Concatenate(tbl.Column(1).Data().Chunks(), mem)
					tbl.Release()
					if err != nil {
						t.Fatal(err)
					}
					sameValues(t, "arrow-go c", col, want.Column(1))
					col.Release()
					f, err := Open(bytes.NewReader(data), int64(len(data)))
					if err != nil {
						t.Fatal(err)
					}
					if !byLevelsColumn(&f.cols[1]) {
						t.Fatalf("v1=%v dict=%v: %s is not read by levels", v1, dict, f.Schema().Field(1).Type)
					}
					// Whole, and by a span that skips rows over several pages.
					lo, hi := rng.IntN(700), 700+rng.IntN(800)
					for _, sp := range []Span{{Hi: rows}, {Lo: int64(lo), Hi: int64(hi)}} {
						r, err := f.Read(context.Background(), ReadOptions{Alloc: mem, BatchRows: 1 + rng.IntN(300), Spans: []Span{sp}})
						if err != nil {
							t.Fatal(err)
						}
						row := forBatches(t, r, func(b arrow.RecordBatch, row int) bool {
							got := b.Column(1)
							for j := range got.Len() {
								if g, w := plainValue(got, j), plainValue(want.Column(1), int(sp.Lo)+row+j); !reflect.DeepEqual(g, w) {
									t.Fatalf("v1=%v dict=%v row %d: got %v, want %v", v1, dict, int(sp.Lo)+row+j, g, w)
								}
							}
							return true
						})
						r.Close()
						if row != int(sp.Hi-sp.Lo) {
							t.Fatalf("read %d rows, want %d", row, sp.Hi-sp.Lo)
						}
					}
				}
			}
		})
	}
}
