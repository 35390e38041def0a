package exec

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/sleeperd/sleeperd/errs"
)

// TestSumFloatOneGroup checks sum(double precision) over batches whose rows all fall in one
// group (added a batch at a time) against a model of PostgreSQL's float8pl folded row by
// row: the same bits, the same overflow error (an infinite sum of finite values), infinities
// and NaN among the inputs, NULLs, empty batches; and the same batches with some rows
// skipped (not one group: row by row); and updateOne, told that every row is in group 0 (an
// aggregate without GROUP BY), against the same model.
func TestSumFloatOneGroup(t *testing.T) {
	_, mem := checkedCtx(t)
	rng := rand.New(rand.NewPCG(3, 4))
	type batch struct {
		vals  []float64
		nulls []bool
	}
	var plain []batch
	for range 5 {
		var b batch
		for range rng.IntN(3000) {
			b.vals = append(b.vals, (rng.Float64()-0.3)*1e6)
		}
		plain = append(plain, b)
	}
	cases := map[string][]batch{
		"finite":          plain,
		"empty":           {{}, {}},
		"overflow":        {{vals: []float64{math.MaxFloat64, 1}}, {vals: []float64{math.MaxFloat64, 5}}},
		"overflow back":   {{vals: []float64{math.MaxFloat64, math.MaxFloat64, -math.MaxFloat64}}},
		"infinite input":  {{vals: []float64{1, math.Inf(1), 2}}, {vals: []float64{3}}},
		"both infinities": {{vals: []float64{math.Inf(-1), math.Inf(1)}}},
		"nan":             {{vals: []float64{1, math.NaN(), 2}}},
		"nulls":           {{vals: []float64{1, 2, 3}, nulls: []bool{false, true, false}}, {vals: []float64{4}, nulls: []bool{true}}},
		"only nulls":      {{vals: []float64{1}, nulls: []bool{true}}},
	}
	for name, batches := range cases {
		for _, mode := range []string{"update", "skip", "one"} {
			skip := mode == "skip"
			s := &sumFloatState[float64]{typ: tF64}
			s.grow(1)
			var err error
			// The model: float8pl row by row.
			var sum float64
			seen, overflow := false, false
			for _, b := range batches {
				bld := array.NewFloat64Builder(mem)
				bld.AppendValues(b.vals, validOf(b.nulls))
				a := bld.NewFloat64Array()
				bld.Release()
				gids := make([]int32, a.Len())
				for i, v := range b.vals {
					if skip && i%3 == 1 {
						gids[i] = -1
						continue
					}
					if overflow || b.nulls != nil && b.nulls[i] {
						continue
					}
					z := sum + v
					if math.IsInf(z, 0) && !math.IsInf(sum, 0) && !math.IsInf(v, 0) {
						overflow = true
						continue
					}
					sum, seen = z, true
				}
				if err == nil && mode == "one" {
					err = s.updateOne(gids, a)
				} else if err == nil {
					err = s.update(gids, a)
				}
				a.Release()
			}
			if overflow != (err != nil) {
				t.Fatalf("%s (%s): error %v, want overflow %v", name, mode, err, overflow)
			}
			if err != nil {
				if !errors.Is(err, errs.NumericRange) {
					t.Fatalf("%s (%s): error %v, want numeric_value_out_of_range", name, mode, err)
				}
				continue
			}
			out, err := s.finish(mem)
			if err != nil {
				t.Fatal(err)
			}
			got := out.(*array.Float64)
			switch {
			case !seen:
				if got.IsValid(0) {
					t.Errorf("%s (%s): sum %v, want NULL", name, mode, got.Value(0))
				}
			case got.IsNull(0):
				t.Errorf("%s (%s): sum NULL, want %v", name, mode, sum)
			case math.Float64bits(got.Value(0)) != math.Float64bits(sum) && !(sum != sum && got.Value(0) != got.Value(0)):
				t.Errorf("%s (%s): sum %v, want %v", name, mode, got.Value(0), sum)
			}
			out.Release()
		}
	}
}

func validOf(nulls []bool) []bool {
	if nulls == nil {
		return nil
	}
	v := make([]bool, len(nulls))
	for i, n := range nulls {
		v[i] = !n
	}
	return v
}
