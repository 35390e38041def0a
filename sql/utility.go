package sql

import (
	"strconv"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/sleeperd/sleeperd/catalog"
	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/planner"
)

// transaction binds BEGIN, COMMIT and ROLLBACK. Every statement commits atomically on its own
// when it completes, so a transaction block groups nothing: they are accepted for the tools
// that send them, and ROLLBACK does not undo the statements before it.
func (b *binder) transaction(ts *pg_query.TransactionStmt) (planner.Statement, error) {
	switch ts.Kind {
	case pg_query.TransactionStmtKind_TRANS_STMT_BEGIN, pg_query.TransactionStmtKind_TRANS_STMT_START:
		return &planner.Utility{Tag: "BEGIN"}, nil
	case pg_query.TransactionStmtKind_TRANS_STMT_COMMIT:
		return &planner.Utility{Tag: "COMMIT"}, nil
	case pg_query.TransactionStmtKind_TRANS_STMT_ROLLBACK:
		return &planner.Utility{Tag: "ROLLBACK"}, nil
	}
	return nil, errs.New(errs.NotImplemented, "%s is not supported", strings.TrimPrefix(ts.Kind.String(), "TRANS_STMT_"))
}

// createIndex accepts CREATE INDEX on an existing table as a no-op: a table is sorted by its
// row and sort keys, and partition and row-group pruning use them; there are no secondary
// indexes.
func (b *binder) createIndex(is *pg_query.IndexStmt) (planner.Statement, error) {
	if _, err := b.table(is.Relation); err != nil {
		return nil, err
	}
	return &planner.Utility{Tag: "CREATE INDEX"}, nil
}

// createTableAs binds CREATE TABLE name [(columns)] AS SELECT ...: a table keyed by insertion
// order whose columns are the query's.
func (b *binder) createTableAs(cs *pg_query.CreateTableAsStmt) (planner.Statement, error) {
	if cs.Objtype != pg_query.ObjectType_OBJECT_TABLE || cs.IsSelectInto {
		return nil, errs.New(errs.NotImplemented, "CREATE MATERIALIZED VIEW and SELECT INTO are not supported")
	}
	sel := cs.Query.GetSelectStmt()
	if sel == nil {
		return nil, errs.New(errs.NotImplemented, "CREATE TABLE AS supports SELECT queries only")
	}
	src, names, err := b.selectStmt(sel)
	if err != nil {
		return nil, err
	}
	cols := src.Columns()
	for i, n := range cs.Into.ColNames {
		if i < len(names) {
			names[i] = n.GetString_().GetSval()
		}
	}
	def := catalog.TableDef{Name: cs.Into.Rel.Relname, Properties: map[string]string{}}
	for i, c := range cols {
		t := c.Type
		if planner.IsUnknown(t) {
			t = planner.Text
		}
		def.Columns = append(def.Columns, catalog.Column{Name: names[i], Type: t, Nullable: true})
	}
	for _, o := range cs.Into.Options {
		d := o.GetDefElem()
		v, err := defValue(d)
		if err != nil {
			return nil, err
		}
		switch strings.ToLower(d.Defname) {
		case "row_keys":
			def.RowKeys = splitList(v)
		case "sort_keys":
			def.SortKeys = splitList(v)
		case "split_points":
			def.SplitPoints = splitList(v)
		default:
			def.Properties[strings.ToLower(d.Defname)] = v
		}
	}
	return &planner.CreateTableAs{Def: def, Source: src, IfNotExists: cs.IfNotExists, ParamTypes: b.finalParams()}, nil
}

// variableSet binds SET, SET TIME ZONE and RESET of a configuration parameter.
func (b *binder) variableSet(vs *pg_query.VariableSetStmt) (planner.Statement, error) {
	name := strings.ToLower(vs.Name)
	switch vs.Kind {
	case pg_query.VariableSetKind_VAR_RESET_ALL:
		return &planner.SetVariable{Name: "all", Reset: true}, nil
	case pg_query.VariableSetKind_VAR_RESET, pg_query.VariableSetKind_VAR_SET_DEFAULT:
		return &planner.SetVariable{Name: name, Reset: true, Local: vs.IsLocal}, nil
	case pg_query.VariableSetKind_VAR_SET_VALUE:
	default:
		return nil, errs.New(errs.NotImplemented, "SET %s is not supported", vs.Name)
	}
	var vals []string
	for _, a := range vs.Args {
		v, err := setValue(a)
		if err != nil {
			return nil, err
		}
		vals = append(vals, v)
	}
	if len(vals) == 1 && strings.EqualFold(vals[0], "default") && vs.Args[0].GetAConst().GetSval() == nil {
		return &planner.SetVariable{Name: name, Reset: true, Local: vs.IsLocal}, nil
	}
	return &planner.SetVariable{Name: name, Value: strings.Join(vals, ", "), Local: vs.IsLocal}, nil
}

// setValue is the text of one item of a SET value list: a constant, a name, or an interval
// such as INTERVAL '+01:00' HOUR TO MINUTE (its text).
func setValue(n *pg_query.Node) (string, error) {
	if tc := n.GetTypeCast(); tc != nil {
		n = tc.Arg
	}
	if c := n.GetAConst(); c != nil {
		switch {
		case c.GetSval() != nil:
			return c.GetSval().Sval, nil
		case c.GetIval() != nil:
			return strconv.Itoa(int(c.GetIval().Ival)), nil
		case c.GetFval() != nil:
			return c.GetFval().Fval, nil
		case c.GetBoolval() != nil:
			if c.GetBoolval().Boolval {
				return "on", nil
			}
			return "off", nil
		}
	}
	if cr := n.GetColumnRef(); cr != nil && len(cr.Fields) == 1 && cr.Fields[0].GetString_() != nil {
		return cr.Fields[0].GetString_().Sval, nil
	}
	return "", errs.New(errs.Syntax, "invalid value in SET")
}
