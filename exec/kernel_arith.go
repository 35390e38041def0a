package exec

import (
	"math"
	"math/big"
	"math/bits"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/errs"
)

// Arithmetic kernels. Each takes two arrays of equal length and the validity of the result
// (nil when no row is NULL); rows that are NULL are skipped, so they never raise errors.

type integer interface{ ~int16 | ~int32 | ~int64 }
type float interface{ ~float32 | ~float64 }

func rangeErr(t arrow.DataType) error {
	switch t.ID() {
	case arrow.INT16:
		return errs.New(errs.NumericRange, "smallint out of range")
	case arrow.INT32:
		return errs.New(errs.NumericRange, "integer out of range")
	case arrow.INT64:
		return errs.New(errs.NumericRange, "bigint out of range")
	case arrow.DATE32:
		return errs.New(errs.NumericRange, "date out of range")
	case arrow.DECIMAL128:
		return errs.New(errs.NumericRange, "numeric field overflow")
	}
	return errs.New(errs.NumericRange, "value out of range: overflow")
}

func divZero() error { return errs.New(errs.DivisionByZero, "division by zero") }

func skip(valid []byte, i int) bool { return valid != nil && !bitutil.BitIsSet(valid, i) }

func bounds[T integer]() (lo, hi int64) {
	var z T
	switch any(z).(type) {
	case int16:
		return math.MinInt16, math.MaxInt16
	case int32:
		return math.MinInt32, math.MaxInt32
	}
	return math.MinInt64, math.MaxInt64
}

func intArith[T integer](mem memory.Allocator, op BinaryOp, t arrow.DataType, l, r arrow.Array, validity *memory.Buffer) (arrow.Array, error) {
	a, b := values[T](l), values[T](r)
	n := l.Len()
	buf, out := newValues[T](mem, n)
	var valid []byte
	if validity != nil {
		valid = validity.Bytes()
	}
	lo, hi := bounds[T]()
	fail := func(err error) (arrow.Array, error) {
		buf.Release()
		if validity != nil {
			validity.Release()
		}
		return nil, err
	}
	switch op {
	case Add:
		for i := range out {
			x := int64(a[i]) + int64(b[i])
			if hi == math.MaxInt64 {
				s := a[i] + b[i]
				if (a[i]^s)&(b[i]^s) < 0 && !skip(valid, i) {
					return fail(rangeErr(t))
				}
				out[i] = s
				continue
			}
			if (x < lo || x > hi) && !skip(valid, i) {
				return fail(rangeErr(t))
			}
			out[i] = T(x)
		}
	case Sub:
		for i := range out {
			if hi == math.MaxInt64 {
				s := a[i] - b[i]
				if (a[i]^b[i])&(a[i]^s) < 0 && !skip(valid, i) {
					return fail(rangeErr(t))
				}
				out[i] = s
				continue
			}
			x := int64(a[i]) - int64(b[i])
			if (x < lo || x > hi) && !skip(valid, i) {
				return fail(rangeErr(t))
			}
			out[i] = T(x)
		}
	case Mul:
		for i := range out {
			if hi == math.MaxInt64 {
				x, y := int64(a[i]), int64(b[i])
				p := x * y
				if x != 0 && (p/x != y || (x == -1 && y == math.MinInt64)) && !skip(valid, i) {
					return fail(rangeErr(t))
				}
				out[i] = T(p)
				continue
			}
			x := int64(a[i]) * int64(b[i])
			if (x < lo || x > hi) && !skip(valid, i) {
				return fail(rangeErr(t))
			}
			out[i] = T(x)
		}
	case Div, Mod:
		for i := range out {
			if skip(valid, i) {
				continue
			}
			if b[i] == 0 {
				return fail(divZero())
			}
			if b[i] == -1 {
				if op == Mod {
					out[i] = 0
					continue
				}
				if int64(a[i]) == lo {
					return fail(rangeErr(t))
				}
				out[i] = -a[i]
				continue
			}
			if op == Div {
				out[i] = a[i] / b[i]
			} else {
				out[i] = a[i] % b[i]
			}
		}
	}
	return makeArray(t, n, validity, buf), nil
}

func floatArith[T float](mem memory.Allocator, op BinaryOp, t arrow.DataType, l, r arrow.Array, validity *memory.Buffer) (arrow.Array, error) {
	a, b := values[T](l), values[T](r)
	n := l.Len()
	buf, out := newValues[T](mem, n)
	var valid []byte
	if validity != nil {
		valid = validity.Bytes()
	}
	for i := range out {
		x, y := a[i], b[i]
		var z T
		switch op {
		case Add:
			z = x + y
		case Sub:
			z = x - y
		case Mul:
			z = x * y
		case Div:
			if y == 0 && !skip(valid, i) {
				buf.Release()
				if validity != nil {
					validity.Release()
				}
				return nil, divZero()
			}
			z = x / y
		}
		// PostgreSQL's float_overflow_error / float_underflow_error checks.
		if !skip(valid, i) {
			inf := math.IsInf(float64(z), 0) && !math.IsInf(float64(x), 0) && !math.IsInf(float64(y), 0)
			under := z == 0 && ((op == Mul && x != 0 && y != 0) || (op == Div && x != 0 && !math.IsInf(float64(y), 0)))
			if inf || under {
				buf.Release()
				if validity != nil {
					validity.Release()
				}
				if under {
					return nil, errs.New(errs.NumericRange, "value out of range: underflow")
				}
				return nil, errs.New(errs.NumericRange, "value out of range: overflow")
			}
		}
		out[i] = z
	}
	return makeArray(t, n, validity, buf), nil
}

// rescaleNums returns vals multiplied by 10^by (by >= 0); it returns vals itself when by is 0.
func rescaleNums(vals []decimal128.Num, by int32) []decimal128.Num {
	if by == 0 {
		return vals
	}
	out := make([]decimal128.Num, len(vals))
	m := decimal128.GetScaleMultiplier(int(by))
	for i, v := range vals {
		out[i] = v.Mul(m)
	}
	return out
}

var maxDecimal = decimal128.GetMaxValue(38)

func fits38(n decimal128.Num) bool {
	return n.LessEqual(maxDecimal) && n.GreaterEqual(maxDecimal.Negate())
}

// mulNum multiplies exactly, reporting overflow beyond 38 digits.
func mulNum(x, y decimal128.Num) (decimal128.Num, bool) {
	small := func(n decimal128.Num) bool {
		return (n.HighBits() == 0 && n.LowBits() < 1<<63) || (n.HighBits() == -1 && n.LowBits() >= 1<<63)
	}
	if small(x) && small(y) {
		xs, ys := int64(x.LowBits()), int64(y.LowBits())
		neg := (xs < 0) != (ys < 0)
		ux, uy := uint64(xs), uint64(ys)
		if xs < 0 {
			ux = uint64(-xs)
		}
		if ys < 0 {
			uy = uint64(-ys)
		}
		hi, lo := bits.Mul64(ux, uy)
		p := decimal128.New(int64(hi), lo)
		if hi>>63 != 0 {
			return p, false
		}
		if neg {
			p = p.Negate()
		}
		return p, fits38(p)
	}
	z := new(big.Int).Mul(x.BigInt(), y.BigInt())
	if z.BitLen() > 127 {
		return decimal128.Num{}, false
	}
	p := decimal128.FromBigInt(z)
	return p, fits38(p)
}

// divRound returns round(x / y) half away from zero, or false on overflow.
func divRound(x, y *big.Int, q, rem *big.Int) (decimal128.Num, bool) {
	q.QuoRem(x, y, rem)
	rem.Abs(rem).Lsh(rem, 1)
	if rem.CmpAbs(y) >= 0 {
		if (x.Sign() < 0) != (y.Sign() < 0) {
			q.Sub(q, big.NewInt(1))
		} else {
			q.Add(q, big.NewInt(1))
		}
	}
	if q.BitLen() > 127 {
		return decimal128.Num{}, false
	}
	n := decimal128.FromBigInt(q)
	return n, fits38(n)
}

var bigTen = big.NewInt(10)

// bigPow10s holds 10^0 .. 10^80, read-only.
var bigPow10s = func() [81]*big.Int {
	var p [81]*big.Int
	p[0] = big.NewInt(1)
	for i := 1; i < len(p); i++ {
		p[i] = new(big.Int).Mul(p[i-1], bigTen)
	}
	return p
}()

// pow10 is a new big integer 10^n.
func pow10(n int32) *big.Int {
	if n >= 0 && int(n) < len(bigPow10s) {
		return new(big.Int).Set(bigPow10s[n])
	}
	return new(big.Int).Exp(bigTen, big.NewInt(int64(n)), nil)
}

func decimalArith(mem memory.Allocator, op BinaryOp, t arrow.DataType, l, r arrow.Array, validity *memory.Buffer) (arrow.Array, error) {
	ls, rs := l.DataType().(*arrow.Decimal128Type).Scale, r.DataType().(*arrow.Decimal128Type).Scale
	out := t.(*arrow.Decimal128Type).Scale
	a, b := values[decimal128.Num](l), values[decimal128.Num](r)
	n := l.Len()
	buf, res := newValues[decimal128.Num](mem, n)
	var valid []byte
	if validity != nil {
		valid = validity.Bytes()
	}
	fail := func(err error) (arrow.Array, error) {
		buf.Release()
		if validity != nil {
			validity.Release()
		}
		return nil, err
	}
	switch op {
	case Add, Sub, Mod:
		a, b = rescaleNums(a, out-ls), rescaleNums(b, out-rs)
		for i := range res {
			if skip(valid, i) {
				continue
			}
			x, y := a[i], b[i]
			switch op {
			case Add, Sub:
				if op == Sub {
					y = y.Negate()
				}
				z := x.Add(y)
				if (x.Sign() == y.Sign() && z.Sign() != x.Sign() && x.Sign() != 0) || !fits38(z) {
					return fail(rangeErr(t))
				}
				res[i] = z
			case Mod:
				if y.Sign() == 0 {
					return fail(divZero())
				}
				_, rem := x.Div(y)
				res[i] = rem
			}
		}
	case Mul:
		for i := range res {
			if skip(valid, i) {
				continue
			}
			z, ok := mulNum(a[i], b[i])
			if !ok {
				return fail(rangeErr(t))
			}
			res[i] = z
		}
	case Div:
		// x/10^ls / (y/10^rs) at scale out = round(x * 10^(out-ls+rs) / y).
		k := out - ls + rs
		var mul, div *big.Int
		if k >= 0 {
			mul = pow10(k)
		} else {
			div = pow10(-k)
		}
		x, y, q, rem := new(big.Int), new(big.Int), new(big.Int), new(big.Int)
		for i := range res {
			if skip(valid, i) {
				continue
			}
			if b[i].Sign() == 0 {
				return fail(divZero())
			}
			x.Set(a[i].BigInt())
			y.Set(b[i].BigInt())
			if mul != nil {
				x.Mul(x, mul)
			} else {
				y.Mul(y, div)
			}
			z, ok := divRound(x, y, q, rem)
			if !ok {
				return fail(rangeErr(t))
			}
			res[i] = z
		}
	}
	return makeArray(t, n, validity, buf), nil
}

// dateArith adds or subtracts days (any integer type) to dates, or subtracts two dates.
func dateArith(mem memory.Allocator, op BinaryOp, t arrow.DataType, l, r arrow.Array, validity *memory.Buffer) (arrow.Array, error) {
	n := l.Len()
	var valid []byte
	if validity != nil {
		valid = validity.Bytes()
	}
	if l.DataType().ID() == arrow.DATE32 && r.DataType().ID() == arrow.DATE32 {
		a, b := values[int32](l), values[int32](r)
		buf, out := newValues[int32](mem, n)
		for i := range out {
			out[i] = a[i] - b[i] // date32 range keeps this within int32 for PostgreSQL's dates
		}
		return makeArray(t, n, validity, buf), nil
	}
	date, days := l, r
	if l.DataType().ID() != arrow.DATE32 {
		date, days = r, l
	}
	d := values[int32](date)
	delta := intsAsInt64(days)
	buf, out := newValues[int32](mem, n)
	for i := range out {
		x := delta[i]
		if op == Sub {
			x = -x
		}
		v := int64(d[i]) + x
		// PostgreSQL dates end at 5874897-12-31 (2147483494 - 2440588 days from the epoch).
		if (v < minDate || v > maxDate) && !skip(valid, i) {
			buf.Release()
			if validity != nil {
				validity.Release()
			}
			return nil, errs.New(errs.NumericRange, "date out of range")
		}
		out[i] = int32(v)
	}
	return makeArray(t, n, validity, buf), nil
}

// PostgreSQL's date range, as days since 1970-01-01: 4714-11-24 BC to 5874897-12-31.
const (
	minDate = -2440588
	maxDate = 2147483494 - 2440588
)

func intsAsInt64(a arrow.Array) []int64 {
	out := make([]int64, a.Len())
	switch a.DataType().ID() {
	case arrow.INT16:
		for i, v := range values[int16](a) {
			out[i] = int64(v)
		}
	case arrow.INT32:
		for i, v := range values[int32](a) {
			out[i] = int64(v)
		}
	case arrow.INT64:
		copy(out, values[int64](a))
	}
	return out
}
