package planner

import (
	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sleeperd/sleeperd/catalog"
)

// RoleOptions are the options of CREATE ROLE and ALTER ROLE; nil ones are not given.
type RoleOptions struct {
	Superuser, Login *bool
	// Password is the password given (PASSWORD NULL: the empty string, no password).
	Password *string
}

// CreateRole creates a role (CREATE ROLE, CREATE USER: User makes LOGIN the default).
type CreateRole struct {
	Name    string
	User    bool
	Options RoleOptions
}

// AlterRole changes a role's options, or renames it (NewName set).
type AlterRole struct {
	Name    string
	Options RoleOptions
	NewName string
}

// DropRole drops roles.
type DropRole struct {
	Names    []string
	IfExists bool
}

// Grant is GRANT (Revoke false) or REVOKE of table privileges: on Tables, or on every table
// when AllTables (ALL TABLES IN SCHEMA public); Grantees are role names or catalog.Public.
type Grant struct {
	Revoke     bool
	Privileges catalog.Privilege
	Tables     []string
	AllTables  bool
	Grantees   []string
}

func (s *CreateRole) Params() []arrow.DataType { return nil }
func (s *AlterRole) Params() []arrow.DataType  { return nil }
func (s *DropRole) Params() []arrow.DataType   { return nil }
func (s *Grant) Params() []arrow.DataType      { return nil }

func (*CreateRole) statement() {}
func (*AlterRole) statement()  {}
func (*DropRole) statement()   {}
func (*Grant) statement()      {}
