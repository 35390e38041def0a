package exec

import (
	"cmp"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
)

// sortPermInts is sortPerm for a single integer-like key without NULLs (an ORDER BY of a
// bigint id): the keys are copied beside their row numbers and sorted as pairs, the row
// number breaking ties so that the order is the stable one sortPermRows gives, without a
// comparer called through two closures per comparison. ok is false for other keys.
func sortPermInts(keys []SortKey, keyArrs []arrow.Array, n int) ([]int32, bool) {
	if len(keys) != 1 || keyArrs[0].NullN() > 0 || keyArrs[0].Len() != n {
		return nil, false
	}
	a, desc := keyArrs[0], keys[0].Desc
	switch a.DataType().ID() {
	case arrow.INT64, arrow.TIMESTAMP:
		return sortPairs(values[int64](a), desc), true
	case arrow.INT32, arrow.DATE32:
		return sortPairs(values[int32](a), desc), true
	case arrow.INT16:
		return sortPairs(values[int16](a), desc), true
	}
	return nil, false
}

func sortPairs[T integer](vals []T, desc bool) []int32 {
	if perm, ok := mergeRuns(vals, desc); ok {
		return perm
	}
	type pair struct {
		k T
		i int32
	}
	ps := make([]pair, len(vals))
	for i, v := range vals {
		ps[i] = pair{v, int32(i)}
	}
	if desc {
		slices.SortFunc(ps, func(x, y pair) int {
			if c := cmp.Compare(y.k, x.k); c != 0 {
				return c
			}
			return cmp.Compare(x.i, y.i)
		})
	} else {
		slices.SortFunc(ps, func(x, y pair) int {
			if c := cmp.Compare(x.k, y.k); c != 0 {
				return c
			}
			return cmp.Compare(x.i, y.i)
		})
	}
	perm := make([]int32, len(ps))
	for j, p := range ps {
		perm[j] = p.i
	}
	return perm
}

// maxMergeRuns is the most sorted runs mergeRuns merges.
const maxMergeRuns = 64

// mergeRuns returns the stable order of vals when they are at most maxMergeRuns runs already
// in order (non-decreasing, or non-increasing for desc: rows read in key order, or the
// batches of a few such streams one after the other), by merging the runs pairwise; ok is
// false for more runs.
func mergeRuns[T integer](vals []T, desc bool) ([]int32, bool) {
	before := func(x, y T) bool { // y must come after x
		if desc {
			return y > x
		}
		return y < x
	}
	bounds := []int{0}
	for i := 1; i < len(vals); i++ {
		if before(vals[i-1], vals[i]) {
			if len(bounds) == maxMergeRuns {
				return nil, false
			}
			bounds = append(bounds, i)
		}
	}
	bounds = append(bounds, len(vals))
	perm := make([]int32, len(vals))
	for i := range perm {
		perm[i] = int32(i)
	}
	if len(bounds) <= 2 {
		return perm, true
	}
	tmp := make([]int32, len(vals))
	for len(bounds) > 2 {
		next := []int{0}
		for r := 0; r+1 < len(bounds); r += 2 {
			lo, mid := bounds[r], bounds[r+1]
			if r+2 >= len(bounds) {
				copy(tmp[lo:mid], perm[lo:mid])
				next = append(next, mid)
				continue
			}
			hi := bounds[r+2]
			i, j, o := lo, mid, lo
			for i < mid && j < hi {
				// The left run's row first unless the right one's key comes before it.
				if before(vals[perm[i]], vals[perm[j]]) {
					tmp[o] = perm[j]
					j++
				} else {
					tmp[o] = perm[i]
					i++
				}
				o++
			}
			o += copy(tmp[o:], perm[i:mid])
			copy(tmp[o:], perm[j:hi])
			next = append(next, hi)
		}
		perm, tmp, bounds = tmp, perm, next
	}
	return perm, true
}
