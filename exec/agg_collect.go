package exec

import (
	"math"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/errs"
)

// rowsState collects the rows of an aggregate that needs them all (string_agg, array_agg
// and the ordered-set aggregates): per row its group, argument, extra arguments and ORDER
// BY keys. finish sorts them by group and keys, stably, and computes each group's result.
type rowsState struct {
	fn       string
	typ      arrow.DataType // result type
	argType  arrow.DataType
	keys     []SortKey
	extraT   []arrow.DataType
	skipNull bool // NULL arguments do not count (all but array_agg)
	byArg    bool // keys is the argument alone, added for DISTINCT

	gids  []int32
	arg   []arrow.Array   // chunks
	extra [][]arrow.Array // per extra argument, chunks
	order [][]arrow.Array // per key, chunks
	bytes int64           // estimated size of the chunks and gids
}

// newRowsState returns the state of a collecting aggregate. A DISTINCT aggregate without
// ORDER BY orders its values by the argument (ascending, NULLs last), as PostgreSQL's
// sort-based DISTINCT does.
func newRowsState(a Aggregate, typ arrow.DataType) *rowsState {
	s := &rowsState{fn: a.Func, typ: typ, argType: a.Arg.DataType(), keys: a.OrderBy,
		skipNull: a.Func != "array_agg"}
	if a.Distinct && len(s.keys) == 0 {
		s.keys, s.byArg = []SortKey{{Expr: a.Arg}}, true
	}
	for _, e := range a.Extra {
		s.extraT = append(s.extraT, e.DataType())
	}
	s.extra = make([][]arrow.Array, len(a.Extra))
	s.order = make([][]arrow.Array, len(s.keys))
	return s
}

// add keeps the rows r of a batch with gids[r] >= 0 (and, unless NULLs count, a non-NULL
// argument). The arrays are borrowed.
func (s *rowsState) add(mem memory.Allocator, gids []int32, arg arrow.Array, extra, order []arrow.Array) {
	var sel []int32
	for r, g := range gids {
		if g < 0 || (s.skipNull && arg.IsNull(r)) {
			continue
		}
		sel = append(sel, int32(r))
		s.gids = append(s.gids, g)
	}
	if len(sel) == 0 {
		return
	}
	keep := func(a arrow.Array) arrow.Array {
		if len(sel) == a.Len() {
			a.Retain()
			return a
		}
		return take(mem, a, sel)
	}
	s.arg = append(s.arg, keep(arg))
	s.bytes += arraySize(s.arg[len(s.arg)-1]) + 4*int64(len(sel))
	for i, e := range extra {
		s.extra[i] = append(s.extra[i], keep(e))
		s.bytes += arraySize(s.extra[i][len(s.extra[i])-1])
	}
	for i, o := range order {
		s.order[i] = append(s.order[i], keep(o))
		s.bytes += arraySize(s.order[i][len(s.order[i])-1])
	}
}

func (s *rowsState) release() {
	releaseAll(s.arg)
	for _, c := range s.extra {
		releaseAll(c)
	}
	for _, c := range s.order {
		releaseAll(c)
	}
	s.arg, s.extra, s.order, s.gids = nil, nil, nil, nil
}

// concatOf concatenates chunks, or makes an empty array of t when there are none.
func concatOf(mem memory.Allocator, t arrow.DataType, chunks []arrow.Array) (arrow.Array, error) {
	if len(chunks) == 0 {
		return array.MakeArrayOfNull(mem, t, 0), nil
	}
	return concatArrays1(mem, chunks)
}

// finish returns the results of groups 0..ng-1 and releases the collected rows.
func (s *rowsState) finish(mem memory.Allocator, ng int) (arrow.Array, error) {
	defer s.release()
	if len(s.gids) == 0 && s.fn != "array_agg" {
		return array.MakeArrayOfNull(mem, s.typ, ng), nil
	}
	arg, err := concatOf(mem, s.argType, s.arg)
	if err != nil {
		return nil, err
	}
	defer arg.Release()
	extra := make([]arrow.Array, len(s.extra))
	defer releaseAll(extra)
	for i, c := range s.extra {
		if extra[i], err = concatOf(mem, s.extraT[i], c); err != nil {
			return nil, err
		}
	}
	order := make([]arrow.Array, len(s.order))
	defer releaseAll(order)
	for i, c := range s.order {
		if order[i], err = concatOf(mem, s.keys[i].Expr.DataType(), c); err != nil {
			return nil, err
		}
	}
	// Sort row numbers by group, then by the keys, keeping arrival order among ties.
	perm := make([]int32, len(s.gids))
	for i := range perm {
		perm[i] = int32(i)
	}
	cmps := make([]rowComparer, len(order))
	for i, o := range order {
		cmps[i] = keyComparer(o, s.keys[i].Desc, s.keys[i].NullsFirst)
	}
	gids := s.gids
	slices.SortStableFunc(perm, func(x, y int32) int {
		if gids[x] != gids[y] {
			return int(gids[x]) - int(gids[y])
		}
		for _, c := range cmps {
			if r := c(int(x), int(y)); r != 0 {
				return r
			}
		}
		return 0
	})
	// starts[g] .. starts[g+1] are group g's positions in perm.
	starts := make([]int, ng+1)
	for _, g := range gids {
		starts[g+1]++
	}
	for g := 0; g < ng; g++ {
		starts[g+1] += starts[g]
	}
	switch s.fn {
	case "array_agg":
		child := take(mem, arg, perm)
		defer child.Release()
		offBuf, oo := newValues[int32](mem, ng+1)
		seen := make([]bool, ng)
		for g := 0; g <= ng; g++ {
			oo[g] = int32(starts[g])
			if g < ng {
				seen[g] = starts[g+1] > starts[g]
			}
		}
		return makeList(s.typ, ng, seenValidity(mem, seen), offBuf, child), nil
	case "string_agg":
		return stringAgg(mem, s.typ, arg, extra[0], perm, starts), nil
	case "percentile_cont", "percentile_disc":
		return percentile(mem, s.fn == "percentile_cont", s.typ, arg, extra[0], perm, starts)
	case "mode":
		return mode(mem, arg, perm, starts), nil
	case "min", "max":
		// The keys order the values so that the extreme comes first.
		pick := make([]int32, ng)
		seen := make([]bool, ng)
		for g := 0; g < ng; g++ {
			if starts[g] < starts[g+1] {
				pick[g], seen[g] = perm[starts[g]], true
			}
		}
		vals := take(mem, arg, pick)
		defer vals.Release()
		return withValidity(mem, vals, seen), nil
	}
	return nil, errs.New(errs.Internal, "aggregate %s does not collect rows", s.fn)
}

// stringAgg concatenates each group's values, putting before every value but the first the
// delimiter of its row (a NULL delimiter adds nothing), as PostgreSQL's string_agg does.
func stringAgg(mem memory.Allocator, typ arrow.DataType, arg, delim arrow.Array, perm []int32, starts []int) arrow.Array {
	b := array.NewBuilder(mem, typ)
	defer b.Release()
	val := func(a arrow.Array, i int) []byte {
		if s, ok := a.(*array.String); ok {
			return []byte(s.Value(i))
		}
		return a.(*array.Binary).Value(i)
	}
	var buf []byte
	for g := 0; g+1 < len(starts); g++ {
		lo, hi := starts[g], starts[g+1]
		if lo == hi {
			b.AppendNull()
			continue
		}
		buf = buf[:0]
		for k := lo; k < hi; k++ {
			r := int(perm[k])
			if k > lo && delim.IsValid(r) {
				buf = append(buf, val(delim, r)...)
			}
			buf = append(buf, val(arg, r)...)
		}
		switch b := b.(type) {
		case *array.StringBuilder:
			b.Append(string(buf))
		case *array.BinaryBuilder:
			b.Append(buf)
		}
	}
	return b.NewArray()
}

// percentile is percentile_cont (linear interpolation between the two nearest rows, as
// PostgreSQL) or percentile_disc (the first row whose position reaches the fraction) of
// each group's sorted values. The fraction is read from the group's first row; NULL gives
// NULL, a value outside [0, 1] an error.
func percentile(mem memory.Allocator, cont bool, typ arrow.DataType, arg, frac arrow.Array, perm []int32, starts []int) (arrow.Array, error) {
	f := values[float64](frac)
	ng := len(starts) - 1
	pick := make([]int32, 0, ng) // rows to take: lower (and, for cont, upper) neighbours
	upper := make([]int32, 0, ng)
	weight := make([]float64, ng)
	seen := make([]bool, ng)
	for g := 0; g < ng; g++ {
		lo, hi := starts[g], starts[g+1]
		if lo == hi || frac.IsNull(int(perm[lo])) {
			pick, upper = append(pick, 0), append(upper, 0)
			continue
		}
		p := f[perm[lo]]
		if p < 0 || p > 1 || math.IsNaN(p) {
			return nil, errs.New(errs.NumericRange, "percentile value %s is not between 0 and 1", formatFloat(p, 64))
		}
		n := hi - lo
		seen[g] = true
		if !cont {
			k := int(math.Ceil(p * float64(n)))
			k = max(k, 1) - 1
			pick, upper = append(pick, perm[lo+k]), append(upper, perm[lo+k])
			continue
		}
		pos := p * float64(n-1)
		a, b := math.Floor(pos), math.Ceil(pos)
		pick, upper = append(pick, perm[lo+int(a)]), append(upper, perm[lo+int(b)])
		weight[g] = pos - a
	}
	low := take(mem, arg, pick)
	if !cont {
		defer low.Release()
		return withValidity(mem, low, seen), nil
	}
	defer low.Release()
	high := take(mem, arg, upper)
	defer high.Release()
	if typ.ID() == arrow.FLOAT64 {
		buf, out := newValues[float64](mem, ng)
		lv, hv := values[float64](low), values[float64](high)
		for g := range out {
			if seen[g] {
				out[g] = lv[g]
				if weight[g] != 0 {
					out[g] = lv[g] + weight[g]*(hv[g]-lv[g])
				}
			}
		}
		return makeArray(typ, ng, seenValidity(mem, seen), buf), nil
	}
	buf, out := newValues[arrow.MonthDayNanoInterval](mem, ng)
	lv, hv := values[arrow.MonthDayNanoInterval](low), values[arrow.MonthDayNanoInterval](high)
	for g := range out {
		if !seen[g] {
			continue
		}
		out[g] = lv[g]
		if weight[g] == 0 {
			continue
		}
		// lo + (hi - lo) * w, in interval arithmetic.
		neg, err := negInterval(lv[g])
		if err == nil {
			var d arrow.MonthDayNanoInterval
			if d, err = addIntervals(hv[g], neg); err == nil {
				if d, err = mulInterval(d, weight[g]); err == nil {
					out[g], err = addIntervals(lv[g], d)
				}
			}
		}
		if err != nil {
			buf.Release()
			return nil, err
		}
	}
	return makeArray(typ, ng, seenValidity(mem, seen), buf), nil
}

// withValidity returns a copy of a whose rows with !seen are NULL.
func withValidity(mem memory.Allocator, a arrow.Array, seen []bool) arrow.Array {
	var rows []int32
	for i := range seen {
		if seen[i] {
			rows = append(rows, int32(i))
		}
	}
	kept := take(mem, a, rows)
	defer kept.Release()
	return scatter(mem, a.DataType(), a.Len(), []part{{rows: rows, arr: kept}})
}

// mode is each group's most frequent value; among equally frequent values the first in
// the sort order wins, as in PostgreSQL.
func mode(mem memory.Allocator, arg arrow.Array, perm []int32, starts []int) arrow.Array {
	ng := len(starts) - 1
	eq := comparer(arg, arg)
	pick := make([]int32, ng)
	seen := make([]bool, ng)
	for g := 0; g < ng; g++ {
		lo, hi := starts[g], starts[g+1]
		if lo == hi {
			continue
		}
		seen[g] = true
		best, bestN := perm[lo], 0
		for k := lo; k < hi; {
			e := k + 1
			for e < hi && eq(int(perm[k]), int(perm[e])) == 0 {
				e++
			}
			if e-k > bestN {
				best, bestN = perm[k], e-k
			}
			k = e
		}
		pick[g] = best
	}
	vals := take(mem, arg, pick)
	defer vals.Release()
	return withValidity(mem, vals, seen)
}
