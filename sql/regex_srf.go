package sql

import (
	"regexp"

	"github.com/apache/arrow-go/v18/arrow"
	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/sleeperd/sleeperd/errs"

	"github.com/sleeperd/sleeperd/planner"
	"github.com/sleeperd/sleeperd/types"
)

// arraySRFs are set-returning functions bound as unnest of a function returning the array
// of their rows: regexp_matches(s, p [, flags]) is unnest(_pg_regexp_matches(...)).
var arraySRFs = map[string]string{
	"regexp_matches":        "_pg_regexp_matches",
	"regexp_split_to_table": "_pg_regexp_split",
	"string_to_table":       "string_to_array",
}

// arraySRFCall rewrites a call of one of arraySRFs as unnest of its array function.
func arraySRFCall(fc *pg_query.FuncCall) (*pg_query.FuncCall, bool) {
	fn, ok := arraySRFs[funcName(fc)]
	if !ok || fc.Over != nil {
		return nil, false
	}
	inner := &pg_query.FuncCall{Funcname: []*pg_query.Node{pg_query.MakeStrNode(fn)}, Args: fc.Args, Location: fc.Location}
	return &pg_query.FuncCall{Funcname: []*pg_query.Node{pg_query.MakeStrNode("unnest")},
		Args: []*pg_query.Node{{Node: &pg_query.Node_FuncCall{FuncCall: inner}}}, Location: fc.Location}, true
}

// arraySRF binds the unnest call u that arraySRFCall made of the function name.
func (b *binder) arraySRF(name string, u *pg_query.FuncCall, sc *scope, agg *aggContext) (planner.Expr, error) {
	e, err := b.unnestCall(u, sc, agg)
	if err != nil || name != "regexp_matches" {
		return e, err
	}
	// Its rows arrive as the text of their text[] values.
	return &planner.Cast{E: e, To: types.ArrayOf(types.Text)}, nil
}

var typmod = regexp.MustCompile(`\(\d+(,\d+)?\)`)

// typeofCall binds pg_typeof(x) as the name of x's type. PostgreSQL's result is of type
// regtype, whose text this is; here it is text.
func (b *binder) typeofCall(fc *pg_query.FuncCall, sc *scope, agg *aggContext) (planner.Expr, bool, error) {
	if len(fc.Args) != 1 {
		return nil, true, errs.New(errs.UndefinedFunction, "function pg_typeof with %d arguments does not exist", len(fc.Args))
	}
	e, err := b.expr(fc.Args[0], sc, agg)
	if err != nil {
		return nil, true, err
	}
	name := "unknown"
	if t := e.Type(); !types.IsUnknown(t) && t.ID() != arrow.NULL {
		name = typmod.ReplaceAllString(types.Name(t), "") // regtype prints no modifier
	}
	if oid, ok := typeofOID(e.Type(), name); ok {
		return &planner.Literal{Value: int64(oid), Typ: types.RegType}, true, nil
	}
	return &planner.Literal{Value: name, Typ: types.Text}, true, nil
}

// regexpMatchesFrom rewrites regexp_matches(...) in FROM as the subquery
// (SELECT regexp_matches(...) AS name) AS name, LATERAL after other FROM items so that its
// arguments may refer to them (a function in FROM may, as in PostgreSQL). Its one column is
// named as PostgreSQL names a function's scalar column: by the alias's column, the alias, or
// the function. Other items are returned as they are.
func regexpMatchesFrom(it *pg_query.Node, lateral bool) (*pg_query.Node, error) {
	rf := it.GetRangeFunction()
	if rf == nil || rf.IsRowsfrom || len(rf.Functions) != 1 {
		return it, nil
	}
	items := rf.Functions[0].GetList().GetItems()
	if len(items) == 0 || items[0].GetFuncCall() == nil || funcName(items[0].GetFuncCall()) != "regexp_matches" {
		return it, nil
	}
	if rf.Ordinality {
		return nil, errs.New(errs.NotImplemented, "regexp_matches WITH ORDINALITY is not supported yet")
	}
	alias := &pg_query.Alias{Aliasname: "regexp_matches"}
	if rf.Alias != nil {
		alias = &pg_query.Alias{Aliasname: rf.Alias.Aliasname, Colnames: rf.Alias.Colnames}
	}
	target := &pg_query.ResTarget{Name: alias.Aliasname, Val: items[0], Location: -1}
	sel := &pg_query.SelectStmt{TargetList: []*pg_query.Node{{Node: &pg_query.Node_ResTarget{ResTarget: target}}},
		LimitOption: pg_query.LimitOption_LIMIT_OPTION_DEFAULT, Op: pg_query.SetOperation_SETOP_NONE}
	rs := &pg_query.RangeSubselect{Lateral: lateral || rf.Lateral, Alias: alias,
		Subquery: &pg_query.Node{Node: &pg_query.Node_SelectStmt{SelectStmt: sel}}}
	return &pg_query.Node{Node: &pg_query.Node_RangeSubselect{RangeSubselect: rs}}, nil
}
