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
