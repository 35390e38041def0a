package parquet

import (
	"bytes"
	"context"
	"strconv"
	"syscall"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// nestedBenchRows is the size of the files BenchmarkNestedRead reads.
const nestedBenchRows = 1_000_000

// nestedBenchFile is a file written here of one column of type t, 1M rows (every tenth
// NULL, lists of 0 to 4 elements, some NULL), in row groups of 250000 rows.
func nestedBenchFile(b *testing.B, t arrow.DataType) []byte {
	mem := memory.NewGoAllocator()
	schema := arrow.NewSchema([]arrow.Field{{Name: "c", Type: t, Nullable: true}}, nil)
	rb := array.NewRecordBuilder(mem, schema)
	defer rb.Release()
	var fill func(bl array.Builder, r int)
	fill = func(bl array.Builder, r int) {
		switch x := bl.(type) {
		case *array.Int64Builder:
			if r%13 == 5 {
				x.AppendNull()
			} else {
				x.Append(int64(r) * 7919)
			}
		case *array.StringBuilder:
			if r%11 == 4 {
				x.AppendNull()
			} else {
				x.Append("value " + strconv.Itoa(r%5000))
			}
		case *array.ListBuilder:
			if r%10 == 9 {
				x.AppendNull()
				return
			}
			x.Append(true)
			for k := range r % 5 {
				fill(x.ValueBuilder(), r*5+k)
			}
		case *array.MapBuilder:
			if r%10 == 9 {
				x.AppendNull()
				return
			}
			x.Append(true)
			for k := range r % 5 {
				x.KeyBuilder().(*array.StringBuilder).Append("key " + strconv.Itoa((r*5+k)%1000))
				fill(x.ItemBuilder(), r*5+k)
			}
		case *array.StructBuilder:
			if r%10 == 9 {
				x.AppendNull()
				return
			}
			x.Append(true)
			for k := range x.NumField() {
				fill(x.FieldBuilder(k), r+k)
			}
		}
	}
	for r := range nestedBenchRows {
		fill(rb.Field(0), r)
	}
	batch := rb.NewRecordBatch()
	defer batch.Release()
	return writeBatch(b, schema, Properties{RowGroupRows: 250_000}, batch)
}

// cpuNanos is the CPU time (user and system) of the process so far.
func cpuNanos() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// reportCPU reports the process's CPU time per op since start (its GC workers included),
// which a machine busy with other work does not inflate as it does the wall time of ns/op.
func reportCPU(b *testing.B, start int64) {
	b.ReportMetric(float64(cpuNanos()-start)/float64(b.N), "cpu-ns/op")
}

// BenchmarkNestedRead reads a file of 1M rows of list<int64>, list<string>,
// map<string, int64>, list<struct{int64, string}>, list<list<int64>>, struct{int64, string}
// and struct{int64, string, list<int64>} with this package's reader and with arrow-go's
// pqarrow (the peer), each in batches of 65536 rows.
func BenchmarkNestedRead(b *testing.B) {
	shapes := []struct {
		name string
		t    arrow.DataType
	}{
		{"list_int64", arrow.ListOf(arrow.PrimitiveTypes.Int64)},
		{"list_string", arrow.ListOf(arrow.BinaryTypes.String)},
		{"map", arrow.MapOf(arrow.BinaryTypes.String, arrow.PrimitiveTypes.Int64)},
		{"list_struct", arrow.ListOf(arrow.StructOf(
			arrow.Field{Name: "n", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
			arrow.Field{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true}))},
		{"list_list", arrow.ListOf(arrow.ListOf(arrow.PrimitiveTypes.Int64))},
		{"struct_flat", arrow.StructOf(
			arrow.Field{Name: "n", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
			arrow.Field{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true})},
		{"struct", arrow.StructOf(
			arrow.Field{Name: "n", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
			arrow.Field{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
			arrow.Field{Name: "l", Type: arrow.ListOf(arrow.PrimitiveTypes.Int64), Nullable: true})},
	}
	for _, sh := range shapes {
		benchReadBoth(b, sh.name, nestedBenchFile(b, sh.t))
	}
}

// benchReadBoth reads data, a file of nestedBenchRows rows, with this package's reader (name/sleeperd)
// and with arrow-go's pqarrow (name/pqarrow, the peer), each in batches of 65536 rows.
func benchReadBoth(b *testing.B, name string, data []byte) {
	b.Run(name+"/sleeperd", func(b *testing.B) {
		mem := memory.NewGoAllocator()
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		cpu := cpuNanos()
		for b.Loop() {
			rows := drainRows(b, openRead(b, data, ReadOptions{Alloc: mem, BatchRows: 65536}))
			if rows != nestedBenchRows {
				b.Fatalf("%d rows", rows)
			}
		}
		reportCPU(b, cpu)
	})
	b.Run(name+"/pqarrow", func(b *testing.B) {
		mem := memory.NewGoAllocator()
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		cpu := cpuNanos()
		for b.Loop() {
			pf, err := file.NewParquetReader(bytes.NewReader(data))
			if err != nil {
				b.Fatal(err)
			}
			fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: 65536}, mem)
			if err != nil {
				b.Fatal(err)
			}
			rr, err := fr.GetRecordReader(context.Background(), nil, nil)
			if err != nil {
				b.Fatal(err)
			}
			rows := 0
			for rr.Next() {
				rows += int(rr.RecordBatch().NumRows())
			}
			if err := rr.Err(); err != nil {
				b.Fatal(err)
			}
			rr.Release()
			pf.Close()
			if rows != nestedBenchRows {
				b.Fatalf("%d rows", rows)
			}
		}
		reportCPU(b, cpu)
	})
}
