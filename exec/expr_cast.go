package exec

import (
	"context"
	"encoding/hex"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/types"
)

// Cast converts its operand to another type with PostgreSQL's semantics: text is parsed as
// PostgreSQL's input functions parse it and every type prints as its output function does;
// float to integer rounds to nearest, ties to even (rint); numeric to integer or to a smaller
// scale rounds half away from zero; out-of-range values are errors. Time stamps with a time
// zone are UTC instants, read and printed in the session time zone of the evaluation context
// (TimeZone), which also gives timestamp <-> timestamptz and date <-> timestamptz their
// local wall-clock times.
type Cast struct {
	e  Expr
	to arrow.DataType
}

var _ Expr = (*Cast)(nil)

// NewCast returns e::to, or an error when PostgreSQL has no such cast.
func NewCast(e Expr, to arrow.DataType) (*Cast, error) {
	if e == nil || to == nil {
		return nil, fmt.Errorf("cast: nil operand or type")
	}
	if !CanCast(e.DataType(), to) {
		return nil, errs.New(errs.UndefinedFunction, "cannot cast type %s to %s", types.BaseName(e.DataType()), types.BaseName(to))
	}
	return &Cast{e: e, to: to}, nil
}

// CanCast reports whether NewCast accepts a cast from one type to another.
func CanCast(from, to arrow.DataType) bool {
	if !supported(from) || !supported(to) {
		return false
	}
	f, t := tid(from), tid(to)
	switch {
	case f == arrow.LIST && t == arrow.LIST:
		return CanCast(elemType(from), elemType(to))
	case f == t:
		return true
	case f == arrow.STRING || t == arrow.STRING:
		return true
	case (isNumeric(from) || types.IsVarNumeric(from)) && (isNumeric(to) || types.IsVarNumeric(to)):
		return true
	case (f == arrow.BOOL && t == arrow.INT32) || (f == arrow.INT32 && t == arrow.BOOL):
		return true
	case (f == arrow.DATE32 && t == arrow.TIMESTAMP) || (f == arrow.TIMESTAMP && t == arrow.DATE32):
		return true
	}
	return false
}

func (c *Cast) DataType() arrow.DataType { return c.to }

func (c *Cast) String() string { return fmt.Sprintf("CAST(%s AS %s)", c.e, pgTypeFull(c.to)) }

func pgTypeFull(t arrow.DataType) string {
	if d, ok := t.(*arrow.Decimal128Type); ok {
		return fmt.Sprintf("numeric(%d,%d)", d.Precision, d.Scale)
	}
	return types.BaseName(t)
}

func (c *Cast) Eval(ctx context.Context, batch arrow.RecordBatch) (arrow.Array, error) {
	a, err := c.e.Eval(ctx, batch)
	if err != nil {
		return nil, err
	}
	defer a.Release()
	return castArray(Allocator(ctx), TimeZone(ctx), a, c.to)
}

// castArray converts a to type to, with loc as the session time zone. It does not release a.
func castArray(mem memory.Allocator, loc *time.Location, a arrow.Array, to arrow.DataType) (arrow.Array, error) {
	from := a.DataType()
	if arrow.TypeEqual(from, to) {
		a.Retain()
		return a, nil
	}
	n := a.Len()
	// Fixed-width numeric conversions run over the value buffers directly.
	if isNumeric(from) && isNumeric(to) && tid(from) != arrow.DECIMAL128 && tid(to) != arrow.DECIMAL128 {
		return castNumeric(mem, a, to)
	}
	if from.ID() == arrow.TIMESTAMP && to.ID() == arrow.TIMESTAMP && (loc == time.UTC || hasZone(from) == hasZone(to)) {
		return rewrap(a, to), nil
	}
	if from.ID() == arrow.LIST && to.ID() == arrow.LIST {
		return castList(mem, loc, a, to)
	}
	if types.IsVarNumeric(to) {
		if out, ok, err := castToVarNumeric(mem, a); ok {
			return out, err
		}
	}
	// The rest goes row by row through Go values; casts are not the hot path of a scan.
	conv := func(v any) (any, error) { return convertValue(v, from, to, loc) }
	b := array.NewBuilder(mem, to)
	defer b.Release()
	b.Reserve(n)
	for i := 0; i < n; i++ {
		v := valueAt(a, i)
		if v == nil {
			b.AppendNull()
			continue
		}
		out, err := conv(v)
		if err != nil {
			return nil, err
		}
		appendValue(b, out)
	}
	return b.NewArray(), nil
}

// rewrap returns a's buffers under another type of the same layout.
func rewrap(a arrow.Array, to arrow.DataType) arrow.Array {
	d := a.Data()
	data := array.NewData(to, d.Len(), d.Buffers(), nil, d.NullN(), d.Offset())
	defer data.Release()
	return array.MakeFromData(data)
}

// appendValue appends a Go value of the kind NewLiteral accepts to b.
func appendValue(b array.Builder, v any) {
	switch b := storageBuilder(b).(type) {
	case *array.BooleanBuilder:
		b.Append(v.(bool))
	case *array.Int16Builder:
		b.Append(v.(int16))
	case *array.Int32Builder:
		b.Append(v.(int32))
	case *array.Int64Builder:
		b.Append(v.(int64))
	case *array.Float32Builder:
		b.Append(v.(float32))
	case *array.Float64Builder:
		b.Append(v.(float64))
	case *array.Decimal128Builder:
		b.Append(v.(decimal128.Num))
	case *array.StringBuilder:
		b.Append(v.(string))
	case *array.BinaryBuilder:
		b.Append(v.([]byte))
	case *array.Date32Builder:
		b.Append(v.(arrow.Date32))
	case *array.TimestampBuilder:
		b.Append(v.(arrow.Timestamp))
	case *array.MonthDayNanoIntervalBuilder:
		b.Append(v.(arrow.MonthDayNanoInterval))
	case *array.ListBuilder:
		appendList(b, v.([]any))
	case *array.StructBuilder:
		appendStruct(b, v.([]any))
	case *array.MapBuilder:
		appendMap(b, v.(MapValue))
	default:
		panic(fmt.Sprintf("exec: append %T to %T", v, b))
	}
}

func castNumeric(mem memory.Allocator, a arrow.Array, to arrow.DataType) (arrow.Array, error) {
	// Widen to float64 or int64, then narrow with checks.
	n := a.Len()
	validity := copyValidity(mem, a)
	var valid []byte
	if validity != nil {
		valid = validity.Bytes()
	}
	var ints []int64
	var floats []float64
	switch a.DataType().ID() {
	case arrow.INT16, arrow.INT32, arrow.INT64:
		ints = intsAsInt64(a)
	case arrow.FLOAT32:
		floats = make([]float64, n)
		for i, v := range values[float32](a) {
			floats[i] = float64(v)
		}
	case arrow.FLOAT64:
		floats = values[float64](a)
	}
	fail := func(err error) (arrow.Array, error) {
		if validity != nil {
			validity.Release()
		}
		return nil, err
	}
	if floats != nil && isInteger(to) {
		ints = make([]int64, n)
		for i, f := range floats {
			if skip(valid, i) {
				continue
			}
			r := math.RoundToEven(f)
			if math.IsNaN(r) || r < -9223372036854775808.0 || r >= 9223372036854775808.0 {
				return fail(rangeErr(to))
			}
			ints[i] = int64(r)
		}
	}
	switch to.ID() {
	case arrow.INT16:
		return narrowInts[int16](mem, to, ints, valid, validity, math.MinInt16, math.MaxInt16)
	case arrow.INT32:
		return narrowInts[int32](mem, to, ints, valid, validity, math.MinInt32, math.MaxInt32)
	case arrow.INT64:
		return narrowInts[int64](mem, to, ints, valid, validity, math.MinInt64, math.MaxInt64)
	case arrow.FLOAT32:
		buf, out := newValues[float32](mem, n)
		for i := range out {
			if ints != nil {
				out[i] = float32(ints[i])
				continue
			}
			out[i] = float32(floats[i])
			if math.IsInf(float64(out[i]), 0) && !math.IsInf(floats[i], 0) && !skip(valid, i) {
				buf.Release()
				return fail(errs.New(errs.NumericRange, "value out of range: overflow"))
			}
		}
		return makeArray(to, n, validity, buf), nil
	case arrow.FLOAT64:
		buf, out := newValues[float64](mem, n)
		for i := range out {
			if ints != nil {
				out[i] = float64(ints[i])
			} else {
				out[i] = floats[i]
			}
		}
		return makeArray(to, n, validity, buf), nil
	}
	return fail(typeErr("cast to %s", to))
}

func narrowInts[T integer](mem memory.Allocator, to arrow.DataType, ints []int64, valid []byte, validity *memory.Buffer, lo, hi int64) (arrow.Array, error) {
	buf, out := newValues[T](mem, len(ints))
	for i, v := range ints {
		if (v < lo || v > hi) && !skip(valid, i) {
			buf.Release()
			if validity != nil {
				validity.Release()
			}
			return nil, rangeErr(to)
		}
		out[i] = T(v)
	}
	return makeArray(to, len(ints), validity, buf), nil
}

// hasZone reports whether t is timestamp with time zone.
func hasZone(t arrow.DataType) bool {
	ts, ok := t.(*arrow.TimestampType)
	return ok && ts.TimeZone != ""
}

// convertValue casts one non-NULL value, with loc as the session time zone.
func convertValue(v any, from, to arrow.DataType, loc *time.Location) (any, error) {
	if out, ok, err := convertVarNumeric(v, from, to); ok {
		return out, err
	}
	if to.ID() == arrow.STRING {
		return formatTextIn(v, from, loc), nil
	}
	if from.ID() == arrow.STRING {
		return parseTextIn(v.(string), to, loc)
	}
	switch to.ID() {
	case arrow.LIST:
		// Element by element; NULL elements stay NULL.
		l := v.([]any)
		out := make([]any, len(l))
		for i, x := range l {
			if x == nil {
				continue
			}
			y, err := convertValue(x, elemType(from), elemType(to), loc)
			if err != nil {
				return nil, err
			}
			out[i] = y
		}
		return out, nil
	case arrow.BOOL:
		return v.(int32) != 0, nil
	case arrow.DATE32:
		us := int64(v.(arrow.Timestamp))
		if hasZone(from) {
			us = toLocal(loc, us)
		}
		return arrow.Date32(floorDiv(us, usPerDay)), nil
	case arrow.TIMESTAMP:
		switch {
		case from.ID() == arrow.DATE32 && hasZone(to):
			return arrow.Timestamp(fromLocal(loc, int64(v.(arrow.Date32))*usPerDay)), nil
		case from.ID() == arrow.DATE32:
			return arrow.Timestamp(int64(v.(arrow.Date32)) * usPerDay), nil
		case hasZone(to) && !hasZone(from):
			return arrow.Timestamp(fromLocal(loc, int64(v.(arrow.Timestamp)))), nil
		case hasZone(from) && !hasZone(to):
			return arrow.Timestamp(toLocal(loc, int64(v.(arrow.Timestamp)))), nil
		}
		return v, nil
	case arrow.DECIMAL128:
		d := to.(*arrow.Decimal128Type)
		switch x := v.(type) {
		case int16:
			return decimalFromInt(int64(x), d)
		case int32:
			return decimalFromInt(int64(x), d)
		case int64:
			return decimalFromInt(x, d)
		case float32:
			return decimalFromFloat(float64(x), 6, d)
		case float64:
			return decimalFromFloat(x, 15, d)
		case decimal128.Num:
			return rescaleDecimal(x, from.(*arrow.Decimal128Type).Scale, d)
		}
	case arrow.INT16, arrow.INT32, arrow.INT64:
		if b, ok := v.(bool); ok {
			if b {
				return int32(1), nil
			}
			return int32(0), nil
		}
		x := v.(decimal128.Num)
		r, err := rescaleDecimal(x, from.(*arrow.Decimal128Type).Scale, &arrow.Decimal128Type{Precision: 38, Scale: 0})
		if err != nil {
			return nil, rangeErr(to)
		}
		num := r.(decimal128.Num)
		lo, hi := int64(math.MinInt64), int64(math.MaxInt64)
		switch to.ID() {
		case arrow.INT16:
			lo, hi = math.MinInt16, math.MaxInt16
		case arrow.INT32:
			lo, hi = math.MinInt32, math.MaxInt32
		}
		bi := num.BigInt()
		if !bi.IsInt64() || bi.Int64() < lo || bi.Int64() > hi {
			return nil, rangeErr(to)
		}
		switch to.ID() {
		case arrow.INT16:
			return int16(bi.Int64()), nil
		case arrow.INT32:
			return int32(bi.Int64()), nil
		}
		return bi.Int64(), nil
	case arrow.FLOAT32, arrow.FLOAT64:
		x := v.(decimal128.Num)
		f, _ := strconv.ParseFloat(x.ToString(from.(*arrow.Decimal128Type).Scale), 64)
		if to.ID() == arrow.FLOAT32 {
			return float32(f), nil
		}
		return f, nil
	}
	return nil, typeErr("cast from %s to %s", from, to)
}

const usPerDay = 86400 * 1000000

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func overflow(d *arrow.Decimal128Type) error {
	e := errs.New(errs.NumericRange, "numeric field overflow").(*errs.Error)
	e.Detail = fmt.Sprintf("A field with precision %d, scale %d must round to an absolute value less than 10^%d.", d.Precision, d.Scale, d.Precision-d.Scale)
	return e
}

func decimalFromInt(x int64, d *arrow.Decimal128Type) (any, error) {
	return rescaleDecimal(decimal128.FromI64(x), 0, d)
}

func decimalFromFloat(x float64, digits int, d *arrow.Decimal128Type) (any, error) {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return nil, errs.New(errs.NumericRange, "cannot convert %s to numeric", formatFloat(x, 64))
	}
	// PostgreSQL converts through the float's text form with DBL_DIG (FLT_DIG) digits.
	return parseDecimal(strconv.FormatFloat(x, 'e', digits-1, 64), d)
}

// rescaleDecimal moves x from scale s to d's scale, rounding half away from zero, and checks
// d's precision.
func rescaleDecimal(x decimal128.Num, s int32, d *arrow.Decimal128Type) (any, error) {
	b := x.BigInt()
	switch {
	case d.Scale > s:
		b.Mul(b, pow10(d.Scale-s))
	case d.Scale < s:
		q, ok := divRound(b, pow10(s-d.Scale), new(big.Int), new(big.Int))
		if !ok {
			return nil, overflow(d)
		}
		b = q.BigInt()
	}
	if b.CmpAbs(pow10(d.Precision)) >= 0 {
		return nil, overflow(d)
	}
	return decimal128.FromBigInt(b), nil
}

// parseDecimal parses numeric text (digits, optional point and exponent) at d's scale.
func parseDecimal(s string, d *arrow.Decimal128Type) (any, error) {
	bad := func() (any, error) {
		return nil, errs.New(errs.InvalidText, "invalid input syntax for type numeric: %q", s)
	}
	t := strings.TrimSpace(s)
	neg := false
	if t != "" && (t[0] == '+' || t[0] == '-') {
		neg = t[0] == '-'
		t = t[1:]
	}
	exp := 0
	if i := strings.IndexAny(t, "eE"); i >= 0 {
		e, err := strconv.Atoi(t[i+1:])
		if err != nil || i == 0 {
			return bad()
		}
		exp = e
		t = t[:i]
	}
	intPart, frac, _ := strings.Cut(t, ".")
	if intPart == "" && frac == "" {
		return bad()
	}
	digits := intPart + frac
	for _, c := range digits {
		if c < '0' || c > '9' {
			return bad()
		}
	}
	if exp > 1000 || exp < -1000 {
		return nil, overflow(d)
	}
	b, _ := new(big.Int).SetString("0"+digits, 10)
	scale := int32(len(frac) - exp) // value = b * 10^-scale
	if neg {
		b.Neg(b)
	}
	switch {
	case d.Scale > scale:
		b.Mul(b, pow10(d.Scale-scale))
	case d.Scale < scale:
		q, ok := divRound(b, pow10(scale-d.Scale), new(big.Int), new(big.Int))
		if !ok {
			return nil, overflow(d)
		}
		b = q.BigInt()
	}
	if b.CmpAbs(pow10(d.Precision)) >= 0 {
		return nil, overflow(d)
	}
	return decimal128.FromBigInt(b), nil
}

// parseText parses s as PostgreSQL's input function for type to does in the time zone UTC.
func parseText(s string, to arrow.DataType) (any, error) { return parseTextIn(s, to, time.UTC) }

// parseTextIn parses s as PostgreSQL's input function for type to does, reading a
// timestamptz without an offset or zone name as local time in loc.
func parseTextIn(s string, to arrow.DataType, loc *time.Location) (any, error) {
	t := strings.TrimSpace(s)
	switch to.ID() {
	case arrow.INT16, arrow.INT32, arrow.INT64:
		bitSize := map[arrow.Type]int{arrow.INT16: 16, arrow.INT32: 32, arrow.INT64: 64}[to.ID()]
		if t == "" || strings.ContainsAny(t, "_xXoObB") || t == "+" || t == "-" {
			return nil, errs.New(errs.InvalidText, "invalid input syntax for type %s: %q", types.BaseName(to), s)
		}
		v, err := strconv.ParseInt(t, 10, bitSize)
		if err != nil {
			if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
				return nil, errs.New(errs.NumericRange, "value %q is out of range for type %s", s, types.BaseName(to))
			}
			return nil, errs.New(errs.InvalidText, "invalid input syntax for type %s: %q", types.BaseName(to), s)
		}
		switch bitSize {
		case 16:
			return int16(v), nil
		case 32:
			return int32(v), nil
		}
		return v, nil
	case arrow.FLOAT32, arrow.FLOAT64:
		bitSize := 64
		if to.ID() == arrow.FLOAT32 {
			bitSize = 32
		}
		if t == "" || strings.ContainsAny(t, "_xXpP") {
			return nil, errs.New(errs.InvalidText, "invalid input syntax for type %s: %q", types.BaseName(to), s)
		}
		v, err := strconv.ParseFloat(t, bitSize)
		if err != nil {
			if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
				return nil, errs.New(errs.NumericRange, "%q is out of range for type %s", s, types.BaseName(to))
			}
			return nil, errs.New(errs.InvalidText, "invalid input syntax for type %s: %q", types.BaseName(to), s)
		}
		if bitSize == 32 {
			return float32(v), nil
		}
		return v, nil
	case arrow.DECIMAL128:
		return parseDecimal(s, to.(*arrow.Decimal128Type))
	case arrow.BOOL:
		l := strings.ToLower(t)
		if l != "" {
			for _, w := range []string{"true", "yes"} {
				if strings.HasPrefix(w, l) {
					return true, nil
				}
			}
			for _, w := range []string{"false", "no"} {
				if strings.HasPrefix(w, l) {
					return false, nil
				}
			}
			switch l {
			case "on", "1":
				return true, nil
			case "of", "off", "0":
				return false, nil
			}
		}
		return nil, errs.New(errs.InvalidText, "invalid input syntax for type boolean: %q", s)
	case arrow.DATE32:
		days, _, _, err := parseDateTime(s, false)
		if err != nil {
			return nil, err
		}
		return arrow.Date32(days), nil
	case arrow.TIMESTAMP:
		days, us, z, err := parseDateTime(s, true)
		if err != nil {
			return nil, err
		}
		local := days*usPerDay + us
		if !hasZone(to) {
			return arrow.Timestamp(local), nil
		}
		switch {
		case z.loc != nil:
			return arrow.Timestamp(fromLocal(z.loc, local)), nil
		case z.set:
			return arrow.Timestamp(local - z.offset), nil
		}
		return arrow.Timestamp(fromLocal(loc, local)), nil
	case arrow.INTERVAL_MONTH_DAY_NANO:
		return parseInterval(s)
	case arrow.LIST:
		return parseArray(s, to, loc)
	case arrow.STRUCT:
		return parseRecord(s, to.(*arrow.StructType), loc)
	case arrow.BINARY:
		if strings.HasPrefix(s, `\x`) {
			return decodeByteaHex(s[2:])
		}
		if strings.Contains(s, `\`) {
			return nil, errs.New(errs.InvalidText, "invalid input syntax for type bytea")
		}
		return []byte(s), nil
	}
	return nil, typeErr("cast from text to %s", to)
}

// zoneIn is the time zone written in a date/time string: a zone (loc) or a fixed offset
// (offset, microseconds east, when set); neither when the string names none.
type zoneIn struct {
	loc    *time.Location
	offset int64
	set    bool
}

// parseDateTime parses "YYYY-MM-DD[( |T)HH:MM[:SS[.ffffff]]][ ]( Z|UTC|+HH[:MM]|-HH[:MM]|
// zone name)". It returns days since the epoch, microseconds since midnight and the zone the
// string names.
func parseDateTime(s string, withTime bool) (days, us int64, z zoneIn, err error) {
	what := "date"
	if withTime {
		what = "timestamp"
	}
	bad := errs.New(errs.InvalidDatetime, "invalid input syntax for type %s: %q", what, s)
	t := strings.TrimSpace(s)
	bc := false
	if u := strings.ToUpper(t); strings.HasSuffix(u, " BC") {
		bc = true
		t = strings.TrimSpace(t[:len(t)-3])
	}
	num := func(p string, min, max int) (int, bool) {
		if len(p) < min || len(p) > max {
			return 0, false
		}
		v := 0
		for _, c := range p {
			if c < '0' || c > '9' {
				return 0, false
			}
			v = v*10 + int(c-'0')
		}
		return v, true
	}
	datePart, rest := t, ""
	if i := strings.IndexAny(t, " T"); i >= 0 {
		datePart, rest = t[:i], strings.TrimSpace(t[i+1:])
	}
	ps := strings.Split(datePart, "-")
	if len(ps) != 3 {
		return 0, 0, z, bad
	}
	y, ok1 := num(ps[0], 1, 7)
	m, ok2 := num(ps[1], 1, 2)
	d, ok3 := num(ps[2], 1, 2)
	if !ok1 || !ok2 || !ok3 {
		return 0, 0, z, bad
	}
	if bc {
		y = 1 - y
	}
	if m < 1 || m > 12 || d < 1 || d > daysIn(y, m) || y == 0 && !bc {
		return 0, 0, z, errs.New(errs.DatetimeOverflow, "date/time field value out of range: %q", s)
	}
	days = civilToDays(int64(y), m, d)
	if rest == "" {
		return days, 0, z, nil
	}
	// Zone suffix.
	last := rest
	if i := strings.LastIndexByte(rest, ' '); i >= 0 {
		last = rest[i+1:]
	}
	if strings.HasSuffix(rest, "Z") || strings.HasSuffix(strings.ToUpper(rest), "UTC") {
		rest = strings.TrimSpace(strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(rest, "Z"), "UTC"), "utc"))
		z.set = true
	} else if strings.ContainsFunc(last, func(r rune) bool { return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' }) {
		loc, err := parseZone(last)
		if err != nil {
			return 0, 0, z, bad
		}
		z.loc = loc
		rest = strings.TrimSpace(rest[:len(rest)-len(last)])
	} else if i := strings.LastIndexAny(rest, "+-"); i > 0 {
		zone := rest[i+1:]
		sign := int64(1)
		if rest[i] == '-' {
			sign = -1
		}
		zh, zm := zone, ""
		if h, mm, ok := strings.Cut(zone, ":"); ok {
			zh, zm = h, mm
		} else if len(zone) == 4 {
			zh, zm = zone[:2], zone[2:]
		}
		hh, ok := num(zh, 1, 2)
		mi := 0
		if zm != "" {
			mi, ok2 = num(zm, 2, 2)
			ok = ok && ok2
		}
		if !ok {
			return 0, 0, z, bad
		}
		z.offset = sign * int64(hh*3600+mi*60) * 1000000
		z.set = true
		rest = strings.TrimSpace(rest[:i])
	}
	if rest == "" {
		return days, 0, z, nil
	}
	hms := strings.Split(rest, ":")
	if len(hms) < 2 || len(hms) > 3 {
		return 0, 0, z, bad
	}
	h, ok1 := num(hms[0], 1, 2)
	mi, ok2 := num(hms[1], 1, 2)
	if !ok1 || !ok2 {
		return 0, 0, z, bad
	}
	sec, frac := 0, int64(0)
	if len(hms) == 3 {
		whole, f, hasFrac := strings.Cut(hms[2], ".")
		var ok bool
		if sec, ok = num(whole, 1, 2); !ok {
			return 0, 0, z, bad
		}
		if hasFrac {
			if _, ok := num(f, 1, 30); !ok {
				return 0, 0, z, bad
			}
			// Round to microseconds, half up as PostgreSQL's rint on positive values.
			for len(f) < 7 {
				f += "0"
			}
			v, _ := strconv.ParseInt(f[:6], 10, 64)
			if f[6] >= '5' {
				v++
			}
			frac = v
		}
	}
	if h > 24 || mi > 59 || sec > 60 || (h == 24 && (mi > 0 || sec > 0 || frac > 0)) {
		return 0, 0, z, errs.New(errs.DatetimeOverflow, "date/time field value out of range: %q", s)
	}
	us = (int64(h)*3600+int64(mi)*60+int64(sec))*1000000 + frac
	if !withTime {
		us = 0
	}
	return days, us, z, nil
}

func daysIn(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// civilToDays converts a proleptic Gregorian date (year 0 = 1 BC) to days since 1970-01-01.
func civilToDays(y int64, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := floorDiv(y, 400)
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := int64((153*mp+2)/5 + d - 1)
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// daysToCivil is the inverse of civilToDays.
func daysToCivil(z int64) (y int64, m, d int) {
	z += 719468
	era := floorDiv(z, 146097)
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y = yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = int(doy - (153*mp+2)/5 + 1)
	m = int(mp + 3)
	if m > 12 {
		m -= 12
	}
	if m <= 2 {
		y++
	}
	return y, m, d
}

func formatDate(days int64) string {
	y, m, d := daysToCivil(days)
	if y <= 0 {
		return fmt.Sprintf("%04d-%02d-%02d BC", 1-y, m, d)
	}
	return fmt.Sprintf("%04d-%02d-%02d", y, m, d)
}

// formatTimestamp writes a timestamp, or with loc not nil a timestamptz as local time in loc
// followed by the offset, as PostgreSQL's ISO output does.
func formatTimestamp(us int64, loc *time.Location) string {
	var off int64
	if loc != nil {
		off = offsetAt(loc, us)
		us += off * usPerSec
	}
	days := floorDiv(us, usPerDay)
	rem := us - days*usPerDay
	y, m, d := daysToCivil(days)
	secs := rem / 1000000
	frac := rem % 1000000
	var sb strings.Builder
	year := y
	if y <= 0 {
		year = 1 - y
	}
	fmt.Fprintf(&sb, "%04d-%02d-%02d %02d:%02d:%02d", year, m, d, secs/3600, secs/60%60, secs%60)
	if frac != 0 {
		f := strings.TrimRight(fmt.Sprintf("%06d", frac), "0")
		sb.WriteString("." + f)
	}
	if loc != nil {
		sb.WriteString(formatOffset(off))
	}
	if y <= 0 {
		sb.WriteString(" BC")
	}
	return sb.String()
}

// floatSpecial is PostgreSQL's spelling of f when it is NaN or an infinity; ok is false for
// finite f.
func floatSpecial(f float64) (s string, ok bool) {
	switch {
	case math.IsNaN(f):
		return "NaN", true
	case math.IsInf(f, 1):
		return "Infinity", true
	case math.IsInf(f, -1):
		return "-Infinity", true
	}
	return "", false
}

// formatFloat prints f as PostgreSQL's float4out/float8out do with extra_float_digits = 1:
// the shortest text that reads back exactly, in exponent form below 1e-4 or from 1e15
// (1e6 for real).
func formatFloat(f float64, bitSize int) string {
	return string(types.AppendFloat(make([]byte, 0, 24), f, bitSize))
}

// formatText prints a non-NULL value of type t as PostgreSQL's text output does in the time
// zone UTC.
func formatText(v any, t arrow.DataType) string { return formatTextIn(v, t, time.UTC) }

// formatTextIn prints a non-NULL value of type t as PostgreSQL's text output does, writing
// timestamptz values as local time in loc.
func formatTextIn(v any, t arrow.DataType, loc *time.Location) string {
	if s, ok := formatStorageText(v, t); ok {
		return s
	}
	switch x := v.(type) {
	case bool:
		if x {
			return "true"
		}
		return "false"
	case int16:
		return strconv.FormatInt(int64(x), 10)
	case int32:
		return strconv.FormatInt(int64(x), 10)
	case int64:
		return strconv.FormatInt(x, 10)
	case float32:
		return formatFloat(float64(x), 32)
	case float64:
		return formatFloat(x, 64)
	case decimal128.Num:
		if types.IsVarNumeric(t) {
			return FormatVarNumeric(x)
		}
		return formatDecimal(x, t.(*arrow.Decimal128Type).Scale)
	case string:
		return x
	case []byte:
		return `\x` + hex.EncodeToString(x)
	case arrow.Date32:
		return formatDate(int64(x))
	case arrow.Timestamp:
		if !hasZone(t) {
			loc = nil
		}
		return formatTimestamp(int64(x), loc)
	case arrow.MonthDayNanoInterval:
		return formatInterval(x)
	case []any:
		if st, ok := t.(*arrow.StructType); ok {
			return formatRecord(x, st, loc)
		}
		return formatArray(x, t, loc)
	case MapValue:
		return formatMapJSON(x, t.(*arrow.MapType), loc)
	}
	return fmt.Sprint(v)
}

func formatDecimal(n decimal128.Num, scale int32) string {
	s := n.BigInt().String()
	if scale <= 0 {
		if n.Sign() == 0 {
			return "0"
		}
		return s + strings.Repeat("0", int(-scale))
	}
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	for len(s) <= int(scale) {
		s = "0" + s
	}
	out := s[:len(s)-int(scale)] + "." + s[len(s)-int(scale):]
	if neg {
		out = "-" + out
	}
	return out
}

var _ = bitutil.BitIsSet

// decodeByteaHex decodes bytea's hex format as PostgreSQL does: pairs of hex digits, with
// white space allowed between pairs.
func decodeByteaHex(s string) ([]byte, error) {
	out := make([]byte, 0, len(s)/2)
	for i := 0; i < len(s); {
		c := s[i]
		if c == ' ' || c == '\t' || c == '\n' || c == '\r' {
			i++
			continue
		}
		hi, ok := hexDigit(c)
		if !ok {
			return nil, errs.New(errs.InvalidParameter, "invalid hexadecimal digit: %q", s[i:i+1])
		}
		if i+1 >= len(s) {
			return nil, errs.New(errs.InvalidParameter, "invalid hexadecimal data: odd number of digits")
		}
		lo, ok := hexDigit(s[i+1])
		if !ok {
			return nil, errs.New(errs.InvalidParameter, "invalid hexadecimal digit: %q", s[i+1:i+2])
		}
		out = append(out, hi<<4|lo)
		i += 2
	}
	return out, nil
}

func hexDigit(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// ParseDecimal parses numeric text as a value of decimal type d, rounding to its scale, with
// the errors of a cast of text to numeric (invalid input syntax, numeric field overflow).
func ParseDecimal(s string, d *arrow.Decimal128Type) (decimal128.Num, error) {
	v, err := parseDecimal(s, d)
	if err != nil {
		return decimal128.Num{}, err
	}
	return v.(decimal128.Num), nil
}
