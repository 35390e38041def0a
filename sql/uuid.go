package sql

import (
	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/planner"
	"github.com/sleeperd/sleeperd/types"
)

// uuid (types.UUID) is held as its 16 bytes: the binder converts text to uuid with _uuid_in
// (a literal at bind time) and uuid to text with _uuid_out.

// uuidCoerce converts e to t where one of them is uuid: untyped and text values to uuid,
// uuid to text types; ok is false for other conversions. explicit allows text to uuid, which
// is not an implicit cast in PostgreSQL.
func uuidCoerce(e planner.Expr, t arrow.DataType, explicit bool) (planner.Expr, bool, error) {
	from := e.Type()
	switch {
	case types.IsUUID(from) && types.IsUUID(t):
		return e, true, nil
	case types.IsUUID(t):
		if from.ID() == arrow.NULL {
			return &planner.Literal{Typ: t}, true, nil
		}
		if l, ok := e.(*planner.Literal); ok && types.IsUnknown(from) {
			if l.Value == nil {
				return &planner.Literal{Typ: t}, true, nil
			}
			u, err := types.ParseUUID(l.Value.(string))
			if err != nil {
				return nil, true, err
			}
			return &planner.Literal{Value: u, Typ: t}, true, nil
		}
		if p, ok := e.(*planner.Param); ok && types.IsUnknown(p.Typ) {
			return &planner.Param{Index: p.Index, Typ: t}, true, nil
		}
		if from.ID() == arrow.STRING && (explicit || types.IsUnknown(from)) {
			return &planner.Func{Name: "_uuid_in", Args: []planner.Expr{e}, Typ: t}, true, nil
		}
	case types.IsUUID(from) && t.ID() == arrow.STRING:
		out := planner.Expr(&planner.Func{Name: "_uuid_out", Args: []planner.Expr{e}, Typ: types.Text})
		if !arrow.TypeEqual(t, types.Text) {
			out = &planner.Cast{E: out, To: t}
		}
		return out, true, nil
	}
	return nil, false, nil
}

// uuidCoerceLazy is uuidCoerce for callers without an error path: a literal that is not a
// uuid is converted when the statement runs, which reports the error.
func uuidCoerceLazy(e planner.Expr, t arrow.DataType) (planner.Expr, bool) {
	out, ok, err := uuidCoerce(e, t, false)
	if err != nil {
		return &planner.Func{Name: "_uuid_in", Args: []planner.Expr{relabel(e, types.Text)}, Typ: t}, true
	}
	return out, ok
}

// uuidCast binds e::t where e or t is uuid.
func (b *binder) uuidCast(e planner.Expr, t arrow.DataType) (planner.Expr, error) {
	if p, ok := e.(*planner.Param); ok && types.IsUnknown(p.Typ) && types.IsUUID(t) {
		b.setParam(p.Index, t)
	}
	if _, ok := types.CharLength(t); ok && types.IsUUID(e.Type()) {
		out, _, _ := uuidCoerce(e, types.Text, true)
		return b.charCast(out, t, true), nil
	}
	out, ok, err := uuidCoerce(e, t, true)
	if err != nil || ok {
		return out, err
	}
	return nil, errs.New(errs.CannotCoerce, "cannot cast type %s to %s", types.Name(e.Type()), types.Name(t))
}

// uuidAssign converts e to a column's type t as INSERT and UPDATE do where either is uuid.
func (b *binder) uuidAssign(e planner.Expr, t arrow.DataType) (planner.Expr, error) {
	if p, ok := e.(*planner.Param); ok && types.IsUnknown(p.Typ) && types.IsUUID(t) {
		b.setParam(p.Index, t)
	}
	out, ok, err := uuidCoerce(e, t, false)
	if err != nil || ok {
		return out, err
	}
	return nil, errs.New(errs.DatatypeMismatch, "column is of type %s but expression is of type %s", types.Name(t), types.Name(e.Type()))
}
