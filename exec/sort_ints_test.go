package exec

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// TestSortPermInts checks the sort of a single integer-like key without NULLs against the
// comparer-based sort it replaces: bigint, timestamp, integer, date and smallint keys with
// many repeated values (the order among equal keys is the input's), the types' extremes,
// ascending and descending, over a slice of the input; and that a key with NULLs, or two
// keys, is left to the comparer-based sort.
func TestSortPermInts(t *testing.T) {
	_, mem := checkedCtx(t)
	rng := rand.New(rand.NewPCG(7, 8))
	for _, typ := range []arrow.DataType{tI64, tTS, tI32, tDate, tI16} {
		for _, n := range []int{0, 1, 2, 50, 3000} {
			b := array.NewBuilder(mem, typ)
			for i := range n + 5 {
				v := int64(rng.IntN(40) - 20)
				switch i % 17 {
				case 3:
					v = math.MinInt16
				case 5:
					v = math.MaxInt16
				}
				switch bb := b.(type) {
				case *array.Int64Builder:
					if i%23 == 7 {
						v = math.MinInt64
					}
					bb.Append(v)
				case *array.TimestampBuilder:
					bb.Append(arrow.Timestamp(v))
				case *array.Int32Builder:
					if i%23 == 7 {
						v = math.MaxInt32
					}
					bb.Append(int32(v))
				case *array.Date32Builder:
					bb.Append(arrow.Date32(v))
				case *array.Int16Builder:
					bb.Append(int16(v))
				}
			}
			whole := b.NewArray()
			b.Release()
			a := array.NewSlice(whole, 5, int64(n+5))
			for _, desc := range []bool{false, true} {
				keys := []SortKey{{Desc: desc}}
				got, ok := sortPermInts(keys, []arrow.Array{a}, n)
				if !ok {
					t.Fatalf("%s: not taken", typ)
				}
				if want := sortPermRows(keys, []arrow.Array{a}, n); !slices.Equal(got, want) {
					t.Fatalf("%s, %d rows, desc %v: %v, want %v", typ, n, desc, got[:min(20, n)], want[:min(20, n)])
				}
			}
			a.Release()
			whole.Release()
		}
	}
	withNull := col(t, mem, tI64, int64(2), nil, int64(1))
	defer withNull.Release()
	if _, ok := sortPermInts([]SortKey{{}}, []arrow.Array{withNull.Column(0)}, 3); ok {
		t.Error("taken for a key with NULLs")
	}
	two := mkBatch(t, mem, schemaOf(tI64, tI64), []any{int64(1), int64(2)})
	defer two.Release()
	if _, ok := sortPermInts([]SortKey{{}, {}}, two.Columns(), 1); ok {
		t.Error("taken for two keys")
	}
}

// TestSortPermIntsRuns checks the merge of keys that come as a few runs already in order
// (mergeRuns) against the comparer-based sort: 1 to 70 runs (past maxMergeRuns the pairs
// are sorted), of repeated keys and equal keys across runs (their order is the input's),
// ascending and descending.
func TestSortPermIntsRuns(t *testing.T) {
	_, mem := checkedCtx(t)
	rng := rand.New(rand.NewPCG(9, 10))
	for _, runs := range []int{1, 2, 3, 7, 64, 65, 70} {
		for _, desc := range []bool{false, true} {
			b := array.NewInt64Builder(mem)
			for range runs {
				n := rng.IntN(60)
				v := int64(rng.IntN(100))
				for range n {
					b.Append(v)
					if desc {
						v -= int64(rng.IntN(3))
					} else {
						v += int64(rng.IntN(3))
					}
				}
				// Break the run so that the next one starts a new one.
				if desc {
					b.Append(v - 1000)
				} else {
					b.Append(v + 1000)
				}
			}
			a := b.NewArray()
			b.Release()
			keys := []SortKey{{Desc: desc}}
			got, ok := sortPermInts(keys, []arrow.Array{a}, a.Len())
			if !ok {
				t.Fatal("not taken")
			}
			if want := sortPermRows(keys, []arrow.Array{a}, a.Len()); !slices.Equal(got, want) {
				t.Fatalf("%d runs, desc %v: %v, want %v", runs, desc, got, want)
			}
			if _, merged := mergeRuns(values[int64](a), desc); merged != (runs <= maxMergeRuns) {
				t.Fatalf("%d runs: merged %v", runs, merged)
			}
			a.Release()
		}
	}
}

// TestSortRunsSliced checks a sort whose input is a few runs already in order (batches of
// two key-ordered streams, interleaved), whose rows in order it returns as slices of its
// data: the rows against a stable sort of them (equal keys across the runs in input
// order), for Sort and for TopN with offsets inside and across the runs.
func TestSortRunsSliced(t *testing.T) {
	ctx, mem := checkedCtx(t)
	s := schemaOf(tI64, tStr)
	type row struct {
		k int64
		s string
	}
	var all []row
	var bs []arrow.RecordBatch
	for _, part := range [][2]int64{{5000, 8000}, {0, 3000}, {8000, 9500}, {3000, 5001}, {4990, 5010}} {
		var rows [][]any
		for k := part[0]; k < part[1]; k++ {
			r := row{k, fmt.Sprintf("r%d/%d", part[0], k)}
			all = append(all, r)
			rows = append(rows, []any{r.k, r.s})
		}
		bs = append(bs, mkBatch(t, mem, s, rows...))
	}
	v := mkValues(t, s, bs...)
	slices.SortStableFunc(all, func(x, y row) int { return cmp.Compare(x.k, y.k) })
	var want []string
	for _, r := range all {
		want = append(want, fmt.Sprintf("%d|%s", r.k, r.s))
	}
	keys := []SortKey{{Expr: mustCol(t, 0, tI64)}}
	srt, _ := NewSort(keys, v)
	if got := collectText(t, ctx, srt); !slices.Equal(got, want) {
		t.Fatalf("sort: %d rows, want %d; first differing %v", len(got), len(want), firstDiff(got, want))
	}
	for _, lim := range [][2]int64{{10, 0}, {5000, 2990}, {3000, 4995}, {100000, 7000}} {
		top, _ := NewTopN(keys, lim[0], lim[1], v)
		w := want[min(int(lim[1]), len(want)):min(int(lim[1]+lim[0]), len(want))]
		if got := collectText(t, ctx, top); !slices.Equal(got, w) {
			t.Fatalf("limit %d offset %d: first differing %v", lim[0], lim[1], firstDiff(got, w))
		}
	}
}

func firstDiff(a, b []string) string {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return fmt.Sprintf("row %d: %s, want %s", i, a[i], b[i])
		}
	}
	return fmt.Sprintf("lengths %d, %d", len(a), len(b))
}
