package sql

import (
	"github.com/sleeperd/sleeperd/catalog"
	"github.com/sleeperd/sleeperd/exec"
	"github.com/sleeperd/sleeperd/planner"
	"github.com/sleeperd/sleeperd/types"
)

// typeOIDs finds the database's composite types by name for regtype input, or nil when the
// catalog holds none.
func (b *binder) typeOIDs() exec.TypeOIDs {
	tc, ok := b.cat.(typeCatalog)
	if !ok {
		return nil
	}
	return func(name string) (uint32, uint32, bool) {
		ct, ok, err := tc.Type(b.ctx, name)
		if err != nil || !ok {
			// A table's or view's row type, named by the relation.
			if t, err := b.cat.Table(b.ctx, name); err == nil {
				return uint32(catalog.RowTypeOID(t.ID)), uint32(catalog.RowArrayOID(t.ID)), true
			}
			if v, found, err := b.cat.View(b.ctx, name); err == nil && found {
				return uint32(catalog.ViewRowTypeOID(v.Name)), uint32(catalog.ViewRowArrayOID(v.Name)), true
			}
			return 0, 0, false
		}
		return ct.OID(), ct.ArrayOID(), true
	}
}

// regtypeOfText binds text::regtype for text that is not a constant (a parameter, a column):
// the OID of the type the text names, looked up per row (an error, 42704, for a name no type
// has), as pgx's LoadType asks with $1::text::regtype.
func (b *binder) regtypeOfText(e planner.Expr) (planner.Expr, error) {
	used := map[planner.ColumnID]bool{}
	planner.ColumnsUsed(e, used)
	if len(used) == 0 {
		if l, err := planner.Eval(b.ctx, e); err == nil {
			if s, ok := l.Value.(string); ok {
				oid, err := exec.RegtypeOID(s, b.typeOIDs())
				if err != nil {
					return nil, err
				}
				return &planner.Literal{Value: int64(oid), Typ: types.Int64}, nil
			}
			if l.Value == nil {
				return &planner.Literal{Typ: types.Int64}, nil
			}
		}
	}
	return &planner.Func{Name: "_regtype_in", Args: []planner.Expr{e}, Typ: types.Int64}, nil
}
