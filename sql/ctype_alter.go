package sql

import (
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/planner"
)

// alterType binds ALTER TYPE name ADD ATTRIBUTE f type, DROP ATTRIBUTE [IF EXISTS] f, ...
func (b *binder) alterType(as *pg_query.AlterTableStmt) (planner.Statement, error) {
	name, err := typeRelName(as.Relation)
	if err != nil {
		return nil, err
	}
	st := &planner.AlterType{Name: name}
	for _, n := range as.Cmds {
		cmd := n.GetAlterTableCmd()
		if cmd == nil {
			continue
		}
		switch cmd.Subtype {
		case pg_query.AlterTableType_AT_AddColumn:
			cd := cmd.Def.GetColumnDef()
			if cd == nil {
				return nil, errs.New(errs.Syntax, "ADD ATTRIBUTE needs an attribute definition")
			}
			if err := pseudoColumn(cd.Colname, cd.TypeName); err != nil {
				return nil, err
			}
			t, _, err := b.resolveType(cd.TypeName)
			if err != nil {
				return nil, err
			}
			if err := recordFieldType(cd.Colname, t); err != nil {
				return nil, err
			}
			f := arrow.Field{Name: cd.Colname, Type: recordFieldStorage(t), Nullable: true}
			st.Cmds = append(st.Cmds, planner.AlterTypeCmd{Add: &f})
		case pg_query.AlterTableType_AT_DropColumn:
			st.Cmds = append(st.Cmds, planner.AlterTypeCmd{Drop: true, Field: cmd.Name, IfExists: cmd.MissingOk})
		default:
			return nil, errs.New(errs.NotImplemented, "ALTER TYPE %s is not supported", strings.TrimPrefix(cmd.Subtype.String(), "AT_"))
		}
	}
	return st, nil
}

// renameAttribute binds ALTER TYPE name RENAME ATTRIBUTE f TO g.
func (b *binder) renameAttribute(rs *pg_query.RenameStmt) (planner.Statement, error) {
	if rs.RelationType != pg_query.ObjectType_OBJECT_TYPE {
		return nil, errs.New(errs.NotImplemented, "ALTER %s ... RENAME ATTRIBUTE is not supported", strings.TrimPrefix(rs.RelationType.String(), "OBJECT_"))
	}
	name, err := typeRelName(rs.Relation)
	if err != nil {
		return nil, err
	}
	return &planner.AlterType{Name: name, Cmds: []planner.AlterTypeCmd{{Field: rs.Subname, NewName: rs.Newname}}}, nil
}

func typeRelName(rv *pg_query.RangeVar) (string, error) {
	if rv == nil {
		return "", errs.New(errs.Syntax, "ALTER TYPE needs a type name")
	}
	if s := rv.Schemaname; s != "" && s != "public" {
		return "", errs.New(errs.InvalidSchemaName, "schema %q does not exist", s)
	}
	return rv.Relname, nil
}
