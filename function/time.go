package function

import (
	"math"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/exec"
	"github.com/sleeperd/sleeperd/types"
)

// The time functions. time values (types.Time) reach exec as int64 microseconds since
// midnight; package sql binds casts, operators and extract over time to these functions, so
// no integer kernel ever sees a time value as a number.

func registerTime() {
	i64, text := arrow.PrimitiveTypes.Int64, arrow.BinaryTypes.String
	ids := func(name string, result arrow.DataType, want ...arrow.Type) func([]arrow.DataType) (arrow.DataType, []arrow.DataType, error) {
		return func(args []arrow.DataType) (arrow.DataType, []arrow.DataType, error) {
			if len(args) != len(want) {
				return nil, nil, undefinedFunc(name, args)
			}
			for i, id := range want {
				if args[i].ID() != id {
					return nil, nil, undefinedFunc(name, args)
				}
			}
			return result, nil, nil
		}
	}
	register(function{resolve: ids("_time_in", i64, arrow.STRING), eval: rowwise(false, func(v []any) (any, error) {
		return types.ParseTime(v[0].(string))
	})}, "_time_in")
	register(function{resolve: ids("_time_out", text, arrow.INT64), eval: rowwise(false, func(v []any) (any, error) {
		return types.FormatTime(v[0].(int64)), nil
	})}, "_time_out")
	// _time_round(t, p) rounds to time(p), as assignment and casts to time(p) do.
	register(function{resolve: ids("_time_round", i64, arrow.INT64, arrow.INT32), eval: rowwise(false, func(v []any) (any, error) {
		return types.RoundTime(v[0].(int64), v[1].(int32)), nil
	})}, "_time_round")
	register(function{resolve: ids("_time_from_timestamp", i64, arrow.TIMESTAMP), eval: rowwise(false, func(v []any) (any, error) {
		return timeOfDay(int64(v[0].(arrow.Timestamp))), nil
	})}, "_time_from_timestamp")
	// timestamptz::time is the time of day in the session time zone.
	register(function{resolve: ids("_time_from_timestamptz", i64, arrow.TIMESTAMP), zoned: func(mem memory.Allocator, loc *time.Location, typ arrow.DataType, args []arrow.Array) (arrow.Array, error) {
		return rowwise(false, func(v []any) (any, error) {
			t := time.UnixMicro(int64(v[0].(arrow.Timestamp))).In(loc)
			_, off := t.Zone()
			return timeOfDay(int64(v[0].(arrow.Timestamp)) + int64(off)*1_000_000), nil
		})(mem, typ, args)
	}}, "_time_from_timestamptz")
	// interval::time keeps the interval's time part, modulo a day (days and months dropped).
	register(function{resolve: ids("_time_from_interval", i64, arrow.INTERVAL_MONTH_DAY_NANO), eval: rowwise(false, func(v []any) (any, error) {
		return timeOfDay(v[0].(arrow.MonthDayNanoInterval).Nanoseconds / 1000), nil
	})}, "_time_from_interval")
	register(function{resolve: ids("_time_to_interval", arrow.FixedWidthTypes.MonthDayNanoInterval, arrow.INT64), eval: rowwise(false, func(v []any) (any, error) {
		return arrow.MonthDayNanoInterval{Nanoseconds: v[0].(int64) * 1000}, nil
	})}, "_time_to_interval")
	// time - time is the interval between them, in microseconds only.
	register(function{resolve: ids("_time_mi_time", arrow.FixedWidthTypes.MonthDayNanoInterval, arrow.INT64, arrow.INT64), eval: rowwise(false, func(v []any) (any, error) {
		return arrow.MonthDayNanoInterval{Nanoseconds: (v[0].(int64) - v[1].(int64)) * 1000}, nil
	})}, "_time_mi_time")
	// time + interval and time - interval add the interval's time part and wrap around
	// midnight; its days and months are ignored, as PostgreSQL does.
	register(function{resolve: ids("_time_pl_interval", i64, arrow.INT64, arrow.INTERVAL_MONTH_DAY_NANO), eval: rowwise(false, func(v []any) (any, error) {
		return timeOfDay(v[0].(int64) + v[1].(arrow.MonthDayNanoInterval).Nanoseconds/1000), nil
	})}, "_time_pl_interval")
	register(function{resolve: ids("_time_mi_interval", i64, arrow.INT64, arrow.INTERVAL_MONTH_DAY_NANO), eval: rowwise(false, func(v []any) (any, error) {
		return timeOfDay(v[0].(int64) - v[1].(arrow.MonthDayNanoInterval).Nanoseconds/1000), nil
	})}, "_time_mi_interval")
	// date + time is the timestamp of that day at that time.
	register(function{resolve: ids("_date_pl_time", tsType, arrow.DATE32, arrow.INT64), eval: rowwise(false, func(v []any) (any, error) {
		return arrow.Timestamp(int64(v[0].(arrow.Date32))*exec.UsPerDay + v[1].(int64)), nil
	})}, "_date_pl_time")
	register(function{resolve: ids("_time_part", arrow.PrimitiveTypes.Float64, arrow.STRING, arrow.INT64), eval: rowwise(false, func(v []any) (any, error) {
		f, err := timePart(v[0].(string), v[1].(int64))
		return f.flt, err
	})}, "_time_part")
	register(function{resolve: ids("_time_extract", &arrow.Decimal128Type{Precision: 38, Scale: 6}, arrow.STRING, arrow.INT64), eval: rowwise(false, func(v []any) (any, error) {
		f, err := timePart(v[0].(string), v[1].(int64))
		return f.exact, err
	})}, "_time_extract")
	register(function{resolve: func(args []arrow.DataType) (arrow.DataType, []arrow.DataType, error) {
		if len(args) != 3 || !types.IsInteger(args[0]) || !types.IsInteger(args[1]) || !types.IsNumeric(args[2]) {
			return nil, nil, undefinedFunc("make_time", args)
		}
		return types.TimeType, []arrow.DataType{i64, i64, arrow.PrimitiveTypes.Float64}, nil
	}, eval: rowwise(false, func(v []any) (any, error) {
		return makeTime(v[0].(int64), v[1].(int64), v[2].(float64))
	})}, "make_time")
	registerTimeTZ()
}

// timeOfDay is us (microseconds) modulo a day, in [0, a day).
func timeOfDay(us int64) int64 {
	us %= types.MicrosPerDay
	if us < 0 {
		us += types.MicrosPerDay
	}
	return us
}

// timePart is extract's and date_part's field of a time value.
func timePart(field string, us int64) (fieldVal, error) {
	sec := us % 60_000_000
	exact := func(scaled int64) decimal128.Num { return decimal128.FromI64(scaled) }
	switch strings.ToLower(field) {
	case "microsecond", "microseconds", "us", "usec", "usecs":
		return fieldVal{exact(sec * 1_000_000), float64(sec)}, nil
	case "millisecond", "milliseconds", "ms", "msec", "msecs":
		return fieldVal{exact(sec * 1000), float64(sec) / 1000}, nil
	case "second", "seconds", "sec", "secs", "s":
		return fieldVal{exact(sec), float64(sec) / 1_000_000}, nil
	case "minute", "minutes", "min", "mins", "m":
		return intPart(us / 60_000_000 % 60), nil
	case "hour", "hours", "hr", "hrs", "h":
		return intPart(us / 3_600_000_000), nil
	case "epoch":
		return fieldVal{exact(us), float64(us) / 1_000_000}, nil
	case "day", "days", "d", "month", "months", "mon", "mons", "year", "years", "y", "yr", "yrs",
		"week", "weeks", "w", "quarter", "qtr", "decade", "decades", "century", "centuries",
		"millennium", "millennia", "dow", "doy", "isodow", "isoyear", "julian", "timezone",
		"timezone_hour", "timezone_minute":
		return fieldVal{}, errs.New(errs.NotImplemented, "unit %q not supported for type time without time zone", strings.ToLower(field))
	}
	return fieldVal{}, errs.New(errs.InvalidParameter, "unit %q not recognized for type time without time zone", strings.ToLower(field))
}

// makeTime is make_time(hour, min, sec), checked as PostgreSQL's make_time checks it.
func makeTime(h, m int64, s float64) (any, error) {
	if h < 0 || h > 24 || m < 0 || m > 59 || s < 0 || s > 60 || math.IsNaN(s) {
		return nil, errs.New(errs.DatetimeOverflow, "time field value out of range: %d:%02d:%s", h, m, formatSeconds(s))
	}
	us := (h*60+m)*60_000_000 + int64(math.RoundToEven(s*1_000_000))
	if us > types.MicrosPerDay {
		return nil, errs.New(errs.DatetimeOverflow, "time field value out of range: %d:%02d:%s", h, m, formatSeconds(s))
	}
	return us, nil
}

func formatSeconds(s float64) string {
	b := []byte{}
	if s < 10 && s >= 0 {
		b = append(b, '0')
	}
	return string(append(b, []byte(trimFloat(s))...))
}

func trimFloat(f float64) string {
	s := decimal128.FromI64(int64(math.Round(f * 1e6))).ToString(6)
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

var _ = array.NewInt64Builder
