package sql

import (
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/sleeperd/sleeperd/catalog"
	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/function"
	"github.com/sleeperd/sleeperd/planner"
	"github.com/sleeperd/sleeperd/types"
)

// toRegCall binds to_regclass(text), to_regtype(text) and the other to_regX functions of
// PostgreSQL 15: the object the text names as a value of regX, NULL where it names none,
// an error where the text is no name (function.ToRegOID). A constant is looked up when the
// statement is planned, other text per row. ok is false for other names.
func (b *binder) toRegCall(name string, fc *pg_query.FuncCall, sc *scope, agg *aggContext) (planner.Expr, bool, error) {
	kind := strings.TrimPrefix(name, "to_")
	r := types.RegByName(kind)
	if !strings.HasPrefix(name, "to_reg") || !function.ToRegKinds[kind] || r == nil {
		return nil, false, nil
	}
	args := make([]planner.Expr, len(fc.Args))
	for i, a := range fc.Args {
		e, err := b.expr(a, sc, agg)
		if err != nil {
			return nil, true, err
		}
		args[i] = e
	}
	undefined := func() error {
		ts := make([]string, len(args))
		for i, a := range args {
			ts[i] = "unknown"
			if t := a.Type(); !types.IsUnknown(t) && t.ID() != arrow.NULL {
				ts[i] = types.Name(t)
			}
		}
		return errs.New(errs.UndefinedFunction, "function %s(%s) does not exist", name, strings.Join(ts, ", "))
	}
	if len(args) != 1 || fc.AggStar || fc.AggDistinct || len(fc.AggOrder) > 0 || fc.AggFilter != nil || fc.Over != nil {
		return nil, true, undefined()
	}
	e := args[0]
	t := e.Type()
	if !types.IsUnknown(t) && t.ID() != arrow.NULL && (t.ID() != arrow.STRING || types.IsJSON(t)) {
		return nil, true, undefined()
	}
	names, oids, err := b.toRegNames(kind)
	if err != nil {
		return nil, true, err
	}
	return relabel(&planner.Func{Name: "_to_reg", Args: []planner.Expr{
		&planner.Literal{Value: kind, Typ: types.Text}, b.coerce(e, types.Text),
		&planner.Literal{Value: catalog.DatabaseName, Typ: types.Text},
		&planner.Literal{Value: names, Typ: types.ArrayOf(types.Text)},
		&planner.Literal{Value: oids, Typ: types.ArrayOf(types.Int64)},
	}, Typ: types.Int64}, r), true, nil
}

// toRegNames are the names _to_reg finds the objects of kind by (regNamesList), each part
// quoted as quote_ident quotes it, with the OIDs they name.
func (b *binder) toRegNames(kind string) (names, oids []any, err error) {
	names, oids, err = b.regNamesList(kind)
	if names == nil {
		names, oids = []any{}, []any{}
	}
	return names, oids, err
}
