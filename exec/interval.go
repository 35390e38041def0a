package exec

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/errs"
)

// Intervals are arrow.MonthDayNanoInterval values holding PostgreSQL's three fields:
// months, days and a time part, whose nanoseconds are always a whole number of
// microseconds (PostgreSQL's resolution). Like PostgreSQL, comparison, equality and
// grouping treat a month as 30 days and a day as 24 hours, so '1 mon' = '30 days'.

// Interval is the SQL interval type.
var Interval arrow.DataType = arrow.FixedWidthTypes.MonthDayNanoInterval

// NewInterval returns the interval of months, days and microseconds.
func NewInterval(months, days int32, micros int64) arrow.MonthDayNanoInterval {
	return arrow.MonthDayNanoInterval{Months: months, Days: days, Nanoseconds: micros * 1000}
}

const (
	usPerHour = 3600 * 1000000
	usPerSec  = 1000000
	// PostgreSQL's timestamp range starts at 4714-11-24 00:00:00 BC; its end, in 294276 AD,
	// lies beyond int64 microseconds since 1970, so ours ends at the int64 limit.
	minTimestamp = -210866803200000000
	maxTimestamp = math.MaxInt64
)

func intervalRange() error { return errs.New(errs.DatetimeOverflow, "interval out of range") }

func timestampRange() error { return errs.New(errs.DatetimeOverflow, "timestamp out of range") }

// intervalSpan is v as whole days (a month being 30 days) plus microseconds in [0, 1 day).
func intervalSpan(v arrow.MonthDayNanoInterval) (days, us int64) {
	us = v.Nanoseconds / 1000
	days = int64(v.Months)*30 + int64(v.Days) + floorDiv(us, usPerDay)
	return days, us - floorDiv(us, usPerDay)*usPerDay
}

// cmpInterval orders intervals as PostgreSQL does, by their span.
func cmpInterval(a, b arrow.MonthDayNanoInterval) int {
	ad, au := intervalSpan(a)
	bd, bu := intervalSpan(b)
	switch {
	case ad < bd:
		return -1
	case ad > bd:
		return 1
	case au < bu:
		return -1
	case au > bu:
		return 1
	}
	return 0
}

// formatInterval prints v as PostgreSQL's interval output does with IntervalStyle postgres:
// '1 year 2 mons 3 days 04:05:06', '-1 days +02:00:00', '00:00:00'.
// FormatInterval renders an interval as PostgreSQL's default IntervalStyle (postgres) does:
// '1 year 2 mons 3 days 04:05:06'.
func FormatInterval(v arrow.MonthDayNanoInterval) string { return formatInterval(v) }

func formatInterval(v arrow.MonthDayNanoInterval) string {
	var sb strings.Builder
	zero, before := true, false
	part := func(n int64, unit string) {
		if n == 0 {
			return
		}
		if !zero {
			sb.WriteByte(' ')
		}
		if before && n > 0 {
			sb.WriteByte('+')
		}
		fmt.Fprintf(&sb, "%d %s", n, unit)
		if n != 1 {
			sb.WriteByte('s')
		}
		before, zero = n < 0, false
	}
	part(int64(v.Months/12), "year")
	part(int64(v.Months%12), "mon")
	part(int64(v.Days), "day")
	us := v.Nanoseconds / 1000
	if zero || us != 0 {
		if !zero {
			sb.WriteByte(' ')
		}
		switch {
		case us < 0:
			sb.WriteByte('-')
		case before:
			sb.WriteByte('+')
		}
		a := uint64(us)
		if us < 0 {
			a = uint64(-us)
		}
		fmt.Fprintf(&sb, "%02d:%02d:%02d", a/usPerHour, a/(60*usPerSec)%60, a/usPerSec%60)
		if f := a % usPerSec; f != 0 {
			sb.WriteString("." + strings.TrimRight(fmt.Sprintf("%06d", f), "0"))
		}
	}
	return sb.String()
}

// intervalUnits maps PostgreSQL's interval unit names to a unit.
var intervalUnits = map[string]string{}

func init() {
	for unit, names := range map[string][]string{
		"microsecond": {"microsecond", "microseconds", "microsecon", "us", "usec", "usecs", "useconds"},
		"millisecond": {"millisecond", "milliseconds", "millisecon", "ms", "msec", "msecs", "mseconds"},
		"second":      {"second", "seconds", "s", "sec", "secs"},
		"minute":      {"minute", "minutes", "m", "min", "mins"},
		"hour":        {"hour", "hours", "h", "hr", "hrs"},
		"day":         {"day", "days", "d"},
		"week":        {"week", "weeks", "w"},
		"month":       {"month", "months", "mon", "mons"},
		"year":        {"year", "years", "y", "yr", "yrs"},
		"decade":      {"decade", "decades", "dec", "decs"},
		"century":     {"century", "centuries", "c", "cent"},
		"millennium":  {"millennium", "millennia", "mil", "mils"},
	} {
		for _, n := range names {
			intervalUnits[n] = unit
		}
	}
}

// parseInterval parses PostgreSQL's interval input: a list of "number unit" pairs
// ('1 year 2 mons', '-1 week', '1.5 days', '90 day'), optionally a time "[-]hh:mm[:ss[.f]]",
// a leading '@' and a trailing 'ago'. A number without a unit is seconds.
func parseInterval(s string) (any, error) {
	bad := func() (any, error) {
		return nil, errs.New(errs.InvalidDatetime, "invalid input syntax for type interval: %q", s)
	}
	t := strings.ToLower(strings.TrimSpace(s))
	t = strings.TrimSpace(strings.TrimPrefix(t, "@"))
	// Split "90days" and "1h" into number and unit.
	var toks []string
	for _, f := range strings.Fields(t) {
		i := 0
		for i < len(f) && (f[i] >= '0' && f[i] <= '9' || f[i] == '.' || f[i] == '-' || f[i] == '+' || f[i] == ':') {
			i++
		}
		if i > 0 && i < len(f) {
			toks = append(toks, f[:i], f[i:])
		} else {
			toks = append(toks, f)
		}
	}
	if len(toks) == 0 {
		return bad()
	}
	var months, days int64
	var us float64 // microseconds
	ago := false
	seen := false
	for i := 0; i < len(toks); i++ {
		tok := toks[i]
		if tok == "ago" && i == len(toks)-1 && seen {
			ago = true
			continue
		}
		if strings.Contains(tok, ":") {
			v, ok := parseClock(tok)
			if !ok {
				return bad()
			}
			us += v
			seen = true
			continue
		}
		num, err := strconv.ParseFloat(tok, 64)
		if err != nil || strings.ContainsAny(tok, "eEnNiI_xX") {
			return bad()
		}
		unit := "second"
		if i+1 < len(toks) {
			if u, ok := intervalUnits[toks[i+1]]; ok {
				unit = u
				i++
			} else if toks[i+1] != "ago" && !strings.Contains(toks[i+1], ":") {
				return bad()
			}
		}
		seen = true
		whole, frac := math.Modf(num)
		switch unit {
		case "microsecond":
			us += num
		case "millisecond":
			us += num * 1000
		case "second":
			us += num * usPerSec
		case "minute":
			us += num * 60 * usPerSec
		case "hour":
			us += num * usPerHour
		case "day":
			days += int64(whole)
			us += frac * usPerDay
		case "week":
			d := num * 7
			wd, fd := math.Modf(d)
			days += int64(wd)
			us += fd * usPerDay
		case "month":
			months += int64(whole)
			d := frac * 30
			wd, fd := math.Modf(d)
			days += int64(wd)
			us += fd * usPerDay
		case "year", "decade", "century", "millennium":
			per := map[string]float64{"year": 1, "decade": 10, "century": 100, "millennium": 1000}[unit]
			months += int64(whole*per) * 12
			months += int64(math.RoundToEven(frac * per * 12))
		}
	}
	if !seen {
		return bad()
	}
	micros := math.RoundToEven(us)
	if ago {
		months, days, micros = -months, -days, -micros
	}
	if months < math.MinInt32 || months > math.MaxInt32 || days < math.MinInt32 || days > math.MaxInt32 ||
		math.Abs(micros) >= 9.2e18 {
		return nil, errs.New(errs.DatetimeOverflow, "interval field value out of range: %q", s)
	}
	return NewInterval(int32(months), int32(days), int64(micros)), nil
}

// parseClock parses "[+-]hh:mm[:ss[.f]]" into microseconds.
func parseClock(tok string) (float64, bool) {
	neg := false
	if tok != "" && (tok[0] == '-' || tok[0] == '+') {
		neg = tok[0] == '-'
		tok = tok[1:]
	}
	ps := strings.Split(tok, ":")
	if len(ps) < 2 || len(ps) > 3 {
		return 0, false
	}
	var v float64
	for i, p := range ps {
		if p == "" || strings.Trim(p, "0123456789.") != "" || (i < 2 && strings.Contains(p, ".")) {
			return 0, false
		}
		x, err := strconv.ParseFloat(p, 64)
		if err != nil {
			return 0, false
		}
		if i > 0 && x >= 60 {
			return 0, false
		}
		v += x * []float64{usPerHour, 60 * usPerSec, usPerSec}[i]
	}
	if neg {
		v = -v
	}
	return v, true
}

// addInterval is timestamp us + v as PostgreSQL computes it: months first (clamping the
// day of month to the month's last day), then days, then the time part.
func addInterval(us int64, v arrow.MonthDayNanoInterval) (int64, error) {
	if v.Months != 0 {
		days := floorDiv(us, usPerDay)
		rem := us - days*usPerDay
		y, m, d := daysToCivil(days)
		total := y*12 + int64(m-1) + int64(v.Months)
		y2 := floorDiv(total, 12)
		m2 := int(total-y2*12) + 1
		d = min(d, daysIn(int(y2), m2))
		us = civilToDays(y2, m2, d)*usPerDay + rem
	}
	var ok1, ok2 bool
	us, ok1 = addChecked(us, int64(v.Days)*usPerDay)
	us, ok2 = addChecked(us, v.Nanoseconds/1000)
	if !ok1 || !ok2 || us < minTimestamp || us > maxTimestamp {
		return 0, timestampRange()
	}
	return us, nil
}

// addIntervalIn is timestamptz us + v as PostgreSQL computes it in the session time zone
// loc: months, then days, each on the local wall-clock time (read back with fromLocal's
// rule), then the time part as elapsed time.
func addIntervalIn(loc *time.Location, us int64, v arrow.MonthDayNanoInterval) (int64, error) {
	if loc == time.UTC {
		return addInterval(us, v)
	}
	var err error
	for _, step := range []arrow.MonthDayNanoInterval{{Months: v.Months}, {Days: v.Days}} {
		if step.Months == 0 && step.Days == 0 {
			continue
		}
		if us, err = addInterval(toLocal(loc, us), step); err != nil {
			return 0, err
		}
		us = fromLocal(loc, us)
	}
	return addInterval(us, arrow.MonthDayNanoInterval{Nanoseconds: v.Nanoseconds})
}

// addChecked is a + b, reporting false on overflow.
func addChecked(a, b int64) (int64, bool) {
	c := a + b
	return c, (a^c)&(b^c) >= 0
}

func negInterval(v arrow.MonthDayNanoInterval) (arrow.MonthDayNanoInterval, error) {
	if v.Months == math.MinInt32 || v.Days == math.MinInt32 || v.Nanoseconds == math.MinInt64 {
		return v, intervalRange()
	}
	return arrow.MonthDayNanoInterval{Months: -v.Months, Days: -v.Days, Nanoseconds: -v.Nanoseconds}, nil
}

func addIntervals(a, b arrow.MonthDayNanoInterval) (arrow.MonthDayNanoInterval, error) {
	m := int64(a.Months) + int64(b.Months)
	d := int64(a.Days) + int64(b.Days)
	us := a.Nanoseconds/1000 + b.Nanoseconds/1000
	if m != int64(int32(m)) || d != int64(int32(d)) || math.Abs(float64(us)) > 9.2e15 {
		return a, intervalRange()
	}
	return NewInterval(int32(m), int32(d), us), nil
}

// tsRound rounds seconds to microseconds (PostgreSQL's TSROUND).
func tsRound(x float64) float64 { return math.RoundToEven(x*1e6) / 1e6 }

// mulInterval is interval_mul: fractional months cascade into days (30 to a month) and
// fractional days into the time part.
func mulInterval(v arrow.MonthDayNanoInterval, f float64) (arrow.MonthDayNanoInterval, error) {
	rm := float64(v.Months) * f
	if math.IsNaN(rm) || rm > math.MaxInt32 || rm < math.MinInt32 {
		return v, intervalRange()
	}
	month := int32(rm)
	rd := float64(v.Days) * f
	if math.IsNaN(rd) || rd > math.MaxInt32 || rd < math.MinInt32 {
		return v, intervalRange()
	}
	day := int32(rd)
	monthRemDays := tsRound((float64(v.Months)*f - float64(month)) * 30)
	secRem := (float64(v.Days)*f - float64(day) + monthRemDays - float64(int64(monthRemDays))) * 86400
	return finishMulDiv(month, day, monthRemDays, tsRound(secRem), float64(v.Nanoseconds/1000)*f)
}

// divInterval is interval_div.
func divInterval(v arrow.MonthDayNanoInterval, f float64) (arrow.MonthDayNanoInterval, error) {
	if f == 0 {
		return v, divZero()
	}
	month := int32(float64(v.Months) / f)
	day := int32(float64(v.Days) / f)
	monthRemDays := tsRound((float64(v.Months)/f - float64(month)) * 30)
	secRem := float64(v.Days)/f - float64(day) + monthRemDays - float64(int64(monthRemDays))
	return finishMulDiv(month, day, monthRemDays, tsRound(secRem*86400), float64(v.Nanoseconds/1000)/f)
}

func finishMulDiv(month, day int32, monthRemDays, secRem, time float64) (arrow.MonthDayNanoInterval, error) {
	d := int64(day)
	if math.Abs(secRem) >= 86400 {
		d += int64(secRem / 86400)
		secRem -= float64(int64(secRem/86400)) * 86400
	}
	d += int64(monthRemDays)
	us := math.RoundToEven(time + secRem*1e6)
	if math.IsNaN(us) || math.Abs(us) > 9.2e15 || d != int64(int32(d)) {
		return arrow.MonthDayNanoInterval{}, intervalRange()
	}
	return NewInterval(month, int32(d), int64(us)), nil
}

// subTimestamps is a - b as an interval of days and time (PostgreSQL's timestamp_mi, which
// justifies hours into days).
func subTimestamps(a, b int64) (arrow.MonthDayNanoInterval, error) {
	diff := a - b
	if (a >= 0) != (b >= 0) && (diff >= 0) != (a >= 0) {
		return arrow.MonthDayNanoInterval{}, intervalRange()
	}
	days := diff / usPerDay // truncating, as TMODULO
	diff -= days * usPerDay
	return NewInterval(0, int32(days), diff), nil
}

// intervalResultType is the result type of an arithmetic operator involving an interval,
// or timestamp - timestamp; ok is false when PostgreSQL has no such operator.
func intervalResultType(op BinaryOp, l, r arrow.DataType) (arrow.DataType, bool) {
	li, ri := l.ID(), r.ID()
	iv := arrow.INTERVAL_MONTH_DAY_NANO
	ts := func(t arrow.DataType) arrow.DataType {
		if t.ID() == arrow.DATE32 {
			return &arrow.TimestampType{Unit: arrow.Microsecond}
		}
		return t
	}
	dated := func(id arrow.Type) bool { return id == arrow.DATE32 || id == arrow.TIMESTAMP }
	switch {
	case li == iv && ri == iv && (op == Add || op == Sub):
		return Interval, true
	case dated(li) && ri == iv && (op == Add || op == Sub):
		return ts(l), true
	case li == iv && dated(ri) && op == Add:
		return ts(r), true
	case li == iv && isNumeric(r) && (op == Mul || op == Div):
		return Interval, true
	case isNumeric(l) && ri == iv && op == Mul:
		return Interval, true
	case li == arrow.TIMESTAMP && arrow.TypeEqual(l, r) && op == Sub:
		return Interval, true
	}
	return nil, false
}

// factors returns a numeric array's values as float64s, as PostgreSQL's interval * float8.
func factors(a arrow.Array) []float64 {
	out := make([]float64, a.Len())
	switch a.DataType().ID() {
	case arrow.FLOAT32:
		for i, v := range values[float32](a) {
			out[i] = float64(v)
		}
	case arrow.FLOAT64:
		copy(out, values[float64](a))
	case arrow.DECIMAL128:
		for i := range out {
			if a.IsValid(i) {
				v, _ := convertValue(valueAt(a, i), a.DataType(), arrow.PrimitiveTypes.Float64, nil)
				out[i] = v.(float64)
			}
		}
	default:
		for i, v := range intsAsInt64(a) {
			out[i] = float64(v)
		}
	}
	return out
}

// timestampsOf returns a date or timestamp array's values as microseconds.
func timestampsOf(a arrow.Array) []int64 {
	if a.DataType().ID() == arrow.DATE32 {
		out := make([]int64, a.Len())
		for i, d := range values[int32](a) {
			out[i] = int64(d) * usPerDay
		}
		return out
	}
	return values[int64](a)
}

// intervalArith evaluates an operator intervalResultType accepts; loc is the session time
// zone, in which timestamptz + interval moves.
func intervalArith(mem memory.Allocator, loc *time.Location, op BinaryOp, t arrow.DataType, l, r arrow.Array, validity *memory.Buffer) (arrow.Array, error) {
	n := l.Len()
	var valid []byte
	if validity != nil {
		valid = validity.Bytes()
	}
	iv := arrow.INTERVAL_MONTH_DAY_NANO
	li, ri := l.DataType().ID(), r.DataType().ID()
	fail := func(buf *memory.Buffer, err error) (arrow.Array, error) {
		buf.Release()
		if validity != nil {
			validity.Release()
		}
		return nil, err
	}
	if t.ID() == arrow.TIMESTAMP {
		stamps, ivs := l, r
		if li == iv {
			stamps, ivs = r, l
		}
		ts, vs := timestampsOf(stamps), values[arrow.MonthDayNanoInterval](ivs)
		if !hasZone(t) {
			loc = time.UTC
		}
		buf, out := newValues[int64](mem, n)
		for i := range out {
			if skip(valid, i) {
				continue
			}
			v := vs[i]
			var err error
			if op == Sub {
				if v, err = negInterval(v); err != nil {
					return fail(buf, err)
				}
			}
			if out[i], err = addIntervalIn(loc, ts[i], v); err != nil {
				return fail(buf, err)
			}
		}
		return makeArray(t, n, validity, buf), nil
	}
	buf, out := newValues[arrow.MonthDayNanoInterval](mem, n)
	var err error
	switch {
	case li == arrow.TIMESTAMP:
		a, b := values[int64](l), values[int64](r)
		for i := range out {
			if !skip(valid, i) {
				if out[i], err = subTimestamps(a[i], b[i]); err != nil {
					return fail(buf, err)
				}
			}
		}
	case li == iv && ri == iv:
		a, b := values[arrow.MonthDayNanoInterval](l), values[arrow.MonthDayNanoInterval](r)
		for i := range out {
			if skip(valid, i) {
				continue
			}
			y := b[i]
			if op == Sub {
				if y, err = negInterval(y); err != nil {
					return fail(buf, err)
				}
			}
			if out[i], err = addIntervals(a[i], y); err != nil {
				return fail(buf, err)
			}
		}
	default:
		ivs, nums := l, r
		if li != iv {
			ivs, nums = r, l
		}
		a, f := values[arrow.MonthDayNanoInterval](ivs), factors(nums)
		for i := range out {
			if skip(valid, i) {
				continue
			}
			if op == Div {
				out[i], err = divInterval(a[i], f[i])
			} else {
				out[i], err = mulInterval(a[i], f[i])
			}
			if err != nil {
				return fail(buf, err)
			}
		}
	}
	return makeArray(t, n, validity, buf), nil
}
