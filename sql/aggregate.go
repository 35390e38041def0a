package sql

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/exec"
	"github.com/sleeperd/sleeperd/planner"
	"github.com/sleeperd/sleeperd/types"
)

// sigType is the name of a type in a function signature of an error message.
func sigType(t arrow.DataType) string {
	if t.ID() == arrow.DECIMAL128 {
		return "numeric"
	}
	return types.Name(t)
}

// aggregateCall binds a call of an aggregate function: its argument, DISTINCT, FILTER
// (WHERE ...), ORDER BY inside the call, and WITHIN GROUP (ORDER BY ...) for the ordered-set
// aggregates. The call becomes a column of the query's Aggregate node (one per distinct
// call); the result refers to it.
func (b *binder) aggregateCall(fc *pg_query.FuncCall, name string, agg *aggContext) (planner.Expr, error) {
	pos := int(fc.Location) + 1
	if agg == nil {
		clause := b.clause
		if clause == "" {
			clause = "this context"
		}
		return nil, &errs.Error{Kind: errs.Grouping, Msg: fmt.Sprintf("aggregate functions are not allowed in %s", clause), Position: pos}
	}
	ordered := exec.IsOrderedSetAggregate(name)
	if fc.AggFilter != nil && containsAggregate(fc.AggFilter) {
		return nil, &errs.Error{Kind: errs.Grouping, Msg: "aggregate functions are not allowed in FILTER", Position: pos}
	}
	for _, a := range append(append([]*pg_query.Node{}, fc.Args...), fc.AggOrder...) {
		if containsAggregate(a) {
			return nil, &errs.Error{Kind: errs.Grouping, Msg: "aggregate function calls cannot be nested", Position: pos}
		}
	}
	pending := len(b.scalars)
	// Arguments and sort keys are bound over the grouped query's input.
	bind := func(n *pg_query.Node) (planner.Expr, error) {
		savedClause, savedSRF := b.clause, b.srf
		b.clause, b.srf = "aggregate function calls", nil
		defer func() { b.clause, b.srf = savedClause, savedSRF }()
		return b.expr(n, agg.input, nil)
	}
	call := planner.AggCall{Func: name, Distinct: fc.AggDistinct}
	var args []planner.Expr
	if fc.AggStar {
		if name != "count" || fc.AggDistinct {
			return nil, &errs.Error{Kind: errs.Syntax, Msg: fmt.Sprintf("%s(*) is not valid", name), Position: pos}
		}
		call.Func = "count_star"
	} else {
		for _, a := range fc.Args {
			e, err := bind(a)
			if err != nil {
				return nil, err
			}
			args = append(args, e)
		}
	}
	var order []planner.SortKey
	for _, o := range fc.AggOrder {
		sb := o.GetSortBy()
		e, err := bind(sb.Node)
		if err != nil {
			return nil, err
		}
		if types.IsUnknown(e.Type()) || e.Type().ID() == arrow.NULL {
			e = b.coerce(e, types.Text)
		}
		desc := sb.SortbyDir == pg_query.SortByDir_SORTBY_DESC
		nf := desc
		switch sb.SortbyNulls {
		case pg_query.SortByNulls_SORTBY_NULLS_FIRST:
			nf = true
		case pg_query.SortByNulls_SORTBY_NULLS_LAST:
			nf = false
		}
		if sb.SortbyDir == pg_query.SortByDir_SORTBY_USING {
			return nil, errs.New(errs.NotImplemented, "ORDER BY USING is not supported")
		}
		order = append(order, planner.SortKey{E: e, Desc: desc, NullsFirst: nf})
	}
	if fc.AggFilter != nil {
		savedClause := b.clause
		b.clause = "FILTER"
		f, err := b.expr(fc.AggFilter, agg.input, nil)
		b.clause = savedClause
		if err != nil {
			return nil, err
		}
		if call.Filter, err = b.coerceBool(f, "FILTER"); err != nil {
			return nil, err
		}
	}
	if len(b.scalars) > pending {
		if len(order) > 0 || fc.AggFilter != nil {
			return nil, errs.New(errs.NotImplemented, "subqueries in aggregate sort keys and FILTER are not supported yet")
		}
		agg.pre = append(agg.pre, b.scalars[pending:]...)
		b.scalars = b.scalars[:pending]
	}
	signature := func() string {
		var names []string
		for _, a := range args {
			names = append(names, sigType(a.Type()))
		}
		if fc.AggWithinGroup {
			for _, k := range order {
				names = append(names, sigType(k.E.Type()))
			}
		}
		return fmt.Sprintf("function %s(%s) does not exist", name, strings.Join(names, ", "))
	}
	undefined := func() error { return &errs.Error{Kind: errs.UndefinedFunction, Msg: signature(), Position: pos} }
	untyped := func(e planner.Expr) bool { return types.IsUnknown(e.Type()) || e.Type().ID() == arrow.NULL }
	// PostgreSQL resolves a call whose WITHIN GROUP does not fit the function as a call of
	// another signature, which does not exist.
	if ordered != fc.AggWithinGroup {
		if fc.AggWithinGroup && b.plainAggregateResolves(name, args, order) {
			// The sorted arguments appended to the direct ones name an existing plain
			// aggregate, which cannot have WITHIN GROUP.
			return nil, &errs.Error{Kind: errs.WrongObjectType, Msg: fmt.Sprintf("%s is not an ordered-set aggregate, so it cannot have WITHIN GROUP", name), Position: pos}
		}
		return nil, undefined()
	}

	switch {
	case ordered:
		// name(direct args) WITHIN GROUP (ORDER BY e): the sorted argument is e.
		if len(order) != 1 {
			return nil, undefined()
		}
		key := order[0]
		switch name {
		case "mode":
			if len(args) != 0 {
				return nil, undefined()
			}
		default:
			if len(args) != 1 {
				return nil, undefined()
			}
			frac := args[0]
			if !untyped(frac) && !types.IsNumeric(frac.Type()) {
				return nil, undefined()
			}
			call.Extra = []planner.Expr{b.coerce(frac, types.Float64)}
			if name == "percentile_cont" && key.E.Type().ID() != arrow.INTERVAL_MONTH_DAY_NANO {
				if !types.IsNumeric(key.E.Type()) && !untyped(key.E) {
					return nil, undefined()
				}
				key.E = b.coerce(key.E, types.Float64)
			}
		}
		call.Arg = key.E
		call.OrderBy = []planner.SortKey{key}
	case call.Func == "count_star":
	default:
		want := 1
		if name == "string_agg" {
			want = 2
		}
		if len(args) != want {
			return nil, undefined()
		}
		arg := args[0]
		switch name {
		case "string_agg":
			if untyped(arg) {
				arg = b.coerce(arg, types.Text)
			}
			if arg.Type().ID() != arrow.STRING && arg.Type().ID() != arrow.BINARY {
				return nil, undefined()
			}
			d := args[1]
			if !untyped(d) && !arrow.TypeEqual(d.Type(), arg.Type()) {
				return nil, undefined()
			}
			call.Extra = []planner.Expr{b.coerce(d, arg.Type())}
		case "bool_and", "bool_or", "every":
			if untyped(arg) {
				arg = b.coerce(arg, types.Bool)
			}
		case "sum", "avg":
			if untyped(arg) {
				// Numbers and intervals are both candidates, as in PostgreSQL.
				return nil, &errs.Error{Kind: errs.AmbiguousFunction, Msg: fmt.Sprintf("function %s(unknown) is not unique", name), Position: pos}
			}
		case "stddev", "stddev_samp", "stddev_pop", "variance", "var_samp", "var_pop":
			if untyped(arg) {
				arg = b.coerce(arg, types.Float64)
			}
		default:
			if untyped(arg) {
				arg = b.coerce(arg, types.Text)
			}
		}
		call.Arg = arg
		call.OrderBy = order
		if call.Distinct && len(order) > 0 {
			// PostgreSQL: with DISTINCT, the sort keys must be the argument.
			for _, k := range order {
				if planner.ExprKey(k.E) != planner.ExprKey(arg) {
					return nil, &errs.Error{Kind: errs.InvalidColumnRef, Msg: "in an aggregate with DISTINCT, ORDER BY expressions must appear in argument list", Position: pos}
				}
			}
		}
	}
	t, err := exec.AggregateResultType(call.Func, argType(call.Arg))
	if err != nil {
		if errs.KindOf(err) == errs.NotImplemented {
			return nil, err
		}
		return nil, undefined()
	}
	if (name == "min" || name == "max") && types.IsVarchar(t) {
		t = types.Text // PostgreSQL has no max(varchar): the text aggregate takes it
	}
	if _, ok := types.CharLength(t); ok && name == "string_agg" {
		t = types.Text // string_agg(text, text): character arguments convert to text
	}
	key := fmt.Sprintf("%s|%v|", call.Func, call.Distinct)
	for _, e := range append([]planner.Expr{call.Arg, call.Filter}, call.Extra...) {
		key += planner.ExprKey(e) + "|"
	}
	for _, k := range call.OrderBy {
		key += fmt.Sprintf("%s %v %v|", planner.ExprKey(k.E), k.Desc, k.NullsFirst)
	}
	for i, k := range agg.keys {
		if k == key {
			return ref(agg.cols[i]), nil
		}
	}
	c := b.newColumn(name, t)
	agg.calls = append(agg.calls, call)
	agg.cols = append(agg.cols, c)
	agg.keys = append(agg.keys, key)
	return ref(c), nil
}

// plainAggregateResolves reports whether name(args..., sort keys...) resolves to a plain
// (not ordered-set) aggregate, as PostgreSQL resolves a call with WITHIN GROUP before it
// checks the aggregate's kind.
func (b *binder) plainAggregateResolves(name string, args []planner.Expr, order []planner.SortKey) bool {
	all := append([]planner.Expr{}, args...)
	for _, k := range order {
		all = append(all, k.E)
	}
	untyped := func(e planner.Expr) bool { return types.IsUnknown(e.Type()) || e.Type().ID() == arrow.NULL }
	switch name {
	case "count":
		return len(all) == 1
	case "string_agg":
		if len(all) != 2 {
			return false
		}
		for _, a := range all {
			if !untyped(a) && a.Type().ID() != arrow.STRING && a.Type().ID() != arrow.BINARY {
				return false
			}
		}
		return true
	}
	if len(all) != 1 {
		return false
	}
	if untyped(all[0]) {
		return true
	}
	_, err := exec.AggregateResultType(name, all[0].Type())
	return err == nil
}
