package sql

import (
	"strconv"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/sleeperd/sleeperd/catalog"
	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/planner"
)

// signalCall binds SELECT pg_cancel_backend(pid) and SELECT pg_terminate_backend(pid), which
// signal another session; ok is false for any other SELECT. The call must be the statement's
// only target, without FROM, and its argument an integer constant or $1.
func (b *binder) signalCall(sel *pg_query.SelectStmt) (planner.Statement, bool, error) {
	if sel == nil || len(sel.TargetList) != 1 || len(sel.FromClause) != 0 || sel.WhereClause != nil {
		return nil, false, nil
	}
	fc := sel.TargetList[0].GetResTarget().GetVal().GetFuncCall()
	if fc == nil || len(fc.Funcname) == 0 || len(fc.Funcname) > 2 {
		return nil, false, nil
	}
	if len(fc.Funcname) == 2 && fc.Funcname[0].GetString_().GetSval() != catalog.PGCatalogSchema {
		return nil, false, nil
	}
	name := fc.Funcname[len(fc.Funcname)-1].GetString_().GetSval()
	if name != "pg_cancel_backend" && name != "pg_terminate_backend" {
		return nil, false, nil
	}
	if len(fc.Args) != 1 {
		return nil, true, errs.New(errs.UndefinedFunction, "function %s takes one process ID", name)
	}
	arg := fc.Args[0]
	if tc := arg.GetTypeCast(); tc != nil {
		arg = tc.Arg
	}
	if p := arg.GetParamRef(); p != nil && p.Number == 1 {
		return &planner.SignalBackend{Func: name, Param: true}, true, nil
	}
	if c := arg.GetAConst(); c != nil {
		switch {
		case c.GetIval() != nil:
			return &planner.SignalBackend{Func: name, PID: int64(c.GetIval().Ival)}, true, nil
		case c.GetSval() != nil:
			n, err := strconv.ParseInt(c.GetSval().Sval, 10, 32)
			if err != nil {
				return nil, true, errs.New(errs.InvalidText, "invalid input syntax for type integer: %q", c.GetSval().Sval)
			}
			return &planner.SignalBackend{Func: name, PID: n}, true, nil
		}
	}
	return nil, true, errs.New(errs.NotImplemented, "%s takes an integer constant or $1 as its process ID", name)
}
