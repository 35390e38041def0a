package sql

import (
	"fmt"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/sleeperd/sleeperd/catalog"
	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/planner"
)

// viewTarget fails a DELETE, UPDATE or INSERT whose target rv names a view; verb is
// "delete from", "update" or "insert into". Views are not updatable. A view PostgreSQL would
// not update automatically either fails as there, with 55000 and PostgreSQL's reason in the
// detail and no position (for a view over a view, the innermost view at fault is named); a
// simple view, which PostgreSQL would update through to its table, fails with 0A000.
func (b *binder) viewTarget(rv *pg_query.RangeVar, verb string) error {
	if rv.Schemaname != "" && rv.Schemaname != "public" {
		return nil
	}
	v, ok, err := b.cat.View(b.ctx, rv.Relname)
	if err != nil || !ok {
		return err
	}
	seen := map[string]bool{}
	for {
		seen[v.Name] = true
		reason, inner := b.viewUpdatability(v)
		if reason != "" {
			return &errs.Error{Kind: errs.ObjectState, Msg: fmt.Sprintf("cannot %s view %q", verb, v.Name), Detail: reason}
		}
		if inner == nil || seen[inner.Name] {
			break
		}
		v = inner
	}
	return &errs.Error{Kind: errs.NotImplemented, Msg: fmt.Sprintf("cannot %s view %q", verb, rv.Relname),
		Detail: "Updating a table through a view is not supported yet."}
}

// viewUpdatability gives PostgreSQL's reason why view v is not automatically updatable, in
// the order PostgreSQL checks, or "" when v is a simple view; inner is then the view v reads
// from, if it reads from one.
func (b *binder) viewUpdatability(v *catalog.View) (reason string, inner *catalog.View) {
	stmts, err := Parse(v.SQL)
	if err != nil || len(stmts) != 1 || stmts[0].Stmt.GetSelectStmt() == nil {
		return "", nil
	}
	sel := stmts[0].Stmt.GetSelectStmt()
	switch {
	case len(sel.DistinctClause) > 0:
		return "Views containing DISTINCT are not automatically updatable.", nil
	case len(sel.GroupClause) > 0:
		return "Views containing GROUP BY are not automatically updatable.", nil
	case sel.HavingClause != nil:
		return "Views containing HAVING are not automatically updatable.", nil
	case sel.Op != pg_query.SetOperation_SETOP_NONE && sel.Op != pg_query.SetOperation_SET_OPERATION_UNDEFINED:
		return "Views containing UNION, INTERSECT, or EXCEPT are not automatically updatable.", nil
	case sel.WithClause != nil:
		return "Views containing WITH are not automatically updatable.", nil
	case sel.LimitCount != nil || sel.LimitOffset != nil:
		return "Views containing LIMIT or OFFSET are not automatically updatable.", nil
	case len(sel.ValuesLists) > 0:
		return "Views that do not select from a single table or view are not automatically updatable.", nil
	}
	// Aggregates, window functions and set-returning functions of the query's own level show
	// in the bound plan between its output and its FROM item (which may be another view's
	// plan).
	b.viewRoots = map[planner.Node]bool{}
	n, _, err := b.view(v, &pg_query.RangeVar{Relname: v.Name})
	roots := b.viewRoots
	b.viewRoots = nil
	if err == nil {
		for spine := n; spine != nil && (spine == n || !roots[spine]); {
			switch s := spine.(type) {
			case *planner.Aggregate:
				return "Views that return aggregate functions are not automatically updatable.", nil
			case *planner.Window:
				return "Views that return window functions are not automatically updatable.", nil
			case *planner.Unnest:
				if len(sel.FromClause) == 1 && sel.FromClause[0].GetRangeVar() != nil {
					return "Views that return set-returning functions are not automatically updatable.", nil
				}
				spine = s.Input
			case *planner.Project:
				spine = s.Input
			case *planner.Filter:
				spine = s.Input
			case *planner.Sort:
				spine = s.Input
			default:
				spine = nil
			}
		}
	}
	if len(sel.FromClause) != 1 || sel.FromClause[0].GetRangeVar() == nil {
		return "Views that do not select from a single table or view are not automatically updatable.", nil
	}
	rv := sel.FromClause[0].GetRangeVar()
	if rv.Schemaname == "" || rv.Schemaname == "public" {
		if w, ok, err := b.cat.View(b.ctx, rv.Relname); err == nil && ok {
			return "", w
		}
	}
	return "", nil
}

// dmlTarget checks the FROM item bound for the target of a DELETE or UPDATE: only a table
// can be changed.
func dmlTarget(node planner.Node, rv *pg_query.RangeVar) (*planner.Scan, error) {
	scan, ok := node.(*planner.Scan)
	if !ok {
		return nil, &errs.Error{Kind: errs.WrongObjectType, Msg: fmt.Sprintf("%q is not a table", rv.Relname), Position: int(rv.Location) + 1}
	}
	return scan, nil
}
