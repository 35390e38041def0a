package exec

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/types"
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
	bitutil.InvertBitmap(boolBits(a), a.Data().Offset(), a.Len(), out.Bytes(), 0)
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

// Neg is unary minus. Unlike 0 - x it keeps the sign of zero for floats, so -(0.0::float8)
// is -0 as in PostgreSQL; negating the smallest integer of its type is an overflow error.
type Neg struct{ e Expr }

var _ Expr = (*Neg)(nil)

// NewNeg returns -e; e must be a smallint, integer, bigint, real, double precision, numeric
// or interval.
func NewNeg(e Expr) (*Neg, error) {
	if e == nil {
		return nil, fmt.Errorf("unary minus: nil operand")
	}
	switch e.DataType().ID() {
	case arrow.INT16, arrow.INT32, arrow.INT64, arrow.FLOAT32, arrow.FLOAT64, arrow.DECIMAL128, arrow.INTERVAL_MONTH_DAY_NANO:
		return &Neg{e: e}, nil
	}
	return nil, typeErr("unary minus needs a numeric or interval operand, not %s", types.BaseName(e.DataType()))
}

func (n *Neg) DataType() arrow.DataType { return n.e.DataType() }

func (n *Neg) String() string {
	if _, ok := n.e.(*Neg); ok {
		return "-(" + n.e.String() + ")" // not --, which starts a comment
	}
	return "-" + paren(n.e)
}

func (n *Neg) Eval(ctx context.Context, batch arrow.RecordBatch) (arrow.Array, error) {
	a, err := n.e.Eval(ctx, batch)
	if err != nil {
		return nil, err
	}
	defer a.Release()
	mem := Allocator(ctx)
	t := a.DataType()
	switch t.ID() {
	case arrow.INT16:
		return negate(mem, t, a, negInt[int16])
	case arrow.INT32:
		return negate(mem, t, a, negInt[int32])
	case arrow.INT64:
		return negate(mem, t, a, negInt[int64])
	case arrow.FLOAT32:
		return negate(mem, t, a, func(x float32) (float32, bool) { return -x, true })
	case arrow.FLOAT64:
		return negate(mem, t, a, func(x float64) (float64, bool) { return -x, true })
	case arrow.DECIMAL128:
		// Precision is symmetric around zero, so the negation always fits.
		return negate(mem, t, a, func(x decimal128.Num) (decimal128.Num, bool) { return x.Negate(), true })
	case arrow.INTERVAL_MONTH_DAY_NANO:
		return negate(mem, t, a, func(x arrow.MonthDayNanoInterval) (arrow.MonthDayNanoInterval, bool) {
			v, err := negInterval(x)
			return v, err == nil
		})
	}
	return nil, typeErr("unary minus needs a numeric or interval operand, not %s", types.BaseName(t))
}

// negInt negates x, reporting false when -x does not fit T.
func negInt[T integer](x T) (T, bool) {
	if x != 0 && x == -x {
		return x, false
	}
	return -x, true
}

// negate applies f to every non-NULL value of a; f reports false on overflow, which fails with
// t's out-of-range error.
func negate[T arrow.FixedWidthType](mem memory.Allocator, t arrow.DataType, a arrow.Array, f func(T) (T, bool)) (arrow.Array, error) {
	in := values[T](a)
	validity := copyValidity(mem, a)
	buf, out := newValues[T](mem, a.Len())
	var valid []byte
	if validity != nil {
		valid = validity.Bytes()
	}
	for i, x := range in {
		if skip(valid, i) {
			continue
		}
		v, ok := f(x)
		if !ok {
			buf.Release()
			if validity != nil {
				validity.Release()
			}
			if t.ID() == arrow.INTERVAL_MONTH_DAY_NANO {
				return nil, intervalRange()
			}
			return nil, rangeErr(t)
		}
		out[i] = v
	}
	return makeArray(t, a.Len(), validity, buf), nil
}
