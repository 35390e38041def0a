package exec

import (
	"context"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// benchInput is rows of (k int64 in [0, groups), v int64, s string) in BatchRows batches.
func benchInput(b *testing.B, rows, groups int) *Values {
	mem := memory.NewGoAllocator()
	s := schemaOf(tI64, tI64, tStr)
	var batches []arrow.RecordBatch
	names := []string{"alpha", "beta", "gamma", "delta"}
	for off := 0; off < rows; off += BatchRows {
		bld := array.NewRecordBuilder(mem, s)
		for i := off; i < min(off+BatchRows, rows); i++ {
			bld.Field(0).(*array.Int64Builder).Append(int64(i*7919) % int64(groups))
			bld.Field(1).(*array.Int64Builder).Append(int64(i))
			bld.Field(2).(*array.StringBuilder).Append(names[i%len(names)])
		}
		batches = append(batches, bld.NewRecordBatch())
		bld.Release()
	}
	v, err := NewValues(s, batches)
	if err != nil {
		b.Fatal(err)
	}
	releaseBatches(batches)
	return v
}

func benchRun(b *testing.B, op Operator, rows int) {
	b.ReportAllocs()
	b.SetBytes(int64(rows) * 8)
	for b.Loop() {
		out, err := Collect(context.Background(), op)
		if err != nil {
			b.Fatal(err)
		}
		releaseBatches(out)
	}
}

func BenchmarkHashAggregateInt64(b *testing.B) {
	const rows = 1 << 20
	v := benchInput(b, rows, 1000)
	defer v.Release()
	k, x := mustCol(b, 0, tI64), mustCol(b, 1, tI64)
	h, _ := NewHashAggregate([]Expr{k}, []string{"k"}, []Aggregate{{Func: "count_star", Name: "n"}, {Func: "sum", Arg: x, Name: "s"}}, v)
	benchRun(b, h, rows)
}

func BenchmarkFilterProject(b *testing.B) {
	const rows = 1 << 20
	v := benchInput(b, rows, 1000)
	defer v.Release()
	k, x := mustCol(b, 0, tI64), mustCol(b, 1, tI64)
	gt, _ := NewBinary(Gt, k, lit(b, int64(500), tI64))
	f, _ := NewFilter(gt, v)
	add, _ := NewBinary(Add, x, k)
	p, _ := NewProject([]Expr{add}, []string{"a"}, f)
	benchRun(b, p, rows)
}

func BenchmarkSort(b *testing.B) {
	const rows = 1 << 18
	v := benchInput(b, rows, 1<<30)
	defer v.Release()
	s, _ := NewSort([]SortKey{{Expr: mustCol(b, 0, tI64)}}, v)
	benchRun(b, s, rows)
}

func BenchmarkHashAggregateText(b *testing.B) {
	const rows = 1 << 20
	v := benchInput(b, rows, 1000)
	defer v.Release()
	k, x := mustCol(b, 2, tStr), mustCol(b, 1, tI64)
	h, _ := NewHashAggregate([]Expr{k}, []string{"k"}, []Aggregate{{Func: "count_star", Name: "n"}, {Func: "max", Arg: x, Name: "m"}}, v)
	benchRun(b, h, rows)
}

// BenchmarkHashAggregateAvg is avg of bigint values over 1000 groups: each group's exact sum
// divided at PostgreSQL's scale (numeric_avg).
func BenchmarkHashAggregateAvg(b *testing.B) {
	const rows = 1 << 20
	v := benchInput(b, rows, 1000)
	defer v.Release()
	k, x := mustCol(b, 0, tI64), mustCol(b, 1, tI64)
	h, _ := NewHashAggregate([]Expr{k}, []string{"k"}, []Aggregate{{Func: "avg", Arg: x, Name: "a"}}, v)
	benchRun(b, h, rows)
}
