package types

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sleeperd/sleeperd/errs"
)

// Time is the type of PostgreSQL's time (time without time zone) values, with an optional
// precision of fractional digits (time(p), 0 to 6; -1 for none): an Arrow int64 type whose
// values are microseconds since midnight, 0 to 86400000000 (24:00:00 included, as in
// PostgreSQL), so that integer kernels (comparison, hashing, sorting, min and max, spill
// files, row key encoding) handle them and their order is time's order.
//
// Like UUID, it is a SQL type over plain storage: catalog columns of it are stored as int64
// (Storage) with the SQL type in the stored field's metadata (StoredMetadata), which Parquet
// files keep as the TIME(MICROS) logical type; result fields carry it in their metadata
// (SQLMetadata), and Flight SQL sends it as Arrow's time64[us].
type Time struct {
	arrow.Int64Type
	prec int32
}

// TimeType is the type time, without a precision.
var TimeType = &Time{prec: -1}

// TimeOf is time(p); p < 0 means no precision.
func TimeOf(p int32) *Time {
	if p < 0 {
		return TimeType
	}
	return &Time{prec: min(p, 6)}
}

// Precision is the declared number of fractional digits, or -1.
func (t *Time) Precision() int32 { return t.prec }

// Name is time.
func (*Time) Name() string { return "time" }

// String is the PostgreSQL name of the type: time without time zone, or time(p) without
// time zone.
func (t *Time) String() string {
	if t.prec < 0 {
		return "time without time zone"
	}
	return fmt.Sprintf("time(%d) without time zone", t.prec)
}

// format is the text Format writes: time or time(p).
func (t *Time) format() string {
	if t.prec < 0 {
		return "time"
	}
	return fmt.Sprintf("time(%d)", t.prec)
}

// IsTime reports whether t is time, with or without a precision.
func IsTime(t arrow.DataType) bool { _, ok := t.(*Time); return ok }

// TimePrecision is p of time(p), -1 for time without one; ok is false for other types.
func TimePrecision(t arrow.DataType) (p int32, ok bool) {
	if x, is := t.(*Time); is {
		return x.prec, true
	}
	return 0, false
}

// PostgreSQL's OIDs of time and time[].
const (
	OIDTime      uint32 = 1083
	OIDTimeArray uint32 = 1183
)

func init() {
	arrayOIDs[OIDTime] = OIDTimeArray
	elemOIDs[OIDTimeArray] = OIDTime
}

// MicrosPerDay is the number of microseconds in a day: the largest time value, 24:00:00.
const MicrosPerDay int64 = 86_400_000_000

// timeByName is time(p) from a type's modifiers, as PostgreSQL's timetypmodin checks them.
func timeByName(mods []int32) (arrow.DataType, error) {
	switch len(mods) {
	case 0:
		return TimeType, nil
	case 1:
		if mods[0] < 0 {
			return nil, errs.New(errs.InvalidParameter, "TIME(%d) precision must not be negative", mods[0])
		}
		// PostgreSQL warns and reduces a larger precision to 6.
		return TimeOf(min(mods[0], 6)), nil
	}
	return nil, errs.New(errs.Syntax, "invalid type modifier")
}

// RoundTime rounds us, microseconds since midnight, to p fractional digits (p < 0 or p >= 6:
// unchanged), half away from zero as PostgreSQL's AdjustTimeForTypmod does.
func RoundTime(us int64, p int32) int64 {
	if p < 0 || p >= 6 {
		return us
	}
	scale := int64(1)
	for range 6 - p {
		scale *= 10
	}
	return (us + scale/2) / scale * scale
}

// ParseTime reads a time value as PostgreSQL's time_in does for the common forms: an optional
// date first (ignored), then hh:mm, hh:mm:ss or hh:mm:ss.ffffff (more fraction digits
// round), or hhmmss[.ffffff], optionally followed by AM or PM and a time zone (ignored);
// "allballs" is midnight. Values past 24:00:00 fail with errs.DatetimeOverflow, other text
// with errs.InvalidDatetime.
func ParseTime(s string) (int64, error) {
	bad := func() error { return errs.New(errs.InvalidDatetime, "invalid input syntax for type time: \"%s\"", s) }
	overflow := func() error {
		return errs.New(errs.DatetimeOverflow, "date/time field value out of range: \"%s\"", s)
	}
	in := strings.ToLower(strings.TrimSpace(s))
	if in == "allballs" {
		return 0, nil
	}
	fields := strings.Fields(in)
	if len(fields) == 0 {
		return 0, bad()
	}
	// A date part: a field with '-' or '/' before the first ':' field, or an ISO 'T' join.
	var clock string
	var rest []string
	for i, f := range fields {
		if j := strings.IndexByte(f, 't'); j > 0 && strings.ContainsAny(f[:j], "-/") && j+1 < len(f) && f[j+1] >= '0' && f[j+1] <= '9' {
			f = f[j+1:]
		} else if isDateField(f) {
			if clock != "" {
				rest = append(rest, f) // a numeric zone such as -08
				continue
			}
			continue
		}
		if clock == "" && f != "" && f[0] >= '0' && f[0] <= '9' {
			clock = f
			rest = fields[i+1:]
			break
		}
		return 0, bad()
	}
	if clock == "" {
		return 0, bad()
	}
	// A zone written onto the clock (12:00:00+02, 12:00Z) is ignored, as time_in does.
	if j := strings.IndexAny(clock, "+-z"); j > 0 {
		clock = clock[:j]
	}
	var h, m int64
	var sec string
	parts := strings.Split(clock, ":")
	switch len(parts) {
	case 1:
		// hhmmss[.ffffff] or hhmm.
		whole, frac, _ := strings.Cut(parts[0], ".")
		switch len(whole) {
		case 4:
			parts = []string{whole[:2], whole[2:]}
			if frac != "" {
				return 0, bad()
			}
		case 6:
			parts = []string{whole[:2], whole[2:4], whole[4:] + dotted(frac)}
		default:
			return 0, bad()
		}
	case 2, 3:
	default:
		return 0, bad()
	}
	var err error
	if h, err = digits(parts[0]); err != nil {
		return 0, bad()
	}
	if m, err = digits(parts[1]); err != nil {
		return 0, bad()
	}
	if len(parts) == 3 {
		sec = parts[2]
	}
	var us int64
	if sec != "" {
		whole, frac, hasFrac := strings.Cut(sec, ".")
		secs, err := digits(whole)
		if err != nil {
			return 0, bad()
		}
		if hasFrac {
			f, err := fractionMicros(frac)
			if err != nil {
				return 0, bad()
			}
			us = f
		}
		if secs > 60 || (secs == 60 && us > 0) {
			return 0, overflow()
		}
		us += secs * 1_000_000
	}
	for _, r := range rest {
		switch r {
		case "am", "a.m.":
			if h > 12 {
				return 0, overflow()
			}
			if h == 12 {
				h = 0
			}
		case "pm", "p.m.":
			if h > 12 {
				return 0, overflow()
			}
			if h != 12 {
				h += 12
			}
		default:
			if !isZone(r) {
				return 0, bad()
			}
		}
	}
	if m > 59 || h > 24 {
		return 0, overflow()
	}
	total := (h*60+m)*60_000_000 + us
	if total > MicrosPerDay {
		return 0, overflow()
	}
	return total, nil
}

// isDateField reports whether f, a field of a time's text without a ':', is a date
// (2003-04-12, 4/12/2003) rather than a time with a zone offset (040506-08).
func isDateField(f string) bool {
	return !strings.Contains(f, ":") && (strings.Contains(f, "/") || strings.Count(f, "-") >= 2)
}

func dotted(frac string) string {
	if frac == "" {
		return ""
	}
	return "." + frac
}

// digits reads a field of 1 or 2 decimal digits.
func digits(s string) (int64, error) {
	if s == "" || len(s) > 2 {
		return 0, strconv.ErrSyntax
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, strconv.ErrSyntax
		}
	}
	return strconv.ParseInt(s, 10, 64)
}

// fractionMicros reads the digits after a decimal point as microseconds, rounding digits past
// the sixth half up.
func fractionMicros(frac string) (int64, error) {
	if frac == "" {
		return 0, nil
	}
	var us int64
	for i, c := range frac {
		if c < '0' || c > '9' {
			return 0, strconv.ErrSyntax
		}
		if i < 6 {
			us = us*10 + int64(c-'0')
		} else if i == 6 && c >= '5' {
			us++
		}
	}
	for i := len(frac); i < 6; i++ {
		us *= 10
	}
	return us, nil
}

// isZone reports whether s looks like a time zone time_in accepts and ignores: a name of
// letters (utc, pst, europe/paris) or a numeric offset.
func isZone(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '/' || c == '_' || c == '+' || c == '-' || c == ':') {
			return false
		}
	}
	return true
}

// AppendTime appends the time us (microseconds since midnight) as time_out writes it:
// hh:mm:ss, then the fraction without trailing zeros.
func AppendTime(dst []byte, us int64) []byte {
	h := us / 3_600_000_000
	m := us / 60_000_000 % 60
	s := us / 1_000_000 % 60
	f := us % 1_000_000
	dst = append(dst, byte('0'+h/10), byte('0'+h%10), ':', byte('0'+m/10), byte('0'+m%10), ':', byte('0'+s/10), byte('0'+s%10))
	if f != 0 {
		var buf [6]byte
		for i := 5; i >= 0; i-- {
			buf[i] = byte('0' + f%10)
			f /= 10
		}
		n := 6
		for n > 0 && buf[n-1] == '0' {
			n--
		}
		dst = append(dst, '.')
		dst = append(dst, buf[:n]...)
	}
	return dst
}

// FormatTime is AppendTime as a string.
func FormatTime(us int64) string { return string(AppendTime(nil, us)) }

// StoredTypeName is the name a stored column of SQL type t keeps in its field's metadata
// (SQLTypeKey) when its storage does not say it, so that data files name the type (Parquet's
// TIME, UUID and JSON logical types): time, timetz, uuid, json or jsonb. ok is false for
// other types.
func StoredTypeName(t arrow.DataType) (string, bool) {
	switch x := t.(type) {
	case *Time:
		return "time", true
	case *TimeTZ:
		return "timetz", true
	case *UUID:
		return "uuid", true
	case *JSON:
		return x.Name(), true
	}
	return "", false
}
