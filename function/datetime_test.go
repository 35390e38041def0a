package function

import (
	"errors"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/exec"
)

// funcCase is name(args...) with PostgreSQL 15's output as text.
type funcCase struct {
	name string
	args []exec.Expr
	want string
	typ  arrow.DataType // nil: not checked
}

func runFuncCases(t *testing.T, cases []funcCase) {
	t.Helper()
	ctx, mem := checkedCtx(t)
	batch := col(t, mem, tI32, 1)
	defer batch.Release()
	for _, c := range cases {
		e, err := NewFunc(c.name, c.args)
		if err != nil {
			t.Errorf("%s(%s): %v", c.name, exec.JoinExprs(c.args), err)
			continue
		}
		if c.typ != nil && !arrow.TypeEqual(e.DataType(), c.typ) {
			t.Errorf("%s: type %s, want %s", e, e.DataType(), c.typ)
		}
		if c.typ != nil {
			ft, err := FuncResultType(c.name, exprTypes(c.args))
			if err != nil || (c.name != "extract" && !arrow.TypeEqual(ft, c.typ)) {
				t.Errorf("FuncResultType(%s) = %v, %v; want %s", c.name, ft, err, c.typ)
			}
		}
		got, err := evalText(ctx, e, batch)
		if err != nil || got[0] != c.want {
			t.Errorf("%s = %q, %v; want %q", e, got, err, c.want)
		}
	}
}

func exprTypes(es []exec.Expr) []arrow.DataType {
	out := make([]arrow.DataType, len(es))
	for i, e := range es {
		out[i] = e.DataType()
	}
	return out
}

func TestDateTimeFunctions(t *testing.T) {
	s := func(v string) exec.Expr { return lit(t, v, tStr) }
	ts := func(v string) exec.Expr { return textAs(t, v, tTS) }
	tsz := func(v string) exec.Expr { return textAs(t, v, tTSZ) }
	d := func(v string) exec.Expr { return textAs(t, v, tDate) }
	iv := func(v string) exec.Expr { return textAs(t, v, exec.Interval) }
	x := ts("2024-02-29 13:45:30.25")
	var cases []funcCase
	for f, want := range map[string]string{
		"year": "2024", "month": "2", "day": "29", "hour": "13", "minute": "45", "second": "30.25",
		"epoch": "1709214330.25", "dow": "4", "doy": "60", "quarter": "1", "week": "9", "isodow": "4",
		"milliseconds": "30250", "microseconds": "30250000", "decade": "202", "century": "21",
		"isoyear": "2024", "millennium": "3", "YEAR": "2024", "mon": "2",
	} {
		cases = append(cases, funcCase{"date_part", []exec.Expr{s(f), x}, want, tF64})
	}
	cases = append(cases, []funcCase{
		{"date_part", []exec.Expr{s("dow"), ts("2024-03-03")}, "0", tF64},
		{"date_part", []exec.Expr{s("isodow"), ts("2024-03-03")}, "7", tF64},
		{"date_part", []exec.Expr{s("week"), ts("2021-01-01")}, "53", tF64},
		{"date_part", []exec.Expr{s("isoyear"), ts("2021-01-01")}, "2020", tF64},
		{"date_part", []exec.Expr{s("doy"), ts("2024-12-31")}, "366", tF64},
		{"date_part", []exec.Expr{s("decade"), d("0044-03-15 BC")}, "-5", tF64},
		{"date_part", []exec.Expr{s("century"), d("0044-03-15 BC")}, "-1", tF64},
		{"date_part", []exec.Expr{s("year"), d("0044-03-15 BC")}, "-44", tF64},
		{"date_part", []exec.Expr{s("millennium"), ts("2000-12-31")}, "2", tF64},
		{"date_part", []exec.Expr{s("hour"), d("2024-02-29")}, "0", tF64},
		{"date_part", []exec.Expr{s("epoch"), ts("1960-01-01 00:00:00.5")}, "-315619199.5", tF64},
		{"date_part", []exec.Expr{s("epoch"), iv("1 mon")}, "2592000", tF64},
		{"date_part", []exec.Expr{s("hour"), iv("-25 hours")}, "-25", tF64},
		{"date_part", []exec.Expr{s("minute"), iv("-90 min")}, "-30", tF64},
		{"date_part", []exec.Expr{s("year"), iv("-14 mons")}, "-1", tF64},
		{"date_part", []exec.Expr{s("epoch"), iv("-1 year")}, "-31557600", tF64},
		{"extract", []exec.Expr{s("year"), x}, "2024", tDec(38, 0)},
		{"extract", []exec.Expr{s("second"), x}, "30.250000", tDec(38, 6)},
		{"extract", []exec.Expr{s("epoch"), x}, "1709214330.250000", tDec(38, 6)},
		{"extract", []exec.Expr{s("milliseconds"), x}, "30250.000", tDec(38, 3)},
		{"extract", []exec.Expr{s("microseconds"), x}, "30250000", tDec(38, 0)},
		{"extract", []exec.Expr{s("dow"), d("2024-02-29")}, "4", tDec(38, 0)},
		{"extract", []exec.Expr{s("epoch"), d("2024-02-29")}, "1709164800", tDec(38, 0)},
		{"extract", []exec.Expr{s("epoch"), iv("1 day 2 hours")}, "93600.000000", tDec(38, 6)},
		{"extract", []exec.Expr{s("epoch"), iv("1 year")}, "31557600.000000", tDec(38, 6)},
		{"extract", []exec.Expr{s("day"), iv("1 mon 3 days")}, "3", tDec(38, 0)},
		{"extract", []exec.Expr{s("second"), iv("1.5 seconds")}, "1.500000", tDec(38, 6)},
		{"extract", []exec.Expr{s("milliseconds"), iv("1.5 s")}, "1500.000", tDec(38, 3)},
		{"extract", []exec.Expr{s("quarter"), iv("7 mons")}, "3", tDec(38, 0)},
		{"extract", []exec.Expr{s("minute"), tsz("2024-01-01 10:11:12+00")}, "11", tDec(38, 0)},
		{"extract", []exec.Expr{s("week"), d("2024-12-30")}, "1", tDec(38, 0)},
		{"extract", []exec.Expr{s("decade"), d("2019-01-01")}, "201", tDec(38, 0)},
		{"date_trunc", []exec.Expr{s("month"), x}, "2024-02-01 00:00:00", tTS},
		{"date_trunc", []exec.Expr{s("week"), x}, "2024-02-26 00:00:00", tTS},
		{"date_trunc", []exec.Expr{s("week"), ts("2024-03-03 10:00")}, "2024-02-26 00:00:00", tTS},
		{"date_trunc", []exec.Expr{s("quarter"), d("2024-05-15")}, "2024-04-01 00:00:00+00", tTSZ},
		{"date_trunc", []exec.Expr{s("hour"), x}, "2024-02-29 13:00:00", tTS},
		{"date_trunc", []exec.Expr{s("year"), x}, "2024-01-01 00:00:00", tTS},
		{"date_trunc", []exec.Expr{s("second"), x}, "2024-02-29 13:45:30", tTS},
		{"date_trunc", []exec.Expr{s("minute"), x}, "2024-02-29 13:45:00", tTS},
		{"date_trunc", []exec.Expr{s("day"), d("2024-05-15")}, "2024-05-15 00:00:00+00", tTSZ},
		{"date_trunc", []exec.Expr{s("decade"), d("2024-05-15")}, "2020-01-01 00:00:00+00", tTSZ},
		{"date_trunc", []exec.Expr{s("century"), d("2024-05-15")}, "2001-01-01 00:00:00+00", tTSZ},
		{"date_trunc", []exec.Expr{s("century"), ts("2000-05-01")}, "1901-01-01 00:00:00", tTS},
		{"date_trunc", []exec.Expr{s("decade"), ts("1999-05-01")}, "1990-01-01 00:00:00", tTS},
		{"date_trunc", []exec.Expr{s("millennium"), ts("2001-05-01")}, "2001-01-01 00:00:00", tTS},
		{"date_trunc", []exec.Expr{s("milliseconds"), ts("2024-02-29 13:45:30.25678")}, "2024-02-29 13:45:30.256", tTS},
		{"age", []exec.Expr{ts("2024-03-15"), ts("2023-01-31 10:00")}, "1 year 1 mon 14 days 14:00:00", exec.Interval},
		{"age", []exec.Expr{ts("2023-01-31"), ts("2024-03-15 10:00")}, "-1 years -1 mons -15 days -10:00:00", exec.Interval},
		{"age", []exec.Expr{ts("2024-03-01"), ts("2024-01-31")}, "1 mon 1 day", exec.Interval},
		{"age", []exec.Expr{d("2024-03-01"), d("2020-02-29")}, "4 years 1 day", exec.Interval},
		{"age", []exec.Expr{ts("2024-02-29"), ts("2024-01-31")}, "29 days", exec.Interval},
		{"age", []exec.Expr{ts("2024-01-31"), ts("2024-02-29")}, "-29 days", exec.Interval},
		{"age", []exec.Expr{tsz("2024-05-01 00:00+00"), tsz("2023-05-01 12:00+00")}, "11 mons 30 days 12:00:00", exec.Interval},
		{"age", []exec.Expr{ts("2024-03-31 00:00:00.5"), ts("2024-03-31 00:00:01")}, "-00:00:00.5", exec.Interval},
		{"to_char", []exec.Expr{ts("2024-02-09 13:05:07"), s("YYYY-MM-DD HH24:MI:SS")}, "2024-02-09 13:05:07", tStr},
		{"to_char", []exec.Expr{ts("2024-02-09 13:05:07"), s("Mon Month Dy Day")}, "Feb February  Fri Friday   ", tStr},
		{"to_char", []exec.Expr{d("2024-02-09"), s("YYYY-MM-DD")}, "2024-02-09", tStr},
		{"to_char", []exec.Expr{ts("2024-02-09 13:05:07"), s("DD/MM/YY HH12 AM")}, "09/02/24 01 PM", tStr},
		{"to_char", []exec.Expr{ts("2024-02-09 13:05:07"), s("MON MONTH DY DAY mon month dy day")}, "FEB FEBRUARY  FRI FRIDAY    feb february  fri friday   ", tStr},
		{"to_char", []exec.Expr{ts("2024-02-09 13:05:07"), s("FMMonth FMDD Q WW D DDD")}, "February 9 1 06 6 040", tStr},
		{"to_char", []exec.Expr{ts("2024-02-09 00:05:07.123456"), s(`HH:MI:SS.MS US pm "Q"YYYY IW`)}, "12:05:07.123 123456 am Q2024 06", tStr},
	}...)
	runFuncCases(t, cases)

	ctx, mem := checkedCtx(t)
	batch := col(t, mem, tI32, 1)
	defer batch.Release()
	for _, c := range []struct {
		name string
		args []exec.Expr
		kind error
	}{
		{"date_part", []exec.Expr{s("foo"), x}, errs.InvalidParameter},
		{"date_trunc", []exec.Expr{s("foo"), x}, errs.InvalidParameter},
		{"extract", []exec.Expr{s("hour"), d("2024-01-01")}, errs.NotImplemented},
	} {
		e, err := NewFunc(c.name, c.args)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := evalText(ctx, e, batch); !errors.Is(err, c.kind) {
			t.Errorf("%s: got %v, want %v", e, err, c.kind)
		}
	}
	if _, err := FuncResultType("date_trunc", []arrow.DataType{tStr, tI32}); !errors.Is(err, errs.UndefinedFunction) {
		t.Errorf("date_trunc(text, integer): %v", err)
	}
}

// now() and friends read the statement time from the context, for every row alike.
func TestNow(t *testing.T) {
	ctx, mem := checkedCtx(t)
	ctx = exec.WithNow(ctx, time.Date(2024, 5, 6, 7, 8, 9, 123456000, time.UTC))
	batch := col(t, mem, tI32, 1, 2, 3)
	defer batch.Release()
	for name, want := range map[string]string{
		"now": "2024-05-06 07:08:09.123456+00", "current_timestamp": "2024-05-06 07:08:09.123456+00",
		"current_date": "2024-05-06", "localtimestamp": "2024-05-06 07:08:09.123456",
	} {
		e, err := NewFunc(name, nil)
		if err != nil {
			t.Fatal(err)
		}
		got, err := evalText(ctx, e, batch)
		if err != nil || len(got) != 3 || got[0] != want || got[2] != want {
			t.Errorf("%s() = %v, %v; want 3 x %s", name, got, err, want)
		}
	}
	if _, err := NewFunc("now", []exec.Expr{lit(t, 1, tI32)}); !errors.Is(err, errs.UndefinedFunction) {
		t.Errorf("now(1): %v", err)
	}
}
