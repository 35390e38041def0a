package parquet

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"sync/atomic"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// testSchema has one column of every supported type; "key" and "seq" are non-nullable.
var testSchema = arrow.NewSchema([]arrow.Field{
	{Name: "key", Type: arrow.BinaryTypes.String},
	{Name: "seq", Type: arrow.PrimitiveTypes.Int64},
	{Name: "b", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
	{Name: "i8", Type: arrow.PrimitiveTypes.Int8, Nullable: true},
	{Name: "i16", Type: arrow.PrimitiveTypes.Int16, Nullable: true},
	{Name: "i32", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
	{Name: "i64", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "f32", Type: arrow.PrimitiveTypes.Float32, Nullable: true},
	{Name: "f64", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "d9", Type: &arrow.Decimal128Type{Precision: 9, Scale: 2}, Nullable: true},
	{Name: "d18", Type: &arrow.Decimal128Type{Precision: 18, Scale: 4}, Nullable: true},
	{Name: "d38", Type: &arrow.Decimal128Type{Precision: 38, Scale: 10}, Nullable: true},
	{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "bin", Type: arrow.BinaryTypes.Binary, Nullable: true},
	{Name: "date", Type: arrow.FixedWidthTypes.Date32, Nullable: true},
	{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Microsecond}, Nullable: true},
	{Name: "tstz", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}, Nullable: true},
	{Name: "allnull", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
}, nil)

// testValue returns the value of column col at global row r, or nil for NULL. Values mix signs,
// repeat (so dictionaries help) and put nulls in different rows per column.
func testValue(col string, r int) any {
	if col == "allnull" {
		return nil
	}
	if col != "key" && col != "seq" && (r*7+len(col)*3)%11 == 0 {
		return nil
	}
	h := int64(r)*2654435761 + int64(len(col))*97
	m := h % 1000
	switch col {
	case "key":
		return fmt.Sprintf("k%08d", r)
	case "seq":
		return int64(r)
	case "b":
		return r%3 == 0
	case "i8":
		return int64(int8(h))
	case "i16":
		return int64(int16(h))
	case "i32":
		return int64(int32(h))
	case "i64":
		return h * 1_000_003 * sign(r)
	case "f32":
		return float64(float32(m) / 8 * float32(sign(r)))
	case "f64":
		return float64(m) / 3 * float64sign(r)
	case "d9":
		return decimal128.FromI64(m * 12345 * sign(r))
	case "d18":
		return decimal128.FromI64(h % 1_000_000_000_000_000 * sign(r))
	case "d38":
		return decimal128.New(int64(m)*sign(r)*1_000_000, uint64(h)).Mul(decimal128.FromI64(1)) // large magnitudes of both signs
	case "s":
		if r%13 == 0 {
			return ""
		}
		return fmt.Sprintf("value-%d", m)
	case "bin":
		return []byte{byte(m), byte(m >> 8), 0, byte(r)}
	case "date":
		return int64(18000 + m*sign(r))
	case "ts", "tstz":
		return h * 1000 * sign(r)
	}
	panic(col)
}

func sign(r int) int64 {
	if r%2 == 0 {
		return -1
	}
	return 1
}

func float64sign(r int) float64 { return float64(sign(r)) }

// genBatch builds rows [start, start+n) of schema (whose field names index testValue).
func genBatch(t testing.TB, mem memory.Allocator, schema *arrow.Schema, start, n int) arrow.RecordBatch {
	t.Helper()
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	for i, f := range schema.Fields() {
		fb := b.Field(i)
		for r := start; r < start+n; r++ {
			v := testValue(f.Name, r)
			if v == nil {
				fb.AppendNull()
				continue
			}
			switch fb := fb.(type) {
			case *array.StringBuilder:
				fb.Append(v.(string))
			case *array.BinaryBuilder:
				fb.Append(v.([]byte))
			case *array.BooleanBuilder:
				fb.Append(v.(bool))
			case *array.Int8Builder:
				fb.Append(int8(v.(int64)))
			case *array.Int16Builder:
				fb.Append(int16(v.(int64)))
			case *array.Int32Builder:
				fb.Append(int32(v.(int64)))
			case *array.Int64Builder:
				fb.Append(v.(int64))
			case *array.Float32Builder:
				fb.Append(float32(v.(float64)))
			case *array.Float64Builder:
				fb.Append(v.(float64))
			case *array.Decimal128Builder:
				fb.Append(v.(decimal128.Num))
			case *array.Date32Builder:
				fb.Append(arrow.Date32(v.(int64)))
			case *array.TimestampBuilder:
				fb.Append(arrow.Timestamp(v.(int64)))
			default:
				t.Fatalf("no builder case for %T", fb)
			}
		}
	}
	return b.NewRecordBatch()
}

// goValue returns row i of a as testValue represents it.
func goValue(a arrow.Array, i int) any {
	if a.IsNull(i) {
		return nil
	}
	switch a := a.(type) {
	case *array.String:
		return a.Value(i)
	case *array.Binary:
		return append([]byte{}, a.Value(i)...)
	case *array.Boolean:
		return a.Value(i)
	case *array.Int8:
		return int64(a.Value(i))
	case *array.Int16:
		return int64(a.Value(i))
	case *array.Int32:
		return int64(a.Value(i))
	case *array.Int64:
		return a.Value(i)
	case *array.Float32:
		return float64(a.Value(i))
	case *array.Float64:
		return a.Value(i)
	case *array.Decimal128:
		return a.Value(i)
	case *array.Date32:
		return int64(a.Value(i))
	case *array.Timestamp:
		return int64(a.Value(i))
	}
	panic(fmt.Sprintf("goValue: %T", a))
}

func equalValues(a, b any) bool {
	if x, ok := a.([]byte); ok {
		y, ok := b.([]byte)
		return ok && bytes.Equal(x, y)
	}
	if x, ok := a.(float64); ok {
		y, ok := b.(float64)
		return ok && (x == y || math.IsNaN(x) && math.IsNaN(y))
	}
	return a == b
}

// writeFile writes rows [0, rows) of schema to a buffer in batches of the given sizes (cycled).
func writeFile(t testing.TB, mem memory.Allocator, schema *arrow.Schema, props Properties, rows int, batches ...int) ([]byte, Meta) {
	t.Helper()
	return writeFileWith(t, mem, schema, props, nil, rows, batches...)
}

// writeFileWith is writeFile with writer options.
func writeFileWith(t testing.TB, mem memory.Allocator, schema *arrow.Schema, props Properties, opts []WriterOption, rows int, batches ...int) ([]byte, Meta) {
	t.Helper()
	var buf bytes.Buffer
	w, err := NewWriter(&buf, schema, props, opts...)
	if err != nil {
		t.Fatal(err)
	}
	w.SetKeyValue("sketch", "abc")
	for r, i := 0, 0; r < rows; i++ {
		n := min(batches[i%len(batches)], rows-r)
		b := genBatch(t, mem, schema, r, n)
		if err := w.Write(b); err != nil {
			t.Fatal(err)
		}
		b.Release()
		r += n
	}
	meta, err := w.Close()
	if err != nil {
		t.Fatal(err)
	}
	if meta.Rows != int64(rows) || meta.Bytes != int64(buf.Len()) {
		t.Fatalf("meta %+v, want %d rows and %d bytes", meta, rows, buf.Len())
	}
	return buf.Bytes(), meta
}

// readAll reads every batch of r, checking each against testValue for the global rows given
// by rowAt (the n-th row read overall).
func checkRead(t *testing.T, r *Reader, rowAt func(n int) int, wantRows int) {
	t.Helper()
	ctx := context.Background()
	n := 0
	for {
		b, err := r.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if !b.Schema().Equal(r.Schema()) {
			t.Fatalf("batch schema %s, want %s", b.Schema(), r.Schema())
		}
		for c, f := range b.Schema().Fields() {
			col := b.Column(c)
			if err := array.ValidateFull(col); err != nil {
				t.Fatalf("column %s: %v", f.Name, err)
			}
			for i := 0; i < int(b.NumRows()); i++ {
				row := rowAt(n + i)
				got, want := goValue(col, i), testValue(f.Name, row)
				if !equalValues(got, want) {
					b.Release()
					t.Fatalf("column %s row %d: got %v, want %v", f.Name, row, got, want)
				}
			}
		}
		n += int(b.NumRows())
		b.Release()
	}
	if n != wantRows {
		t.Fatalf("read %d rows, want %d", n, wantRows)
	}
}

// countingReaderAt counts the bytes read through it.
type countingReaderAt struct {
	r io.ReaderAt
	n atomic.Int64
}

func (c *countingReaderAt) ReadAt(p []byte, off int64) (int, error) {
	n, err := c.r.ReadAt(p, off)
	c.n.Add(int64(n))
	return n, err
}

// corruptLength writes batch (releasing it) uncompressed and makes the length of the first
// byte array holding value run past its page.
func corruptLength(t testing.TB, schema *arrow.Schema, batch arrow.RecordBatch, value string) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := NewWriter(&buf, schema, Properties{Compression: None, Encoding: EncodingPlain})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(batch); err != nil {
		t.Fatal(err)
	}
	batch.Release()
	if _, err := w.Close(); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	i := bytes.Index(data, []byte(value))
	if i < 4 {
		t.Fatal("value not found in the file")
	}
	data[i-4], data[i-3] = 0xff, 0x7f
	return data
}

// readByArrowGo reads a whole file with arrow-go's reader in batches of batchSize rows.
// arrow-go reads with an allocator of its own: its DELTA_BINARY_PACKED decoder (v18.8.0)
// never frees the buffer of a block's miniblock bit widths, which a checked allocator would
// report as a leak of the test's.
func readByArrowGo(t testing.TB, data []byte, batchSize int64) arrow.Table {
	t.Helper()
	mem := memory.NewGoAllocator()
	pf, err := file.NewParquetReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer pf.Close()
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: batchSize}, mem)
	if err != nil {
		t.Fatal(err)
	}
	tbl, err := fr.ReadTable(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return tbl
}

// writeBatch writes batch in a file of schema with props (and opts) and returns the file.
func writeBatch(t testing.TB, schema *arrow.Schema, props Properties, batch arrow.RecordBatch, opts ...WriterOption) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := NewWriter(&buf, schema, props, opts...)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(batch); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// writeByArrowGo writes batch in a file of schema with arrow-go's pqarrow, with props and the
// Arrow schema stored, and returns the file.
func writeByArrowGo(t testing.TB, schema *arrow.Schema, batch arrow.RecordBatch, props *parquet.WriterProperties) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := pqarrow.NewFileWriter(schema, &buf, props, pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema()))
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(batch); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// openRead opens the file data and starts reading it with opts.
func openRead(t testing.TB, data []byte, opts ReadOptions) *Reader {
	t.Helper()
	f, err := Open(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	r, err := f.Read(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// drainRows reads r to its end, releasing the batches, closes it and returns how many rows
// it gave.
func drainRows(t testing.TB, r *Reader) int {
	t.Helper()
	defer r.Close()
	rows := 0
	for {
		rec, err := r.Next(context.Background())
		if err == io.EOF {
			return rows
		}
		if err != nil {
			t.Fatal(err)
		}
		rows += int(rec.NumRows())
		rec.Release()
	}
}

// openWithSchema opens the file data holds and checks that its schema is schema.
func openWithSchema(t *testing.T, data []byte, schema *arrow.Schema) *File {
	t.Helper()
	f, err := Open(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if !f.Schema().Equal(schema) {
		t.Fatalf("schema read\n%s\nwant\n%s", f.Schema(), schema)
	}
	return f
}

// readAllAgainst reads all of f in batches of batchRows rows and checks that they are the
// first rows rows of want.
func readAllAgainst(t *testing.T, f *File, mem memory.Allocator, batchRows int, want arrow.RecordBatch, rows int) {
	t.Helper()
	r, err := f.Read(context.Background(), ReadOptions{Alloc: mem, BatchRows: batchRows})
	if err != nil {
		t.Fatal(err)
	}
	checkAgainst(t, r, want, 0, rows)
	r.Close()
}
