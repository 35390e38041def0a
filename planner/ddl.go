package planner

import (
	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sleeperd/sleeperd/catalog"
)

// CreateSequence creates a sequence.
type CreateSequence struct {
	Sequence    *catalog.Sequence
	IfNotExists bool
}

// DropSequence drops sequences.
type DropSequence struct {
	Names    []string
	IfExists bool
}

func (s *CreateSequence) Params() []arrow.DataType { return nil }
func (s *DropSequence) Params() []arrow.DataType   { return nil }

func (*CreateSequence) statement() {}
func (*DropSequence) statement()   {}

// AlterColumns changes the columns of a table: ALTER TABLE t ADD/DROP COLUMN, ALTER COLUMN
// SET/DROP DEFAULT, SET/DROP NOT NULL, in order, as one change.
type AlterColumns struct {
	Table    string
	IfExists bool
	Cmds     []AlterColumn
}

// AlterColumn ops.
const (
	AddColumn     = "add"
	DropColumn    = "drop"
	SetDefault    = "set default"
	DropDefault   = "drop default"
	SetNotNull    = "set not null"
	DropNotNull   = "drop not null"
	RenameColumn  = "rename column"
	RenameTableTo = "rename"
	AddCheck      = "add check"
	DropCheck     = "drop constraint"
	SetType       = "set type"
)

// AlterColumn is one command of AlterColumns.
type AlterColumn struct {
	Op     string
	Column string
	// Def is the column ADD COLUMN adds, with its Default; Default is also what SET
	// DEFAULT sets, and Def.Type the type SET TYPE gives. NewName is what RENAME renames to.
	Def     catalog.Column
	NewName string
	// Missing is true for IF EXISTS (DROP) and IF NOT EXISTS (ADD).
	Missing bool
	// Check is the constraint AddCheck adds (Name empty: chosen as PostgreSQL does, after
	// CheckColumn when the expression refers to one column only); DropCheck drops the
	// constraint named Column.
	Check       catalog.Check
	CheckColumn string
	// Via are the explicit casts SET TYPE's USING clause applies to the column, in order,
	// before the assignment to Def.Type.
	Via []arrow.DataType
}

// Truncate removes every row of tables.
type Truncate struct {
	Tables []string
}

// Comment sets (or, empty, removes) the comment of a table or of one of its columns.
type Comment struct {
	Table, Column, Text string
}

func (s *AlterColumns) Params() []arrow.DataType { return nil }
func (s *Truncate) Params() []arrow.DataType     { return nil }
func (s *Comment) Params() []arrow.DataType      { return nil }

func (*AlterColumns) statement() {}
func (*Truncate) statement()     {}
func (*Comment) statement()      {}

// AlterSequence changes a sequence: the options in Given take Def's values (a nil bound
// being NO MINVALUE or NO MAXVALUE); Restart, when set, is the next value nextval returns
// (Given["restart_start"]: the sequence's start).
type AlterSequence struct {
	Name     string
	IfExists bool
	Def      catalog.SequenceDef
	Given    map[string]bool
	Restart  *int64
}

func (s *AlterSequence) Params() []arrow.DataType { return nil }
func (*AlterSequence) statement()                 {}
