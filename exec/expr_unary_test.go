package exec

import (
	"math"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sleeperd/sleeperd/errs"
)

// Expected texts are what PostgreSQL 15 prints for -x.
func TestNeg(t *testing.T) {
	neg := func(typ arrow.DataType) func(t *testing.T) (Expr, error) {
		return func(t *testing.T) (Expr, error) { return NewNeg(mustCol(t, 0, typ)) }
	}
	runExprCases(t, []exprCase{
		{name: "double precision keeps the sign of zero", types: []arrow.DataType{tF64},
			rows:  [][]any{{0.0}, {math.Copysign(0, -1)}, {1.5}, {nil}, {math.Inf(1)}, {math.NaN()}},
			build: neg(tF64), want: []string{"-0", "0", "-1.5", "NULL", "-Infinity", "NaN"}},
		{name: "real", types: []arrow.DataType{tF32}, rows: [][]any{{float32(0)}, {float32(-2.5)}},
			build: neg(tF32), want: []string{"-0", "2.5"}},
		{name: "smallint", types: []arrow.DataType{tI16}, rows: [][]any{{int16(5)}, {int16(math.MinInt16 + 1)}, {nil}},
			build: neg(tI16), want: []string{"-5", "32767", "NULL"}},
		{name: "integer", types: []arrow.DataType{tI32}, rows: [][]any{{int32(0)}, {int32(-7)}},
			build: neg(tI32), want: []string{"0", "7"}},
		{name: "bigint", types: []arrow.DataType{tI64}, rows: [][]any{{int64(math.MaxInt64)}},
			build: neg(tI64), want: []string{"-9223372036854775807"}},
		{name: "numeric", types: []arrow.DataType{tDec(10, 2)}, rows: [][]any{{dec(t, "1.50", 2)}, {dec(t, "0.00", 2)}, {nil}},
			build: neg(tDec(10, 2)), want: []string{"-1.50", "0.00", "NULL"}},
		{name: "smallint overflow", types: []arrow.DataType{tI16}, rows: [][]any{{int16(1)}, {int16(math.MinInt16)}},
			build: neg(tI16), wantErr: errs.NumericRange},
		{name: "integer overflow", types: []arrow.DataType{tI32}, rows: [][]any{{int32(math.MinInt32)}},
			build: neg(tI32), wantErr: errs.NumericRange},
		{name: "bigint overflow", types: []arrow.DataType{tI64}, rows: [][]any{{int64(math.MinInt64)}},
			build: neg(tI64), wantErr: errs.NumericRange},
	})
}

func TestNegInterval(t *testing.T) {
	ctx, mem := checkedCtx(t)
	batch := col(t, mem, tI32, 1)
	defer batch.Release()
	for _, c := range []struct{ in, want string }{
		{"1 day 02:00:00", "-1 days -02:00:00"},
		{"-1 mons 3 days", "1 mon -3 days"},
	} {
		e, err := NewNeg(textAs(t, c.in, Interval))
		if err != nil {
			t.Fatal(err)
		}
		got, err := evalText(ctx, e, batch)
		if err != nil || got[0] != c.want {
			t.Errorf("%s = %q, %v; want %q", e, got, err, c.want)
		}
	}
}

func TestNegRejects(t *testing.T) {
	for _, e := range []Expr{nil, lit(t, "a", tStr), lit(t, true, tBool)} {
		if _, err := NewNeg(e); err == nil {
			t.Errorf("NewNeg(%v) accepted", e)
		}
	}
	n, err := NewNeg(mustCol(t, 0, tF64))
	if err != nil {
		t.Fatal(err)
	}
	if n.String() != "-c0" || !arrow.TypeEqual(n.DataType(), tF64) {
		t.Errorf("NewNeg(c0) = %s of %s", n, n.DataType())
	}
	nn, err := NewNeg(n)
	if err != nil {
		t.Fatal(err)
	}
	if nn.String() != "-(-c0)" {
		t.Errorf("NewNeg(-c0) = %s", nn)
	}
}
