package function

import (
	"math"
	"math/big"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/exec"
	"github.com/sleeperd/sleeperd/types"
)

// The math functions of numeric with PostgreSQL's precision: sqrt, exp, ln, log, log10 and
// sign of numeric, and div, gcd, lcm, scale, min_scale and trim_scale. A call with a numeric
// argument and no float one (integers convert to numeric) gives numeric without a type
// modifier, each value at the display scale PostgreSQL's numeric.c selects for it: at least
// NUMERIC_MIN_SIG_DIGITS (16) significant digits, and no fewer places than an argument. The
// result is rounded once, half away from zero, from a value computed to more than 150
// digits. A result that needs more than types.VarNumericDigits digits loses places from the
// right, and one that needs more than types.MaxVarNumericScale places is rounded at that
// scale (PostgreSQL keeps up to 1000); one with more integer digits than that fails with
// 22003.

const (
	numericMinSigDigits = 16
	numericMaxScale     = 1000
	// floatPrec is the precision, in bits, of the intermediate values of exp, ln and log.
	floatPrec = 600
)

// decArg is a numeric value: unscaled integer and display scale.
type decArg struct {
	u *big.Int
	s int32
}

// decValue is the numeric value of row i of a (numeric, numeric(p,s) or an integer).
func decValue(a arrow.Array, i int) decArg {
	switch v := exec.ValueAt(a, i).(type) {
	case int16:
		return decArg{big.NewInt(int64(v)), 0}
	case int32:
		return decArg{big.NewInt(int64(v)), 0}
	case int64:
		return decArg{big.NewInt(v), 0}
	case decimal128.Num:
		if types.IsVarNumeric(a.DataType()) {
			u, s := types.UnpackNumeric(v)
			return decArg{u.BigInt(), s}
		}
		return decArg{v.BigInt(), exec.ScaleOf(a.DataType())}
	}
	panic("function: not a number: " + a.DataType().String())
}

// float is d as a big.Float of floatPrec bits.
func (d decArg) float() *big.Float {
	f := new(big.Float).SetPrec(floatPrec).SetInt(d.u)
	return f.Quo(f, new(big.Float).SetPrec(floatPrec).SetInt(exec.Pow10(d.s)))
}

// dweight is the decimal exponent of d's leading digit (floor(log10|d|)); 0 for zero.
func (d decArg) dweight() int {
	if d.u.Sign() == 0 {
		return 0
	}
	return len(new(big.Int).Abs(d.u).String()) - 1 - int(d.s)
}

// nbase is d in PostgreSQL's base-10000 digits: the weight of the first and its first two
// digits (second is -1 when d has one), trailing zero digits stripped.
func (d decArg) nbase() (weight int, first, second int) {
	s4 := (int(d.s) + 3) / 4 * 4
	if d.s < 0 {
		s4 = 0
	}
	u := new(big.Int).Abs(d.u)
	u.Mul(u, exec.Pow10(int32(s4)-d.s))
	var groups []int64
	q, r, nb := new(big.Int), new(big.Int), big.NewInt(10000)
	for u.Sign() > 0 {
		q.QuoRem(u, nb, r)
		groups = append(groups, r.Int64())
		u, q = q, u
	}
	// groups[0] is the least significant; strip trailing (least significant) zeros.
	for len(groups) > 0 && groups[0] == 0 {
		groups = groups[1:]
		s4 -= 4
	}
	if len(groups) == 0 {
		return 0, 0, -1
	}
	weight = len(groups) - 1 - s4/4
	first, second = int(groups[len(groups)-1]), -1
	if len(groups) > 1 {
		second = int(groups[len(groups)-2])
	}
	return weight, first, second
}

// lnDweight is PostgreSQL's estimate_ln_dweight: the decimal weight of ln(d).
func lnDweight(d decArg) int {
	if d.u.Sign() <= 0 {
		return 0
	}
	one := decArg{exec.Pow10(d.s), d.s}
	lo := new(big.Int).Mul(big.NewInt(9), exec.Pow10(d.s))
	lo.Quo(lo, big.NewInt(10)) // 0.9 at scale d.s, for d.s >= 1
	if d.s >= 1 {
		hi := new(big.Int).Mul(big.NewInt(11), exec.Pow10(d.s-1))
		if d.u.Cmp(lo) >= 0 && d.u.Cmp(hi) <= 0 {
			x := decArg{new(big.Int).Sub(d.u, one.u), d.s}
			if x.u.Sign() == 0 {
				return 0
			}
			return x.dweight()
		}
	} else if d.u.Cmp(big.NewInt(1)) == 0 {
		return 0 // exactly 1
	}
	weight, first, second := d.nbase()
	digits, dw := float64(first), weight*4
	if second >= 0 {
		digits = digits*10000 + float64(second)
		dw -= 4
	}
	lnv := math.Log(digits) + float64(dw)*2.302585092994046
	return int(math.Log10(math.Abs(lnv)))
}

// clampScale applies the bounds of PostgreSQL's display scale to rscale.
func clampScale(rscale int, args ...decArg) int {
	for _, a := range args {
		rscale = max(rscale, int(a.s))
	}
	return min(max(rscale, 0), numericMaxScale)
}

// packFloat packs r rounded half away from zero at scale rscale, the display scale
// PostgreSQL gives the result of the function name. Trailing zero places beyond what numeric
// holds are dropped; a result whose other digits do not fit (more than
// types.MaxVarNumericScale places or types.VarNumericDigits digits) fails with 22003 rather
// than come back rounded to a value PostgreSQL would not give.
func packFloat(name string, r *big.Float, rscale int) (decimal128.Num, error) {
	s := int32(rscale)
	u := roundFloat(new(big.Float).SetPrec(floatPrec).Mul(r, new(big.Float).SetPrec(floatPrec).SetInt(exec.Pow10(s))))
	return packScaled(name, u, s, rscale)
}

// packScaled is packFloat for the value u·10^-s, already rounded.
func packScaled(name string, u *big.Int, s int32, rscale int) (decimal128.Num, error) {
	digits := len(new(big.Int).Abs(u).String())
	if u.Sign() == 0 {
		digits = 1
	}
	rem := new(big.Int)
	for s > 0 && (s > types.MaxVarNumericScale || digits > types.VarNumericDigits) {
		q, m := new(big.Int).QuoRem(u, exec.BigTen, rem)
		if m.Sign() != 0 {
			break
		}
		u, s = q, s-1
		if u.Sign() != 0 {
			digits--
		}
	}
	if s > types.MaxVarNumericScale || digits > types.VarNumericDigits {
		if digits-int(s) > types.VarNumericDigits {
			return decimal128.Num{}, exec.VarOverflow()
		}
		return decimal128.Num{}, errs.New(errs.NumericRange,
			"value out of range: the result of %s needs %d significant digits at %d decimal places; numeric holds at most %d digits and %d places",
			name, digits, rscale, types.VarNumericDigits, types.MaxVarNumericScale)
	}
	n, ok := types.PackNumeric(decimal128.FromBigInt(u), s)
	if !ok {
		return decimal128.Num{}, exec.VarOverflow()
	}
	return n, nil
}

// roundFloat is f rounded half away from zero to an integer.
func roundFloat(f *big.Float) *big.Int {
	h := new(big.Float).SetPrec(f.Prec()).SetFloat64(0.5)
	if f.Sign() < 0 {
		h.Neg(h)
	}
	u, _ := new(big.Float).SetPrec(f.Prec()).Add(f, h).Int(nil) // truncates toward zero
	return u
}

func numSqrt(x decArg) (decimal128.Num, error) {
	if x.u.Sign() < 0 {
		return decimal128.Num{}, sqrtErr()
	}
	weight := 0
	if x.u.Sign() != 0 {
		dw := x.dweight()
		weight = int(math.Floor(float64(dw) / 4))
	}
	sweight := 2*weight + 1 // (weight + 1) * DEC_DIGITS / 2 - 1
	rscale := clampScale(numericMinSigDigits-sweight, x)
	// floor(sqrt(x)·10^(rscale+1)) from the integer square root, then rounded once.
	s := min(rscale, types.MaxVarNumericScale)
	e := 2*(int32(s)+1) - x.s
	v := new(big.Int).Set(x.u)
	if e >= 0 {
		v.Mul(v, exec.Pow10(e))
	} else {
		v.Quo(v, exec.Pow10(-e))
	}
	v.Sqrt(v)
	return exec.PackBig(exec.RoundQuo(v, exec.BigTen), int32(s))
}

func numExp(x decArg) (decimal128.Num, error) {
	val, _ := x.float().Float64()
	if math.Abs(val) >= 2000*3 {
		if val < 0 {
			return packFloat("exp(numeric)", new(big.Float), clampScale(numericMaxScale, x))
		}
		return decimal128.Num{}, exec.VarOverflow()
	}
	d := val * 0.434294481903252
	d = max(min(d, 2000), -2000)
	rscale := clampScale(numericMinSigDigits-int(d), x)
	if d > float64(types.VarNumericDigits)+1 {
		return decimal128.Num{}, exec.VarOverflow()
	}
	return packFloat("exp(numeric)", bigExp(x.float(), floatPrec), rscale)
}

func checkLn(x decArg) error {
	if x.u.Sign() == 0 {
		return logErr(0)
	}
	if x.u.Sign() < 0 {
		return logErr(-1)
	}
	return nil
}

func numLn(x decArg) (decimal128.Num, error) {
	if err := checkLn(x); err != nil {
		return decimal128.Num{}, err
	}
	return packFloat("ln(numeric)", bigLn(x.float(), floatPrec), clampScale(numericMinSigDigits-lnDweight(x), x))
}

// numLog is the logarithm of x to base b, as PostgreSQL's log_var.
func numLog(b, x decArg) (decimal128.Num, error) {
	if err := checkLn(b); err != nil {
		return decimal128.Num{}, err
	}
	if err := checkLn(x); err != nil {
		return decimal128.Num{}, err
	}
	rscale := clampScale(numericMinSigDigits-(lnDweight(x)-lnDweight(b)), b, x)
	lb := bigLn(b.float(), floatPrec)
	if b.u.Cmp(exec.Pow10(b.s)) == 0 {
		return decimal128.Num{}, errs.New(errs.DivisionByZero, "division by zero")
	}
	lx := bigLn(x.float(), floatPrec)
	return packFloat("log(numeric)", lx.Quo(lx, lb), rscale)
}

// align returns the unscaled values of a and b at their larger scale.
func align(a, b decArg) (*big.Int, *big.Int, int32) {
	s := max(a.s, b.s)
	return new(big.Int).Mul(a.u, exec.Pow10(s-a.s)), new(big.Int).Mul(b.u, exec.Pow10(s-b.s)), s
}

// minScale is the fewest places that show d exactly.
func minScale(d decArg) int32 {
	if d.u.Sign() == 0 {
		return 0
	}
	u, s := new(big.Int).Set(d.u), d.s
	r := new(big.Int)
	for s > 0 {
		q, _ := new(big.Int).QuoRem(u, exec.BigTen, r)
		if r.Sign() != 0 {
			break
		}
		u, s = q, s-1
	}
	return s
}

// resolveNumericMath resolves a numeric math function of arity n: numeric when an argument is
// numeric and the others integers or numeric; ok is false otherwise.
func resolveNumericMath(args []arrow.DataType, n int) bool {
	if len(args) != n {
		return false
	}
	dec := false
	for _, t := range args {
		switch {
		case types.IsDecimal(t):
			dec = true
		case exec.IsInteger(t):
		default:
			return false
		}
	}
	return dec
}

// numericMath is a function of numeric arguments computed per row.
func numericMath(arity int, result arrow.DataType, f func(args []decArg) (any, error)) function {
	return function{resolve: func(args []arrow.DataType) (arrow.DataType, []arrow.DataType, error) {
		if !resolveNumericMath(args, arity) {
			return nil, nil, undefinedFunc("function", args)
		}
		return result, nil, nil
	}, eval: func(mem memory.Allocator, typ arrow.DataType, args []arrow.Array) (arrow.Array, error) {
		return evalDecRows(mem, typ, args, f)
	}}
}

// numericOverload is the numeric overload of a double precision function: it takes the
// calls that resolveNumericMath takes for one of the arities.
func numericOverload(arity []int, num func(args []decArg) (any, error)) function {
	takes := func(args []arrow.DataType) bool {
		for _, n := range arity {
			if resolveNumericMath(args, n) {
				return true
			}
		}
		return false
	}
	return function{takes: takes, resolve: func(args []arrow.DataType) (arrow.DataType, []arrow.DataType, error) {
		return types.VarNumeric, nil, nil
	}, eval: func(mem memory.Allocator, typ arrow.DataType, args []arrow.Array) (arrow.Array, error) {
		return evalDecRows(mem, typ, args, num)
	}}
}

// evalDecRows applies f to the numeric values of each row without a NULL argument.
func evalDecRows(mem memory.Allocator, typ arrow.DataType, args []arrow.Array, f func(args []decArg) (any, error)) (arrow.Array, error) {
	return evalRows(mem, typ, args, false, decValue, f)
}

func registerMathNumeric() {
	i32 := arrow.PrimitiveTypes.Int32
	wrap := func(name string, arity []int, f func(args []decArg) (any, error)) {
		register(numericOverload(arity, f), name)
	}
	num := func(v decimal128.Num, err error) (any, error) {
		if err != nil {
			return nil, err
		}
		return v, nil
	}
	wrap("sqrt", []int{1}, func(a []decArg) (any, error) { return num(numSqrt(a[0])) })
	for _, name := range []string{"power", "pow"} {
		wrap(name, []int{2}, func(a []decArg) (any, error) {
			v, s, err := numericPowerScaled(a[0].u, a[0].s, a[1].u, a[1].s, max(numericMinSigDigits, a[0].s, a[1].s))
			if err != nil {
				return nil, err
			}
			return num(packScaled("power(numeric, numeric)", v, s, int(s)))
		})
	}
	wrap("exp", []int{1}, func(a []decArg) (any, error) { return num(numExp(a[0])) })
	wrap("ln", []int{1}, func(a []decArg) (any, error) { return num(numLn(a[0])) })
	logf := func(a []decArg) (any, error) {
		if len(a) == 1 {
			return num(numLog(decArg{big.NewInt(10), 0}, a[0]))
		}
		return num(numLog(a[0], a[1]))
	}
	wrap("log", []int{1}, logf)
	// log(b, x) is numeric only, as in PostgreSQL: integers convert, floats do not.
	register(function{takes: func(args []arrow.DataType) bool { return len(args) == 2 }, resolve: func(args []arrow.DataType) (arrow.DataType, []arrow.DataType, error) {
		if (types.IsDecimal(args[0]) || exec.IsInteger(args[0])) && (types.IsDecimal(args[1]) || exec.IsInteger(args[1])) {
			return types.VarNumeric, nil, nil
		}
		return nil, nil, undefinedFunc("log", args)
	}, eval: func(mem memory.Allocator, typ arrow.DataType, args []arrow.Array) (arrow.Array, error) {
		return evalDecRows(mem, typ, args, logf)
	}}, "log")
	wrap("log10", []int{1}, logf)
	wrap("sign", []int{1}, func(a []decArg) (any, error) {
		return num(exec.PackNum(decimal128.FromI64(int64(a[0].u.Sign())), 0))
	})
	register(numericMath(2, types.VarNumeric, func(a []decArg) (any, error) {
		x, y, _ := align(a[0], a[1])
		if y.Sign() == 0 {
			return nil, errs.New(errs.DivisionByZero, "division by zero")
		}
		return num(exec.PackBig(x.Quo(x, y), 0))
	}), "div")
	gcd := func(a, b decArg) (*big.Int, int32) {
		x, y, s := align(a, b)
		return new(big.Int).GCD(nil, nil, x.Abs(x), y.Abs(y)), s
	}
	register(numericOverload([]int{2}, func(a []decArg) (any, error) {
		g, s := gcd(a[0], a[1])
		return num(exec.PackBig(g, s))
	}), "gcd")
	register(numericOverload([]int{2}, func(a []decArg) (any, error) {
		g, s := gcd(a[0], a[1])
		if g.Sign() == 0 {
			return num(exec.PackBig(g, s))
		}
		x, y, _ := align(a[0], a[1])
		l := x.Quo(x.Abs(x), g)
		return num(exec.PackBig(l.Mul(l, y.Abs(y)), s))
	}), "lcm")
	register(numericMath(1, i32, func(a []decArg) (any, error) { return a[0].s, nil }), "scale")
	register(numericMath(1, i32, func(a []decArg) (any, error) { return minScale(a[0]), nil }), "min_scale")
	register(numericMath(1, types.VarNumeric, func(a []decArg) (any, error) {
		s := minScale(a[0])
		return num(exec.PackBig(new(big.Int).Quo(a[0].u, exec.Pow10(a[0].s-s)), s))
	}), "trim_scale")
}
