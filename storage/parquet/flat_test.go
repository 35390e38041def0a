package parquet

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
	pq "github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

// flatSchema has only the column types the flat path writes, and "long", strings longer
// than the column index keeps of a bound.
var flatSchema = arrow.NewSchema([]arrow.Field{
	{Name: "key", Type: arrow.BinaryTypes.String},
	{Name: "seq", Type: arrow.PrimitiveTypes.Int64},
	{Name: "i8", Type: arrow.PrimitiveTypes.Int8, Nullable: true},
	{Name: "i16", Type: arrow.PrimitiveTypes.Int16, Nullable: true},
	{Name: "i32", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
	{Name: "i64", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "bin", Type: arrow.BinaryTypes.Binary, Nullable: true},
	{Name: "date", Type: arrow.FixedWidthTypes.Date32, Nullable: true},
	{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Microsecond}, Nullable: true},
	{Name: "tstz", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}, Nullable: true},
	{Name: "allnull", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "long", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "someNull", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "f4", Type: arrow.PrimitiveTypes.Float32, Nullable: true},
	{Name: "f8", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "bool", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
	{Name: "fnn", Type: arrow.PrimitiveTypes.Float64},
	{Name: "d9", Type: &arrow.Decimal128Type{Precision: 9, Scale: 2}, Nullable: true},
	{Name: "d18", Type: &arrow.Decimal128Type{Precision: 18, Scale: 4}, Nullable: true},
}, nil)

// flatFloat is the value of float column f4, f8 or fnn (not nullable) at row r: numbers of
// both signs with NULLs, NaNs and infinities among them, runs of only NaN (rows 4000-4299,
// the start of a row group in most layouts, and 6800-6899), a run of NaN and zeros of both
// signs (6000-6399) and a run of only zeros of both signs (7000-7199).
func flatFloat(col string, r int) any {
	if col == "f4" {
		r += 7 // the float columns' runs start at different rows
	}
	switch {
	case col != "fnn" && r%11 == 3:
		return nil
	case r >= 4000 && r < 4300, r >= 6800 && r < 6900, r%17 == 0:
		return math.NaN()
	case r >= 6000 && r < 6400:
		switch r % 3 {
		case 0:
			return negZero
		case 1:
			return 0.0
		}
		return math.NaN()
	case r >= 7000 && r < 7200:
		if (r/5)%2 == 0 {
			return negZero
		}
		return 0.0
	case r%301 == 1:
		return math.Inf(1)
	case r%307 == 2:
		return math.Inf(-1)
	}
	v := float64((r*7919)%1000) / 8 * float64sign(r)
	if col == "f4" {
		v = float64(float32(v))
	}
	return v
}

// flatValue is testValue with the columns only flatSchema has: "long" (long strings, some
// of one repeated two-byte character, the rows 1000-1499 null) and "someNull" (null in rows 2000-3999).
func flatValue(col string, r int) any {
	switch col {
	case "long":
		if r >= 1000 && r < 1500 {
			return nil
		}
		if r%97 == 5 {
			return strings.Repeat("\u00ff", 20+r%5)
		}
		return fmt.Sprintf("%s-%06d-%s", strings.Repeat("x", r%7), (r*7919)%100000, strings.Repeat("y", 10+r%13))
	case "someNull":
		if r >= 2000 && r < 4000 {
			return nil
		}
		return fmt.Sprintf("v%d", r%50)
	case "f4", "f8", "fnn":
		return flatFloat(col, r)
	case "bool":
		switch {
		case r%13 == 6:
			return nil
		case r >= 2000 && r < 2600:
			return true
		case r >= 8000 && r < 8400:
			return false
		}
		return r%3 == 0
	}
	return testValue(col, r)
}

// flatBatch builds rows [start, start+n) of flatSchema.
func flatBatch(t testing.TB, mem memory.Allocator, start, n int) arrow.RecordBatch {
	t.Helper()
	b := array.NewRecordBuilder(mem, flatSchema)
	defer b.Release()
	for i, f := range flatSchema.Fields() {
		for r := start; r < start+n; r++ {
			v := flatValue(f.Name, r)
			if v == nil {
				b.Field(i).AppendNull()
				continue
			}
			switch fb := b.Field(i).(type) {
			case *array.StringBuilder:
				fb.Append(v.(string))
			case *array.BinaryBuilder:
				fb.Append(v.([]byte))
			case *array.Float32Builder:
				fb.Append(float32(v.(float64)))
			case *array.Float64Builder:
				fb.Append(v.(float64))
			case *array.BooleanBuilder:
				fb.Append(v.(bool))
			case *array.Decimal128Builder:
				fb.Append(v.(decimal128.Num))
			case *array.Int8Builder:
				fb.Append(int8(v.(int64)))
			case *array.Int16Builder:
				fb.Append(int16(v.(int64)))
			case *array.Int32Builder:
				fb.Append(int32(v.(int64)))
			case *array.Int64Builder:
				fb.Append(v.(int64))
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

// writeFlat writes rows [0, rows) of flatSchema, through the flat path or parquet-go's.
func writeFlat(t *testing.T, mem memory.Allocator, flat bool, props Properties, opts []WriterOption, rows int, batches ...int) []byte {
	t.Helper()
	defer func(old bool) { flatPath = old }(flatPath)
	flatPath = flat
	var buf bytes.Buffer
	w, err := NewWriter(&buf, flatSchema, props, opts...)
	if err != nil {
		t.Fatal(err)
	}
	if (w.flat != nil) != flat {
		t.Fatalf("flat path %v, want %v", w.flat != nil, flat)
	}
	w.SetKeyValue("sketch", "abc")
	w.SetKeyValue("other", "1")
	w.SetKeyValue("sketch", "def")
	for r, i := 0, 0; r < rows; i++ {
		n := min(batches[i%len(batches)], rows-r)
		b := flatBatch(t, mem, r, n)
		// A slice of a larger batch: offsets that do not start at 0.
		if i%2 == 1 && n > 1 {
			big := flatBatch(t, mem, r-1, n+1)
			b.Release()
			b = big.NewSlice(1, int64(n+1))
			big.Release()
		}
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
	return buf.Bytes()
}

// TestFlatPathTaken checks which schemas the flat path writes.
func TestFlatPathTaken(t *testing.T) {
	for _, tt := range []struct {
		schema *arrow.Schema
		props  Properties
		flat   bool
	}{
		{flatSchema, Properties{}, true},
		{flatSchema, Properties{Dictionary: true}, false},
		{testSchema, Properties{}, false}, // decimal(38, s)
		{arrow.NewSchema([]arrow.Field{{Name: "d", Type: &arrow.Decimal128Type{Precision: 19, Scale: 2}}}, nil), Properties{}, false},
		{arrow.NewSchema([]arrow.Field{
			{Name: "b", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
			{Name: "f", Type: arrow.PrimitiveTypes.Float32},
			{Name: "d", Type: &arrow.Decimal128Type{Precision: 18, Scale: 2}, Nullable: true},
		}, nil), Properties{}, true},
		{arrow.NewSchema([]arrow.Field{{Name: "l", Type: arrow.ListOf(arrow.PrimitiveTypes.Int64), Nullable: true}}, nil), Properties{}, false},
	} {
		w, err := NewWriter(&bytes.Buffer{}, tt.schema, tt.props)
		if err != nil {
			t.Fatal(err)
		}
		if (w.flat != nil) != tt.flat {
			t.Errorf("schema %s %+v: flat path %v, want %v", tt.schema, tt.props, w.flat != nil, tt.flat)
		}
		if _, err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestFlatMatchesParquetGo writes the same rows through the flat path and through
// parquet-go and compares the files' footers (schema, key/values, row groups, column
// chunk types, encodings, codecs and statistics), checks every page's entry in the page
// index against the rows it holds, and reads every value back with this package's reader
// and with arrow-go's.
func TestFlatMatchesParquetGo(t *testing.T) {
	for _, tt := range []struct {
		name  string
		props Properties
		opts  []WriterOption
	}{
		{"zstd", Properties{RowGroupRows: 4000, PageBytes: 512}, nil},
		{"keys", Properties{RowGroupRows: 4000, PageBytes: 256, ValuePageBytes: 4096}, []WriterOption{KeyColumns(0, 1)}},
		{"snappy", Properties{Compression: Snappy, RowGroupRows: 3000}, nil},
		{"gzip", Properties{Compression: Gzip, PageBytes: 1 << 10}, nil},
		{"none", Properties{Compression: None, RowGroupRows: 2500, PageBytes: 700}, []WriterOption{QueueBatches(1)}},
	} {
		for _, enc := range []string{EncodingPlain, EncodingDelta} {
			t.Run(tt.name+"/"+enc, func(t *testing.T) {
				mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
				defer mem.AssertSize(t, 0)
				const rows = 9000
				props := tt.props
				props.Encoding = enc
				flat := writeFlat(t, mem, true, props, tt.opts, rows, 333, 1000, 1)
				ref := writeFlat(t, mem, false, props, tt.opts, rows, 333, 1000, 1)
				compareFooters(t, flat, ref, enc == EncodingDelta)
				checkPageIndex(t, flat, rows)
				checkFloatPageIndex(t, flat, ref, rows)
				checkCRCs(t, flat)
				checkCRCs(t, ref)

				f, err := Open(bytes.NewReader(flat), int64(len(flat)), WithPageIndex())
				if err != nil {
					t.Fatal(err)
				}
				if !f.Schema().Equal(flatSchema) {
					t.Fatalf("schema %s", f.Schema())
				}
				if v, _ := f.KeyValue("sketch"); v != "def" {
					t.Fatalf("sketch %q", v)
				}
				r, err := f.Read(context.Background(), ReadOptions{Alloc: mem})
				if err != nil {
					t.Fatal(err)
				}
				checkFlatRead(t, r, rows)
				r.Close()
				checkArrowGoRead(t, mem, flat, rows)
			})
		}
	}
}

// compareFooters compares the footer of a file written by the flat path with parquet-go's
// (PLAIN values). With delta, the flat file's integer and byte-array columns are expected in
// the delta encodings instead.
func compareFooters(t *testing.T, flat, ref []byte, delta bool) {
	t.Helper()
	ff, err := pq.OpenFile(bytes.NewReader(flat), int64(len(flat)))
	if err != nil {
		t.Fatal(err)
	}
	rf, err := pq.OpenFile(bytes.NewReader(ref), int64(len(ref)))
	if err != nil {
		t.Fatal(err)
	}
	fm, rm := ff.Metadata(), rf.Metadata()
	if !reflect.DeepEqual(fm.Schema, rm.Schema) {
		t.Fatalf("schema elements\n%+v\nwant\n%+v", fm.Schema, rm.Schema)
	}
	if !reflect.DeepEqual(fm.KeyValueMetadata, rm.KeyValueMetadata) || fm.CreatedBy != rm.CreatedBy ||
		!reflect.DeepEqual(fm.ColumnOrders, rm.ColumnOrders) || fm.NumRows != rm.NumRows || fm.Version != rm.Version {
		t.Fatalf("footer differs")
	}
	if len(fm.RowGroups) != len(rm.RowGroups) {
		t.Fatalf("%d row groups, want %d", len(fm.RowGroups), len(rm.RowGroups))
	}
	for g := range fm.RowGroups {
		fg, rg := &fm.RowGroups[g], &rm.RowGroups[g]
		if fg.NumRows != rg.NumRows || fg.Ordinal != rg.Ordinal {
			t.Fatalf("row group %d: %d rows ordinal %d, want %d, %d", g, fg.NumRows, fg.Ordinal, rg.NumRows, rg.Ordinal)
		}
		for c := range fg.Columns {
			fc, rc := &fg.Columns[c].MetaData, &rg.Columns[c].MetaData
			fe, re := slices.Clone(fc.Encoding), slices.Clone(rc.Encoding)
			if delta {
				for i, e := range re {
					if e != format.Plain {
						continue
					}
					switch rc.Type {
					case format.Int32, format.Int64:
						re[i] = format.DeltaBinaryPacked
					case format.ByteArray:
						re[i] = format.DeltaByteArray
					}
				}
				for _, st := range fg.Columns[c].MetaData.EncodingStats {
					if !slices.Contains(re, st.Encoding) {
						t.Fatalf("row group %d column %d: pages encoded %s, want %v", g, c, st.Encoding, re)
					}
				}
			}
			slices.Sort(fe)
			slices.Sort(re)
			if fc.Type != rc.Type || fc.Codec != rc.Codec || fc.NumValues != rc.NumValues ||
				!slices.Equal(fc.PathInSchema, rc.PathInSchema) || !slices.Equal(fe, re) {
				t.Fatalf("row group %d column %d: %+v\nwant %+v", g, c, fc, rc)
			}
			fs, rs := fc.Statistics, rc.Statistics
			if fs.NullCount != rs.NullCount || !bytes.Equal(fs.MinValue, rs.MinValue) || !bytes.Equal(fs.MaxValue, rs.MaxValue) ||
				(fs.MinValue == nil) != (rs.MinValue == nil) {
				t.Fatalf("row group %d column %v: statistics %+v, want %+v", g, fc.PathInSchema, fs, rs)
			}
			if fc.SizeStatistics.UnencodedByteArrayDataBytes != rc.SizeStatistics.UnencodedByteArrayDataBytes {
				t.Fatalf("row group %d column %v: unencoded bytes %d, want %d", g, fc.PathInSchema, fc.SizeStatistics.UnencodedByteArrayDataBytes, rc.SizeStatistics.UnencodedByteArrayDataBytes)
			}
		}
	}
}

// checkPageIndex checks each page's bounds and null count in the page index against the
// rows it holds: the bounds hold every value of the page, and are its exact min and max
// unless truncated.
func checkPageIndex(t *testing.T, data []byte, rows int) {
	t.Helper()
	f, err := Open(bytes.NewReader(data), int64(len(data)), WithPageIndex())
	if err != nil {
		t.Fatal(err)
	}
	base := 0
	for g, rg := range f.RowGroups() {
		for c, fld := range flatSchema.Fields() {
			pages, ok := f.Pages(g, c)
			if !ok {
				t.Fatalf("row group %d column %s: no page index", g, fld.Name)
			}
			var next int64
			for _, p := range pages {
				if p.FirstRow != next || p.Rows <= 0 {
					t.Fatalf("row group %d column %s: page %+v after row %d", g, fld.Name, p, next)
				}
				var nulls int64
				var lo, hi any
				for r := base + int(p.FirstRow); r < base+int(p.FirstRow+p.Rows); r++ {
					v := flatValue(fld.Name, r)
					if v == nil {
						nulls++
						continue
					}
					if lo == nil || less(v, lo) {
						lo = v
					}
					if hi == nil || less(hi, v) {
						hi = v
					}
				}
				isFloat := fld.Type.ID() == arrow.FLOAT32 || fld.Type.ID() == arrow.FLOAT64
				if p.Stats.NullCount != nulls && !isFloat {
					t.Fatalf("row group %d column %s page at %d: %d nulls, want %d", g, fld.Name, p.FirstRow, p.Stats.NullCount, nulls)
				}
				switch {
				case isFloat:
					// The reader does not use float page statistics: checkFloatPageIndex checks them.
					if p.Stats.HasMinMax {
						t.Fatalf("row group %d column %s page at %d: float page bounds", g, fld.Name, p.FirstRow)
					}
				case lo == nil:
					if p.Stats.HasMinMax {
						t.Fatalf("row group %d column %s page at %d: bounds of a null page", g, fld.Name, p.FirstRow)
					}
				default:
					// Byte array bounds are truncated in the column index; a maximum that
					// cannot be rounded up is all 0xff, which the reader does not trust.
					wantLo, wantHi := lo, hi
					if s, ok := lo.(string); ok && len(s) > columnIndexLimit {
						wantLo = s[:columnIndexLimit]
					}
					if s, ok := hi.(string); ok && len(s) > columnIndexLimit {
						m := []byte(s[:columnIndexLimit])
						incrementBytes(m)
						wantHi = string(m)
						if allOnes(m) {
							if p.Stats.HasMinMax {
								t.Fatalf("row group %d column %s page at %d: bounds %+v of an all-0xff maximum", g, fld.Name, p.FirstRow, p.Stats)
							}
							break
						}
					}
					if !p.Stats.HasMinMax || !equalValues(p.Stats.Min, wantLo) || !equalValues(p.Stats.Max, wantHi) {
						t.Fatalf("row group %d column %s page at %d: bounds %+v, want [%v, %v]", g, fld.Name, p.FirstRow, p.Stats, wantLo, wantHi)
					}
				}
				next += p.Rows
			}
			if next != rg.Rows {
				t.Fatalf("row group %d column %s: pages cover %d rows of %d", g, fld.Name, next, rg.Rows)
			}
		}
		base += int(rg.Rows)
	}
	if base != rows {
		t.Fatalf("%d rows in row groups, want %d", base, rows)
	}
}

func checkFlatRead(t *testing.T, r *Reader, rows int) {
	t.Helper()
	n := 0
	for {
		b, err := r.Next(context.Background())
		if err != nil {
			break
		}
		for c, f := range b.Schema().Fields() {
			col := b.Column(c)
			if err := array.ValidateFull(col); err != nil {
				t.Fatalf("column %s: %v", f.Name, err)
			}
			for i := 0; i < int(b.NumRows()); i++ {
				if got, want := goValue(col, i), flatValue(f.Name, n+i); !equalValues(got, want) {
					b.Release()
					t.Fatalf("column %s row %d: got %v, want %v", f.Name, n+i, got, want)
				}
			}
		}
		n += int(b.NumRows())
		b.Release()
	}
	if n != rows {
		t.Fatalf("read %d rows, want %d", n, rows)
	}
}

func checkArrowGoRead(t *testing.T, mem memory.Allocator, data []byte, rows int) {
	t.Helper()
	_ = mem
	tbl := readByArrowGo(t, data, 700)
	defer tbl.Release()
	if tbl.NumRows() != int64(rows) {
		t.Fatalf("arrow-go: %d rows", tbl.NumRows())
	}
	for i, f := range flatSchema.Fields() {
		col, err := array.Concatenate(tbl.Column(i).Data().Chunks(), memory.NewGoAllocator())
		if err != nil {
			t.Fatal(err)
		}
		for r := 0; r < rows; r++ {
			if g, w := goValue(col, r), flatValue(f.Name, r); !equalValues(g, w) {
				col.Release()
				t.Fatalf("arrow-go: column %s row %d: got %v, want %v", f.Name, r, g, w)
			}
		}
		col.Release()
	}
}

// checkCRCs checks the CRC of every data page the offset index lists.
func checkCRCs(t *testing.T, data []byte) {
	t.Helper()
	f, err := pq.OpenFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	pages := 0
	for _, oi := range f.OffsetIndexes() {
		for _, loc := range oi.PageLocations {
			buf := data[loc.Offset : loc.Offset+int64(loc.CompressedPageSize)]
			r := bytes.NewReader(buf)
			var h format.PageHeader
			if err := thrift.NewDecoder(new(thrift.CompactProtocol).NewReader(r)).Decode(&h); err != nil {
				t.Fatal(err)
			}
			body := buf[len(buf)-r.Len():]
			if len(body) != int(h.CompressedPageSize) {
				t.Fatalf("page at %d: %d bytes after the header, header says %d", loc.Offset, len(body), h.CompressedPageSize)
			}
			if h.CRC != int32(crc32.ChecksumIEEE(body)) {
				t.Fatalf("page at %d: CRC %x, want %x", loc.Offset, h.CRC, crc32.ChecksumIEEE(body))
			}
			pages++
		}
	}
	if pages == 0 {
		t.Fatal("no pages")
	}
}

// checkFloatPageIndex checks the column index entries of the float and boolean columns
// against the values of each page by parquet-go's rules (a float page's bounds leave NaN out,
// a page of only NaN has its first NaN as both bounds, the first of -0 and +0 seen stays a
// bound), byte for byte, and against parquet-go's own column index (ref) where both files
// cut the chunk into the same pages.
func checkFloatPageIndex(t *testing.T, data, ref []byte, rows int) {
	t.Helper()
	ff, err := pq.OpenFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	rf, err := pq.OpenFile(bytes.NewReader(ref), int64(len(ref)))
	if err != nil {
		t.Fatal(err)
	}
	fields := flatSchema.Fields()
	fcis, foix := ff.ColumnIndexes(), ff.OffsetIndexes()
	rcis, roix := rf.ColumnIndexes(), rf.OffsetIndexes()
	base, compared := 0, 0
	for g, rg := range ff.Metadata().RowGroups {
		for c, fld := range fields {
			id := fld.Type.ID()
			if id != arrow.FLOAT32 && id != arrow.FLOAT64 && id != arrow.BOOL {
				continue
			}
			k := g*len(fields) + c
			ci, locs := fcis[k], foix[k].PageLocations
			for p, loc := range locs {
				end := rg.NumRows
				if p+1 < len(locs) {
					end = locs[p+1].FirstRowIndex
				}
				var vals []any
				nulls := int64(0)
				for r := base + int(loc.FirstRowIndex); r < base+int(end); r++ {
					if v := flatValue(fld.Name, r); v != nil {
						vals = append(vals, v)
					} else {
						nulls++
					}
				}
				if ci.NullCounts[p] != nulls || ci.NullPages[p] != (len(vals) == 0) {
					t.Fatalf("row group %d column %s page %d: %d nulls (null page %v), want %d of %d", g, fld.Name, p, ci.NullCounts[p], ci.NullPages[p], nulls, end-loc.FirstRowIndex)
				}
				if len(vals) == 0 {
					continue
				}
				lo, hi := parquetGoBounds(id, vals)
				if !bytes.Equal(ci.MinValues[p], lo) || !bytes.Equal(ci.MaxValues[p], hi) {
					t.Fatalf("row group %d column %s page %d: bounds %x %x, want %x %x", g, fld.Name, p, ci.MinValues[p], ci.MaxValues[p], lo, hi)
				}
			}
			// parquet-go's column index of the same chunk, where its pages are the same.
			rci := rcis[k]
			if slices.Equal(locRows(locs), locRows(roix[k].PageLocations)) {
				compared++
				for p := range locs {
					if rci.NullPages[p] != ci.NullPages[p] || rci.NullCounts[p] != ci.NullCounts[p] ||
						!rci.NullPages[p] && (!bytes.Equal(rci.MinValues[p], ci.MinValues[p]) || !bytes.Equal(rci.MaxValues[p], ci.MaxValues[p])) {
						t.Fatalf("row group %d column %s page %d: index entry differs from parquet-go's", g, fld.Name, p)
					}
				}
			}
		}
		base += int(rg.NumRows)
	}
	if base != rows {
		t.Fatalf("%d rows, want %d", base, rows)
	}
	t.Logf("%d float and boolean chunks compared with parquet-go's column index", compared)
}

func locRows(locs []format.PageLocation) []int64 {
	out := make([]int64, len(locs))
	for i, l := range locs {
		out[i] = l.FirstRowIndex
	}
	return out
}

// parquetGoBounds returns the statistics bytes of a page of vals (no nulls) by parquet-go's
// rules.
func parquetGoBounds(id arrow.Type, vals []any) (lo, hi []byte) {
	if id == arrow.BOOL {
		min, max := byte(1), byte(0)
		for _, v := range vals {
			if v.(bool) {
				max = 1
			} else {
				min = 0
			}
		}
		return []byte{min}, []byte{max}
	}
	var l, h float64
	found := false
	for _, v := range vals {
		f := v.(float64)
		switch {
		case math.IsNaN(f):
		case !found:
			l, h, found = f, f, true
		case f < l:
			l = f
		case f > h:
			h = f
		}
	}
	if !found {
		l, h = vals[0].(float64), vals[0].(float64)
	}
	if id == arrow.FLOAT32 {
		return binary.LittleEndian.AppendUint32(nil, math.Float32bits(float32(l))), binary.LittleEndian.AppendUint32(nil, math.Float32bits(float32(h)))
	}
	return binary.LittleEndian.AppendUint64(nil, math.Float64bits(l)), binary.LittleEndian.AppendUint64(nil, math.Float64bits(h))
}

// TestFlatFloatChunkBounds writes a float chunk whose first pages hold only NaN: its bounds
// are those of its numbers (parquet-go keeps the first page's NaN, which bounds nothing), and
// a chunk of only NaN and NULL has no usable bounds; the NaN record counts every NaN.
func TestFlatFloatChunkBounds(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	schema := arrow.NewSchema([]arrow.Field{{Name: "f", Type: arrow.PrimitiveTypes.Float64, Nullable: true}}, nil)
	b := array.NewFloat64Builder(mem)
	defer b.Release()
	for r := range 2000 {
		switch {
		case r%10 == 9:
			b.AppendNull()
		case r < 500, r >= 1000: // group 0: NaN then numbers; group 1: NaN and NULL only
			b.Append(math.NaN())
		case r == 700:
			b.Append(negZero)
		default:
			b.Append(float64(r%300) - 7)
		}
	}
	col := b.NewArray()
	defer col.Release()
	rec := array.NewRecordBatch(schema, []arrow.Array{col}, int64(col.Len()))
	defer rec.Release()
	var buf bytes.Buffer
	w, err := NewWriter(&buf, schema, Properties{RowGroupRows: 1000, PageBytes: 256})
	if err != nil {
		t.Fatal(err)
	}
	if w.flat == nil {
		t.Fatal("float column not on the flat path")
	}
	if err := w.Write(rec); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f, err := Open(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := f.KeyValue(NaNCountsKey); v != `{"f":[450,900]}` {
		t.Errorf("%s = %s", NaNCountsKey, v)
	}
	g := f.RowGroups()
	st0, st1 := g[0].Columns[0], g[1].Columns[0]
	if !st0.HasMinMax || st0.Min != -7.0 || st0.Max != 291.0 || !st0.MayHoldNaN || st0.NullCount != 100 {
		t.Errorf("group 0: %+v, want bounds -7 291 with NaN and 100 nulls", st0)
	}
	if st1.HasMinMax || !st1.MayHoldNaN || st1.NullCount != 100 {
		t.Errorf("group 1: %+v, want no bounds, NaN and 100 nulls", st1)
	}
	r, err := f.Read(context.Background(), ReadOptions{Alloc: mem})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	n := 0
	for {
		got, err := r.Next(context.Background())
		if err != nil {
			break
		}
		for i := range int(got.NumRows()) {
			gv, wv := goValue(got.Column(0), i), goValue(col, n+i)
			if !equalValues(gv, wv) || wv != nil && math.Signbit(wv.(float64)) != math.Signbit(gv.(float64)) {
				got.Release()
				t.Fatalf("row %d: %v, want %v", n+i, gv, wv)
			}
		}
		n += int(got.NumRows())
		got.Release()
	}
	if n != 2000 {
		t.Fatalf("read %d rows", n)
	}
}
