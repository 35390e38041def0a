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
