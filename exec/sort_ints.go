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
