package parquet

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Intervals are written as 16-byte fixed-length values and read back exactly, nulls
// included, across row groups and pages, with and without dictionary encoding.
func TestIntervalRoundTrip(t *testing.T) {
	for _, dict := range []bool{false, true} {
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		schema := arrow.NewSchema([]arrow.Field{
			{Name: "k", Type: arrow.PrimitiveTypes.Int64},
			{Name: "span", Type: arrow.FixedWidthTypes.MonthDayNanoInterval, Nullable: true},
		}, nil)
		const rows = 2500
		want := make([]*arrow.MonthDayNanoInterval, rows)
		kb := array.NewInt64Builder(mem)
		ib := array.NewMonthDayNanoIntervalBuilder(mem)
		for i := 0; i < rows; i++ {
			kb.Append(int64(i))
			if i%7 == 3 {
				ib.AppendNull()
				continue
			}
			v := arrow.MonthDayNanoInterval{Months: int32(i%13 - 6), Days: int32(i % 40), Nanoseconds: int64(i)*1_000_000_007 - 5_000_000_000}
			want[i] = &v
			ib.Append(v)
		}
		ka, ia := kb.NewArray(), ib.NewArray()
		kb.Release()
		ib.Release()
		batch := array.NewRecordBatch(schema, []arrow.Array{ka, ia}, rows)
		ka.Release()
		ia.Release()
		data := writeBatch(t, schema, Properties{RowGroupRows: 1000, PageBytes: 2 << 10, Dictionary: dict}, batch)
		batch.Release()
		f, err := Open(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			t.Fatal(err)
		}
		if !f.Schema().Equal(schema) {
			t.Fatalf("schema %s, want %s", f.Schema(), schema)
		}
		r, err := f.Read(context.Background(), ReadOptions{BatchRows: 300, Alloc: mem})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for {
			b, err := r.Next(context.Background())
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			col := b.Column(1).(*array.MonthDayNanoInterval)
			for i := 0; i < col.Len(); i++ {
				switch w := want[n+i]; {
				case w == nil && !col.IsNull(i):
					t.Fatalf("dict %v row %d: %v, want NULL", dict, n+i, col.Value(i))
				case w != nil && (col.IsNull(i) || col.Value(i) != *w):
					t.Fatalf("dict %v row %d: %v (null %v), want %v", dict, n+i, col.Value(i), col.IsNull(i), *w)
				}
			}
			n += col.Len()
			b.Release()
		}
		r.Close()
		if n != rows {
			t.Fatalf("read %d rows, want %d", n, rows)
		}
		mem.AssertSize(t, 0)
	}
}
