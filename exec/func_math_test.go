package exec

import (
	"errors"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sleeperd/sleeperd/errs"
)

// Expected values are PostgreSQL 15's.
func TestMathFunctions(t *testing.T) {
	n := func(v int) Expr { return lit(t, v, tI32) }
	f := func(v float64) Expr { return lit(t, v, tF64) }
	num := func(v string, s int32) Expr { return lit(t, dec(t, v, s), tDec(10, s)) }
	runFuncCases(t, []funcCase{
		{"power", []Expr{n(2), n(10)}, "1024", tF64},
		{"pow", []Expr{f(2), f(0.5)}, "1.4142135623730951", tF64},
		{"sqrt", []Expr{n(2)}, "1.4142135623730951", tF64},
		{"ln", []Expr{n(10)}, "2.302585092994046", tF64},
		{"log", []Expr{n(100)}, "2", tF64},
		{"exp", []Expr{n(1)}, "2.718281828459045", tF64},
		{"mod", []Expr{n(17), n(5)}, "2", tI32},
		{"mod", []Expr{lit(t, -17, tI64), n(5)}, "-2", tI64},
		{"mod", []Expr{num("17.5", 1), num("5", 0)}, "2.5", nil},
		{"mod", []Expr{num("10.5", 1), n(3)}, "1.5", nil},
		{"mod", []Expr{n(7), num("2.5", 1)}, "2.0", nil},
		{"mod", []Expr{num("10.50", 2), lit(t, int16(4), tI16)}, "2.50", nil},
		{"mod", []Expr{lit(t, int64(10), tI64), lit(t, int16(3), tI16)}, "1", tI64},
		{"sign", []Expr{f(-3.5)}, "-1", tF64},
		{"trunc", []Expr{f(-3.7)}, "-3", tF64},
		{"trunc", []Expr{num("-3.7", 1)}, "-3", tDec(10, 0)},
		{"pi", nil, "3.141592653589793", tF64},
		{"degrees", []Expr{lit(t, 3.141592653589793, tF64)}, "180", tF64},
		{"radians", []Expr{n(180)}, "3.141592653589793", tF64},
	})
	// PostgreSQL has no mod(double precision, integer): floats do not convert to numeric
	// implicitly.
	if _, err := NewFunc("mod", []Expr{f(10.5), n(3)}); !errors.Is(err, errs.UndefinedFunction) {
		t.Errorf("mod(double precision, integer): %v, want undefined function", err)
	}
	if _, err := FuncResultType("mod", []arrow.DataType{tDec(10, 1), tI32}); err != nil {
		t.Errorf("FuncResultType(mod(numeric, integer)): %v", err)
	}
	ctx, mem := checkedCtx(t)
	batch := col(t, mem, tI32, 1)
	defer batch.Release()
	for _, c := range []struct {
		name string
		args []Expr
		kind error
	}{
		{"sqrt", []Expr{n(-1)}, errs.DataException},
		{"ln", []Expr{n(0)}, errs.DataException},
		{"power", []Expr{n(0), n(-1)}, errs.InvalidParameter},
		{"exp", []Expr{n(1000)}, errs.NumericRange},
		{"mod", []Expr{n(1), n(0)}, errs.DivisionByZero},
	} {
		e, err := NewFunc(c.name, c.args)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := evalText(ctx, e, batch); !errors.Is(err, c.kind) {
			t.Errorf("%s: got %v, want %v", e, err, c.kind)
		}
	}
}
