package function

import (
	"math"
	"math/big"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/exec"
)

// PowerScale is the scale of numeric x ^ y (and power(numeric, numeric)): PostgreSQL gives
// the result at least 16 digits after the point, and never fewer than either operand has.
// (For a non-integer exponent PostgreSQL's scale also shrinks as the result grows past 10;
// a decimal column has one scale, so sleeperd keeps this one.)
func PowerScale(x, y arrow.DataType) int32 {
	s := int32(16)
	for _, t := range []arrow.DataType{x, y} {
		if d, ok := t.(*arrow.Decimal128Type); ok {
			s = max(s, d.Scale)
		}
	}
	return min(s, 38)
}

// resolvePower resolves power(x, y), which is also the operator x ^ y: numeric when one
// argument is numeric and the other numeric or an integer, else double precision (so two
// integers give double precision, as in PostgreSQL).
func resolvePower(args []arrow.DataType) (arrow.DataType, []arrow.DataType, error) {
	if len(args) != 2 || !exec.IsNumeric(args[0]) || !exec.IsNumeric(args[1]) {
		return nil, nil, undefinedFunc("power", args)
	}
	dec := func(t arrow.DataType) bool { return t.ID() == arrow.DECIMAL128 }
	if (dec(args[0]) || dec(args[1])) && (dec(args[0]) || exec.IsInteger(args[0])) && (dec(args[1]) || exec.IsInteger(args[1])) {
		conv := make([]arrow.DataType, 2)
		for i, t := range args {
			if !dec(t) {
				conv[i] = &arrow.Decimal128Type{Precision: 38, Scale: 0}
			}
		}
		return &arrow.Decimal128Type{Precision: 38, Scale: PowerScale(args[0], args[1])}, conv, nil
	}
	f := arrow.PrimitiveTypes.Float64
	return f, []arrow.DataType{f, f}, nil
}

func evalPower(mem memory.Allocator, typ arrow.DataType, args []arrow.Array) (arrow.Array, error) {
	if typ.ID() == arrow.FLOAT64 {
		return mapFloat(func(xs []float64) (float64, error) { return power(xs[0], xs[1]) })(mem, typ, args)
	}
	xs := args[0].DataType().(*arrow.Decimal128Type).Scale
	ys := args[1].DataType().(*arrow.Decimal128Type).Scale
	rs := typ.(*arrow.Decimal128Type).Scale
	n := args[0].Len()
	validity := exec.AndValidity(mem, args...)
	buf, res := exec.AllocValues[decimal128.Num](mem, n)
	xv, yv := exec.ValuesOf[decimal128.Num](args[0]), exec.ValuesOf[decimal128.Num](args[1])
	for i := range res {
		if validity != nil && exec.Skip(validity.Bytes(), i) {
			continue
		}
		v, err := numericPower(xv[i].BigInt(), xs, yv[i].BigInt(), ys, rs)
		if err == nil && (v.BitLen() > 127 || !exec.Fits38(decimal128.FromBigInt(v))) {
			err = exec.RangeErr(typ)
		}
		if err != nil {
			buf.Release()
			if validity != nil {
				validity.Release()
			}
			return nil, err
		}
		res[i] = decimal128.FromBigInt(v)
	}
	return exec.MakeArray(typ, n, validity, buf), nil
}

// numericPower is x ^ y for decimals x (unscaled x, scale xs) and y (scale ys), as the
// unscaled value of the result at scale rs, rounded half away from zero. The result is exact
// (before rounding) for integer exponents of modest size, and otherwise computed as
// exp(y ln x) with far more precision than 38 digits need. A result beyond any decimal's
// range is reported by a result larger than 38 digits.
func numericPower(x *big.Int, xs int32, y *big.Int, ys int32, rs int32) (*big.Int, error) {
	v, s, err := numericPowerScaled(x, xs, y, ys, rs)
	if err != nil || s == rs {
		return v, err
	}
	q, m := new(big.Int).QuoRem(v, exec.Pow10(s-rs), new(big.Int))
	if m.Sign() != 0 {
		return nil, errs.New(errs.NumericRange,
			"value out of range: the result of power(numeric, numeric) needs %d decimal places; its type holds %d", s, rs)
	}
	return q, nil
}

// numericPowerScaled is numericPower at the display scale PostgreSQL gives the result: rs
// for an integral exponent, and for another the places that give at least 16 significant
// digits (at least rs); it returns the unscaled result and its scale.
func numericPowerScaled(x *big.Int, xs int32, y *big.Int, ys int32, rs int32) (*big.Int, int32, error) {
	one := exec.Pow10(rs)
	if y.Sign() == 0 {
		return one, rs, nil
	}
	if x.Sign() == 0 {
		if y.Sign() < 0 {
			return nil, 0, zeroPowErr()
		}
		return new(big.Int), rs, nil
	}
	exp, frac := new(big.Int).QuoRem(y, exec.Pow10(ys), new(big.Int))
	integral := frac.Sign() == 0
	if !integral && x.Sign() < 0 {
		return nil, 0, complexPowErr()
	}
	// The result's decimal weight, roughly: far too large overflows, far too small is 0.
	xf, _ := new(big.Rat).SetFrac(new(big.Int).Abs(x), exec.Pow10(xs)).Float64()
	yf, _ := new(big.Rat).SetFrac(y, exec.Pow10(ys)).Float64()
	weight := yf * math.Log10(xf)
	switch {
	case weight > 40:
		return new(big.Int).Lsh(one, 200), rs, nil // out of range
	case weight < -float64(rs)-2 && (integral || weight < -numericMaxScale-2):
		return new(big.Int), rs, nil
	}
	// PostgreSQL shows a non-integral power at the places exp gives it, at least 16
	// significant digits.
	prs := int32(rs)
	if !integral {
		prs = min(max(int32(numericMinSigDigits-int(weight)), xs, ys, rs), numericMaxScale)
	}
	if integral && exp.IsInt64() && int64(x.BitLen())*new(big.Int).Abs(exp).Int64() <= 1<<13 {
		// Exactly: x^n / 10^(xs n), or its reciprocal for n < 0.
		k := new(big.Int).Abs(exp)
		num := new(big.Int).Exp(x, k, nil)
		den := new(big.Int).Exp(exec.BigTen, new(big.Int).Mul(k, big.NewInt(int64(xs))), nil)
		if exp.Sign() < 0 {
			num, den = den, num
		}
		return quoHalfAway(num.Mul(num, one), den), rs, nil
	}
	const prec = 320
	bx := new(big.Float).SetPrec(prec).Quo(new(big.Float).SetPrec(prec).SetInt(new(big.Int).Abs(x)), new(big.Float).SetPrec(prec).SetInt(exec.Pow10(xs)))
	by := new(big.Float).SetPrec(prec).Quo(new(big.Float).SetPrec(prec).SetInt(y), new(big.Float).SetPrec(prec).SetInt(exec.Pow10(ys)))
	r := bigExp(new(big.Float).SetPrec(prec).Mul(by, bigLn(bx, prec)), prec)
	if x.Sign() < 0 && exp.Bit(0) == 1 {
		r.Neg(r)
	}
	r.Mul(r, new(big.Float).SetPrec(prec).SetInt(exec.Pow10(prs)))
	half := big.NewFloat(0.5)
	if r.Sign() < 0 {
		half.Neg(half)
	}
	v, _ := r.Add(r, half).Int(nil) // rounds half away from zero: truncation after +-0.5
	return v, prs, nil
}

// quoHalfAway is x / y rounded half away from zero, at any size.
func quoHalfAway(x, y *big.Int) *big.Int {
	q, r := new(big.Int).QuoRem(x, y, new(big.Int))
	if r.Abs(r).Lsh(r, 1).CmpAbs(y) >= 0 {
		if (x.Sign() < 0) != (y.Sign() < 0) {
			q.Sub(q, big.NewInt(1))
		} else {
			q.Add(q, big.NewInt(1))
		}
	}
	return q
}

var (
	ln2Once sync.Once
	ln2     *big.Float
)

// atanh2 is 2 atanh(z) = ln((1+z)/(1-z)) by its series, for |z| <= 1/3.
func atanh2(z *big.Float, prec uint) *big.Float {
	sum := new(big.Float).SetPrec(prec).Set(z)
	z2 := new(big.Float).SetPrec(prec).Mul(z, z)
	term := new(big.Float).SetPrec(prec).Set(z)
	eps := new(big.Float).SetPrec(prec).SetMantExp(big.NewFloat(1), -int(prec)-8)
	t := new(big.Float).SetPrec(prec)
	for k := int64(3); ; k += 2 {
		term.Mul(term, z2)
		t.Quo(term, new(big.Float).SetPrec(prec).SetInt64(k))
		if t.Sign() == 0 || new(big.Float).Abs(t).Cmp(eps) < 0 {
			break
		}
		sum.Add(sum, t)
	}
	return sum.Mul(sum, big.NewFloat(2))
}

// bigLn is the natural logarithm of x > 0: x = m 2^e with m in [0.5, 1), so
// ln x = 2 atanh((m-1)/(m+1)) + e ln 2.
func bigLn(x *big.Float, prec uint) *big.Float {
	ln2Once.Do(func() {
		ln2 = atanh2(new(big.Float).SetPrec(prec).Quo(big.NewFloat(1), big.NewFloat(3)), prec)
	})
	m := new(big.Float).SetPrec(prec)
	e := x.MantExp(m)
	one := big.NewFloat(1)
	z := new(big.Float).SetPrec(prec).Quo(new(big.Float).SetPrec(prec).Sub(m, one), new(big.Float).SetPrec(prec).Add(m, one))
	r := atanh2(z, prec)
	return r.Add(r, new(big.Float).SetPrec(prec).Mul(ln2, big.NewFloat(float64(e))))
}

// bigExp is e^t: t is halved k times until small, its series summed, and the result
// squared k times.
func bigExp(t *big.Float, prec uint) *big.Float {
	r := new(big.Float).SetPrec(prec).Set(t)
	k := 0
	if e := r.MantExp(nil); e > -8 {
		k = e + 8
		r.SetMantExp(r, -k)
	}
	sum := new(big.Float).SetPrec(prec).SetInt64(1)
	term := new(big.Float).SetPrec(prec).SetInt64(1)
	eps := new(big.Float).SetPrec(prec).SetMantExp(big.NewFloat(1), -int(prec)-8)
	for i := int64(1); ; i++ {
		term.Mul(term, r)
		term.Quo(term, new(big.Float).SetPrec(prec).SetInt64(i))
		if term.Sign() == 0 || new(big.Float).Abs(term).Cmp(eps) < 0 {
			break
		}
		sum.Add(sum, term)
	}
	for ; k > 0; k-- {
		sum.Mul(sum, sum)
	}
	return sum
}
