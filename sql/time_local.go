package sql

import (
	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/function"
	"github.com/sleeperd/sleeperd/planner"
	"github.com/sleeperd/sleeperd/types"
)

// localTime binds LOCALTIME and LOCALTIME(p): the time of day of the statement's start in the
// session time zone, as time, or time(p) rounded to p fractional digits (mod is -1 without p).
func localTime(mod int32) (planner.Expr, error) {
	now, err := function.FuncResultType("now", nil)
	if err != nil {
		return nil, errs.New(errs.NotImplemented, "LOCALTIME is not supported yet")
	}
	t, err := types.ByName("time", nil)
	if mod >= 0 {
		t, err = types.ByName("time", []int32{mod})
	}
	if err != nil {
		return nil, err
	}
	e, ok, err := timeCoerce(&planner.Func{Name: "now", Typ: now}, t, timeExplicit)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errs.New(errs.NotImplemented, "LOCALTIME is not supported yet")
	}
	return e, nil
}

// timeCastable reports whether a cast between a and b, one of them time, exists as an
// assignment (explicit false) or explicitly: time to time(p) and to interval, interval,
// timestamp and timestamptz to time; text to and from time only explicitly (assignment to
// text is assignable's).
func timeCastable(a, b arrow.DataType, explicit bool) bool {
	if types.IsTimeTZ(a) || types.IsTimeTZ(b) {
		return timetzCastable(a, b, explicit)
	}
	ta, tb := types.IsTime(a), types.IsTime(b)
	switch {
	case ta && tb:
		return true
	case ta:
		return b.ID() == arrow.INTERVAL_MONTH_DAY_NANO
	case tb:
		return a.ID() == arrow.INTERVAL_MONTH_DAY_NANO || a.ID() == arrow.TIMESTAMP || explicit && a.ID() == arrow.STRING && !types.IsUUID(a)
	}
	return false
}
