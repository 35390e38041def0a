package sql

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/sleeperd/sleeperd/catalog"
	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/planner"
	"github.com/sleeperd/sleeperd/types"
)

// createTable binds CREATE TABLE name (columns...) WITH (row_keys = 'a,b', ...).
func (b *binder) createTable(cs *pg_query.CreateStmt) (planner.Statement, error) {
	if cs.Relation.Schemaname != "" && cs.Relation.Schemaname != "public" {
		return nil, errs.New(errs.InvalidSchemaName, "schema %q does not exist", cs.Relation.Schemaname)
	}
	if len(cs.InhRelations) > 0 || cs.Partspec != nil || cs.OfTypename != nil {
		return nil, errs.New(errs.NotImplemented, "inheritance, partitioning clauses and typed tables are not supported")
	}
	def := catalog.TableDef{Name: cs.Relation.Relname, Properties: map[string]string{}}
	notNull := map[string]bool{}
	// checks are the CHECK constraints, bound once every column is known.
	var checks []*pg_query.Constraint
	// seqs are the sequences of serial and identity columns.
	var seqs []*catalog.Sequence
	for _, elt := range cs.TableElts {
		switch {
		case elt.GetColumnDef() != nil:
			cd := elt.GetColumnDef()
			serial, t, err := serialType(cd.TypeName)
			if err != nil {
				return nil, err
			}
			var typeName string
			if t == nil {
				if err := pseudoColumn(cd.Colname, cd.TypeName); err != nil {
					return nil, err
				}
				if t, typeName, err = b.resolveType(cd.TypeName); err != nil {
					return nil, err
				}
			}
			if err := checkColumnType(cd.Colname, t); err != nil {
				return nil, err
			}
			col := catalog.Column{Name: cd.Colname, Type: t, Nullable: !cd.IsNotNull, TypeName: typeName}
			if serial != "" {
				seq, err := b.ownedSequence(def.Name, &col, serial, nil)
				if err != nil {
					return nil, err
				}
				seqs = append(seqs, seq)
			}
			for _, c := range cd.Constraints {
				con := c.GetConstraint()
				switch con.Contype {
				case pg_query.ConstrType_CONSTR_NOTNULL:
					col.Nullable = false
				case pg_query.ConstrType_CONSTR_NULL:
				case pg_query.ConstrType_CONSTR_PRIMARY:
					if len(def.PrimaryKey) > 0 {
						return nil, errs.New(errs.InvalidDefinition, "multiple primary keys for table %q are not allowed", def.Name)
					}
					def.PrimaryKey = []string{cd.Colname}
					col.Nullable = false
				case pg_query.ConstrType_CONSTR_DEFAULT:
					if col.Default != "" {
						return nil, errs.New(errs.Syntax, "multiple default values specified for column %q of table %q", col.Name, def.Name)
					}
					if err := b.constraintDefault(&col, con); err != nil {
						return nil, err
					}
				case pg_query.ConstrType_CONSTR_IDENTITY:
					if col.Default != "" {
						return nil, errs.New(errs.Syntax, "both default and identity specified for column %q of table %q", col.Name, def.Name)
					}
					seq, err := b.ownedSequence(def.Name, &col, "", con)
					if err != nil {
						return nil, err
					}
					seqs = append(seqs, seq)
				case pg_query.ConstrType_CONSTR_CHECK:
					checks = append(checks, con)
				case pg_query.ConstrType_CONSTR_FOREIGN:
					return nil, foreignKeyRefused()
				default:
					return nil, errs.New(errs.NotImplemented, "column constraint %s is not supported", strings.TrimPrefix(con.Contype.String(), "CONSTR_"))
				}
			}
			if !col.Nullable {
				notNull[col.Name] = true
			}
			def.Columns = append(def.Columns, col)
		case elt.GetConstraint() != nil:
			con := elt.GetConstraint()
			if con.Contype == pg_query.ConstrType_CONSTR_CHECK {
				checks = append(checks, con)
				continue
			}
			if con.Contype == pg_query.ConstrType_CONSTR_FOREIGN {
				return nil, foreignKeyRefused()
			}
			if con.Contype != pg_query.ConstrType_CONSTR_PRIMARY {
				return nil, errs.New(errs.NotImplemented, "table constraint %s is not supported", strings.TrimPrefix(con.Contype.String(), "CONSTR_"))
			}
			if len(def.PrimaryKey) > 0 {
				return nil, errs.New(errs.InvalidDefinition, "multiple primary keys for table %q are not allowed", def.Name)
			}
			for _, k := range con.Keys {
				def.PrimaryKey = append(def.PrimaryKey, k.GetString_().Sval)
			}
		default:
			return nil, errs.New(errs.NotImplemented, "CREATE TABLE element %s is not supported", stmtName(elt))
		}
	}
	for _, k := range def.PrimaryKey {
		for i := range def.Columns {
			if def.Columns[i].Name == k {
				def.Columns[i].Nullable = false
			}
		}
	}
	if err := b.tableChecks(&def, checks); err != nil {
		return nil, err
	}
	for _, o := range cs.Options {
		d := o.GetDefElem()
		if d.Defnamespace != "" {
			return nil, errs.New(errs.InvalidParameter, "unrecognized parameter namespace %q", d.Defnamespace)
		}
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
	return &planner.CreateTable{Def: def, IfNotExists: cs.IfNotExists, Sequences: seqs}, nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// defValue is the text of a WITH (...) option's value.
func defValue(d *pg_query.DefElem) (string, error) {
	if d.Arg == nil {
		return "true", nil
	}
	switch {
	case d.Arg.GetString_() != nil:
		return d.Arg.GetString_().Sval, nil
	case d.Arg.GetInteger() != nil:
		return strconv.Itoa(int(d.Arg.GetInteger().Ival)), nil
	case d.Arg.GetFloat() != nil:
		return d.Arg.GetFloat().Fval, nil
	case d.Arg.GetBoolean() != nil:
		return strconv.FormatBool(d.Arg.GetBoolean().Boolval), nil
	case d.Arg.GetTypeName() != nil:
		var parts []string
		for _, n := range d.Arg.GetTypeName().Names {
			parts = append(parts, n.GetString_().Sval)
		}
		return strings.Join(parts, "."), nil
	case d.Arg.GetAConst() != nil:
		l, err := literalFromConst(d.Arg.GetAConst())
		if err != nil {
			return "", err
		}
		return fmt.Sprint(l.Value), nil
	}
	return "", errs.New(errs.InvalidParameter, "invalid value for parameter %q", d.Defname)
}

func (b *binder) dropTable(ds *pg_query.DropStmt) (planner.Statement, error) {
	if ds.RemoveType == pg_query.ObjectType_OBJECT_INDEX {
		return b.dropIndex(ds)
	}
	if ds.RemoveType == pg_query.ObjectType_OBJECT_SEQUENCE {
		return b.dropSequence(ds)
	}
	if ds.RemoveType == pg_query.ObjectType_OBJECT_TYPE {
		return b.dropType(ds)
	}
	cascade := ds.Behavior == pg_query.DropBehavior_DROP_CASCADE
	if ds.RemoveType == pg_query.ObjectType_OBJECT_VIEW {
		st := &planner.DropView{IfExists: ds.MissingOk, Cascade: cascade}
		for _, o := range ds.Objects {
			items := o.GetList().GetItems()
			st.Names = append(st.Names, items[len(items)-1].GetString_().GetSval())
		}
		return st, nil
	}
	if ds.RemoveType != pg_query.ObjectType_OBJECT_TABLE {
		return nil, errs.New(errs.NotImplemented, "DROP %s is not supported", strings.TrimPrefix(ds.RemoveType.String(), "OBJECT_"))
	}
	st := &planner.DropTable{IfExists: ds.MissingOk, Cascade: cascade}
	for _, o := range ds.Objects {
		items := o.GetList().GetItems()
		if len(items) == 0 {
			return nil, errs.New(errs.Syntax, "DROP TABLE needs a table name")
		}
		if len(items) == 2 && items[0].GetString_().Sval != "public" {
			return nil, errs.New(errs.InvalidSchemaName, "schema %q does not exist", items[0].GetString_().Sval)
		}
		st.Names = append(st.Names, items[len(items)-1].GetString_().Sval)
	}
	return st, nil
}

// insert binds INSERT INTO t [(cols)] VALUES ... | SELECT ...
func (b *binder) insert(is *pg_query.InsertStmt) (planner.Statement, error) {
	if is.WithClause != nil {
		return nil, errs.New(errs.NotImplemented, "WITH in INSERT is not supported yet")
	}
	if is.Relation.Schemaname == catalog.SystemSchema {
		if _, ok := catalog.SystemTables[is.Relation.Relname]; ok {
			return nil, errs.New(errs.InvalidParameter, "system table %s.%s cannot be modified", is.Relation.Schemaname, is.Relation.Relname)
		}
	}
	if err := b.viewTarget(is.Relation, "insert into"); err != nil {
		return nil, err
	}
	t, err := b.table(is.Relation)
	if err != nil {
		return nil, err
	}
	// Target columns: the named ones, or every visible column in order.
	var targets []int
	if len(is.Cols) > 0 {
		seen := map[int]bool{}
		for _, c := range is.Cols {
			rt := c.GetResTarget()
			idx := -1
			for i, col := range t.Columns {
				if col.Name == rt.Name && !col.Hidden {
					idx = i
				}
			}
			if idx < 0 {
				return nil, &errs.Error{Kind: errs.UndefinedColumn, Msg: fmt.Sprintf("column %q of relation %q does not exist", rt.Name, t.Name), Position: int(rt.Location) + 1}
			}
			if seen[idx] {
				return nil, errs.New(errs.DuplicateColumn, "column %q specified more than once", rt.Name)
			}
			seen[idx] = true
			targets = append(targets, idx)
		}
	} else {
		for i, col := range t.Columns {
			if !col.Hidden {
				targets = append(targets, i)
			}
		}
	}
	colTypes := make([]arrow.DataType, len(targets))
	colNames := make([]string, len(targets))
	for i, idx := range targets {
		colTypes[i] = t.Columns[idx].SQL()
		colNames[i] = t.Columns[idx].Name
	}
	var src planner.Node
	if is.SelectStmt == nil {
		// DEFAULT VALUES: one row in which every column takes its default.
		targets, colTypes, colNames = nil, nil, nil
		src = &planner.Values{Rows: [][]planner.Expr{{}}}
	}
	sel := is.SelectStmt.GetSelectStmt()
	if err := checkIdentityTargets(is, sel, t, targets); err != nil {
		return nil, err
	}
	if sel != nil {
		sel = withDefaults(sel, t, targets)
	}
	if src != nil {
	} else if len(sel.ValuesLists) > 0 {
		if src, _, err = b.values(sel, colTypes, colNames); err != nil {
			return nil, err
		}
	} else {
		// Untyped outputs are assigned to the target columns' types, as PostgreSQL does.
		b.out = &outputTypes{types: colTypes, assign: true}
		if src, _, err = b.selectStmt(sel); err != nil {
			return nil, err
		}
	}
	cols := src.Columns()
	if len(cols) > len(targets) {
		return nil, errs.New(errs.Syntax, "INSERT has more expressions than target columns")
	}
	if len(cols) < len(targets) && len(is.Cols) > 0 {
		return nil, errs.New(errs.Syntax, "INSERT has more target columns than expressions")
	}
	// Assignment casts to the column types.
	proj := &planner.Project{Input: src}
	needProj := false
	for i, c := range cols {
		ref := &planner.ColumnRef{ID: c.ID, Name: c.Name, Typ: c.Type}
		e, err := b.assign(ref, colTypes[i])
		if err != nil {
			return nil, errs.New(errs.DatatypeMismatch, "column %q is of type %s but expression is of type %s", t.Columns[targets[i]].Name, types.Name(colTypes[i]), types.Name(c.Type))
		}
		if e != planner.Expr(ref) {
			needProj = true
		}
		proj.Exprs = append(proj.Exprs, e)
		proj.Cols = append(proj.Cols, b.newColumn(t.Columns[targets[i]].Name, colTypes[i]))
	}
	if needProj {
		src = proj
	}
	ins := &planner.Insert{Table: t, Source: src, Targets: make([]int, len(t.Columns))}
	for i := range ins.Targets {
		ins.Targets[i] = -1
	}
	for i := range cols {
		ins.Targets[targets[i]] = i
	}
	if is.OnConflictClause != nil {
		if ins.OnConflict, err = b.onConflict(is.OnConflictClause, t, is.Relation); err != nil {
			return nil, err
		}
	}
	if len(is.ReturningList) > 0 {
		cols, sc, err := b.insertScope(t, is.Relation)
		if err != nil {
			return nil, err
		}
		if ins.Returning, err = b.returning(is.ReturningList, t, cols, sc); err != nil {
			return nil, err
		}
	}
	ins.ParamTypes = b.finalParams()
	return ins, nil
}

// createView binds CREATE [OR REPLACE] VIEW name [(columns)] AS SELECT ...: the query is bound
// now, to check it and to find what it reads, and stored as text.
func (b *binder) createView(vs *pg_query.ViewStmt) (planner.Statement, error) {
	if vs.View.Schemaname != "" && vs.View.Schemaname != "public" {
		return nil, errs.New(errs.InvalidSchemaName, "schema %q does not exist", vs.View.Schemaname)
	}
	if vs.WithCheckOption != pg_query.ViewCheckOption_NO_CHECK_OPTION && vs.WithCheckOption != pg_query.ViewCheckOption_VIEW_CHECK_OPTION_UNDEFINED {
		return nil, errs.New(errs.NotImplemented, "WITH CHECK OPTION is not supported")
	}
	sel := vs.Query.GetSelectStmt()
	if sel == nil {
		return nil, errs.New(errs.NotImplemented, "a view must be a SELECT query")
	}
	b.deps = map[string]bool{}
	n, names, err := b.selectStmt(sel)
	if err != nil {
		return nil, err
	}
	if len(b.params) > 0 {
		return nil, errs.New(errs.UndefinedParam, "there is no parameter $1")
	}
	var cols []string
	for _, a := range vs.Aliases {
		cols = append(cols, a.GetString_().GetSval())
	}
	if len(cols) > len(n.Columns()) {
		return nil, errs.New(errs.Syntax, "CREATE VIEW specifies more column names than columns")
	}
	seen := map[string]bool{}
	for i, name := range names {
		if i < len(cols) {
			name = cols[i]
		}
		if seen[name] {
			return nil, errs.New(errs.DuplicateColumn, "column %q specified more than once", name)
		}
		seen[name] = true
	}
	text, err := pg_query.Deparse(&pg_query.ParseResult{Version: parseTreeVersion(), Stmts: []*pg_query.RawStmt{{Stmt: vs.Query}}})
	if err != nil {
		return nil, errs.Wrap(errs.Internal, err, "storing view %q: %v", vs.View.Relname, err)
	}
	delete(b.deps, vs.View.Relname)
	var deps []string
	for d := range b.deps {
		deps = append(deps, d)
	}
	sort.Strings(deps)
	return &planner.CreateView{View: catalog.View{Name: vs.View.Relname, SQL: text, Columns: cols, Deps: deps}, Replace: vs.Replace}, nil
}

var treeVersion = sync.OnceValue(func() int32 {
	res, err := pg_query.Parse("SELECT 1")
	if err != nil {
		return 0
	}
	return res.Version
})

// parseTreeVersion is the version of pg_query's parse trees, which Deparse checks.
func parseTreeVersion() int32 { return treeVersion() }
