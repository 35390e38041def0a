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
	if err := b.checkAggregateCall(fc, agg); err != nil {
		return nil, err
	}
	call, args, order, err := b.aggregateInputs(fc, name, agg)
	if err != nil {
		return nil, err
	}
	if !varNumericAggregates[name] && !exec.IsPairAggregate(name) {
		for i := range args {
			args[i] = fixedNumeric(args[i])
		}
	}
	r := aggResolution{b: b, fc: fc, name: name, pos: pos, args: args, order: order}
	// PostgreSQL resolves a call whose WITHIN GROUP does not fit the function as a call of
	// another signature, which does not exist.
	if ordered := exec.IsOrderedSetAggregate(name); ordered != fc.AggWithinGroup {
		if fc.AggWithinGroup && b.plainAggregateResolves(name, args, order) {
			// The sorted arguments appended to the direct ones name an existing plain
			// aggregate, which cannot have WITHIN GROUP.
			return nil, &errs.Error{Kind: errs.WrongObjectType, Msg: fmt.Sprintf("%s is not an ordered-set aggregate, so it cannot have WITHIN GROUP", name), Position: pos}
		}
		return nil, r.undefined()
	} else if ordered {
		err = r.orderedSet(&call)
	} else if call.Func != "count_star" {
		err = r.plain(&call)
	}
	if err != nil {
		return nil, err
	}
	t, err := exec.AggregateResultType(call.Func, argType(call.Arg))
	if err != nil {
		if errs.KindOf(err) == errs.NotImplemented {
			return nil, err
		}
		return nil, r.undefined()
	}
	if (name == "min" || name == "max") && types.IsVarchar(t) {
		t = types.Text // PostgreSQL has no max(varchar): the text aggregate takes it
	}
	if _, ok := types.CharLength(t); ok && name == "string_agg" {
		t = types.Text // string_agg(text, text): character arguments convert to text
	}
	return b.aggregateColumn(agg, call, name, t), nil
}

// checkAggregateCall rejects an aggregate call where aggregates are not allowed, and
// aggregates nested in its arguments, sort keys or FILTER.
func (b *binder) checkAggregateCall(fc *pg_query.FuncCall, agg *aggContext) error {
	pos := int(fc.Location) + 1
	if agg == nil {
		clause := b.clause
		if clause == "" {
			clause = "this context"
		}
		return &errs.Error{Kind: errs.Grouping, Msg: fmt.Sprintf("aggregate functions are not allowed in %s", clause), Position: pos}
	}
	if fc.AggFilter != nil && containsAggregate(fc.AggFilter) {
		return &errs.Error{Kind: errs.Grouping, Msg: "aggregate functions are not allowed in FILTER", Position: pos}
	}
	for _, a := range append(append([]*pg_query.Node{}, fc.Args...), fc.AggOrder...) {
		if containsAggregate(a) {
			return &errs.Error{Kind: errs.Grouping, Msg: "aggregate function calls cannot be nested", Position: pos}
		}
	}
	return nil
}

// aggregateInputs binds an aggregate call's arguments, sort keys and FILTER over the grouped
// query's input; scalar subqueries among its arguments are joined in before the grouping.
func (b *binder) aggregateInputs(fc *pg_query.FuncCall, name string, agg *aggContext) (planner.AggCall, []planner.Expr, []planner.SortKey, error) {
	pending := len(b.scalars)
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
			return call, nil, nil, &errs.Error{Kind: errs.Syntax, Msg: fmt.Sprintf("%s(*) is not valid", name), Position: int(fc.Location) + 1}
		}
		call.Func = "count_star"
	} else {
		for _, a := range fc.Args {
			e, err := bind(a)
			if err != nil {
				return call, nil, nil, err
			}
			args = append(args, e)
		}
	}
	var order []planner.SortKey
	for _, o := range fc.AggOrder {
		sb := o.GetSortBy()
		desc, nullsFirst, err := sortDirection(sb)
		if err != nil {
			return call, nil, nil, err
		}
		e, err := bind(sb.Node)
		if err != nil {
			return call, nil, nil, err
		}
		if untypedExpr(e) {
			e = b.coerce(e, types.Text)
		}
		order = append(order, planner.SortKey{E: e, Desc: desc, NullsFirst: nullsFirst})
	}
	if fc.AggFilter != nil {
		savedClause := b.clause
		b.clause = "FILTER"
		f, err := b.expr(fc.AggFilter, agg.input, nil)
		b.clause = savedClause
		if err != nil {
			return call, nil, nil, err
		}
		if call.Filter, err = b.coerceBool(f, "FILTER"); err != nil {
			return call, nil, nil, err
		}
	}
	if len(b.scalars) > pending {
		if len(order) > 0 || fc.AggFilter != nil {
			return call, nil, nil, errs.New(errs.NotImplemented, "subqueries in aggregate sort keys and FILTER are not supported yet")
		}
		agg.pre = append(agg.pre, b.scalars[pending:]...)
		b.scalars = b.scalars[:pending]
	}
	return call, args, order, nil
}

// sortDirection reads the direction and NULLS placement of a sort key (NULLS FIRST by
// default for DESC, as in PostgreSQL); ORDER BY USING is not supported.
func sortDirection(sb *pg_query.SortBy) (desc, nullsFirst bool, err error) {
	if sb.SortbyDir == pg_query.SortByDir_SORTBY_USING {
		return false, false, errs.New(errs.NotImplemented, "ORDER BY USING is not supported")
	}
	desc = sb.SortbyDir == pg_query.SortByDir_SORTBY_DESC
	nullsFirst = desc
	switch sb.SortbyNulls {
	case pg_query.SortByNulls_SORTBY_NULLS_FIRST:
		nullsFirst = true
	case pg_query.SortByNulls_SORTBY_NULLS_LAST:
		nullsFirst = false
	}
	return desc, nullsFirst, nil
}

// untypedExpr says whether e has no type yet: an untyped literal or parameter, or NULL.
func untypedExpr(e planner.Expr) bool {
	return types.IsUnknown(e.Type()) || e.Type().ID() == arrow.NULL
}

// aggResolution resolves the arguments of one aggregate call to a signature.
type aggResolution struct {
	b     *binder
	fc    *pg_query.FuncCall
	name  string
	pos   int
	args  []planner.Expr
	order []planner.SortKey
}

// undefined is the error of a call that matches no signature, naming the argument types.
func (r *aggResolution) undefined() error {
	var names []string
	for _, a := range r.args {
		names = append(names, sigType(a.Type()))
	}
	if r.fc.AggWithinGroup {
		for _, k := range r.order {
			names = append(names, sigType(k.E.Type()))
		}
	}
	return &errs.Error{Kind: errs.UndefinedFunction, Msg: fmt.Sprintf("function %s(%s) does not exist", r.name, strings.Join(names, ", ")), Position: r.pos}
}

// orderedSet resolves name(direct args) WITHIN GROUP (ORDER BY e): the sorted argument is e.
func (r *aggResolution) orderedSet(call *planner.AggCall) error {
	if len(r.order) != 1 {
		return r.undefined()
	}
	key := r.order[0]
	switch r.name {
	case "mode":
		if len(r.args) != 0 {
			return r.undefined()
		}
	default:
		if len(r.args) != 1 {
			return r.undefined()
		}
		frac := r.args[0]
		if !untypedExpr(frac) && !types.IsNumeric(frac.Type()) {
			return r.undefined()
		}
		call.Extra = []planner.Expr{r.b.coerce(frac, types.Float64)}
		if r.name == "percentile_cont" && key.E.Type().ID() != arrow.INTERVAL_MONTH_DAY_NANO {
			if !types.IsNumeric(key.E.Type()) && !untypedExpr(key.E) {
				return r.undefined()
			}
			key.E = r.b.coerce(key.E, types.Float64)
		}
	}
	call.Arg = key.E
	call.OrderBy = []planner.SortKey{key}
	return nil
}

// plain resolves the argument of a plain aggregate (and string_agg's delimiter), typing
// untyped arguments as PostgreSQL does.
func (r *aggResolution) plain(call *planner.AggCall) error {
	want := 1
	if r.name == "string_agg" || exec.IsPairAggregate(r.name) {
		want = 2
	}
	if len(r.args) != want {
		return r.undefined()
	}
	arg := r.args[0]
	switch r.name {
	case "string_agg":
		if untypedExpr(arg) {
			arg = r.b.coerce(arg, types.Text)
		}
		if arg.Type().ID() != arrow.STRING && arg.Type().ID() != arrow.BINARY {
			return r.undefined()
		}
		d := r.args[1]
		if !untypedExpr(d) && !arrow.TypeEqual(d.Type(), arg.Type()) {
			return r.undefined()
		}
		call.Extra = []planner.Expr{r.b.coerce(d, arg.Type())}
	case "bool_and", "bool_or", "every":
		if untypedExpr(arg) {
			arg = r.b.coerce(arg, types.Bool)
		}
	case "sum", "avg":
		if untypedExpr(arg) {
			// Numbers and intervals are both candidates, as in PostgreSQL.
			return &errs.Error{Kind: errs.AmbiguousFunction, Msg: fmt.Sprintf("function %s(unknown) is not unique", r.name), Position: r.pos}
		}
	case "corr", "covar_pop", "covar_samp", "regr_avgx", "regr_avgy", "regr_count", "regr_intercept", "regr_r2",
		"regr_slope", "regr_sxx", "regr_sxy", "regr_syy":
		// f(double precision Y, double precision X): numbers convert implicitly.
		for i, e := range r.args {
			if !untypedExpr(e) && !types.IsNumeric(e.Type()) {
				return r.undefined()
			}
			r.args[i] = r.b.coerce(e, types.Float64)
		}
		arg = r.args[0]
		call.Extra = []planner.Expr{r.args[1]}
	case "stddev", "stddev_samp", "stddev_pop", "variance", "var_samp", "var_pop":
		if untypedExpr(arg) {
			arg = r.b.coerce(arg, types.Float64)
		}
	default:
		if untypedExpr(arg) {
			arg = r.b.coerce(arg, types.Text)
		}
	}
	call.Arg = arg
	call.OrderBy = r.order
	if call.Distinct && len(r.order) > 0 {
		// PostgreSQL: with DISTINCT, the sort keys must be the argument.
		for _, k := range r.order {
			if planner.ExprKey(k.E) != planner.ExprKey(arg) {
				return &errs.Error{Kind: errs.InvalidColumnRef, Msg: "in an aggregate with DISTINCT, ORDER BY expressions must appear in argument list", Position: r.pos}
			}
		}
	}
	return nil
}

// aggregateColumn returns a reference to the Aggregate's column of call, of type t, adding
// the call unless an identical one is there.
func (b *binder) aggregateColumn(agg *aggContext, call planner.AggCall, name string, t arrow.DataType) planner.Expr {
	key := fmt.Sprintf("%s|%v|", call.Func, call.Distinct)
	for _, e := range append([]planner.Expr{call.Arg, call.Filter}, call.Extra...) {
		key += planner.ExprKey(e) + "|"
	}
	for _, k := range call.OrderBy {
		key += fmt.Sprintf("%s %v %v|", planner.ExprKey(k.E), k.Desc, k.NullsFirst)
	}
	for i, k := range agg.keys {
		if k == key {
			return ref(agg.cols[i])
		}
	}
	c := b.newColumn(name, t)
	agg.calls = append(agg.calls, call)
	agg.cols = append(agg.cols, c)
	agg.keys = append(agg.keys, key)
	return ref(c)
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
	case "corr", "covar_pop", "covar_samp", "regr_avgx", "regr_avgy", "regr_count", "regr_intercept", "regr_r2",
		"regr_slope", "regr_sxx", "regr_sxy", "regr_syy":
		if len(all) != 2 {
			return false
		}
		for _, a := range all {
			if !untyped(a) && !types.IsNumeric(a.Type()) {
				return false
			}
		}
		return true
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
