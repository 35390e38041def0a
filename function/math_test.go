package function

import (
	"errors"
	"math"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/exec"
)

// Expected values are PostgreSQL 15's.
func TestMathFunctions(t *testing.T) {
	n := func(v int) exec.Expr { return lit(t, v, tI32) }
	f := func(v float64) exec.Expr { return lit(t, v, tF64) }
	num := func(v string, s int32) exec.Expr { return lit(t, dec(t, v, s), tDec(10, s)) }
	runFuncCases(t, []funcCase{
		{"power", []exec.Expr{n(2), n(10)}, "1024", tF64},
		{"pow", []exec.Expr{f(2), f(0.5)}, "1.4142135623730951", tF64},
		{"sqrt", []exec.Expr{n(2)}, "1.4142135623730951", tF64},
		{"ln", []exec.Expr{n(10)}, "2.302585092994046", tF64},
		{"log", []exec.Expr{n(100)}, "2", tF64},
		{"exp", []exec.Expr{n(1)}, "2.718281828459045", tF64},
		{"mod", []exec.Expr{n(17), n(5)}, "2", tI32},
		{"mod", []exec.Expr{lit(t, -17, tI64), n(5)}, "-2", tI64},
		{"mod", []exec.Expr{num("17.5", 1), num("5", 0)}, "2.5", nil},
		{"mod", []exec.Expr{num("10.5", 1), n(3)}, "1.5", nil},
		{"mod", []exec.Expr{n(7), num("2.5", 1)}, "2.0", nil},
		{"mod", []exec.Expr{num("10.50", 2), lit(t, int16(4), tI16)}, "2.50", nil},
		{"mod", []exec.Expr{lit(t, int64(10), tI64), lit(t, int16(3), tI16)}, "1", tI64},
		{"sign", []exec.Expr{f(-3.5)}, "-1", tF64},
		{"trunc", []exec.Expr{f(-3.7)}, "-3", tF64},
		{"trunc", []exec.Expr{num("-3.7", 1)}, "-3", tDec(10, 0)},
		{"pi", nil, "3.141592653589793", tF64},
		{"degrees", []exec.Expr{lit(t, 3.141592653589793, tF64)}, "180", tF64},
		{"radians", []exec.Expr{n(180)}, "3.141592653589793", tF64},
	})
	// PostgreSQL has no mod(double precision, integer): floats do not convert to numeric
	// implicitly.
	if _, err := NewFunc("mod", []exec.Expr{f(10.5), n(3)}); !errors.Is(err, errs.UndefinedFunction) {
		t.Errorf("mod(double precision, integer): %v, want undefined function", err)
	}
	if _, err := FuncResultType("mod", []arrow.DataType{tDec(10, 1), tI32}); err != nil {
		t.Errorf("FuncResultType(mod(numeric, integer)): %v", err)
	}
	ctx, mem := checkedCtx(t)
	batch := col(t, mem, tI32, 1)
	defer batch.Release()
	// PostgreSQL 15's codes and messages, for integer, double precision and numeric arguments.
	const (
		negSqrt = "cannot take square root of a negative number"
		logZero = "cannot take logarithm of zero"
		logNeg  = "cannot take logarithm of a negative number"
		zeroPow = "zero raised to a negative power is undefined"
		cplxPow = "a negative number raised to a non-integer power yields a complex result"
	)
	for _, c := range []struct {
		name string
		args []exec.Expr
		kind error
		msg  string
	}{
		{"sqrt", []exec.Expr{n(-1)}, errs.InvalidPowerArgument, negSqrt},
		{"sqrt", []exec.Expr{f(-0.5)}, errs.InvalidPowerArgument, negSqrt},
		{"sqrt", []exec.Expr{num("-2.5", 1)}, errs.InvalidPowerArgument, negSqrt},
		{"ln", []exec.Expr{n(0)}, errs.InvalidLogArgument, logZero},
		{"ln", []exec.Expr{f(0)}, errs.InvalidLogArgument, logZero},
		{"ln", []exec.Expr{num("0.0", 1)}, errs.InvalidLogArgument, logZero},
		{"ln", []exec.Expr{n(-1)}, errs.InvalidLogArgument, logNeg},
		{"ln", []exec.Expr{f(-1)}, errs.InvalidLogArgument, logNeg},
		{"log", []exec.Expr{n(-1)}, errs.InvalidLogArgument, logNeg},
		{"log", []exec.Expr{num("-1.5", 1)}, errs.InvalidLogArgument, logNeg},
		{"log", []exec.Expr{f(0)}, errs.InvalidLogArgument, logZero},
		{"log10", []exec.Expr{f(-3)}, errs.InvalidLogArgument, logNeg},
		// log(b, x) checks the base first.
		{"log", []exec.Expr{num("-2", 0), num("0", 0)}, errs.InvalidLogArgument, logNeg},
		{"log", []exec.Expr{num("0", 0), num("-2", 0)}, errs.InvalidLogArgument, logZero},
		{"log", []exec.Expr{num("2", 0), num("0", 0)}, errs.InvalidLogArgument, logZero},
		{"log", []exec.Expr{n(1), n(8)}, errs.DivisionByZero, "division by zero"},
		{"power", []exec.Expr{n(0), n(-1)}, errs.InvalidPowerArgument, zeroPow},
		{"power", []exec.Expr{f(0), f(-0.5)}, errs.InvalidPowerArgument, zeroPow},
		{"power", []exec.Expr{num("0", 0), num("-1", 0)}, errs.InvalidPowerArgument, zeroPow},
		{"power", []exec.Expr{n(-1), f(0.5)}, errs.InvalidPowerArgument, cplxPow},
		{"power", []exec.Expr{num("-2.0", 1), num("0.5", 1)}, errs.InvalidPowerArgument, cplxPow},
		// Past 36 integer digits (PostgreSQL's numeric has no such limit).
		{"power", []exec.Expr{num("10.0", 1), num("37", 0)}, errs.NumericRange, "value overflows numeric format"},
		{"power", []exec.Expr{num("10.0", 1), num("1000000000", 0)}, errs.NumericRange, "value overflows numeric format"},
		// Past 38 places (PostgreSQL shows 46).
		{"power", []exec.Expr{num("0.5", 1), num("100.5", 1)}, errs.NumericRange, "value out of range: the result of power(numeric, numeric) needs 16 significant digits at 46 decimal places; numeric holds at most 36 digits and 38 places"},
		{"exp", []exec.Expr{num("-100.0", 1)}, errs.NumericRange, "value out of range: the result of exp(numeric) needs 16 significant digits at 59 decimal places; numeric holds at most 36 digits and 38 places"},
		{"pow", []exec.Expr{num("-1", 0), num("0.5", 1)}, errs.InvalidPowerArgument, cplxPow},
		{"power", []exec.Expr{f(10), f(400)}, errs.NumericRange, "value out of range: overflow"},
		{"power", []exec.Expr{f(2), f(-1075)}, errs.NumericRange, "value out of range: underflow"},
		{"exp", []exec.Expr{n(1000)}, errs.NumericRange, "value out of range: overflow"},
		{"exp", []exec.Expr{n(-1000)}, errs.NumericRange, "value out of range: underflow"},
		{"mod", []exec.Expr{n(1), n(0)}, errs.DivisionByZero, "division by zero"},
	} {
		e, err := NewFunc(c.name, c.args)
		if err != nil {
			t.Fatal(err)
		}
		_, err = evalText(ctx, e, batch)
		if !errors.Is(err, c.kind) || err.Error() != c.msg {
			t.Errorf("%s: got %v, want %v %q", e, err, c.kind, c.msg)
		}
	}
}

// power follows PostgreSQL's float8 rules for NaN and infinite arguments rather than
// reporting domain errors for them.
func TestPowerSpecialValues(t *testing.T) {
	f := func(v float64) exec.Expr { return lit(t, v, tF64) }
	nan, inf := math.NaN(), math.Inf(1)
	runFuncCases(t, []funcCase{
		{"power", []exec.Expr{f(-1), f(nan)}, "NaN", tF64},
		{"power", []exec.Expr{f(1), f(nan)}, "1", tF64},
		{"power", []exec.Expr{f(nan), f(0)}, "1", tF64},
		{"power", []exec.Expr{f(nan), f(-0.5)}, "NaN", tF64},
		{"power", []exec.Expr{f(-2), f(inf)}, "Infinity", tF64},
		{"power", []exec.Expr{f(0.5), f(-inf)}, "Infinity", tF64},
		{"power", []exec.Expr{f(-inf), f(3)}, "-Infinity", tF64},
		{"power", []exec.Expr{f(-inf), f(-3)}, "-0", tF64},
		{"power", []exec.Expr{f(inf), f(-1)}, "0", tF64},
		{"power", []exec.Expr{f(0), f(0)}, "1", tF64},
		{"sqrt", []exec.Expr{f(nan)}, "NaN", tF64},
		{"ln", []exec.Expr{f(inf)}, "Infinity", tF64},
	})
}
