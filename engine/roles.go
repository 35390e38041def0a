package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/sleeperd/sleeperd/catalog"
	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/exec"
	"github.com/sleeperd/sleeperd/internal/scram"
	"github.com/sleeperd/sleeperd/planner"
	"github.com/sleeperd/sleeperd/sql"
)

// Roles, passwords and table privileges.
//
// A session whose user names a role runs with that role's rights: a superuser may do
// anything; another role may read and write a table it owns (it created it) or was granted
// privileges on (directly or through PUBLIC), and change or drop only a table it owns.
// A session whose user names no role (only possible when Options.RequireRole is off, the
// trust authentication of a loopback-only server) is not checked: trust lets a client
// claim any identity, the superuser's included.

// Privilege is a set of table privileges, for CheckPrivilege.
type Privilege = catalog.Privilege

// The table privileges.
const (
	PrivSelect   = catalog.PrivSelect
	PrivInsert   = catalog.PrivInsert
	PrivUpdate   = catalog.PrivUpdate
	PrivDelete   = catalog.PrivDelete
	PrivTruncate = catalog.PrivTruncate
)

// Role is what a frontend learns of an authenticated user.
type Role struct {
	Name      string
	Superuser bool
}

// Authenticate checks user's password against the role's stored verifier. An unknown
// user, a role without a password and a wrong password all fail alike, with
// errs.InvalidPassword (SQLSTATE 28P01); a role without LOGIN fails with
// errs.InvalidAuthorization after a right password.
func (e *Engine) Authenticate(ctx context.Context, user, password string) (*Role, error) {
	ro, err := e.cat.Role(ctx, user)
	if err != nil {
		return nil, err
	}
	ok := false
	if ro != nil && ro.Verifier != "" {
		if v, err := scram.Parse(ro.Verifier); err == nil {
			ok = v.Check(password)
		}
	}
	if !ok {
		return nil, PasswordFailed(user)
	}
	if !ro.Login {
		return nil, errs.New(errs.InvalidAuthorization, "role %q is not permitted to log in", user)
	}
	return &Role{Name: ro.Name, Superuser: ro.Superuser}, nil
}

// PasswordFailed is the error of a failed password authentication of user.
func PasswordFailed(user string) error {
	return errs.New(errs.InvalidPassword, "password authentication failed for user %q", user)
}

// Verifier returns the SCRAM-SHA-256 verifier stored for user, in PostgreSQL's format, for
// a frontend that runs the SCRAM exchange itself; "" when the user is unknown or has no
// password.
func (e *Engine) Verifier(ctx context.Context, user string) (string, error) {
	ro, err := e.cat.Role(ctx, user)
	if err != nil || ro == nil {
		return "", err
	}
	return ro.Verifier, nil
}

// CheckPrivilege reports, as errs.InsufficientPrivilege (42501), whether user may not use
// priv on the named table; nil when it may. A user that names no role is checked only when
// Options.RequireRole is set.
func (e *Engine) CheckPrivilege(ctx context.Context, user, table string, priv Privilege) error {
	t, err := e.cat.Table(ctx, table)
	if err != nil {
		return err
	}
	ro := e.cat.KnownRole(user)
	if ro == nil && !e.opts.RequireRole {
		return nil
	}
	return e.allowed(ro, t, priv)
}

// IsSuperuser reports whether user is a superuser (or, without Options.RequireRole, names
// no role, and so is trusted).
func (e *Engine) IsSuperuser(ctx context.Context, user string) (bool, error) {
	ro, err := e.cat.Role(ctx, user)
	if err != nil {
		return false, err
	}
	if ro == nil {
		return !e.opts.RequireRole, nil
	}
	return ro.Superuser, nil
}

// EnsureSuperuser creates the superuser name with password if no role of that name exists
// (the first superuser of a server). An existing role is left as it is, but for being
// given password when it has none.
func (e *Engine) EnsureSuperuser(ctx context.Context, name, password string) (created bool, err error) {
	ro, err := e.cat.Role(ctx, name)
	if err != nil {
		return false, err
	}
	var verifier string
	if password != "" {
		v, err := scram.NewVerifier(password)
		if err != nil {
			return false, err
		}
		verifier = v.String()
	}
	if ro != nil {
		if ro.Verifier != "" || verifier == "" {
			return false, nil
		}
		return false, e.cat.AlterRole(ctx, name, func(r catalog.Role) (catalog.Role, error) {
			if r.Verifier == "" {
				r.Verifier = verifier
			}
			return r, nil
		})
	}
	r := catalog.Role{Name: name, Superuser: true, Login: true, Verifier: verifier}
	if err := e.cat.CreateRole(ctx, r); err != nil {
		if errors.Is(err, errs.DuplicateObject) {
			return false, nil
		}
		return false, err
	}
	return true, nil
}

// checkLogin is Connect's check of user.
func (e *Engine) checkLogin(ctx context.Context, user string) (*catalog.Role, error) {
	ro, err := e.cat.Role(ctx, user)
	if err != nil {
		return nil, err
	}
	if ro == nil {
		if e.opts.RequireRole {
			return nil, errs.New(errs.InvalidAuthorization, "role %q does not exist", user)
		}
		return nil, nil
	}
	if !ro.Login {
		return nil, errs.New(errs.InvalidAuthorization, "role %q is not permitted to log in", user)
	}
	return ro, nil
}

// sessionRole is the role the session runs as now, and whether it is checked at all.
func (c *conn) sessionRole() (*catalog.Role, bool) {
	if !c.checked {
		return nil, false
	}
	return c.e.cat.KnownRole(c.user), true
}

func denied(t string) error {
	return errs.New(errs.InsufficientPrivilege, "permission denied for table %s", t)
}

// allowed checks that ro (nil: a role dropped since the session began, with no rights) may
// use priv on t.
func (e *Engine) allowed(ro *catalog.Role, t *catalog.Table, priv catalog.Privilege) error {
	if ro != nil && ro.Superuser {
		return nil
	}
	acl := e.cat.KnownACL(t.ID)
	if ro != nil && acl.Owner == ro.ID {
		return nil
	}
	var have catalog.Privilege
	if ro != nil {
		have = acl.Grants[ro.ID]
	}
	have |= acl.Grants[catalog.Public]
	if have&priv != priv {
		return denied(t.Name)
	}
	return nil
}

// owns checks that ro owns t (or is a superuser).
func (e *Engine) owns(ro *catalog.Role, t *catalog.Table) error {
	if ro != nil && (ro.Superuser || e.cat.KnownACL(t.ID).Owner == ro.ID) {
		return nil
	}
	return errs.New(errs.InsufficientPrivilege, "must be owner of table %s", t.Name)
}

func superuserOnly(ro *catalog.Role, what string) error {
	if ro != nil && ro.Superuser {
		return nil
	}
	return errs.New(errs.InsufficientPrivilege, "permission denied to %s", what)
}

// authorize checks that the session may run st, and returns what to do once st succeeded
// (record the owner of a table it created), or nil.
func (c *conn) authorize(ctx context.Context, st planner.Statement) (after func(context.Context), err error) {
	ro, checked := c.sessionRole()
	if !checked {
		return nil, nil
	}
	e := c.e
	reads := func(n planner.Node, except *catalog.Table) error {
		var err error
		walkScans(n, func(t *catalog.Table) {
			if err == nil && (except == nil || t.ID != except.ID) {
				err = e.allowed(ro, t, catalog.PrivSelect)
			}
		})
		if err == nil && readsServerFiles(n) {
			// read_parquet reads files of the server, as COPY FROM a file does.
			err = superuserOnly(ro, "read files on the server with read_parquet")
		}
		return err
	}
	byName := func(name string, check func(*catalog.Table) error) error {
		t, err := e.cat.Table(ctx, name)
		if err != nil {
			return nil // the statement reports the missing table itself
		}
		return check(t)
	}
	own := func(t *catalog.Table) error { return e.owns(ro, t) }
	switch s := st.(type) {
	case *planner.Query:
		return nil, reads(s.Root, nil)
	case *planner.Explain:
		return nil, reads(s.Query.Root, nil)
	case *planner.Insert:
		priv := catalog.PrivInsert
		if s.OnConflict != nil && !s.OnConflict.DoNothing {
			priv |= catalog.PrivUpdate
		}
		if err := e.allowed(ro, s.Table, priv); err != nil {
			return nil, err
		}
		return nil, reads(s.Source, nil)
	case *planner.Update:
		return nil, c.authorizeWrite(ro, s.Table, catalog.PrivUpdate, s.Pred != nil || s.Returning != nil, s.Rows(), reads)
	case *planner.Delete:
		return nil, c.authorizeWrite(ro, s.Table, catalog.PrivDelete, s.Pred != nil || s.Returning != nil, s.Rows(), reads)
	case *planner.Merge:
		return nil, c.authorizeWrite(ro, s.Table, mergePrivileges(s), true, s.Source, reads)
	case *planner.Copy:
		if s.File != "" {
			what := "COPY to a file"
			if s.From {
				what = "COPY from a file"
			}
			if err := superuserOnly(ro, what); err != nil {
				return nil, &errs.Error{Kind: errs.InsufficientPrivilege, Msg: err.Error(), Hint: "Only superusers may COPY to or from a file on the server. Anyone can COPY to stdout or from stdin."}
			}
		}
		if s.From {
			return nil, e.allowed(ro, s.Table, catalog.PrivInsert)
		}
		return nil, reads(s.Query.Root, nil)
	case *planner.Truncate:
		for _, name := range s.Tables {
			if err := byName(name, func(t *catalog.Table) error { return e.allowed(ro, t, catalog.PrivTruncate) }); err != nil {
				return nil, err
			}
		}
	case *planner.CreateTableAs:
		if err := reads(s.Source, nil); err != nil {
			return nil, err
		}
		return c.recordOwner(ro, s.Def.Name), nil
	case *planner.CreateTable:
		return c.recordOwner(ro, s.Def.Name), nil
	case *planner.DropTable:
		for _, name := range s.Names {
			if err := byName(name, own); err != nil {
				return nil, err
			}
		}
	case *planner.AlterTable:
		return nil, byName(s.Name, own)
	case *planner.AlterColumns:
		return nil, byName(s.Table, own)
	case *planner.Comment:
		return nil, byName(s.Table, own)
	case *planner.CreateIndex:
		return nil, byName(s.Table, own)
	case *planner.DropIndex:
		for _, name := range s.Names {
			if ix, ok, err := e.cat.Index(ctx, name); err == nil && ok {
				if err := byName(ix.Table, own); err != nil {
					return nil, err
				}
			}
		}
	case *planner.CacheCall:
		return nil, byName(s.Table, own)
	case *planner.Vacuum:
		if len(s.Tables) == 0 {
			return nil, superuserOnly(ro, "vacuum every table")
		}
		for _, name := range s.Tables {
			if err := byName(name, own); err != nil {
				return nil, err
			}
		}
	case *planner.CreateRole:
		return nil, superuserOnly(ro, "create role")
	case *planner.DropRole:
		return nil, superuserOnly(ro, "drop role")
	case *planner.AlterRole:
		// A role may change its own password, as in PostgreSQL.
		self := ro != nil && s.Name == ro.Name && s.NewName == "" && s.Options.Superuser == nil && s.Options.Login == nil
		if !self {
			return nil, superuserOnly(ro, "alter role")
		}
	case *planner.Grant:
		return nil, c.authorizeGrant(ctx, ro, s)
	}
	return nil, nil
}

// authorizeWrite checks UPDATE or DELETE: priv on t, SELECT on t when the statement reads
// its values (a WHERE clause, RETURNING), SELECT on every other table it reads.
func (c *conn) authorizeWrite(ro *catalog.Role, t *catalog.Table, priv catalog.Privilege, readsTarget bool, rows planner.Node, reads func(planner.Node, *catalog.Table) error) error {
	if readsTarget {
		priv |= catalog.PrivSelect
	}
	if err := c.e.allowed(ro, t, priv); err != nil {
		return err
	}
	return reads(rows, t)
}

func (c *conn) authorizeGrant(ctx context.Context, ro *catalog.Role, s *planner.Grant) error {
	if s.AllTables {
		if ro == nil || !ro.Superuser {
			tables, err := c.e.cat.Tables(ctx)
			if err != nil {
				return err
			}
			for _, t := range tables {
				if err := c.e.owns(ro, t); err != nil {
					return err
				}
			}
		}
		return nil
	}
	for _, name := range s.Tables {
		t, err := c.e.cat.Table(ctx, name)
		if err != nil {
			return err
		}
		if err := c.e.owns(ro, t); err != nil {
			return errs.New(errs.InsufficientPrivilege, "permission denied for table %s", name)
		}
	}
	return nil
}

// recordOwner returns what makes ro the owner of the table name once it is created.
func (c *conn) recordOwner(ro *catalog.Role, name string) func(context.Context) {
	if ro == nil {
		return nil
	}
	return func(ctx context.Context) {
		t, err := c.e.cat.Table(ctx, name)
		if err != nil {
			return
		}
		if err := c.e.cat.ChangeACL(ctx, []string{t.ID}, ro.ID, "", 0, 0); err != nil {
			c.e.log.Warn("recording the owner of a table failed", "table", name, "err", err)
		}
	}
}

// walkScans calls f with the table of every scan in n.
func walkScans(n planner.Node, f func(*catalog.Table)) {
	if n == nil {
		return
	}
	if s, ok := n.(*planner.Scan); ok {
		f(s.Table)
	}
	for _, in := range n.Inputs() {
		walkScans(in, f)
	}
}

// readsServerFiles reports whether plan n reads files through read_parquet.
func readsServerFiles(n planner.Node) bool {
	if n == nil {
		return false
	}
	if s, ok := n.(*planner.System); ok && strings.HasPrefix(s.Name, sql.ReadParquetPrefix) {
		return true
	}
	for _, in := range n.Inputs() {
		if readsServerFiles(in) {
			return true
		}
	}
	return false
}

// executeRole runs the role statements and GRANT/REVOKE; it reports false for others.
func (e *Engine) executeRole(ctx context.Context, st planner.Statement) (Result, bool, error) {
	switch s := st.(type) {
	case *planner.CreateRole:
		r := catalog.Role{Name: s.Name, Login: s.User}
		if err := applyRoleOptions(&r, s.Options); err != nil {
			return nil, true, err
		}
		if err := e.cat.CreateRole(ctx, r); err != nil {
			return nil, true, err
		}
		return &doneResult{tag: "CREATE ROLE"}, true, nil
	case *planner.AlterRole:
		err := e.cat.AlterRole(ctx, s.Name, func(r catalog.Role) (catalog.Role, error) {
			if s.NewName != "" {
				r.Name = s.NewName
				if r.Verifier != "" && !scram.IsVerifier(r.Verifier) {
					r.Verifier = ""
				}
				return r, nil
			}
			return r, applyRoleOptions(&r, s.Options)
		})
		if err != nil {
			return nil, true, err
		}
		return &doneResult{tag: "ALTER ROLE"}, true, nil
	case *planner.DropRole:
		res := &doneResult{tag: "DROP ROLE"}
		for _, name := range s.Names {
			if err := e.cat.DropRole(ctx, name); err != nil {
				if errors.Is(err, errs.UndefinedObject) && s.IfExists {
					res.notices = append(res.notices, notice("00000", "role %q does not exist, skipping", name))
					continue
				}
				return nil, true, err
			}
		}
		return res, true, nil
	case *planner.Grant:
		return e.grant(ctx, s)
	}
	return nil, false, nil
}

func applyRoleOptions(r *catalog.Role, o planner.RoleOptions) error {
	if o.Superuser != nil {
		r.Superuser = *o.Superuser
	}
	if o.Login != nil {
		r.Login = *o.Login
	}
	if o.Password != nil {
		switch p := *o.Password; {
		case p == "":
			r.Verifier = ""
		case scram.IsVerifier(p):
			r.Verifier = p // as PostgreSQL, a verifier given as the password is stored as it is
		default:
			v, err := scram.NewVerifier(p)
			if err != nil {
				return fmt.Errorf("making a password verifier: %w", err)
			}
			r.Verifier = v.String()
		}
	}
	return nil
}

func (e *Engine) grant(ctx context.Context, s *planner.Grant) (Result, bool, error) {
	var ids []string
	if s.AllTables {
		tables, err := e.cat.Tables(ctx)
		if err != nil {
			return nil, true, err
		}
		for _, t := range tables {
			ids = append(ids, t.ID)
		}
	} else {
		for _, name := range s.Tables {
			t, err := e.cat.Table(ctx, name)
			if err != nil {
				return nil, true, err
			}
			ids = append(ids, t.ID)
		}
	}
	tag := "GRANT"
	if s.Revoke {
		tag = "REVOKE"
	}
	if len(ids) == 0 {
		return &doneResult{tag: tag}, true, nil
	}
	for _, g := range s.Grantees {
		id := catalog.Public
		if g != catalog.Public {
			ro, err := e.cat.Role(ctx, g)
			if err != nil {
				return nil, true, err
			}
			if ro == nil {
				return nil, true, errs.New(errs.UndefinedObject, "role %q does not exist", g)
			}
			id = ro.ID
		}
		grant, revoke := s.Privileges, catalog.Privilege(0)
		if s.Revoke {
			grant, revoke = 0, s.Privileges
		}
		if err := e.cat.ChangeACL(ctx, ids, "", id, grant, revoke); err != nil {
			return nil, true, err
		}
	}
	return &doneResult{tag: tag}, true, nil
}

// rolesForCatalog lists the roles for pg_roles and its kin (none when the catalog cannot be
// read: the system table then shows the built-in owner only).
func (e *Engine) rolesForCatalog(ctx context.Context) []catalog.Role {
	roles, err := e.cat.Roles(ctx)
	if err != nil {
		return nil
	}
	roles = slices.DeleteFunc(roles, func(r catalog.Role) bool { return r.Name == catalog.OwnerName })
	for _, r := range roles {
		exec.SetRoleName(catalog.RoleOID(r.ID), r.Name)
	}
	return roles
}
