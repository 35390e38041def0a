package function

import (
	"context"
	"math"
	"math/big"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/exec"
)

// mapFloat applies f to every value of a double precision array; f may fail.
func mapFloat(f func(xs []float64) (float64, error)) func(memory.Allocator, arrow.DataType, []arrow.Array) (arrow.Array, error) {
	return func(mem memory.Allocator, typ arrow.DataType, args []arrow.Array) (arrow.Array, error) {
		n := 0
		if len(args) > 0 {
			n = args[0].Len()
		}
		validity := exec.AndValidity(mem, args...)
		buf, out := exec.AllocValues[float64](mem, n)
		cols := make([][]float64, len(args))
		for j, a := range args {
			cols[j] = exec.ValuesOf[float64](a)
		}
		xs := make([]float64, len(args))
		for i := range out {
			if validity != nil && exec.Skip(validity.Bytes(), i) {
				continue
			}
			for j := range cols {
				xs[j] = cols[j][i]
			}
			v, err := f(xs)
			if err != nil {
				buf.Release()
				if validity != nil {
					validity.Release()
				}
				return nil, err
			}
			out[i] = v
		}
		return exec.MakeArray(typ, n, validity, buf), nil
	}
}

// The errors PostgreSQL's float8 and numeric math functions raise for arguments outside
// their domain, with the SQL standard's codes (2201E, 2201F).
func logErr(x float64) error {
	if x == 0 {
		return errs.New(errs.InvalidLogArgument, "cannot take logarithm of zero")
	}
	return errs.New(errs.InvalidLogArgument, "cannot take logarithm of a negative number")
}

func sqrtErr() error {
	return errs.New(errs.InvalidPowerArgument, "cannot take square root of a negative number")
}

func zeroPowErr() error {
	return errs.New(errs.InvalidPowerArgument, "zero raised to a negative power is undefined")
}

func complexPowErr() error {
	return errs.New(errs.InvalidPowerArgument, "a negative number raised to a non-integer power yields a complex result")
}

func underflowErr() error { return errs.New(errs.NumericRange, "value out of range: underflow") }

// checkFloat reports PostgreSQL's overflow and underflow errors of a float result.
func checkFloat(v float64, in ...float64) (float64, error) {
	if math.IsInf(v, 0) {
		for _, x := range in {
			if math.IsInf(x, 0) {
				return v, nil
			}
		}
		return 0, errs.New(errs.NumericRange, "value out of range: overflow")
	}
	return v, nil
}

func registerMath() {
	f64 := arrow.PrimitiveTypes.Float64
	// The double precision functions; integer and numeric arguments are converted to
	// double precision (PostgreSQL keeps numeric for numeric arguments).
	unary := func(f func(x float64) (float64, error)) function {
		return function{resolve: signature("function", f64, []int{pNum}), eval: mapFloat(func(xs []float64) (float64, error) {
			v, err := f(xs[0])
			if err != nil {
				return 0, err
			}
			return checkFloat(v, xs[0])
		})}
	}
	plain := func(f func(float64) float64) function {
		return unary(func(x float64) (float64, error) { return f(x), nil })
	}
	register(unary(func(x float64) (float64, error) {
		if x < 0 {
			return 0, sqrtErr()
		}
		return math.Sqrt(x), nil
	}), "sqrt")
	register(plain(math.Cbrt), "cbrt")
	logOf := func(f func(float64) float64) function {
		return unary(func(x float64) (float64, error) {
			if x <= 0 {
				return 0, logErr(x)
			}
			return f(x), nil
		})
	}
	register(logOf(math.Log), "ln")
	log10 := logOf(math.Log10)
	register(log10, "log", "log10")
	register(unary(func(x float64) (float64, error) {
		v := math.Exp(x)
		if v == 0 && !math.IsInf(x, -1) {
			return 0, underflowErr()
		}
		return v, nil
	}), "exp")
	register(plain(func(x float64) float64 {
		switch {
		case x > 0:
			return 1
		case x < 0:
			return -1
		}
		return 0
	}), "sign")
	register(function{resolve: resolveRounding(true), eval: evalRounding(func(x, d *big.Int) *big.Int { return new(big.Int).Quo(x, d) }, math.Trunc)}, "trunc")
	register(plain(func(x float64) float64 { return x * 180 / math.Pi }), "degrees")
	register(plain(func(x float64) float64 { return x * math.Pi / 180 }), "radians")
	register(function{resolve: signature("pi", f64, []int{}), evalCtx: func(ctx context.Context, n int, typ arrow.DataType, _ []arrow.Array) (arrow.Array, error) {
		return exec.Broadcast(exec.Allocator(ctx), math.Pi, typ, n), nil
	}}, "pi")
	register(function{resolve: resolvePower, eval: evalPower}, "power", "pow")
}

// power is PostgreSQL's float8 x ^ y: NaN ^ 0 and 1 ^ NaN are 1, other NaN inputs give NaN
// without error; domain errors are 2201F; a finite result that overflows or underflows to
// zero is an error.
func power(x, y float64) (float64, error) {
	switch {
	case math.IsNaN(x):
		if y == 0 {
			return 1, nil
		}
		return math.NaN(), nil
	case math.IsNaN(y):
		if x == 1 {
			return 1, nil
		}
		return math.NaN(), nil
	case x == 0 && y < 0:
		return 0, zeroPowErr()
	case x < 0 && y != math.Floor(y):
		return 0, complexPowErr()
	}
	v := math.Pow(x, y)
	if math.IsInf(x, 0) || math.IsInf(y, 0) {
		return v, nil
	}
	if v == 0 && x != 0 {
		return 0, underflowErr()
	}
	return checkFloat(v, x, y)
}
