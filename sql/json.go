package sql

import (
	"github.com/apache/arrow-go/v18/arrow"
	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/planner"
	"github.com/sleeperd/sleeperd/types"
)

// json and jsonb (types.JSON) are held as text: the binder puts the conversions into the plan
// as functions of package exec (_json_in validates, _jsonb_in normalises), picks the function
// of each operator by its operand types, and builds json values from other values as
// to_json does (jsonFrag).

// jsonCoerce converts e to t, json or jsonb: a literal at bind time, other values by
// _json_in or _jsonb_in; ok is false when e's type has no implicit or assignment cast to t.
func jsonCoerce(e planner.Expr, t arrow.DataType) (planner.Expr, bool, error) {
	from := e.Type()
	if p, ok := e.(*planner.Param); ok && (types.IsJSON(from) || types.IsUnknown(from) || from.ID() == arrow.STRING) {
		// A parameter's value arrives as the client's text, whatever type it is declared
		// as: it is checked and normalised when the statement runs.
		if types.IsUnknown(from) {
			e = &planner.Param{Index: p.Index, Typ: t}
		}
		fn := "_json_in"
		if types.IsJSONB(t) {
			fn = "_jsonb_in"
		}
		return &planner.Func{Name: fn, Args: []planner.Expr{relabel(e, types.Text)}, Typ: t}, true, nil
	}
	switch {
	case types.IsJSON(from):
		if types.IsJSONB(t) && !types.IsJSONB(from) {
			return &planner.Func{Name: "_jsonb_in", Args: []planner.Expr{e}, Typ: t}, true, nil
		}
		return relabel(e, t), true, nil
	case from.ID() == arrow.NULL:
		return &planner.Literal{Typ: t}, true, nil
	case from.ID() != arrow.STRING:
		return nil, false, nil
	}
	if l, ok := e.(*planner.Literal); ok {
		if l.Value == nil {
			return &planner.Literal{Typ: t}, true, nil
		}
		s := l.Value.(string)
		if types.IsJSONB(t) {
			n, err := types.JSONBNormalize(s)
			if err != nil {
				return nil, true, err
			}
			return &planner.Literal{Value: n, Typ: t}, true, nil
		}
		if _, err := types.ParseJSON(s, "json"); err != nil {
			return nil, true, err
		}
		return &planner.Literal{Value: s, Typ: t}, true, nil
	}
	if p, ok := e.(*planner.Param); ok && types.IsUnknown(p.Typ) {
		e = &planner.Param{Index: p.Index, Typ: t}
	}
	fn := "_json_in"
	if types.IsJSONB(t) {
		fn = "_jsonb_in"
	}
	return &planner.Func{Name: fn, Args: []planner.Expr{e}, Typ: t}, true, nil
}

// relabel is e, whose values are already those of t, as a value of t.
func relabel(e planner.Expr, t arrow.DataType) planner.Expr {
	if l, ok := e.(*planner.Literal); ok {
		return &planner.Literal{Value: l.Value, Typ: t}
	}
	return &planner.Cast{E: e, To: t}
}

// mapJSON is the jsonb text of the map e, as a map column is shown.
func mapJSON(e planner.Expr) planner.Expr {
	return &planner.Func{Name: "_json_map", Args: []planner.Expr{e}, Typ: types.Text}
}

// jsonCast binds e::t where e or t is json or jsonb: from and to text types, between json
// and jsonb, and jsonb to the number types and boolean, as PostgreSQL's casts allow.
func (b *binder) jsonCast(e planner.Expr, t arrow.DataType) (planner.Expr, error) {
	from := e.Type()
	if p, ok := e.(*planner.Param); ok && types.IsUnknown(p.Typ) && types.IsJSON(t) {
		b.setParam(p.Index, t)
	}
	if types.IsJSON(t) {
		if from.ID() == arrow.MAP {
			return relabel(mapJSON(e), t), nil
		}
		if out, ok, err := jsonCoerce(e, t); ok || err != nil {
			return out, err
		}
		return nil, errs.New(errs.CannotCoerce, "cannot cast type %s to %s", types.Name(from), types.Name(t))
	}
	// From json or jsonb.
	switch {
	case t.ID() == arrow.STRING:
		if _, ok := types.CharLength(t); ok {
			return b.charCast(relabel(e, types.Text), t, true), nil
		}
		return relabel(e, t), nil
	case types.IsJSONB(from) && t.ID() == arrow.BOOL:
		return &planner.Func{Name: "_jsonb_bool", Args: []planner.Expr{e}, Typ: types.Bool}, nil
	case types.IsJSONB(from) && types.IsNumeric(t):
		num := &planner.Func{Name: "_jsonb_number", Args: []planner.Expr{e, &planner.Literal{Value: types.Name(t), Typ: types.Text}}, Typ: types.Text}
		if types.IsVarNumeric(t) {
			if c := numericCast(num); c != nil {
				return c, nil
			}
		}
		if types.IsInteger(t) {
			// jsonb's numbers are numeric: 1.5::jsonb::int rounds.
			return &planner.Cast{E: &planner.Cast{E: num, To: types.Numeric(38, 10)}, To: t}, nil
		}
		return &planner.Cast{E: num, To: t}, nil
	}
	return nil, errs.New(errs.CannotCoerce, "cannot cast type %s to %s", types.Name(from), types.Name(t))
}

// jsonOp binds the json and jsonb operators -> ->> #> #>> @> <@ ? ?| ?& || - #- when an
// operand is json or jsonb; ok is false for other operators and operands.
func (b *binder) jsonOp(a *pg_query.A_Expr, op string, sc *scope, agg *aggContext) (planner.Expr, bool, error) {
	if a.Kind != pg_query.A_Expr_Kind_AEXPR_OP || a.Lexpr == nil {
		return nil, false, nil
	}
	switch op {
	case "->", "->>", "#>", "#>>", "?", "?|", "?&", "#-":
	default:
		// @> <@ || - and the comparisons with a json operand are bound by jsonBinary once
		// the binder's own path has bound the operands.
		return nil, false, nil
	}
	l, r, err := b.operands(a, sc, agg)
	if err != nil {
		return nil, true, err
	}
	return b.jsonBinary(op, l, r)
}

// jsonBinary binds the json operator op over bound operands; ok is false when neither operand
// is json or jsonb.
func (b *binder) jsonBinary(op string, l, r planner.Expr) (planner.Expr, bool, error) {
	var err error
	if !isComparison(op) {
		// A map (shown as jsonb) is the jsonb object it is shown as for the jsonb operators.
		if l.Type().ID() == arrow.MAP {
			l = relabel(mapJSON(l), types.JSONBType)
		}
		if r.Type().ID() == arrow.MAP {
			r = relabel(mapJSON(r), types.JSONBType)
		}
	}
	lt, rt := l.Type(), r.Type()
	if !types.IsJSON(lt) && !types.IsJSON(rt) {
		switch op {
		case "->", "->>", "#>", "#>>", "?", "?|", "?&", "#-":
			return nil, true, opMissing(op, lt, rt)
		}
		return nil, false, nil
	}
	if !types.IsJSON(lt) {
		// unknown @> jsonb and the like: the untyped side takes the other's type.
		if !types.IsUnknown(lt) && lt.ID() != arrow.NULL {
			return nil, true, opMissing(op, lt, rt)
		}
		if l, _, err = jsonCoerce(l, rt); err != nil {
			return nil, true, err
		}
		lt = rt
	}
	fn := func(name string, res arrow.DataType, args ...planner.Expr) (planner.Expr, bool, error) {
		for i, x := range args {
			if types.IsJSON(x.Type()) {
				args[i] = relabel(x, types.Text)
			}
		}
		return &planner.Func{Name: name, Args: args, Typ: res}, true, nil
	}
	prefix := "json"
	if types.IsJSONB(lt) {
		prefix = "jsonb"
	}
	switch op {
	case "->", "->>":
		suffix := ""
		res := lt
		if op == "->>" {
			suffix, res = "_text", types.Text
		}
		if types.IsInteger(rt) {
			return fn(prefix+"_array_element"+suffix, res, l, b.coerce(r, types.Int64))
		}
		if textLike(rt) && !types.IsJSON(rt) {
			return fn(prefix+"_object_field"+suffix, res, l, b.coerce(r, types.Text))
		}
	case "#>", "#>>":
		res := lt
		name := "_json_path"
		if op == "#>>" {
			res, name = types.Text, "_json_path_text"
		}
		if arr, ok := b.textArrayOperand(r); ok {
			return fn(name, res, l, arr)
		}
	}
	if !types.IsJSONB(lt) {
		return nil, true, opMissing(op, lt, rt)
	}
	switch op {
	case "?":
		if textLike(rt) && !types.IsJSON(rt) {
			return fn("jsonb_exists", types.Bool, l, b.coerce(r, types.Text))
		}
	case "?|", "?&":
		if arr, ok := b.textArrayOperand(r); ok {
			name := map[string]string{"?|": "jsonb_exists_any", "?&": "jsonb_exists_all"}[op]
			return fn(name, types.Bool, l, arr)
		}
	case "#-":
		if arr, ok := b.textArrayOperand(r); ok {
			return fn("jsonb_delete_path", lt, l, arr)
		}
	case "-":
		switch {
		case types.IsInteger(rt):
			return fn("_jsonb_delete_index", lt, l, b.coerce(r, types.Int64))
		case types.IsArray(rt):
			if arr, ok := b.textArrayOperand(r); ok {
				return fn("_jsonb_delete_keys", lt, l, arr)
			}
		case textLike(rt) && !types.IsJSON(rt):
			return fn("jsonb_delete", lt, l, b.coerce(r, types.Text))
		}
	case "@>", "<@", "||", "=", "<>", "!=", "<", "<=", ">", ">=":
		if !types.IsJSONB(rt) {
			if !types.IsUnknown(rt) && rt.ID() != arrow.NULL {
				return nil, true, opMissing(op, lt, rt)
			}
			if r, _, err = jsonCoerce(r, lt); err != nil {
				return nil, true, err
			}
		}
		switch op {
		case "@>":
			return fn("jsonb_contains", types.Bool, l, r)
		case "<@":
			return fn("jsonb_contained", types.Bool, l, r)
		case "||":
			return fn("jsonb_concat", lt, l, r)
		}
		// Comparisons: jsonb values compare in PostgreSQL's jsonb order, through their sort
		// keys (types.AppendJSONBSortKey).
		key := func(x planner.Expr) planner.Expr {
			return &planner.Func{Name: "_jsonb_sortkey", Args: []planner.Expr{relabel(x, types.Text)}, Typ: types.Bytea}
		}
		e, err := b.binary(binaryOps[op], key(l), key(r))
		return e, true, err
	}
	return nil, true, opMissing(op, lt, rt)
}

// isComparison reports whether op is one of the comparison operators.
func isComparison(op string) bool {
	switch op {
	case "=", "<>", "!=", "<", "<=", ">", ">=":
		return true
	}
	return false
}

func opMissing(op string, l, r arrow.DataType) error {
	return errs.New(errs.UndefinedFunction, "operator does not exist: %s %s %s", types.Name(l), op, types.Name(r))
}

// textArrayOperand is e as text[]: an untyped literal read as an array, or a text array.
func (b *binder) textArrayOperand(e planner.Expr) (planner.Expr, bool) {
	t := e.Type()
	if types.IsUnknown(t) || t.ID() == arrow.NULL {
		return b.coerce(e, types.ArrayOf(types.Text)), true
	}
	if el := types.Elem(t); el != nil && el.ID() == arrow.STRING {
		return e, true
	}
	return nil, false
}

// jsonFrag is the JSON text of e's value as to_json converts it (numbers and booleans bare,
// json as it is, arrays as JSON arrays, everything else as a JSON string of its text), NULL
// for NULL. compact arrays are written without spaces (json), else as jsonb writes them.
func (b *binder) jsonFrag(e planner.Expr, compact bool) planner.Expr {
	t := e.Type()
	txt := types.Text
	switch {
	case types.IsJSON(t):
		return relabel(e, txt)
	case t.ID() == arrow.NULL:
		return &planner.Literal{Typ: txt}
	case types.IsInteger(t), types.IsDecimal(t), t.ID() == arrow.BOOL:
		return b.coerce(e, txt)
	case t.ID() == arrow.FLOAT32 || t.ID() == arrow.FLOAT64:
		return &planner.Func{Name: "_json_float", Args: []planner.Expr{b.coerce(e, types.Float64)}, Typ: txt}
	case t.ID() == arrow.TIMESTAMP || t.ID() == arrow.DATE32:
		return &planner.Func{Name: "_json_datetime", Args: []planner.Expr{b.coerce(e, txt)}, Typ: txt}
	case types.IsTime(t):
		return &planner.Func{Name: "_json_quote", Args: []planner.Expr{&planner.Func{Name: "_time_out", Args: []planner.Expr{e}, Typ: txt}}, Typ: txt}
	case types.IsJSON(types.Elem(t)):
		// json[] and jsonb[]: the elements are JSON already.
		return &planner.Func{Name: "_json_list_raw", Args: []planner.Expr{e, &planner.Literal{Value: !compact, Typ: types.Bool}}, Typ: txt}
	case types.IsArray(t):
		return &planner.Func{Name: "_json_list", Args: []planner.Expr{storageArrayText(e), &planner.Literal{Value: !compact, Typ: types.Bool}}, Typ: txt}
	case t.ID() == arrow.MAP:
		return mapJSON(e)
	case t.ID() == arrow.STRUCT:
		return b.recordJSON(e, t.(*arrow.StructType), compact)
	}
	return &planner.Func{Name: "_json_quote", Args: []planner.Expr{b.coerce(e, txt)}, Typ: txt}
}

// jsonFunc binds the json functions whose arguments may be of any type: to_json, to_jsonb,
// json(b)_build_object, json(b)_build_array, and the helpers of the json aggregates
// (jsonAggregate). ok is false for other names.
func (b *binder) jsonFunc(name string, fc *pg_query.FuncCall, sc *scope, agg *aggContext) (planner.Expr, bool, error) {
	switch name {
	case "to_json", "to_jsonb", "row_to_json", "array_to_json", "json_build_object", "jsonb_build_object", "json_build_array", "jsonb_build_array",
		"_json_frag", "_jsonb_frag", "_json_pair", "_json_agg_finish", "_jsonb_agg_finish", "_json_object_agg_finish", "_jsonb_object_agg_finish":
	default:
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
	jsonOf := func(e planner.Expr, compact bool) planner.Expr {
		if types.IsUnknown(e.Type()) {
			e = b.coerce(e, types.Text)
		}
		return b.jsonFrag(e, compact)
	}
	orNull := func(e planner.Expr) planner.Expr {
		return &planner.Coalesce{Args: []planner.Expr{e, &planner.Literal{Value: "null", Typ: types.Text}}, Typ: types.Text}
	}
	lit := func(s string) planner.Expr { return &planner.Literal{Value: s, Typ: types.Text} }
	concat := func(parts ...planner.Expr) planner.Expr {
		out := parts[0]
		for _, p := range parts[1:] {
			out = &planner.Binary{Op: planner.OpConcat, L: out, R: p, Typ: types.Text}
		}
		return out
	}
	one := func() error {
		if len(args) != 1 {
			return errs.New(errs.UndefinedFunction, "function %s with %d arguments does not exist", name, len(args))
		}
		return nil
	}
	if len(args) == 0 {
		switch name {
		case "json_build_object", "jsonb_build_object", "json_build_array", "jsonb_build_array":
			t, v := types.JSONType, "{}"
			if name[0:5] == "jsonb" {
				t = types.JSONBType
			}
			if name[len(name)-5:] == "array" {
				v = "[]"
			}
			return &planner.Literal{Value: v, Typ: t}, true, nil
		}
	}
	switch name {
	case "row_to_json":
		if len(args) != 1 || args[0].Type().ID() != arrow.STRUCT {
			return nil, true, errs.New(errs.UndefinedFunction, "function row_to_json(%s) does not exist", typeNames(args))
		}
		return relabel(jsonOf(args[0], true), types.JSONType), true, nil
	case "to_json":
		if err := one(); err != nil {
			return nil, true, err
		}
		return relabel(jsonOf(args[0], true), types.JSONType), true, nil
	case "array_to_json":
		// array_to_json(a [, pretty]): a's JSON as to_json writes it, pretty putting a line
		// break between the top level's elements.
		if len(args) == 0 || len(args) > 2 || !types.IsArray(args[0].Type()) && args[0].Type().ID() != arrow.NULL {
			return nil, true, errs.New(errs.UndefinedFunction, "function array_to_json(%s) does not exist", typeNames(args))
		}
		if args[0].Type().ID() == arrow.NULL {
			return nil, true, errs.New(errs.DatatypeMismatch, "could not determine polymorphic type because input has type unknown")
		}
		if len(args) == 1 {
			return relabel(jsonOf(args[0], true), types.JSONType), true, nil
		}
		pretty := b.coerce(args[1], types.Bool)
		if pretty.Type().ID() != arrow.BOOL {
			return nil, true, errs.New(errs.UndefinedFunction, "function array_to_json(%s) does not exist", typeNames(args))
		}
		sep := &planner.Case{Whens: []planner.Expr{pretty}, Thens: []planner.Expr{lit(",\n ")}, Else: lit(","), Typ: types.Text}
		list := &planner.Func{Name: "_json_list", Args: []planner.Expr{storageArrayText(args[0]), sep}, Typ: types.Text}
		return relabel(list, types.JSONType), true, nil
	case "to_jsonb":
		if err := one(); err != nil {
			return nil, true, err
		}
		return &planner.Func{Name: "_jsonb_in", Args: []planner.Expr{jsonOf(args[0], false)}, Typ: types.JSONBType}, true, nil
	case "json_build_object", "jsonb_build_object":
		if len(args)%2 != 0 {
			return nil, true, errs.New(errs.InvalidParameter, "argument list must have even number of elements")
		}
		parts := make([]planner.Expr, len(args))
		for i, e := range args {
			if i%2 == 0 {
				if l, ok := e.(*planner.Literal); ok && l.Value == nil {
					return nil, true, errs.New(errs.InvalidParameter, "argument %d: key must not be null", i+1)
				}
				parts[i] = b.coerce(e, types.Text)
				if types.IsJSON(e.Type()) {
					parts[i] = relabel(e, types.Text)
				}
				continue
			}
			parts[i] = orNull(jsonOf(e, name == "json_build_object"))
		}
		t := types.JSONType
		if name == "jsonb_build_object" {
			t = types.JSONBType
		}
		return &planner.Func{Name: "_" + name, Args: parts, Typ: t}, true, nil
	case "json_build_array", "jsonb_build_array":
		parts := make([]planner.Expr, len(args))
		for i, e := range args {
			parts[i] = orNull(jsonOf(e, name == "json_build_array"))
		}
		t := types.JSONType
		if name == "jsonb_build_array" {
			t = types.JSONBType
		}
		return &planner.Func{Name: "_" + name, Args: parts, Typ: t}, true, nil
	case "_json_frag", "_jsonb_frag":
		if t := args[0].Type(); name == "_json_frag" && (t.ID() == arrow.STRUCT || types.IsArray(t)) {
			// json_agg puts a line break before each record or array but the first
			// (_json_agg_finish drops the first's).
			return orNull(concat(lit("\n "), jsonOf(args[0], true))), true, nil
		}
		return orNull(jsonOf(args[0], name == "_json_frag")), true, nil
	case "_json_pair":
		key := b.coerce(args[0], types.Text)
		if types.IsJSON(args[0].Type()) {
			key = relabel(args[0], types.Text)
		}
		return concat(&planner.Func{Name: "_json_quote", Args: []planner.Expr{key}, Typ: types.Text}, lit(" : "), orNull(jsonOf(args[1], true))), true, nil
	case "_json_agg_finish":
		// No JSON text starts with white space: what ltrim drops is the line break
		// _json_frag put before a first record or array.
		first := &planner.Func{Name: "ltrim", Args: []planner.Expr{args[0], lit("\n ")}, Typ: types.Text}
		return relabel(concat(lit("["), first, lit("]")), types.JSONType), true, nil
	case "_jsonb_agg_finish":
		return &planner.Func{Name: "_jsonb_in", Args: []planner.Expr{concat(lit("["), args[0], lit("]"))}, Typ: types.JSONBType}, true, nil
	case "_json_object_agg_finish":
		return relabel(concat(lit("{ "), args[0], lit(" }")), types.JSONType), true, nil
	case "_jsonb_object_agg_finish":
		return &planner.Func{Name: "_jsonb_in", Args: []planner.Expr{concat(lit("{"), args[0], lit("}"))}, Typ: types.JSONBType}, true, nil
	}
	return nil, false, nil
}

// jsonAggregates are the json aggregates, bound as string_agg over each value's JSON text.
var jsonAggregates = map[string]bool{"json_agg": true, "jsonb_agg": true, "json_object_agg": true, "jsonb_object_agg": true}

// jsonAggregate rewrites a call of a json aggregate: jsonb_agg(x ORDER BY y) is
// _jsonb_agg_finish(string_agg(_jsonb_frag(x), ',' ORDER BY y)), which is NULL over no rows.
func jsonAggregate(fc *pg_query.FuncCall, name string) (*pg_query.Node, error) {
	fname := func(s string) []*pg_query.Node { return []*pg_query.Node{pg_query.MakeStrNode(s)} }
	call := func(n string, args ...*pg_query.Node) *pg_query.Node {
		return &pg_query.Node{Node: &pg_query.Node_FuncCall{FuncCall: &pg_query.FuncCall{Funcname: fname(n), Args: args, Location: fc.Location}}}
	}
	var item *pg_query.Node
	sep := ", "
	switch name {
	case "json_agg", "jsonb_agg":
		if len(fc.Args) != 1 {
			return nil, errs.New(errs.UndefinedFunction, "function %s with %d arguments does not exist", name, len(fc.Args))
		}
		frag := "_json_frag"
		if name == "jsonb_agg" {
			frag, sep = "_jsonb_frag", ","
		}
		item = call(frag, fc.Args[0])
	default:
		if len(fc.Args) != 2 {
			return nil, errs.New(errs.UndefinedFunction, "function %s with %d arguments does not exist", name, len(fc.Args))
		}
		item = call("_json_pair", fc.Args[0], fc.Args[1])
	}
	agg := &pg_query.FuncCall{Funcname: fname("string_agg"), Args: []*pg_query.Node{item, pg_query.MakeAConstStrNode(sep, -1)},
		AggOrder: fc.AggOrder, AggFilter: fc.AggFilter, AggDistinct: fc.AggDistinct, Location: fc.Location}
	return call("_"+name+"_finish", &pg_query.Node{Node: &pg_query.Node_FuncCall{FuncCall: agg}}), nil
}

// jsonCoerceLazy is jsonCoerce for callers without an error path: a literal that is not
// valid JSON is converted when the statement runs, which reports the error.
func jsonCoerceLazy(e planner.Expr, t arrow.DataType) (planner.Expr, bool) {
	out, ok, err := jsonCoerce(e, t)
	if err != nil {
		fn := "_json_in"
		if types.IsJSONB(t) {
			fn = "_jsonb_in"
		}
		return &planner.Func{Name: fn, Args: []planner.Expr{relabel(e, types.Text)}, Typ: t}, true
	}
	return out, ok
}

// jsonAssign converts e to a column's type t as INSERT and UPDATE do when either is json or
// jsonb: untyped literals and json values to json and jsonb, json and jsonb to text types.
func (b *binder) jsonAssign(e planner.Expr, t arrow.DataType) (planner.Expr, error) {
	from := e.Type()
	if p, ok := e.(*planner.Param); ok && types.IsUnknown(p.Typ) && types.IsJSON(t) {
		b.setParam(p.Index, t)
	}
	if types.IsJSON(t) && (types.IsJSON(from) || types.IsUnknown(from) || from.ID() == arrow.NULL) {
		out, _, err := jsonCoerce(e, t)
		return out, err
	}
	if types.IsJSON(from) && t.ID() == arrow.STRING {
		return b.jsonCast(e, t)
	}
	return nil, errs.New(errs.DatatypeMismatch, "column is of type %s but expression is of type %s", types.Name(t), types.Name(from))
}

// jsonParam kinds of jsonSignatures.
const (
	jpJSON  = iota // json or jsonb, as the function's family
	jpText         // text
	jpTexts        // text[]
	jpBool         // boolean
	jpInt          // integer
)

// jsonSig is a json function's parameters and result: jsonb for the jsonb family, json for
// the json family, or a fixed type.
type jsonSig struct {
	params   []int
	opt      int // trailing parameters that may be left out
	variadic bool
	result   arrow.DataType // nil: the family's type
	list     bool           // the result is an array of the family's type
}

// jsonSignatures are the json functions whose arguments the binder types (untyped literals
// become json, jsonb or text[] as the parameter is) before exec evaluates them on text.
var jsonSignatures = map[string]jsonSig{
	"typeof":            {params: []int{jpJSON}, result: types.Text},
	"array_length":      {params: []int{jpJSON}, result: types.Int32},
	"strip_nulls":       {params: []int{jpJSON}},
	"pretty":            {params: []int{jpJSON}, result: types.Text},
	"set":               {params: []int{jpJSON, jpTexts, jpJSON, jpBool}, opt: 1},
	"extract_path":      {params: []int{jpJSON, jpText}, variadic: true},
	"extract_path_text": {params: []int{jpJSON, jpText}, variadic: true, result: types.Text},
	"object_field":      {params: []int{jpJSON, jpText}},
	"object_field_text": {params: []int{jpJSON, jpText}, result: types.Text},
	"array_element":     {params: []int{jpJSON, jpInt}},
	"contains":          {params: []int{jpJSON, jpJSON}, result: types.Bool},
	"contained":         {params: []int{jpJSON, jpJSON}, result: types.Bool},
	"exists":            {params: []int{jpJSON, jpText}, result: types.Bool},
	"exists_any":        {params: []int{jpJSON, jpTexts}, result: types.Bool},
	"exists_all":        {params: []int{jpJSON, jpTexts}, result: types.Bool},
	"concat":            {params: []int{jpJSON, jpJSON}},
	"delete":            {params: []int{jpJSON, jpText}},
	"delete_path":       {params: []int{jpJSON, jpTexts}},
	// The lists the set-returning functions unnest (jsonSetFunc).
	"elements_list":       {params: []int{jpJSON}, list: true},
	"elements_text_list":  {params: []int{jpJSON}, result: types.ArrayOf(types.Text)},
	"keys_list":           {params: []int{jpJSON}, result: types.ArrayOf(types.Text)},
	"each_keys_list":      {params: []int{jpJSON}, result: types.ArrayOf(types.Text)},
	"each_text_keys_list": {params: []int{jpJSON}, result: types.ArrayOf(types.Text)},
	"values_list":         {params: []int{jpJSON}, list: true},
	"values_text_list":    {params: []int{jpJSON}, result: types.ArrayOf(types.Text)},
	// Simple SQL/JSON paths (exec's parseJSONPath), the path as text.
	"path_exists":      {params: []int{jpJSON, jpText}, result: types.Bool},
	"path_query_first": {params: []int{jpJSON, jpText}},
	"path_query_array": {params: []int{jpJSON, jpText}},
	"path_query_list":  {params: []int{jpJSON, jpText}, list: true},
}

// jsonOnlyB are the functions of jsonSignatures that only the jsonb family has.
var jsonOnlyB = map[string]bool{"pretty": true, "set": true, "contains": true, "contained": true, "exists": true,
	"exists_any": true, "exists_all": true, "concat": true, "delete": true, "delete_path": true,
	"path_exists": true, "path_query_first": true, "path_query_array": true, "path_query_list": true}

// jsonTypedCall binds a call of a function of jsonSignatures; ok is false for other names.
func (b *binder) jsonTypedCall(name string, fc *pg_query.FuncCall, sc *scope, agg *aggContext) (planner.Expr, bool, error) {
	var family arrow.DataType
	var base string
	switch {
	case len(name) > 6 && name[:6] == "jsonb_":
		family, base = types.JSONBType, name[6:]
	case len(name) > 5 && name[:5] == "json_":
		family, base = types.JSONType, name[5:]
		if jsonOnlyB[base] {
			return nil, false, nil
		}
	default:
		return nil, false, nil
	}
	sig, ok := jsonSignatures[base]
	if !ok {
		return nil, false, nil
	}
	n := len(fc.Args)
	if n > len(sig.params) && !sig.variadic || n < len(sig.params)-sig.opt {
		return nil, true, errs.New(errs.UndefinedFunction, "function %s with %d arguments does not exist", name, n)
	}
	args := make([]planner.Expr, n)
	for i, a := range fc.Args {
		e, err := b.expr(a, sc, agg)
		if err != nil {
			return nil, true, err
		}
		p := sig.params[min(i, len(sig.params)-1)]
		t := e.Type()
		bad := false
		switch p {
		case jpJSON:
			if t.ID() == arrow.MAP && types.IsJSONB(family) {
				// A map is shown as jsonb, and the jsonb functions take it as that jsonb.
				e, t = relabel(mapJSON(e), types.JSONBType), types.JSONBType
			}
			if !types.IsJSON(t) && !types.IsUnknown(t) && t.ID() != arrow.NULL {
				bad = true
				break
			}
			if e, _, err = jsonCoerce(e, family); err != nil {
				return nil, true, err
			}
			e = relabel(e, types.Text)
		case jpText:
			bad = !textLike(t) || types.IsJSON(t)
			e = b.coerce(e, types.Text)
		case jpTexts:
			var ok bool
			e, ok = b.textArrayOperand(e)
			bad = !ok
		case jpBool:
			bad = t.ID() != arrow.BOOL && !types.IsUnknown(t) && t.ID() != arrow.NULL
			e = b.coerce(e, types.Bool)
		case jpInt:
			bad = !types.IsInteger(t) && !types.IsUnknown(t) && t.ID() != arrow.NULL
			e = b.coerce(e, types.Int64)
		}
		if bad {
			return nil, true, &errs.Error{Kind: errs.UndefinedFunction, Msg: "function " + name + " does not exist for an argument of type " + types.Name(t), Position: int(fc.Location) + 1}
		}
		args[i] = e
	}
	res := sig.result
	if res == nil {
		res = family
	}
	if sig.list {
		res = types.ArrayOf(family)
	}
	return &planner.Func{Name: name, Args: args, Typ: res}, true, nil
}

// jsonSetFuncs are the set-returning json functions: the lists they unnest and the names of
// the columns they return.
var jsonSetFuncs = map[string]struct {
	lists []string
	cols  []string
}{
	"json_array_elements":       {[]string{"json_elements_list"}, []string{"value"}},
	"jsonb_array_elements":      {[]string{"jsonb_elements_list"}, []string{"value"}},
	"json_array_elements_text":  {[]string{"json_elements_text_list"}, []string{"value"}},
	"jsonb_array_elements_text": {[]string{"jsonb_elements_text_list"}, []string{"value"}},
	"json_each":                 {[]string{"json_each_keys_list", "json_values_list"}, []string{"key", "value"}},
	"jsonb_each":                {[]string{"jsonb_each_keys_list", "jsonb_values_list"}, []string{"key", "value"}},
	"json_each_text":            {[]string{"json_each_text_keys_list", "json_values_text_list"}, []string{"key", "value"}},
	"jsonb_each_text":           {[]string{"jsonb_each_text_keys_list", "jsonb_values_text_list"}, []string{"key", "value"}},
	"jsonb_path_query":          {[]string{"jsonb_path_query_list"}, []string{"jsonb_path_query"}},
	"json_object_keys":          {[]string{"json_keys_list"}, []string{"json_object_keys"}},
	"jsonb_object_keys":         {[]string{"jsonb_keys_list"}, []string{"jsonb_object_keys"}},
}

// jsonSetFunc rewrites a set-returning json function as unnest of the lists of its rows:
// jsonb_each(j) is unnest(jsonb_keys_list(j), jsonb_values_list(j)) with columns key and
// value. In FROM, rf gets the function's name and column names as its alias where it has
// none. ok is false for other functions.
func jsonSetFunc(rf *pg_query.RangeFunction, fc *pg_query.FuncCall) (*pg_query.FuncCall, bool) {
	name := funcName(fc)
	f, ok := jsonSetFuncs[name]
	want := 1
	if name == "jsonb_path_query" {
		want = 2 // the value and the path
	}
	if !ok || len(fc.Args) != want {
		return nil, false
	}
	var args []*pg_query.Node
	for _, l := range f.lists {
		args = append(args, &pg_query.Node{Node: &pg_query.Node_FuncCall{FuncCall: &pg_query.FuncCall{
			Funcname: []*pg_query.Node{pg_query.MakeStrNode(l)}, Args: fc.Args, Location: fc.Location}}})
	}
	if rf != nil {
		cols := f.cols
		if rf.Alias == nil {
			rf.Alias = &pg_query.Alias{Aliasname: name}
		} else if len(cols) == 1 {
			// A function of one column named by an alias names its column so too.
			cols = []string{rf.Alias.Aliasname}
		}
		if len(rf.Alias.Colnames) == 0 {
			for _, c := range cols {
				rf.Alias.Colnames = append(rf.Alias.Colnames, pg_query.MakeStrNode(c))
			}
		}
	}
	return &pg_query.FuncCall{Funcname: []*pg_query.Node{pg_query.MakeStrNode("unnest")}, Args: args, Location: fc.Location}, true
}
