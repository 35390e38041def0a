package exec

import (
	"math"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sleeperd/sleeperd/errs"
)

// exprCase evaluates an expression over a batch of the given column types and rows. Where
// a case follows PostgreSQL, the expected text is what PostgreSQL 15 prints for it.
type exprCase struct {
	name    string
	types   []arrow.DataType
	rows    [][]any
	build   func(t *testing.T) (Expr, error)
	want    []string
	wantErr error // error kind from Eval
}

func runExprCases(t *testing.T, cases []exprCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx, mem := checkedCtx(t)
			b := mkBatch(t, mem, schemaOf(c.types...), c.rows...)
			defer b.Release()
			e, err := c.build(t)
			if err != nil {
				t.Fatalf("build: %v", err)
			}
			got, err := evalText(ctx, e, b)
			if c.wantErr != nil {
				wantErrKind(t, err, c.wantErr)
				return
			}
			if err != nil {
				t.Fatalf("eval %s: %v", e, err)
			}
			if !equalStrings(got, c.want) {
				t.Fatalf("%s = %q, want %q", e, got, c.want)
			}
		})
	}
}

func bin(op BinaryOp, lt, rt arrow.DataType) func(t *testing.T) (Expr, error) {
	return func(t *testing.T) (Expr, error) { return NewBinary(op, mustCol(t, 0, lt), mustCol(t, 1, rt)) }
}

func TestArithmetic(t *testing.T) {
	runExprCases(t, []exprCase{
		{name: "int32 add with null", types: []arrow.DataType{tI32, tI32}, rows: [][]any{{1, 2}, {nil, 3}, {-5, nil}},
			build: bin(Add, tI32, tI32), want: []string{"3", "NULL", "NULL"}},
		{name: "int32 overflow", types: []arrow.DataType{tI32, tI32}, rows: [][]any{{math.MaxInt32, 1}},
			build: bin(Add, tI32, tI32), wantErr: errs.NumericRange},
		{name: "int16 overflow", types: []arrow.DataType{tI16, tI16}, rows: [][]any{{32767, 1}},
			build: bin(Add, tI16, tI16), wantErr: errs.NumericRange},
		{name: "int64 sub overflow", types: []arrow.DataType{tI64, tI64}, rows: [][]any{{int64(math.MinInt64), 1}},
			build: bin(Sub, tI64, tI64), wantErr: errs.NumericRange},
		{name: "int64 mul overflow", types: []arrow.DataType{tI64, tI64}, rows: [][]any{{int64(4611686018427387904), 2}},
			build: bin(Mul, tI64, tI64), wantErr: errs.NumericRange},
		{name: "int64 mul", types: []arrow.DataType{tI64, tI64}, rows: [][]any{{int64(-3037000499), int64(3037000499)}},
			build: bin(Mul, tI64, tI64), want: []string{"-9223372030926249001"}},
		{name: "overflow in null row is ignored", types: []arrow.DataType{tI32, tI32}, rows: [][]any{{math.MaxInt32, nil}},
			build: bin(Add, tI32, tI32), want: []string{"NULL"}},
		{name: "int division truncates", types: []arrow.DataType{tI32, tI32}, rows: [][]any{{-7, 2}, {7, 2}},
			build: bin(Div, tI32, tI32), want: []string{"-3", "3"}},
		{name: "int modulo signs", types: []arrow.DataType{tI32, tI32}, rows: [][]any{{-7, 3}, {7, -3}, {5, -1}},
			build: bin(Mod, tI32, tI32), want: []string{"-1", "1", "0"}},
		{name: "division by zero", types: []arrow.DataType{tI64, tI64}, rows: [][]any{{1, 1}, {1, 0}},
			build: bin(Div, tI64, tI64), wantErr: errs.DivisionByZero},
		{name: "modulo by zero", types: []arrow.DataType{tI16, tI16}, rows: [][]any{{1, 0}},
			build: bin(Mod, tI16, tI16), wantErr: errs.DivisionByZero},
		{name: "division by zero in null row", types: []arrow.DataType{tI32, tI32}, rows: [][]any{{nil, 0}, {4, 2}},
			build: bin(Div, tI32, tI32), want: []string{"NULL", "2"}},
		{name: "int min / -1", types: []arrow.DataType{tI32, tI32}, rows: [][]any{{math.MinInt32, -1}},
			build: bin(Div, tI32, tI32), wantErr: errs.NumericRange},
		{name: "float division by zero", types: []arrow.DataType{tF64, tF64}, rows: [][]any{{1.0, 0.0}},
			build: bin(Div, tF64, tF64), wantErr: errs.DivisionByZero},
		{name: "float overflow", types: []arrow.DataType{tF64, tF64}, rows: [][]any{{1e308, 10.0}},
			build: bin(Mul, tF64, tF64), wantErr: errs.NumericRange},
		{name: "float underflow", types: []arrow.DataType{tF64, tF64}, rows: [][]any{{1e-300, 1e-300}},
			build: bin(Mul, tF64, tF64), wantErr: errs.NumericRange},
		{name: "float add", types: []arrow.DataType{tF64, tF64}, rows: [][]any{{0.1, 0.2}, {math.Inf(1), 1.0}},
			build: bin(Add, tF64, tF64), want: []string{"0.30000000000000004", "Infinity"}},
		{name: "float32 add", types: []arrow.DataType{tF32, tF32}, rows: [][]any{{float32(0.1), float32(0.2)}},
			build: bin(Add, tF32, tF32), want: []string{"0.3"}},
		{name: "decimal add scales", types: []arrow.DataType{tDec(5, 2), tDec(6, 3)},
			rows:  [][]any{{dec(t, "1.50", 2), dec(t, "2.255", 3)}},
			build: bin(Add, tDec(5, 2), tDec(6, 3)), want: []string{"3.755"}},
		{name: "decimal mul scale", types: []arrow.DataType{tDec(5, 1), tDec(5, 2)},
			rows:  [][]any{{dec(t, "1.5", 1), dec(t, "2.25", 2)}},
			build: bin(Mul, tDec(5, 1), tDec(5, 2)), want: []string{"3.375"}},
		{name: "decimal mod", types: []arrow.DataType{tDec(5, 1), tDec(5, 0)},
			rows:  [][]any{{dec(t, "-7.5", 1), dec(t, "2", 0)}},
			build: bin(Mod, tDec(5, 1), tDec(5, 0)), want: []string{"-1.5"}},
		{name: "decimal div rounds half away at scale 16", types: []arrow.DataType{tDec(5, 0), tDec(5, 0)},
			rows:  [][]any{{dec(t, "2", 0), dec(t, "3", 0)}, {dec(t, "-2", 0), dec(t, "3", 0)}, {dec(t, "10", 0), dec(t, "4", 0)}},
			build: bin(Div, tDec(5, 0), tDec(5, 0)), want: []string{"0.6666666666666667", "-0.6666666666666667", "2.5000000000000000"}},
		{name: "decimal div by zero", types: []arrow.DataType{tDec(5, 0), tDec(5, 0)},
			rows:  [][]any{{dec(t, "2", 0), dec(t, "0", 0)}},
			build: bin(Div, tDec(5, 0), tDec(5, 0)), wantErr: errs.DivisionByZero},
		{name: "decimal overflow", types: []arrow.DataType{tDec(38, 0), tDec(38, 0)},
			rows:  [][]any{{dec(t, strings.Repeat("9", 38), 0), dec(t, "1", 0)}},
			build: bin(Add, tDec(38, 0), tDec(38, 0)), wantErr: errs.NumericRange},
		{name: "decimal mul large", types: []arrow.DataType{tDec(38, 0), tDec(38, 0)},
			rows:  [][]any{{dec(t, "12345678901234567890", 0), dec(t, "1000000000000000000", 0)}},
			build: bin(Mul, tDec(38, 0), tDec(38, 0)), want: []string{"12345678901234567890000000000000000000"}},
		{name: "date plus days", types: []arrow.DataType{tDate, tI32}, rows: [][]any{{arrow.Date32(19753), 30}},
			build: bin(Add, tDate, tI32), want: []string{"2024-03-01"}},
		{name: "date minus date", types: []arrow.DataType{tDate, tDate}, rows: [][]any{{arrow.Date32(19783), arrow.Date32(19753)}},
			build: bin(Sub, tDate, tDate), want: []string{"30"}},
		{name: "concat with null", types: []arrow.DataType{tStr, tStr}, rows: [][]any{{"ab", "cd"}, {"x", nil}, {"", ""}},
			build: bin(Concat, tStr, tStr), want: []string{"abcd", "NULL", ""}},
	})
}

func TestBinaryTypeErrors(t *testing.T) {
	for _, c := range []struct {
		op   BinaryOp
		l, r arrow.DataType
	}{
		{Add, tI32, tI64}, {Add, tStr, tStr}, {Mod, tF64, tF64}, {And, tI32, tBool},
		{Eq, tI32, tStr}, {Concat, tI32, tStr}, {Sub, tI32, tDate}, {Mul, tDate, tI32},
	} {
		if _, err := NewBinary(c.op, mustCol(t, 0, c.l), mustCol(t, 1, c.r)); err == nil {
			t.Errorf("NewBinary(%s, %s, %s) accepted", c.op, c.l, c.r)
		}
	}
}

func TestComparison(t *testing.T) {
	nan := math.NaN()
	all := func(lt arrow.DataType) []exprCase {
		return nil
	}
	_ = all
	cases := []exprCase{
		{name: "int with nulls", types: []arrow.DataType{tI64, tI64}, rows: [][]any{{1, 2}, {2, 2}, {nil, 2}},
			build: bin(Lt, tI64, tI64), want: []string{"true", "false", "NULL"}},
		{name: "float nan is greatest and equal to itself", types: []arrow.DataType{tF64, tF64},
			rows:  [][]any{{nan, 1e308}, {nan, nan}, {math.Inf(1), nan}},
			build: bin(Gt, tF64, tF64), want: []string{"true", "false", "false"}},
		{name: "float nan equality", types: []arrow.DataType{tF32, tF32},
			rows:  [][]any{{float32(nan), float32(nan)}, {float32(0), float32(math.Copysign(0, -1))}},
			build: bin(Eq, tF32, tF32), want: []string{"true", "true"}},
		{name: "text is bytewise", types: []arrow.DataType{tStr, tStr},
			rows:  [][]any{{"Z", "a"}, {"é", "z"}, {"ab", "abc"}, {"", ""}},
			build: bin(Lt, tStr, tStr), want: []string{"true", "false", "true", "false"}},
		{name: "binary", types: []arrow.DataType{tBin, tBin}, rows: [][]any{{[]byte{1}, []byte{1, 0}}, {[]byte{2}, []byte{1, 9}}},
			build: bin(GtEq, tBin, tBin), want: []string{"false", "true"}},
		{name: "decimal scales", types: []arrow.DataType{tDec(5, 1), tDec(5, 2)},
			rows:  [][]any{{dec(t, "1.5", 1), dec(t, "1.50", 2)}, {dec(t, "1.5", 1), dec(t, "1.51", 2)}},
			build: bin(Eq, tDec(5, 1), tDec(5, 2)), want: []string{"true", "false"}},
		{name: "bool", types: []arrow.DataType{tBool, tBool}, rows: [][]any{{false, true}, {true, true}},
			build: bin(Lt, tBool, tBool), want: []string{"true", "false"}},
		{name: "date", types: []arrow.DataType{tDate, tDate}, rows: [][]any{{arrow.Date32(1), arrow.Date32(2)}},
			build: bin(NotEq, tDate, tDate), want: []string{"true"}},
		{name: "timestamptz", types: []arrow.DataType{tTSZ, tTSZ}, rows: [][]any{{arrow.Timestamp(5), arrow.Timestamp(5)}},
			build: bin(LtEq, tTSZ, tTSZ), want: []string{"true"}},
		{name: "int16", types: []arrow.DataType{tI16, tI16}, rows: [][]any{{-1, 1}},
			build: bin(GtEq, tI16, tI16), want: []string{"false"}},
	}
	runExprCases(t, cases)
}

func TestLogic(t *testing.T) {
	// The full three-valued truth table: rows are (l, r) over {true, false, NULL}².
	vals := []any{true, false, nil}
	var rows [][]any
	for _, l := range vals {
		for _, r := range vals {
			rows = append(rows, []any{l, r})
		}
	}
	runExprCases(t, []exprCase{
		{name: "and", types: []arrow.DataType{tBool, tBool}, rows: rows, build: bin(And, tBool, tBool),
			want: []string{"true", "false", "NULL", "false", "false", "false", "NULL", "false", "NULL"}},
		{name: "or", types: []arrow.DataType{tBool, tBool}, rows: rows, build: bin(Or, tBool, tBool),
			want: []string{"true", "true", "true", "true", "false", "NULL", "true", "NULL", "NULL"}},
		{name: "not", types: []arrow.DataType{tBool}, rows: [][]any{{true}, {false}, {nil}},
			build: func(t *testing.T) (Expr, error) { return NewNot(mustCol(t, 0, tBool)) },
			want:  []string{"false", "true", "NULL"}},
		{name: "is null", types: []arrow.DataType{tI32}, rows: [][]any{{1}, {nil}},
			build: func(t *testing.T) (Expr, error) { return NewIsNull(mustCol(t, 0, tI32), false) },
			want:  []string{"false", "true"}},
		{name: "is not null", types: []arrow.DataType{tStr}, rows: [][]any{{"a"}, {nil}},
			build: func(t *testing.T) (Expr, error) { return NewIsNull(mustCol(t, 0, tStr), true) },
			want:  []string{"true", "false"}},
		{name: "is null without nulls", types: []arrow.DataType{tStr}, rows: [][]any{{"a"}},
			build: func(t *testing.T) (Expr, error) { return NewIsNull(mustCol(t, 0, tStr), false) },
			want:  []string{"false"}},
	})
}

// TestLogicOverNoRows evaluates AND, OR and NOT over boolean columns of no rows, which
// have no value buffer at all (arrow-go's builders make none), as a filter over an empty
// system table gets them.
func TestLogicOverNoRows(t *testing.T) {
	ctx, mem := checkedCtx(t)
	b := mkBatch(t, mem, schemaOf(tBool, tBool, tStr))
	defer b.Release()
	if b.Column(0).Data().Buffers()[1] != nil {
		t.Fatal("an empty builder's boolean column has a value buffer: the test no longer covers that case")
	}
	a, b2, s := mustCol(t, 0, tBool), mustCol(t, 1, tBool), mustCol(t, 2, tStr)
	and, _ := NewBinary(And, a, b2)
	or, _ := NewBinary(Or, a, b2)
	not, _ := NewNot(a)
	notIn, _ := NewInList(s, []Expr{lit(t, "x", tStr)}, true)
	for _, e := range []Expr{and, or, not, notIn} {
		got, err := evalText(ctx, e, b)
		if err != nil || len(got) != 0 {
			t.Errorf("%s over no rows = %q, %v", e, got, err)
		}
	}
}

func TestInList(t *testing.T) {
	list := func(negate bool, items ...any) func(t *testing.T) (Expr, error) {
		return func(t *testing.T) (Expr, error) {
			var es []Expr
			for _, v := range items {
				es = append(es, lit(t, v, tI32))
			}
			return NewInList(mustCol(t, 0, tI32), es, negate)
		}
	}
	rows := [][]any{{1}, {2}, {nil}}
	runExprCases(t, []exprCase{
		// PostgreSQL: 1 IN (1, NULL) = t, 2 IN (1, NULL) = NULL, NULL IN (...) = NULL.
		{name: "in with null item", types: []arrow.DataType{tI32}, rows: rows, build: list(false, 1, nil),
			want: []string{"true", "NULL", "NULL"}},
		{name: "not in with null item", types: []arrow.DataType{tI32}, rows: rows, build: list(true, 1, nil),
			want: []string{"false", "NULL", "NULL"}},
		{name: "not in", types: []arrow.DataType{tI32}, rows: rows, build: list(true, 1, 3),
			want: []string{"false", "true", "NULL"}},
	})
	if _, err := NewInList(mustCol(t, 0, tI32), []Expr{lit(t, "a", tStr)}, false); err == nil {
		t.Fatal("IN with mismatched item type accepted")
	}
}

func TestCaseAndCoalesce(t *testing.T) {
	runExprCases(t, []exprCase{
		{name: "case is lazy", types: []arrow.DataType{tI32}, rows: [][]any{{0}, {5}, {nil}, {2}},
			build: func(t *testing.T) (Expr, error) {
				x := mustCol(t, 0, tI32)
				isZero, _ := NewBinary(Eq, x, lit(t, 0, tI32))
				div, _ := NewBinary(Div, lit(t, 10, tI32), x)
				return NewCase([]Expr{isZero}, []Expr{lit(t, -1, tI32)}, div)
			}, want: []string{"-1", "2", "NULL", "5"}},
		{name: "case without else", types: []arrow.DataType{tI32}, rows: [][]any{{1}, {2}, {3}},
			build: func(t *testing.T) (Expr, error) {
				x := mustCol(t, 0, tI32)
				c1, _ := NewBinary(Lt, x, lit(t, 2, tI32))
				c2, _ := NewBinary(Lt, x, lit(t, 3, tI32))
				return NewCase([]Expr{c1, c2}, []Expr{lit(t, "small", tStr), lit(t, "mid", tStr)}, nil)
			}, want: []string{"small", "mid", "NULL"}},
		{name: "coalesce", types: []arrow.DataType{tStr, tStr}, rows: [][]any{{"a", "b"}, {nil, "b"}, {nil, nil}},
			build: func(t *testing.T) (Expr, error) {
				return NewCoalesce([]Expr{mustCol(t, 0, tStr), mustCol(t, 1, tStr), lit(t, "z", tStr)})
			}, want: []string{"a", "b", "z"}},
		{name: "coalesce is lazy", types: []arrow.DataType{tI32}, rows: [][]any{{0}, {nil}},
			build: func(t *testing.T) (Expr, error) {
				div, _ := NewBinary(Div, lit(t, 1, tI32), lit(t, 0, tI32))
				return NewCoalesce([]Expr{mustCol(t, 0, tI32), lit(t, 7, tI32), div})
			}, want: []string{"0", "7"}},
		{name: "case error in selected branch", types: []arrow.DataType{tI32}, rows: [][]any{{0}},
			build: func(t *testing.T) (Expr, error) {
				x := mustCol(t, 0, tI32)
				div, _ := NewBinary(Div, lit(t, 10, tI32), x)
				return NewCase([]Expr{lit(t, true, tBool)}, []Expr{div}, nil)
			}, wantErr: errs.DivisionByZero},
	})
	if _, err := NewCase([]Expr{lit(t, 1, tI32)}, []Expr{lit(t, 1, tI32)}, nil); err == nil {
		t.Fatal("non-boolean WHEN accepted")
	}
	if _, err := NewCoalesce([]Expr{lit(t, 1, tI32), lit(t, "a", tStr)}); err == nil {
		t.Fatal("mixed coalesce accepted")
	}
}

func TestDecimalCompareWide(t *testing.T) {
	// 38-digit values compared across scales cannot be rescaled within 128 bits.
	runExprCases(t, []exprCase{
		{name: "wide", types: []arrow.DataType{tDec(38, 0), tDec(38, 2)},
			rows: [][]any{
				{dec(t, strings.Repeat("9", 38), 0), dec(t, "1.00", 2)},
				{dec(t, "-"+strings.Repeat("9", 38), 0), dec(t, "1.00", 2)},
				{dec(t, "1", 0), dec(t, "1.00", 2)},
			},
			build: bin(Gt, tDec(38, 0), tDec(38, 2)), want: []string{"true", "false", "false"}},
	})
}

func TestLogicShortCircuitsErrors(t *testing.T) {
	// x <> 0 AND 10 / x > 1 does not divide by zero where x = 0 (PostgreSQL stops at false).
	guard := func(op BinaryOp, guardOp BinaryOp) func(t *testing.T) (Expr, error) {
		return func(t *testing.T) (Expr, error) {
			x := mustCol(t, 0, tI32)
			g, _ := NewBinary(guardOp, x, lit(t, 0, tI32))
			div, _ := NewBinary(Div, lit(t, 10, tI32), x)
			gt, _ := NewBinary(Gt, div, lit(t, 1, tI32))
			return NewBinary(op, g, gt)
		}
	}
	runExprCases(t, []exprCase{
		{name: "and", types: []arrow.DataType{tI32}, rows: [][]any{{0}, {5}, {20}, {nil}},
			build: guard(And, NotEq), want: []string{"false", "true", "false", "NULL"}},
		{name: "or", types: []arrow.DataType{tI32}, rows: [][]any{{0}, {5}, {20}},
			build: guard(Or, Eq), want: []string{"true", "true", "false"}},
		{name: "undecided row still fails", types: []arrow.DataType{tI32}, rows: [][]any{{0}, {5}},
			build: guard(And, GtEq), wantErr: errs.DivisionByZero},
	})
}
