package exec

import (
	"math"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sleeperd/sleeperd/errs"
)

// Expected values are PostgreSQL 15's (SELECT v::to, read back as text).
func TestCast(t *testing.T) {
	type cc struct {
		in       any
		from, to arrow.DataType
		want     string
		err      error
	}
	cases := []cc{
		{1.5, tF64, tI32, "2", nil},
		{2.5, tF64, tI16, "2", nil},
		{-0.5, tF64, tI32, "0", nil},
		{3.5, tF64, tI64, "4", nil},
		{1e10, tF64, tI64, "10000000000", nil},
		{1e10, tF64, tI32, "", errs.NumericRange},
		{math.NaN(), tF64, tI32, "", errs.NumericRange},
		{99999, tI32, tI16, "", errs.NumericRange},
		{int16(-5), tI16, tI64, "-5", nil},
		{int64(7), tI64, tF32, "7", nil},
		{1e300, tF64, tF32, "", errs.NumericRange},
		{dec(t, "2.5", 1), tDec(3, 1), tI32, "3", nil},
		{dec(t, "-2.5", 1), tDec(3, 1), tI16, "-3", nil},
		{dec(t, "99999.5", 1), tDec(7, 1), tI16, "", errs.NumericRange},
		{float32(1.25), tF32, tDec(5, 1), "1.3", nil},
		{0.1, tF64, tDec(20, 18), "0.100000000000000000", nil},
		{math.Inf(1), tF64, tDec(20, 2), "", errs.NumericRange},
		{12, tI32, tDec(5, 2), "12.00", nil},
		{12345, tI32, tDec(5, 2), "", errs.NumericRange},
		{dec(t, "12.345", 3), tDec(5, 3), tDec(5, 2), "12.35", nil},
		{dec(t, "12.345", 3), tDec(5, 3), tF64, "12.345", nil},
		{true, tBool, tI32, "1", nil},
		{0, tI32, tBool, "false", nil},
		{arrow.Timestamp(19724*usPerDay + 86399999999), tTS, tDate, "2024-01-02", nil},
		{arrow.Timestamp(-1), tTS, tDate, "1969-12-31", nil},
		{arrow.Date32(19724), tDate, tTS, "2024-01-02 00:00:00", nil},
		{arrow.Timestamp(1), tTS, tTSZ, "1970-01-01 00:00:00.000001+00", nil},
		// To text.
		{3.0, tF64, tStr, "3", nil},
		{1e20, tF64, tStr, "1e+20", nil},
		{1e15, tF64, tStr, "1e+15", nil},
		{123456789012345678.0, tF64, tStr, "1.2345678901234568e+17", nil},
		{1e-4, tF64, tStr, "0.0001", nil},
		{1e-5, tF64, tStr, "1e-05", nil},
		{float32(1e-7), tF32, tStr, "1e-07", nil},
		{float32(1234567), tF32, tStr, "1.234567e+06", nil},
		{float32(123456), tF32, tStr, "123456", nil},
		{math.Copysign(0, -1), tF64, tStr, "-0", nil},
		{math.Inf(-1), tF64, tStr, "-Infinity", nil},
		{dec(t, "123.45", 2), tDec(6, 2), tStr, "123.45", nil},
		{dec(t, "0", 3), tDec(5, 3), tStr, "0.000", nil},
		{dec(t, "-0.05", 2), tDec(5, 2), tStr, "-0.05", nil},
		{true, tBool, tStr, "true", nil},
		{arrow.Date32(-719162), tDate, tStr, "0001-01-01", nil},
		{arrow.Date32(-719163), tDate, tStr, "0001-12-31 BC", nil},
		{[]byte("AB"), tBin, tStr, `\x4142`, nil},
		// From text.
		{" 12 ", tStr, tI32, "12", nil},
		{"+5", tStr, tI16, "5", nil},
		{"abc", tStr, tI32, "", errs.InvalidText},
		{"1.5", tStr, tI32, "", errs.InvalidText},
		{"", tStr, tI64, "", errs.InvalidText},
		{"99999999999", tStr, tI32, "", errs.NumericRange},
		{"  -1.5e2 ", tStr, tDec(6, 1), "-150.0", nil},
		{".5", tStr, tDec(3, 2), "0.50", nil},
		{"5.", tStr, tDec(3, 1), "5.0", nil},
		{"12345.678", tStr, tDec(5, 2), "", errs.NumericRange},
		{"x", tStr, tDec(5, 2), "", errs.InvalidText},
		{"Infinity", tStr, tF64, "Infinity", nil},
		{" -inf", tStr, tF32, "-Infinity", nil},
		{"NaN", tStr, tF64, "NaN", nil},
		{"1e400", tStr, tF64, "", errs.NumericRange},
		{"0x10", tStr, tF64, "", errs.InvalidText},
		{"tRuE", tStr, tBool, "true", nil},
		{"n", tStr, tBool, "false", nil},
		{"off", tStr, tBool, "false", nil},
		{" yes ", tStr, tBool, "true", nil},
		{"x", tStr, tBool, "", errs.InvalidText},
		{"2000-02-29", tStr, tDate, "2000-02-29", nil},
		{"2024-02-30", tStr, tDate, "", errs.DatetimeOverflow},
		{"x", tStr, tDate, "", errs.InvalidDatetime},
		{"0001-01-01 BC", tStr, tDate, "0001-01-01 BC", nil},
		{"2024-01-02 03:04:05.5+02", tStr, tTSZ, "2024-01-02 01:04:05.5+00", nil},
		{"2024-01-02 03:04:05.5+02", tStr, tTS, "2024-01-02 03:04:05.5", nil},
		{" 2024-01-02 03:04:05.1234567 ", tStr, tTS, "2024-01-02 03:04:05.123457", nil},
		{"2024-01-02T03:04:05Z", tStr, tTS, "2024-01-02 03:04:05", nil},
		{"1999-12-31 24:00:00", tStr, tTS, "2000-01-01 00:00:00", nil},
		{`\x4142`, tStr, tBin, `\x4142`, nil},
	}
	for _, c := range cases {
		t.Run(formatText(valueOrInt(t, c.in, c.from), c.from)+"::"+pgTypeFull(c.to), func(t *testing.T) {
			ctx, mem := checkedCtx(t)
			b := col(t, mem, c.from, c.in, nil)
			defer b.Release()
			e, err := NewCast(mustCol(t, 0, c.from), c.to)
			if err != nil {
				t.Fatal(err)
			}
			got, err := evalText(ctx, e, b)
			if c.err != nil {
				wantErrKind(t, err, c.err)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got[0] != c.want || got[1] != "NULL" {
				t.Fatalf("got %q, want [%q NULL]", got, c.want)
			}
		})
	}
	if _, err := NewCast(mustCol(t, 0, tDate), tI32); !errorsIs(err, errs.UndefinedFunction) {
		t.Fatalf("date::int: %v", err)
	}
}

func valueOrInt(t *testing.T, v any, typ arrow.DataType) any {
	if i, ok := v.(int); ok {
		return lit(t, i, typ).Value()
	}
	return v
}
