package exec

import (
	"fmt"
	"math"
	"math/big"
	"sort"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/types"
)

// rangeKey is the ORDER BY column of a window whose RANGE frames have offsets.
type rangeKey struct {
	arr              arrow.Array // input rows, read through perm
	perm             []int32
	desc, nullsFirst bool
	loc              *time.Location // where timestamptz days and months are counted
}

// checkRangeOffset checks a RANGE offset against the type of the ORDER BY column as
// PostgreSQL's in_range functions do: integers take an integer offset, floats a float,
// numerics a *big.Rat, dates and timestamps an interval; the offset must not be negative.
func checkRangeOffset(key arrow.DataType, delta any) error {
	var neg, ok bool
	switch d := delta.(type) {
	case int64:
		ok, neg = isIntegerType(key), d < 0
	case float64:
		ok, neg = key.ID() == arrow.FLOAT32 || key.ID() == arrow.FLOAT64, d < 0 || math.IsNaN(d)
	case *big.Rat:
		ok, neg = types.IsDecimal(key), d.Sign() < 0
	case arrow.MonthDayNanoInterval:
		ok = key.ID() == arrow.DATE32 || key.ID() == arrow.TIMESTAMP
		neg = int64(d.Months)*30*86400e9+int64(d.Days)*86400e9+d.Nanoseconds < 0
	}
	if !ok {
		return errs.New(errs.NotImplemented, "RANGE with offset PRECEDING/FOLLOWING is not supported for column type %s and offset %v", key, delta)
	}
	if neg {
		return errs.New(errs.InvalidFrameOffset, "invalid preceding or following size in window function")
	}
	return nil
}

func isIntegerType(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.INT16, arrow.INT32, arrow.INT64:
		return true
	}
	return false
}

// rangeBound is a RANGE frame bound with an offset of sorted position p, found as
// PostgreSQL's nodeWindowAgg does: the frame starts at the first row whose key is in range
// of the current row's key and ends before the first row past it. Rows with a NULL key are
// peers of each other and in no frame of a non-NULL row.
func (lay layout) rangeBound(p int, b FrameBound, end bool) int64 {
	k := lay.rk
	if k.arr.IsNull(int(k.perm[p])) {
		if end {
			return int64(lay.qe[p])
		}
		return int64(lay.qs[p])
	}
	ps, pe := int(lay.ps[p]), int(lay.pe[p])
	null := func(i int) bool { return k.arr.IsNull(int(k.perm[i])) }
	ns, ne := ps, pe // the partition's rows with a non-NULL key
	if k.nullsFirst {
		ns = ps + sort.Search(pe-ps, func(i int) bool { return !null(ps + i) })
	} else {
		ne = ps + sort.Search(pe-ps, func(i int) bool { return null(ps + i) })
	}
	sub, less := b.Kind == Preceding, end
	if k.desc {
		sub, less = !sub, !less
	}
	in := inRange(k.arr, int(k.perm[p]), b.Delta, sub, less, k.loc)
	i := sort.Search(ne-ns, func(i int) bool { return in(int(k.perm[ns+i])) != end })
	return int64(ns + i)
}

// inRange returns PostgreSQL's in_range(val, base, offset, sub, less) for the rows val of
// a against the row base: whether val <= base ± offset (less) or val >= base ± offset.
func inRange(a arrow.Array, base int, delta any, sub, less bool, loc *time.Location) func(val int) bool {
	cmp := func(c int) bool {
		if less {
			return c <= 0
		}
		return c >= 0
	}
	switch d := delta.(type) {
	case int64:
		if sub {
			d = -d
		}
		b := intAt(a, base)
		sum := b + d
		if (d > 0 && sum < b) || (d < 0 && sum > b) {
			// The true sum is past every value: above it when adding, below when subtracting.
			return func(int) bool { return sub != less }
		}
		return func(val int) bool { return cmp(cmpInt(intAt(a, val), sum)) }
	case float64:
		b := floatAt(a, base)
		if math.IsNaN(b) {
			return func(val int) bool { return math.IsNaN(floatAt(a, val)) || less }
		}
		if math.IsInf(d, 1) && math.IsInf(b, 0) && (sub == (b > 0)) {
			return func(val int) bool { return !math.IsNaN(floatAt(a, val)) || !less }
		}
		sum := b + d
		if sub {
			sum = b - d
		}
		return func(val int) bool {
			v := floatAt(a, val)
			if math.IsNaN(v) {
				return !less // NaN sorts above every number
			}
			if less {
				return v <= sum
			}
			return v >= sum
		}
	case *big.Rat:
		sum := new(big.Rat)
		if sub {
			sum.Sub(ratAt(a, base), d)
		} else {
			sum.Add(ratAt(a, base), d)
		}
		return func(val int) bool { return cmp(ratAt(a, val).Cmp(sum)) }
	case arrow.MonthDayNanoInterval:
		if sub {
			d = arrow.MonthDayNanoInterval{Months: -d.Months, Days: -d.Days, Nanoseconds: -d.Nanoseconds}
		}
		if loc == nil || !hasZone(a.DataType()) {
			loc = time.UTC
		}
		sum, err := addIntervalIn(loc, microsAt(a, base), d)
		if err != nil {
			// Out of the timestamp range: past every value, as for integers.
			return func(int) bool { return sub != less }
		}
		return func(val int) bool { return cmp(cmpInt(microsAt(a, val), sum)) }
	}
	panic(fmt.Sprintf("exec: RANGE offset %T", delta))
}

func floatAt(a arrow.Array, i int) float64 {
	if f, ok := a.(*array.Float32); ok {
		return float64(f.Value(i))
	}
	return a.(*array.Float64).Value(i)
}

// ratAt is row i of a numeric(p,s) or numeric array.
func ratAt(a arrow.Array, i int) *big.Rat {
	var v decimal128.Num
	var scale int32
	if x, ok := a.(*array.Decimal128); ok {
		v, scale = x.Value(i), x.DataType().(*arrow.Decimal128Type).Scale
	} else {
		v, scale = types.UnpackNumeric(a.(array.ExtensionArray).Storage().(*array.Decimal128).Value(i))
	}
	return new(big.Rat).SetFrac(v.BigInt(), new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale)), nil))
}

// microsAt is row i of a date or timestamp (microsecond) array as microseconds since the
// Unix epoch, a date at its midnight.
func microsAt(a arrow.Array, i int) int64 {
	if d, ok := a.(*array.Date32); ok {
		return int64(d.Value(i)) * usPerDay
	}
	return int64(a.(*array.Timestamp).Value(i))
}

// kept returns the positions of the frame [fs, fe) of sorted position p that its exclusion
// leaves, as up to three ranges in order.
func (lay layout) kept(e Exclusion, p, fs, fe int) [][2]int {
	var xs, xe int // the excluded range; EXCLUDE TIES keeps p inside it
	switch e {
	case ExcludeNone:
		return [][2]int{{fs, fe}}
	case ExcludeCurrentRow:
		xs, xe = p, p+1
	default:
		xs, xe = int(lay.qs[p]), int(lay.qe[p])
	}
	out := [][2]int{{fs, min(fe, xs)}}
	if e == ExcludeTies && p >= fs && p < fe {
		out = append(out, [2]int{p, p + 1})
	}
	return append(out, [2]int{max(fs, xe), fe})
}

// nthKept is the sorted position of the k-th (from 1) row of p's frame after exclusion,
// counted from the end when fromEnd, or -1 when the frame has fewer rows.
func (lay layout) nthKept(f Frame, p int, k int64, fromEnd bool) int {
	fs, fe := lay.frame(f, p)
	rs := lay.kept(f.Exclude, p, fs, fe)
	for i := range rs {
		r := rs[i]
		if fromEnd {
			r = rs[len(rs)-1-i]
		}
		n := int64(r[1] - r[0])
		if n <= 0 {
			continue
		}
		if k <= n {
			if fromEnd {
				return r[1] - int(k)
			}
			return r[0] + int(k) - 1
		}
		k -= n
	}
	return -1
}

// deltaString is a RANGE offset as SQL.
func deltaString(d any) string {
	switch x := d.(type) {
	case *big.Rat:
		if x.IsInt() {
			return x.Num().String()
		}
		return strings.TrimRight(x.FloatString(30), "0")
	case arrow.MonthDayNanoInterval:
		return types.FormatLiteral(x, types.Interval)
	}
	return fmt.Sprint(d)
}
