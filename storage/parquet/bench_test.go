package parquet

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

var benchSchema = arrow.NewSchema([]arrow.Field{
	{Name: "key", Type: arrow.BinaryTypes.String},
	{Name: "sort", Type: arrow.PrimitiveTypes.Int64},
	{Name: "value", Type: arrow.BinaryTypes.String},
	{Name: "maybe", Type: arrow.BinaryTypes.String, Nullable: true},
}, nil)

const benchRows = 1_000_000

// benchBatches builds the 1M-row benchmark table in batches of 64Ki rows.
func benchBatches(mem memory.Allocator) []arrow.RecordBatch {
	var out []arrow.RecordBatch
	b := array.NewRecordBuilder(mem, benchSchema)
	defer b.Release()
	for r := 0; r < benchRows; r++ {
		b.Field(0).(*array.StringBuilder).Append(fmt.Sprintf("key-%010d", r))
		b.Field(1).(*array.Int64Builder).Append(int64(r % 7))
		b.Field(2).(*array.StringBuilder).Append(fmt.Sprintf("value %d of a row", r*31%100_003))
		if r%4 == 0 {
			b.Field(3).AppendNull()
		} else {
			b.Field(3).(*array.StringBuilder).Append(fmt.Sprintf("m%d", r%1000))
		}
		if (r+1)%(64<<10) == 0 || r == benchRows-1 {
			out = append(out, b.NewRecordBatch())
		}
	}
	return out
}

func BenchmarkWrite1M(b *testing.B) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(b, 0)
	batches := benchBatches(mem)
	defer func() {
		for _, x := range batches {
			x.Release()
		}
	}()
	var size int64
	for b.Loop() {
		var buf bytes.Buffer
		w, err := NewWriter(&buf, benchSchema, DefaultProperties())
		if err != nil {
			b.Fatal(err)
		}
		for _, x := range batches {
			if err := w.Write(x); err != nil {
				b.Fatal(err)
			}
		}
		m, err := w.Close()
		if err != nil {
			b.Fatal(err)
		}
		size = m.Bytes
	}
	b.ReportMetric(float64(size), "file-bytes")
	b.ReportMetric(float64(benchRows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

func BenchmarkRead1M(b *testing.B) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(b, 0)
	batches := benchBatches(mem)
	var buf bytes.Buffer
	w, err := NewWriter(&buf, benchSchema, DefaultProperties())
	if err != nil {
		b.Fatal(err)
	}
	for _, x := range batches {
		if err := w.Write(x); err != nil {
			b.Fatal(err)
		}
		x.Release()
	}
	if _, err := w.Close(); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	for _, cols := range [][]int{nil, {1}, {0, 3}} {
		b.Run(fmt.Sprintf("columns=%v", cols), func(b *testing.B) {
			for b.Loop() {
				f, err := Open(bytes.NewReader(data), int64(len(data)))
				if err != nil {
					b.Fatal(err)
				}
				r, err := f.Read(context.Background(), ReadOptions{Columns: cols, Alloc: mem})
				if err != nil {
					b.Fatal(err)
				}
				n := 0
				for {
					x, err := r.Next(context.Background())
					if errors.Is(err, io.EOF) {
						break
					}
					if err != nil {
						b.Fatal(err)
					}
					n += int(x.NumRows())
					x.Release()
				}
				r.Close()
				if n != benchRows {
					b.Fatalf("read %d rows", n)
				}
			}
			b.ReportMetric(float64(benchRows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
