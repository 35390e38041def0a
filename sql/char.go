package sql

import (
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/planner"
)

// maxCharLength is PostgreSQL's largest length of character varying(n) and character(n).
const maxCharLength = 10485760

// charType returns varchar(n) or char(n) (fixed) from a type's modifiers.
func charType(name string, fixed bool, mods []int32) (arrow.DataType, error) {
	n := int32(-1)
	switch {
	case len(mods) > 1:
		return nil, errs.New(errs.Syntax, "invalid type modifier")
	case len(mods) == 1:
		n = mods[0]
		if n < 1 {
			return nil, errs.New(errs.InvalidParameter, "length for type %s must be at least 1", name)
		}
		if n > maxCharLength {
			return nil, errs.New(errs.InvalidParameter, "length for type %s cannot exceed %d", name, maxCharLength)
		}
	}
	if fixed {
		return planner.Bpchar(n), nil
	}
	return planner.Varchar(n), nil
}

// charCast converts e to t, a character varying or character type, as PostgreSQL does: to
// text, then an explicit cast truncates a longer value to the length and an assignment
// (INSERT, UPDATE) fails on it unless the characters past the length are spaces, which it
// drops. A character(n) value is held without its trailing spaces, which no comparison or
// function sees: it is padded to n only when shown.
func (b *binder) charCast(e planner.Expr, t arrow.DataType, explicit bool) planner.Expr {
	if e.Type().ID() != arrow.STRING {
		e = b.coerce(e, planner.Text)
	} else if p, ok := e.(*planner.Param); ok && planner.IsUnknown(p.Typ) {
		e = b.coerce(e, planner.Text)
	}
	n, _ := planner.CharLength(t)
	if n < 0 {
		if planner.IsBpchar(t) && !planner.IsBpchar(e.Type()) {
			return stripChar(e, t)
		}
		if l, ok := e.(*planner.Literal); ok {
			return &planner.Literal{Value: l.Value, Typ: t}
		}
		return &planner.Cast{E: e, To: t}
	}
	length := &planner.Literal{Value: int64(n), Typ: planner.Int64}
	if explicit {
		out := planner.Expr(&planner.Func{Name: "left", Args: []planner.Expr{e, length}, Typ: t})
		if planner.IsBpchar(t) {
			out = stripChar(out, t)
		}
		return out
	}
	trimmed := &planner.Func{Name: "rtrim", Args: []planner.Expr{e}, Typ: planner.Text}
	long := &planner.Binary{Op: planner.OpGt, L: &planner.Func{Name: "length", Args: []planner.Expr{trimmed}, Typ: planner.Int32}, R: &planner.Literal{Value: int32(n), Typ: planner.Int32}, Typ: planner.Bool}
	// Past the check, the value is at most n characters once its trailing spaces go.
	out := planner.Expr(&planner.Func{Name: "left", Args: []planner.Expr{e, length}, Typ: t})
	if planner.IsBpchar(t) {
		out = stripChar(e, t)
	}
	return &planner.Check{E: out, Fail: long, Kind: errs.StringTooLong, Msg: "value too long for type " + planner.TypeName(t)}
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
	if !planner.IsBpchar(e.Type()) {
		return e
	}
	return &planner.Func{Name: "rtrim", Args: []planner.Expr{e}, Typ: planner.Text}
}

// paddedChar is a character(n) value e with its trailing spaces back, as LIKE and concat see
// it in PostgreSQL; other values, and character without a length, are returned as they are.
func paddedChar(e planner.Expr) planner.Expr {
	n, _ := planner.CharLength(e.Type())
	if !planner.IsBpchar(e.Type()) || n < 0 {
		return e
	}
	return &planner.Func{Name: "rpad", Args: []planner.Expr{e, &planner.Literal{Value: int32(n), Typ: planner.Int32}}, Typ: planner.Text}
}
