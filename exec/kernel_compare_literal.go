package exec

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// compareLiteral evaluates l op c for a non-NULL literal c of l's type, when l is a
// bigint, integer, smallint or double precision array (c not NaN), without broadcasting c
// into an array: the comparison of compareArrays, row by row against one value, with
// eight results packed into a byte at a time. ok is false for other operands.
func compareLiteral(mem memory.Allocator, op BinaryOp, l arrow.Array, r Expr) (arrow.Array, bool) {
	c, isLit := r.(*Literal)
	if !isLit || c.v == nil || !arrow.TypeEqual(l.DataType(), c.typ) {
		return nil, false
	}
	n := l.Len()
	var outBuf *memory.Buffer
	switch v := c.v.(type) {
	case int64:
		if l.DataType().ID() != arrow.INT64 {
			return nil, false
		}
		outBuf = compareScalar(mem, op, values[int64](l), v, false)
	case int32:
		if l.DataType().ID() != arrow.INT32 {
			return nil, false
		}
		outBuf = compareScalar(mem, op, values[int32](l), v, false)
	case int16:
		if l.DataType().ID() != arrow.INT16 {
			return nil, false
		}
		outBuf = compareScalar(mem, op, values[int16](l), v, false)
	case float64:
		if l.DataType().ID() != arrow.FLOAT64 || v != v {
			return nil, false
		}
		outBuf = compareScalar(mem, op, values[float64](l), v, true)
	default:
		return nil, false
	}
	return makeArray(arrow.FixedWidthTypes.Boolean, n, copyValidity(mem, l), outBuf), true
}

// compareScalar returns the bitmap of a[i] op c. With nan set, a NaN in a is greater than
// every c (c is not NaN), as cmpFloat orders it.
func compareScalar[T integer | ~float64](mem memory.Allocator, op BinaryOp, a []T, c T, nan bool) *memory.Buffer {
	buf := newBitmap(mem, len(a), false)
	bitsOp(buf.Bytes(), a, op, c, nan)
	return buf
}

// bitsOP set bit i of out when a[i] OP c, eight rows to a byte (out is zeroed).

func bitsEq[T integer | ~float64](out []byte, a []T, c T) {
	full := len(a) / 8
	for j := range full {
		var b byte
		for k, x := range a[8*j : 8*j+8] {
			if x == c {
				b |= 1 << k
			}
		}
		out[j] = b
	}
	for i := 8 * full; i < len(a); i++ {
		if x := a[i]; x == c {
			out[i/8] |= 1 << (i % 8)
		}
	}
}

func bitsNotEq[T integer | ~float64](out []byte, a []T, c T) {
	full := len(a) / 8
	for j := range full {
		var b byte
		for k, x := range a[8*j : 8*j+8] {
			if x != c {
				b |= 1 << k
			}
		}
		out[j] = b
	}
	for i := 8 * full; i < len(a); i++ {
		if x := a[i]; x != c {
			out[i/8] |= 1 << (i % 8)
		}
	}
}

func bitsLt[T integer | ~float64](out []byte, a []T, c T) {
	full := len(a) / 8
	for j := range full {
		var b byte
		for k, x := range a[8*j : 8*j+8] {
			if x < c {
				b |= 1 << k
			}
		}
		out[j] = b
	}
	for i := 8 * full; i < len(a); i++ {
		if x := a[i]; x < c {
			out[i/8] |= 1 << (i % 8)
		}
	}
}

func bitsLtEq[T integer | ~float64](out []byte, a []T, c T) {
	full := len(a) / 8
	for j := range full {
		var b byte
		for k, x := range a[8*j : 8*j+8] {
			if x <= c {
				b |= 1 << k
			}
		}
		out[j] = b
	}
	for i := 8 * full; i < len(a); i++ {
		if x := a[i]; x <= c {
			out[i/8] |= 1 << (i % 8)
		}
	}
}

func bitsGt[T integer | ~float64](out []byte, a []T, c T) {
	full := len(a) / 8
	for j := range full {
		var b byte
		for k, x := range a[8*j : 8*j+8] {
			if x > c {
				b |= 1 << k
			}
		}
		out[j] = b
	}
	for i := 8 * full; i < len(a); i++ {
		if x := a[i]; x > c {
			out[i/8] |= 1 << (i % 8)
		}
	}
}

func bitsGtEq[T integer | ~float64](out []byte, a []T, c T) {
	full := len(a) / 8
	for j := range full {
		var b byte
		for k, x := range a[8*j : 8*j+8] {
			if x >= c {
				b |= 1 << k
			}
		}
		out[j] = b
	}
	for i := 8 * full; i < len(a); i++ {
		if x := a[i]; x >= c {
			out[i/8] |= 1 << (i % 8)
		}
	}
}

// bitsGtNaN and bitsGtEqNaN test x > c || x != x as !(x <= c), and x >= c || x != x as
// !(x < c): with c not NaN, one comparison each (NaN compares false with everything).
func bitsGtNaN[T integer | ~float64](out []byte, a []T, c T) {
	full := len(a) / 8
	for j := range full {
		var b byte
		for k, x := range a[8*j : 8*j+8] {
			if !(x <= c) {
				b |= 1 << k
			}
		}
		out[j] = b
	}
	for i := 8 * full; i < len(a); i++ {
		if x := a[i]; !(x <= c) {
			out[i/8] |= 1 << (i % 8)
		}
	}
}

func bitsGtEqNaN[T integer | ~float64](out []byte, a []T, c T) {
	full := len(a) / 8
	for j := range full {
		var b byte
		for k, x := range a[8*j : 8*j+8] {
			if !(x < c) {
				b |= 1 << k
			}
		}
		out[j] = b
	}
	for i := 8 * full; i < len(a); i++ {
		if x := a[i]; !(x < c) {
			out[i/8] |= 1 << (i % 8)
		}
	}
}
