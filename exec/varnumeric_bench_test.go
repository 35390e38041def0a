package exec

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/types"
)

// caseSumInput is 2^21 rows of (v numeric(15,2) = (g % 10000)/100, f boolean = g%3 = 0).
func caseSumInput(b *testing.B) (*Values, int) {
	const rows = 1 << 21
	mem := memory.NewGoAllocator()
	dec := &arrow.Decimal128Type{Precision: 15, Scale: 2}
	s := schemaOf(dec, tBool)
	var batches []arrow.RecordBatch
	for off := 1; off <= rows; off += BatchRows {
		bld := array.NewRecordBuilder(mem, s)
		for g := off; g < min(off+BatchRows, rows+1); g++ {
			bld.Field(0).(*array.Decimal128Builder).Append(decimal128.FromI64(int64(g % 10000)))
			bld.Field(1).(*array.BooleanBuilder).Append(g%3 == 0)
		}
		batches = append(batches, bld.NewRecordBatch())
		bld.Release()
	}
	v, err := NewValues(s, batches)
	if err != nil {
		b.Fatal(err)
	}
	releaseBatches(batches)
	return v, rows
}

// benchCaseSum is sum(case when f then v*0.95 else <els> end), the CASE typed as the binder
// types it: numeric without a modifier when els is the integer 0, numeric(p,4) when it is
// 0.0000.
func benchCaseSum(b *testing.B, varNumeric bool) {
	v, rows := caseSumInput(b)
	defer v.Release()
	dec := &arrow.Decimal128Type{Precision: 15, Scale: 2}
	mul, err := NewBinary(Mul, mustCol(b, 0, dec), lit(b, decimal128.FromI64(95), &arrow.Decimal128Type{Precision: 3, Scale: 2}))
	if err != nil {
		b.Fatal(err)
	}
	var then, els Expr = mul, nil
	if varNumeric {
		c, err := NewCast(mul, types.VarNumeric)
		if err != nil {
			b.Fatal(err)
		}
		then = c
		zero, err := packNum(decimal128.FromI64(0), 0)
		if err != nil {
			b.Fatal(err)
		}
		els = lit(b, zero, types.VarNumeric)
	} else {
		els = lit(b, decimal128.FromI64(0), mul.DataType())
	}
	cs, err := NewCase([]Expr{mustCol(b, 1, tBool)}, []Expr{then}, els)
	if err != nil {
		b.Fatal(err)
	}
	h, err := NewHashAggregate(nil, nil, []Aggregate{{Func: "sum", Arg: cs, Name: "s"}}, v)
	if err != nil {
		b.Fatal(err)
	}
	benchRun(b, h, rows)
}

// BenchmarkCaseSumVarNumeric is TPC-H's sum(case when f then v*(1-0.05) else 0 end): the
// CASE mixes numeric(p,4) with an integer, so it is numeric without a modifier.
func BenchmarkCaseSumVarNumeric(b *testing.B) { benchCaseSum(b, true) }

// BenchmarkCaseSumFixed is the same sum with else 0.0000: the CASE stays numeric(p,4).
func BenchmarkCaseSumFixed(b *testing.B) { benchCaseSum(b, false) }
