package function

import (
	"context"
	"math"
	"math/big"
	"math/rand/v2"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/exec"
	"github.com/sleeperd/sleeperd/types"
)

// The trigonometric and hyperbolic functions, gcd, lcm, factorial, width_bucket and random.

func inputRangeErr() error { return errs.New(errs.NumericRange, "input is out of range") }

func registerMathMore() {
	f64, i32 := arrow.PrimitiveTypes.Float64, arrow.PrimitiveTypes.Int32
	float := func(name string, arity int, f func(xs []float64) (float64, error)) {
		ps := make([]int, arity)
		for i := range ps {
			ps[i] = pNum
		}
		register(function{resolve: signature(name, f64, ps), eval: mapFloat(func(xs []float64) (float64, error) {
			v, err := f(xs)
			if err != nil {
				return 0, err
			}
			return checkFloat(v, xs...)
		})}, name)
	}
	const deg = 180 / math.Pi
	bounded := func(f func(float64) float64, scale float64) func([]float64) (float64, error) {
		return func(xs []float64) (float64, error) {
			if xs[0] < -1 || xs[0] > 1 {
				if math.IsNaN(xs[0]) {
					return math.NaN(), nil
				}
				return 0, inputRangeErr()
			}
			return snapDeg(f(xs[0])*scale, scale), nil
		}
	}
	finite := func(f func(float64) float64, scale float64) func([]float64) (float64, error) {
		return func(xs []float64) (float64, error) {
			if math.IsInf(xs[0], 0) {
				return 0, inputRangeErr()
			}
			return f(xs[0] / scale), nil
		}
	}
	float("acos", 1, bounded(math.Acos, 1))
	float("asin", 1, bounded(math.Asin, 1))
	float("acosd", 1, bounded(math.Acos, deg))
	float("asind", 1, bounded(math.Asin, deg))
	float("atan", 1, func(xs []float64) (float64, error) { return math.Atan(xs[0]), nil })
	float("atand", 1, func(xs []float64) (float64, error) { return math.Atan(xs[0]) * deg, nil })
	float("atan2", 2, func(xs []float64) (float64, error) { return math.Atan2(xs[0], xs[1]), nil })
	float("atan2d", 2, func(xs []float64) (float64, error) { return math.Atan2(xs[0], xs[1]) * deg, nil })
	float("cos", 1, finite(math.Cos, 1))
	float("sin", 1, finite(math.Sin, 1))
	float("tan", 1, finite(math.Tan, 1))
	float("cot", 1, finite(func(x float64) float64 { return 1 / math.Tan(x) }, 1))
	// The degree variants return exact values at the multiples of 30 and 45 degrees, as
	// PostgreSQL's do.
	float("cosd", 1, finite(func(x float64) float64 { return exactDeg(x, math.Cos) }, 1))
	float("sind", 1, finite(func(x float64) float64 { return exactDeg(x, math.Sin) }, 1))
	float("tand", 1, finite(func(x float64) float64 { return exactDeg(x, math.Tan) }, 1))
	float("cotd", 1, finite(func(x float64) float64 { return 1 / exactDeg(x, math.Tan) }, 1))
	float("sinh", 1, func(xs []float64) (float64, error) { return math.Sinh(xs[0]), nil })
	float("cosh", 1, func(xs []float64) (float64, error) { return math.Cosh(xs[0]), nil })
	float("tanh", 1, func(xs []float64) (float64, error) { return math.Tanh(xs[0]), nil })
	float("asinh", 1, func(xs []float64) (float64, error) { return math.Asinh(xs[0]), nil })
	float("acosh", 1, func(xs []float64) (float64, error) {
		if xs[0] < 1 {
			return 0, inputRangeErr()
		}
		return math.Acosh(xs[0]), nil
	})
	float("atanh", 1, func(xs []float64) (float64, error) {
		if xs[0] < -1 || xs[0] > 1 {
			return 0, inputRangeErr()
		}
		return math.Atanh(xs[0]), nil
	})
	// gcd and lcm of integers keep the argument type (smallint as integer).
	intPair := func(name string, f func(a, b int64) (int64, bool)) function {
		return function{resolve: func(args []arrow.DataType) (arrow.DataType, []arrow.DataType, error) {
			if len(args) != 2 || !exec.IsInteger(args[0]) || !exec.IsInteger(args[1]) {
				return nil, nil, undefinedFunc(name, args)
			}
			t := arrow.PrimitiveTypes.Int32
			if args[0].ID() == arrow.INT64 || args[1].ID() == arrow.INT64 {
				t = arrow.PrimitiveTypes.Int64
			}
			return t, []arrow.DataType{arrow.PrimitiveTypes.Int64, arrow.PrimitiveTypes.Int64}, nil
		}, eval: func(mem memory.Allocator, typ arrow.DataType, args []arrow.Array) (arrow.Array, error) {
			return rowwise(false, func(v []any) (any, error) {
				r, ok := f(v[0].(int64), v[1].(int64))
				if !ok || typ.ID() == arrow.INT32 && (r > math.MaxInt32 || r < math.MinInt32) {
					return nil, errs.New(errs.NumericRange, "%s out of range", map[bool]string{true: "bigint", false: "integer"}[typ.ID() == arrow.INT64])
				}
				if typ.ID() == arrow.INT32 {
					return int32(r), nil
				}
				return r, nil
			})(mem, typ, args)
		}}
	}
	register(intPair("gcd", func(a, b int64) (int64, bool) {
		g := new(big.Int).GCD(nil, nil, new(big.Int).Abs(big.NewInt(a)), new(big.Int).Abs(big.NewInt(b)))
		return g.Int64(), g.IsInt64()
	}), "gcd")
	register(intPair("lcm", func(a, b int64) (int64, bool) {
		if a == 0 || b == 0 {
			return 0, true
		}
		x, y := new(big.Int).Abs(big.NewInt(a)), new(big.Int).Abs(big.NewInt(b))
		g := new(big.Int).GCD(nil, nil, x, y)
		l := new(big.Int).Mul(new(big.Int).Quo(x, g), y)
		return l.Int64(), l.IsInt64()
	}), "lcm")
	register(function{resolve: signature("factorial", types.Numeric(38, 0), []int{pInt}), eval: rowwise(false, func(v []any) (any, error) {
		n := v[0].(int64)
		if n < 0 {
			return nil, errs.New(errs.NumericRange, "factorial of a negative number is undefined")
		}
		f := big.NewInt(1)
		for i := int64(2); i <= n; i++ {
			f.Mul(f, big.NewInt(i))
			if f.BitLen() > 126 {
				return nil, errs.New(errs.NumericRange, "value overflows numeric format")
			}
		}
		num := decimal128.FromBigInt(f)
		return num, nil
	})}, "factorial")
	register(function{resolve: signature("width_bucket", i32, []int{pNum, pNum, pNum, pInt}), eval: rowwise(false, func(v []any) (any, error) {
		x, lo, hi, n := v[0].(float64), v[1].(float64), v[2].(float64), v[3].(int64)
		return widthBucket(x, lo, hi, n)
	})}, "width_bucket")
	register(function{resolve: signature("random", f64, []int{}), evalCtx: func(ctx context.Context, n int, typ arrow.DataType, _ []arrow.Array) (arrow.Array, error) {
		b := array.NewFloat64Builder(exec.Allocator(ctx))
		defer b.Release()
		for i := 0; i < n; i++ {
			b.Append(rand.Float64())
		}
		return b.NewArray(), nil
	}}, "random")
}

// snapDeg makes an angle in degrees (scale is 180/π) that is within rounding error of a
// whole number of degrees that number, as PostgreSQL's inverse degree functions give exact
// results at the standard angles.
func snapDeg(v, scale float64) float64 {
	if scale == 1 {
		return v
	}
	if r := math.Round(v); math.Abs(v-r) < 1e-9 {
		return r
	}
	return v
}

// exactDeg is f of x degrees, exact at the multiples of 30 and 45 degrees.
func exactDeg(x float64, f func(float64) float64) float64 {
	v := f(x / (180 / math.Pi))
	for _, exact := range []float64{0, 0.5, 1, -0.5, -1} {
		if math.Abs(v-exact) < 1e-15 {
			return exact
		}
	}
	if math.Abs(v) > 1e15 {
		return math.Inf(int(math.Copysign(1, v)))
	}
	return v
}

// widthBucket is PostgreSQL's width_bucket for double precision operands.
func widthBucket(x, lo, hi float64, n int64) (any, error) {
	switch {
	case n <= 0:
		return nil, errs.New(errs.InvalidWidthBucket, "count must be greater than zero")
	case lo == hi:
		return nil, errs.New(errs.InvalidWidthBucket, "lower bound cannot equal upper bound")
	case math.IsNaN(x) || math.IsNaN(lo) || math.IsNaN(hi):
		return nil, errs.New(errs.InvalidWidthBucket, "operand, lower bound, and upper bound cannot be NaN")
	case math.IsInf(lo, 0) || math.IsInf(hi, 0):
		return nil, errs.New(errs.InvalidWidthBucket, "lower and upper bounds must be finite")
	}
	var r int64
	if lo < hi {
		switch {
		case x < lo:
			r = 0
		case x >= hi:
			r = n + 1
		default:
			r = int64(float64(n)*((x-lo)/(hi-lo))) + 1
		}
	} else {
		switch {
		case x > lo:
			r = 0
		case x <= hi:
			r = n + 1
		default:
			r = int64(float64(n)*((lo-x)/(lo-hi))) + 1
		}
	}
	if r > math.MaxInt32 {
		return nil, errs.New(errs.NumericRange, "integer out of range")
	}
	return int32(r), nil
}
