package parquet

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"syscall"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// BenchmarkFlatWriter writes 1M sorted rows of the bench schema (key text, sort bigint,
// value text, value2 nullable text) with the default properties and the key columns, through
// the flat path and through parquet-go, and reports the process CPU time and the file's
// bytes per row.
func BenchmarkFlatWriter(b *testing.B) {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "key", Type: arrow.BinaryTypes.String},
		{Name: "sort", Type: arrow.PrimitiveTypes.Int64},
		{Name: "value", Type: arrow.BinaryTypes.String},
		{Name: "value2", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	benchmarkRows(b, schema, func(bld *array.RecordBuilder, rng *rand.Rand, i int) {
		bld.Field(0).(*array.StringBuilder).Append(fmt.Sprintf("%012x", uint64(i)<<12|rng.Uint64N(1<<12)))
		bld.Field(1).(*array.Int64Builder).Append(rng.Int64N(1 << 40))
		bld.Field(2).(*array.StringBuilder).Append(fmt.Sprintf("value-%d-%d", rng.IntN(1000), i))
		if rng.IntN(4) == 0 {
			bld.Field(3).AppendNull()
		} else {
			bld.Field(3).(*array.StringBuilder).Append(fmt.Sprintf("v2-%d", rng.IntN(100000)))
		}
	})
}

// BenchmarkFlatWriterFloats is BenchmarkFlatWriter with float and boolean columns: key
// text, sort bigint, a nullable double with NaN, a real and a nullable boolean.
func BenchmarkFlatWriterFloats(b *testing.B) {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "key", Type: arrow.BinaryTypes.String},
		{Name: "sort", Type: arrow.PrimitiveTypes.Int64},
		{Name: "f", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "r", Type: arrow.PrimitiveTypes.Float32},
		{Name: "b", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
	}, nil)
	benchmarkRows(b, schema, func(bld *array.RecordBuilder, rng *rand.Rand, i int) {
		bld.Field(0).(*array.StringBuilder).Append(fmt.Sprintf("%012x", uint64(i)<<12|rng.Uint64N(1<<12)))
		bld.Field(1).(*array.Int64Builder).Append(rng.Int64N(1 << 40))
		switch rng.IntN(50) {
		case 0:
			bld.Field(2).AppendNull()
		case 1:
			bld.Field(2).(*array.Float64Builder).Append(math.NaN())
		default:
			bld.Field(2).(*array.Float64Builder).Append(rng.NormFloat64() * 1000)
		}
		bld.Field(3).(*array.Float32Builder).Append(float32(rng.IntN(100000)) / 100)
		if rng.IntN(10) == 0 {
			bld.Field(4).AppendNull()
		} else {
			bld.Field(4).(*array.BooleanBuilder).Append(rng.IntN(3) == 0)
		}
	})
}

// benchmarkRows builds 1M rows of schema, each filled by fill from a seeded generator, and
// writes them through both paths.
func benchmarkRows(b *testing.B, schema *arrow.Schema, fill func(bld *array.RecordBuilder, rng *rand.Rand, i int)) {
	const rows, batchRows = 1_000_000, 8192
	mem := memory.NewGoAllocator()
	rng := rand.New(rand.NewPCG(1, 2))
	var batches []arrow.RecordBatch
	for r := 0; r < rows; r += batchRows {
		bld := array.NewRecordBuilder(mem, schema)
		for i := r; i < min(r+batchRows, rows); i++ {
			fill(bld, rng, i)
		}
		batches = append(batches, bld.NewRecordBatch())
		bld.Release()
	}
	defer func() {
		for _, bt := range batches {
			bt.Release()
		}
	}()
	benchmarkPaths(b, schema, batches, rows)
}

// benchmarkPaths writes batches through the flat path and through parquet-go.
func benchmarkPaths(b *testing.B, schema *arrow.Schema, batches []arrow.RecordBatch, rows int64) {
	for _, flat := range []bool{true, false} {
		name := "parquet-go"
		if flat {
			name = "flat"
		}
		b.Run(name, func(b *testing.B) {
			defer func(old bool) { flatPath = old }(flatPath)
			flatPath = flat
			var cpu, n, size int64
			for b.Loop() {
				cpu0 := processCPU(b)
				w, err := NewWriter(io.Discard, schema, Properties{}, KeyColumns(0, 1))
				if err != nil {
					b.Fatal(err)
				}
				for _, bt := range batches {
					if err := w.Write(bt); err != nil {
						b.Fatal(err)
					}
				}
				meta, err := w.Close()
				if err != nil {
					b.Fatal(err)
				}
				size += meta.Bytes
				cpu += processCPU(b) - cpu0
				n += rows
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "rows/s")
			b.ReportMetric(float64(cpu)/float64(n), "cpu-ns/row")
			b.ReportMetric(float64(size)/float64(n), "bytes/row")
		})
	}
}

// processCPU returns the user and system CPU time of the process so far, in nanoseconds.
func processCPU(tb testing.TB) int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
