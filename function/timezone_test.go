package function

import (
	"errors"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/exec"
)

// Expected values are PostgreSQL 15's with the session's TimeZone set to the case's zone.
func TestSessionTimeZone(t *testing.T) {
	text := arrow.BinaryTypes.String
	str := func(s string) exec.Expr { return lit(t, s, text) }
	cast := func(e exec.Expr, to arrow.DataType) exec.Expr {
		c, err := exec.NewCast(e, to)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	tz := func(s string) exec.Expr { return cast(str(s), tszType) }
	ts := func(s string) exec.Expr { return cast(str(s), tsType) }
	iv := func(s string) exec.Expr { return cast(str(s), exec.Interval) }
	fn := func(name string, args ...exec.Expr) exec.Expr {
		e, err := NewFunc(name, args)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return e
	}
	bin := func(op exec.BinaryOp, l, r exec.Expr) exec.Expr {
		e, err := exec.NewBinary(op, l, r)
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	cases := []struct {
		zone string
		e    exec.Expr
		want string
	}{
		{"America/New_York", tz("2024-07-01 12:00:00+00"), "2024-07-01 08:00:00-04"},
		{"America/New_York", tz("2024-01-15 12:30:00.25Z"), "2024-01-15 07:30:00.25-05"},
		{"America/New_York", tz("2024-07-01 08:00"), "2024-07-01 08:00:00-04"},
		{"America/New_York", tz("2024-03-10 02:30"), "2024-03-10 03:30:00-04"}, // skipped hour
		{"America/New_York", tz("2024-11-03 01:30"), "2024-11-03 01:30:00-05"}, // repeated hour
		{"America/New_York", tz("2024-11-03 01:30-04"), "2024-11-03 01:30:00-04"},
		{"America/New_York", tz("2024-01-01 12:00 America/Los_Angeles"), "2024-01-01 15:00:00-05"},
		{"America/New_York", tz("2024-01-01 12:00 PST"), "2024-01-01 15:00:00-05"},
		{"America/New_York", tz("2024-07-01 12:00 europe/paris"), "2024-07-01 06:00:00-04"},
		{"America/New_York", tz("2024-07-01"), "2024-07-01 00:00:00-04"},
		{"America/New_York", cast(ts("2024-07-01 12:00"), tszType), "2024-07-01 12:00:00-04"},
		{"America/New_York", cast(tz("2024-07-01 03:00Z"), tsType), "2024-06-30 23:00:00"},
		{"America/New_York", cast(cast(str("2024-01-15"), arrow.FixedWidthTypes.Date32), tszType), "2024-01-15 00:00:00-05"},
		{"America/New_York", cast(tz("2024-07-01 03:00Z"), arrow.FixedWidthTypes.Date32), "2024-06-30"},
		{"America/New_York", fn("concat", str("x"), tz("2024-12-31 23:59:59Z")), "x2024-12-31 18:59:59-05"},
		{"America/New_York", fn("date_trunc", str("day"), tz("2024-07-01 03:00Z")), "2024-06-30 00:00:00-04"},
		{"America/New_York", fn("date_trunc", str("month"), tz("2024-11-15 12:00Z")), "2024-11-01 00:00:00-04"},
		{"America/New_York", fn("date_trunc", str("day"), tz("2024-03-10 12:00Z")), "2024-03-10 00:00:00-05"},
		{"America/New_York", fn("date_trunc", str("hour"), tz("2024-11-03 05:30Z")), "2024-11-03 01:00:00-04"},
		{"America/New_York", fn("date_trunc", str("hour"), tz("2024-11-03 06:30Z")), "2024-11-03 01:00:00-05"},
		{"America/New_York", fn("date_trunc", str("week"), tz("2024-03-12 01:00Z")), "2024-03-11 00:00:00-04"},
		{"America/New_York", fn("date_trunc", str("day"), tz("2024-07-01 03:00Z"), str("Asia/Tokyo")), "2024-06-30 11:00:00-04"},
		{"America/New_York", fn("date_part", str("hour"), tz("2024-07-01 03:00Z")), "23"},
		{"America/New_York", fn("date_part", str("dow"), tz("2024-07-01 03:00Z")), "0"},
		{"America/New_York", fn("date_part", str("epoch"), tz("2024-07-01 03:00Z")), "1719802800"},
		{"America/New_York", fn("date_part", str("timezone"), tz("2024-07-01 03:00Z")), "-14400"},
		{"America/New_York", fn("date_part", str("timezone_hour"), tz("2024-01-01 03:00Z")), "-5"},
		{"America/New_York", fn("to_char", tz("2024-07-01 03:00Z"), str("YYYY-MM-DD HH24:MI:SS TZ tz OF TZH:TZM")), "2024-06-30 23:00:00 EDT edt -04 -04:00"},
		{"America/New_York", fn("age", tz("2024-03-11 00:00"), tz("2024-03-09 00:00")), "2 days"},
		{"America/New_York", bin(exec.Sub, tz("2024-03-11 00:00"), tz("2024-03-09 00:00")), "1 day 23:00:00"},
		{"America/New_York", bin(exec.Add, tz("2024-03-09 12:00"), iv("1 day")), "2024-03-10 12:00:00-04"},
		{"America/New_York", bin(exec.Add, tz("2024-03-09 12:00"), iv("24 hours")), "2024-03-10 13:00:00-04"},
		{"America/New_York", bin(exec.Add, tz("2024-10-03 12:00"), iv("1 month")), "2024-11-03 12:00:00-05"},
		{"America/New_York", bin(exec.Sub, tz("2024-11-03 12:00"), iv("1 day")), "2024-11-02 12:00:00-04"},
		{"America/New_York", bin(exec.Add, tz("2024-01-31 09:00"), iv("1 month")), "2024-02-29 09:00:00-05"},
		{"America/New_York", fn("timezone", str("UTC"), ts("2024-01-01 12:00")), "2024-01-01 07:00:00-05"},
		{"America/New_York", fn("timezone", str("america/chicago"), ts("2024-07-01 12:00")), "2024-07-01 13:00:00-04"},
		{"America/New_York", fn("timezone", str("UTC+3"), ts("2024-01-01 12:00")), "2024-01-01 10:00:00-05"},
		{"America/New_York", fn("timezone", str("+05:30"), ts("2024-01-01 12:00")), "2024-01-01 12:30:00-05"},
		{"America/New_York", fn("timezone", str("EST"), ts("2024-01-01 12:00")), "2024-01-01 12:00:00-05"},
		{"America/New_York", fn("timezone", iv("05:30"), ts("2024-01-01 12:00")), "2024-01-01 01:30:00-05"},
		{"America/New_York", fn("timezone", str("Asia/Kathmandu"), tz("2024-01-01 12:00Z")), "2024-01-01 17:45:00"},
		{"America/New_York", fn("timezone", str("Australia/Adelaide"), tz("2024-01-01 00:00Z")), "2024-01-01 10:30:00"},
		{"Asia/Kolkata", tz("2024-07-01 12:00"), "2024-07-01 12:00:00+05:30"},
		{"Asia/Kolkata", fn("date_trunc", str("hour"), tz("2024-07-01 12:45")), "2024-07-01 12:00:00+05:30"},
		{"Asia/Kolkata", fn("date_part", str("timezone_minute"), tz("2024-07-01 12:00")), "30"},
		{"Asia/Kathmandu", tz("2024-07-01 00:00Z"), "2024-07-01 05:45:00+05:45"},
		{"Asia/Kathmandu", fn("to_char", tz("2024-07-01 00:00Z"), str("HH24:MI OF TZH TZM")), "05:45 +05:45 +05 45"},
		{"America/St_Johns", tz("2024-07-01 12:00Z"), "2024-07-01 09:30:00-02:30"},
		{"America/St_Johns", fn("date_part", str("timezone_hour"), tz("2024-01-01 12:00Z")), "-3"},
		{"America/St_Johns", fn("date_part", str("timezone_minute"), tz("2024-01-01 12:00Z")), "-30"},
		{"Europe/Berlin", tz("2024-10-27 02:30"), "2024-10-27 02:30:00+01"},
		{"Europe/Berlin", tz("2024-03-31 02:30"), "2024-03-31 03:30:00+02"},
		{"Europe/Berlin", fn("date_trunc", str("day"), tz("2024-10-27 12:00")), "2024-10-27 00:00:00+02"},
		{"Europe/Berlin", tz("1850-01-01 00:00Z"), "1850-01-01 00:53:28+00:53:28"},
		{"Europe/Berlin", fn("array_to_string", cast(str("{\"2024-01-01 00:00Z\",\"2024-07-01 00:00Z\"}"), arrow.ListOf(tszType)), str(" | ")), "2024-01-01 01:00:00+01 | 2024-07-01 02:00:00+02"},
		{"UTC", tz("2024-07-01 12:00"), "2024-07-01 12:00:00+00"},
		{"UTC", cast(ts("2024-07-01 12:00"), tszType), "2024-07-01 12:00:00+00"},
	}
	ctx, mem := checkedCtx(t)
	batch := col(t, mem, tI32, 1)
	defer batch.Release()
	for _, c := range cases {
		loc, err := time.LoadLocation(c.zone)
		if err != nil {
			t.Fatal(err)
		}
		e := c.e
		if e.DataType().ID() != arrow.STRING {
			e = cast(e, text)
		}
		got, err := evalText(exec.WithTimeZone(ctx, loc), e, batch)
		if err != nil || got[0] != c.want {
			t.Errorf("%s in %s = %q, %v; want %q", c.e, c.zone, got, err, c.want)
		}
	}
}
func TestSessionTimeZoneErrors(t *testing.T) {
	ctx, mem := checkedCtx(t)
	batch := col(t, mem, tI32, 1)
	defer batch.Release()
	for _, c := range []struct {
		zone any
		kind error
	}{
		{"Mars/Olympus", errs.InvalidParameter},
		{"../etc/passwd", errs.InvalidParameter},
		{exec.NewInterval(0, 1, 0), errs.InvalidParameter},
	} {
		zt := arrow.DataType(arrow.BinaryTypes.String)
		if _, ok := c.zone.(string); !ok {
			zt = exec.Interval
		}
		e, err := NewFunc("timezone", []exec.Expr{lit(t, c.zone, zt), lit(t, arrow.Timestamp(0), tsType)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := evalText(ctx, e, batch); !errors.Is(err, c.kind) {
			t.Errorf("%s: got %v, want %v", e, err, c.kind)
		}
	}
	if _, err := exec.ParseTextIn("2024-01-01 12:00 Nowhere/Land", tszType, time.UTC); !errors.Is(err, errs.InvalidDatetime) {
		t.Errorf("unknown zone in input: %v", err)
	}
}
