package exec

import (
	"errors"
	"sort"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sleeperd/sleeperd/errs"
)

// textAs is the expression 'v'::typ.
func textAs(t testing.TB, v string, typ arrow.DataType) Expr {
	t.Helper()
	c, err := NewCast(lit(t, v, tStr), typ)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Expected values are PostgreSQL 15's output.
func TestIntervalTextRoundTrip(t *testing.T) {
	ctx, mem := checkedCtx(t)
	batch := col(t, mem, tI32, 1)
	defer batch.Release()
	for in, want := range map[string]string{
		"90 days": "90 days", "3 month": "3 mons", "1 year 2 mons": "1 year 2 mons",
		"1 day 02:00:00": "1 day 02:00:00", "-1 week": "-7 days", "90 day": "90 days",
		"1 year 2 mons 3 days 04:05:06": "1 year 2 mons 3 days 04:05:06",
		"-1 day 2 hours":                "-1 days +02:00:00", "1.5 days": "1 day 12:00:00",
		"1.5 months": "1 mon 15 days", "1.5 years": "1 year 6 mons", "0 days": "00:00:00",
		"-1 year -2 mons": "-1 years -2 mons", "100 hours": "100:00:00", "1 hour ago": "-01:00:00",
		"@ 3 days ago": "-3 days", "0.5 seconds": "00:00:00.5", "1 mon -1 day": "1 mon -1 days",
		"-02:30": "-02:30:00", "10": "00:00:10", "2 weeks 1 day": "15 days",
		"1 millisecond": "00:00:00.001", "25 hours": "25:00:00", "1 decade": "10 years",
		"-1 days -02:00:00": "-1 days -02:00:00", "90days": "90 days", "1 DAY": "1 day",
	} {
		c, err := NewCast(textAs(t, in, Interval), tStr)
		if err != nil {
			t.Fatal(err)
		}
		got, err := evalText(ctx, c, batch)
		if err != nil || got[0] != want {
			t.Errorf("%q::interval = %v, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "abc", "1 fortnight", "1 day x", "12:99", "ago"} {
		_, err := evalText(ctx, textAs(t, in, Interval), batch)
		if !errors.Is(err, errs.InvalidDatetime) {
			t.Errorf("%q::interval: got %v, want invalid datetime format", in, err)
		}
	}
}

func TestIntervalArithmetic(t *testing.T) {
	ctx, mem := checkedCtx(t)
	batch := col(t, mem, tI32, 1)
	defer batch.Release()
	iv := func(s string) Expr { return textAs(t, s, Interval) }
	d := func(s string) Expr { return textAs(t, s, tDate) }
	ts := func(s string) Expr { return textAs(t, s, tTS) }
	num := func(s string) Expr { return textAs(t, s, tDec(10, 2)) }
	for _, c := range []struct {
		op   BinaryOp
		l, r Expr
		want string
		typ  arrow.DataType
	}{
		{Add, d("2024-01-31"), iv("1 month"), "2024-02-29 00:00:00", tTS},
		{Add, ts("2024-01-31 10:00"), iv("1 month 1 day 1 hour"), "2024-03-01 11:00:00", tTS},
		{Sub, d("2024-03-31"), iv("1 month"), "2024-02-29 00:00:00", tTS},
		{Add, ts("2024-02-29"), iv("1 year"), "2025-02-28 00:00:00", tTS},
		{Add, iv("1 hour"), d("2024-01-01"), "2024-01-01 01:00:00", tTS},
		{Add, textAs(t, "2024-01-01 00:00:00+00", tTSZ), iv("-1 day"), "2023-12-31 00:00:00+00", tTSZ},
		{Sub, ts("2024-03-01"), ts("2024-02-01 01:00"), "28 days 23:00:00", Interval},
		{Sub, ts("2024-02-01 01:00"), ts("2024-03-01"), "-28 days -23:00:00", Interval},
		{Add, iv("1 day"), iv("2 hours"), "1 day 02:00:00", Interval},
		{Sub, iv("1 day"), iv("2 hours"), "1 day -02:00:00", Interval},
		{Mul, iv("1 mon"), num("1.5"), "1 mon 15 days", Interval},
		{Mul, iv("1 day"), textAs(t, "0.3", tF64), "07:12:00", Interval},
		{Div, iv("1 mon 1 day"), lit(t, 7, tI32), "4 days 10:17:08.546743", Interval},
		{Mul, iv("3 days"), lit(t, 2, tI64), "6 days", Interval},
		{Mul, lit(t, 2, tI16), iv("1 hour"), "02:00:00", Interval},
		{Mul, iv("1 mon"), textAs(t, "0.1", tF64), "3 days", Interval},
		{Div, iv("1 year"), lit(t, 3, tI32), "4 mons", Interval},
		{Mul, iv("-1 mon"), textAs(t, "1.5", tF64), "-1 mons -15 days", Interval},
		{Mul, iv("1 day 10:00"), lit(t, -1, tI32), "-1 days -10:00:00", Interval},
		{Eq, iv("1 mon"), iv("30 days"), "true", tBool},
		{Lt, iv("1 day"), iv("25 hours"), "true", tBool},
		{Gt, iv("1 year"), iv("360 days"), "false", tBool},
		{GtEq, iv("1 year"), iv("360 days"), "true", tBool},
		{Gt, iv("1 day"), iv("23:59:59.999999"), "true", tBool},
		{NotEq, iv("-1 day"), iv("-24:00"), "false", tBool},
	} {
		e, err := NewBinary(c.op, c.l, c.r)
		if err != nil {
			t.Errorf("%s %s %s: %v", c.l, c.op, c.r, err)
			continue
		}
		if !arrow.TypeEqual(e.DataType(), c.typ) {
			t.Errorf("%s: type %s, want %s", e, e.DataType(), c.typ)
		}
		got, err := evalText(ctx, e, batch)
		if err != nil || got[0] != c.want {
			t.Errorf("%s = %v, %v; want %s", e, got, err, c.want)
		}
	}
	for _, c := range []struct {
		op   BinaryOp
		l, r arrow.DataType
	}{
		{Sub, Interval, tDate}, {Add, tTS, tTS}, {Mul, Interval, Interval}, {Div, tI32, Interval}, {Add, Interval, tStr},
	} {
		if _, err := BinaryResultType(c.op, c.l, c.r); !errors.Is(err, errs.UndefinedFunction) {
			t.Errorf("%s %s %s: got %v, want undefined function", c.l, c.op, c.r, err)
		}
	}
	for _, c := range []struct {
		op   BinaryOp
		l, r Expr
		kind error
	}{
		{Div, iv("1 day"), lit(t, 0, tI32), errs.DivisionByZero},
		{Mul, iv("1 year"), textAs(t, "1e10", tF64), errs.DatetimeOverflow},
		{Add, ts("2024-01-01"), iv("-7000 years"), errs.DatetimeOverflow},
	} {
		e, err := NewBinary(c.op, c.l, c.r)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := evalText(ctx, e, batch); !errors.Is(err, c.kind) {
			t.Errorf("%s: got %v, want %v", e, err, c.kind)
		}
	}
}

// Intervals group, sort and take min/max by their span, as PostgreSQL's do.
func TestIntervalGroupSort(t *testing.T) {
	ctx, mem := checkedCtx(t)
	vals := []string{"1 mon", "30 days", "-1 day", "720:00:00", "2 days"}
	rows := make([][]any, len(vals)+1)
	for i, s := range vals {
		v, err := parseInterval(s)
		if err != nil {
			t.Fatal(err)
		}
		rows[i] = []any{v}
	}
	rows[len(vals)] = []any{nil}
	schema := schemaOf(Interval)
	src := mkValues(t, schema, mkBatch(t, mem, schema, rows...))
	agg, err := NewHashAggregate([]Expr{mustCol(t, 0, Interval)}, []string{"g"},
		[]Aggregate{{Func: "count_star", Name: "n"}}, src)
	if err != nil {
		t.Fatal(err)
	}
	got := collectText(t, ctx, agg)
	sort.Strings(got)
	want := []string{"-1 days|1", "1 mon|3", "2 days|1", "NULL|1"}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
	mm, err := NewHashAggregate(nil, nil, []Aggregate{
		{Func: "min", Arg: mustCol(t, 0, Interval), Name: "lo"},
		{Func: "max", Arg: mustCol(t, 0, Interval), Name: "hi"},
	}, src)
	if err != nil {
		t.Fatal(err)
	}
	if got := collectText(t, ctx, mm); len(got) != 1 || got[0] != "-1 days|1 mon" {
		t.Fatalf("min, max = %v", got)
	}
}
