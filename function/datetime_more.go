package function

import (
	"context"
	"math"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/exec"
)

// More date and time functions: make_date, make_timestamp, make_timestamptz, make_interval,
// justify_days, justify_hours, justify_interval, isfinite, age of one timestamp, date_bin,
// clock_timestamp and OVERLAPS.

func registerDatetimeMore() {
	boolean := arrow.FixedWidthTypes.Boolean
	date := arrow.FixedWidthTypes.Date32
	register(function{resolve: signature("make_date", date, []int{pInt, pInt, pInt}), eval: rowwise(false, func(v []any) (any, error) {
		d, err := makeDate(v[0].(int64), v[1].(int64), v[2].(int64))
		if err != nil {
			return nil, err
		}
		return arrow.Date32(d), nil
	})}, "make_date")
	makeTS := func(v []any) (int64, error) {
		d, err := makeDate(v[0].(int64), v[1].(int64), v[2].(int64))
		if err != nil {
			return 0, err
		}
		h, mi, sec := v[3].(int64), v[4].(int64), v[5].(float64)
		if h < 0 || h > 24 || mi < 0 || mi > 59 || sec < 0 || sec > 60 || math.IsNaN(sec) || h == 24 && (mi > 0 || sec > 0) {
			return 0, errs.New(errs.DatetimeOverflow, "time field value out of range: %d:%02d:%02g", h, mi, sec)
		}
		return d*exec.UsPerDay + h*exec.UsPerHour + mi*60*1000000 + int64(math.Round(sec*1e6)), nil
	}
	tsArgs := []int{pInt, pInt, pInt, pInt, pInt, pNum}
	register(function{resolve: signature("make_timestamp", tsType, tsArgs), eval: rowwise(false, func(v []any) (any, error) {
		us, err := makeTS(v)
		return arrow.Timestamp(us), err
	})}, "make_timestamp")
	register(function{resolve: signature("make_timestamptz", tszType, tsArgs, append(append([]int{}, tsArgs...), pText)),
		zoned: func(mem memory.Allocator, loc *time.Location, typ arrow.DataType, args []arrow.Array) (arrow.Array, error) {
			return rowwise(false, func(v []any) (any, error) {
				us, err := makeTS(v)
				if err != nil {
					return nil, err
				}
				zone := loc
				if len(v) == 7 {
					if zone, err = exec.ParseZone(v[6].(string)); err != nil {
						return nil, err
					}
				}
				return arrow.Timestamp(exec.FromLocal(zone, us)), nil
			})(mem, typ, args)
		}}, "make_timestamptz")
	register(function{resolve: signature("make_interval", exec.Interval, []int{}, []int{pInt}, []int{pInt, pInt}, []int{pInt, pInt, pInt},
		[]int{pInt, pInt, pInt, pInt}, []int{pInt, pInt, pInt, pInt, pInt}, []int{pInt, pInt, pInt, pInt, pInt, pInt},
		[]int{pInt, pInt, pInt, pInt, pInt, pInt, pNum}),
		evalCtx: func(ctx context.Context, n int, typ arrow.DataType, args []arrow.Array) (arrow.Array, error) {
			if len(args) == 0 {
				return exec.Broadcast(exec.Allocator(ctx), arrow.MonthDayNanoInterval{}, typ, n), nil
			}
			return rowwise(false, func(v []any) (any, error) {
				f := func(i int) int64 {
					if i < len(v) {
						return v[i].(int64)
					}
					return 0
				}
				secs := 0.0
				if len(v) == 7 {
					secs = v[6].(float64)
				}
				months, days := f(0)*12+f(1), f(2)*7+f(3)
				ns := (f(4)*3600+f(5)*60)*1e9 + int64(math.Round(secs*1e6))*1000
				if months > math.MaxInt32 || months < math.MinInt32 || days > math.MaxInt32 || days < math.MinInt32 || math.IsInf(secs, 0) || math.IsNaN(secs) {
					return nil, errs.New(errs.DatetimeOverflow, "interval out of range")
				}
				return arrow.MonthDayNanoInterval{Months: int32(months), Days: int32(days), Nanoseconds: ns}, nil
			})(exec.Allocator(ctx), typ, args)
		}}, "make_interval")
	justify := func(name string, f func(arrow.MonthDayNanoInterval) arrow.MonthDayNanoInterval) {
		register(function{resolve: func(args []arrow.DataType) (arrow.DataType, []arrow.DataType, error) {
			if len(args) != 1 || args[0].ID() != arrow.INTERVAL_MONTH_DAY_NANO {
				return nil, nil, undefinedFunc(name, args)
			}
			return exec.Interval, nil, nil
		}, eval: rowwise(false, func(v []any) (any, error) { return f(v[0].(arrow.MonthDayNanoInterval)), nil })}, name)
	}
	justify("justify_days", justifyDays)
	justify("justify_hours", justifyHours)
	justify("justify_interval", func(iv arrow.MonthDayNanoInterval) arrow.MonthDayNanoInterval {
		iv = justifyDays(justifyHours(iv))
		// Signs of the fields made to agree, as PostgreSQL's interval_justify_interval.
		if iv.Months > 0 && (iv.Days < 0 || iv.Days == 0 && iv.Nanoseconds < 0) {
			iv.Days += 30
			iv.Months--
		} else if iv.Months < 0 && (iv.Days > 0 || iv.Days == 0 && iv.Nanoseconds > 0) {
			iv.Days -= 30
			iv.Months++
		}
		if iv.Days > 0 && iv.Nanoseconds < 0 {
			iv.Nanoseconds += exec.UsPerDay * 1000
			iv.Days--
		} else if iv.Days < 0 && iv.Nanoseconds > 0 {
			iv.Nanoseconds -= exec.UsPerDay * 1000
			iv.Days++
		}
		return iv
	})
	// sleeperd's dates, timestamps and intervals are all finite.
	register(function{resolve: func(args []arrow.DataType) (arrow.DataType, []arrow.DataType, error) {
		if len(args) != 1 {
			return nil, nil, undefinedFunc("isfinite", args)
		}
		switch args[0].ID() {
		case arrow.DATE32, arrow.TIMESTAMP, arrow.INTERVAL_MONTH_DAY_NANO:
			return boolean, nil, nil
		}
		return nil, nil, undefinedFunc("isfinite", args)
	}, eval: rowwise(false, func(v []any) (any, error) { return true, nil })}, "isfinite")
	// age(t) is age(current_date at midnight, t).
	register(function{takes: func(args []arrow.DataType) bool {
		return len(args) == 1 && args[0].ID() == arrow.TIMESTAMP
	}, resolve: func(args []arrow.DataType) (arrow.DataType, []arrow.DataType, error) {
		return exec.Interval, nil, nil
	}, evalCtx: func(ctx context.Context, n int, typ arrow.DataType, args []arrow.Array) (arrow.Array, error) {
		loc := exec.TimeZone(ctx)
		if !exec.HasZone(args[0].DataType()) {
			loc = time.UTC
		}
		today := exec.FloorDiv(exec.ToLocal(exec.TimeZone(ctx), exec.NowMicros(ctx)), exec.UsPerDay) * exec.UsPerDay
		return rowwise(false, func(v []any) (any, error) {
			return ageOf(today, exec.ToLocal(loc, int64(v[0].(arrow.Timestamp)))), nil
		})(exec.Allocator(ctx), typ, args)
	}}, "age")
	register(function{resolve: func(args []arrow.DataType) (arrow.DataType, []arrow.DataType, error) {
		if len(args) != 0 {
			return nil, nil, undefinedFunc("clock_timestamp", args)
		}
		return tszType, nil, nil
	}, evalCtx: func(ctx context.Context, n int, typ arrow.DataType, _ []arrow.Array) (arrow.Array, error) {
		return exec.Broadcast(exec.Allocator(ctx), arrow.Timestamp(time.Now().UnixMicro()), typ, n), nil
	}}, "clock_timestamp")
	register(function{resolve: func(args []arrow.DataType) (arrow.DataType, []arrow.DataType, error) {
		if len(args) != 3 || args[0].ID() != arrow.INTERVAL_MONTH_DAY_NANO || args[1].ID() != arrow.TIMESTAMP || !arrow.TypeEqual(args[1], args[2]) {
			return nil, nil, undefinedFunc("date_bin", args)
		}
		return args[1], nil, nil
	}, eval: rowwise(false, func(v []any) (any, error) {
		iv := v[0].(arrow.MonthDayNanoInterval)
		if iv.Months != 0 {
			return nil, errs.New(errs.NotImplemented, "timestamps cannot be binned into intervals containing months or years")
		}
		stride := int64(iv.Days)*exec.UsPerDay + iv.Nanoseconds/1000
		if stride <= 0 {
			return nil, errs.New(errs.DatetimeOverflow, "stride must be greater than zero")
		}
		t, origin := int64(v[1].(arrow.Timestamp)), int64(v[2].(arrow.Timestamp))
		return arrow.Timestamp(origin + exec.FloorDiv(t-origin, stride)*stride), nil
	})}, "date_bin")
	// (s1, e1) OVERLAPS (s2, e2), where an end may be an interval after its start.
	register(function{resolve: func(args []arrow.DataType) (arrow.DataType, []arrow.DataType, error) {
		if len(args) != 4 || args[0].ID() != arrow.TIMESTAMP || !arrow.TypeEqual(args[0], args[2]) {
			return nil, nil, undefinedFunc("overlaps", args)
		}
		for _, i := range []int{1, 3} {
			if args[i].ID() != arrow.INTERVAL_MONTH_DAY_NANO && !arrow.TypeEqual(args[i], args[0]) {
				return nil, nil, undefinedFunc("overlaps", args)
			}
		}
		return boolean, nil, nil
	}, eval: rowwise(false, func(v []any) (any, error) {
		end := func(s arrow.Timestamp, e any) (int64, error) {
			if iv, ok := e.(arrow.MonthDayNanoInterval); ok {
				return exec.AddInterval(int64(s), iv)
			}
			return int64(e.(arrow.Timestamp)), nil
		}
		s1, s2 := int64(v[0].(arrow.Timestamp)), int64(v[2].(arrow.Timestamp))
		e1, err := end(v[0].(arrow.Timestamp), v[1])
		if err != nil {
			return nil, err
		}
		e2, err := end(v[2].(arrow.Timestamp), v[3])
		if err != nil {
			return nil, err
		}
		if e1 < s1 {
			s1, e1 = e1, s1
		}
		if e2 < s2 {
			s2, e2 = e2, s2
		}
		// PostgreSQL's overlaps_timestamp: intervals overlap, or share a start.
		if s1 > s2 {
			return s1 < e2 || s1 == s2, nil
		} else if s2 > s1 {
			return s2 < e1, nil
		}
		return true, nil
	})}, "overlaps")
}

func justifyDays(iv arrow.MonthDayNanoInterval) arrow.MonthDayNanoInterval {
	iv.Months += iv.Days / 30
	iv.Days %= 30
	return iv
}

func justifyHours(iv arrow.MonthDayNanoInterval) arrow.MonthDayNanoInterval {
	const nsPerDay = exec.UsPerDay * 1000
	iv.Days += int32(iv.Nanoseconds / nsPerDay)
	iv.Nanoseconds %= nsPerDay
	if iv.Days > 0 && iv.Nanoseconds < 0 {
		iv.Nanoseconds += nsPerDay
		iv.Days--
	} else if iv.Days < 0 && iv.Nanoseconds > 0 {
		iv.Nanoseconds -= nsPerDay
		iv.Days++
	}
	return iv
}

// makeDate is the day number of year-month-day (a negative year is BC), or PostgreSQL's
// error for a date that does not exist.
func makeDate(y, m, d int64) (int64, error) {
	if y == 0 {
		return 0, errs.New(errs.DatetimeOverflow, "date field value out of range: %d-%02d-%02d", y, m, d)
	}
	if y < 0 {
		y++ // 1 BC is year 0
	}
	t := time.Date(int(y), time.Month(m), int(d), 0, 0, 0, 0, time.UTC)
	if m < 1 || m > 12 || d < 1 || t.Day() != int(d) {
		return 0, errs.New(errs.DatetimeOverflow, "date field value out of range: %d-%02d-%02d", y, m, d)
	}
	return exec.FloorDiv(t.Unix(), 86400), nil
}
