package sql

import (
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/sleeperd/sleeperd/catalog"
	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/planner"
)

// cacheCall binds SELECT sleeper.cache_pin('t') and SELECT sleeper.cache_evict('t'), which
// act on the engine's hot cache; ok is false for any other SELECT. The call must be the
// statement's only target, without FROM, and its argument a string constant.
func (b *binder) cacheCall(sel *pg_query.SelectStmt) (planner.Statement, bool, error) {
	if sel == nil || len(sel.TargetList) != 1 || len(sel.FromClause) != 0 || sel.WhereClause != nil {
		return nil, false, nil
	}
	fc := sel.TargetList[0].GetResTarget().GetVal().GetFuncCall()
	if fc == nil || len(fc.Funcname) != 2 || fc.Funcname[0].GetString_().GetSval() != catalog.SystemSchema {
		return nil, false, nil
	}
	name := fc.Funcname[1].GetString_().GetSval()
	if name != "cache_pin" && name != "cache_evict" {
		return nil, false, nil
	}
	if len(fc.Args) != 1 || fc.Args[0].GetAConst() == nil || fc.Args[0].GetAConst().GetSval() == nil {
		return nil, true, errs.New(errs.UndefinedFunction, "function sleeper.%s takes one table name as a string constant", name)
	}
	table := fc.Args[0].GetAConst().GetSval().Sval
	t, err := b.table(&pg_query.RangeVar{Relname: strings.TrimSpace(table), Location: fc.Args[0].GetAConst().Location})
	if err != nil {
		return nil, true, err
	}
	return &planner.CacheCall{Func: name, Table: t.Name}, true, nil
}
