package exec

import (
	"bytes"
	"cmp"
	"math"
	"math/big"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// cmpFloat orders floats as PostgreSQL does: NaN equals NaN and sorts above every other value.
func cmpFloat[T float](a, b T) int {
	an, bn := a != a, b != b
	switch {
	case an && bn:
		return 0
	case an:
		return 1
	case bn:
		return -1
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case !a:
		return -1
	}
	return 1
}

// holds reports whether a comparison result c satisfies op.
func holds(op BinaryOp, c int) bool {
	switch op {
	case Eq:
		return c == 0
	case NotEq:
		return c != 0
	case Lt:
		return c < 0
	case LtEq:
		return c <= 0
	case Gt:
		return c > 0
	}
	return c >= 0
}

func compareWith[T any](op BinaryOp, a, b []T, f func(x, y T) int, out []byte) {
	for i := range a {
		if holds(op, f(a[i], b[i])) {
			bitutil.SetBit(out, i)
		}
	}
}

func compareOrdered[T integer](op BinaryOp, a, b []T, out []byte) {
	switch op {
	case Eq:
		for i := range a {
			if a[i] == b[i] {
				bitutil.SetBit(out, i)
			}
		}
	case NotEq:
		for i := range a {
			if a[i] != b[i] {
				bitutil.SetBit(out, i)
			}
		}
	case Lt:
		for i := range a {
			if a[i] < b[i] {
				bitutil.SetBit(out, i)
			}
		}
	case LtEq:
		for i := range a {
			if a[i] <= b[i] {
				bitutil.SetBit(out, i)
			}
		}
	case Gt:
		for i := range a {
			if a[i] > b[i] {
				bitutil.SetBit(out, i)
			}
		}
	case GtEq:
		for i := range a {
			if a[i] >= b[i] {
				bitutil.SetBit(out, i)
			}
		}
	}
}

// compareArrays evaluates l op r into a boolean array; NULL on either side gives NULL.
func compareArrays(mem memory.Allocator, op BinaryOp, l, r arrow.Array) arrow.Array {
	n := l.Len()
	validity := andValidity(mem, l, r)
	outBuf := newBitmap(mem, n, false)
	out := outBuf.Bytes()
	switch l.DataType().ID() {
	case arrow.EXTENSION:
		varCompare(op, l, r, out)
	case arrow.BOOL:
		lb, rb := l.(*array.Boolean), r.(*array.Boolean)
		for i := 0; i < n; i++ {
			if holds(op, cmpBool(lb.Value(i), rb.Value(i))) {
				bitutil.SetBit(out, i)
			}
		}
	case arrow.INT16:
		compareOrdered(op, values[int16](l), values[int16](r), out)
	case arrow.INT32, arrow.DATE32:
		compareOrdered(op, values[int32](l), values[int32](r), out)
	case arrow.INT64, arrow.TIMESTAMP:
		compareOrdered(op, values[int64](l), values[int64](r), out)
	case arrow.FLOAT32:
		compareWith(op, values[float32](l), values[float32](r), cmpFloat[float32], out)
	case arrow.FLOAT64:
		compareWith(op, values[float64](l), values[float64](r), cmpFloat[float64], out)
	case arrow.DECIMAL128:
		ls, rs := l.DataType().(*arrow.Decimal128Type).Scale, r.DataType().(*arrow.Decimal128Type).Scale
		a, b := values[decimal128.Num](l), values[decimal128.Num](r)
		if ls == rs {
			compareWith(op, a, b, decimal128.Num.Cmp, out)
			break
		}
		// Compare at the larger scale; values that would overflow 128 bits there compare
		// through big integers.
		s := max(ls, rs)
		if ra, ok := rescaleChecked(a, s-ls); ok {
			if rb, ok := rescaleChecked(b, s-rs); ok {
				compareWith(op, ra, rb, decimal128.Num.Cmp, out)
				break
			}
		}
		ma, mb := pow10(s-ls), pow10(s-rs)
		x, y := new(big.Int), new(big.Int)
		for i := range a {
			x.Mul(a[i].BigInt(), ma)
			y.Mul(b[i].BigInt(), mb)
			if holds(op, x.Cmp(y)) {
				bitutil.SetBit(out, i)
			}
		}
	case arrow.INTERVAL_MONTH_DAY_NANO:
		compareWith(op, values[arrow.MonthDayNanoInterval](l), values[arrow.MonthDayNanoInterval](r), cmpInterval, out)
	case arrow.STRING, arrow.BINARY:
		lo, ro := arrow.GetOffsets[int32](l.Data(), 1), arrow.GetOffsets[int32](r.Data(), 1)
		ld, rd := byteData(l), byteData(r)
		for i := 0; i < n; i++ {
			if holds(op, bytes.Compare(ld[lo[i]:lo[i+1]], rd[ro[i]:ro[i+1]])) {
				bitutil.SetBit(out, i)
			}
		}
	case arrow.LIST, arrow.STRUCT:
		c := comparer(l, r)
		for i := 0; i < n; i++ {
			if l.IsValid(i) && r.IsValid(i) && holds(op, c(i, i)) {
				bitutil.SetBit(out, i)
			}
		}
	}
	return makeArray(arrow.FixedWidthTypes.Boolean, n, validity, outBuf)
}

// byteData is the data buffer of a string or binary array (nil when empty).
func byteData(a arrow.Array) []byte {
	if b := a.Data().Buffers()[2]; b != nil {
		return b.Bytes()
	}
	return nil
}

// rowComparer compares rows of one array, NULLs excluded (callers handle them).
type rowComparer func(i, j int) int

// comparer returns a function comparing row i of a with row j of b (same type; decimals at
// the same scale) in PostgreSQL order. It ignores validity.
func comparer(a, b arrow.Array) rowComparer {
	switch a.DataType().ID() {
	case arrow.EXTENSION:
		return varComparer(a, b)
	case arrow.BOOL:
		x, y := a.(*array.Boolean), b.(*array.Boolean)
		return func(i, j int) int { return cmpBool(x.Value(i), y.Value(j)) }
	case arrow.INT16:
		return cmpSlices(values[int16](a), values[int16](b), cmp.Compare[int16])
	case arrow.INT32, arrow.DATE32:
		return cmpSlices(values[int32](a), values[int32](b), cmp.Compare[int32])
	case arrow.INT64, arrow.TIMESTAMP:
		return cmpSlices(values[int64](a), values[int64](b), cmp.Compare[int64])
	case arrow.FLOAT32:
		return cmpSlices(values[float32](a), values[float32](b), cmpFloat[float32])
	case arrow.FLOAT64:
		return cmpSlices(values[float64](a), values[float64](b), cmpFloat[float64])
	case arrow.DECIMAL128:
		return cmpSlices(values[decimal128.Num](a), values[decimal128.Num](b), decimal128.Num.Cmp)
	case arrow.INTERVAL_MONTH_DAY_NANO:
		return cmpSlices(values[arrow.MonthDayNanoInterval](a), values[arrow.MonthDayNanoInterval](b), cmpInterval)
	case arrow.STRING, arrow.BINARY:
		xo, yo := arrow.GetOffsets[int32](a.Data(), 1), arrow.GetOffsets[int32](b.Data(), 1)
		xd, yd := byteData(a), byteData(b)
		return func(i, j int) int { return bytes.Compare(xd[xo[i]:xo[i+1]], yd[yo[j]:yo[j+1]]) }
	case arrow.LIST:
		return listComparer(a, b)
	case arrow.STRUCT:
		return structComparer(a, b)
	}
	panic("exec: compare of unsupported type " + a.DataType().String())
}

func cmpSlices[T any](x, y []T, f func(a, b T) int) rowComparer {
	return func(i, j int) int { return f(x[i], y[j]) }
}

var _ = math.NaN

// rescaleChecked is rescaleNums, reporting false when some value would leave 38 digits.
func rescaleChecked(vals []decimal128.Num, by int32) ([]decimal128.Num, bool) {
	if by == 0 {
		return vals, true
	}
	if by > 38 {
		return nil, false
	}
	limit := decimal128.GetMaxValue(38 - by)
	for _, v := range vals {
		if v.Greater(limit) || v.Less(limit.Negate()) {
			return nil, false
		}
	}
	return rescaleNums(vals, by), true
}
