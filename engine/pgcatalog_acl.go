package engine

import (
	"context"
	"slices"
	"strings"

	"github.com/sleeperd/sleeperd/catalog"
	"github.com/sleeperd/sleeperd/exec"
)

// tableRights shows tables' owners and grants in pg_class (relowner, relacl), pg_tables
// (tableowner) and information_schema.table_privileges / role_table_grants.
type tableRights struct {
	e    *Engine
	byID map[string]catalog.Role
}

func (e *Engine) tableRights(ctx context.Context) tableRights {
	roles, _ := e.cat.Roles(ctx) // unreadable: every table shows the built-in owner
	byID := make(map[string]catalog.Role, len(roles))
	for _, r := range roles {
		byID[r.ID] = r
		if r.Name != catalog.OwnerName {
			exec.SetRoleName(catalog.RoleOID(r.ID), r.Name)
		}
	}
	return tableRights{e: e, byID: byID}
}

// owner is the name and OID of t's owner: the built-in role for a table created without
// a role (see catalog.TableACL.Owner) and for the role that bears its name.
func (tr tableRights) owner(acl catalog.TableACL) (string, int64) {
	r, ok := tr.byID[acl.Owner]
	if !ok || r.Name == catalog.OwnerName {
		return catalog.OwnerName, catalog.OIDRole
	}
	return r.Name, catalog.RoleOID(r.ID)
}

// aclGrant is one entry of a table's ACL: grantee "" is PUBLIC.
type aclGrant struct {
	grantee string
	privs   catalog.Privilege
}

// grants are the entries of acl: the owner's (all privileges) first, then the others by
// grantee name, PUBLIC first.
func (tr tableRights) grants(acl catalog.TableACL) []aclGrant {
	owner, _ := tr.owner(acl)
	out := []aclGrant{{owner, catalog.PrivAll}}
	var rest []aclGrant
	for id, p := range acl.Grants {
		if id == catalog.Public {
			rest = append(rest, aclGrant{"", p})
		} else if r, ok := tr.byID[id]; ok && r.Name != owner {
			rest = append(rest, aclGrant{r.Name, p})
		}
	}
	slices.SortFunc(rest, func(a, b aclGrant) int { return strings.Compare(a.grantee, b.grantee) })
	return append(out, rest...)
}

// relacl is pg_class.relacl: NULL until a GRANT or REVOKE named the table, then the
// aclitems in PostgreSQL's text form, grantee=privileges/grantor (the grantor is always
// the owner). The privileges are sleeperd's (arwdD): it has no REFERENCES (x) or TRIGGER
// (t), so neither is ever listed, not even for the owner.
func (tr tableRights) relacl(acl catalog.TableACL) any {
	if !acl.Granted {
		return nil
	}
	owner, _ := tr.owner(acl)
	var items []string
	for _, g := range tr.grants(acl) {
		grantee := ""
		if g.grantee != "" {
			grantee = aclName(g.grantee)
		}
		items = append(items, grantee+"="+g.privs.Letters()+"/"+aclName(owner))
	}
	return items
}

// aclName is a role name as aclitem prints it: double-quoted unless it is letters, digits
// and underscores only.
func aclName(n string) string {
	for _, c := range n {
		if !(c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80) {
			return `"` + strings.ReplaceAll(n, `"`, `""`) + `"`
		}
	}
	return n
}

// privilegeRows are the rows of information_schema.table_privileges (and
// role_table_grants) for table: one per grantee and privilege, the owner's marked
// grantable, as PostgreSQL lists them (SELECT is the one privilege WITH HIERARCHY).
func (tr tableRights) privilegeRows(table string, acl catalog.TableACL, row func(...any)) {
	owner, _ := tr.owner(acl)
	for _, g := range tr.grants(acl) {
		grantee, grantable := g.grantee, "NO"
		if grantee == "" {
			grantee = "PUBLIC"
		} else if grantee == owner {
			grantable = "YES"
		}
		for _, name := range g.privs.Names() {
			hier := "NO"
			if name == "SELECT" {
				hier = "YES"
			}
			row(owner, grantee, catalog.DatabaseName, catalog.PublicSchema, table, name, grantable, hier)
		}
	}
}
