package planner

import (
	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sleeperd/sleeperd/catalog"
)

// Statement is a bound SQL statement, ready to be optimised and run.
type Statement interface {
	// Params are the types of the statement's parameters $1, $2, ...
	Params() []arrow.DataType
	statement()
}

// Query is a statement that returns rows.
type Query struct {
	Root Node
	// Names are the output column names, one per Root column.
	Names      []string
	ParamTypes []arrow.DataType
}

// Insert writes the rows of Source into Table. Targets[i] is the index of the Source column
// that fills table column i, or -1 for NULL (or a generated row id).
type Insert struct {
	Table      *catalog.Table
	Source     Node
	Targets    []int
	ParamTypes []arrow.DataType
}

// CreateTable creates a table.
type CreateTable struct {
	Def         catalog.TableDef
	IfNotExists bool
}

// DropTable drops tables.
type DropTable struct {
	Names    []string
	IfExists bool
}

// ShowTables lists the tables.
type ShowTables struct{}

// Explain shows the plan of a query.
type Explain struct {
	Query *Query
}

func (s *Query) Params() []arrow.DataType       { return s.ParamTypes }
func (s *Insert) Params() []arrow.DataType      { return s.ParamTypes }
func (s *CreateTable) Params() []arrow.DataType { return nil }
func (s *DropTable) Params() []arrow.DataType   { return nil }
func (s *ShowTables) Params() []arrow.DataType  { return nil }
func (s *Explain) Params() []arrow.DataType     { return s.Query.ParamTypes }

func (*Query) statement()       {}
func (*Insert) statement()      {}
func (*CreateTable) statement() {}
func (*DropTable) statement()   {}
func (*ShowTables) statement()  {}
func (*Explain) statement()     {}
