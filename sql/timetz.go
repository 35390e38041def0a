package sql

import (
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/planner"
	"github.com/sleeperd/sleeperd/types"
)

// timetz (types.TimeTZ) is held as a packed int64 (types.PackTimeTZ). As for time, every
// conversion to and from it is bound here to the timetz functions of package function
// (function/timetz.go), and the operators over it to theirs; comparisons go the common way
// (types.Common), the packing ordering values as PostgreSQL orders them.

// timetzCoerce converts e to t where one of them is timetz, with PostgreSQL's casts: time
// to timetz implicitly, timetz to time and timestamptz to timetz as assignments, text to
// and from timetz explicitly (untyped literals implicitly); ok is false for conversions that
// do not exist in the context.
func timetzCoerce(e planner.Expr, t arrow.DataType, ctx timeConv) (planner.Expr, bool, error) {
	from := e.Type()
	p, toTZ := types.TimeTZPrecision(t)
	round := func(e planner.Expr, already int32) planner.Expr {
		if p >= 0 && p < 6 && (already < 0 || already > p) {
			return &planner.Func{Name: "_timetz_round", Args: []planner.Expr{e, &planner.Literal{Value: p, Typ: types.Int32}}, Typ: t}
		}
		return relabel(e, t)
	}
	fn := func(name string, e planner.Expr, typ arrow.DataType) planner.Expr {
		return &planner.Func{Name: name, Args: []planner.Expr{e}, Typ: typ}
	}
	switch {
	case toTZ && types.IsTimeTZ(from):
		q, _ := types.TimeTZPrecision(from)
		if _, ok := e.(*planner.Param); ok {
			q = -1
		}
		return round(e, q), true, nil
	case toTZ:
		if from.ID() == arrow.NULL {
			return &planner.Literal{Typ: t}, true, nil
		}
		if l, ok := e.(*planner.Literal); ok && types.IsUnknown(from) {
			if l.Value == nil {
				return &planner.Literal{Typ: t}, true, nil
			}
			// Checked now for its syntax; the value depends on the session's zone and day.
			if _, err := types.ParseTimeTZText(l.Value.(string)); err != nil {
				return nil, true, err
			}
		}
		if prm, ok := e.(*planner.Param); ok && types.IsUnknown(prm.Typ) {
			return round(&planner.Param{Index: prm.Index, Typ: types.TimeTZType}, -1), true, nil
		}
		switch {
		case from.ID() == arrow.STRING && (ctx == timeExplicit || types.IsUnknown(from)):
			return round(fn("_timetz_in", relabel(e, types.Text), types.TimeTZType), -1), true, nil
		case types.IsTime(from):
			q, _ := types.TimePrecision(from)
			return round(fn("_timetz_from_time", e, types.TimeTZType), q), true, nil
		case from.ID() == arrow.TIMESTAMP && types.PGTypeOf(from).OID == types.OIDTimestamptz && ctx >= timeAssignment:
			return round(fn("_timetz_from_timestamptz", e, types.TimeTZType), -1), true, nil
		}
	case types.IsTimeTZ(from) && types.IsTime(t) && ctx >= timeAssignment:
		tp, _ := types.TimePrecision(t)
		out := fn("_timetz_to_time", e, types.TimeType)
		if tp >= 0 && tp < 6 {
			return &planner.Func{Name: "_time_round", Args: []planner.Expr{out, &planner.Literal{Value: tp, Typ: types.Int32}}, Typ: t}, true, nil
		}
		return relabel(out, t), true, nil
	case types.IsTimeTZ(from) && t.ID() == arrow.STRING && !types.IsUnknown(t) && ctx >= timeAssignment:
		out := fn("_timetz_out", e, types.Text)
		if !arrow.TypeEqual(t, types.Text) || types.IsVarchar(t) || types.IsBpchar(t) {
			return &planner.Cast{E: out, To: t}, true, nil
		}
		return out, true, nil
	}
	return nil, false, nil
}

// timetzCoerceLazy is timetzCoerce for implicit conversions without an error path: a
// literal that is not a timetz is converted when the statement runs, which reports the error.
func timetzCoerceLazy(e planner.Expr, t arrow.DataType) (planner.Expr, bool) {
	out, ok, err := timetzCoerce(e, t, timeImplicit)
	if err != nil {
		return &planner.Func{Name: "_timetz_in", Args: []planner.Expr{relabel(e, types.Text)}, Typ: t}, true
	}
	return out, ok
}

// timetzCast binds e::t where e or t is timetz.
func (b *binder) timetzCast(e planner.Expr, t arrow.DataType) (planner.Expr, error) {
	if p, ok := e.(*planner.Param); ok && types.IsUnknown(p.Typ) && types.IsTimeTZ(t) {
		b.setParam(p.Index, types.TimeTZType)
	}
	out, ok, err := timetzCoerce(e, t, timeExplicit)
	if err != nil || ok {
		return out, err
	}
	return nil, errs.New(errs.CannotCoerce, "cannot cast type %s to %s", types.Name(e.Type()), types.Name(t))
}

// timetzAssign converts e to a column's type t as INSERT and UPDATE do where either is timetz.
func (b *binder) timetzAssign(e planner.Expr, t arrow.DataType) (planner.Expr, error) {
	if p, ok := e.(*planner.Param); ok && types.IsUnknown(p.Typ) && types.IsTimeTZ(t) {
		b.setParam(p.Index, types.TimeTZType)
	}
	out, ok, err := timetzCoerce(e, t, timeAssignment)
	if err != nil || ok {
		return out, err
	}
	return nil, errs.New(errs.DatatypeMismatch, "column is of type %s but expression is of type %s", types.Name(t), types.Name(e.Type()))
}

// timetzBinary binds the arithmetic operators over timetz: timetz ± interval and interval +
// timetz (timetz), date + timetz and timetz + date (timestamptz). ok is false where no operand is timetz.
func (b *binder) timetzBinary(op planner.Op, l, r planner.Expr) (planner.Expr, bool, error) {
	lt, rt := l.Type(), r.Type()
	if !types.IsTimeTZ(lt) && !types.IsTimeTZ(rt) || !op.Arithmetic() {
		return nil, false, nil
	}
	unknown := func(t arrow.DataType) bool { return types.IsUnknown(t) || t.ID() == arrow.NULL }
	isInterval := func(t arrow.DataType) bool { return t.ID() == arrow.INTERVAL_MONTH_DAY_NANO }
	switch op {
	case planner.OpSub:
		if types.IsTimeTZ(lt) && (isInterval(rt) || unknown(rt)) {
			return &planner.Func{Name: "_timetz_mi_interval", Args: []planner.Expr{l, b.coerce(r, types.Interval)}, Typ: lt}, true, nil
		}
	case planner.OpAdd:
		if types.IsTimeTZ(rt) {
			l, r, lt, rt = r, l, rt, lt
		}
		if types.IsTimeTZ(lt) && (isInterval(rt) || unknown(rt)) {
			return &planner.Func{Name: "_timetz_pl_interval", Args: []planner.Expr{l, b.coerce(r, types.Interval)}, Typ: lt}, true, nil
		}
		if types.IsTimeTZ(lt) && rt.ID() == arrow.DATE32 {
			return &planner.Func{Name: "_date_pl_timetz", Args: []planner.Expr{r, l}, Typ: types.TimestampTZ}, true, nil
		}
	}
	return nil, true, errs.New(errs.UndefinedFunction, "operator does not exist: %s %s %s", types.Name(l.Type()), op, types.Name(r.Type()))
}

// timetzFunc binds timezone(zone, timetz), what timetz AT TIME ZONE zone is, and its time
// form (time converts to timetz first, in the session zone, as PostgreSQL's implicit cast
// does); the functions that show any value get timetz arguments as text. ok is false for
// other calls.
func (b *binder) timetzFunc(name string, args []planner.Expr) (planner.Expr, bool, error) {
	switch name {
	case "date_part", "extract":
		if len(args) != 2 || !types.IsTimeTZ(args[1].Type()) || args[0].Type().ID() != arrow.STRING {
			return nil, false, nil
		}
		if name == "date_part" {
			return &planner.Func{Name: "_timetz_part", Args: args, Typ: types.Float64}, true, nil
		}
		f := &planner.Func{Name: "_timetz_extract", Args: args, Typ: types.Numeric(38, 6)}
		field := args[0]
		if c, ok := field.(*planner.Cast); ok {
			field = c.E
		}
		if l, ok := field.(*planner.Literal); ok {
			if field, ok := l.Value.(string); ok {
				return &planner.Cast{E: f, To: types.Numeric(38, timeExtractScale(strings.ToLower(field)))}, true, nil
			}
		}
		return f, true, nil
	case "timezone":
		if len(args) != 2 || !types.IsTimeTZ(args[1].Type()) && !types.IsTime(args[1].Type()) {
			return nil, false, nil
		}
		zt := args[0].Type()
		if zt.ID() != arrow.STRING && zt.ID() != arrow.INTERVAL_MONTH_DAY_NANO {
			return nil, true, errs.New(errs.UndefinedFunction, "function timezone(%s, %s) does not exist", types.Name(zt), types.Name(args[1].Type()))
		}
		v := args[1]
		if types.IsTime(v.Type()) {
			v = coerceTo(v, types.TimeTZType)
		}
		typ := v.Type()
		if p, _ := types.TimeTZPrecision(typ); p >= 0 {
			typ = types.TimeTZType // PostgreSQL's result has no precision
		}
		return &planner.Func{Name: "_timetz_at_zone", Args: []planner.Expr{args[0], v}, Typ: typ}, true, nil
	case "concat", "concat_ws", "format":
		for i, a := range args {
			if types.IsTimeTZ(a.Type()) {
				args[i] = &planner.Func{Name: "_timetz_out", Args: []planner.Expr{a}, Typ: types.Text}
			}
		}
	}
	return nil, false, nil
}

// currentTime binds CURRENT_TIME and CURRENT_TIME(p): the time of the statement's start in
// the session time zone with its offset, as timetz, or timetz(p) rounded to p fractional
// digits (mod is -1 without p).
func currentTime(mod int32) (planner.Expr, error) {
	now := &planner.Func{Name: "_timetz_now", Typ: types.TimeTZType}
	if mod < 0 {
		return now, nil
	}
	t, err := types.ByName("timetz", []int32{mod})
	if err != nil {
		return nil, err
	}
	e, _, err := timetzCoerce(now, t, timeExplicit)
	return e, err
}

// timetzCastable reports whether a cast between a and b, one of them timetz, exists as an
// assignment (explicit false) or explicitly: timetz to timetz(p), time to timetz, timetz to
// time, timestamptz to timetz; text to timetz only explicitly.
func timetzCastable(a, b arrow.DataType, explicit bool) bool {
	ta, tb := types.IsTimeTZ(a), types.IsTimeTZ(b)
	switch {
	case ta && tb:
		return true
	case ta:
		return types.IsTime(b)
	case tb:
		return types.IsTime(a) || types.PGTypeOf(a).OID == types.OIDTimestamptz || explicit && a.ID() == arrow.STRING && !types.IsUUID(a) && !types.IsJSON(a)
	}
	return false
}

// timetzArray converts e to t where one is timetz[] and the other text, or both are arrays of
// timetz: text (an untyped literal, or any text when explicit) through _timetz_array_in,
// timetz[] to text through _timetz_array_out (the elements' stored forms would print as
// numbers), and timetz[] to timetz(p)[] rounding each element. ok is false otherwise.
func timetzArray(e planner.Expr, t arrow.DataType, explicit bool) (planner.Expr, bool) {
	fe, te := types.Elem(e.Type()), types.Elem(t)
	from := e.Type()
	switch {
	case te != nil && types.IsTimeTZ(te) && fe != nil && types.IsTimeTZ(fe):
		p, _ := types.TimeTZPrecision(te)
		q, _ := types.TimeTZPrecision(fe)
		if p < 0 || p >= 6 || (q >= 0 && q <= p) {
			return relabel(e, t), true
		}
		return &planner.Func{Name: "_timetz_array_round", Args: []planner.Expr{e, &planner.Literal{Value: p, Typ: types.Int32}}, Typ: t}, true
	case te != nil && types.IsTimeTZ(te):
		if _, isParam := e.(*planner.Param); isParam || from.ID() != arrow.STRING || types.IsJSON(from) || types.IsUUID(from) || !explicit && !types.IsUnknown(from) {
			return nil, false
		}
		p, _ := types.TimeTZPrecision(te)
		return &planner.Func{Name: "_timetz_array_in", Args: []planner.Expr{relabel(e, types.Text), &planner.Literal{Value: p, Typ: types.Int32}}, Typ: t}, true
	case fe != nil && types.IsTimeTZ(fe) && t == types.Text:
		return &planner.Func{Name: "_timetz_array_out", Args: []planner.Expr{e}, Typ: t}, true
	}
	return nil, false
}

// fieldCastable reports whether a record field of type a casts explicitly to b: castable's
// casts, and those between time, timetz and their precisions (timeCastable), of values or of
// array elements (timetz[] to timetz(2)[]).
func fieldCastable(a, b arrow.DataType) bool {
	if castable(a, b) {
		return true
	}
	if ea, eb := types.Elem(a), types.Elem(b); ea != nil && eb != nil {
		a, b = ea, eb
	}
	return timeCastable(a, b, true)
}
