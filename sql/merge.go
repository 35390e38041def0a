package sql

import (
	"fmt"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/sleeperd/sleeperd/catalog"
	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/planner"
	"github.com/sleeperd/sleeperd/types"
)

// mergeBind is the state of binding one MERGE statement.
type mergeBind struct {
	t      *catalog.Table
	target *planner.Scan
	// source is the scope of the source's columns (WHEN NOT MATCHED sees only these),
	// both that of the source's and the target's (WHEN MATCHED, the ON condition).
	source, both *scope
	matched      planner.Expr // true where the row joined a target row
	whens        []planner.Expr
	values       []planner.Expr // each clause's values, in order
	actions      []planner.MergeAction
}

// mergeStmt binds MERGE INTO target USING source ON condition WHEN ... as PostgreSQL 15
// has it: the source left-joined with the target, each joined row taking the action of the
// first WHEN clause of its kind (MATCHED or NOT MATCHED) whose condition holds.
func (b *binder) mergeStmt(ms *pg_query.MergeStmt) (planner.Statement, error) {
	if ms.WithClause != nil {
		return nil, errs.New(errs.NotImplemented, "WITH in MERGE is not supported yet")
	}
	if len(ms.ReturningList) > 0 {
		return nil, errs.New(errs.NotImplemented, "MERGE ... RETURNING is not supported")
	}
	m, src, err := b.mergeRelations(ms)
	if err != nil {
		return nil, err
	}
	b.scalars = nil
	cond, err := b.mergeCondition(ms.JoinCondition, m.both, "JOIN/ON")
	if err != nil {
		return nil, err
	}
	if src, err = b.mergeOnSubqueries(src, m.target); err != nil {
		return nil, err
	}
	if err := b.mergeClauses(m, ms.MergeWhenClauses); err != nil {
		return nil, err
	}
	var rows planner.Node = &planner.Join{Kind: planner.JoinLeft, Left: src, Right: m.target, Cond: cond}
	if len(b.scalars) > 0 {
		rows = b.applyScalarSubqueries(rows)
	}
	return &planner.Merge{Table: m.t, Target: m.target, Source: src, Rows: b.mergeRows(m, rows),
		Actions: m.actions, ParamTypes: b.finalParams()}, nil
}

// mergeRelations binds the target and the source of a MERGE and their scopes.
func (b *binder) mergeRelations(ms *pg_query.MergeStmt) (*mergeBind, planner.Node, error) {
	if err := b.mergeView(ms.Relation); err != nil {
		return nil, nil, err
	}
	t, scan, tsc, err := b.tableScope(ms.Relation, "merge into")
	if err != nil {
		return nil, nil, err
	}
	// The target's hidden columns too: a row's key is what the writes name.
	scan.Projected = make([]int, len(t.Columns))
	for i := range scan.Projected {
		scan.Projected[i] = i
	}
	src, ssc, err := b.from([]*pg_query.Node{ms.SourceRelation})
	if err != nil {
		return nil, nil, err
	}
	both := &scope{}
	if err := both.add(ssc); err != nil {
		return nil, nil, err
	}
	if err := both.add(tsc); err != nil {
		return nil, nil, err
	}
	key := scan.Cols[t.RowKeys[0]]
	matched := &planner.IsNull{E: &planner.ColumnRef{ID: key.ID, Name: key.Name, Typ: key.Type}, Negate: true}
	return &mergeBind{t: t, target: scan, source: ssc, both: both, matched: matched}, src, nil
}

// mergeView refuses a view as the target of MERGE, as PostgreSQL 15 does.
func (b *binder) mergeView(rv *pg_query.RangeVar) error {
	if rv.Schemaname != "" && rv.Schemaname != "public" {
		return nil
	}
	if _, ok, err := b.cat.View(b.ctx, rv.Relname); err != nil || !ok {
		return err
	}
	return &errs.Error{Kind: errs.NotImplemented, Msg: fmt.Sprintf("cannot execute MERGE on relation %q", rv.Relname),
		Detail: "This operation is not supported for views."}
}

// mergeOnSubqueries joins the subqueries of the ON condition onto the source, below the
// join the condition is evaluated in; one that refers to the target cannot be (0A000).
func (b *binder) mergeOnSubqueries(src planner.Node, scan *planner.Scan) (planner.Node, error) {
	if len(b.scalars) == 0 {
		return src, nil
	}
	src = b.applyScalarSubqueries(src)
	b.scalars = nil
	target := map[planner.ColumnID]bool{}
	for _, c := range scan.Cols {
		target[c.ID] = true
	}
	if planRefers(src, target) {
		return nil, errs.New(errs.NotImplemented, "a subquery in the ON condition of MERGE that refers to the target table is not supported")
	}
	return src, nil
}

// planRefers reports whether an expression of plan n refers to a column of cols.
func planRefers(n planner.Node, cols map[planner.ColumnID]bool) bool {
	found := false
	for _, e := range planner.Exprs(n) {
		planner.Walk(e, func(x planner.Expr) bool {
			if c, ok := x.(*planner.ColumnRef); ok && cols[c.ID] {
				found = true
			}
			return !found
		})
	}
	for _, in := range n.Inputs() {
		found = found || planRefers(in, cols)
	}
	return found
}

// mergeCondition binds a boolean condition of a MERGE (ON or a WHEN clause's AND).
func (b *binder) mergeCondition(n *pg_query.Node, sc *scope, clause string) (planner.Expr, error) {
	b.clause = clause
	e, err := b.expr(n, sc, nil)
	b.clause = ""
	if err != nil {
		return nil, err
	}
	return b.coerceBool(e, clause)
}

// mergeClauses binds the WHEN clauses in order. As in PostgreSQL a clause after an
// unconditional one of the same kind is an error: it could never apply.
func (b *binder) mergeClauses(m *mergeBind, clauses []*pg_query.Node) error {
	var terminal [2]bool
	for _, n := range clauses {
		wc := n.GetMergeWhenClause()
		if wc.MatchKind == pg_query.MergeMatchKind_MERGE_WHEN_NOT_MATCHED_BY_SOURCE {
			return errs.New(errs.NotImplemented, "WHEN NOT MATCHED BY SOURCE is not supported")
		}
		matched := wc.MatchKind == pg_query.MergeMatchKind_MERGE_WHEN_MATCHED
		kind := 0
		if !matched {
			kind = 1
		}
		if terminal[kind] {
			return errs.New(errs.Syntax, "unreachable WHEN clause specified after unconditional WHEN clause")
		}
		terminal[kind] = wc.Condition == nil
		if err := b.mergeClause(m, wc, matched); err != nil {
			return err
		}
	}
	return nil
}

// mergeClause binds one WHEN clause: its condition and its action.
func (b *binder) mergeClause(m *mergeBind, wc *pg_query.MergeWhenClause, matched bool) error {
	sc, when := m.source, planner.Expr(&planner.Not{E: m.matched})
	if matched {
		sc, when = m.both, m.matched
	}
	if wc.Condition != nil {
		c, err := b.mergeCondition(wc.Condition, sc, "WHEN")
		if err != nil {
			return err
		}
		when = &planner.Binary{Op: planner.OpAnd, L: when, R: c, Typ: types.Bool}
	}
	a := planner.MergeAction{Matched: matched}
	var err error
	switch wc.CommandType {
	case pg_query.CmdType_CMD_UPDATE:
		a.Kind = planner.MergeUpdate
		err = b.mergeUpdate(m, &a, wc.TargetList)
	case pg_query.CmdType_CMD_DELETE:
		a.Kind = planner.MergeDelete
	case pg_query.CmdType_CMD_INSERT:
		a.Kind = planner.MergeInsert
		err = b.mergeInsert(m, &a, wc)
	default:
		a.Kind = planner.MergeNothing
	}
	if err != nil {
		return err
	}
	m.whens = append(m.whens, when)
	m.actions = append(m.actions, a)
	return nil
}

// mergeUpdate binds UPDATE SET ... of a WHEN MATCHED clause.
func (b *binder) mergeUpdate(m *mergeBind, a *planner.MergeAction, list []*pg_query.Node) error {
	set := map[int]planner.Expr{}
	for _, n := range list {
		idx, e, err := b.setTarget(m.t, n.GetResTarget(), set, m.both)
		if err != nil {
			return err
		}
		set[idx] = e
		a.Cols = append(a.Cols, idx)
		m.values = append(m.values, e)
	}
	return nil
}

// mergeInsert binds INSERT [(columns)] VALUES (...) | DEFAULT VALUES of a WHEN NOT MATCHED
// clause; the values see the source's columns only.
func (b *binder) mergeInsert(m *mergeBind, a *planner.MergeAction, wc *pg_query.MergeWhenClause) error {
	if wc.Override != pg_query.OverridingKind_OVERRIDING_NOT_SET && wc.Override != pg_query.OverridingKind_OVERRIDING_KIND_UNDEFINED {
		return errs.New(errs.NotImplemented, "OVERRIDING in MERGE is not supported")
	}
	t := m.t
	cols, err := insertColumns(t, wc.TargetList)
	if err != nil {
		return err
	}
	if len(wc.Values) == 0 && len(wc.TargetList) == 0 {
		return nil // DEFAULT VALUES
	}
	if len(wc.Values) > len(cols) {
		return errs.New(errs.Syntax, "INSERT has more expressions than target columns")
	}
	if len(wc.Values) < len(cols) {
		if len(wc.TargetList) > 0 {
			return errs.New(errs.Syntax, "INSERT has more target columns than expressions")
		}
		cols = cols[:len(wc.Values)]
	}
	for i, v := range wc.Values {
		e, err := b.mergeValue(t.Columns[cols[i]], v, m.source)
		if err != nil {
			return err
		}
		m.values = append(m.values, e)
	}
	a.Cols = cols
	return nil
}

// insertColumns returns the table columns an INSERT's column list names, or every visible
// column without one.
func insertColumns(t *catalog.Table, list []*pg_query.Node) ([]int, error) {
	var cols []int
	if len(list) == 0 {
		for i, c := range t.Columns {
			if !c.Hidden {
				cols = append(cols, i)
			}
		}
		return cols, nil
	}
	seen := map[int]bool{}
	for _, n := range list {
		rt := n.GetResTarget()
		idx := t.ColumnIndex(rt.Name)
		if idx < 0 || t.Columns[idx].Hidden {
			return nil, &errs.Error{Kind: errs.UndefinedColumn, Msg: fmt.Sprintf("column %q of relation %q does not exist", rt.Name, t.Name), Position: int(rt.Location) + 1}
		}
		if seen[idx] {
			return nil, errs.New(errs.DuplicateColumn, "column %q specified more than once", rt.Name)
		}
		seen[idx] = true
		cols = append(cols, idx)
	}
	return cols, nil
}

// mergeValue binds one value of an INSERT of MERGE, assigned to column c: DEFAULT is the
// column's default (NULL without one).
func (b *binder) mergeValue(c catalog.Column, v *pg_query.Node, sc *scope) (planner.Expr, error) {
	if v.GetSetToDefault() != nil {
		if c.Default == "" {
			return &planner.Literal{Typ: c.SQL()}, nil
		}
		return b.defaultExpr(c)
	}
	e, err := b.expr(v, sc, nil)
	if err != nil {
		return nil, err
	}
	ae, err := b.assign(e, c.SQL())
	if err != nil {
		return nil, errs.New(errs.DatatypeMismatch, "column %q is of type %s but expression is of type %s", c.Name, types.Name(c.SQL()), types.Name(e.Type()))
	}
	return ae, nil
}

// mergeRows projects the joined rows to the columns planner.Merge describes: the number of
// the clause that applies (a CASE over the clauses' conditions), the target's columns, and
// each clause's values, computed only in the rows that clause takes.
func (b *binder) mergeRows(m *mergeBind, rows planner.Node) planner.Node {
	in := rows.Columns()
	inner := &planner.Project{Input: rows}
	for _, c := range in {
		inner.Exprs = append(inner.Exprs, &planner.ColumnRef{ID: c.ID, Name: c.Name, Typ: c.Type})
		inner.Cols = append(inner.Cols, c)
	}
	zero := &planner.Literal{Value: int32(0), Typ: types.Int32}
	action := &planner.Case{Else: zero, Typ: types.Int32}
	for i, w := range m.whens {
		action.Whens = append(action.Whens, w)
		action.Thens = append(action.Thens, &planner.Literal{Value: int32(i + 1), Typ: types.Int32})
	}
	var act planner.Expr = zero
	if len(m.whens) > 0 {
		act = action
	}
	ac := b.newColumn("merge_action", types.Int32)
	inner.Exprs = append(inner.Exprs, act)
	inner.Cols = append(inner.Cols, ac)
	actRef := &planner.ColumnRef{ID: ac.ID, Name: ac.Name, Typ: ac.Type}

	out := &planner.Project{Input: inner}
	add := func(name string, e planner.Expr) {
		out.Exprs = append(out.Exprs, e)
		out.Cols = append(out.Cols, b.newColumn(name, e.Type()))
	}
	add("merge_action", actRef)
	for _, c := range m.target.Cols {
		add(c.Name, &planner.ColumnRef{ID: c.ID, Name: c.Name, Typ: c.Type})
	}
	next := 0
	for i := range m.actions {
		a := &m.actions[i]
		a.First = len(out.Exprs)
		for _, col := range a.Cols {
			takes := &planner.Binary{Op: planner.OpEq, L: actRef, R: &planner.Literal{Value: int32(i + 1), Typ: types.Int32}, Typ: types.Bool}
			v := m.values[next]
			next++
			add(m.t.Columns[col].Name, &planner.Case{Whens: []planner.Expr{takes}, Thens: []planner.Expr{v}, Typ: v.Type()})
		}
	}
	return out
}
