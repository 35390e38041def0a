package planner

import "github.com/apache/arrow-go/v18/arrow"

// CreateType creates a composite type: CREATE TYPE name AS (field type, ...).
type CreateType struct {
	Name   string
	Fields []arrow.Field
}

// DropType drops composite types.
type DropType struct {
	Names    []string
	IfExists bool
}

func (s *CreateType) Params() []arrow.DataType { return nil }
func (s *DropType) Params() []arrow.DataType   { return nil }

func (*CreateType) statement() {}
func (*DropType) statement()   {}

// AlterType changes a composite type's attributes: ALTER TYPE name ADD ATTRIBUTE f type,
// DROP ATTRIBUTE [IF EXISTS] f, RENAME ATTRIBUTE f TO g, each command in order.
type AlterType struct {
	Name string
	Cmds []AlterTypeCmd
}

// AlterTypeCmd is one command of ALTER TYPE: Add a field, Drop the field Field (IfExists:
// no error when there is none), or rename the field Field to NewName.
type AlterTypeCmd struct {
	Add      *arrow.Field
	Drop     bool
	IfExists bool
	Field    string
	NewName  string
}

func (s *AlterType) Params() []arrow.DataType { return nil }

func (*AlterType) statement() {}
