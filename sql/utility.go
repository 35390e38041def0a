package sql

import (
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
