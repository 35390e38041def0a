package sql

import (
	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sleeperd/sleeperd/planner"
	"github.com/sleeperd/sleeperd/types"
)

// storageArrayIn binds text read as time[] or uuid[] (t): an untyped literal, or, when
// explicit, any text (not a parameter), goes through _time_array_in or _uuid_array_in, since the elements'
// stored forms (int64, binary) would read the text as numbers or bytes. ok is false for other
// conversions.
func (b *binder) storageArrayIn(e planner.Expr, t arrow.DataType, explicit bool) (planner.Expr, bool) {
	et := types.Elem(t)
	if et == nil || !types.IsTime(et) && !types.IsUUID(et) {
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

// storageArrayOut binds e, a time[] or uuid[], converted to text (t) as PostgreSQL's array
// text of the elements' own text, through _time_array_out or _uuid_array_out: the elements'
// stored forms (int64, binary) would print as numbers or bytes. ok is false for other
// conversions.
func storageArrayOut(e planner.Expr, t arrow.DataType) (planner.Expr, bool) {
	et := types.Elem(e.Type())
	if et == nil || t != types.Text || !types.IsTime(et) && !types.IsUUID(et) {
		return nil, false
	}
	if types.IsUUID(et) {
		return &planner.Func{Name: "_uuid_array_out", Args: []planner.Expr{e}, Typ: t}, true
	}
	return &planner.Func{Name: "_time_array_out", Args: []planner.Expr{e}, Typ: t}, true
}
