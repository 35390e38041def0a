package catalog

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/sleeperd/sleeperd/errs"
)

// Role is a role (CREATE ROLE, CREATE USER). Grants and table owners refer to it by ID, so
// a rename keeps them.
type Role struct {
	ID        string
	Name      string
	Superuser bool
	Login     bool
	// Verifier is the password's SCRAM-SHA-256 verifier in PostgreSQL's format, or empty
	// when the role has no password (and cannot log in with one).
	Verifier string
}

// Privilege is a set of table privileges.
type Privilege uint8

// The table privileges.
const (
	PrivSelect Privilege = 1 << iota
	PrivInsert
	PrivUpdate
	PrivDelete
	PrivTruncate
	// PrivAll is every table privilege (GRANT ALL).
	PrivAll = PrivSelect | PrivInsert | PrivUpdate | PrivDelete | PrivTruncate
)

// privLetters are the privileges in the order and with the letters of PostgreSQL's aclitem.
var privLetters = []struct {
	p      Privilege
	letter byte
	name   string
}{
	{PrivInsert, 'a', "INSERT"}, {PrivSelect, 'r', "SELECT"}, {PrivUpdate, 'w', "UPDATE"},
	{PrivDelete, 'd', "DELETE"}, {PrivTruncate, 'D', "TRUNCATE"},
}

// Letters are the privileges in aclitem's letters ("arwdD" for all).
func (p Privilege) Letters() string {
	var b []byte
	for _, l := range privLetters {
		if p&l.p != 0 {
			b = append(b, l.letter)
		}
	}
	return string(b)
}

// Names are the privileges' names, in aclitem's order.
func (p Privilege) Names() []string {
	var out []string
	for _, l := range privLetters {
		if p&l.p != 0 {
			out = append(out, l.name)
		}
	}
	return out
}

// Public is the grantee ID of GRANT ... TO PUBLIC.
const Public = "PUBLIC"

// TableACL is who owns a table and what others were granted on it.
type TableACL struct {
	// Owner is the ID of the owning role; empty for a table created without a role (by a
	// trusted session, or before roles existed): only superusers own it.
	Owner string
	// Grants are the privileges granted, by role ID (or Public).
	Grants map[string]Privilege
	// Granted is whether a GRANT or REVOKE ever named the table: until then its
	// pg_class.relacl is NULL (the owner's default rights), as in PostgreSQL.
	Granted bool
}

const (
	opCreateRole = "CreateRole"
	opAlterRole  = "AlterRole"
	opDropRole   = "DropRole"
	opACL        = "TableACL"
)

type roleJSON struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Superuser bool   `json:"superuser,omitempty"`
	Login     bool   `json:"login,omitempty"`
	Verifier  string `json:"verifier,omitempty"`
}

// aclJSON is a change of tables' ACLs: Owner, when set, becomes their owner; Grant adds
// privileges to Role's, Revoke removes them.
type aclJSON struct {
	Tables []string  `json:"tables"`
	Owner  string    `json:"owner,omitempty"`
	Role   string    `json:"role,omitempty"`
	Grant  Privilege `json:"grant,omitempty"`
	Revoke Privilege `json:"revoke,omitempty"`
}

// roles is the catalog's role state.
type roles struct {
	byName map[string]*Role
	acls   map[string]*TableACL // by table ID
}

func (c *Catalog) roleState() *roles {
	if c.roles == nil {
		c.roles = &roles{byName: map[string]*Role{}, acls: map[string]*TableACL{}}
	}
	return c.roles
}

func (r *roles) byID(id string) *Role {
	for _, ro := range r.byName {
		if ro.ID == id {
			return ro
		}
	}
	return nil
}

// applyRole applies a role or ACL entry; it reports false for other operations.
func (c *Catalog) applyRole(e entry) (bool, error) {
	r := c.roleState()
	switch e.Op {
	case opCreateRole, opAlterRole:
		if e.Role == nil {
			return true, errors.New("role entry without a role")
		}
		if e.Op == opAlterRole {
			if old := r.byID(e.Role.ID); old != nil {
				delete(r.byName, old.Name)
			}
		}
		j := e.Role
		r.byName[j.Name] = &Role{ID: j.ID, Name: j.Name, Superuser: j.Superuser, Login: j.Login, Verifier: j.Verifier}
	case opDropRole:
		if old := r.byID(e.ID); old != nil {
			delete(r.byName, old.Name)
		}
		for _, acl := range r.acls {
			delete(acl.Grants, e.ID)
		}
	case opACL:
		if e.ACL == nil {
			return true, errors.New("ACL entry without a change")
		}
		for _, id := range e.ACL.Tables {
			acl := r.acls[id]
			if acl == nil {
				acl = &TableACL{Grants: map[string]Privilege{}}
				r.acls[id] = acl
			}
			if e.ACL.Owner != "" {
				acl.Owner = e.ACL.Owner
			}
			if e.ACL.Role != "" {
				acl.Granted = true
				p := (acl.Grants[e.ACL.Role] | e.ACL.Grant) &^ e.ACL.Revoke
				if p == 0 {
					delete(acl.Grants, e.ACL.Role)
				} else {
					acl.Grants[e.ACL.Role] = p
				}
			}
		}
	default:
		return false, nil
	}
	return true, nil
}

// Role returns the named role as this process last read the catalog, without reading its
// log, or nil.
func (c *Catalog) KnownRole(name string) *Role {
	c.mu.Lock()
	defer c.mu.Unlock()
	if ro := c.roleState().byName[name]; ro != nil {
		cp := *ro
		return &cp
	}
	return nil
}

// Role returns the named role, or nil, after reading the log.
func (c *Catalog) Role(ctx context.Context, name string) (*Role, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.follow(ctx); err != nil {
		return nil, err
	}
	if ro := c.roleState().byName[name]; ro != nil {
		cp := *ro
		return &cp, nil
	}
	return nil, nil
}

// Roles returns every role, sorted by name.
func (c *Catalog) Roles(ctx context.Context) ([]Role, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.follow(ctx); err != nil {
		return nil, err
	}
	out := make([]Role, 0, len(c.roleState().byName))
	for _, ro := range c.roleState().byName {
		out = append(out, *ro)
	}
	slices.SortFunc(out, func(a, b Role) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// KnownACL returns the ACL of the table with the given ID as this process last read the
// catalog, without reading its log; the zero TableACL when nothing was recorded.
func (c *Catalog) KnownACL(tableID string) TableACL {
	c.mu.Lock()
	defer c.mu.Unlock()
	acl := c.roleState().acls[tableID]
	if acl == nil {
		return TableACL{}
	}
	return TableACL{Owner: acl.Owner, Grants: maps(acl.Grants), Granted: acl.Granted}
}

func maps(m map[string]Privilege) map[string]Privilege {
	out := make(map[string]Privilege, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// CreateRole commits a new role (its ID is chosen here), failing with
// errs.DuplicateObject when one of that name exists.
func (c *Catalog) CreateRole(ctx context.Context, ro Role) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	ro.ID = newTableID()
	for {
		if err := c.follow(ctx); err != nil {
			return err
		}
		if _, ok := c.roleState().byName[ro.Name]; ok {
			return errs.New(errs.DuplicateObject, "role %q already exists", ro.Name)
		}
		ok, err := c.commit(ctx, entry{Op: opCreateRole, Role: roleToJSON(ro)})
		if err != nil || ok {
			return err
		}
	}
}

func roleToJSON(ro Role) *roleJSON {
	return &roleJSON{ID: ro.ID, Name: ro.Name, Superuser: ro.Superuser, Login: ro.Login, Verifier: ro.Verifier}
}

// AlterRole replaces the named role with what change returns from it (a copy), calling
// change again if another writer moved the catalog on first. A new name must be free.
// It fails with errs.UndefinedObject when there is no such role.
func (c *Catalog) AlterRole(ctx context.Context, name string, change func(Role) (Role, error)) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for {
		if err := c.follow(ctx); err != nil {
			return err
		}
		old, ok := c.roleState().byName[name]
		if !ok {
			return errs.New(errs.UndefinedObject, "role %q does not exist", name)
		}
		nr, err := change(*old)
		if err != nil {
			return err
		}
		nr.ID = old.ID
		if nr.Name != name {
			if _, taken := c.roleState().byName[nr.Name]; taken {
				return errs.New(errs.DuplicateObject, "role %q already exists", nr.Name)
			}
		}
		ok, err = c.commit(ctx, entry{Op: opAlterRole, Role: roleToJSON(nr)})
		if err != nil || ok {
			return err
		}
	}
}

// DropRole drops the named role and its grants. A role that owns tables cannot be dropped
// (errs.DependentObjects); one that does not exist is errs.UndefinedObject.
func (c *Catalog) DropRole(ctx context.Context, name string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for {
		if err := c.follow(ctx); err != nil {
			return err
		}
		r := c.roleState()
		old, ok := r.byName[name]
		if !ok {
			return errs.New(errs.UndefinedObject, "role %q does not exist", name)
		}
		for _, t := range c.tables {
			if acl := r.acls[t.ID]; acl != nil && acl.Owner == old.ID {
				return errs.New(errs.DependentObjects, "role %q cannot be dropped because some objects depend on it (owner of table %s)", name, t.Name)
			}
		}
		ok, err := c.commit(ctx, entry{Op: opDropRole, ID: old.ID, Name: name})
		if err != nil || ok {
			return err
		}
	}
}

// ChangeACL commits one change of the ACLs of the tables with the given IDs: owner, when
// not empty, becomes their owner (a role ID); grant is added to and revoke removed from
// the privileges of grantee (a role ID or Public), when grantee is not empty.
func (c *Catalog) ChangeACL(ctx context.Context, tableIDs []string, owner, grantee string, grant, revoke Privilege) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for {
		if err := c.follow(ctx); err != nil {
			return err
		}
		ok, err := c.commit(ctx, entry{Op: opACL, ACL: &aclJSON{Tables: tableIDs, Owner: owner, Role: grantee, Grant: grant, Revoke: revoke}})
		if err != nil || ok {
			return err
		}
	}
}

// RoleOID is the OID of the role with ID id.
func RoleOID(roleID string) int64 { return stableOID("role:" + roleID) }
