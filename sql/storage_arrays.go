package sql

import (
	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sleeperd/sleeperd/planner"
	"github.com/sleeperd/sleeperd/types"
)

// storageArrayIn binds text read as time[], uuid[], json[] or jsonb[] (t): an untyped
// literal, or, when explicit, any text (not a parameter), goes through _time_array_in,
// _uuid_array_in, _json_array_in or _jsonb_array_in, since the elements' stored forms (int64,
// binary, text) would read the text as numbers or bytes, or take JSON unchecked. ok is false for other
// conversions.
func (b *binder) storageArrayIn(e planner.Expr, t arrow.DataType, explicit bool) (planner.Expr, bool) {
	et := types.Elem(t)
	if et == nil || !types.IsTime(et) && !types.IsUUID(et) && !types.IsJSON(et) {
		return nil, false
	}
	from := e.Type()
	if !types.IsUnknown(from) && (!explicit || from.ID() != arrow.STRING || types.IsJSON(from) || types.IsUUID(from)) {
		return nil, false
	}
	if _, ok := e.(*planner.Param); ok {
		return nil, false
	}
	arg := relabel(e, types.Text)
	if j, ok := et.(*types.JSON); ok {
		return &planner.Func{Name: "_" + j.Name() + "_array_in", Args: []planner.Expr{arg}, Typ: t}, true
	}
	if types.IsUUID(et) {
		return &planner.Func{Name: "_uuid_array_in", Args: []planner.Expr{arg}, Typ: t}, true
	}
	p, _ := types.TimePrecision(et)
	return &planner.Func{Name: "_time_array_in", Args: []planner.Expr{arg, &planner.Literal{Value: p, Typ: types.Int32}}, Typ: t}, true
}

// timeArrayRound converts e, a time[] of any precision, to t, a time(p)[] (or time[]), rounding
// each element as a cast or assignment to time(p) does; ok is false unless both are arrays of
// time.
func timeArrayRound(e planner.Expr, t arrow.DataType) (planner.Expr, bool) {
	fe, te := types.Elem(e.Type()), types.Elem(t)
	if fe == nil || te == nil || !types.IsTime(fe) || !types.IsTime(te) {
		return nil, false
	}
	p, _ := types.TimePrecision(te)
	q, _ := types.TimePrecision(fe)
	if p < 0 || p >= 6 || (q >= 0 && q <= p) {
		return relabel(e, t), true
	}
	return &planner.Func{Name: "_time_array_round", Args: []planner.Expr{e, &planner.Literal{Value: p, Typ: types.Int32}}, Typ: t}, true
}

// storageArrayOut binds e, a time[], timetz[] or uuid[], converted to text (t) as PostgreSQL's array
// text of the elements' own text, through _time_array_out or _uuid_array_out: the elements'
// stored forms (int64, binary) would print as numbers or bytes. ok is false for other
// conversions.
func storageArrayOut(e planner.Expr, t arrow.DataType) (planner.Expr, bool) {
	et := types.Elem(e.Type())
	if et == nil || t != types.Text || !types.IsTime(et) && !types.IsTimeTZ(et) && !types.IsUUID(et) {
		return nil, false
	}
	if types.IsUUID(et) {
		return &planner.Func{Name: "_uuid_array_out", Args: []planner.Expr{e}, Typ: t}, true
	}
	if types.IsTimeTZ(et) {
		return &planner.Func{Name: "_timetz_array_out", Args: []planner.Expr{e}, Typ: t}, true
	}
	return &planner.Func{Name: "_time_array_out", Args: []planner.Expr{e}, Typ: t}, true
}

// storageArrayText is e, a time[], timetz[] or uuid[], as text[] of the elements' own text (through
// _time_array_text or _uuid_array_text), for the functions that show the elements:
// array_to_string, to_json. Other expressions are returned as they are.
func storageArrayText(e planner.Expr) planner.Expr {
	et := types.Elem(e.Type())
	switch {
	case et == nil:
		return e
	case types.IsUUID(et):
		return &planner.Func{Name: "_uuid_array_text", Args: []planner.Expr{e}, Typ: types.ArrayOf(types.Text)}
	case types.IsTime(et):
		return &planner.Func{Name: "_time_array_text", Args: []planner.Expr{e}, Typ: types.ArrayOf(types.Text)}
	case types.IsTimeTZ(et):
		return &planner.Func{Name: "_timetz_array_text", Args: []planner.Expr{e}, Typ: types.ArrayOf(types.Text)}
	}
	return e
}

// storageArrayArgs rewrites the time[], timetz[] and uuid[] arguments of the functions that show their
// arguments' text: array_to_string's array becomes text[] of the elements' text, and
// concat's, concat_ws's and format's arrays their array text.
func storageArrayArgs(name string, args []planner.Expr) {
	for i, a := range args {
		switch name {
		case "array_to_string":
			if i == 0 {
				args[i] = storageArrayText(a)
			}
		case "concat", "concat_ws", "format":
			if out, ok := storageArrayOut(a, types.Text); ok {
				args[i] = out
			}
		}
	}
}

// typeNames is the comma-separated names of the types of args, as an error names a call.
func typeNames(args []planner.Expr) string {
	var b []byte
	for i, a := range args {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = append(b, types.Name(a.Type())...)
	}
	return string(b)
}
