package pgvalue

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/exec"
	"github.com/sleeperd/sleeperd/types"
)

// DecodeText parses s, a value of type dt (text when nil) in text format, as PostgreSQL's
// input function for its type does, to a Go value: bool, int64, float64, string (text, and
// numeric in decimal notation), []byte, time.Time, or for an array []any of those. The result
// does not alias s.
func DecodeText(dt arrow.DataType, s string) (any, error) {
	if dt == nil {
		dt = arrow.BinaryTypes.String
	}
	return decodeText(dt, types.PGTypeOf(dt).OID, s)
}

// DecodeTextIn is DecodeText with a timestamptz value without an offset taken as local time
// in loc (UTC when nil), the session's TimeZone.
func DecodeTextIn(dt arrow.DataType, s string, loc *time.Location) (any, error) {
	if t, ok := dt.(*arrow.TimestampType); ok && t.TimeZone != "" && loc != nil {
		v, err := parseTimestampIn(s, true, false, loc)
		if err == errFieldRange {
			return nil, errs.New(errs.DatetimeOverflow, "date/time field value out of range: %q", s)
		}
		if err != nil {
			return nil, errs.Wrap(errs.InvalidDatetime, err, "invalid input syntax for type timestamp with time zone: %q", s)
		}
		return v, nil
	}
	return DecodeText(dt, s)
}

// DecodeBinary decodes v, a value of type dt (text when nil) in PostgreSQL's binary format,
// to a Go value as DecodeText does. The result does not alias v.
func DecodeBinary(dt arrow.DataType, v []byte) (any, error) {
	if dt == nil {
		dt = arrow.BinaryTypes.String
	}
	return decodeBinary(dt, types.PGTypeOf(dt).OID, v)
}

// decodeText parses s as PostgreSQL's input function for oid does.
func decodeText(dt arrow.DataType, oid uint32, s string) (any, error) {
	if _, ok := dt.(*arrow.ListType); ok {
		return decodeArrayText(listElem(dt), s)
	}
	invalid := func() error {
		return errs.New(errs.InvalidText, "invalid input syntax for type %s: %q", types.NameOfOID(oid), s)
	}
	switch oid {
	case types.OIDBool:
		switch strings.ToLower(strings.TrimSpace(s)) {
		case "t", "tr", "tru", "true", "y", "ye", "yes", "on", "1":
			return true, nil
		case "f", "fa", "fal", "fals", "false", "n", "no", "of", "off", "0":
			return false, nil
		}
		return nil, invalid()
	case types.OIDInt2, types.OIDInt4, types.OIDInt8:
		if _, ok := dt.(*arrow.Uint64Type); ok {
			break
		}
		bits := map[uint32]int{types.OIDInt2: 16, types.OIDInt4: 32, types.OIDInt8: 64}[oid]
		x, err := strconv.ParseInt(strings.TrimSpace(s), 10, bits)
		if err != nil {
			if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
				return nil, errs.New(errs.NumericRange, "value %q is out of range for type %s", s, types.NameOfOID(oid))
			}
			return nil, invalid()
		}
		return x, nil
	case types.OIDFloat4, types.OIDFloat8:
		bits := 64
		if oid == types.OIDFloat4 {
			bits = 32
		}
		x, err := strconv.ParseFloat(strings.TrimSpace(s), bits)
		if err != nil {
			if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
				return nil, errs.New(errs.NumericRange, "%q is out of range for type %s", s, types.NameOfOID(oid))
			}
			return nil, invalid()
		}
		return x, nil
	case types.OIDBytea:
		b, err := parseBytea(s)
		if err != nil {
			return nil, invalid()
		}
		return b, nil
	case types.OIDDate:
		t, err := parseTimestamp(s, false, true)
		if err == errFieldRange {
			return nil, errs.New(errs.DatetimeOverflow, "date/time field value out of range: %q", s)
		}
		if err != nil {
			return nil, errs.Wrap(errs.InvalidDatetime, err, "invalid input syntax for type date: %q", s)
		}
		return t, nil
	case types.OIDTimestamp, types.OIDTimestamptz:
		t, err := parseTimestamp(s, oid == types.OIDTimestamptz, false)
		if err == errFieldRange {
			return nil, errs.New(errs.DatetimeOverflow, "date/time field value out of range: %q", s)
		}
		if err != nil {
			return nil, errs.Wrap(errs.InvalidDatetime, err, "invalid input syntax for type %s: %q", types.NameOfOID(oid), s)
		}
		return t, nil
	}
	if oid == types.OIDUUID {
		return types.ParseUUID(s)
	}
	if oid == types.OIDTime {
		return types.ParseTime(s)
	}
	if oid == types.OIDTimeTZ {
		return decodeTimeTZText(s)
	}
	if oid == types.OIDNumeric {
		d, ok := normalizeNumeric(s)
		if !ok {
			return nil, errs.New(errs.InvalidText, "invalid input syntax for type numeric: %q", s)
		}
		return d, nil
	}
	return s, nil
}

// decodeBinary decodes v in the binary format of oid. Integer and float parameters accept
// any width, as a client may send the width of the type it declared rather than the one the
// statement settled on.
func decodeBinary(dt arrow.DataType, oid uint32, v []byte) (any, error) {
	if _, ok := dt.(*arrow.ListType); ok {
		return decodeArrayBinary(listElem(dt), v)
	}
	switch oid {
	case types.OIDBool:
		if len(v) != 1 {
			return nil, fmt.Errorf("boolean of %d bytes", len(v))
		}
		return v[0] != 0, nil
	case types.OIDInt2, types.OIDInt4, types.OIDInt8:
		if _, ok := dt.(*arrow.Uint64Type); ok {
			break
		}
		var x int64
		switch len(v) {
		case 2:
			x = int64(int16(binary.BigEndian.Uint16(v)))
		case 4:
			x = int64(int32(binary.BigEndian.Uint32(v)))
		case 8:
			x = int64(binary.BigEndian.Uint64(v))
		default:
			return nil, fmt.Errorf("integer of %d bytes", len(v))
		}
		bits := map[uint32]uint{types.OIDInt2: 16, types.OIDInt4: 32, types.OIDInt8: 64}[oid]
		if bits < 64 && (x < -1<<(bits-1) || x >= 1<<(bits-1)) {
			return nil, fmt.Errorf("value %d out of range for type %s", x, types.NameOfOID(oid))
		}
		return x, nil
	case types.OIDFloat4, types.OIDFloat8:
		switch len(v) {
		case 4:
			return float64(math.Float32frombits(binary.BigEndian.Uint32(v))), nil
		case 8:
			return math.Float64frombits(binary.BigEndian.Uint64(v)), nil
		}
		return nil, fmt.Errorf("float of %d bytes", len(v))
	case types.OIDBytea:
		return append([]byte(nil), v...), nil
	case types.OIDDate:
		if len(v) != 4 {
			return nil, fmt.Errorf("date of %d bytes", len(v))
		}
		d := int32(binary.BigEndian.Uint32(v))
		if d == math.MaxInt32 || d == math.MinInt32 {
			return nil, fmt.Errorf("infinite date")
		}
		y, m, day := civil(int64(d) + pgEpochDays)
		return time.Date(int(y), time.Month(m), day, 0, 0, 0, 0, time.UTC), nil
	case types.OIDTimestamp, types.OIDTimestamptz:
		if len(v) != 8 {
			return nil, fmt.Errorf("timestamp of %d bytes", len(v))
		}
		us := int64(binary.BigEndian.Uint64(v))
		if us == math.MaxInt64 || us == math.MinInt64 {
			return nil, fmt.Errorf("infinite timestamp")
		}
		return time.UnixMicro(us + pgEpochMicros).UTC(), nil
	case types.OIDNumeric:
		return decodeNumeric(v)
	case types.OIDTimeTZ:
		return decodeTimeTZBinary(v)
	case types.OIDTime:
		if len(v) != 8 {
			return nil, fmt.Errorf("time of %d bytes", len(v))
		}
		us := int64(binary.BigEndian.Uint64(v))
		if us < 0 || us > types.MicrosPerDay {
			return nil, errs.New(errs.DatetimeOverflow, "time out of range")
		}
		return us, nil
	case types.OIDUUID:
		if len(v) != 16 {
			return nil, fmt.Errorf("uuid of %d bytes", len(v))
		}
		return append([]byte(nil), v...), nil
	case types.OIDInterval:
		// microseconds (int64), days (int32), months (int32), read as interval's text.
		if len(v) != 16 {
			return nil, fmt.Errorf("interval of %d bytes", len(v))
		}
		us := int64(binary.BigEndian.Uint64(v))
		iv := arrow.MonthDayNanoInterval{Months: int32(binary.BigEndian.Uint32(v[12:])), Days: int32(binary.BigEndian.Uint32(v[8:])), Nanoseconds: us * 1000}
		return exec.FormatInterval(iv), nil
	case types.OIDJSONB:
		// jsonb's binary format is a version byte, 1, and the text.
		if len(v) == 0 || v[0] != 1 {
			return nil, fmt.Errorf("unsupported jsonb version number")
		}
		return string(v[1:]), nil
	}
	return string(v), nil
}

// decodeNumeric decodes numeric's binary format (see appendNumeric) to decimal notation.
func decodeNumeric(v []byte) (string, error) {
	if len(v) < 8 {
		return "", fmt.Errorf("numeric of %d bytes", len(v))
	}
	ndigits := int(binary.BigEndian.Uint16(v))
	weight := int(int16(binary.BigEndian.Uint16(v[2:])))
	sign := binary.BigEndian.Uint16(v[4:])
	dscale := int(binary.BigEndian.Uint16(v[6:]))
	if len(v) != 8+2*ndigits {
		return "", fmt.Errorf("numeric with %d digits in %d bytes", ndigits, len(v))
	}
	switch sign {
	case 0xC000:
		return "NaN", nil
	case 0xD000:
		return "Infinity", nil
	case 0xF000:
		return "-Infinity", nil
	case 0, 0x4000:
	default:
		return "", fmt.Errorf("invalid numeric sign %#x", sign)
	}
	digit := func(i int) int {
		if i < 0 || i >= ndigits {
			return 0
		}
		return int(binary.BigEndian.Uint16(v[8+2*i:]))
	}
	var b strings.Builder
	if sign == 0x4000 {
		b.WriteByte('-')
	}
	if weight < 0 {
		b.WriteByte('0')
	}
	for i := 0; i <= weight; i++ {
		d := digit(i)
		if d > 9999 {
			return "", fmt.Errorf("invalid numeric digit %d", d)
		}
		if i == 0 {
			b.WriteString(strconv.Itoa(d))
		} else {
			fmt.Fprintf(&b, "%04d", d)
		}
	}
	if dscale > 0 {
		var frac strings.Builder
		for i := weight + 1; frac.Len() < dscale; i++ {
			fmt.Fprintf(&frac, "%04d", digit(i))
		}
		b.WriteByte('.')
		b.WriteString(frac.String()[:dscale])
	}
	return b.String(), nil
}

// normalizeNumeric checks s is a numeric literal ([sign] digits [. digits] [e exp], NaN or
// [-]Infinity) and returns it in decimal notation, without exponent.
func normalizeNumeric(s string) (string, bool) {
	s = strings.TrimSpace(s)
	switch strings.ToLower(s) {
	case "nan":
		return "NaN", true
	case "infinity", "+infinity", "inf", "+inf":
		return "Infinity", true
	case "-infinity", "-inf":
		return "-Infinity", true
	}
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	mant, expText, hasExp := strings.Cut(strings.ToLower(s), "e")
	intPart, frac, _ := strings.Cut(mant, ".")
	if intPart+frac == "" || strings.Trim(intPart+frac, "0123456789") != "" {
		return "", false
	}
	exp := 0
	if hasExp {
		e, err := strconv.Atoi(expText)
		if err != nil || e > 1000 || e < -1000 {
			return "", false
		}
		exp = e
	}
	// Move the decimal point exp places to the right.
	digits := intPart + frac
	point := len(intPart) + exp
	for point > len(digits) {
		digits += "0"
	}
	for point < 0 {
		digits = "0" + digits
		point++
	}
	intPart, frac = strings.TrimLeft(digits[:point], "0"), digits[point:]
	if intPart == "" {
		intPart = "0"
	}
	out := intPart
	if frac != "" {
		out += "." + frac
	}
	if neg {
		out = "-" + out
	}
	return out, true
}

// parseBytea parses bytea's hex format (\x...) or its escape format.
func parseBytea(s string) ([]byte, error) {
	if strings.HasPrefix(s, `\x`) {
		return hex.DecodeString(strings.Map(func(r rune) rune {
			if r == ' ' || r == '\t' || r == '\n' || r == '\r' {
				return -1
			}
			return r
		}, s[2:]))
	}
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' {
			out = append(out, c)
			continue
		}
		if i+1 < len(s) && s[i+1] == '\\' {
			out = append(out, '\\')
			i++
			continue
		}
		if i+3 < len(s) {
			if x, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				out = append(out, byte(x))
				i += 3
				continue
			}
		}
		return nil, fmt.Errorf("invalid escape")
	}
	return out, nil
}

// errFieldRange is a date or time field out of range, such as February 30.
var errFieldRange = errors.New("field value out of range")

// parseTimestamp parses ISO dates and timestamps: "YYYY-MM-DD[( |T)HH:MM[:SS[.fraction]]]
// [Z|±HH[:MM[:SS]]|±HHMM][ BC]". The offset is applied when tz is set and ignored otherwise,
// as PostgreSQL does for timestamp without time zone. dateOnly drops the time of day.
func parseTimestamp(s string, tz, dateOnly bool) (time.Time, error) {
	return parseTimestampIn(s, tz, dateOnly, nil)
}

// parseTimestampIn is parseTimestamp, with a timestamptz without an offset taken as local
// time in loc (UTC when nil), as PostgreSQL takes it in the session's TimeZone.
func parseTimestampIn(s string, tz, dateOnly bool, loc *time.Location) (time.Time, error) {
	s = strings.TrimSpace(s)
	bc := false
	if rest, ok := strings.CutSuffix(s, " BC"); ok {
		s, bc = strings.TrimSpace(rest), true
	}
	p := &scanner{s: s}
	year := p.int(1, 9)
	p.lit('-')
	month := p.int(1, 2)
	p.lit('-')
	day := p.int(1, 2)
	var hour, min, sec, nsec int
	offset := 0
	hasOffset := false
	if p.err == nil && !p.done() && (p.peek() == ' ' || p.peek() == 'T') {
		p.i++
		hour = p.int(1, 2)
		p.lit(':')
		min = p.int(2, 2)
		if p.err == nil && !p.done() && p.peek() == ':' {
			p.i++
			sec = p.int(2, 2)
			if p.err == nil && !p.done() && p.peek() == '.' {
				p.i++
				start := p.i
				frac := p.int(1, 9)
				n := p.i - start
				for ; n < 9; n++ {
					frac *= 10
				}
				nsec = frac
			}
		}
		for p.err == nil && !p.done() && p.peek() == ' ' {
			p.i++
		}
		if p.err == nil && !p.done() {
			switch c := p.peek(); c {
			case 'Z', 'z':
				p.i++
				hasOffset = true
			case '+', '-':
				p.i++
				start := p.i
				oh := p.int(1, 4)
				om, os := 0, 0
				if p.i-start > 2 { // ±HHMM
					oh, om = oh/100, oh%100
				} else if !p.done() && p.peek() == ':' {
					p.i++
					om = p.int(2, 2)
					if !p.done() && p.peek() == ':' {
						p.i++
						os = p.int(2, 2)
					}
				}
				offset = oh*3600 + om*60 + os
				hasOffset = true
				if c == '-' {
					offset = -offset
				}
			}
		}
	}
	if p.err == nil && !p.done() {
		p.err = fmt.Errorf("unexpected %q", s[p.i:])
	}
	if p.err != nil {
		return time.Time{}, p.err
	}
	if month < 1 || month > 12 || day < 1 || day > 31 || hour > 24 || min > 59 || sec > 60 || year == 0 {
		return time.Time{}, errFieldRange
	}
	if bc {
		year = 1 - year
	}
	if _, m, d := time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC).Date(); int(m) != month || d != day {
		return time.Time{}, errFieldRange
	}
	if dateOnly {
		hour, min, sec, nsec, offset = 0, 0, 0, 0, 0
	}
	if !tz {
		offset = 0
	}
	if tz && !hasOffset && loc != nil && !dateOnly {
		return time.Date(year, time.Month(month), day, hour, min, sec, nsec, loc).UTC(), nil
	}
	t := time.Date(year, time.Month(month), day, hour, min, sec, nsec, time.UTC)
	return t.Add(-time.Duration(offset) * time.Second), nil
}

// scanner reads the fields of a date or timestamp, remembering the first error.
type scanner struct {
	s   string
	i   int
	err error
}

func (p *scanner) done() bool { return p.i >= len(p.s) }
func (p *scanner) peek() byte { return p.s[p.i] }

// int reads between min and max decimal digits.
func (p *scanner) int(min, max int) int {
	if p.err != nil {
		return 0
	}
	start := p.i
	for p.i < len(p.s) && p.i-start < max && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
		p.i++
	}
	if p.i-start < min {
		p.err = fmt.Errorf("expected a number at %d", start)
		return 0
	}
	x, _ := strconv.Atoi(p.s[start:p.i])
	return x
}

func (p *scanner) lit(c byte) {
	if p.err != nil {
		return
	}
	if p.done() || p.s[p.i] != c {
		p.err = fmt.Errorf("expected %q at %d", c, p.i)
		return
	}
	p.i++
}
