package exec

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// sum and avg of interval, as PostgreSQL's interval_pl and interval_avg compute them: the
// months, days and microseconds add up separately (an interval out of range is 22008), and
// avg divides the sum by the count with interval_div's cascade of fractional months into
// days and of fractional days into time.

// isIntervalSumAvg reports whether fn over arg is sum or avg of interval.
func isIntervalSumAvg(fn string, arg arrow.DataType) bool {
	return (fn == "sum" || fn == "avg") && arg != nil && arg.ID() == arrow.INTERVAL_MONTH_DAY_NANO
}

type intervalSumState struct {
	avg  bool
	sums []arrow.MonthDayNanoInterval
	n    []int64
}

func (s *intervalSumState) grow(n int) { s.sums, s.n = grown(s.sums, n), grown(s.n, n) }

func (s *intervalSumState) update(gids []int32, arr arrow.Array) error {
	v := values[arrow.MonthDayNanoInterval](arr)
	for i, g := range gids {
		if !validRow(arr, gids, i) {
			continue
		}
		sum, err := addIntervals(s.sums[g], v[i])
		if err != nil {
			return err
		}
		s.sums[g] = sum
		s.n[g]++
	}
	return nil
}

func (s *intervalSumState) finish(mem memory.Allocator) (arrow.Array, error) {
	n := len(s.n)
	buf, out := newValues[arrow.MonthDayNanoInterval](mem, n)
	seen := make([]bool, n)
	for g := range out {
		if s.n[g] == 0 {
			continue
		}
		v := s.sums[g]
		if s.avg {
			var err error
			if v, err = divInterval(v, float64(s.n[g])); err != nil {
				buf.Release()
				return nil, err
			}
		}
		out[g], seen[g] = v, true
	}
	return makeArray(arrow.FixedWidthTypes.MonthDayNanoInterval, n, seenValidity(mem, seen), buf), nil
}
