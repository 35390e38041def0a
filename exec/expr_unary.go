package exec

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
)

// Not is logical negation; NOT NULL is NULL.
type Not struct{ e Expr }

var _ Expr = (*Not)(nil)

// NewNot returns NOT e; e must be boolean.
func NewNot(e Expr) (*Not, error) {
	if e == nil || e.DataType().ID() != arrow.BOOL {
		return nil, typeErr("NOT needs a boolean operand")
	}
	return &Not{e: e}, nil
}

func (n *Not) DataType() arrow.DataType { return arrow.FixedWidthTypes.Boolean }

func (n *Not) String() string { return "NOT " + paren(n.e) }

func (n *Not) Eval(ctx context.Context, batch arrow.RecordBatch) (arrow.Array, error) {
	a, err := n.e.Eval(ctx, batch)
	if err != nil {
		return nil, err
	}
	defer a.Release()
	mem := Allocator(ctx)
	out := newBitmap(mem, a.Len(), false)
	bitutil.InvertBitmap(a.Data().Buffers()[1].Bytes(), a.Data().Offset(), a.Len(), out.Bytes(), 0)
	return makeArray(arrow.FixedWidthTypes.Boolean, a.Len(), copyValidity(mem, a), out), nil
}

// IsNull is e IS NULL, or e IS NOT NULL when negated; it is never NULL.
type IsNull struct {
	e      Expr
	negate bool
}

var _ Expr = (*IsNull)(nil)

// NewIsNull returns e IS NULL (negate: e IS NOT NULL).
func NewIsNull(e Expr, negate bool) (*IsNull, error) {
	if e == nil {
		return nil, fmt.Errorf("IS NULL: nil operand")
	}
	return &IsNull{e: e, negate: negate}, nil
}

func (n *IsNull) DataType() arrow.DataType { return arrow.FixedWidthTypes.Boolean }

func (n *IsNull) String() string {
	if n.negate {
		return paren(n.e) + " IS NOT NULL"
	}
	return paren(n.e) + " IS NULL"
}

func (n *IsNull) Eval(ctx context.Context, batch arrow.RecordBatch) (arrow.Array, error) {
	a, err := n.e.Eval(ctx, batch)
	if err != nil {
		return nil, err
	}
	defer a.Release()
	mem := Allocator(ctx)
	l := a.Len()
	if a.NullN() == 0 {
		return makeArray(arrow.FixedWidthTypes.Boolean, l, nil, newBitmap(mem, l, n.negate)), nil
	}
	out := newBitmap(mem, l, false)
	if n.negate {
		bitutil.CopyBitmap(a.NullBitmapBytes(), a.Data().Offset(), l, out.Bytes(), 0)
	} else {
		bitutil.InvertBitmap(a.NullBitmapBytes(), a.Data().Offset(), l, out.Bytes(), 0)
	}
	return makeArray(arrow.FixedWidthTypes.Boolean, l, nil, out), nil
}
