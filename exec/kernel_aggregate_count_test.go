package exec

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/errs"
)

// TestCountSumIntStates folds batches into count and sum(int16/int32) states, with every
// row in one group (the no-GROUP-BY fast path), every row skipped, and rows spread over
// groups with some skipped, and every row in group 0 told to count (updateOne); over arrays with and without NULLs, sliced at odd offsets; and
// checks every group's count, sum and NULL-ness against a row-by-row reference.
func TestCountSumIntStates(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rng := rand.New(rand.NewPCG(3, 4))
	for _, typ := range []arrow.DataType{arrow.PrimitiveTypes.Int32, arrow.PrimitiveTypes.Int16} {
		for _, nullRate := range []int{0, 3, 100} { // percent of rows NULL
			for _, layout := range []string{"one group", "all skipped", "groups", "updateOne"} {
				t.Run(fmt.Sprintf("%s/nulls %d%%/%s", typ, nullRate, layout), func(t *testing.T) {
					const groups = 5
					count, countStar, sum := &countState{}, &countState{}, newAggState("sum", typ, arrow.PrimitiveTypes.Int64)
					for _, s := range []aggState{count, countStar, sum} {
						s.grow(groups)
					}
					wantCount, wantStar, wantSum := make([]int64, groups), make([]int64, groups), make([]int64, groups)
					wantSeen := make([]bool, groups)
					for range 4 {
						n := 1 + rng.IntN(3000)
						off := rng.IntN(13)
						b := array.NewBuilder(mem, typ)
						vals := make([]int64, off+n)
						valid := make([]bool, off+n)
						for i := range off + n {
							if rng.IntN(100) < nullRate {
								b.AppendNull()
								continue
							}
							v := rng.Int64N(1<<15) - 1<<14
							if typ.ID() == arrow.INT32 {
								v = rng.Int64N(1<<31) - 1<<30
								b.(*array.Int32Builder).Append(int32(v))
							} else {
								b.(*array.Int16Builder).Append(int16(v))
							}
							vals[i], valid[i] = v, true
						}
						full := b.NewArray()
						b.Release()
						arr := array.NewSlice(full, int64(off), int64(off+n))
						full.Release()
						gids := make([]int32, n)
						g := int32(rng.IntN(groups))
						for i := range gids {
							switch layout {
							case "one group":
								gids[i] = g
							case "all skipped":
								gids[i] = -1
							case "updateOne":
								gids[i] = 0
							default:
								gids[i] = int32(rng.IntN(groups+1)) - 1
							}
						}
						for i, g := range gids {
							if g < 0 {
								continue
							}
							wantStar[g]++
							if valid[off+i] {
								wantCount[g]++
								wantSum[g] += vals[off+i]
								wantSeen[g] = true
							}
						}
						update := func(s *countState, a arrow.Array) error { return s.update(gids, a) }
						if layout == "updateOne" {
							update = func(s *countState, a arrow.Array) error { return s.updateOne(gids, a) }
						}
						if err := update(count, arr); err != nil {
							t.Fatal(err)
						}
						if err := update(countStar, nil); err != nil {
							t.Fatal(err)
						}
						if err := sum.update(gids, arr); err != nil {
							t.Fatal(err)
						}
						arr.Release()
					}
					gotSum, err := sum.finish(mem)
					if err != nil {
						t.Fatal(err)
					}
					defer gotSum.Release()
					sums := gotSum.(*array.Int64)
					for g := range groups {
						if count.counts[g] != wantCount[g] || countStar.counts[g] != wantStar[g] {
							t.Errorf("group %d: count %d, count(*) %d, want %d, %d", g, count.counts[g], countStar.counts[g], wantCount[g], wantStar[g])
						}
						if sums.IsValid(g) != wantSeen[g] || wantSeen[g] && sums.Value(g) != wantSum[g] {
							t.Errorf("group %d: sum %v (valid %v), want %d (valid %v)", g, sums.Value(g), sums.IsValid(g), wantSum[g], wantSeen[g])
						}
					}
				})
			}
		}
	}
}

// TestSumIntOverflow checks that a sum of int32 values past the range of bigint fails with
// numeric_value_out_of_range, batch at a time (one group) and row at a time (several).
func TestSumIntOverflow(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	b := array.NewInt32Builder(mem)
	defer b.Release()
	b.AppendValues([]int32{math.MaxInt32, 1, math.MaxInt32}, nil)
	arr := b.NewArray()
	defer arr.Release()
	for name, gids := range map[string][]int32{"one group": {0, 0, 0}, "groups": {0, 1, 0}} {
		s := newAggState("sum", arrow.PrimitiveTypes.Int32, arrow.PrimitiveTypes.Int64).(*sumIntState[int32])
		s.grow(2)
		s.sums[0] = math.MaxInt64 - math.MaxInt32
		if err := s.update(gids, arr); errs.KindOf(err) != errs.NumericRange {
			t.Errorf("%s: %v, want a numeric range error", name, err)
		}
	}
}
