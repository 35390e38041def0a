package sql

import (
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/planner"
	"github.com/sleeperd/sleeperd/types"
)

// time (types.Time) is held as int64 microseconds since midnight. Every conversion to and
// from it is bound here to the time functions of package function (_time_in, _time_out,
// _time_round and the others in function/time.go), never to a cast between integer types,
// and the operators over it to their time functions, so that a time value is never taken
// for a number.

// timeConv is the context of a conversion: PostgreSQL's implicit, assignment or explicit
// casts.
type timeConv int

const (
	timeImplicit timeConv = iota
	timeAssignment
	timeExplicit
)

// timeCoerce converts e to t where one of them is time; ok is false for conversions that do
// not exist in the context.
func timeCoerce(e planner.Expr, t arrow.DataType, ctx timeConv) (planner.Expr, bool, error) {
	from := e.Type()
	p, toTime := types.TimePrecision(t)
	round := func(e planner.Expr, already int32) planner.Expr {
		if p >= 0 && p < 6 && (already < 0 || already > p) {
			return &planner.Func{Name: "_time_round", Args: []planner.Expr{e, &planner.Literal{Value: p, Typ: types.Int32}}, Typ: t}
		}
		return relabel(e, t)
	}
	fn := func(name string, e planner.Expr, typ arrow.DataType) planner.Expr {
		return &planner.Func{Name: name, Args: []planner.Expr{e}, Typ: typ}
	}
	switch {
	case toTime && types.IsTime(from):
		q, _ := types.TimePrecision(from)
		if _, ok := e.(*planner.Param); ok {
			q = -1 // a parameter's value arrives as sent, whatever precision it was typed with
		}
		return round(e, q), true, nil
	case toTime:
		if from.ID() == arrow.NULL {
			return &planner.Literal{Typ: t}, true, nil
		}
		if l, ok := e.(*planner.Literal); ok && types.IsUnknown(from) {
			if l.Value == nil {
				return &planner.Literal{Typ: t}, true, nil
			}
			us, err := types.ParseTime(l.Value.(string))
			if err != nil {
				return nil, true, err
			}
			return &planner.Literal{Value: types.RoundTime(us, p), Typ: t}, true, nil
		}
		if prm, ok := e.(*planner.Param); ok && types.IsUnknown(prm.Typ) {
			return round(&planner.Param{Index: prm.Index, Typ: types.TimeType}, -1), true, nil
		}
		switch {
		case from.ID() == arrow.STRING && (ctx == timeExplicit || types.IsUnknown(from)):
			return round(fn("_time_in", relabel(e, types.Text), types.TimeType), -1), true, nil
		case from.ID() == arrow.TIMESTAMP && ctx >= timeAssignment:
			name := "_time_from_timestamp"
			if from.(*arrow.TimestampType).TimeZone != "" {
				name = "_time_from_timestamptz"
			}
			return round(fn(name, e, types.TimeType), -1), true, nil
		case from.ID() == arrow.INTERVAL_MONTH_DAY_NANO && ctx >= timeAssignment:
			return round(fn("_time_from_interval", e, types.TimeType), -1), true, nil
		}
	case types.IsTime(from) && t.ID() == arrow.STRING && !types.IsUnknown(t) && ctx >= timeAssignment:
		out := fn("_time_out", e, types.Text)
		if !arrow.TypeEqual(t, types.Text) || types.IsVarchar(t) || types.IsBpchar(t) {
			return &planner.Cast{E: out, To: t}, true, nil
		}
		return out, true, nil
	case types.IsTime(from) && t.ID() == arrow.INTERVAL_MONTH_DAY_NANO:
		return fn("_time_to_interval", e, types.Interval), true, nil
	}
	return nil, false, nil
}

// timeCoerceLazy is timeCoerce for callers without an error path (implicit conversions): a
// literal that is not a time is converted when the statement runs, which reports the error.
func timeCoerceLazy(e planner.Expr, t arrow.DataType) (planner.Expr, bool) {
	out, ok, err := timeCoerce(e, t, timeImplicit)
	if err != nil {
		return &planner.Func{Name: "_time_in", Args: []planner.Expr{relabel(e, types.Text)}, Typ: t}, true
	}
	return out, ok
}

// timeCast binds e::t where e or t is time.
func (b *binder) timeCast(e planner.Expr, t arrow.DataType) (planner.Expr, error) {
	if p, ok := e.(*planner.Param); ok && types.IsUnknown(p.Typ) && types.IsTime(t) {
		b.setParam(p.Index, types.TimeType)
	}
	out, ok, err := timeCoerce(e, t, timeExplicit)
	if err != nil || ok {
		return out, err
	}
	return nil, errs.New(errs.CannotCoerce, "cannot cast type %s to %s", types.Name(e.Type()), types.Name(t))
}

// timeAssign converts e to a column's type t as INSERT and UPDATE do where either is time.
func (b *binder) timeAssign(e planner.Expr, t arrow.DataType) (planner.Expr, error) {
	if p, ok := e.(*planner.Param); ok && types.IsUnknown(p.Typ) && types.IsTime(t) {
		b.setParam(p.Index, types.TimeType)
	}
	out, ok, err := timeCoerce(e, t, timeAssignment)
	if err != nil || ok {
		return out, err
	}
	return nil, errs.New(errs.DatatypeMismatch, "column is of type %s but expression is of type %s", types.Name(t), types.Name(e.Type()))
}

// timeBinary binds the arithmetic operators over time: time - time (interval), time ±
// interval, interval + time (time), date + time and time + date (timestamp). ok is false
// where no operand is time (comparisons go the common way: both sides are time).
func (b *binder) timeBinary(op planner.Op, l, r planner.Expr) (planner.Expr, bool, error) {
	if e, ok, err := b.timetzBinary(op, l, r); ok {
		return e, ok, err
	}
	lt, rt := l.Type(), r.Type()
	if !types.IsTime(lt) && !types.IsTime(rt) || !op.Arithmetic() {
		return nil, false, nil
	}
	call := func(name string, typ arrow.DataType, args ...planner.Expr) (planner.Expr, bool, error) {
		return &planner.Func{Name: name, Args: args, Typ: typ}, true, nil
	}
	unknown := func(t arrow.DataType) bool { return types.IsUnknown(t) || t.ID() == arrow.NULL }
	isInterval := func(t arrow.DataType) bool { return t.ID() == arrow.INTERVAL_MONTH_DAY_NANO }
	switch op {
	case planner.OpSub:
		switch {
		case types.IsTime(lt) && (types.IsTime(rt) || unknown(rt)):
			return call("_time_mi_time", types.Interval, l, b.coerce(r, types.TimeType))
		case types.IsTime(lt) && isInterval(rt):
			return call("_time_mi_interval", types.TimeType, l, r)
		}
	case planner.OpAdd:
		if types.IsTime(rt) {
			l, r, lt, rt = r, l, rt, lt
		}
		switch {
		case isInterval(rt) || unknown(rt) && !types.IsTime(rt):
			return call("_time_pl_interval", types.TimeType, l, b.coerce(r, types.Interval))
		case rt.ID() == arrow.DATE32:
			return call("_date_pl_time", types.Timestamp, r, l)
		}
	}
	if op == planner.OpAdd && types.IsTime(lt) && types.IsTime(rt) {
		// time + time has two candidates in PostgreSQL (through interval and date), neither
		// better.
		return nil, true, errs.New(errs.AmbiguousFunction, "operator is not unique: %s %s %s", types.Name(lt), op, types.Name(rt))
	}
	return nil, true, errs.New(errs.UndefinedFunction, "operator does not exist: %s %s %s", types.Name(l.Type()), op, types.Name(r.Type()))
}

// timeFunc binds the functions over time: date_part and extract to their time forms; the
// functions that show any value (concat, concat_ws, format) get time arguments as text. ok
// is false for calls without time arguments.
func (b *binder) timeFunc(name string, args []planner.Expr) (planner.Expr, bool, error) {
	if e, ok, err := b.timetzFunc(name, args); ok {
		return e, ok, err
	}
	has := false
	for _, a := range args {
		has = has || types.IsTime(a.Type())
	}
	if !has {
		return nil, false, nil
	}
	switch name {
	case "date_part", "extract":
		if len(args) != 2 || !types.IsTime(args[1].Type()) || args[0].Type().ID() != arrow.STRING {
			break
		}
		if name == "date_part" {
			return &planner.Func{Name: "_time_part", Args: args, Typ: types.Float64}, true, nil
		}
		f := &planner.Func{Name: "_time_extract", Args: args, Typ: types.Numeric(38, 6)}
		field := args[0]
		if c, ok := field.(*planner.Cast); ok {
			field = c.E // the untyped field name, cast to text
		}
		if l, ok := field.(*planner.Literal); ok {
			if field, ok := l.Value.(string); ok {
				return &planner.Cast{E: f, To: types.Numeric(38, timeExtractScale(strings.ToLower(field)))}, true, nil
			}
		}
		return f, true, nil
	case "concat", "concat_ws", "format":
		for i, a := range args {
			if types.IsTime(a.Type()) {
				args[i] = &planner.Func{Name: "_time_out", Args: []planner.Expr{a}, Typ: types.Text}
			}
		}
		return nil, false, nil
	}
	return nil, false, nil
}

// timeExtractScale is the scale of extract's result for a field of a time value.
func timeExtractScale(field string) int32 {
	switch field {
	case "second", "seconds", "sec", "secs", "s", "epoch":
		return 6
	case "millisecond", "milliseconds", "ms", "msec", "msecs":
		return 3
	}
	return 0
}
