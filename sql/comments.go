package sql

import (
	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/sleeperd/sleeperd/catalog"
	"github.com/sleeperd/sleeperd/planner"
	"github.com/sleeperd/sleeperd/types"
)

// commentFunc binds obj_description(oid[, catalog]) and col_description(oid, attnum) as a
// CASE over the comments COMMENT ON stored; shobj_description is always NULL.
func (b *binder) commentFunc(name string, arg planner.Expr, fc *pg_query.FuncCall, sc *scope, agg *aggContext) (planner.Expr, bool, error) {
	null := &planner.Literal{Typ: types.Text}
	l, ok := b.cat.(Lister)
	if !ok || name == "shobj_description" {
		return null, true, nil
	}
	tables, err := l.Tables(b.ctx)
	if err != nil {
		return nil, true, err
	}
	arg = b.coerce(arg, types.Int64)
	var attnum planner.Expr
	if name == "col_description" {
		if len(fc.Args) < 2 {
			return null, true, nil
		}
		e, err := b.expr(fc.Args[1], sc, agg)
		if err != nil {
			return nil, true, err
		}
		attnum = b.coerce(e, types.Int64)
	}
	out := &planner.Case{Typ: types.Text, Else: null}
	add := func(oid int64, num int, text string) error {
		w, err := b.binary(planner.OpEq, arg, &planner.Literal{Value: oid, Typ: types.Int64})
		if err != nil {
			return err
		}
		if attnum != nil {
			w2, err := b.binary(planner.OpEq, attnum, &planner.Literal{Value: int64(num), Typ: types.Int64})
			if err != nil {
				return err
			}
			w = planner.And([]planner.Expr{w, w2})
		}
		out.Whens = append(out.Whens, w)
		out.Thens = append(out.Thens, &planner.Literal{Value: text, Typ: types.Text})
		return nil
	}
	for _, t := range tables {
		oid := catalog.RelationOID(t.ID)
		if attnum == nil {
			if t.Comment != "" {
				if err := add(oid, 0, t.Comment); err != nil {
					return nil, true, err
				}
			}
			continue
		}
		num := 0
		for _, c := range t.Columns {
			if c.Hidden {
				continue
			}
			num++
			if text, ok := t.ColumnComments[c.Name]; ok {
				if err := add(oid, num, text); err != nil {
					return nil, true, err
				}
			}
		}
	}
	if len(out.Whens) == 0 {
		return null, true, nil
	}
	return out, true, nil
}
