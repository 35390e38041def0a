package sql

import (
	"fmt"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/planner"
	"github.com/sleeperd/sleeperd/types"
)

// arrayExpr binds ARRAY[e1, ...]. Its element type is the elements' common type, or want's
// element type when the constructor is cast to the array type want (ARRAY[]::int[]).
func (b *binder) arrayExpr(ae *pg_query.A_ArrayExpr, sc *scope, agg *aggContext, want arrow.DataType) (planner.Expr, error) {
	for _, el := range ae.Elements {
		if el.GetAArrayExpr() != nil {
			return nil, errs.New(errs.NotImplemented, "multidimensional arrays are not supported")
		}
	}
	if want != nil {
		et := types.Elem(want)
		out := &planner.Array{Typ: want}
		for _, el := range ae.Elements {
			e, err := b.expr(el, sc, agg)
			if err != nil {
				return nil, err
			}
			if r, ok, err := b.regUntyped(e, et); ok || err != nil {
				if err != nil {
					return nil, err
				}
				out.Elems = append(out.Elems, r)
				continue
			}
			if r, ok, err := b.regCastOut(e, et); ok {
				if err != nil {
					return nil, err
				}
				out.Elems = append(out.Elems, r)
				continue
			}
			if !castable(e.Type(), et) {
				return nil, errs.New(errs.CannotCoerce, "cannot cast type %s to %s", types.Name(e.Type()), types.Name(et))
			}
			out.Elems = append(out.Elems, b.coerce(e, et))
		}
		return out, nil
	}
	if len(ae.Elements) == 0 {
		return nil, &errs.Error{Kind: errs.IndeterminateType, Msg: "cannot determine type of empty array", Position: int(ae.Location) + 1}
	}
	elems, t, err := b.commonArgsWith(ae.Elements, 0, sc, agg, "ARRAY", func(args []planner.Expr, t arrow.DataType) arrow.DataType {
		if t.ID() != arrow.DECIMAL128 {
			return t
		}
		// Numeric elements make an array of numeric without a type modifier, each element
		// keeping its own scale, as in PostgreSQL, unless all are of one numeric(p,s) (a
		// decimal constant is numeric, without a type modifier).
		for _, e := range args {
			l, isLit := e.(*planner.Literal)
			if !arrow.TypeEqual(e.Type(), t) || isLit && l.Typ.(*arrow.Decimal128Type).Precision == 38 {
				return types.VarNumeric
			}
		}
		return t
	})
	if err != nil {
		return nil, err
	}
	if types.IsArray(t) {
		return nil, errs.New(errs.NotImplemented, "multidimensional arrays are not supported")
	}
	return &planner.Array{Elems: elems, Typ: types.ArrayOf(t)}, nil
}

// subscript binds a[i], a[lo:hi] and jsonb subscripts j['k'][1], each on what the one
// before gives (a[i][j] one level at a time), and field selection from a record element
// ((a[i]).f).
func (b *binder) subscript(ind *pg_query.A_Indirection, sc *scope, agg *aggContext) (planner.Expr, error) {
	e, err := b.expr(ind.Arg, sc, agg)
	if err != nil {
		return nil, err
	}
	for _, in := range ind.Indirection {
		idx := in.GetAIndices()
		if idx == nil {
			if _, isRecord := e.Type().(*arrow.StructType); isRecord && in.GetString_() != nil {
				// (a[i]).f: a field of an array's record element.
				if e, _, err = b.selectFields(e, []*pg_query.Node{in}, sc, agg); err != nil {
					return nil, err
				}
				continue
			}
			return nil, errs.New(errs.NotImplemented, "field selection is not supported")
		}
		if e, err = b.subscriptOne(e, idx, sc, agg); err != nil {
			return nil, err
		}
	}
	return e, nil
}

// subscriptOne binds one subscript of e: an element a[i] or a slice a[lo:hi] (either bound
// may be left out) of an array, or the element or field of a jsonb value.
func (b *binder) subscriptOne(e planner.Expr, idx *pg_query.A_Indices, sc *scope, agg *aggContext) (planner.Expr, error) {
	if types.IsJSONB(e.Type()) {
		return b.jsonbSubscript(e, idx, sc, agg)
	}
	if !types.IsArray(e.Type()) {
		return nil, errs.New(errs.DatatypeMismatch, "cannot subscript type %s because it does not support subscripting", types.Name(e.Type()))
	}
	bound := func(n *pg_query.Node, omitted int32) (planner.Expr, error) {
		if n == nil {
			return &planner.Literal{Value: omitted, Typ: types.Int32}, nil
		}
		i, err := b.expr(n, sc, agg)
		if err != nil {
			return nil, err
		}
		if types.IsUnknown(i.Type()) || i.Type().ID() == arrow.NULL || types.IsNumeric(i.Type()) {
			// numeric and float subscripts convert to integer as casts do, rounding.
			return b.coerce(i, types.Int32), nil
		}
		return nil, errs.New(errs.DatatypeMismatch, "array subscript must have type integer")
	}
	if idx.IsSlice {
		// An omitted bound is the array's own: 1, or its last subscript.
		lo, err := bound(idx.Lidx, 1)
		if err != nil {
			return nil, err
		}
		hi, err := bound(idx.Uidx, math.MaxInt32)
		if err != nil {
			return nil, err
		}
		return &planner.Func{Name: "array_slice", Args: []planner.Expr{e, lo, hi}, Typ: e.Type()}, nil
	}
	i, err := bound(idx.Uidx, 0)
	if err != nil {
		return nil, err
	}
	return &planner.Func{Name: "array_subscript", Args: []planner.Expr{e, i}, Typ: types.Elem(e.Type())}, nil
}

// jsonbSubscript binds j[x], PostgreSQL's jsonb subscript: j #> ARRAY[x::text], the field x
// of an object or the element x of an array (negative from the end), NULL where there is
// none. x is an integer (smallint or integer) or text; untyped literals are text.
func (b *binder) jsonbSubscript(e planner.Expr, idx *pg_query.A_Indices, sc *scope, agg *aggContext) (planner.Expr, error) {
	if idx.IsSlice {
		return nil, errs.New(errs.DatatypeMismatch, "jsonb subscript does not support slices")
	}
	x, err := b.expr(idx.Uidx, sc, agg)
	if err != nil {
		return nil, err
	}
	switch t := x.Type(); {
	case types.IsUnknown(t) || t.ID() == arrow.NULL || textLike(t) && !types.IsJSON(t):
	case t.ID() == arrow.INT16 || t.ID() == arrow.INT32:
	default:
		return nil, &errs.Error{Kind: errs.DatatypeMismatch, Msg: fmt.Sprintf("subscript type %s is not supported", types.BaseName(t)),
			Hint: "jsonb subscript must be coercible to either integer or text."}
	}
	path := &planner.Array{Elems: []planner.Expr{b.coerce(x, types.Text)}, Typ: types.ArrayOf(types.Text)}
	out, _, err := b.jsonBinary("#>", e, path)
	return out, err
}

// anyArray binds x op ANY (array) and x op ALL (array). An untyped parameter or literal on
// the right is an array of x's type ($1 in x = ANY($1) is x's type []).
func (b *binder) anyArray(a *pg_query.A_Expr, sc *scope, agg *aggContext) (planner.Expr, error) {
	op := opName(a)
	all := a.Kind == pg_query.A_Expr_Kind_AEXPR_OP_ALL
	l, r, err := b.operands(a, sc, agg)
	if err != nil {
		return nil, err
	}
	lt := l.Type()
	if types.IsUnknown(lt) || lt.ID() == arrow.NULL {
		lt = types.Text
		if et := types.Elem(r.Type()); et != nil {
			lt = et
		}
	}
	if types.IsUnknown(r.Type()) || r.Type().ID() == arrow.NULL {
		r = b.coerce(r, types.ArrayOf(lt))
	}
	et := types.Elem(r.Type())
	if et == nil {
		return nil, errs.New(errs.WrongObjectType, "op ANY/ALL (array) requires array on right side")
	}
	bop, ok := binaryOps[op]
	if !ok || !(bop.Comparison() || bop == planner.OpLike || bop == planner.OpNotLike || bop == planner.OpILike || bop == planner.OpNotILike) {
		return nil, errs.New(errs.UndefinedFunction, "operator does not exist: %s %s %s", types.Name(lt), op, types.Name(et))
	}
	if !bop.Comparison() {
		if !textLike(lt) || !textLike(et) {
			return nil, errs.New(errs.UndefinedFunction, "operator does not exist: %s %s %s", types.Name(lt), op, types.Name(et))
		}
		return &planner.AnyOp{Op: bop, L: b.coerce(l, types.Text), R: r, All: all}, nil
	}
	ct, err := types.Common(lt, et)
	if err != nil {
		return nil, errs.New(errs.UndefinedFunction, "operator does not exist: %s %s %s", types.Name(lt), op, types.Name(et))
	}
	l = b.coerce(l, ct)
	if !arrow.TypeEqual(et, ct) {
		r = b.coerce(r, types.ArrayOf(ct))
	}
	return &planner.AnyOp{Op: bop, L: l, R: r, All: all}, nil
}

// arrayOp binds the array operators @>, <@ and && as the functions array_contains and
// array_overlap.
func (b *binder) arrayOp(op string, l, r planner.Expr) (planner.Expr, error) {
	l, r, err := b.arrayOperands(op, l, r)
	if err != nil {
		return nil, err
	}
	switch op {
	case "<@":
		l, r = r, l
		op = "@>"
	}
	name := "array_contains"
	if op == "&&" {
		name = "array_overlap"
	}
	return &planner.Func{Name: name, Args: []planner.Expr{l, r}, Typ: types.Bool}, nil
}

// arrayOperands types both operands of an operator between arrays: untyped ones take the
// other's type, and element types meet at their common type.
func (b *binder) arrayOperands(op string, l, r planner.Expr) (planner.Expr, planner.Expr, error) {
	lt, rt := l.Type(), r.Type()
	if !types.IsArray(lt) && types.IsArray(rt) && (types.IsUnknown(lt) || lt.ID() == arrow.NULL) {
		l, lt = b.coerce(l, rt), rt
	}
	if !types.IsArray(rt) && types.IsArray(lt) && (types.IsUnknown(rt) || rt.ID() == arrow.NULL) {
		r, rt = b.coerce(r, lt), lt
	}
	if !types.IsArray(lt) || !types.IsArray(rt) {
		return nil, nil, errs.New(errs.UndefinedFunction, "operator does not exist: %s %s %s", types.Name(lt), op, types.Name(rt))
	}
	ct, err := types.Common(lt, rt)
	if err != nil {
		return nil, nil, errs.New(errs.UndefinedFunction, "operator does not exist: %s %s %s", types.Name(lt), op, types.Name(rt))
	}
	if et := types.Elem(ct); et != nil {
		ct = types.ArrayOf(arrayElemCommon(et, types.Elem(lt), types.Elem(rt)))
	}
	return b.coerce(l, ct), b.coerce(r, ct), nil
}

// arrayElemCommon is ct, the common type of the element types ts of an array function's or
// operator's arguments, or numeric without a type modifier when ct is numeric and ts are not
// all one type: PostgreSQL's anycompatible numeric[] keeps each element's own scale
// (array_prepend(0.0, ARRAY[1]) is {0.0,1}), where one numeric(p,s) would round every element
// to s places.
func arrayElemCommon(ct arrow.DataType, ts ...arrow.DataType) arrow.DataType {
	if !types.IsDecimal(ct) {
		return ct
	}
	for _, t := range ts {
		if !arrow.TypeEqual(t, ts[0]) {
			return types.VarNumeric
		}
	}
	return ct
}

// arrayConcat binds || with an array operand: array_cat of two arrays, array_append and
// array_prepend of an array and an element. An untyped literal next to an array is an array.
func (b *binder) arrayConcat(l, r planner.Expr) (planner.Expr, error) {
	lt, rt := l.Type(), r.Type()
	switch {
	case types.IsArray(lt) && types.IsArray(rt),
		types.IsArray(lt) && types.IsUnknown(rt),
		types.IsArray(rt) && types.IsUnknown(lt):
		l, r, err := b.arrayOperands("||", l, r)
		if err != nil {
			return nil, err
		}
		return &planner.Func{Name: "array_cat", Args: []planner.Expr{l, r}, Typ: l.Type()}, nil
	case types.IsArray(lt):
		ct, err := types.Common(types.Elem(lt), rt)
		if err != nil {
			return nil, errs.New(errs.UndefinedFunction, "operator does not exist: %s || %s", types.Name(lt), types.Name(rt))
		}
		ct = arrayElemCommon(ct, types.Elem(lt), rt)
		return &planner.Func{Name: "array_append", Args: []planner.Expr{b.coerce(l, types.ArrayOf(ct)), b.coerce(r, ct)}, Typ: types.ArrayOf(ct)}, nil
	default:
		ct, err := types.Common(lt, types.Elem(rt))
		if err != nil {
			return nil, errs.New(errs.UndefinedFunction, "operator does not exist: %s || %s", types.Name(lt), types.Name(rt))
		}
		ct = arrayElemCommon(ct, lt, types.Elem(rt))
		return &planner.Func{Name: "array_prepend", Args: []planner.Expr{b.coerce(l, ct), b.coerce(r, types.ArrayOf(ct))}, Typ: types.ArrayOf(ct)}, nil
	}
}

// srfContext collects the set-returning unnest calls of a select list: each becomes a list
// of an Unnest node over the query's rows, and the call a reference to its column.
type srfContext struct {
	lists []planner.Expr
	cols  []planner.Column
}

// srfNotAllowed is the error for the set-returning function call fc where the clause being
// bound takes none.
func (b *binder) srfNotAllowed(fc *pg_query.FuncCall) error {
	clause := b.clause
	if clause == "" {
		clause = "this context"
	}
	kind := errs.NotImplemented
	if clause == "GROUP BY" {
		kind = errs.Grouping // as PostgreSQL reports it
	}
	return &errs.Error{Kind: kind, Msg: "set-returning functions are not allowed in " + clause, Position: int(fc.Location) + 1}
}

// unnestCall binds unnest(array) in a select list.
func (b *binder) unnestCall(fc *pg_query.FuncCall, sc *scope, agg *aggContext) (planner.Expr, error) {
	if b.srf == nil {
		return nil, b.srfNotAllowed(fc)
	}
	if len(fc.Args) != 1 {
		return nil, errs.New(errs.NotImplemented, "unnest with several arguments is supported only in FROM")
	}
	srf := b.srf
	b.srf = nil // unnest(unnest(...)) is not supported
	arg, err := b.expr(fc.Args[0], sc, agg)
	b.srf = srf
	if err != nil {
		return nil, err
	}
	if types.IsUnknown(arg.Type()) {
		return nil, errs.New(errs.AmbiguousFunction, "function unnest(unknown) is not unique")
	}
	et := types.Elem(arg.Type())
	if et == nil {
		return nil, errs.New(errs.UndefinedFunction, "function unnest(%s) does not exist", types.Name(arg.Type()))
	}
	c := b.newColumn("unnest", et)
	srf.lists = append(srf.lists, arg)
	srf.cols = append(srf.cols, c)
	if b.constCols == nil {
		b.constCols = map[planner.ColumnID]bool{}
	}
	b.constCols[c.ID] = true
	return ref(c), nil
}

// unnestFrom binds unnest(a1, ...) [WITH ORDINALITY] in FROM over input, whose scope sc the
// arguments may refer to (LATERAL). It returns the Unnest node and the columns it adds.
func (b *binder) unnestFrom(rf *pg_query.RangeFunction, fc *pg_query.FuncCall, input planner.Node, sc *scope) (*planner.Unnest, []planner.Column, error) {
	if len(fc.Args) == 0 {
		return nil, nil, errs.New(errs.UndefinedFunction, "function unnest() does not exist")
	}
	u := &planner.Unnest{Input: input}
	var cols []planner.Column
	for i, a := range fc.Args {
		e, err := b.expr(a, sc, nil)
		if err != nil {
			return nil, nil, err
		}
		et := types.Elem(e.Type())
		if et == nil {
			if types.IsUnknown(e.Type()) && len(fc.Args) == 1 {
				return nil, nil, errs.New(errs.AmbiguousFunction, "function unnest(unknown) is not unique")
			}
			return nil, nil, errs.New(errs.UndefinedFunction, "function unnest(%s) does not exist", types.Name(e.Type()))
		}
		name := "unnest"
		if rf.Alias != nil {
			if i < len(rf.Alias.Colnames) {
				name = rf.Alias.Colnames[i].GetString_().GetSval()
			} else if len(rf.Alias.Colnames) == 0 && len(fc.Args) == 1 {
				name = rf.Alias.Aliasname
			}
		}
		c := b.newColumn(name, et)
		u.Lists = append(u.Lists, e)
		u.Cols = append(u.Cols, c)
		cols = append(cols, c)
	}
	if rf.Ordinality {
		name := "ordinality"
		if rf.Alias != nil && len(rf.Alias.Colnames) > len(fc.Args) {
			name = rf.Alias.Colnames[len(fc.Args)].GetString_().GetSval()
		}
		c := b.newColumn(name, types.Int64)
		u.Ordinality = &c
		cols = append(cols, c)
	}
	if rf.Alias != nil && len(rf.Alias.Colnames) > len(cols) {
		return nil, nil, errs.New(errs.InvalidColumnRef, "table %q has %d columns available but %d columns specified", rf.Alias.Aliasname, len(cols), len(rf.Alias.Colnames))
	}
	return u, cols, nil
}

// subscriptsCall rewrites generate_subscripts(a, dim[, reverse]) as unnest of the array of
// its rows, _pg_subscripts(a, dim[, reverse]).
func subscriptsCall(fc *pg_query.FuncCall) *pg_query.FuncCall {
	inner := &pg_query.FuncCall{Funcname: []*pg_query.Node{pg_query.MakeStrNode("_pg_subscripts")}, Args: fc.Args, Location: fc.Location}
	return &pg_query.FuncCall{Funcname: []*pg_query.Node{pg_query.MakeStrNode("unnest")},
		Args: []*pg_query.Node{{Node: &pg_query.Node_FuncCall{FuncCall: inner}}}, Location: fc.Location}
}

// isUnnestFrom reports whether a FROM item is unnest(...).
func isUnnestFrom(it *pg_query.Node) (*pg_query.RangeFunction, *pg_query.FuncCall, bool) {
	rf := it.GetRangeFunction()
	if rf == nil || rf.IsRowsfrom || len(rf.Functions) != 1 {
		return nil, nil, false
	}
	items := rf.Functions[0].GetList().GetItems()
	if len(items) == 0 || items[0].GetFuncCall() == nil {
		return nil, nil, false
	}
	fc := items[0].GetFuncCall()
	if funcName(fc) == "generate_subscripts" {
		// unnest of the array of its rows, named as PostgreSQL names the function's column.
		if rf.Alias == nil {
			rf.Alias = &pg_query.Alias{Aliasname: "generate_subscripts"}
		}
		return rf, subscriptsCall(fc), true
	}
	if u, ok := jsonSetFunc(rf, fc); ok {
		return rf, u, true
	}
	if u, ok := arraySRFCall(fc); ok && funcName(fc) != "regexp_matches" {
		if rf.Alias == nil {
			rf.Alias = &pg_query.Alias{Aliasname: funcName(fc)}
		}
		return rf, u, true
	}
	if funcName(fc) != "unnest" {
		return nil, nil, false
	}
	return rf, fc, true
}

// arrayForms are the parameter kinds of the polymorphic array functions: a an array, e its
// element, c likewise but resolved to the common type of all the a and c arguments
// (PostgreSQL's anycompatiblearray and anycompatible), and - any other parameter.
var arrayForms = map[string]string{
	"array_cat": "AA", "array_append": "AC", "array_prepend": "CA", "array_position": "AC-",
	"array_positions": "AC", "array_remove": "AC", "array_replace": "ACC", "array_length": "a-", "cardinality": "a", "array_to_string": "a--",
	"array_lower": "a-", "array_upper": "a-",
}

// arrayArgs resolves the arguments of a polymorphic array function in place, as PostgreSQL
// resolves polymorphic parameters: an untyped argument (NULL, a quoted literal) takes the
// type the others give its position (array_cat(ARRAY['a'], NULL) is text[] || text[]), and
// the arguments of the anycompatible kinds (upper case) meet at their common type.
func (b *binder) arrayArgs(name, form string, args []planner.Expr) error {
	untyped := func(e planner.Expr) bool { return types.IsUnknown(e.Type()) || e.Type().ID() == arrow.NULL }
	var et arrow.DataType
	var ts []arrow.DataType
	for i, e := range args {
		if i >= len(form) || untyped(e) {
			continue
		}
		var t arrow.DataType
		switch form[i] {
		case 'a', 'A':
			if t = types.Elem(e.Type()); t == nil {
				return nil // not an array: function resolution reports it
			}
		case 'C':
			t = e.Type()
		default:
			continue
		}
		ts = append(ts, t)
		if et == nil {
			et = t
			continue
		}
		ct, err := types.SelectCommon(et, t)
		if err != nil {
			return nil // no common type: function resolution reports it
		}
		et = ct
	}
	if et == nil {
		return nil
	}
	et = arrayElemCommon(et, ts...)
	for i, e := range args {
		if i >= len(form) {
			continue
		}
		switch form[i] {
		case 'A', 'a':
			if untyped(e) || form[i] == 'A' {
				args[i] = b.coerce(e, types.ArrayOf(et))
			}
		case 'C':
			args[i] = b.coerce(e, et)
		}
	}
	return nil
}
