package sql

import (
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/sleeperd/sleeperd/catalog"
	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/planner"
)

// roleStatement binds CREATE ROLE/USER, ALTER ROLE/USER, DROP ROLE/USER, ALTER ROLE ...
// RENAME TO, GRANT and REVOKE on tables; it reports false for other statements.
func (b *binder) roleStatement(n *pg_query.Node) (planner.Statement, bool, error) {
	switch {
	case n.GetCreateRoleStmt() != nil:
		s := n.GetCreateRoleStmt()
		if s.StmtType == pg_query.RoleStmtType_ROLESTMT_GROUP {
			return nil, true, errs.New(errs.NotImplemented, "CREATE GROUP is not supported")
		}
		opts, err := roleOptions(s.Options)
		if err != nil {
			return nil, true, err
		}
		if err := checkRoleName(s.Role); err != nil {
			return nil, true, err
		}
		return &planner.CreateRole{Name: s.Role, User: s.StmtType == pg_query.RoleStmtType_ROLESTMT_USER, Options: opts}, true, nil
	case n.GetAlterRoleStmt() != nil:
		s := n.GetAlterRoleStmt()
		name, err := roleSpecName(s.Role)
		if err != nil {
			return nil, true, err
		}
		opts, err := roleOptions(s.Options)
		if err != nil {
			return nil, true, err
		}
		return &planner.AlterRole{Name: name, Options: opts}, true, nil
	case n.GetRenameStmt() != nil && n.GetRenameStmt().RenameType == pg_query.ObjectType_OBJECT_ROLE:
		s := n.GetRenameStmt()
		if err := checkRoleName(s.Newname); err != nil {
			return nil, true, err
		}
		return &planner.AlterRole{Name: s.Subname, NewName: s.Newname}, true, nil
	case n.GetDropRoleStmt() != nil:
		s := n.GetDropRoleStmt()
		st := &planner.DropRole{IfExists: s.MissingOk}
		for _, r := range s.Roles {
			name, err := roleSpecName(r.GetRoleSpec())
			if err != nil {
				return nil, true, err
			}
			st.Names = append(st.Names, name)
		}
		return st, true, nil
	case n.GetGrantStmt() != nil:
		st, err := b.grant(n.GetGrantStmt())
		return st, true, err
	case n.GetGrantRoleStmt() != nil:
		return nil, true, errs.New(errs.NotImplemented, "role membership (GRANT role TO role) is not supported")
	}
	return nil, false, nil
}

func checkRoleName(name string) error {
	switch strings.ToLower(name) {
	case "public", "none":
		return errs.New(errs.ReservedName, "role name %q is reserved", name)
	}
	if strings.HasPrefix(name, "pg_") {
		return errs.New(errs.ReservedName, "role name %q is reserved", name)
	}
	return nil
}

func roleSpecName(rs *pg_query.RoleSpec) (string, error) {
	if rs == nil {
		return "", errs.New(errs.Syntax, "missing role name")
	}
	switch rs.Roletype {
	case pg_query.RoleSpecType_ROLESPEC_CSTRING:
		return rs.Rolename, nil
	case pg_query.RoleSpecType_ROLESPEC_PUBLIC:
		return catalog.Public, nil
	}
	return "", errs.New(errs.NotImplemented, "CURRENT_USER, CURRENT_ROLE and SESSION_USER are not supported as role names here")
}

// roleOptions reads the options of CREATE ROLE and ALTER ROLE.
func roleOptions(nodes []*pg_query.Node) (planner.RoleOptions, error) {
	var o planner.RoleOptions
	for _, n := range nodes {
		d := n.GetDefElem()
		if d == nil {
			continue
		}
		switch d.Defname {
		case "superuser", "canlogin":
			v := d.Arg.GetBoolean().GetBoolval()
			if d.Arg.GetInteger() != nil {
				v = d.Arg.GetInteger().Ival != 0
			}
			if d.Defname == "superuser" {
				o.Superuser = &v
			} else {
				o.Login = &v
			}
		case "password":
			p := ""
			if d.Arg != nil {
				p = d.Arg.GetString_().GetSval()
			}
			o.Password = &p
		case "inherit":
			// Every role inherits; there is no membership to inherit from.
		default:
			return o, errs.New(errs.NotImplemented, "role option %s is not supported", strings.ToUpper(d.Defname))
		}
	}
	return o, nil
}

// grant binds GRANT and REVOKE of table privileges.
func (b *binder) grant(s *pg_query.GrantStmt) (planner.Statement, error) {
	if s.Objtype != pg_query.ObjectType_OBJECT_TABLE {
		return nil, errs.New(errs.NotImplemented, "GRANT and REVOKE are supported on tables only")
	}
	if s.GrantOption {
		return nil, errs.New(errs.NotImplemented, "WITH GRANT OPTION is not supported")
	}
	st := &planner.Grant{Revoke: !s.IsGrant}
	if len(s.Privileges) == 0 {
		st.Privileges = catalog.PrivAll
	}
	for _, p := range s.Privileges {
		ap := p.GetAccessPriv()
		if len(ap.GetCols()) > 0 {
			return nil, errs.New(errs.NotImplemented, "column privileges are not supported")
		}
		switch strings.ToLower(ap.GetPrivName()) {
		case "select":
			st.Privileges |= catalog.PrivSelect
		case "insert":
			st.Privileges |= catalog.PrivInsert
		case "update":
			st.Privileges |= catalog.PrivUpdate
		case "delete":
			st.Privileges |= catalog.PrivDelete
		case "truncate":
			st.Privileges |= catalog.PrivTruncate
		case "references", "trigger":
			// Accepted for the tools that grant them; nothing to enforce.
		default:
			return nil, errs.New(errs.InvalidGrantOperation, "invalid privilege type %s for table", strings.ToUpper(ap.GetPrivName()))
		}
	}
	switch s.Targtype {
	case pg_query.GrantTargetType_ACL_TARGET_OBJECT:
		for _, o := range s.Objects {
			rv := o.GetRangeVar()
			if rv == nil {
				return nil, errs.New(errs.Syntax, "expected a table name")
			}
			if _, isView, err := b.cat.View(b.ctx, rv.Relname); err == nil && isView && (rv.Schemaname == "" || rv.Schemaname == "public") {
				return nil, errs.New(errs.NotImplemented, "GRANT and REVOKE on views are not supported; grant on the tables the view reads")
			}
			t, err := b.table(rv)
			if err != nil {
				return nil, err
			}
			st.Tables = append(st.Tables, t.Name)
		}
	case pg_query.GrantTargetType_ACL_TARGET_ALL_IN_SCHEMA:
		for _, o := range s.Objects {
			if name := o.GetString_().GetSval(); name != "public" {
				return nil, errs.New(errs.InvalidSchemaName, "schema %q does not exist", name)
			}
		}
		st.AllTables = true
	default:
		return nil, errs.New(errs.NotImplemented, "ALTER DEFAULT PRIVILEGES is not supported")
	}
	for _, g := range s.Grantees {
		name, err := roleSpecName(g.GetRoleSpec())
		if err != nil {
			return nil, err
		}
		st.Grantees = append(st.Grantees, name)
	}
	return st, nil
}
