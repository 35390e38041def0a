package sql

import (
	"fmt"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/sleeperd/sleeperd/catalog"
	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/planner"
	"github.com/sleeperd/sleeperd/types"
)

// tableScope binds a table for DELETE and UPDATE: a scan of it and the scope of its columns.
// verb names the statement for errors: "delete from" or "update".
func (b *binder) tableScope(rv *pg_query.RangeVar, verb string) (*catalog.Table, *planner.Scan, *scope, error) {
	if rv.Schemaname == catalog.SystemSchema {
		return nil, nil, nil, errs.New(errs.InvalidParameter, "system table %s.%s cannot be modified", rv.Schemaname, rv.Relname)
	}
	if err := b.viewTarget(rv, verb); err != nil {
		return nil, nil, nil, err
	}
	node, sc, err := b.from([]*pg_query.Node{{Node: &pg_query.Node_RangeVar{RangeVar: rv}}})
	if err != nil {
		return nil, nil, nil, err
	}
	scan, err := dmlTarget(node, rv)
	if err != nil {
		return nil, nil, nil, err
	}
	return scan.Table, scan, sc, nil
}

func (b *binder) whereClause(n *pg_query.Node, sc *scope) (planner.Expr, error) {
	if n == nil {
		return nil, nil
	}
	b.clause = "WHERE"
	pred, err := b.expr(n, sc, nil)
	b.clause = ""
	if err != nil {
		return nil, err
	}
	if pred, err = b.coerceBool(pred, "WHERE"); err != nil || hasSubLink(n) {
		return pred, err
	}
	// In PostgreSQL's order: by cost, cheapest first.
	var quals []planner.Qual
	for _, e := range planner.Conjuncts(pred) {
		quals = append(quals, planner.Qual{Expr: e})
	}
	return planner.And(planner.OrderQuals(quals)), nil
}

// deleteStmt binds DELETE FROM t [WHERE p].
func (b *binder) deleteStmt(ds *pg_query.DeleteStmt) (planner.Statement, error) {
	if len(ds.UsingClause) > 0 || ds.WithClause != nil {
		return nil, errs.New(errs.NotImplemented, "DELETE with USING or WITH is not supported yet")
	}
	t, scan, sc, err := b.tableScope(ds.Relation, "delete from")
	if err != nil {
		return nil, err
	}
	b.scalars = nil
	pred, err := b.whereClause(ds.WhereClause, sc)
	if err != nil {
		return nil, err
	}
	d := &planner.Delete{Table: t, Scan: scan, Pred: pred}
	if len(b.scalars) > 0 {
		if d.Input, err = b.dmlInput(scan); err != nil {
			return nil, err
		}
	}
	if d.Returning, err = b.returning(ds.ReturningList, t, scan.Cols, sc); err != nil {
		return nil, err
	}
	d.ParamTypes = b.finalParams()
	return d, nil
}

// dmlInput joins the subqueries bound in a DELETE or UPDATE onto the scan of its table.
func (b *binder) dmlInput(scan *planner.Scan) (planner.Node, error) {
	if !b.opts.DMLInput {
		return nil, errs.New(errs.NotImplemented, "subqueries in DELETE/UPDATE are not supported yet")
	}
	return b.applyScalarSubqueries(scan), nil
}

// updateStmt binds UPDATE t SET c = e, ... [WHERE p].
func (b *binder) updateStmt(us *pg_query.UpdateStmt) (planner.Statement, error) {
	if len(us.FromClause) > 0 || us.WithClause != nil {
		return nil, errs.New(errs.NotImplemented, "UPDATE with FROM or WITH is not supported yet")
	}
	t, scan, sc, err := b.tableScope(us.Relation, "update")
	if err != nil {
		return nil, err
	}
	b.scalars = nil
	set := map[int]planner.Expr{}
	for _, n := range us.TargetList {
		idx, ae, err := b.setTarget(t, n.GetResTarget(), set, sc)
		if err != nil {
			return nil, err
		}
		set[idx] = ae
	}
	pred, err := b.whereClause(us.WhereClause, sc)
	if err != nil {
		return nil, err
	}
	u := &planner.Update{Table: t, Scan: scan, Pred: pred, Set: set}
	if len(b.scalars) > 0 {
		if u.Input, err = b.dmlInput(scan); err != nil {
			return nil, err
		}
	}
	if u.Returning, err = b.returning(us.ReturningList, t, scan.Cols, sc); err != nil {
		return nil, err
	}
	u.ParamTypes = b.finalParams()
	return u, nil
}

// vacuum binds VACUUM [FULL] [t, ...].
func (b *binder) vacuum(vs *pg_query.VacuumStmt) (planner.Statement, error) {
	if !vs.IsVacuumcmd {
		return nil, errs.New(errs.NotImplemented, "ANALYZE is not supported")
	}
	st := &planner.Vacuum{}
	for _, o := range vs.Options {
		d := o.GetDefElem()
		switch strings.ToLower(d.Defname) {
		case "full":
			v, err := defValue(d)
			if err != nil {
				return nil, err
			}
			st.Full = v != "false" && v != "0" && v != "off"
		case "verbose", "analyze":
		default:
			return nil, errs.New(errs.Syntax, "unrecognized VACUUM option %q", d.Defname)
		}
	}
	for _, r := range vs.Rels {
		rv := r.GetVacuumRelation().Relation
		t, err := b.table(rv)
		if err != nil {
			return nil, err
		}
		st.Tables = append(st.Tables, t.Name)
	}
	return st, nil
}

// alterTable binds ALTER TABLE t SET (k = v, ...).
func (b *binder) alterTable(as *pg_query.AlterTableStmt) (planner.Statement, error) {
	if as.Objtype == pg_query.ObjectType_OBJECT_TYPE {
		return b.alterType(as)
	}
	if as.Objtype != pg_query.ObjectType_OBJECT_TABLE {
		return nil, errs.New(errs.NotImplemented, "ALTER %s is not supported", strings.TrimPrefix(as.Objtype.String(), "OBJECT_"))
	}
	if _, err := b.table(as.Relation); err != nil {
		if as.MissingOk {
			return &planner.AlterTable{}, nil
		}
		return nil, err
	}
	st := &planner.AlterTable{Name: as.Relation.Relname, Set: map[string]string{}}
	for _, c := range as.Cmds {
		cmd := c.GetAlterTableCmd()
		if cmd.Subtype != pg_query.AlterTableType_AT_SetRelOptions {
			return nil, errs.New(errs.NotImplemented, "ALTER TABLE supports SET (property = value, ...) only")
		}
		for _, o := range cmd.Def.GetList().GetItems() {
			d := o.GetDefElem()
			v, err := defValue(d)
			if err != nil {
				return nil, err
			}
			st.Set[strings.ToLower(d.Defname)] = v
		}
	}
	return st, nil
}

// setTarget binds one `column = expression` of an UPDATE's (or ON CONFLICT DO UPDATE's) SET
// list against table t: the column's index and the value, cast to the column's type;
// DEFAULT is the column's default (NULL without one). set holds the columns set so far.
func (b *binder) setTarget(t *catalog.Table, rt *pg_query.ResTarget, set map[int]planner.Expr, sc *scope) (int, planner.Expr, error) {
	if len(rt.Indirection) > 0 {
		return 0, nil, errs.New(errs.NotImplemented, "UPDATE of parts of a column is not supported")
	}
	idx := t.ColumnIndex(rt.Name)
	if idx < 0 || t.Columns[idx].Hidden {
		return 0, nil, &errs.Error{Kind: errs.UndefinedColumn, Msg: fmt.Sprintf("column %q of relation %q does not exist", rt.Name, t.Name), Position: int(rt.Location) + 1}
	}
	if _, dup := set[idx]; dup {
		return 0, nil, errs.New(errs.Syntax, "multiple assignments to same column %q", rt.Name)
	}
	if rt.Val.GetSetToDefault() != nil {
		if t.Columns[idx].Default == "" {
			return idx, &planner.Literal{Typ: t.Columns[idx].SQL()}, nil
		}
		e, err := b.defaultExpr(t.Columns[idx])
		return idx, e, err
	}
	e, err := b.expr(rt.Val, sc, nil)
	if err != nil {
		return 0, nil, err
	}
	ae, err := b.assign(e, t.Columns[idx].SQL())
	if err != nil {
		return 0, nil, errs.New(errs.DatatypeMismatch, "column %q is of type %s but expression is of type %s", rt.Name, types.Name(t.Columns[idx].SQL()), types.Name(e.Type()))
	}
	return idx, ae, nil
}
