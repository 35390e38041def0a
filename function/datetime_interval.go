package function

import (
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/exec"
)

// date_trunc(text, interval): PostgreSQL's interval_trunc, which truncates the interval's
// fields (years and months, days, hours, minutes, seconds) toward zero from the unit down.

func truncInterval(field string, v arrow.MonthDayNanoInterval) (arrow.MonthDayNanoInterval, error) {
	unit := canonicalField(field)
	year, mon := int64(v.Months)/12, int64(v.Months)%12
	day := int64(v.Days)
	t := v.Nanoseconds / 1000
	hour := t / exec.UsPerHour
	t -= hour * exec.UsPerHour
	min := t / (60 * exec.UsPerSec)
	t -= min * 60 * exec.UsPerSec
	sec := t / exec.UsPerSec
	usec := t - sec*exec.UsPerSec
	levels := []string{"millennium", "century", "decade", "year", "quarter", "month", "day", "hour", "minute", "second"}
	at := -1
	for i, l := range levels {
		if l == unit {
			at = i
		}
	}
	switch {
	case at >= 0:
		for _, l := range levels[at:] {
			switch l {
			case "millennium":
				year = year / 1000 * 1000
			case "century":
				year = year / 100 * 100
			case "decade":
				year = year / 10 * 10
			case "year":
				mon = 0
			case "quarter":
				mon = 3 * (mon / 3)
			case "month":
				day = 0
			case "day":
				hour = 0
			case "hour":
				min = 0
			case "minute":
				sec = 0
			case "second":
				usec = 0
			}
		}
	case unit == "milliseconds":
		usec = usec / 1000 * 1000
	case unit == "microseconds":
	case unit == "week":
		return v, errs.New(errs.NotImplemented, "unit %q not supported for type interval", strings.ToLower(field))
	default:
		return v, errs.New(errs.InvalidParameter, "unit %q not recognized for type interval", strings.ToLower(field))
	}
	us := ((hour*60+min)*60+sec)*exec.UsPerSec + usec
	return exec.NewInterval(int32(year*12+mon), int32(day), us), nil
}

func registerDatetimeInterval() {
	register(function{takes: func(args []arrow.DataType) bool {
		return len(args) == 2 && args[0].ID() == arrow.STRING && args[1].ID() == arrow.INTERVAL_MONTH_DAY_NANO
	}, resolve: func(args []arrow.DataType) (arrow.DataType, []arrow.DataType, error) {
		return args[1], nil, nil
	}, eval: rowwise(false, func(v []any) (any, error) {
		return truncInterval(v[0].(string), v[1].(arrow.MonthDayNanoInterval))
	})}, "date_trunc")
}
