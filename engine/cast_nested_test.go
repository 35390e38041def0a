package engine

import (
	"context"
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/exec"
	"github.com/sleeperd/sleeperd/internal/arrowgen"
	"github.com/sleeperd/sleeperd/types"
)

// castTargets are the types table columns store, flat, as arrays, records and maps.
func castTargets() []arrow.DataType {
	flat := []arrow.DataType{
		arrow.FixedWidthTypes.Boolean, arrow.PrimitiveTypes.Int16, arrow.PrimitiveTypes.Int32, arrow.PrimitiveTypes.Int64,
		arrow.PrimitiveTypes.Float32, arrow.PrimitiveTypes.Float64, types.VarNumeric, &arrow.Decimal128Type{Precision: 10, Scale: 2},
		arrow.BinaryTypes.String, arrow.BinaryTypes.Binary, arrow.FixedWidthTypes.Date32,
		&arrow.TimestampType{Unit: arrow.Microsecond}, &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"},
		arrow.FixedWidthTypes.MonthDayNanoInterval,
	}
	var out []arrow.DataType
	for _, t := range flat {
		out = append(out, t, arrow.ListOf(t), arrow.StructOf(arrow.Field{Name: "a", Type: t, Nullable: true}),
			arrow.MapOf(arrow.BinaryTypes.String, t))
	}
	return out
}

// TestCastColumnEveryPair casts arrays of every Arrow type, flat and nested, sliced so they
// start at an offset, to every type a table column stores: each cast gives an array of the
// type and length asked for, or an error of a SQL kind (never an internal one, never a
// panic, which in arrow-go's goroutines would end the process), and leaks nothing.
func TestCastColumnEveryPair(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx := exec.WithAllocator(context.Background(), mem)
	targets := castTargets()
	ok, failed := 0, 0
	for _, leaf := range arrowgen.Leaves() {
		for k := range arrowgen.Nestings {
			src := arrowgen.Nest(leaf, k)
			whole := arrowgen.Array(mem, src, 11)
			a := array.NewSlice(whole, 2, 11)
			whole.Release()
			for _, to := range targets {
				name := fmt.Sprintf("%s to %s", src, to)
				before := mem.CurrentAlloc()
				out, err := func() (out arrow.Array, err error) {
					defer func() {
						if p := recover(); p != nil {
							err = errs.Recovered(p)
						}
					}()
					return castColumn(ctx, a, to)
				}()
				if err != nil {
					if mem.CurrentAlloc() != before {
						t.Errorf("%s: %d bytes leaked by the failed cast", name, mem.CurrentAlloc()-before)
					}
					failed++
					if k := errs.KindOf(err); k == errs.Internal {
						t.Errorf("%s: internal error %v\n%s", name, err, errs.StackOf(err))
					}
					continue
				}
				ok++
				if out.Len() != a.Len() {
					t.Errorf("%s: %d values, want %d", name, out.Len(), a.Len())
				}
				if !arrow.TypeEqual(types.Storage(out.DataType()), types.Storage(to)) {
					t.Errorf("%s: result of type %s", name, out.DataType())
				}
				if err := array.ValidateFull(out); err != nil {
					t.Errorf("%s: invalid result: %v", name, err)
				}
				for i := 0; i < a.Len(); i++ {
					if a.IsNull(i) && !out.IsNull(i) {
						t.Errorf("%s: value %d is NULL, cast to %s", name, i, out.ValueStr(i))
					}
				}
				out.Release()
				if mem.CurrentAlloc() != before {
					t.Errorf("%s: %d bytes leaked", name, mem.CurrentAlloc()-before)
				}
			}
			a.Release()
		}
	}
	t.Logf("%d casts made, %d refused", ok, failed)
}
