package sql

import (
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/planner"
	"github.com/sleeperd/sleeperd/types"
)

// charCast converts e to t, a character varying or character type, as PostgreSQL does: to
// text, then an explicit cast truncates a longer value to the length and an assignment
// (INSERT, UPDATE) fails on it unless the characters past the length are spaces, which it
// drops. A character(n) value is held without its trailing spaces, which no comparison or
// function sees: it is padded to n only when shown.
func (b *binder) charCast(e planner.Expr, t arrow.DataType, explicit bool) planner.Expr {
	if e.Type().ID() != arrow.STRING {
		e = b.coerce(e, types.Text)
	} else if p, ok := e.(*planner.Param); ok && types.IsUnknown(p.Typ) {
		e = b.coerce(e, types.Text)
	}
	n, _ := types.CharLength(t)
	if n < 0 {
		if types.IsBpchar(t) && !types.IsBpchar(e.Type()) {
			return stripChar(e, t)
		}
		if l, ok := e.(*planner.Literal); ok {
			return &planner.Literal{Value: l.Value, Typ: t}
		}
		return &planner.Cast{E: e, To: t}
	}
	length := &planner.Literal{Value: int64(n), Typ: types.Int64}
	if explicit {
		out := planner.Expr(&planner.Func{Name: "left", Args: []planner.Expr{e, length}, Typ: t})
		if types.IsBpchar(t) {
			out = stripChar(out, t)
		}
		return out
	}
	trimmed := &planner.Func{Name: "rtrim", Args: []planner.Expr{e}, Typ: types.Text}
	long := &planner.Binary{Op: planner.OpGt, L: &planner.Func{Name: "length", Args: []planner.Expr{trimmed}, Typ: types.Int32}, R: &planner.Literal{Value: int32(n), Typ: types.Int32}, Typ: types.Bool}
	// Past the check, the value is at most n characters once its trailing spaces go.
	out := planner.Expr(&planner.Func{Name: "left", Args: []planner.Expr{e, length}, Typ: t})
	if types.IsBpchar(t) {
		out = stripChar(e, t)
	}
	return &planner.Check{E: out, Fail: long, Kind: errs.StringTooLong, Msg: "value too long for type " + types.Name(t)}
}

// stripChar is the string e as a value of t, a character type: without trailing spaces.
func stripChar(e planner.Expr, t arrow.DataType) planner.Expr {
	if l, ok := e.(*planner.Literal); ok {
		if s, ok := l.Value.(string); ok {
			return &planner.Literal{Value: strings.TrimRight(s, " "), Typ: t}
		}
		if l.Value == nil {
			return &planner.Literal{Typ: t}
		}
	}
	return &planner.Func{Name: "rtrim", Args: []planner.Expr{e}, Typ: t}
}

// bpcharText converts a character(n) value to text as PostgreSQL does, dropping its trailing
// spaces; other values are returned as they are.
func bpcharText(e planner.Expr) planner.Expr {
	if !types.IsBpchar(e.Type()) {
		return e
	}
	return &planner.Func{Name: "rtrim", Args: []planner.Expr{e}, Typ: types.Text}
}

// paddedChar is a character(n) value e with its trailing spaces back, as LIKE and concat see
// it in PostgreSQL; other values, and character without a length, are returned as they are.
func paddedChar(e planner.Expr) planner.Expr {
	n, _ := types.CharLength(e.Type())
	if !types.IsBpchar(e.Type()) || n < 0 {
		return e
	}
	return &planner.Func{Name: "rpad", Args: []planner.Expr{e, &planner.Literal{Value: int32(n), Typ: types.Int32}}, Typ: types.Text}
}
