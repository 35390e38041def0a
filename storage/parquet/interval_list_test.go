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

// Lists of intervals are written with 16-byte fixed-length elements, as flat intervals are,
// and read back exactly: NULL lists, empty lists and NULL elements, across row groups and
// pages, with and without dictionary encoding; arrow-go reads the file alike.
func TestIntervalListRoundTrip(t *testing.T) {
	for _, dict := range []bool{false, true} {
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		schema := arrow.NewSchema([]arrow.Field{
			{Name: "k", Type: arrow.PrimitiveTypes.Int64},
			{Name: "spans", Type: arrow.ListOf(arrow.FixedWidthTypes.MonthDayNanoInterval), Nullable: true},
		}, nil)
		const rows = 2500
		kb := array.NewInt64Builder(mem)
		lb := array.NewListBuilder(mem, arrow.FixedWidthTypes.MonthDayNanoInterval)
		ib := lb.ValueBuilder().(*array.MonthDayNanoIntervalBuilder)
		for i := range rows {
			kb.Append(int64(i))
			switch i % 5 {
			case 0:
				lb.AppendNull()
				continue
			case 1:
				lb.Append(true) // empty
				continue
			}
			lb.Append(true)
			for j := range i%4 + 1 {
				if j == 1 && i%3 == 0 {
					ib.AppendNull()
					continue
				}
				ib.Append(arrow.MonthDayNanoInterval{Months: int32(i%13 - 6), Days: int32(j - i%40), Nanoseconds: int64(i)*1_000_000_007 - 5_000_000_000})
			}
		}
		ka, la := kb.NewArray(), lb.NewArray()
		kb.Release()
		lb.Release()
		batch := array.NewRecordBatch(schema, []arrow.Array{ka, la}, rows)
		ka.Release()
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
			got := b.Column(1)
			want := array.NewSlice(la, int64(n), int64(n+got.Len()))
			if !array.Equal(got, want) {
				t.Fatalf("dict %v rows %d..: read %v, want %v", dict, n, got, want)
			}
			want.Release()
			n += int(b.NumRows())
			b.Release()
		}
		r.Close()
		if n != rows {
			t.Fatalf("read %d rows, want %d", n, rows)
		}
		tbl := readByArrowGo(t, data, 700)
		if tbl.NumRows() != rows {
			t.Errorf("arrow-go read %d rows, want %d", tbl.NumRows(), rows)
		}
		tbl.Release()
		la.Release()
		mem.AssertSize(t, 0)
	}
}
