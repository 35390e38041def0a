package sql

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/sleeperd/sleeperd/catalog"
	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/planner"
	"github.com/sleeperd/sleeperd/types"
)

// transaction binds BEGIN, COMMIT and ROLLBACK (and their other spellings START
// TRANSACTION, END and ABORT), SAVEPOINT, RELEASE [SAVEPOINT] and ROLLBACK TO [SAVEPOINT].
// The engine runs them: a transaction block defers its writes to COMMIT.
func (b *binder) transaction(ts *pg_query.TransactionStmt) (planner.Statement, error) {
	if ts.Chain {
		return nil, errs.New(errs.NotImplemented, "AND CHAIN is not supported")
	}
	switch ts.Kind {
	case pg_query.TransactionStmtKind_TRANS_STMT_BEGIN, pg_query.TransactionStmtKind_TRANS_STMT_START:
		modes, err := transactionModes(ts.Options)
		if err != nil {
			return nil, err
		}
		tag := "BEGIN"
		if ts.Kind == pg_query.TransactionStmtKind_TRANS_STMT_START {
			tag = "START TRANSACTION"
		}
		return &planner.Utility{Tag: tag, Modes: modes}, nil
	case pg_query.TransactionStmtKind_TRANS_STMT_COMMIT:
		return &planner.Utility{Tag: "COMMIT"}, nil
	case pg_query.TransactionStmtKind_TRANS_STMT_ROLLBACK:
		return &planner.Utility{Tag: "ROLLBACK"}, nil
	case pg_query.TransactionStmtKind_TRANS_STMT_SAVEPOINT:
		return &planner.Utility{Tag: "SAVEPOINT", Savepoint: ts.SavepointName}, nil
	case pg_query.TransactionStmtKind_TRANS_STMT_RELEASE:
		return &planner.Utility{Tag: "RELEASE", Savepoint: ts.SavepointName}, nil
	case pg_query.TransactionStmtKind_TRANS_STMT_ROLLBACK_TO:
		return &planner.Utility{Tag: "ROLLBACK", Savepoint: ts.SavepointName}, nil
	}
	return nil, errs.New(errs.NotImplemented, "%s is not supported", strings.TrimPrefix(ts.Kind.String(), "TRANS_STMT_"))
}

// transactionModes reads the modes of BEGIN, START TRANSACTION and SET TRANSACTION: READ
// ONLY, READ WRITE, ISOLATION LEVEL (READ UNCOMMITTED and READ COMMITTED run as READ
// COMMITTED, REPEATABLE READ and SERIALIZABLE as snapshot isolation), and DEFERRABLE
// (accepted; it matters only to serializable read-only transactions).
func transactionModes(opts []*pg_query.Node) (planner.TransactionModes, error) {
	var m planner.TransactionModes
	for _, o := range opts {
		d := o.GetDefElem()
		if d == nil {
			continue
		}
		c := d.Arg.GetAConst()
		switch d.Defname {
		case "transaction_read_only":
			ro := c.GetIval().GetIval() != 0
			m.ReadOnly = &ro
		case "transaction_isolation":
			m.Isolation = strings.ToLower(c.GetSval().GetSval())
		case "transaction_deferrable":
		default:
			return m, errs.New(errs.NotImplemented, "transaction mode %s is not supported", d.Defname)
		}
	}
	return m, nil
}

// createIndex binds CREATE [UNIQUE] INDEX. No index is built: a table is sorted by its row
// and sort keys, which partition and row-group pruning use, and there are no secondary
// indexes. The index is recorded so that its name exists. A unique index would promise a
// uniqueness nothing enforces, so it is refused unless its columns are the table's PRIMARY
// KEY, which last-write-wins keeps unique already.
func (b *binder) createIndex(is *pg_query.IndexStmt) (planner.Statement, error) {
	if rv := is.Relation; rv != nil && (rv.Schemaname == "" || rv.Schemaname == "public") {
		if _, ok, err := b.cat.View(b.ctx, rv.Relname); err != nil {
			return nil, err
		} else if ok {
			return nil, &errs.Error{Kind: errs.WrongObjectType, Msg: fmt.Sprintf("cannot create index on relation %q", rv.Relname), Detail: "This operation is not supported for views."}
		}
	}
	t, err := b.table(is.Relation)
	if err != nil {
		return nil, err
	}
	st := &planner.CreateIndex{Name: is.Idxname, Table: t.Name, Unique: is.Unique, IfNotExists: is.IfNotExists}
	exprs := false
	for _, p := range is.IndexParams {
		el := p.GetIndexElem()
		if el == nil {
			return nil, errs.New(errs.Syntax, "bad index column")
		}
		if el.Name == "" {
			exprs = true
			name := "expr"
			if fc := el.Expr.GetFuncCall(); fc != nil {
				name = funcName(fc)
			}
			st.Columns = append(st.Columns, "("+name+")")
			continue
		}
		if t.ColumnIndex(el.Name) < 0 {
			return nil, errs.New(errs.UndefinedColumn, "column %q does not exist", el.Name)
		}
		st.Columns = append(st.Columns, el.Name)
	}
	if is.Unique {
		pk := make([]string, len(t.PrimaryKey))
		for i, c := range t.PrimaryKey {
			pk[i] = t.Columns[c].Name
		}
		cols := slices.Clone(st.Columns)
		slices.Sort(pk)
		slices.Sort(cols)
		if exprs || len(pk) == 0 || !slices.Equal(slices.Compact(cols), pk) {
			return nil, &errs.Error{Kind: errs.NotImplemented,
				Msg:    "unique indexes are not supported: only a table's PRIMARY KEY keeps rows unique",
				Detail: "sleeperd builds no indexes, so it could not enforce the uniqueness this index promises.",
				Hint:   "Declare the columns as the table's PRIMARY KEY when creating it (a later row with the same key replaces the earlier one)."}
		}
	}
	return st, nil
}

// dropIndex binds DROP INDEX [IF EXISTS] name, ...
func (b *binder) dropIndex(ds *pg_query.DropStmt) (planner.Statement, error) {
	st := &planner.DropIndex{IfExists: ds.MissingOk}
	for _, o := range ds.Objects {
		items := o.GetList().GetItems()
		if len(items) == 0 {
			return nil, errs.New(errs.Syntax, "DROP INDEX needs an index name")
		}
		if len(items) == 2 && items[0].GetString_().GetSval() != "public" {
			return nil, errs.New(errs.InvalidSchemaName, "schema %q does not exist", items[0].GetString_().GetSval())
		}
		st.Names = append(st.Names, items[len(items)-1].GetString_().GetSval())
	}
	return st, nil
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
	var widen *planner.Project // casts the columns whose type the table widens
	for i, c := range cols {
		t := c.Type
		if types.IsUnknown(t) {
			t = types.Text
		}
		dn := types.DefaultNumeric.(*arrow.Decimal128Type)
		if d, ok := t.(*arrow.Decimal128Type); ok && d.Precision == dn.Precision && d.Scale < dn.Scale {
			// A typmod-less numeric expression (the binder gives it its values' scale, such
			// as 0 for i::numeric) makes a plain numeric column, as in PostgreSQL: rows
			// inserted later keep their decimals instead of being rounded to the first
			// query's scale.
			t = types.DefaultNumeric
			if widen == nil {
				widen = &planner.Project{Input: src}
				for _, c := range cols {
					widen.Exprs = append(widen.Exprs, ref(c))
					widen.Cols = append(widen.Cols, c)
				}
			}
			widen.Exprs[i] = b.coerce(ref(c), t)
			widen.Cols[i] = b.newColumn(c.Name, t)
		}
		def.Columns = append(def.Columns, catalog.Column{Name: names[i], Type: t, Nullable: true})
	}
	if widen != nil {
		src = widen
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
	case pg_query.VariableSetKind_VAR_SET_MULTI:
		// SET TRANSACTION ... and SET SESSION CHARACTERISTICS AS TRANSACTION ...
		if vs.Name == "TRANSACTION" || vs.Name == "SESSION CHARACTERISTICS" {
			var opts []*pg_query.Node
			for _, a := range vs.Args {
				opts = append(opts, a)
			}
			modes, err := transactionModes(opts)
			if err != nil {
				return nil, err
			}
			return &planner.SetTransaction{Modes: modes, Session: vs.Name == "SESSION CHARACTERISTICS"}, nil
		}
		return nil, errs.New(errs.NotImplemented, "SET %s is not supported", vs.Name)
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
