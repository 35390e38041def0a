package sql

import (
	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/exec"
	"github.com/sleeperd/sleeperd/planner"
	"github.com/sleeperd/sleeperd/types"
)

// localTime binds LOCALTIME and LOCALTIME(p): the time of day of the statement's start in the
// session time zone, as time, or time(p) rounded to p fractional digits (mod is -1 without p).
func localTime(mod int32) (planner.Expr, error) {
	now, err := exec.FuncResultType("now", nil)
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
