package planner

import "github.com/sleeperd/sleeperd/types"

// SortExpr is what a sort key on e sorts by: e itself, except for jsonb, whose text does not
// sort as PostgreSQL orders jsonb: its sort key (_jsonb_sortkey, a byte string in jsonb's
// btree order) instead.
func SortExpr(e Expr) Expr {
	if types.IsJSONB(e.Type()) {
		return &Func{Name: "_jsonb_sortkey", Args: []Expr{e}, Typ: types.Bytea}
	}
	return e
}
