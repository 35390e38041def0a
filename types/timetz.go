package types

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sleeperd/sleeperd/errs"
)

// TimeTZ is the type of PostgreSQL's timetz (time with time zone) values, with an optional
// precision of fractional digits (timetz(p), 0 to 6; -1 for none): an Arrow int64 type
// whose every value packs a time of day and its zone offset (PackTimeTZ) so that the
// integer order of the packed values is PostgreSQL's order of timetz values (by the time
// in UTC, then by the offset) and integer equality is timetz equality. Integer kernels
// (comparison, hashing, sorting, min and max, spill files, row key encoding) thus handle
// timetz as they handle time.
//
// Like Time it is a SQL type over plain storage: catalog columns of it are stored as int64
// (Storage) with the SQL type in the stored field's metadata; Parquet files keep the packed
// int64 without a logical type (Parquet's TIME has no offset to keep), and Flight SQL sends
// its values as text.
type TimeTZ struct {
	arrow.Int64Type
	prec int32
}

// TimeTZType is the type timetz, without a precision.
var TimeTZType = &TimeTZ{prec: -1}

// TimeTZOf is timetz(p); p < 0 means no precision.
func TimeTZOf(p int32) *TimeTZ {
	if p < 0 {
		return TimeTZType
	}
	return &TimeTZ{prec: min(p, 6)}
}

// Precision is the declared number of fractional digits, or -1.
func (t *TimeTZ) Precision() int32 { return t.prec }

// Name is timetz.
func (*TimeTZ) Name() string { return "timetz" }

// String is the PostgreSQL name of the type: time with time zone, or time(p) with time zone.
func (t *TimeTZ) String() string {
	if t.prec < 0 {
		return "time with time zone"
	}
	return fmt.Sprintf("time(%d) with time zone", t.prec)
}

// format is the text Format writes: timetz or timetz(p).
func (t *TimeTZ) format() string {
	if t.prec < 0 {
		return "timetz"
	}
	return fmt.Sprintf("timetz(%d)", t.prec)
}

// IsTimeTZ reports whether t is timetz, with or without a precision.
func IsTimeTZ(t arrow.DataType) bool { _, ok := t.(*TimeTZ); return ok }

// TimeTZPrecision is p of timetz(p), -1 for timetz without one; ok is false for other types.
func TimeTZPrecision(t arrow.DataType) (p int32, ok bool) {
	if x, is := t.(*TimeTZ); is {
		return x.prec, true
	}
	return 0, false
}

// PostgreSQL's OIDs of timetz and timetz[].
const (
	OIDTimeTZ      uint32 = 1266
	OIDTimeTZArray uint32 = 1270
)

func init() {
	arrayOIDs[OIDTimeTZ] = OIDTimeTZArray
	elemOIDs[OIDTimeTZArray] = OIDTimeTZ
}

// TZDispLimit is the largest zone offset of a timetz, in seconds: 15:59:59, as PostgreSQL 15
// bounds it (TZDISP_LIMIT).
const TZDispLimit = 15*3600 + 59*60 + 59

// tzZoneBits is the number of low bits of a packed timetz that hold its zone (zone +
// TZDispLimit, 0 to 115198).
const tzZoneBits = 17

// PackTimeTZ packs a timetz value: us is its time of day in microseconds (0 to a day) and
// zone its offset in seconds WEST of UTC, as PostgreSQL's TimeTzADT keeps it (so -3600 is
// +01). The high bits hold the time in UTC (us + zone seconds) and the low bits the zone,
// both biased to be non-negative, so packed values order as PostgreSQL's timetz_cmp orders
// them.
func PackTimeTZ(us int64, zone int32) int64 {
	utc := us + int64(zone)*1_000_000 + TZDispLimit*1_000_000
	return utc<<tzZoneBits | int64(zone+TZDispLimit)
}

// UnpackTimeTZ is the time of day (microseconds) and zone (seconds west of UTC) of a packed
// timetz.
func UnpackTimeTZ(v int64) (us int64, zone int32) {
	zone = int32(v&(1<<tzZoneBits-1)) - TZDispLimit
	us = v>>tzZoneBits - TZDispLimit*1_000_000 - int64(zone)*1_000_000
	return us, zone
}

// timetzByName is timetz(p) from a type's modifiers, as timetypmodin checks them.
func timetzByName(mods []int32) (arrow.DataType, error) {
	switch len(mods) {
	case 0:
		return TimeTZType, nil
	case 1:
		if mods[0] < 0 {
			return nil, errs.New(errs.InvalidParameter, "TIME(%d) WITH TIME ZONE precision must not be negative", mods[0])
		}
		return TimeTZOf(min(mods[0], 6)), nil
	}
	return nil, errs.New(errs.Syntax, "invalid type modifier")
}

// RoundTimeTZ rounds a packed timetz to p fractional digits, as AdjustTimeForTypmod does to
// its time part (24:00:00 stays the largest value).
func RoundTimeTZ(v int64, p int32) int64 {
	if p < 0 || p >= 6 {
		return v
	}
	us, zone := UnpackTimeTZ(v)
	return PackTimeTZ(RoundTime(us, p), zone)
}

// TimeTZText is what ParseTimeTZText reads of a timetz value's text: the time of day and
// either the zone offset written in it (Zone, seconds west of UTC, with HasZone) or the
// zone's name (ZoneName), left for the caller to resolve, or neither (the session's zone).
// Year, Month and Day are the date written before the time, if any (Year 0 for none),
// which a zone with daylight-saving time needs.
type TimeTZText struct {
	Micros            int64
	Zone              int32
	HasZone           bool
	ZoneName          string
	Year, Month, Day  int
	hasDate, badInput bool
}

// HasDate reports whether the text had a date before the time.
func (t TimeTZText) HasDate() bool { return t.hasDate }

// ParseTimeTZText reads a timetz value as PostgreSQL's timetz_in does for the common forms:
// time's forms (ParseTime), then a zone: a numeric offset (+hh, -hh:mm, +hhmm, -hh:mm:ss),
// on the time (04:05:06-08) or apart from it, or a zone name or abbreviation (UTC, PST,
// Europe/Paris). Offsets past 15:59:59 fail with errs.InvalidTimeZoneDisplacement.
func ParseTimeTZText(s string) (TimeTZText, error) {
	var out TimeTZText
	bad := func() error {
		return errs.New(errs.InvalidDatetime, "invalid input syntax for type time with time zone: \"%s\"", s)
	}
	us, err := ParseTime(s)
	if err != nil {
		if errors.Is(err, errs.InvalidDatetime) {
			return out, bad()
		}
		return out, err
	}
	out.Micros = us
	in := strings.ToLower(strings.TrimSpace(s))
	if in == "allballs" {
		return out, nil
	}
	fields := strings.Fields(in)
	var zoneText string
	seenClock := false
	for _, f := range fields {
		if !seenClock {
			if j := strings.IndexByte(f, 't'); j > 0 && strings.ContainsAny(f[:j], "-/") && j+1 < len(f) && f[j+1] >= '0' && f[j+1] <= '9' {
				out.readDate(f[:j])
				f = f[j+1:]
			} else if isDateField(f) {
				out.readDate(f)
				continue
			}
			seenClock = true
			if j := strings.IndexAny(f, "+-z"); j > 0 {
				zoneText = f[j:]
			}
			continue
		}
		switch f {
		case "am", "pm", "a.m.", "p.m.":
			continue
		}
		if zoneText != "" {
			return out, bad()
		}
		zoneText = f
	}
	if zoneText == "" {
		return out, nil
	}
	if zoneText[0] == '+' || zoneText[0] == '-' {
		east, ok, overflow := numericOffset(zoneText)
		if overflow {
			return out, errs.New(errs.InvalidTimeZoneDisplacement, "time zone displacement out of range: \"%s\"", s)
		}
		if !ok {
			return out, bad()
		}
		out.Zone, out.HasZone = -east, true
		return out, nil
	}
	if zoneText == "z" {
		out.HasZone = true
		return out, nil
	}
	out.ZoneName = zoneText
	return out, nil
}

// readDate keeps a yyyy-mm-dd (or yyyy/mm/dd) date written before a time.
func (t *TimeTZText) readDate(f string) {
	parts := strings.FieldsFunc(f, func(r rune) bool { return r == '-' || r == '/' })
	if len(parts) != 3 {
		return
	}
	y, e1 := strconv.Atoi(parts[0])
	m, e2 := strconv.Atoi(parts[1])
	d, e3 := strconv.Atoi(parts[2])
	if e1 == nil && e2 == nil && e3 == nil && len(parts[0]) == 4 {
		t.Year, t.Month, t.Day, t.hasDate = y, m, d, true
	}
}

// numericOffset reads a signed offset, +h, +hh, +hhmm, +hh:mm, +hhmmss or +hh:mm:ss, as
// seconds east of UTC; overflow is true past 15:59:59 or with minutes or seconds past 59.
func numericOffset(s string) (east int32, ok, overflow bool) {
	sign := int32(1)
	if s[0] == '-' {
		sign = -1
	}
	s = s[1:]
	var parts []string
	if strings.Contains(s, ":") {
		parts = strings.Split(s, ":")
	} else {
		switch len(s) {
		case 1, 2:
			parts = []string{s}
		case 3, 4:
			parts = []string{s[:len(s)-2], s[len(s)-2:]}
		case 5, 6:
			parts = []string{s[:len(s)-4], s[len(s)-4 : len(s)-2], s[len(s)-2:]}
		default:
			return 0, false, false
		}
	}
	if len(parts) > 3 {
		return 0, false, false
	}
	var v [3]int64
	for i, p := range parts {
		n, err := digits(p)
		if err != nil {
			return 0, false, false
		}
		v[i] = n
	}
	if v[0] > 15 || v[1] > 59 || v[2] > 59 {
		return 0, false, true
	}
	return sign * int32(v[0]*3600+v[1]*60+v[2]), true, false
}

// AppendTimeTZ appends the packed timetz v as timetz_out writes it: the time as time_out
// writes it, then the offset east of UTC: +hh, +hh:mm or +hh:mm:ss.
func AppendTimeTZ(dst []byte, v int64) []byte {
	us, zone := UnpackTimeTZ(v)
	dst = AppendTime(dst, us)
	return AppendZoneOffset(dst, -int(zone))
}

// AppendZoneOffset appends an offset of east seconds from UTC as PostgreSQL's
// EncodeTimezone writes it: the sign, two-digit hours, then minutes and seconds where they
// are not zero.
func AppendZoneOffset(dst []byte, east int) []byte {
	sign := byte('+')
	if east < 0 {
		sign, east = '-', -east
	}
	h, m, s := east/3600, east/60%60, east%60
	dst = append(dst, sign, byte('0'+h/10), byte('0'+h%10))
	if m != 0 || s != 0 {
		dst = append(dst, ':', byte('0'+m/10), byte('0'+m%10))
	}
	if s != 0 {
		dst = append(dst, ':', byte('0'+s/10), byte('0'+s%10))
	}
	return dst
}

// FormatTimeTZ is AppendTimeTZ as a string.
func FormatTimeTZ(v int64) string { return string(AppendTimeTZ(nil, v)) }

// commonTimeTZ is Common where a or b is timetz: timetz values of any precision compare as
// timetz, and time with timetz as timetz (time converts to timetz implicitly in PostgreSQL);
// timetz with another type has no operator.
func commonTimeTZ(a, b arrow.DataType) (arrow.DataType, error) {
	pa, aTZ := TimeTZPrecision(a)
	pb, bTZ := TimeTZPrecision(b)
	switch {
	case aTZ && bTZ && pa == pb:
		return a, nil
	case aTZ && bTZ:
		return TimeTZType, nil
	case aTZ && IsTime(b), bTZ && IsTime(a):
		return TimeTZType, nil
	}
	return nil, errs.New(errs.UndefinedFunction, "operator does not exist: %s and %s are not comparable", Name(a), Name(b))
}

// ZoneAt is the offset, in seconds west of UTC, of loc at the local time us (microseconds
// since midnight) of the day y-m-d.
func ZoneAt(loc *time.Location, y int, m time.Month, d int, us int64) int32 {
	_, east := time.Date(y, m, d, int(us/3_600_000_000), int(us/60_000_000%60), int(us/1_000_000%60), 0, loc).Zone()
	return int32(-east)
}

// TimeTZIn reads a timetz value as PostgreSQL's timetz_in does (ParseTimeTZText): a
// value without a zone takes now's zone at that time of the day the text names, or of now's
// day; a zone name takes its offset, which for a zone with daylight-saving time needs a date
// in the text. parseZone resolves zone names.
func TimeTZIn(s string, now time.Time, parseZone func(string) (*time.Location, error)) (int64, error) {
	p, err := ParseTimeTZText(s)
	if err != nil {
		return 0, err
	}
	y, m, d := now.Date()
	if p.HasDate() {
		y, m, d = p.Year, time.Month(p.Month), p.Day
	}
	switch {
	case p.HasZone:
		return PackTimeTZ(p.Micros, p.Zone), nil
	case p.ZoneName != "":
		loc, err := parseZone(p.ZoneName)
		if err != nil {
			return 0, errs.New(errs.InvalidDatetime, "invalid input syntax for type time with time zone: \"%s\"", s)
		}
		_, jan := time.Date(now.Year(), 1, 1, 0, 0, 0, 0, loc).Zone()
		_, jul := time.Date(now.Year(), 7, 1, 0, 0, 0, 0, loc).Zone()
		if jan != jul && !p.HasDate() {
			return 0, errs.New(errs.InvalidDatetime, "invalid input syntax for type time with time zone: \"%s\"", s)
		}
		return PackTimeTZ(p.Micros, ZoneAt(loc, y, m, d, p.Micros)), nil
	}
	return PackTimeTZ(p.Micros, ZoneAt(now.Location(), y, m, d, p.Micros)), nil
}
