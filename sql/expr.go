package sql

import (
	"errors"
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/exec"
	"github.com/sleeperd/sleeperd/function"
	"github.com/sleeperd/sleeperd/planner"
	"github.com/sleeperd/sleeperd/types"
)

// isAggregate reports whether name is an aggregate function.
func isAggregate(name string) bool { return exec.IsAggregate(name) || jsonAggregates[name] }

// aggContext collects the aggregate calls of a grouped query. Each call becomes a column of
// the Aggregate node; the expression that contained it refers to that column.
type aggContext struct {
	input     *scope
	groupCols []planner.Column
	groups    []planner.Expr
	calls     []planner.AggCall
	cols      []planner.Column
	keys      []string
	// pre are the subqueries of aggregate arguments, joined onto the input before grouping.
	pre []pendingJoin
	// sets are the grouping sets of ROLLUP, CUBE and GROUPING SETS, as indices into
	// groups; nil for a plain GROUP BY. groupings are the GROUPING() calls.
	sets      [][]int
	groupings []groupingCall
}

func (a *aggContext) isAggColumn(id planner.ColumnID) bool {
	for _, c := range a.cols {
		if c.ID == id {
			return true
		}
	}
	for _, g := range a.groupings {
		if g.col.ID == id {
			return true
		}
	}
	return false
}

func funcName(fc *pg_query.FuncCall) string {
	var parts []string
	for _, n := range fc.Funcname {
		if s := n.GetString_(); s != nil {
			parts = append(parts, s.Sval)
		}
	}
	if len(parts) == 2 && parts[0] == "pg_catalog" {
		parts = parts[1:]
	}
	return strings.Join(parts, ".")
}

// containsAggregate reports whether the parse tree n calls an aggregate function.
func containsAggregate(n *pg_query.Node) bool {
	found := false
	var walk func(n *pg_query.Node)
	walk = func(n *pg_query.Node) {
		if n == nil || found {
			return
		}
		switch {
		case n.GetGroupingFunc() != nil:
			found = true
			return
		case n.GetFuncCall() != nil:
			fc := n.GetFuncCall()
			if isAggregate(funcName(fc)) && fc.Over == nil {
				found = true
				return
			}
			for _, a := range fc.Args {
				walk(a)
			}
		case n.GetAArrayExpr() != nil:
			for _, a := range n.GetAArrayExpr().Elements {
				walk(a)
			}
		case n.GetAIndirection() != nil:
			walk(n.GetAIndirection().Arg)
		case n.GetAExpr() != nil:
			walk(n.GetAExpr().Lexpr)
			walk(n.GetAExpr().Rexpr)
		case n.GetBoolExpr() != nil:
			for _, a := range n.GetBoolExpr().Args {
				walk(a)
			}
		case n.GetNullTest() != nil:
			walk(n.GetNullTest().Arg)
		case n.GetTypeCast() != nil:
			walk(n.GetTypeCast().Arg)
		case n.GetList() != nil:
			for _, a := range n.GetList().Items {
				walk(a)
			}
		case n.GetCoalesceExpr() != nil:
			for _, a := range n.GetCoalesceExpr().Args {
				walk(a)
			}
		case n.GetMinMaxExpr() != nil:
			for _, a := range n.GetMinMaxExpr().Args {
				walk(a)
			}
		case n.GetCaseExpr() != nil:
			ce := n.GetCaseExpr()
			walk(ce.Arg)
			for _, w := range ce.Args {
				walk(w.GetCaseWhen().Expr)
				walk(w.GetCaseWhen().Result)
			}
			walk(ce.Defresult)
		}
	}
	walk(n)
	return found
}

// columnName is the name PostgreSQL gives an unaliased select-list expression.
func columnName(n *pg_query.Node) string {
	switch {
	case n.GetColumnRef() != nil:
		f := n.GetColumnRef().Fields
		if s := f[len(f)-1].GetString_(); s != nil {
			return s.Sval
		}
	case n.GetFuncCall() != nil:
		name := funcName(n.GetFuncCall())
		if i := strings.LastIndexByte(name, '.'); i >= 0 {
			name = name[i+1:]
		}
		return name
	case n.GetTypeCast() != nil:
		tc := n.GetTypeCast()
		// A name the argument has of its own (a column's, a function's) wins over the type's;
		// a cast's type name gives way to an outer cast's ('int4'::text::regtype is regtype).
		arg := tc.Arg
		for arg.GetTypeCast() != nil {
			arg = arg.GetTypeCast().Arg
		}
		if inner := columnName(arg); inner != "?column?" {
			return inner
		}
		if t, err := ResolveType(tc.TypeName); err == nil {
			if et := types.Elem(t); et != nil {
				return types.InternalName(et) // an array type is named by its element's: int4[] is int4
			}
			return types.InternalName(t)
		}
		if tn := tc.TypeName.Names; len(tn) > 0 && regTypes[tn[len(tn)-1].GetString_().GetSval()] {
			return tn[len(tn)-1].GetString_().GetSval()
		}
		return columnName(tc.Arg)
	case n.GetAIndirection() != nil:
		// PostgreSQL's rule: the last field name selected ((r).f is f), else the name of what
		// is subscripted (a[1] is a).
		ind := n.GetAIndirection()
		for i := len(ind.Indirection) - 1; i >= 0; i-- {
			if s := ind.Indirection[i].GetString_(); s != nil {
				return s.Sval
			}
		}
		return columnName(ind.Arg)
	case n.GetRowExpr() != nil:
		return "row"
	case n.GetCoalesceExpr() != nil:
		return "coalesce"
	case n.GetMinMaxExpr() != nil:
		if n.GetMinMaxExpr().Op == pg_query.MinMaxOp_IS_LEAST {
			return "least"
		}
		return "greatest"
	case n.GetCaseExpr() != nil:
		return "case"
	case n.GetAArrayExpr() != nil:
		return "array"
	case n.GetSubLink() != nil:
		switch n.GetSubLink().SubLinkType {
		case pg_query.SubLinkType_ARRAY_SUBLINK:
			return "array"
		case pg_query.SubLinkType_EXISTS_SUBLINK:
			return "exists"
		case pg_query.SubLinkType_EXPR_SUBLINK:
			// (SELECT expr ...): the name of the subquery's one column.
			sel := n.GetSubLink().Subselect.GetSelectStmt()
			for sel != nil && sel.Larg != nil {
				sel = sel.Larg
			}
			if sel != nil && len(sel.TargetList) == 1 {
				if rt := sel.TargetList[0].GetResTarget(); rt != nil {
					if rt.Name != "" {
						return rt.Name
					}
					return columnName(rt.Val)
				}
			}
		}
	case n.GetAExpr() != nil && n.GetAExpr().Kind == pg_query.A_Expr_Kind_AEXPR_NULLIF:
		return "nullif"
	case n.GetSqlvalueFunction() != nil:
		// current_user, current_date, ...: PostgreSQL names the column after the keyword.
		name := strings.ToLower(strings.TrimPrefix(n.GetSqlvalueFunction().Op.String(), "SVFOP_"))
		return strings.TrimSuffix(name, "_n")
	}
	return "?column?"
}

func (b *binder) setParam(n int, t arrow.DataType) {
	if n < 1 || n > 65535 {
		return // not a parameter: binding the reference reports it
	}
	for len(b.params) < n {
		b.params = append(b.params, nil)
	}
	if b.params[n-1] == nil {
		b.params[n-1] = t
	}
}

// coerceTo converts e to type t, typing parameters and untyped literals on the way.
func coerceTo(e planner.Expr, t arrow.DataType) planner.Expr {
	if arrow.TypeEqual(e.Type(), t) {
		return e
	}
	if types.IsJSON(t) {
		if out, ok := jsonCoerceLazy(e, t); ok {
			return out
		}
	}
	if types.IsUUID(t) || types.IsUUID(e.Type()) {
		if out, ok := uuidCoerceLazy(e, t); ok {
			return out
		}
	}
	if types.IsTimeTZ(t) || types.IsTimeTZ(e.Type()) {
		if out, ok := timetzCoerceLazy(e, t); ok {
			return out
		}
	}
	if types.IsTime(t) || types.IsTime(e.Type()) {
		if out, ok := timeCoerceLazy(e, t); ok {
			return out
		}
	}
	if types.IsBpchar(t) && !types.IsBpchar(e.Type()) && e.Type().ID() == arrow.STRING {
		// character values are held without trailing spaces.
		if p, ok := e.(*planner.Param); ok && types.IsUnknown(p.Typ) {
			e = &planner.Param{Index: p.Index, Typ: types.Text}
		}
		return stripChar(e, t)
	}
	switch x := e.(type) {
	case *planner.Literal:
		if x.Value == nil {
			return &planner.Literal{Typ: t}
		}
	case *planner.Param:
		if types.IsUnknown(x.Typ) {
			return &planner.Param{Index: x.Index, Typ: t}
		}
	}
	return &planner.Cast{E: e, To: t}
}

// coerce converts e to t and records the type of an untyped parameter.
func (b *binder) coerce(e planner.Expr, t arrow.DataType) planner.Expr {
	if p, ok := e.(*planner.Param); ok && types.IsUnknown(p.Typ) {
		b.setParam(p.Index, t)
		b.params[p.Index-1] = t
	}
	return coerceTo(e, t)
}

// assign converts e to a column's type t as an assignment (INSERT) does: with PostgreSQL's
// implicit and assignment casts only (untyped literals, between numeric types, between dates
// and timestamps, anything to text); bool to integer or text to a number needs an explicit cast.
func (b *binder) assign(e planner.Expr, t arrow.DataType) (planner.Expr, error) {
	if e.Type().ID() == arrow.MAP && types.IsJSON(t) {
		// A map assigned to json or jsonb is the jsonb it is shown as.
		return relabel(mapJSON(e), t), nil
	}
	if t.ID() == arrow.MAP && !arrow.TypeEqual(e.Type(), t) {
		// A map column takes a map of its type (or NULL), nothing else: not jsonb.
		if l, ok := e.(*planner.Literal); !ok || l.Value != nil {
			return nil, errs.New(errs.DatatypeMismatch, "column is of type %s but expression is of type %s", types.Name(t), types.Name(e.Type()))
		}
	}
	if st, ok := t.(*arrow.StructType); ok {
		return b.toRecord(e, st, "", false)
	}
	if out, ok := timetzArray(e, t, false); ok {
		return out, nil
	}
	if out, ok := b.storageArrayIn(e, t, false); ok {
		return out, nil
	}
	if out, ok := storageArrayOut(e, t); ok {
		return out, nil
	}
	if out, ok := timeArrayRound(e, t); ok {
		return out, nil
	}
	if types.IsTimeTZ(t) || types.IsTimeTZ(e.Type()) {
		return b.timetzAssign(e, t)
	}
	if types.IsTime(t) || types.IsTime(e.Type()) {
		return b.timeAssign(e, t)
	}
	if !assignable(e.Type(), t) {
		return nil, errs.New(errs.DatatypeMismatch, "column is of type %s but expression is of type %s", types.Name(t), types.Name(e.Type()))
	}
	if _, ok := types.CharLength(t); ok {
		return b.charCast(e, t, false), nil
	}
	if types.IsJSON(t) || types.IsJSON(e.Type()) {
		return b.jsonAssign(e, t)
	}
	if types.IsUUID(t) || types.IsUUID(e.Type()) {
		return b.uuidAssign(e, t)
	}
	return b.coerce(e, t), nil
}

func assignable(a, b arrow.DataType) bool {
	switch {
	case types.IsUnknown(a), a.ID() == arrow.NULL, arrow.TypeEqual(a, b):
		return true
	case types.IsNumeric(a) && types.IsNumeric(b):
		return true
	case (a.ID() == arrow.DATE32 || a.ID() == arrow.TIMESTAMP) && (b.ID() == arrow.DATE32 || b.ID() == arrow.TIMESTAMP):
		return true
	case b.ID() == arrow.STRING:
		return true
	}
	if ea, eb := types.Elem(a), types.Elem(b); ea != nil && eb != nil {
		// An array is assigned element by element, as PostgreSQL's array coercion does.
		return assignable(ea, eb)
	}
	return false
}

// castable reports whether a cast from a to b exists.
func castable(a, b arrow.DataType) bool {
	if types.IsUnknown(a) || a.ID() == arrow.NULL || arrow.TypeEqual(a, b) {
		return true
	}
	if b.ID() == arrow.STRING || a.ID() == arrow.STRING {
		return true
	}
	if types.IsNumeric(a) && types.IsNumeric(b) {
		return true
	}
	if (a.ID() == arrow.DATE32 || a.ID() == arrow.TIMESTAMP) && (b.ID() == arrow.DATE32 || b.ID() == arrow.TIMESTAMP) {
		return true
	}
	if ea, eb := types.Elem(a), types.Elem(b); ea != nil && eb != nil {
		return castable(ea, eb)
	}
	if (a.ID() == arrow.BOOL && types.IsInteger(b)) || (types.IsInteger(a) && b.ID() == arrow.BOOL) {
		return a.ID() == arrow.INT32 || b.ID() == arrow.INT32
	}
	return false
}

func (b *binder) coerceBool(e planner.Expr, clause string) (planner.Expr, error) {
	t := e.Type()
	if t.ID() == arrow.BOOL {
		return e, nil
	}
	if types.IsUnknown(t) || t.ID() == arrow.NULL {
		return b.coerce(e, types.Bool), nil
	}
	if p, ok := e.(*planner.Param); ok && types.IsUnknown(p.Typ) {
		return b.coerce(e, types.Bool), nil
	}
	return nil, errs.New(errs.DatatypeMismatch, "argument of %s must be type boolean, not type %s", clause, types.Name(t))
}

// expr binds a scalar expression. With agg set, aggregate calls are allowed and become
// references to the aggregate's output columns.
func (b *binder) expr(n *pg_query.Node, sc *scope, agg *aggContext) (planner.Expr, error) {
	switch {
	case n.GetColumnRef() != nil:
		cr := n.GetColumnRef()
		var parts []string
		for _, f := range cr.Fields {
			s := f.GetString_()
			if s == nil {
				return nil, errs.New(errs.Syntax, "* is not allowed here")
			}
			parts = append(parts, s.Sval)
		}
		table, name := "", parts[len(parts)-1]
		if len(parts) == 2 {
			table = parts[0]
		} else if len(parts) > 2 {
			return nil, errs.New(errs.NotImplemented, "qualified names with more than two parts are not supported")
		}
		c, err := sc.lookup(table, name, cr.Location)
		if err != nil {
			return nil, err
		}
		return &planner.ColumnRef{ID: c.ID, Name: c.Name, Typ: c.Type}, nil

	case n.GetAConst() != nil:
		return literalFromConst(n.GetAConst())

	case n.GetGroupingFunc() != nil:
		return b.groupingFunc(n.GetGroupingFunc(), sc, agg)

	case n.GetParamRef() != nil:
		p := n.GetParamRef()
		if p.Number < 1 || p.Number > 65535 {
			return nil, errs.New(errs.UndefinedParam, "there is no parameter $%d", p.Number)
		}
		idx := int(p.Number)
		for len(b.params) < idx {
			b.params = append(b.params, nil)
		}
		t := b.params[idx-1]
		if t == nil {
			t = types.Unknown
		}
		if e, ok, err := b.regParam(idx, t); ok {
			return e, err
		}
		return &planner.Param{Index: idx, Typ: t}, nil

	case n.GetTypeCast() != nil:
		tc := n.GetTypeCast()
		if e, ok, err := b.regCast(tc, sc, agg); ok {
			return e, err
		}
		t, typeName, err := b.resolveType(tc.TypeName)
		if err != nil {
			if e, ok, perr := b.pseudoCast(tc, sc, agg); ok {
				return e, perr
			}
			return nil, err
		}
		if st, ok := t.(*arrow.StructType); ok && typeName != "" {
			e, err := b.expr(tc.Arg, sc, agg)
			if err != nil {
				return nil, err
			}
			return b.toRecord(e, st, typeName, true)
		}
		if ae := tc.Arg.GetAArrayExpr(); ae != nil && types.IsArray(t) {
			return b.arrayExpr(ae, sc, agg, t)
		}
		e, err := b.expr(tc.Arg, sc, agg)
		if err != nil {
			return nil, err
		}
		if l, ok := e.(*planner.Literal); ok && t.ID() == arrow.INTERVAL_MONTH_DAY_NANO && types.IsUnknown(l.Typ) {
			if unit := intervalUnit(tc.TypeName); unit != "" {
				if s, ok := l.Value.(string); ok && !strings.ContainsAny(s, "abcdefghijklmnopqrstuvwxyz:") {
					e = &planner.Literal{Value: s + " " + unit, Typ: l.Typ}
				}
			}
		}
		if out, ok := timetzArray(e, t, true); ok {
			return out, nil
		}
		if out, ok := b.storageArrayIn(e, t, true); ok {
			return out, nil
		}
		if out, ok := storageArrayOut(e, t); ok {
			return out, nil
		}
		if out, ok := timeArrayRound(e, t); ok {
			return out, nil
		}
		if e.Type().ID() == arrow.MAP && t.ID() == arrow.STRING && !types.IsJSON(t) {
			// A map's text is the jsonb it is shown as.
			return b.jsonCast(relabel(mapJSON(e), types.JSONBType), t)
		}
		if types.IsJSON(t) || types.IsJSON(e.Type()) {
			return b.jsonCast(e, t)
		}
		if types.IsUUID(t) || types.IsUUID(e.Type()) {
			return b.uuidCast(e, t)
		}
		if types.IsTimeTZ(t) || types.IsTimeTZ(e.Type()) {
			return b.timetzCast(e, t)
		}
		if types.IsTime(t) || types.IsTime(e.Type()) {
			return b.timeCast(e, t)
		}
		if out, ok, err := b.regCastOut(e, t); ok {
			return out, err
		}
		if !castable(e.Type(), t) {
			return nil, errs.New(errs.CannotCoerce, "cannot cast type %s to %s", types.Name(e.Type()), types.Name(t))
		}
		if types.IsVarNumeric(t) {
			if c := numericCast(e); c != nil {
				return c, nil
			}
		}
		if _, ok := types.CharLength(t); ok {
			return b.charCast(e, t, true), nil
		}
		if p, ok := e.(*planner.Param); ok && types.IsUnknown(p.Typ) {
			return b.coerce(e, t), nil
		}
		if arrow.TypeEqual(e.Type(), t) {
			return e, nil
		}
		return &planner.Cast{E: e, To: t}, nil

	case n.GetBoolExpr() != nil:
		be := n.GetBoolExpr()
		args := make([]planner.Expr, len(be.Args))
		for i, a := range be.Args {
			e, err := b.expr(a, sc, agg)
			if err != nil {
				return nil, err
			}
			op := "AND"
			switch be.Boolop {
			case pg_query.BoolExprType_OR_EXPR:
				op = "OR"
			case pg_query.BoolExprType_NOT_EXPR:
				op = "NOT"
			}
			if args[i], err = b.coerceBool(e, op); err != nil {
				return nil, err
			}
		}
		switch be.Boolop {
		case pg_query.BoolExprType_NOT_EXPR:
			return &planner.Not{E: args[0]}, nil
		case pg_query.BoolExprType_OR_EXPR:
			out := args[0]
			for _, a := range args[1:] {
				out = &planner.Binary{Op: planner.OpOr, L: out, R: a, Typ: types.Bool}
			}
			return out, nil
		}
		return planner.And(args), nil

	case n.GetNullTest() != nil:
		nt := n.GetNullTest()
		e, err := b.expr(nt.Arg, sc, agg)
		if err != nil {
			return nil, err
		}
		if types.IsUnknown(e.Type()) {
			e = b.coerce(e, types.Text)
		}
		if st, ok := e.Type().(*arrow.StructType); ok {
			return recordNullTest(e, st, nt.Nulltesttype == pg_query.NullTestType_IS_NOT_NULL), nil
		}
		return &planner.IsNull{E: e, Negate: nt.Nulltesttype == pg_query.NullTestType_IS_NOT_NULL}, nil

	case n.GetAExpr() != nil:
		return b.aexpr(n.GetAExpr(), sc, agg)

	case n.GetBooleanTest() != nil:
		bt := n.GetBooleanTest()
		e, err := b.expr(bt.Arg, sc, agg)
		if err != nil {
			return nil, err
		}
		if e, err = b.coerceBool(e, "IS TRUE"); err != nil {
			return nil, err
		}
		lit := func(v bool) planner.Expr { return &planner.Literal{Value: v, Typ: types.Bool} }
		coalesce := func(x planner.Expr, v bool) planner.Expr {
			return &planner.Coalesce{Args: []planner.Expr{x, lit(v)}, Typ: types.Bool}
		}
		switch bt.Booltesttype {
		case pg_query.BoolTestType_IS_TRUE:
			return coalesce(e, false), nil
		case pg_query.BoolTestType_IS_NOT_TRUE:
			return &planner.Not{E: coalesce(e, false)}, nil
		case pg_query.BoolTestType_IS_FALSE:
			return coalesce(&planner.Not{E: e}, false), nil
		case pg_query.BoolTestType_IS_NOT_FALSE:
			return coalesce(e, true), nil
		case pg_query.BoolTestType_IS_UNKNOWN:
			return &planner.IsNull{E: e}, nil
		case pg_query.BoolTestType_IS_NOT_UNKNOWN:
			return &planner.IsNull{E: e, Negate: true}, nil
		}
		return nil, errs.New(errs.Internal, "unknown boolean test")

	case n.GetFuncCall() != nil:
		return b.funcCall(n.GetFuncCall(), sc, agg)

	case n.GetCollateClause() != nil:
		// Only the default collation exists: COLLATE "C" and pg_catalog.default change nothing.
		return b.expr(n.GetCollateClause().Arg, sc, agg)

	case n.GetSqlvalueFunction() != nil:
		f := n.GetSqlvalueFunction()
		var name string
		switch f.Op {
		case pg_query.SQLValueFunctionOp_SVFOP_CURRENT_DATE:
			name = "current_date"
		case pg_query.SQLValueFunctionOp_SVFOP_CURRENT_TIMESTAMP, pg_query.SQLValueFunctionOp_SVFOP_CURRENT_TIMESTAMP_N:
			name = "now"
		case pg_query.SQLValueFunctionOp_SVFOP_LOCALTIMESTAMP, pg_query.SQLValueFunctionOp_SVFOP_LOCALTIMESTAMP_N:
			now, err := function.FuncResultType("now", nil)
			if err != nil {
				return nil, errs.New(errs.NotImplemented, "LOCALTIMESTAMP is not supported yet")
			}
			return &planner.Cast{E: &planner.Func{Name: "now", Typ: now}, To: types.Timestamp}, nil
		case pg_query.SQLValueFunctionOp_SVFOP_LOCALTIME, pg_query.SQLValueFunctionOp_SVFOP_LOCALTIME_N:
			return localTime(f.Typmod)
		case pg_query.SQLValueFunctionOp_SVFOP_CURRENT_TIME, pg_query.SQLValueFunctionOp_SVFOP_CURRENT_TIME_N:
			return currentTime(f.Typmod)
		case pg_query.SQLValueFunctionOp_SVFOP_CURRENT_USER, pg_query.SQLValueFunctionOp_SVFOP_SESSION_USER,
			pg_query.SQLValueFunctionOp_SVFOP_CURRENT_ROLE, pg_query.SQLValueFunctionOp_SVFOP_USER:
			e, _, err := b.sessionFunc("current_user", nil, sc, agg)
			return e, err
		case pg_query.SQLValueFunctionOp_SVFOP_CURRENT_CATALOG:
			e, _, err := b.sessionFunc("current_database", nil, sc, agg)
			return e, err
		case pg_query.SQLValueFunctionOp_SVFOP_CURRENT_SCHEMA:
			e, _, err := b.sessionFunc("current_schema", nil, sc, agg)
			return e, err
		default:
			return nil, errs.New(errs.NotImplemented, "%s is not supported", strings.TrimPrefix(f.Op.String(), "SVFOP_"))
		}
		t, err := function.FuncResultType(name, nil)
		if err != nil {
			return nil, errs.New(errs.NotImplemented, "%s is not supported yet", name)
		}
		return &planner.Func{Name: name, Typ: t}, nil

	case n.GetCoalesceExpr() != nil:
		ce := n.GetCoalesceExpr()
		defer b.noSRF("COALESCE")()
		args, t, err := b.commonArgs(ce.Args, sc, agg, "COALESCE")
		if err != nil {
			return nil, err
		}
		return &planner.Coalesce{Args: args, Typ: t}, nil

	case n.GetCaseExpr() != nil:
		return b.caseExpr(n.GetCaseExpr(), sc, agg)

	case n.GetMinMaxExpr() != nil:
		return b.minMax(n.GetMinMaxExpr(), sc, agg)

	case n.GetAArrayExpr() != nil:
		return b.arrayExpr(n.GetAArrayExpr(), sc, agg, nil)

	case n.GetAIndirection() != nil:
		if e, ok, err := b.structField(n.GetAIndirection(), sc, agg); ok {
			return e, err
		}
		if e, ok, err := b.recordField(n.GetAIndirection(), sc, agg); ok {
			return e, err
		}
		return b.subscript(n.GetAIndirection(), sc, agg)

	case n.GetSubLink() != nil:
		sl := n.GetSubLink()
		if sl.SubLinkType == pg_query.SubLinkType_ARRAY_SUBLINK {
			return b.arraySublink(sl, sc)
		}
		if sl.SubLinkType != pg_query.SubLinkType_EXPR_SUBLINK {
			return b.sublink(sl, sc, agg)
		}
		return b.scalarSubquery(sl, sc)

	case n.GetRowExpr() != nil:
		return b.rowValue(n.GetRowExpr(), sc, agg)
	}
	return nil, errs.New(errs.NotImplemented, "expression %s is not supported", stmtName(n))
}

// noSRF disallows set-returning functions in an expression of kind what (CASE) that a select
// list holds, until the returned function restores the binder.
func (b *binder) noSRF(what string) func() {
	if b.srf == nil {
		return func() {}
	}
	srf, clause := b.srf, b.clause
	b.srf, b.clause = nil, what
	return func() { b.srf, b.clause = srf, clause }
}

// commonArgs binds expressions and coerces them to their common type.
func (b *binder) commonArgs(nodes []*pg_query.Node, sc *scope, agg *aggContext, what string) ([]planner.Expr, arrow.DataType, error) {
	return b.commonArgsFrom(nodes, 0, sc, agg, what)
}

// commonArgsFrom is commonArgs with the type resolution starting at nodes[first] and then
// going through the others in order (CASE resolves its ELSE first, as PostgreSQL does).
func (b *binder) commonArgsFrom(nodes []*pg_query.Node, first int, sc *scope, agg *aggContext, what string) ([]planner.Expr, arrow.DataType, error) {
	return b.commonArgsWith(nodes, first, sc, agg, what, nil)
}

// commonArgsWith is commonArgsFrom with the common type, when adjust is not nil, what adjust
// makes of it given the arguments before their conversion.
func (b *binder) commonArgsWith(nodes []*pg_query.Node, first int, sc *scope, agg *aggContext, what string,
	adjust func([]planner.Expr, arrow.DataType) arrow.DataType) ([]planner.Expr, arrow.DataType, error) {
	args := make([]planner.Expr, len(nodes))
	for i, a := range nodes {
		e, err := b.expr(a, sc, agg)
		if err != nil {
			return nil, nil, err
		}
		args[i] = e
	}
	var t arrow.DataType
	for k := range args {
		e := args[(first+k)%len(args)]
		if types.IsUnknown(e.Type()) || e.Type().ID() == arrow.NULL {
			continue // untyped values take the others' type
		}
		if t == nil {
			t = e.Type()
			continue
		}
		ct, err := types.SelectCommon(t, e.Type())
		if err != nil {
			return nil, nil, errs.New(errs.DatatypeMismatch, "%s types %s and %s cannot be matched", what, types.Name(t), types.Name(e.Type()))
		}
		t = ct
	}
	if t == nil || types.IsUnknown(t) || t.ID() == arrow.NULL {
		t = types.Text
	}
	if adjust != nil {
		t = adjust(args, t)
	}
	for i := range args {
		out, ok, err := b.regUntyped(args[i], t)
		if err != nil {
			return nil, nil, err
		}
		if ok {
			args[i] = out
			continue
		}
		args[i] = b.coerce(args[i], t)
	}
	return args, t, nil
}

func (b *binder) caseExpr(ce *pg_query.CaseExpr, sc *scope, agg *aggContext) (planner.Expr, error) {
	defer b.noSRF("CASE")()
	var arg planner.Expr
	if ce.Arg != nil {
		var err error
		if arg, err = b.expr(ce.Arg, sc, agg); err != nil {
			return nil, err
		}
	}
	out := &planner.Case{}
	var results []*pg_query.Node
	for _, w := range ce.Args {
		cw := w.GetCaseWhen()
		cond, err := b.expr(cw.Expr, sc, agg)
		if err != nil {
			return nil, err
		}
		if arg != nil {
			if cond, err = b.binary(planner.OpEq, arg, cond); err != nil {
				return nil, err
			}
		}
		if cond, err = b.coerceBool(cond, "CASE/WHEN"); err != nil {
			return nil, err
		}
		out.Whens = append(out.Whens, cond)
		results = append(results, cw.Result)
	}
	if ce.Defresult != nil {
		results = append(results, ce.Defresult)
	}
	first := 0
	if ce.Defresult != nil {
		first = len(results) - 1
	}
	vals, t, err := b.commonArgsFrom(results, first, sc, agg, "CASE")
	if err != nil {
		return nil, err
	}
	out.Thens = vals[:len(out.Whens)]
	if ce.Defresult != nil {
		out.Else = vals[len(vals)-1]
	}
	out.Typ = t
	return out, nil
}

var binaryOps = map[string]planner.Op{
	"+": planner.OpAdd, "-": planner.OpSub, "*": planner.OpMul, "/": planner.OpDiv, "%": planner.OpMod,
	"=": planner.OpEq, "<>": planner.OpNotEq, "!=": planner.OpNotEq, "<": planner.OpLt, "<=": planner.OpLtEq,
	">": planner.OpGt, ">=": planner.OpGtEq, "||": planner.OpConcat, "~~": planner.OpLike, "!~~": planner.OpNotLike,
	"~~*": planner.OpILike, "!~~*": planner.OpNotILike,
}

func opName(a *pg_query.A_Expr) string {
	if len(a.Name) == 0 {
		return ""
	}
	if s := a.Name[len(a.Name)-1].GetString_(); s != nil {
		return s.Sval
	}
	return ""
}

func (b *binder) aexpr(a *pg_query.A_Expr, sc *scope, agg *aggContext) (planner.Expr, error) {
	op := opName(a)
	if e, ok, err := b.regexOp(a, op, sc, agg); ok {
		return e, err
	}
	if e, ok, err := b.jsonOp(a, op, sc, agg); ok {
		return e, err
	}
	switch a.Kind {
	case pg_query.A_Expr_Kind_AEXPR_OP, pg_query.A_Expr_Kind_AEXPR_LIKE, pg_query.A_Expr_Kind_AEXPR_ILIKE:
		if a.Lexpr == nil { // prefix operator
			r, err := b.expr(a.Rexpr, sc, agg)
			if err != nil {
				return nil, err
			}
			switch op {
			case "-":
				if lit, ok := r.(*planner.Literal); ok {
					if neg, ok := negate(lit); ok {
						return neg, nil
					}
				}
				if _, ok := r.(*planner.Literal); ok && (types.IsUnknown(r.Type()) || r.Type().ID() == arrow.NULL) {
					// Numbers and intervals are both candidates, as in PostgreSQL.
					return nil, errs.New(errs.AmbiguousFunction, "operator is not unique: - unknown")
				}
				if types.IsUnknown(r.Type()) {
					r = b.coerce(r, types.Float64)
				}
				if !types.IsNumeric(r.Type()) {
					return nil, errs.New(errs.UndefinedFunction, "operator does not exist: - %s", types.Name(r.Type()))
				}
				switch r.Type().ID() {
				case arrow.FLOAT64:
					// A real negation, unlike 0 - x, turns 0 into -0.
					return &planner.Binary{Op: planner.OpMul, L: r, R: &planner.Literal{Value: float64(-1), Typ: types.Float64}, Typ: types.Float64}, nil
				case arrow.FLOAT32:
					return &planner.Binary{Op: planner.OpMul, L: r, R: &planner.Literal{Value: float32(-1), Typ: types.Float32}, Typ: types.Float32}, nil
				}
				return b.binary(planner.OpSub, &planner.Literal{Value: zeroOf(r.Type()), Typ: r.Type()}, r)
			case "+":
				return r, nil
			}
			return nil, errs.New(errs.UndefinedFunction, "operator does not exist: %s %s", op, types.Name(r.Type()))
		}
		if op == "@>" || op == "<@" || op == "&&" {
			l, r, err := b.operands(a, sc, agg)
			if err != nil {
				return nil, err
			}
			if e, ok, err := b.jsonBinary(op, l, r); ok {
				return e, err
			}
			return b.arrayOp(op, l, r)
		}
		if op == "^" {
			l, r, err := b.operands(a, sc, agg)
			if err != nil {
				return nil, err
			}
			return b.power(l, r)
		}
		bop, ok := binaryOps[op]
		if !ok {
			return nil, errs.New(errs.UndefinedFunction, "operator does not exist: %s", op)
		}
		if lr, rr := a.Lexpr.GetRowExpr(), a.Rexpr.GetRowExpr(); lr != nil && rr != nil {
			return b.rowCompare(bop, op, lr.Args, rr.Args, sc, agg)
		}
		if fc := a.Rexpr.GetFuncCall(); fc != nil && funcName(fc) == "like_escape" && a.Kind != pg_query.A_Expr_Kind_AEXPR_OP {
			l, err := b.expr(a.Lexpr, sc, agg)
			if err != nil {
				return nil, err
			}
			r, err := b.likeEscape(fc, sc, agg)
			if err != nil {
				return nil, err
			}
			return b.binary(bop, l, r)
		}
		l, r, err := b.operands(a, sc, agg)
		if err != nil {
			return nil, err
		}
		if e, ok, err := b.jsonBinary(op, l, r); ok {
			return e, err
		}
		return b.binary(bop, l, r)

	case pg_query.A_Expr_Kind_AEXPR_OP_ANY, pg_query.A_Expr_Kind_AEXPR_OP_ALL:
		return b.anyArray(a, sc, agg)

	case pg_query.A_Expr_Kind_AEXPR_IN:
		l, err := b.expr(a.Lexpr, sc, agg)
		if err != nil {
			return nil, err
		}
		items := a.Rexpr.GetList().GetItems()
		if len(items) == 0 {
			return nil, errs.New(errs.NotImplemented, "IN with a subquery is not supported yet")
		}
		list := make([]planner.Expr, len(items))
		t := l.Type()
		for i, it := range items {
			e, err := b.expr(it, sc, agg)
			if err != nil {
				return nil, err
			}
			list[i] = e
			if t, err = types.Common(t, e.Type()); err != nil {
				return nil, err
			}
		}
		if types.IsUnknown(t) || t.ID() == arrow.NULL {
			t = types.Text
		}
		l = b.coerce(l, t)
		for i := range list {
			list[i] = b.coerce(list[i], t)
		}
		return &planner.InList{E: l, List: list, Negate: op == "<>"}, nil

	case pg_query.A_Expr_Kind_AEXPR_BETWEEN, pg_query.A_Expr_Kind_AEXPR_NOT_BETWEEN:
		x, err := b.expr(a.Lexpr, sc, agg)
		if err != nil {
			return nil, err
		}
		items := a.Rexpr.GetList().GetItems()
		lo, err := b.expr(items[0], sc, agg)
		if err != nil {
			return nil, err
		}
		hi, err := b.expr(items[1], sc, agg)
		if err != nil {
			return nil, err
		}
		ge, err := b.binary(planner.OpGtEq, x, lo)
		if err != nil {
			return nil, err
		}
		le, err := b.binary(planner.OpLtEq, x, hi)
		if err != nil {
			return nil, err
		}
		between := planner.And([]planner.Expr{ge, le})
		if a.Kind == pg_query.A_Expr_Kind_AEXPR_NOT_BETWEEN {
			return &planner.Not{E: between}, nil
		}
		return between, nil

	case pg_query.A_Expr_Kind_AEXPR_DISTINCT, pg_query.A_Expr_Kind_AEXPR_NOT_DISTINCT:
		_, eq, err := b.equality(a, sc, agg)
		if err != nil {
			return nil, err
		}
		eqb := eq.(*planner.Binary)
		// a IS NOT DISTINCT FROM b: a = b, with NULL equal to NULL and to nothing else.
		bothNull := planner.And([]planner.Expr{&planner.IsNull{E: eqb.L}, &planner.IsNull{E: eqb.R}})
		same := &planner.Coalesce{Args: []planner.Expr{eq, bothNull}, Typ: types.Bool}
		if a.Kind == pg_query.A_Expr_Kind_AEXPR_DISTINCT {
			return &planner.Not{E: same}, nil
		}
		return same, nil

	case pg_query.A_Expr_Kind_AEXPR_NULLIF:
		l, eq, err := b.equality(a, sc, agg)
		if err != nil {
			return nil, err
		}
		// The result has the type the comparison read the first argument as.
		t := l.Type()
		if e, ok := eq.(*planner.Binary); ok {
			t = e.L.Type()
		}
		if types.IsUnknown(t) || t.ID() == arrow.NULL {
			t = types.Text
		}
		return &planner.Case{Whens: []planner.Expr{eq}, Thens: []planner.Expr{&planner.Literal{Typ: t}}, Else: b.coerce(l, t), Typ: t}, nil
	}
	return nil, errs.New(errs.NotImplemented, "operator %s (%s) is not supported yet", op, strings.TrimPrefix(a.Kind.String(), "AEXPR_"))
}

// operands binds the left and right operands of a.
func (b *binder) operands(a *pg_query.A_Expr, sc *scope, agg *aggContext) (planner.Expr, planner.Expr, error) {
	l, err := b.expr(a.Lexpr, sc, agg)
	if err != nil {
		return nil, nil, err
	}
	r, err := b.expr(a.Rexpr, sc, agg)
	if err != nil {
		return nil, nil, err
	}
	return l, r, nil
}

// equality binds both operands of a and their comparison l = r, returning l (as bound) too.
func (b *binder) equality(a *pg_query.A_Expr, sc *scope, agg *aggContext) (planner.Expr, planner.Expr, error) {
	l, r, err := b.operands(a, sc, agg)
	if err != nil {
		return nil, nil, err
	}
	eq, err := b.binary(planner.OpEq, l, r)
	return l, eq, err
}

func zeroOf(t arrow.DataType) any {
	switch t.ID() {
	case arrow.INT16:
		return int16(0)
	case arrow.INT32:
		return int32(0)
	case arrow.INT64:
		return int64(0)
	case arrow.FLOAT32:
		return float32(0)
	case arrow.FLOAT64:
		return float64(0)
	case arrow.DECIMAL128:
		return decimal128.Num{}
	case arrow.EXTENSION:
		if types.IsVarNumeric(t) {
			return decimal128.Num{} // 0 of scale 0, packed
		}
	}
	return nil
}

// negate folds unary minus into a numeric literal.
func negate(l *planner.Literal) (*planner.Literal, bool) {
	switch v := l.Value.(type) {
	case int32:
		if v == -1<<31 {
			return nil, false
		}
		return &planner.Literal{Value: -v, Typ: l.Typ}, true
	case int64:
		if v == -1<<63 {
			return nil, false
		}
		if v == 1<<31 {
			// -2147483648 is parsed as -(2147483648): it fits an integer after all.
			return &planner.Literal{Value: int32(-v), Typ: types.Int32}, true
		}
		return &planner.Literal{Value: -v, Typ: l.Typ}, true
	case float64:
		return &planner.Literal{Value: -v, Typ: l.Typ}, true
	}
	if n, ok := l.Value.(decimal128.Num); ok {
		return &planner.Literal{Value: n.Negate(), Typ: l.Typ}, true
	}
	return nil, false
}

// binary types a binary operator application the way PostgreSQL resolves operators over the
// types we have.
func (b *binder) binary(op planner.Op, l, r planner.Expr) (planner.Expr, error) {
	lt, rt := l.Type(), r.Type()
	if e, ok, err := nestedBinary(op, l, r, b.untypedRow); ok {
		return e, err
	}
	if e, ok, err := b.regBinary(op, l, r); ok {
		return e, err
	}
	switch {
	case op == planner.OpAnd || op == planner.OpOr:
		var err error
		if l, err = b.coerceBool(l, op.String()); err != nil {
			return nil, err
		}
		if r, err = b.coerceBool(r, op.String()); err != nil {
			return nil, err
		}
		return &planner.Binary{Op: op, L: l, R: r, Typ: types.Bool}, nil
	case op == planner.OpConcat && (types.IsArray(lt) || types.IsArray(rt)):
		return b.arrayConcat(l, r)
	case op == planner.OpConcat:
		if !textLike(lt) && !textLike(rt) {
			// Both candidates (text || anynonarray and its mirror) need a string operand.
			return nil, errs.New(errs.UndefinedFunction, "operator does not exist: %s || %s", types.Name(lt), types.Name(rt))
		}
		return &planner.Binary{Op: op, L: b.coerce(bpcharText(l), types.Text), R: b.coerce(bpcharText(r), types.Text), Typ: types.Text}, nil
	case op == planner.OpLike || op == planner.OpNotLike || op == planner.OpILike || op == planner.OpNotILike:
		if !textLike(lt) || !textLike(rt) {
			return nil, errs.New(errs.UndefinedFunction, "operator does not exist: %s %s %s", types.Name(lt), op, types.Name(rt))
		}
		return &planner.Binary{Op: op, L: b.coerce(paddedChar(l), types.Text), R: b.coerce(r, types.Text), Typ: types.Bool}, nil
	}
	if e, ok, err := b.timeBinary(op, l, r); ok {
		return e, err
	}
	// A quoted literal next to a date or timestamp is first read as the other operand's type,
	// where the operator exists for that pair (date - date, timestamp - timestamp); date +
	// a quoted literal has several candidates, as in PostgreSQL.
	if (op == planner.OpAdd || op == planner.OpSub) && types.IsUnknown(lt) != types.IsUnknown(rt) {
		other := lt
		if types.IsUnknown(lt) {
			other = rt
		}
		switch {
		case op == planner.OpSub && isTemporal(other):
			l, r = b.coerce(l, other), b.coerce(r, other)
			lt, rt = other, other
		case op == planner.OpAdd && other.ID() == arrow.DATE32:
			// PostgreSQL reports 42725 (ambiguous function), a kind errs does not have yet.
			return nil, errs.New(errs.AmbiguousFunction, "operator is not unique: %s %s %s", types.Name(lt), op, types.Name(rt))
		}
	}
	// Date arithmetic.
	if op == planner.OpAdd || op == planner.OpSub {
		if lt.ID() == arrow.DATE32 && types.IsInteger(rt) {
			return &planner.Binary{Op: op, L: l, R: b.coerce(r, types.Int32), Typ: types.Date}, nil
		}
		if op == planner.OpAdd && rt.ID() == arrow.DATE32 && types.IsInteger(lt) {
			return &planner.Binary{Op: op, L: r, R: b.coerce(l, types.Int32), Typ: types.Date}, nil
		}
		if op == planner.OpSub && lt.ID() == arrow.DATE32 && rt.ID() == arrow.DATE32 {
			return &planner.Binary{Op: op, L: l, R: r, Typ: types.Int32}, nil
		}
	}
	// Interval and timestamp arithmetic: the kernels decide the result type.
	if op.Arithmetic() && (isTemporal(lt) || isTemporal(rt) || lt.ID() == arrow.INTERVAL_MONTH_DAY_NANO || rt.ID() == arrow.INTERVAL_MONTH_DAY_NANO) {
		if types.IsUnknown(rt) && isTemporal(lt) {
			r, rt = b.coerce(r, types.Interval), types.Interval
		}
		if types.IsUnknown(lt) && isTemporal(rt) {
			l, lt = b.coerce(l, types.Interval), types.Interval
		}
		if types.IsUnknown(lt) && rt.ID() == arrow.INTERVAL_MONTH_DAY_NANO {
			l, lt = b.coerce(l, types.Interval), types.Interval
		}
		if types.IsUnknown(rt) && lt.ID() == arrow.INTERVAL_MONTH_DAY_NANO {
			r, rt = b.coerce(r, types.Interval), types.Interval
		}
		if execOp, ok := execArith[op]; ok {
			if t, err := exec.BinaryResultType(execOp, lt, rt); err == nil {
				return &planner.Binary{Op: op, L: l, R: r, Typ: t}, nil
			}
		}
	}
	if types.IsUnknown(lt) && types.IsUnknown(rt) && op.Arithmetic() {
		return nil, errs.New(errs.AmbiguousFunction, "operator is not unique: unknown %s unknown", op)
	}
	ct, err := types.Common(lt, rt)
	if err != nil {
		return nil, errs.New(errs.UndefinedFunction, "operator does not exist: %s %s %s", types.Name(lt), op, types.Name(rt))
	}
	if le, re := types.Elem(lt), types.Elem(rt); op.Comparison() && le != nil && re != nil && !arrow.TypeEqual(le, re) && !(isString(le) && isString(re)) {
		// Arrays compare as anyarray: both sides must be of one array type.
		return nil, errs.New(errs.UndefinedFunction, "operator does not exist: %s %s %s", types.Name(lt), op, types.Name(rt))
	}
	if op.Comparison() {
		l, r = b.coerceCompare(l, ct), b.coerceCompare(r, ct)
		if l.Type() != nil && r.Type() != nil && !arrow.TypeEqual(l.Type(), r.Type()) {
			l, r = b.coerce(l, ct), b.coerce(r, ct)
		}
		return &planner.Binary{Op: op, L: l, R: r, Typ: types.Bool}, nil
	}
	if !types.IsNumeric(ct) {
		return nil, errs.New(errs.UndefinedFunction, "operator does not exist: %s %s %s", types.Name(lt), op, types.Name(rt))
	}
	l0, r0 := l, r
	l, r = b.coerce(l, ct), b.coerce(r, ct)
	t := ct
	if d, ok := ct.(*arrow.Decimal128Type); ok {
		ls, rs := decimalScale(lt, d.Scale), decimalScale(rt, d.Scale)
		l = b.coerce(l, types.Numeric(38, ls))
		r = b.coerce(r, types.Numeric(38, rs))
		switch op {
		case planner.OpAdd, planner.OpSub, planner.OpMod:
			t = types.Numeric(38, max(ls, rs))
		case planner.OpMul:
			t = types.Numeric(38, min(38, ls+rs))
		case planner.OpDiv:
			s, ok := divScale(l0, r0)
			if !ok {
				// PostgreSQL's scale of a quotient depends on the values: each row's
				// quotient keeps its own (select_div_scale).
				l, r = b.coerce(l, types.VarNumeric), b.coerce(r, types.VarNumeric)
				return &planner.Binary{Op: op, L: l, R: r, Typ: types.VarNumeric}, nil
			}
			t = types.Numeric(38, max(s, ls, rs))
		}
	}
	return &planner.Binary{Op: op, L: l, R: r, Typ: t}, nil
}

var execArith = map[planner.Op]exec.BinaryOp{
	planner.OpAdd: exec.Add, planner.OpSub: exec.Sub, planner.OpMul: exec.Mul, planner.OpDiv: exec.Div,
}

func isTemporal(t arrow.DataType) bool {
	return t.ID() == arrow.DATE32 || t.ID() == arrow.TIMESTAMP
}

// decimalScale is the scale an operand of type t keeps in numeric arithmetic.
func decimalScale(t arrow.DataType, def int32) int32 {
	if d, ok := t.(*arrow.Decimal128Type); ok {
		return d.Scale
	}
	if types.IsInteger(t) {
		return 0
	}
	return def
}

// coerceCompare coerces a comparison operand to the common type. A literal on one side is
// converted to the other side's type, so that a predicate on a column compares the column
// itself (and can prune partitions and row groups).
func (b *binder) coerceCompare(e planner.Expr, t arrow.DataType) planner.Expr {
	return b.coerce(e, t)
}

// isString reports whether t is text, character varying or character.
func isString(t arrow.DataType) bool { return t.ID() == arrow.STRING && !types.IsUnknown(t) }

func textLike(t arrow.DataType) bool {
	return t.ID() == arrow.STRING || types.IsUnknown(t) || t.ID() == arrow.NULL
}

func (b *binder) funcCall(fc *pg_query.FuncCall, sc *scope, agg *aggContext) (planner.Expr, error) {
	name := funcName(fc)
	fc = sequenceArg(name, fc)     // sequence.go
	fc, err := namedArgs(name, fc) // named_args.go
	if err != nil {
		return nil, err
	}
	if fc.Over == nil && jsonAggregates[name] {
		n, err := jsonAggregate(fc, name)
		if err != nil {
			return nil, err
		}
		return b.expr(n, sc, agg)
	}
	if fc.Over == nil && len(fc.Funcname) <= 2 {
		if e, ok, err := b.jsonFunc(name, fc, sc, agg); ok {
			return e, err
		}
		if e, ok, err := b.jsonTypedCall(name, fc, sc, agg); ok {
			return e, err
		}
		if e, ok, err := b.sessionFunc(name, fc, sc, agg); ok {
			return e, err
		}
	}
	if fc.Over != nil {
		return b.windowCall(fc, name, sc, agg)
	}
	if isAggregate(name) {
		return b.aggregateCall(fc, name, agg)
	}
	if fc.AggFilter != nil || len(fc.AggOrder) > 0 || fc.AggWithinGroup {
		what := "FILTER"
		if len(fc.AggOrder) > 0 {
			what = "ORDER BY"
		}
		if fc.AggWithinGroup {
			return nil, &errs.Error{Kind: errs.WrongObjectType, Msg: fmt.Sprintf("%s is not an ordered-set aggregate, so it cannot have WITHIN GROUP", name), Position: int(fc.Location) + 1}
		}
		return nil, &errs.Error{Kind: errs.WrongObjectType, Msg: fmt.Sprintf("%s specified, but %s is not an aggregate function", what, name), Position: int(fc.Location) + 1}
	}
	if fc.AggStar || fc.AggDistinct {
		return nil, errs.New(errs.Syntax, "DISTINCT or * specified, but %s is not an aggregate function", name)
	}
	if name == "unnest" {
		return b.unnestCall(fc, sc, agg)
	}
	if name == "generate_series" {
		return b.seriesSelect(fc, sc) // series_select.go
	}
	if u, ok := jsonSetFunc(nil, fc); ok && len(u.Args) == 1 {
		return b.unnestCall(u, sc, agg)
	}
	if name == "generate_subscripts" {
		return b.unnestCall(subscriptsCall(fc), sc, agg)
	}
	if u, ok := arraySRFCall(fc); ok {
		return b.arraySRF(name, u, sc, agg)
	}
	if isExpandArray(fc) {
		return b.expandArray(fc, "", sc, agg)
	}
	args := make([]planner.Expr, len(fc.Args))
	argTypes := make([]arrow.DataType, len(fc.Args))
	for i, a := range fc.Args {
		e, err := b.expr(a, sc, agg)
		if err != nil {
			return nil, err
		}
		args[i] = e
	}
	if form, ok := arrayForms[name]; ok {
		if err := b.arrayArgs(name, form, args); err != nil {
			return nil, err
		}
	}
	var nulls []int // arguments that are untyped NULLs
	for i, e := range args {
		if e.Type().ID() == arrow.NULL {
			nulls = append(nulls, i)
		}
		if types.IsUnknown(e.Type()) || e.Type().ID() == arrow.NULL {
			if name == "timezone" && i == len(fc.Args)-1 {
				// x AT TIME ZONE z with an untyped x: PostgreSQL reads a timestamptz.
				e = b.coerce(e, types.TimestampTZ)
			} else {
				e = b.coerce(e, types.Text)
			}
		}
		if name == "concat" || name == "concat_ws" && i > 0 || name == "octet_length" {
			// concat shows its arguments as their output functions do, and octet_length
			// counts the bytes of the stored value: character(n) padded (concat_ws's
			// separator is read as text, without the padding).
			e = paddedChar(e)
		}
		args[i], argTypes[i] = e, e.Type()
	}
	storageArrayArgs(name, args)
	if e, ok, err := b.timeFunc(name, args); ok {
		return e, err
	}
	if e, ok := varNumericRounding(name, args); ok {
		return e, nil
	}
	if varNumericArrayArgs(name, args) {
		for i := range args {
			argTypes[i] = args[i].Type()
		}
	} else if !varNumericFuncs[name] {
		for i := range args {
			args[i] = fixedNumeric(args[i])
			argTypes[i] = args[i].Type()
		}
	}
	t, err := function.FuncResultType(name, argTypes)
	if err != nil {
		// Retry with integer arguments widened, as PostgreSQL's function resolution would.
		widened := false
		for i, at := range argTypes {
			if types.IsInteger(at) && at.ID() != arrow.INT32 && at.ID() != arrow.INT64 {
				args[i], argTypes[i], widened = b.coerce(args[i], types.Int32), types.Int32, true
			}
		}
		if widened {
			t, err = function.FuncResultType(name, argTypes)
		}
		if err != nil && (name == "round" || name == "trunc") && len(argTypes) > 0 && types.IsInteger(argTypes[0]) {
			// round(integer, n): the integer is read as numeric, round(numeric, integer).
			args[0], argTypes[0] = b.coerce(args[0], types.Numeric(38, 0)), types.Numeric(38, 0)
			t, err = function.FuncResultType(name, argTypes)
		}
		if err != nil && len(nulls) > 0 {
			// An untyped NULL argument where text does not fit: try it as an integer.
			for _, i := range nulls {
				args[i], argTypes[i] = &planner.Literal{Typ: types.Int32}, types.Int32
			}
			t, err = function.FuncResultType(name, argTypes)
		}
		if err != nil && errors.Is(err, errs.AmbiguousFunction) {
			return nil, err
		}
		if err != nil {
			names := make([]string, len(argTypes))
			for i, at := range argTypes {
				names[i] = types.Name(at)
			}
			return nil, &errs.Error{Kind: errs.UndefinedFunction, Msg: fmt.Sprintf("function %s(%s) does not exist", name, strings.Join(names, ", ")), Position: int(fc.Location) + 1}
		}
	}
	if _, ok := t.(*types.Char); ok {
		// The string functions take and return text: a character argument's type does not
		// carry over to the result.
		t = types.Text
	}
	if (name == "round" || name == "trunc") && t.ID() == arrow.DECIMAL128 {
		// The result's scale is the places kept, as PostgreSQL's numeric shows it; the value
		// is rounded already, so the cast is exact.
		scale, known := int64(0), len(args) == 1
		if len(args) == 2 {
			l, _ := args[1].(*planner.Literal)
			scale, known = toInt64(l)
		}
		if known {
			return &planner.Cast{E: &planner.Func{Name: name, Args: args, Typ: t}, To: types.Numeric(38, int32(min(max(scale, 0), 38)))}, nil
		}
	}
	if name == "extract" && len(args) == 2 {
		field := args[0]
		if c, ok := field.(*planner.Cast); ok {
			field = c.E // the untyped field name, cast to text
		}
		if l, ok := field.(*planner.Literal); ok {
			if field, ok := l.Value.(string); ok {
				t = types.Numeric(38, function.ExtractScale(field, argTypes[1]))
			}
		}
	}
	return &planner.Func{Name: name, Args: args, Typ: t}, nil
}

// rowCompare binds (l1, l2, ...) op (r1, r2, ...) as PostgreSQL compares rows: = and <> pair
// by pair, the ordering operators by the first pair that is not equal.
func (b *binder) rowCompare(op planner.Op, name string, ls, rs []*pg_query.Node, sc *scope, agg *aggContext) (planner.Expr, error) {
	if !op.Comparison() {
		return nil, errs.New(errs.UndefinedFunction, "operator does not exist: record %s record", name)
	}
	if len(ls) != len(rs) {
		return nil, errs.New(errs.Syntax, "unequal number of entries in row expressions")
	}
	bin := func(op planner.Op, l, r planner.Expr) planner.Expr {
		return &planner.Binary{Op: op, L: l, R: r, Typ: types.Bool}
	}
	pairs := make([][2]planner.Expr, len(ls))
	for i := range ls {
		l, err := b.expr(ls[i], sc, agg)
		if err != nil {
			return nil, err
		}
		r, err := b.expr(rs[i], sc, agg)
		if err != nil {
			return nil, err
		}
		pairs[i] = [2]planner.Expr{l, r}
	}
	cmp := func(op planner.Op, i int) (planner.Expr, error) {
		return b.binary(op, pairs[i][0], pairs[i][1])
	}
	var out planner.Expr
	switch op {
	case planner.OpEq, planner.OpNotEq:
		join := planner.OpAnd
		if op == planner.OpNotEq {
			join = planner.OpOr
		}
		for i := range pairs {
			c, err := cmp(op, i)
			if err != nil {
				return nil, err
			}
			if out == nil {
				out = c
			} else {
				out = bin(join, out, c)
			}
		}
		return out, nil
	}
	// a < b: a1 < b1 OR (a1 = b1 AND (a2 < b2 OR ...)); the last pair decides with op itself.
	strict := op
	switch op {
	case planner.OpLtEq:
		strict = planner.OpLt
	case planner.OpGtEq:
		strict = planner.OpGt
	}
	for i := len(pairs) - 1; i >= 0; i-- {
		if out == nil {
			c, err := cmp(op, i)
			if err != nil {
				return nil, err
			}
			out = c
			continue
		}
		s, err := cmp(strict, i)
		if err != nil {
			return nil, err
		}
		eq, err := cmp(planner.OpEq, i)
		if err != nil {
			return nil, err
		}
		out = bin(planner.OpOr, s, bin(planner.OpAnd, eq, out))
	}
	return out, nil
}

// minMax binds GREATEST(...) and LEAST(...): the largest or smallest of the arguments that
// are not NULL (NULL when all are), of their common type. Pairs are compared in rounds, so
// each argument is evaluated a number of times logarithmic in the number of arguments.
func (b *binder) minMax(mm *pg_query.MinMaxExpr, sc *scope, agg *aggContext) (planner.Expr, error) {
	name, op := "GREATEST", planner.OpGt
	if mm.Op == pg_query.MinMaxOp_IS_LEAST {
		name, op = "LEAST", planner.OpLt
	}
	defer b.noSRF(name)()
	args, t, err := b.commonArgs(mm.Args, sc, agg, name)
	if err != nil {
		return nil, err
	}
	for len(args) > 1 {
		var next []planner.Expr
		for i := 0; i+1 < len(args); i += 2 {
			x, y := args[i], args[i+1]
			better, err := b.binary(op, y, x)
			if err != nil {
				return nil, err
			}
			// y when x is NULL or y is better; x otherwise (also when y is NULL).
			pick := &planner.Binary{Op: planner.OpOr, L: &planner.IsNull{E: x}, R: better, Typ: types.Bool}
			next = append(next, &planner.Case{Whens: []planner.Expr{pick}, Thens: []planner.Expr{y}, Else: x, Typ: t})
		}
		if len(args)%2 == 1 {
			next = append(next, args[len(args)-1])
		}
		args = next
	}
	return args[0], nil
}

// power binds x ^ y, exponentiation, which is the function power(x, y): numeric when either
// operand is numeric and the other numeric or an integer, else double precision (integer ^
// integer too, as in PostgreSQL). An untyped operand takes the other's type if that is
// numeric, else double precision.
func (b *binder) power(l, r planner.Expr) (planner.Expr, error) {
	l, r = fixedNumeric(l), fixedNumeric(r)
	untyped := func(e planner.Expr) bool { return types.IsUnknown(e.Type()) || e.Type().ID() == arrow.NULL }
	fix := func(e, other planner.Expr) planner.Expr {
		if !untyped(e) {
			return e
		}
		if other.Type().ID() == arrow.DECIMAL128 {
			return b.coerce(e, other.Type())
		}
		return b.coerce(e, types.Float64)
	}
	l, r = fix(l, r), fix(r, l)
	t, err := function.FuncResultType("power", []arrow.DataType{l.Type(), r.Type()})
	if err != nil {
		return nil, errs.New(errs.UndefinedFunction, "operator does not exist: %s ^ %s", types.Name(l.Type()), types.Name(r.Type()))
	}
	return &planner.Func{Name: "power", Args: []planner.Expr{l, r}, Typ: t}, nil
}
