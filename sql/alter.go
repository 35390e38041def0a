package sql

import (
	"fmt"
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/sleeperd/sleeperd/catalog"
	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/planner"
	"github.com/sleeperd/sleeperd/types"
)

// alterColumns binds ALTER TABLE t ADD [COLUMN], DROP [COLUMN], ALTER [COLUMN] c SET/DROP
// DEFAULT and SET/DROP NOT NULL; ok is false for the other forms (ALTER TABLE ... SET (...)).
func (b *binder) alterColumns(as *pg_query.AlterTableStmt) (planner.Statement, bool, error) {
	if as.Objtype != pg_query.ObjectType_OBJECT_TABLE || len(as.Cmds) == 0 {
		return nil, false, nil
	}
	for _, c := range as.Cmds {
		if c.GetAlterTableCmd().GetSubtype() == pg_query.AlterTableType_AT_SetRelOptions {
			return nil, false, nil
		}
	}
	st := &planner.AlterColumns{Table: as.Relation.Relname, IfExists: as.MissingOk}
	t, err := b.table(as.Relation)
	if err != nil {
		if as.MissingOk {
			return st, true, nil
		}
		return nil, true, err
	}
	for _, n := range as.Cmds {
		cmd := n.GetAlterTableCmd()
		c := planner.AlterColumn{Column: cmd.Name, Missing: cmd.MissingOk}
		switch cmd.Subtype {
		case pg_query.AlterTableType_AT_AddColumn:
			c.Op = planner.AddColumn
			if c.Def, err = b.addedColumn(t, cmd.Def.GetColumnDef()); err != nil {
				return nil, true, err
			}
			c.Column = c.Def.Name
		case pg_query.AlterTableType_AT_DropColumn:
			c.Op = planner.DropColumn
			if cmd.Behavior == pg_query.DropBehavior_DROP_CASCADE {
				return nil, true, errs.New(errs.NotImplemented, "DROP COLUMN ... CASCADE is not supported")
			}
		case pg_query.AlterTableType_AT_ColumnDefault:
			c.Op = planner.DropDefault
			if cmd.Def != nil {
				c.Op = planner.SetDefault
				idx := t.ColumnIndex(cmd.Name)
				if idx < 0 || t.Columns[idx].Hidden {
					return nil, true, errs.New(errs.UndefinedColumn, "column %q of relation %q does not exist", cmd.Name, t.Name)
				}
				col := t.Columns[idx]
				col.Default = ""
				if err := b.constraintDefault(&col, &pg_query.Constraint{RawExpr: cmd.Def}); err != nil {
					return nil, true, err
				}
				c.Def = col
			}
		case pg_query.AlterTableType_AT_SetNotNull:
			c.Op = planner.SetNotNull
		case pg_query.AlterTableType_AT_DropNotNull:
			c.Op = planner.DropNotNull
		case pg_query.AlterTableType_AT_AddConstraint:
			con := cmd.Def.GetConstraint()
			switch con.GetContype() {
			case pg_query.ConstrType_CONSTR_CHECK:
				if con.IsNoInherit || con.SkipValidation {
					return nil, true, errs.New(errs.NotImplemented, "CHECK constraints with NO INHERIT or NOT VALID are not supported")
				}
				_, cols, err := b.checkExpr(con.RawExpr, tableColumnsScope(t.Name, t.Columns))
				if err != nil {
					return nil, true, err
				}
				text, err := exprText(con.RawExpr)
				if err != nil {
					return nil, true, err
				}
				c.Op, c.Check = planner.AddCheck, catalog.Check{Name: con.Conname, Expr: text}
				if len(cols) == 1 {
					c.CheckColumn = cols[0]
				}
			case pg_query.ConstrType_CONSTR_FOREIGN:
				return nil, true, foreignKeyRefused()
			default:
				return nil, true, errs.New(errs.NotImplemented, "ALTER TABLE ADD CONSTRAINT %s is not supported", strings.TrimPrefix(con.GetContype().String(), "CONSTR_"))
			}
		case pg_query.AlterTableType_AT_DropConstraint:
			c.Op = planner.DropCheck
			if cmd.Behavior == pg_query.DropBehavior_DROP_CASCADE {
				return nil, true, errs.New(errs.NotImplemented, "DROP CONSTRAINT ... CASCADE is not supported")
			}
		case pg_query.AlterTableType_AT_AlterColumnType:
			if c, err = setType(t, cmd); err != nil {
				return nil, true, err
			}
		default:
			return nil, true, errs.New(errs.NotImplemented, "ALTER TABLE %s is not supported", strings.TrimPrefix(cmd.Subtype.String(), "AT_"))
		}
		st.Cmds = append(st.Cmds, c)
	}
	return st, true, nil
}

// addedColumn binds the definition of a column ADD COLUMN adds: a type, NULL/NOT NULL and a
// DEFAULT; constraints that need more (CHECK, keys, serial and identity) are refused.
func (b *binder) addedColumn(t *catalog.Table, cd *pg_query.ColumnDef) (catalog.Column, error) {
	if serial, _, _ := serialType(cd.TypeName); serial != "" {
		return catalog.Column{}, errs.New(errs.NotImplemented, "ADD COLUMN of a serial column is not supported")
	}
	if err := pseudoColumn(cd.Colname, cd.TypeName); err != nil {
		return catalog.Column{}, err
	}
	typ, err := ResolveType(cd.TypeName)
	if err != nil {
		return catalog.Column{}, err
	}
	if err := checkColumnType(cd.Colname, typ); err != nil {
		return catalog.Column{}, err
	}
	col := catalog.Column{Name: cd.Colname, Type: typ, Nullable: !cd.IsNotNull}
	for _, n := range cd.Constraints {
		con := n.GetConstraint()
		switch con.Contype {
		case pg_query.ConstrType_CONSTR_NOTNULL:
			col.Nullable = false
		case pg_query.ConstrType_CONSTR_NULL:
		case pg_query.ConstrType_CONSTR_DEFAULT:
			if err := b.constraintDefault(&col, con); err != nil {
				return catalog.Column{}, err
			}
		case pg_query.ConstrType_CONSTR_FOREIGN:
			return catalog.Column{}, foreignKeyRefused()
		default:
			return catalog.Column{}, errs.New(errs.NotImplemented, "ADD COLUMN with constraint %s is not supported", strings.TrimPrefix(con.Contype.String(), "CONSTR_"))
		}
	}
	return col, nil
}

// rename binds ALTER TABLE t RENAME TO u and ALTER TABLE t RENAME [COLUMN] a TO b.
func (b *binder) rename(rs *pg_query.RenameStmt) (planner.Statement, error) {
	switch rs.RenameType {
	case pg_query.ObjectType_OBJECT_TABLE:
		return &planner.AlterColumns{Table: rs.Relation.Relname, IfExists: rs.MissingOk,
			Cmds: []planner.AlterColumn{{Op: planner.RenameTableTo, NewName: rs.Newname}}}, nil
	case pg_query.ObjectType_OBJECT_ATTRIBUTE:
		return b.renameAttribute(rs)
	case pg_query.ObjectType_OBJECT_COLUMN:
		if rs.RelationType != pg_query.ObjectType_OBJECT_TABLE {
			break
		}
		return &planner.AlterColumns{Table: rs.Relation.Relname, IfExists: rs.MissingOk,
			Cmds: []planner.AlterColumn{{Op: planner.RenameColumn, Column: rs.Subname, NewName: rs.Newname}}}, nil
	}
	return nil, errs.New(errs.NotImplemented, "ALTER %s ... RENAME is not supported", strings.TrimPrefix(rs.RenameType.String(), "OBJECT_"))
}

// truncate binds TRUNCATE [TABLE] t, ...
func (b *binder) truncate(ts *pg_query.TruncateStmt) (planner.Statement, error) {
	if ts.Behavior == pg_query.DropBehavior_DROP_CASCADE {
		return nil, errs.New(errs.NotImplemented, "TRUNCATE ... CASCADE is not supported")
	}
	if ts.RestartSeqs {
		return nil, errs.New(errs.NotImplemented, "TRUNCATE ... RESTART IDENTITY is not supported")
	}
	st := &planner.Truncate{}
	for _, r := range ts.Relations {
		rv := r.GetRangeVar()
		if err := b.viewTarget(rv, "truncate"); err != nil {
			return nil, err
		}
		t, err := b.table(rv)
		if err != nil {
			return nil, err
		}
		st.Tables = append(st.Tables, t.Name)
	}
	return st, nil
}

// comment binds COMMENT ON TABLE t | COLUMN t.c IS 'text' | NULL.
func (b *binder) comment(cs *pg_query.CommentStmt) (planner.Statement, error) {
	var names []string
	for _, it := range cs.Object.GetList().GetItems() {
		names = append(names, it.GetString_().GetSval())
	}
	if len(names) > 0 && names[0] == "public" && len(names) > 1 {
		names = names[1:]
	}
	switch cs.Objtype {
	case pg_query.ObjectType_OBJECT_TABLE:
		if len(names) != 1 {
			break
		}
		if _, err := b.table(&pg_query.RangeVar{Relname: names[0]}); err != nil {
			return nil, err
		}
		return &planner.Comment{Table: names[0], Text: cs.Comment}, nil
	case pg_query.ObjectType_OBJECT_COLUMN:
		if len(names) != 2 {
			break
		}
		t, err := b.table(&pg_query.RangeVar{Relname: names[0]})
		if err != nil {
			return nil, err
		}
		if i := t.ColumnIndex(names[1]); i < 0 || t.Columns[i].Hidden {
			return nil, errs.New(errs.UndefinedColumn, "column %q of relation %q does not exist", names[1], names[0])
		}
		return &planner.Comment{Table: names[0], Column: names[1], Text: cs.Comment}, nil
	}
	return nil, errs.New(errs.NotImplemented, "COMMENT ON %s is not supported", strings.TrimPrefix(cs.Objtype.String(), "OBJECT_"))
}

// setType binds ALTER [COLUMN] c [SET DATA] TYPE typ [USING expr]. USING may be the column
// cast explicitly, any number of times (c::integer, CAST(c AS text)::date); other
// expressions are refused. The value is then assigned to typ with PostgreSQL's assignment
// casts: text to a number, for one, needs USING (42804 as in PostgreSQL).
func setType(t *catalog.Table, cmd *pg_query.AlterTableCmd) (planner.AlterColumn, error) {
	c := planner.AlterColumn{Op: planner.SetType, Column: cmd.Name}
	cd := cmd.Def.GetColumnDef()
	if cd.GetCollClause() != nil {
		return c, errs.New(errs.NotImplemented, "ALTER COLUMN ... TYPE with COLLATE is not supported")
	}
	if err := pseudoColumn(cmd.Name, cd.TypeName); err != nil {
		return c, err
	}
	typ, err := ResolveType(cd.TypeName)
	if err != nil {
		return c, err
	}
	c.Def = catalog.Column{Name: cmd.Name, Type: typ}
	i := t.ColumnIndex(cmd.Name)
	if i < 0 || t.Columns[i].Hidden {
		return c, nil // reported when run
	}
	from := t.Columns[i].SQL()
	if u := cd.GetRawDefault(); u != nil {
		var via []arrow.DataType
		for {
			if tc := u.GetTypeCast(); tc != nil {
				vt, err := ResolveType(tc.TypeName)
				if err != nil {
					return c, err
				}
				via = append(via, vt)
				u = tc.Arg
				continue
			}
			break
		}
		ref := u.GetColumnRef()
		if ref == nil || len(ref.Fields) != 1 || ref.Fields[0].GetString_() == nil || ref.Fields[0].GetString_().Sval != cmd.Name {
			return c, errs.New(errs.NotImplemented, "ALTER COLUMN ... TYPE ... USING is supported only for casts of the column itself (USING %s::type)", cmd.Name)
		}
		slices.Reverse(via) // innermost cast first
		for _, v := range via {
			if !castable(from, v) && !timeCastable(from, v, true) {
				return c, errs.New(errs.CannotCoerce, "cannot cast type %s to %s", types.Name(from), types.Name(v))
			}
			from = v
		}
		c.Via = via
	}
	if !assignable(from, typ) && !timeCastable(from, typ, false) {
		if len(c.Via) > 0 {
			return c, errs.New(errs.DatatypeMismatch, "result of USING clause for column %q cannot be cast automatically to type %s", cmd.Name, types.Name(typ))
		}
		return c, &errs.Error{Kind: errs.DatatypeMismatch, Msg: fmt.Sprintf("column %q cannot be cast automatically to type %s", cmd.Name, types.Name(typ)),
			Hint: fmt.Sprintf("You might need to specify \"USING %s::%s\".", cmd.Name, types.Name(typ))}
	}
	return c, nil
}
