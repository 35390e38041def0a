package sql

import (
	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/planner"
	"github.com/sleeperd/sleeperd/types"
)

// distinctOn binds the expressions of SELECT DISTINCT ON (...), as ORDER BY items are
// bound: output positions, output names or expressions over the input. It checks
// PostgreSQL's rule that they match the leading ORDER BY items, in any order.
func (b *binder) distinctOn(sel *pg_query.SelectStmt, targets []selectTarget, sc *scope, aggCtx *aggContext) ([]sortOrder, error) {
	if len(sel.DistinctClause) == 0 || sel.DistinctClause[0].GetNode() == nil {
		return nil, nil
	}
	var out []sortOrder
	for _, n := range sel.DistinctClause {
		e, err := b.outputOrInput(n, "DISTINCT ON", targets, sc, aggCtx)
		if err != nil {
			return nil, err
		}
		out = append(out, sortOrder{expr: e})
	}
	return out, nil
}

// checkDistinctOn applies PostgreSQL's rule: an ORDER BY item that is not a DISTINCT ON
// expression may come only after all of them.
func checkDistinctOn(orders, distinctOn []sortOrder) error {
	in := func(e planner.Expr, list []sortOrder) bool {
		for _, o := range list {
			if planner.ExprKey(o.expr) == planner.ExprKey(e) {
				return true
			}
		}
		return false
	}
	skipped := false
	for _, o := range orders {
		if !in(o.expr, distinctOn) {
			skipped = true
		} else if skipped {
			return errs.New(errs.InvalidColumnRef, "SELECT DISTINCT ON expressions must match initial ORDER BY expressions")
		}
	}
	if skipped {
		for _, d := range distinctOn {
			if !in(d.expr, orders) {
				return errs.New(errs.InvalidColumnRef, "SELECT DISTINCT ON expressions must match initial ORDER BY expressions")
			}
		}
	}
	return nil
}

// distinctOnOutput projects the targets with the sort and DISTINCT ON expressions, keeps
// the first row of each DISTINCT ON group in ORDER BY's order (row_number() over the group
// is 1), then sorts by ORDER BY followed by the DISTINCT ON expressions it lacks, and
// applies LIMIT and OFFSET.
func (b *binder) distinctOnOutput(sel *pg_query.SelectStmt, plan planner.Node, targets []selectTarget, orders, distinctOn []sortOrder) (planner.Node, []string, error) {
	if err := checkDistinctOn(orders, distinctOn); err != nil {
		return nil, nil, err
	}
	proj := &planner.Project{Input: plan}
	names := make([]string, 0, len(targets))
	for _, t := range targets {
		proj.Exprs = append(proj.Exprs, t.expr)
		proj.Cols = append(proj.Cols, b.newColumn(t.name, t.expr.Type()))
		names = append(names, t.name)
	}
	column := func(e planner.Expr) planner.Expr {
		for j, x := range proj.Exprs {
			if planner.ExprKey(x) == planner.ExprKey(e) {
				return ref(proj.Cols[j])
			}
		}
		proj.Exprs = append(proj.Exprs, e)
		proj.Cols = append(proj.Cols, b.newColumn("?sort?", e.Type()))
		return ref(proj.Cols[len(proj.Cols)-1])
	}
	var keys []planner.SortKey
	for _, o := range orders {
		keys = append(keys, planner.SortKey{E: column(o.expr), Desc: o.desc, NullsFirst: o.nullsFirst})
	}
	var partition []planner.Expr
	for _, d := range distinctOn {
		c := column(d.expr)
		partition = append(partition, c)
		found := false
		for _, k := range keys {
			if planner.ExprKey(k.E) == planner.ExprKey(c) {
				found = true
			}
		}
		if !found {
			keys = append(keys, planner.SortKey{E: c})
		}
	}
	rn := b.newColumn("?row_number?", types.Int64)
	w := &planner.Window{Input: proj, Partition: partition, Order: keys, Calls: []planner.WindowCall{{Func: "row_number"}}, Cols: []planner.Column{rn}}
	first := &planner.Binary{Op: planner.OpEq, L: ref(rn), R: &planner.Literal{Value: int64(1), Typ: types.Int64}, Typ: types.Bool}
	var result planner.Node = &planner.Sort{Input: &planner.Filter{Input: w, Pred: first}, Keys: keys}
	result, err := b.limit(sel, result)
	if err != nil {
		return nil, nil, err
	}
	p := &planner.Project{Input: result}
	for _, c := range result.Columns()[:len(targets)] {
		p.Exprs = append(p.Exprs, ref(c))
		p.Cols = append(p.Cols, b.newColumn(c.Name, c.Type))
	}
	return p, names, nil
}
