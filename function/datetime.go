package function

import (
	"context"
	"fmt"
	"math"
	"math/big"
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

var (
	tsType  arrow.DataType = &arrow.TimestampType{Unit: arrow.Microsecond}
	tszType arrow.DataType = &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}
)

func registerDatetime() {
	clock := func(typ arrow.DataType, conv func(int64) any) function {
		return function{
			resolve: func(args []arrow.DataType) (arrow.DataType, []arrow.DataType, error) {
				if len(args) != 0 {
					return nil, nil, undefinedFunc("now", args)
				}
				return typ, nil, nil
			},
			evalCtx: func(ctx context.Context, n int, _ arrow.DataType, _ []arrow.Array) (arrow.Array, error) {
				us := exec.NowMicros(ctx)
				if !exec.HasZone(typ) {
					us = exec.ToLocal(exec.TimeZone(ctx), us) // localtimestamp, current_date
				}
				return exec.Broadcast(exec.Allocator(ctx), conv(us), typ, n), nil
			},
		}
	}
	stamp := func(us int64) any { return arrow.Timestamp(us) }
	register(clock(tszType, stamp), "now", "current_timestamp", "transaction_timestamp", "statement_timestamp")
	register(clock(tsType, stamp), "localtimestamp")
	register(clock(arrow.FixedWidthTypes.Date32, func(us int64) any { return arrow.Date32(exec.FloorDiv(us, exec.UsPerDay)) }), "current_date")

	register(function{resolve: resolveDatePart(false), zoned: evalDatePart(false)}, "date_part")
	register(function{resolve: resolveDatePart(true), zoned: evalDatePart(true)}, "extract")
	register(function{resolve: resolveDateTrunc, zoned: evalDateTrunc}, "date_trunc")
	register(function{resolve: resolveAge, zoned: evalAge}, "age")
	register(function{resolve: resolveToChar, zoned: evalToChar}, "to_char")
	register(function{resolve: resolveTimezone, eval: evalTimezone}, "timezone")
}

// ExtractScale is the scale of extract's numeric result for field: 6 for second and epoch
// (0 for the epoch of a date), 3 for milliseconds, 0 otherwise, as PostgreSQL prints them.
func ExtractScale(field string, arg arrow.DataType) int32 {
	switch strings.ToLower(field) {
	case "second", "seconds", "sec", "secs", "s":
		return 6
	case "epoch":
		if arg.ID() == arrow.DATE32 {
			return 0
		}
		return 6
	case "millisecond", "milliseconds", "ms", "msec", "msecs":
		return 3
	}
	return 0
}

// resolveDatePart types date_part(text, date|timestamp|timestamptz|interval) as double
// precision (a date is converted to timestamp) and extract(text, same) as numeric(38, 6);
// NewFunc narrows extract's scale to ExtractScale when the field is a literal.
func resolveDatePart(numeric bool) func([]arrow.DataType) (arrow.DataType, []arrow.DataType, error) {
	return func(args []arrow.DataType) (arrow.DataType, []arrow.DataType, error) {
		if len(args) != 2 || args[0].ID() != arrow.STRING {
			return nil, nil, undefinedFunc("date_part", args)
		}
		switch args[1].ID() {
		case arrow.DATE32, arrow.TIMESTAMP, arrow.INTERVAL_MONTH_DAY_NANO:
		default:
			return nil, nil, undefinedFunc("date_part", args)
		}
		if numeric {
			return &arrow.Decimal128Type{Precision: 38, Scale: 6}, nil, nil
		}
		if args[1].ID() == arrow.DATE32 {
			return arrow.PrimitiveTypes.Float64, []arrow.DataType{nil, tsType}, nil
		}
		return arrow.PrimitiveTypes.Float64, nil, nil
	}
}

// fieldVal is one extracted field: exact (the value times 10^6) and as PostgreSQL's float
// date_part computes it.
type fieldVal struct {
	exact decimal128.Num
	flt   float64
}

func intPart(v int64) fieldVal {
	return fieldVal{decimal128.FromI64(v).Mul(decimal128.FromI64(1000000)), float64(v)}
}

func unitErr(field string, t arrow.DataType, recognized bool) error {
	if recognized {
		return errs.New(errs.NotImplemented, "unit %q not supported for type %s", field, types.BaseName(t))
	}
	return errs.New(errs.InvalidParameter, "unit %q not recognized for type %s", field, types.BaseName(t))
}

// canonicalField maps PostgreSQL's field spellings to one name ("" when unknown).
func canonicalField(f string) string {
	switch strings.ToLower(strings.TrimSpace(f)) {
	case "microsecond", "microseconds", "us", "usec", "usecs", "useconds":
		return "microseconds"
	case "millisecond", "milliseconds", "ms", "msec", "msecs", "mseconds":
		return "milliseconds"
	case "second", "seconds", "s", "sec", "secs":
		return "second"
	case "minute", "minutes", "m", "min", "mins":
		return "minute"
	case "hour", "hours", "h", "hr", "hrs":
		return "hour"
	case "day", "days", "d":
		return "day"
	case "week", "weeks", "w":
		return "week"
	case "month", "months", "mon", "mons":
		return "month"
	case "quarter", "qtr":
		return "quarter"
	case "year", "years", "y", "yr", "yrs":
		return "year"
	case "decade", "decades", "dec", "decs":
		return "decade"
	case "century", "centuries", "c", "cent":
		return "century"
	case "millennium", "millennia", "mil", "mils", "millenniums":
		return "millennium"
	case "epoch":
		return "epoch"
	case "dow":
		return "dow"
	case "isodow":
		return "isodow"
	case "doy":
		return "doy"
	case "isoyear":
		return "isoyear"
	case "timezone", "timezone_hour", "timezone_minute":
		return strings.ToLower(strings.TrimSpace(f))
	}
	return ""
}

// pgYear is the year as PostgreSQL numbers it (no year 0: 1 BC is -1).
func pgYear(y int64) int64 {
	if y <= 0 {
		return y - 1
	}
	return y
}

// timestampPart extracts field from us (microseconds since the epoch of the wall clock); for
// a timestamptz, off is the offset (seconds east) of the session time zone the wall-clock
// time us is in.
func timestampPart(field string, us int64, t arrow.DataType, off int64) (fieldVal, error) {
	f := canonicalField(field)
	days := exec.FloorDiv(us, exec.UsPerDay)
	tod := us - days*exec.UsPerDay
	y, m, d := exec.DaysToCivil(days)
	year := pgYear(y)
	secUs := tod % (60 * exec.UsPerSec) // microseconds within the minute
	switch f {
	case "microseconds":
		return fieldVal{decimal128.FromI64(secUs).Mul(decimal128.FromI64(1000000)), float64(secUs)}, nil
	case "milliseconds":
		return fieldVal{decimal128.FromI64(secUs).Mul(decimal128.FromI64(1000)), float64(secUs/exec.UsPerSec)*1000 + float64(secUs%exec.UsPerSec)/1000.0}, nil
	case "second":
		return fieldVal{decimal128.FromI64(secUs), float64(secUs/exec.UsPerSec) + float64(secUs%exec.UsPerSec)/1000000.0}, nil
	case "minute":
		return intPart(tod / (60 * exec.UsPerSec) % 60), nil
	case "hour":
		return intPart(tod / exec.UsPerHour), nil
	case "day":
		return intPart(int64(d)), nil
	case "month":
		return intPart(int64(m)), nil
	case "quarter":
		return intPart(int64((m-1)/3 + 1)), nil
	case "year":
		return intPart(year), nil
	case "decade":
		if year >= 0 {
			return intPart(year / 10), nil
		}
		return intPart(-((8 - (year - 1)) / 10)), nil
	case "century":
		if year > 0 {
			return intPart((year + 99) / 100), nil
		}
		return intPart(-((99 - (year - 1)) / 100)), nil
	case "millennium":
		if year > 0 {
			return intPart((year + 999) / 1000), nil
		}
		return intPart(-((999 - (year - 1)) / 1000)), nil
	case "epoch":
		abs := us - off*exec.UsPerSec
		return fieldVal{decimal128.FromI64(abs), float64(abs) / 1000000.0}, nil
	case "dow":
		return intPart(((days % 7) + 7 + 4) % 7), nil
	case "isodow":
		dow := ((days % 7) + 7 + 4) % 7
		if dow == 0 {
			dow = 7
		}
		return intPart(dow), nil
	case "doy":
		return intPart(days - exec.CivilToDays(y, 1, 1) + 1), nil
	case "week", "isoyear":
		iy, w := isoWeek(days)
		if f == "week" {
			return intPart(w), nil
		}
		return intPart(pgYear(iy)), nil
	case "timezone", "timezone_hour", "timezone_minute":
		if !exec.HasZone(t) {
			return fieldVal{}, unitErr(field, t, true)
		}
		switch f {
		case "timezone_hour":
			return intPart(off / 3600), nil
		case "timezone_minute":
			return intPart(off / 60 % 60), nil
		}
		return intPart(off), nil
	}
	return fieldVal{}, unitErr(field, t, false)
}

// isoWeek is the ISO 8601 year and week of a day.
func isoWeek(days int64) (year, week int64) {
	dow := ((days%7)+7+3)%7 + 1 // 1 = Monday
	thursday := days - dow + 4
	y, _, _ := exec.DaysToCivil(thursday)
	return y, (thursday-exec.CivilToDays(y, 1, 1))/7 + 1
}

// intervalPart extracts field from an interval.
func intervalPart(field string, v arrow.MonthDayNanoInterval) (fieldVal, error) {
	us := v.Nanoseconds / 1000
	secUs := us % (60 * exec.UsPerSec)
	years, months := int64(v.Months/12), int64(v.Months%12)
	switch canonicalField(field) {
	case "microseconds":
		return fieldVal{decimal128.FromI64(secUs).Mul(decimal128.FromI64(1000000)), float64(secUs)}, nil
	case "milliseconds":
		return fieldVal{decimal128.FromI64(secUs).Mul(decimal128.FromI64(1000)), float64(secUs) / 1000.0}, nil
	case "second":
		return fieldVal{decimal128.FromI64(secUs), float64(secUs) / 1000000.0}, nil
	case "minute":
		return intPart(us / (60 * exec.UsPerSec) % 60), nil
	case "hour":
		return intPart(us / exec.UsPerHour), nil
	case "day":
		return intPart(int64(v.Days)), nil
	case "month":
		return intPart(months), nil
	case "quarter":
		return intPart(months/3 + 1), nil
	case "year":
		return intPart(years), nil
	case "decade":
		return intPart(years / 10), nil
	case "century":
		return intPart(years / 100), nil
	case "millennium":
		return intPart(years / 1000), nil
	case "epoch":
		// A year is 365.25 days, a month 30 days.
		secs := years*31557600 + months*30*86400 + int64(v.Days)*86400
		exact := decimal128.FromI64(secs).Mul(decimal128.FromI64(1000000)).Add(decimal128.FromI64(us))
		return fieldVal{exact, float64(us)/1000000.0 + float64(secs)}, nil
	case "":
		return fieldVal{}, unitErr(field, exec.Interval, false)
	}
	return fieldVal{}, unitErr(field, exec.Interval, true)
}

func evalDatePart(numeric bool) func(memory.Allocator, *time.Location, arrow.DataType, []arrow.Array) (arrow.Array, error) {
	return func(mem memory.Allocator, loc *time.Location, typ arrow.DataType, args []arrow.Array) (arrow.Array, error) {
		fields := args[0].(*array.String)
		src := args[1]
		n := src.Len()
		validity := exec.AndValidity(mem, args...)
		fail := func(buf *memory.Buffer, err error) (arrow.Array, error) {
			buf.Release()
			if validity != nil {
				validity.Release()
			}
			return nil, err
		}
		var flts []float64
		var nums []decimal128.Num
		var buf *memory.Buffer
		if numeric {
			buf, nums = exec.AllocValues[decimal128.Num](mem, n)
		} else {
			buf, flts = exec.AllocValues[float64](mem, n)
		}
		for i := 0; i < n; i++ {
			if validity != nil && exec.Skip(validity.Bytes(), i) {
				continue
			}
			field := fields.Value(i)
			var p fieldVal
			var err error
			switch src.DataType().ID() {
			case arrow.INTERVAL_MONTH_DAY_NANO:
				p, err = intervalPart(field, exec.ValuesOf[arrow.MonthDayNanoInterval](src)[i])
			case arrow.DATE32:
				// extract on a date: only the date fields (and epoch at midnight).
				f := canonicalField(field)
				switch f {
				case "microseconds", "milliseconds", "second", "minute", "hour", "timezone", "timezone_hour", "timezone_minute":
					err = unitErr(field, src.DataType(), true)
				default:
					p, err = timestampPart(field, int64(exec.ValuesOf[int32](src)[i])*exec.UsPerDay, src.DataType(), 0)
				}
			default:
				us, off := exec.ValuesOf[int64](src)[i], int64(0)
				if exec.HasZone(src.DataType()) {
					off = exec.OffsetAt(loc, us)
					us += off * exec.UsPerSec
				}
				p, err = timestampPart(field, us, src.DataType(), off)
			}
			if err != nil {
				return fail(buf, err)
			}
			if !numeric {
				flts[i] = p.flt
				continue
			}
			s := exec.ScaleOf(typ)
			if s == 6 {
				nums[i] = p.exact
				continue
			}
			q, _ := exec.DivRound(p.exact.BigInt(), exec.Pow10(6-s), new(big.Int), new(big.Int))
			nums[i] = q
		}
		return exec.MakeArray(typ, n, validity, buf), nil
	}
}

// dateTruncFields are date_trunc's fields, from the finest.
func truncTimestamp(field string, us int64) (int64, error) {
	days := exec.FloorDiv(us, exec.UsPerDay)
	tod := us - days*exec.UsPerDay
	y, m, _ := exec.DaysToCivil(days)
	year := pgYear(y)
	switch canonicalField(field) {
	case "microseconds":
		return us, nil
	case "milliseconds":
		return exec.FloorDiv(us, 1000) * 1000, nil
	case "second":
		return exec.FloorDiv(us, exec.UsPerSec) * exec.UsPerSec, nil
	case "minute":
		return exec.FloorDiv(us, 60*exec.UsPerSec) * 60 * exec.UsPerSec, nil
	case "hour":
		return days*exec.UsPerDay + tod/exec.UsPerHour*exec.UsPerHour, nil
	case "day":
		return days * exec.UsPerDay, nil
	case "week":
		dow := ((days%7)+7+3)%7 + 1 // 1 = Monday
		return (days - dow + 1) * exec.UsPerDay, nil
	case "month":
		return exec.CivilToDays(y, m, 1) * exec.UsPerDay, nil
	case "quarter":
		return exec.CivilToDays(y, (m-1)/3*3+1, 1) * exec.UsPerDay, nil
	case "year":
		return exec.CivilToDays(y, 1, 1) * exec.UsPerDay, nil
	case "decade":
		// PostgreSQL truncates the year toward zero (BC years are negative).
		t := year / 10 * 10
		if year < 0 {
			t = -((8 - (year - 1)) / 10 * 10)
		}
		return exec.CivilToDays(astroYear(t), 1, 1) * exec.UsPerDay, nil
	case "century":
		var t int64
		if year > 0 {
			t = (year-1)/100*100 + 1
		} else {
			t = -((99-(year-1))/100*100 - 1)
		}
		return exec.CivilToDays(astroYear(t), 1, 1) * exec.UsPerDay, nil
	case "millennium":
		var t int64
		if year > 0 {
			t = (year-1)/1000*1000 + 1
		} else {
			t = -((999-(year-1))/1000*1000 - 1)
		}
		return exec.CivilToDays(astroYear(t), 1, 1) * exec.UsPerDay, nil
	case "":
		return 0, errs.New(errs.InvalidParameter, "unit %q not recognized for type timestamp without time zone", field)
	}
	return 0, errs.New(errs.NotImplemented, "unit %q not supported for type timestamp without time zone", field)
}

// astroYear converts a PostgreSQL year (no year 0) to an astronomical one.
func astroYear(y int64) int64 {
	if y < 0 {
		return y + 1
	}
	return y
}

// resolveDateTrunc types date_trunc(text, timestamp) as timestamp, date_trunc(text,
// timestamptz [, zone text]) as timestamptz and, like PostgreSQL, date_trunc(text, date) as
// timestamptz.
func resolveDateTrunc(args []arrow.DataType) (arrow.DataType, []arrow.DataType, error) {
	if len(args) < 2 || len(args) > 3 || args[0].ID() != arrow.STRING {
		return nil, nil, undefinedFunc("date_trunc", args)
	}
	if len(args) == 3 {
		if args[2].ID() != arrow.STRING || (args[1].ID() != arrow.DATE32 && !exec.HasZone(args[1])) {
			return nil, nil, undefinedFunc("date_trunc", args)
		}
		return tszType, []arrow.DataType{nil, tszType, nil}, nil
	}
	switch args[1].ID() {
	case arrow.TIMESTAMP:
		return args[1], nil, nil
	case arrow.DATE32:
		return tszType, []arrow.DataType{nil, tszType}, nil
	}
	return nil, nil, undefinedFunc("date_trunc", args)
}

// truncZoned is date_trunc(field, us) of a timestamptz in loc: the wall-clock time is
// truncated; from day up the result is read back in loc (DST aware), below a day it keeps
// the offset of us, as PostgreSQL does.
func truncZoned(field string, us int64, loc *time.Location) (int64, error) {
	off := exec.OffsetAt(loc, us) * exec.UsPerSec
	v, err := truncTimestamp(field, us+off)
	if err != nil {
		return 0, err
	}
	switch canonicalField(field) {
	case "microseconds", "milliseconds", "second", "minute", "hour":
		return v - off, nil
	}
	return exec.FromLocal(loc, v), nil
}

func evalDateTrunc(mem memory.Allocator, loc *time.Location, typ arrow.DataType, args []arrow.Array) (arrow.Array, error) {
	fields := args[0].(*array.String)
	src := exec.ValuesOf[int64](args[1])
	n := len(src)
	validity := exec.AndValidity(mem, args...)
	buf, out := exec.AllocValues[int64](mem, n)
	zoned := exec.HasZone(args[1].DataType())
	var zones zoneCache
	for i := range out {
		if validity != nil && exec.Skip(validity.Bytes(), i) {
			continue
		}
		var v int64
		var err error
		switch {
		case len(args) == 3:
			var z *time.Location
			if z, err = zones.get(args[2].(*array.String).Value(i)); err == nil {
				v, err = truncZoned(fields.Value(i), src[i], z)
			}
		case zoned:
			v, err = truncZoned(fields.Value(i), src[i], loc)
		default:
			v, err = truncTimestamp(fields.Value(i), src[i])
		}
		if err != nil {
			buf.Release()
			if validity != nil {
				validity.Release()
			}
			return nil, err
		}
		out[i] = v
	}
	return exec.MakeArray(typ, n, validity, buf), nil
}

// zoneCache resolves zone names with parseZone, remembering the last one.
type zoneCache struct {
	name string
	loc  *time.Location
}

func (c *zoneCache) get(name string) (*time.Location, error) {
	if c.loc != nil && name == c.name {
		return c.loc, nil
	}
	loc, err := exec.ParseZone(name)
	if err != nil {
		return nil, err
	}
	c.name, c.loc = name, loc
	return loc, nil
}

// resolveTimezone types timezone(zone, ts), what ts AT TIME ZONE zone is: zone is text or an
// interval; a timestamp gives timestamptz (ts read as wall-clock time in zone), a
// timestamptz (a date or a text literal is converted to one) gives timestamp (its
// wall-clock time in zone).
func resolveTimezone(args []arrow.DataType) (arrow.DataType, []arrow.DataType, error) {
	if len(args) != 2 || (args[0].ID() != arrow.STRING && args[0].ID() != arrow.INTERVAL_MONTH_DAY_NANO) {
		return nil, nil, undefinedFunc("timezone", args)
	}
	switch {
	case args[1].ID() == arrow.TIMESTAMP && !exec.HasZone(args[1]):
		return tszType, nil, nil
	case args[1].ID() == arrow.TIMESTAMP:
		return tsType, nil, nil
	case args[1].ID() == arrow.DATE32 || args[1].ID() == arrow.STRING:
		return tsType, []arrow.DataType{nil, tszType}, nil
	}
	return nil, nil, undefinedFunc("timezone", args)
}

// intervalZone is the fixed zone an interval names in AT TIME ZONE: its time part east of
// UTC; months and days are an error, as in PostgreSQL.
func intervalZone(v arrow.MonthDayNanoInterval) (*time.Location, error) {
	if v.Months != 0 || v.Days != 0 {
		return nil, errs.New(errs.InvalidParameter, "interval time zone %q must not include months or days", exec.FormatInterval(v))
	}
	secs := v.Nanoseconds / 1000000000
	return time.FixedZone(exec.FormatOffset(secs), int(secs)), nil
}

func evalTimezone(mem memory.Allocator, typ arrow.DataType, args []arrow.Array) (arrow.Array, error) {
	src := exec.ValuesOf[int64](args[1])
	n := len(src)
	validity := exec.AndValidity(mem, args...)
	buf, out := exec.AllocValues[int64](mem, n)
	var zones zoneCache
	for i := range out {
		if validity != nil && exec.Skip(validity.Bytes(), i) {
			continue
		}
		var loc *time.Location
		var err error
		if z, ok := args[0].(*array.String); ok {
			loc, err = zones.get(z.Value(i))
		} else {
			loc, err = intervalZone(exec.ValuesOf[arrow.MonthDayNanoInterval](args[0])[i])
		}
		if err != nil {
			buf.Release()
			if validity != nil {
				validity.Release()
			}
			return nil, err
		}
		if exec.HasZone(typ) {
			out[i] = exec.FromLocal(loc, src[i])
		} else {
			out[i] = exec.ToLocal(loc, src[i])
		}
	}
	return exec.MakeArray(typ, n, validity, buf), nil
}

// resolveAge types age(timestamp, timestamp) (dates become timestamps) as interval.
func resolveAge(args []arrow.DataType) (arrow.DataType, []arrow.DataType, error) {
	if len(args) != 2 {
		return nil, nil, undefinedFunc("age", args)
	}
	conv := make([]arrow.DataType, 2)
	tz := false
	for i, t := range args {
		switch t.ID() {
		case arrow.DATE32:
			conv[i] = tsType
		case arrow.TIMESTAMP:
			tz = tz || t.(*arrow.TimestampType).TimeZone != ""
		default:
			return nil, nil, undefinedFunc("age", args)
		}
	}
	for i, t := range args {
		if tz {
			conv[i] = tszType
		} else if t.ID() == arrow.TIMESTAMP {
			conv[i] = tsType
		}
	}
	return exec.Interval, conv, nil
}

// ageOf is PostgreSQL's age(a, b): the field-wise difference in years, months, days and
// time, borrowing days from the month of the earlier argument.
func ageOf(a, b int64) arrow.MonthDayNanoInterval {
	fields := func(us int64) (y int64, mon, d int, tod int64) {
		days := exec.FloorDiv(us, exec.UsPerDay)
		y, mon, d = exec.DaysToCivil(days)
		return y, mon, d, us - days*exec.UsPerDay
	}
	y1, m1, d1, t1 := fields(a)
	y2, m2, d2, t2 := fields(b)
	year, mon, day, tod := y1-y2, int64(m1-m2), int64(d1-d2), t1-t2
	neg := a < b
	if neg {
		year, mon, day, tod = -year, -mon, -day, -tod
	}
	for tod < 0 {
		tod += exec.UsPerDay
		day--
	}
	for day < 0 {
		if neg {
			day += int64(exec.DaysIn(int(y1), m1))
		} else {
			day += int64(exec.DaysIn(int(y2), m2))
		}
		mon--
	}
	for mon < 0 {
		mon += 12
		year--
	}
	if neg {
		year, mon, day, tod = -year, -mon, -day, -tod
	}
	return exec.NewInterval(int32(year*12+mon), int32(day), tod)
}

func evalAge(mem memory.Allocator, loc *time.Location, typ arrow.DataType, args []arrow.Array) (arrow.Array, error) {
	a, b := exec.ValuesOf[int64](args[0]), exec.ValuesOf[int64](args[1])
	validity := exec.AndValidity(mem, args...)
	buf, out := exec.AllocValues[arrow.MonthDayNanoInterval](mem, len(a))
	if !exec.HasZone(args[0].DataType()) {
		loc = time.UTC
	}
	for i := range out {
		// timestamptz: the difference of the wall-clock times, ignoring their offsets.
		out[i] = ageOf(exec.ToLocal(loc, a[i]), exec.ToLocal(loc, b[i]))
	}
	return exec.MakeArray(typ, len(a), validity, buf), nil
}

func resolveToChar(args []arrow.DataType) (arrow.DataType, []arrow.DataType, error) {
	if len(args) != 2 || args[1].ID() != arrow.STRING {
		return nil, nil, undefinedFunc("to_char", args)
	}
	switch args[0].ID() {
	case arrow.TIMESTAMP:
		return arrow.BinaryTypes.String, nil, nil
	case arrow.DATE32: // PostgreSQL converts the date to timestamptz
		return arrow.BinaryTypes.String, []arrow.DataType{tszType, nil}, nil
	case arrow.INTERVAL_MONTH_DAY_NANO:
	}
	return nil, nil, undefinedFunc("to_char", args)
}

var (
	monthNames = []string{"January", "February", "March", "April", "May", "June", "July",
		"August", "September", "October", "November", "December"}
	dayNames = []string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}
)

// charZone is the zone to_char writes for TZ, tz, OF, TZH and TZM: the abbreviation and the
// offset in seconds east (a timestamp without time zone has none: empty and 0).
type charZone struct {
	abbrev string
	off    int64
}

// toChar formats us (wall-clock microseconds) with a PostgreSQL to_char template.
// Supported: YYYY YYY YY Y, MM, Month MONTH month Mon MON mon, DD DDD D, Day DAY day Dy DY
// dy, HH HH12 HH24, MI, SS, MS, US, AM PM am pm, Q, WW, IW, IYYY, J, TZ tz OF TZH TZM; the FM
// prefix suppresses padding; text in double quotes is copied; everything else is copied as
// is.
func toChar(us int64, format string, zone charZone) string {
	days := exec.FloorDiv(us, exec.UsPerDay)
	tod := us - days*exec.UsPerDay
	y, m, d := exec.DaysToCivil(days)
	year := y
	if y <= 0 {
		year = 1 - y
	}
	dow := int(((days % 7) + 7 + 4) % 7) // 0 = Sunday
	hour := tod / exec.UsPerHour
	var sb strings.Builder
	fm := false
	num := func(v int64, width int) {
		if fm {
			fmt.Fprintf(&sb, "%d", v)
		} else {
			fmt.Fprintf(&sb, "%0*d", width, v)
		}
	}
	word := func(s string, width int) {
		if fm {
			sb.WriteString(s)
		} else {
			fmt.Fprintf(&sb, "%-*s", width, s)
		}
	}
	cased := func(tok, s string) string {
		switch {
		case tok == strings.ToUpper(tok):
			return strings.ToUpper(s)
		case tok == strings.ToLower(tok):
			return strings.ToLower(s)
		}
		return s
	}
	h12 := hour % 12
	if h12 == 0 {
		h12 = 12
	}
	for i := 0; i < len(format); {
		rest := format[i:]
		up := strings.ToUpper(rest)
		match := func(p string) bool { return strings.HasPrefix(up, p) }
		if rest[0] == '"' {
			j := strings.IndexByte(rest[1:], '"')
			if j < 0 {
				sb.WriteString(rest[1:])
				break
			}
			sb.WriteString(rest[1 : j+1])
			i += j + 2
			continue
		}
		if match("FM") {
			fm = true
			i += 2
			continue
		}
		adv := 0
		switch {
		case match("TZH"):
			sign := "+"
			if zone.off < 0 {
				sign = "-"
			}
			sb.WriteString(sign)
			num(abs64(zone.off)/3600, 2)
			adv = 3
		case match("TZM"):
			num(abs64(zone.off)/60%60, 2)
			adv = 3
		case match("TZ"):
			sb.WriteString(cased(rest[:2], zone.abbrev))
			adv = 2
		case match("OF"):
			if zone.abbrev != "" {
				sb.WriteString(exec.FormatOffset(zone.off / 60 * 60))
			}
			adv = 2
		case match("YYYY"):
			num(year, 4)
			adv = 4
		case match("IYYY"):
			iy, _ := isoWeek(days)
			num(iy, 4)
			adv = 4
		case match("YYY"):
			num(year%1000, 3)
			adv = 3
		case match("YY"):
			num(year%100, 2)
			adv = 2
		case match("Y"):
			num(year%10, 1)
			adv = 1
		case match("MONTH"):
			word(cased(rest[:5], monthNames[m-1]), 9)
			adv = 5
		case match("MON"):
			sb.WriteString(cased(rest[:3], monthNames[m-1][:3]))
			adv = 3
		case match("MM"):
			num(int64(m), 2)
			adv = 2
		case match("MS"):
			num(tod/1000%1000, 3)
			adv = 2
		case match("MI"):
			num(tod/(60*exec.UsPerSec)%60, 2)
			adv = 2
		case match("DDD"):
			num(days-exec.CivilToDays(y, 1, 1)+1, 3)
			adv = 3
		case match("DAY"):
			word(cased(rest[:3], dayNames[dow]), 9)
			adv = 3
		case match("DY"):
			sb.WriteString(cased(rest[:2], dayNames[dow][:3]))
			adv = 2
		case match("DD"):
			num(int64(d), 2)
			adv = 2
		case match("D"):
			num(int64(dow+1), 1)
			adv = 1
		case match("HH24"):
			num(hour, 2)
			adv = 4
		case match("HH12"):
			num(h12, 2)
			adv = 4
		case match("HH"):
			num(h12, 2)
			adv = 2
		case match("SS"):
			num(tod/exec.UsPerSec%60, 2)
			adv = 2
		case match("US"):
			num(tod%exec.UsPerSec, 6)
			adv = 2
		case match("AM"), match("PM"):
			s := "AM"
			if hour >= 12 {
				s = "PM"
			}
			sb.WriteString(cased(rest[:2], s))
			adv = 2
		case match("Q"):
			num(int64((m-1)/3+1), 1)
			adv = 1
		case match("WW"):
			num((days-exec.CivilToDays(y, 1, 1))/7+1, 2)
			adv = 2
		case match("IW"):
			_, w := isoWeek(days)
			num(w, 2)
			adv = 2
		case match("J"):
			num(days+2440588, 1)
			adv = 1
		default:
			sb.WriteByte(rest[0])
			i++
			continue
		}
		fm = false
		i += adv
	}
	return sb.String()
}

func abs64(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

func evalToChar(mem memory.Allocator, loc *time.Location, _ arrow.DataType, args []arrow.Array) (arrow.Array, error) {
	zoned := exec.HasZone(args[0].DataType())
	src, formats := exec.ValuesOf[int64](args[0]), args[1].(*array.String)
	b := array.NewStringBuilder(mem)
	defer b.Release()
	b.Reserve(len(src))
	for i, us := range src {
		if args[0].IsNull(i) || formats.IsNull(i) {
			b.AppendNull()
			continue
		}
		var zone charZone
		if zoned {
			name, off := time.Unix(exec.FloorDiv(us, exec.UsPerSec), 0).In(loc).Zone()
			zone = charZone{abbrev: name, off: int64(off)}
			us += zone.off * exec.UsPerSec
		}
		b.Append(toChar(us, formats.Value(i), zone))
	}
	return b.NewArray(), nil
}

var _ = math.Abs
