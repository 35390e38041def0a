package exec

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
)

// Column is a reference to a column of the input batch by position.
type Column struct {
	index int
	typ   arrow.DataType
	name  string
}

var _ Expr = (*Column)(nil)

// NewColumn returns a reference to column index of the input, of type t, shown as name.
func NewColumn(index int, t arrow.DataType, name string) (*Column, error) {
	if index < 0 {
		return nil, fmt.Errorf("column %q: negative index %d", name, index)
	}
	if t == nil {
		return nil, fmt.Errorf("column %q: nil type", name)
	}
	return &Column{index: index, typ: t, name: name}, nil
}

// Index is the position of the column in the input.
func (c *Column) Index() int { return c.index }

func (c *Column) DataType() arrow.DataType { return c.typ }

func (c *Column) Eval(_ context.Context, batch arrow.RecordBatch) (arrow.Array, error) {
	if c.index >= int(batch.NumCols()) {
		return nil, fmt.Errorf("column %q: index %d out of range of %d columns", c.name, c.index, batch.NumCols())
	}
	a := batch.Column(c.index)
	if !arrow.TypeEqual(a.DataType(), c.typ) {
		return nil, fmt.Errorf("column %q: batch has type %s, expected %s", c.name, a.DataType(), c.typ)
	}
	a.Retain()
	return a, nil
}

func (c *Column) String() string { return c.name }
