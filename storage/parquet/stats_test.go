package parquet

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
	pq "github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

// less orders the Go values of ColumnStats.
func less(a, b any) bool {
	switch a := a.(type) {
	case int64:
		return a < b.(int64)
	case float64:
		return a < b.(float64)
	case string:
		return a < b.(string)
	case []byte:
		return bytes.Compare(a, b.([]byte)) < 0
	case bool:
		return !a && b.(bool)
	case decimal128.Num:
		return a.Less(b.(decimal128.Num))
	}
	panic(a)
}

func TestStatistics(t *testing.T) {
	for _, dict := range []bool{false, true} {
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		defer mem.AssertSize(t, 0)
		const rows = 2600
		data, _ := writeFile(t, mem, testSchema, Properties{RowGroupRows: 1000, PageBytes: 1 << 10, Dictionary: dict}, rows, 640)
		f, err := Open(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			t.Fatal(err)
		}
		groups := f.RowGroups()
		if len(groups) != 3 {
			t.Fatalf("%d row groups", len(groups))
		}
		start := 0
		for g, rg := range groups {
			if want := min(1000, rows-start); rg.Rows != int64(want) {
				t.Fatalf("row group %d: %d rows, want %d", g, rg.Rows, want)
			}
			for c, fd := range testSchema.Fields() {
				var lo, hi any
				var nulls int64
				for r := start; r < start+int(rg.Rows); r++ {
					v := testValue(fd.Name, r)
					switch {
					case v == nil:
						nulls++
					case lo == nil:
						lo, hi = v, v
					default:
						if less(v, lo) {
							lo = v
						}
						if less(hi, v) {
							hi = v
						}
					}
				}
				st := rg.Columns[c]
				if st.NullCount != nulls {
					t.Errorf("dict=%v group %d column %s: null count %d, want %d", dict, g, fd.Name, st.NullCount, nulls)
				}
				if lo == nil {
					if st.HasMinMax {
						t.Errorf("group %d column %s: min/max %v %v for all nulls", g, fd.Name, st.Min, st.Max)
					}
					continue
				}
				if fd.Name == "d38" {
					// Fixed-length decimals are written without bounds (parquet-go orders them unsigned).
					raw := f.f.Metadata().RowGroups[g].Columns[c].MetaData.Statistics
					if st.HasMinMax || raw.MinValue != nil || raw.MaxValue != nil {
						t.Errorf("group %d column %s: min/max %v %v, raw %x %x", g, fd.Name, st.Min, st.Max, raw.MinValue, raw.MaxValue)
					}
					continue
				}
				if !st.HasMinMax {
					t.Errorf("dict=%v group %d column %s: no min/max, want %v %v", dict, g, fd.Name, lo, hi)
					continue
				}
				if !equalValues(st.Min, lo) || !equalValues(st.Max, hi) {
					t.Errorf("dict=%v group %d column %s: min/max %v %v, want %v %v", dict, g, fd.Name, st.Min, st.Max, lo, hi)
				}
			}
			start += int(rg.Rows)
		}
	}
}

// TestDecimalStatsSigns checks the reading of FIXED_LEN_BYTE_ARRAY decimal bounds, which
// parquet-go orders as unsigned bytes: trusted for one sign, withheld for mixed signs.
func TestDecimalStatsSigns(t *testing.T) {
	c := &column{field: arrow.Field{Name: "d", Type: &arrow.Decimal128Type{Precision: 30}}, kind: pq.FixedLenByteArray, size: 13}
	be := func(v int64) []byte {
		b := make([]byte, 13)
		for i := range b {
			b[12-i] = byte(v >> min(8*i, 63))
		}
		return b
	}
	tests := []struct {
		name   string
		lo, hi int64
		ok     bool
	}{
		{"positive", 1, 9, true},
		{"negative", -9, -1, true},
		{"mixed as unsigned", 1, -5, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := statsOf(c, &format.Statistics{MinValue: be(tt.lo), MaxValue: be(tt.hi), NullCount: 2})
			if st.HasMinMax != tt.ok || st.NullCount != 2 {
				t.Fatalf("stats %+v, want HasMinMax %v", st, tt.ok)
			}
			if tt.ok && (st.Min != decimal128.FromI64(tt.lo) || st.Max != decimal128.FromI64(tt.hi)) {
				t.Fatalf("min/max %v %v, want %d %d", st.Min, st.Max, tt.lo, tt.hi)
			}
		})
	}
}

// TestReadFewerBytes proves that a read of one column reads only that column's chunks.
func TestReadFewerBytes(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	data, _ := writeFile(t, mem, testSchema, Properties{RowGroupRows: 1000}, 3000, 1000)
	read := func(opts ReadOptions) int64 {
		cr := &countingReaderAt{r: bytes.NewReader(data)}
		f, err := Open(cr, int64(len(data)))
		if err != nil {
			t.Fatal(err)
		}
		opts.Alloc = mem
		r, err := f.Read(context.Background(), opts)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		for {
			b, err := r.Next(context.Background())
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			b.Release()
		}
		return cr.n.Load()
	}
	all := read(ReadOptions{})
	one := read(ReadOptions{Columns: []int{1}})
	oneGroup := read(ReadOptions{Columns: []int{1}, RowGroups: []int{2}})
	t.Logf("file %d bytes; read all %d, one column %d, one column of one row group %d", len(data), all, one, oneGroup)
	if all < int64(len(data))/2 {
		t.Fatalf("reading everything read only %d of %d bytes", all, len(data))
	}
	if one*4 > all {
		t.Fatalf("one column read %d bytes, all columns %d", one, all)
	}
	if oneGroup >= one {
		t.Fatalf("one row group read %d bytes, all row groups %d", oneGroup, one)
	}
}

func TestErrors(t *testing.T) {
	var buf bytes.Buffer
	nested := arrow.NewSchema([]arrow.Field{{Name: "l", Type: arrow.ListOf(arrow.StructOf())}}, nil)
	if _, err := NewWriter(&buf, nested, Properties{}); !errors.Is(err, ErrUnsupportedType) {
		t.Errorf("list of structs of no fields: %v", err)
	}
	for _, p := range []Properties{{Compression: "brotli"}, {Compression: LZ4}, {RowGroupRows: -1}} {
		if _, err := NewWriter(&buf, testSchema, p); !errors.Is(err, ErrInvalidProperties) {
			t.Errorf("properties %+v: %v", p, err)
		}
	}
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	w, err := NewWriter(&buf, testSchema, Properties{})
	if err != nil {
		t.Fatal(err)
	}
	other := arrow.NewSchema(testSchema.Fields()[:2], nil)
	b := genBatch(t, mem, other, 0, 3)
	if err := w.Write(b); !errors.Is(err, ErrSchemaMismatch) {
		t.Errorf("mismatched batch: %v", err)
	}
	b.Release()
	if _, err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Close(); !errors.Is(err, ErrClosed) {
		t.Errorf("second close: %v", err)
	}
	f, err := Open(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	if f.NumRows() != 0 || len(f.RowGroups()) != 0 {
		t.Fatalf("empty file: %d rows, %d row groups", f.NumRows(), len(f.RowGroups()))
	}
	for _, o := range []ReadOptions{{Columns: []int{99}}, {RowGroups: []int{0}}, {BatchRows: -1}} {
		if _, err := f.Read(context.Background(), o); !errors.Is(err, ErrInvalidProperties) {
			t.Errorf("read options %+v: %v", o, err)
		}
	}
	if _, err := Open(bytes.NewReader([]byte("not parquet at all")), 18); err == nil {
		t.Error("opened garbage")
	}
}
