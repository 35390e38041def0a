package exec

import (
	"context"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// compareRange evaluates b, an AND, as one pass over a column when both its operands compare
// the same column of a bigint, integer, smallint or double precision type with a non-NULL
// literal of that type (not NaN): x >= 100000 AND x < 150000 reads x once instead of twice,
// a block of rows at a time, and builds no intermediate bitmaps. The result is that of
// logic over the two comparisons: NULL where x is NULL (both operands are), otherwise both
// comparisons' AND. ok is false for other operands.
func compareRange(ctx context.Context, b *Binary, batch arrow.RecordBatch) (arrow.Array, bool, error) {
	lb, lok := b.l.(*Binary)
	rb, rok := b.r.(*Binary)
	if !lok || !rok || !lb.op.comparison() || !rb.op.comparison() {
		return nil, false, nil
	}
	lc, lok := lb.l.(*Column)
	rc, rok := rb.l.(*Column)
	if !lok || !rok || lc.index != rc.index {
		return nil, false, nil
	}
	c1, ok1 := rangeLiteral(lc.typ, lb.r)
	c2, ok2 := rangeLiteral(lc.typ, rb.r)
	if !ok1 || !ok2 {
		return nil, false, nil
	}
	x, err := lc.Eval(ctx, batch)
	if err != nil {
		return nil, false, err
	}
	defer x.Release()
	mem := Allocator(ctx)
	var out *memory.Buffer
	switch v1 := c1.(type) {
	case int64:
		out = rangeBits(mem, values[int64](x), lb.op, v1, rb.op, c2.(int64), false)
	case int32:
		out = rangeBits(mem, values[int32](x), lb.op, v1, rb.op, c2.(int32), false)
	case int16:
		out = rangeBits(mem, values[int16](x), lb.op, v1, rb.op, c2.(int16), false)
	case float64:
		out = rangeBits(mem, values[float64](x), lb.op, v1, rb.op, c2.(float64), true)
	}
	return makeArray(arrow.FixedWidthTypes.Boolean, x.Len(), copyValidity(mem, x), out), true, nil
}

// rangeLiteral returns the value of r when it is a literal compareLiteral takes for a column
// of type t.
func rangeLiteral(t arrow.DataType, r Expr) (any, bool) {
	c, ok := r.(*Literal)
	if !ok || c.v == nil || !arrow.TypeEqual(t, c.typ) {
		return nil, false
	}
	switch v := c.v.(type) {
	case int64:
		return v, t.ID() == arrow.INT64
	case int32:
		return v, t.ID() == arrow.INT32
	case int16:
		return v, t.ID() == arrow.INT16
	case float64:
		return v, t.ID() == arrow.FLOAT64 && v == v
	}
	return nil, false
}

// rangeBlock is how many rows rangeBits compares at a time: their values stay in the cache
// between the two comparisons.
const rangeBlock = 4096

// rangeBits returns the bitmap of a[i] op1 c1 && a[i] op2 c2 (NaN above every c with nan).
func rangeBits[T integer | ~float64](mem memory.Allocator, a []T, op1 BinaryOp, c1 T, op2 BinaryOp, c2 T, nan bool) *memory.Buffer {
	buf := newBitmap(mem, len(a), false)
	out := buf.Bytes()
	var tmp [rangeBlock / 8]byte
	for s := 0; s < len(a); s += rangeBlock {
		e := min(len(a), s+rangeBlock)
		o := out[s/8 : (e+7)/8]
		bitsOp(o, a[s:e], op1, c1, nan)
		t := tmp[:len(o)]
		clear(t)
		bitsOp(t, a[s:e], op2, c2, nan)
		for j := range o {
			o[j] &= t[j]
		}
	}
	return buf
}

// bitsOp sets bit i of out (zeroed) when a[i] op c, as compareScalar does.
func bitsOp[T integer | ~float64](out []byte, a []T, op BinaryOp, c T, nan bool) {
	switch {
	case op == Eq:
		bitsEq(out, a, c)
	case op == NotEq:
		bitsNotEq(out, a, c)
	case op == Lt:
		bitsLt(out, a, c)
	case op == LtEq:
		bitsLtEq(out, a, c)
	case op == Gt && nan:
		bitsGtNaN(out, a, c)
	case op == Gt:
		bitsGt(out, a, c)
	case nan:
		bitsGtEqNaN(out, a, c)
	default:
		bitsGtEq(out, a, c)
	}
}
