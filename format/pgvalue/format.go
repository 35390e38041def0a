package pgvalue

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"

	"github.com/sleeperd/sleeperd/exec"
	"github.com/sleeperd/sleeperd/types"
)

// writer appends the wire form of row i of a column to dst. It is only called for rows that
// are not null.
type Writer func(dst []byte, i int) []byte

// Days and microseconds between the Unix epoch and the PostgreSQL epoch, 2000-01-01, which
// binary dates and timestamps count from.
const (
	pgEpochDays   = 10957
	pgEpochMicros = pgEpochDays * 86400 * 1000000
)

// newWriter returns the writer of column arr in the given format. The writer reads arr, which
// must outlive it.
func newWriter(arr arrow.Array, format int16, loc *time.Location) Writer {
	if format == formatBinary {
		return binaryWriter(arr)
	}
	return textWriter(arr, loc)
}

// textWriter formats values as PostgreSQL 15 prints them with DateStyle ISO, showing
// timestamptz values in loc (UTC when nil), PostgreSQL's TimeZone.
func textWriter(arr arrow.Array, loc *time.Location) Writer {
	switch a := arr.(type) {
	case *array.MonthDayNanoInterval:
		return func(dst []byte, i int) []byte { return append(dst, exec.FormatInterval(a.Value(i))...) }
	case *array.Boolean:
		return func(dst []byte, i int) []byte {
			if a.Value(i) {
				return append(dst, 't')
			}
			return append(dst, 'f')
		}
	case *array.Int8:
		return func(dst []byte, i int) []byte { return strconv.AppendInt(dst, int64(a.Value(i)), 10) }
	case *array.Int16:
		return func(dst []byte, i int) []byte { return strconv.AppendInt(dst, int64(a.Value(i)), 10) }
	case *array.Int32:
		return func(dst []byte, i int) []byte { return strconv.AppendInt(dst, int64(a.Value(i)), 10) }
	case *array.Int64:
		return func(dst []byte, i int) []byte { return strconv.AppendInt(dst, a.Value(i), 10) }
	case *array.Uint8:
		return func(dst []byte, i int) []byte { return strconv.AppendUint(dst, uint64(a.Value(i)), 10) }
	case *array.Uint16:
		return func(dst []byte, i int) []byte { return strconv.AppendUint(dst, uint64(a.Value(i)), 10) }
	case *array.Uint32:
		return func(dst []byte, i int) []byte { return strconv.AppendUint(dst, uint64(a.Value(i)), 10) }
	case *array.Uint64:
		return func(dst []byte, i int) []byte { return strconv.AppendUint(dst, a.Value(i), 10) }
	case *array.Float16:
		return func(dst []byte, i int) []byte { return appendFloat(dst, float64(a.Value(i).Float32()), 32) }
	case *array.Float32:
		return func(dst []byte, i int) []byte { return appendFloat(dst, float64(a.Value(i)), 32) }
	case *array.Float64:
		return func(dst []byte, i int) []byte { return appendFloat(dst, a.Value(i), 64) }
	case *array.Decimal128:
		scale := a.DataType().(*arrow.Decimal128Type).Scale
		return func(dst []byte, i int) []byte { return append(dst, a.Value(i).ToString(scale)...) }
	case *types.VarNumericArray:
		v := arrow.GetValues[decimal128.Num](a.Data(), 1)
		return func(dst []byte, i int) []byte { return append(dst, types.NumericText(v[i])...) }
	case *array.Decimal256:
		scale := a.DataType().(*arrow.Decimal256Type).Scale
		return func(dst []byte, i int) []byte { return append(dst, a.Value(i).ToString(scale)...) }
	case *array.Decimal32:
		scale := a.DataType().(*arrow.Decimal32Type).Scale
		return func(dst []byte, i int) []byte { return append(dst, a.Value(i).ToString(scale)...) }
	case *array.Decimal64:
		scale := a.DataType().(*arrow.Decimal64Type).Scale
		return func(dst []byte, i int) []byte { return append(dst, a.Value(i).ToString(scale)...) }
	case *array.String:
		return func(dst []byte, i int) []byte { return append(dst, a.Value(i)...) }
	case *array.LargeString:
		return func(dst []byte, i int) []byte { return append(dst, a.Value(i)...) }
	case *array.StringView:
		return func(dst []byte, i int) []byte { return append(dst, a.Value(i)...) }
	case *array.Binary:
		return func(dst []byte, i int) []byte { return appendBytea(dst, a.Value(i)) }
	case *array.LargeBinary:
		return func(dst []byte, i int) []byte { return appendBytea(dst, a.Value(i)) }
	case *array.BinaryView:
		return func(dst []byte, i int) []byte { return appendBytea(dst, a.Value(i)) }
	case *array.FixedSizeBinary:
		return func(dst []byte, i int) []byte { return appendBytea(dst, a.Value(i)) }
	case *array.Date32:
		return func(dst []byte, i int) []byte { return appendDate(dst, int64(a.Value(i))) }
	case *array.Date64:
		return func(dst []byte, i int) []byte { return appendDate(dst, floorDiv(int64(a.Value(i)), 86400000)) }
	case *array.Timestamp:
		t := a.DataType().(*arrow.TimestampType)
		unit := t.Unit
		if t.TimeZone == "" {
			return func(dst []byte, i int) []byte {
				return appendTimestamp(dst, toMicros(int64(a.Value(i)), unit), false)
			}
		}
		return func(dst []byte, i int) []byte {
			return appendTimestampIn(dst, toMicros(int64(a.Value(i)), unit), loc)
		}
	case *array.Time64:
		// Arrow's own time (a Flight result, another tool's file) as PostgreSQL's time.
		unit := a.DataType().(*arrow.Time64Type).Unit
		return func(dst []byte, i int) []byte { return types.AppendTime(dst, toMicros(int64(a.Value(i)), unit)) }
	case *array.Time32:
		unit := a.DataType().(*arrow.Time32Type).Unit
		return func(dst []byte, i int) []byte { return types.AppendTime(dst, toMicros(int64(a.Value(i)), unit)) }
	case *array.List:
		return arrayTextWriter(a, loc)
	case *array.Struct:
		return recordTextWriter(a, nil, loc, nil)
	case *array.Map:
		return mapJSONWriter(a, loc)
	}
	return func(dst []byte, i int) []byte { return append(dst, arr.ValueStr(i)...) }
}

// binaryWriter encodes values in PostgreSQL's binary format of the column's type (see types.PGTypeOf).
func binaryWriter(arr arrow.Array) Writer {
	switch a := arr.(type) {
	case *array.MonthDayNanoInterval:
		// microseconds (int64), days (int32), months (int32)
		return func(dst []byte, i int) []byte {
			v := a.Value(i)
			dst = binary.BigEndian.AppendUint64(dst, uint64(v.Nanoseconds/1000))
			dst = binary.BigEndian.AppendUint32(dst, uint32(v.Days))
			return binary.BigEndian.AppendUint32(dst, uint32(v.Months))
		}
	case *array.Boolean:
		return func(dst []byte, i int) []byte {
			if a.Value(i) {
				return append(dst, 1)
			}
			return append(dst, 0)
		}
	case *array.Int8:
		return func(dst []byte, i int) []byte { return binary.BigEndian.AppendUint16(dst, uint16(a.Value(i))) }
	case *array.Uint8:
		return func(dst []byte, i int) []byte { return binary.BigEndian.AppendUint16(dst, uint16(a.Value(i))) }
	case *array.Int16:
		return func(dst []byte, i int) []byte { return binary.BigEndian.AppendUint16(dst, uint16(a.Value(i))) }
	case *array.Uint16:
		return func(dst []byte, i int) []byte { return binary.BigEndian.AppendUint32(dst, uint32(a.Value(i))) }
	case *array.Int32:
		return func(dst []byte, i int) []byte { return binary.BigEndian.AppendUint32(dst, uint32(a.Value(i))) }
	case *array.Uint32:
		return func(dst []byte, i int) []byte { return binary.BigEndian.AppendUint64(dst, uint64(a.Value(i))) }
	case *array.Int64:
		return func(dst []byte, i int) []byte { return binary.BigEndian.AppendUint64(dst, uint64(a.Value(i))) }
	case *array.Uint64:
		return func(dst []byte, i int) []byte {
			return appendNumeric(dst, strconv.FormatUint(a.Value(i), 10))
		}
	case *array.Float16:
		return func(dst []byte, i int) []byte { return appendFloat4(dst, a.Value(i).Float32()) }
	case *array.Float32:
		return func(dst []byte, i int) []byte { return appendFloat4(dst, a.Value(i)) }
	case *array.Float64:
		return func(dst []byte, i int) []byte {
			v := a.Value(i)
			if v != v {
				// PostgreSQL's one NaN (get_float8_nan), whatever payload this one has.
				return binary.BigEndian.AppendUint64(dst, 0x7ff8000000000000)
			}
			return binary.BigEndian.AppendUint64(dst, math.Float64bits(v))
		}
	case *array.Decimal128:
		scale := a.DataType().(*arrow.Decimal128Type).Scale
		return func(dst []byte, i int) []byte { return appendNumeric(dst, a.Value(i).ToString(scale)) }
	case *types.VarNumericArray:
		v := arrow.GetValues[decimal128.Num](a.Data(), 1)
		return func(dst []byte, i int) []byte { return appendNumeric(dst, types.NumericText(v[i])) }
	case *array.Decimal256:
		scale := a.DataType().(*arrow.Decimal256Type).Scale
		return func(dst []byte, i int) []byte { return appendNumeric(dst, a.Value(i).ToString(scale)) }
	case *array.Decimal32:
		scale := a.DataType().(*arrow.Decimal32Type).Scale
		return func(dst []byte, i int) []byte { return appendNumeric(dst, a.Value(i).ToString(scale)) }
	case *array.Decimal64:
		scale := a.DataType().(*arrow.Decimal64Type).Scale
		return func(dst []byte, i int) []byte { return appendNumeric(dst, a.Value(i).ToString(scale)) }
	case *array.String:
		return func(dst []byte, i int) []byte { return append(dst, a.Value(i)...) }
	case *array.LargeString:
		return func(dst []byte, i int) []byte { return append(dst, a.Value(i)...) }
	case *array.StringView:
		return func(dst []byte, i int) []byte { return append(dst, a.Value(i)...) }
	case *array.Binary:
		return func(dst []byte, i int) []byte { return append(dst, a.Value(i)...) }
	case *array.LargeBinary:
		return func(dst []byte, i int) []byte { return append(dst, a.Value(i)...) }
	case *array.BinaryView:
		return func(dst []byte, i int) []byte { return append(dst, a.Value(i)...) }
	case *array.FixedSizeBinary:
		return func(dst []byte, i int) []byte { return append(dst, a.Value(i)...) }
	case *array.Date32:
		return func(dst []byte, i int) []byte {
			return binary.BigEndian.AppendUint32(dst, uint32(int64(a.Value(i))-pgEpochDays))
		}
	case *array.Date64:
		return func(dst []byte, i int) []byte {
			return binary.BigEndian.AppendUint32(dst, uint32(floorDiv(int64(a.Value(i)), 86400000)-pgEpochDays))
		}
	case *array.Timestamp:
		unit := a.DataType().(*arrow.TimestampType).Unit
		return func(dst []byte, i int) []byte {
			return binary.BigEndian.AppendUint64(dst, uint64(toMicros(int64(a.Value(i)), unit)-pgEpochMicros))
		}
	case *array.List:
		return arrayBinaryWriter(a)
	case *array.Struct:
		return recordBinaryWriter(a, nil)
	case *array.Map:
		return mapJSONWriter(a, nil) // jsonb's text, after NewWriter's version byte
	}
	// Other types are sent as text, whose binary format is its text.
	return func(dst []byte, i int) []byte { return append(dst, arr.ValueStr(i)...) }
}

// appendFloat4 encodes a float4, with PostgreSQL's one NaN (get_float4_nan).
func appendFloat4(dst []byte, v float32) []byte {
	if v != v {
		return binary.BigEndian.AppendUint32(dst, 0x7fc00000)
	}
	return binary.BigEndian.AppendUint32(dst, math.Float32bits(v))
}

// appendFloat formats f as PostgreSQL 15's float4out and float8out do (types.AppendFloat).
func appendFloat(dst []byte, f float64, bits int) []byte { return types.AppendFloat(dst, f, bits) }

// appendBytea formats b in bytea's hex output format.
func appendBytea(dst, b []byte) []byte {
	dst = append(dst, '\\', 'x')
	return hex.AppendEncode(dst, b)
}

// floorDiv is a / b rounded towards negative infinity, for b > 0.
func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b < 0 {
		q--
	}
	return q
}

// toMicros converts a timestamp in unit to microseconds, rounding down.
func toMicros(v int64, unit arrow.TimeUnit) int64 {
	switch unit {
	case arrow.Second:
		return v * 1000000
	case arrow.Millisecond:
		return v * 1000
	case arrow.Nanosecond:
		return floorDiv(v, 1000)
	}
	return v
}

// civil returns the proleptic Gregorian date of days since 1970-01-01, with year 0 for 1 BC
// (Howard Hinnant's civil_from_days).
func civil(days int64) (y int64, m, d int) {
	z := days + 719468
	era := floorDiv(z, 146097)
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y = yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = int(doy - (153*mp+2)/5 + 1)
	if mp < 10 {
		m = int(mp + 3)
	} else {
		m = int(mp - 9)
	}
	if m <= 2 {
		y++
	}
	return y, m, d
}

// appendYMD appends the date part "YYYY-MM-DD" and reports whether the year is BC, in which
// case the year is written as PostgreSQL writes it (1 BC is 0001) and the caller appends " BC".
func appendYMD(dst []byte, days int64) ([]byte, bool) {
	y, m, d := civil(days)
	bc := y <= 0
	if bc {
		y = 1 - y
	}
	if y < 1000 {
		dst = append(dst, "000"[:4-len(strconv.FormatInt(y, 10))]...)
	}
	dst = strconv.AppendInt(dst, y, 10)
	dst = append(dst, '-', byte('0'+m/10), byte('0'+m%10), '-', byte('0'+d/10), byte('0'+d%10))
	return dst, bc
}

// appendDate formats a date given as days since 1970-01-01.
func appendDate(dst []byte, days int64) []byte {
	dst, bc := appendYMD(dst, days)
	if bc {
		dst = append(dst, " BC"...)
	}
	return dst
}

// appendTimestamp formats microseconds since 1970-01-01 00:00:00 (UTC, for tz) with trailing
// zeros of the fraction trimmed, and the offset "+00" when tz is set.
func appendTimestamp(dst []byte, us int64, tz bool) []byte {
	days := floorDiv(us, 86400000000)
	rem := us - days*86400000000
	dst, bc := appendYMD(dst, days)
	secs := rem / 1000000
	frac := rem % 1000000
	h, m, s := secs/3600, secs/60%60, secs%60
	dst = append(dst, ' ', byte('0'+h/10), byte('0'+h%10), ':', byte('0'+m/10), byte('0'+m%10),
		':', byte('0'+s/10), byte('0'+s%10))
	if frac != 0 {
		digits := fmt.Sprintf("%06d", frac)
		dst = append(dst, '.')
		dst = append(dst, strings.TrimRight(digits, "0")...)
	}
	if tz {
		dst = append(dst, "+00"...)
	}
	if bc {
		dst = append(dst, " BC"...)
	}
	return dst
}

// appendTimestampIn formats a timestamptz of microseconds since the epoch as local time in loc
// (UTC when nil) followed by its offset from UTC there: "+01", "-03:30", "+00:19:32" as
// PostgreSQL writes them.
func appendTimestampIn(dst []byte, us int64, loc *time.Location) []byte {
	off := 0
	if loc != nil && loc != time.UTC {
		_, off = time.UnixMicro(us).In(loc).Zone()
	}
	start := len(dst)
	dst = appendTimestamp(dst, us+int64(off)*1000000, false)
	bc := strings.HasSuffix(string(dst[start:]), " BC")
	if bc {
		dst = dst[:len(dst)-3]
	}
	sign := byte('+')
	if off < 0 {
		sign, off = '-', -off
	}
	h, m, s := off/3600, off/60%60, off%60
	dst = append(dst, sign, byte('0'+h/10), byte('0'+h%10))
	if m != 0 || s != 0 {
		dst = append(dst, ':', byte('0'+m/10), byte('0'+m%10))
	}
	if s != 0 {
		dst = append(dst, ':', byte('0'+s/10), byte('0'+s%10))
	}
	if bc {
		dst = append(dst, " BC"...)
	}
	return dst
}

// appendNumeric encodes a number in decimal notation ("-12.340") in numeric's binary format:
// ndigits, weight, sign, dscale, then ndigits base-10000 digits, the first of which is
// multiplied by 10000^weight. Trailing zero digits are dropped; dscale keeps the scale.
func appendNumeric(dst []byte, s string) []byte {
	var sign uint16
	if strings.HasPrefix(s, "-") {
		sign = 0x4000
		s = s[1:]
	}
	intPart, frac, _ := strings.Cut(s, ".")
	dscale := len(frac)
	intPart = strings.TrimLeft(intPart, "0")
	if n := len(intPart) % 4; n != 0 {
		intPart = "000"[:4-n] + intPart
	}
	if n := len(frac) % 4; n != 0 {
		frac += "000"[:4-n]
	}
	all := intPart + frac
	digits := make([]uint16, 0, len(all)/4)
	for i := 0; i < len(all); i += 4 {
		v, _ := strconv.Atoi(all[i : i+4])
		digits = append(digits, uint16(v))
	}
	weight := len(intPart)/4 - 1
	for len(digits) > 0 && digits[0] == 0 {
		digits = digits[1:]
		weight--
	}
	for len(digits) > 0 && digits[len(digits)-1] == 0 {
		digits = digits[:len(digits)-1]
	}
	if len(digits) == 0 {
		weight, sign = 0, 0
	}
	dst = binary.BigEndian.AppendUint16(dst, uint16(len(digits)))
	dst = binary.BigEndian.AppendUint16(dst, uint16(int16(weight)))
	dst = binary.BigEndian.AppendUint16(dst, sign)
	dst = binary.BigEndian.AppendUint16(dst, uint16(dscale))
	for _, d := range digits {
		dst = binary.BigEndian.AppendUint16(dst, d)
	}
	return dst
}

// padded writes w's values padded with spaces to n characters: character(n) values are held
// without their trailing spaces and shown padded, as PostgreSQL shows them.
func padded(w Writer, n int) Writer {
	return func(dst []byte, i int) []byte {
		start := len(dst)
		dst = w(dst, i)
		for k := utf8.RuneCount(dst[start:]); k < n; k++ {
			dst = append(dst, ' ')
		}
		return dst
	}
}

// AppendField appends row i of arr, a column of result field f, as AppendTextIn does, padding
// character(n) values to n characters.
func AppendField(dst []byte, f arrow.Field, arr arrow.Array, i int, loc *time.Location) []byte {
	if _, ok := arr.(*array.Struct); ok {
		return NewWriter(f, arr, formatText, loc)(dst, i)
	}
	if t, ok := timetzWriter(f, arr, formatText); ok {
		return t(dst, i)
	}
	if r, ok := regWriter(sqlField(f), arr, formatText, nil); ok {
		return r(dst, i)
	}
	if a, ok := storageArrayWriter(f, arr, formatText); ok {
		return a(dst, i)
	}
	if u, ok := uuidWriter(f, arr); ok {
		return u(dst, i)
	}
	if t, ok := timeWriter(f, arr); ok {
		return t(dst, i)
	}
	w := textWriter(arr, loc)
	if n, fixed, ok := types.FieldCharLength(f); ok && fixed {
		w = padded(w, n)
	}
	return w(dst, i)
}

// AppendText appends row i of arr, which is not null, as PostgreSQL 15 formats it in text
// (DateStyle ISO, TimeZone UTC): what a client of the wire protocol receives. In-process
// harnesses use it to see values exactly as clients do.
func AppendText(dst []byte, arr arrow.Array, i int) []byte { return textWriter(arr, nil)(dst, i) }

// AppendTextIn is AppendText with timestamptz values shown in loc, a session's TimeZone.
func AppendTextIn(dst []byte, arr arrow.Array, i int, loc *time.Location) []byte {
	return textWriter(arr, loc)(dst, i)
}
