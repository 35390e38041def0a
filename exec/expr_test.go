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

func TestLike(t *testing.T) {
	like := func(pattern string, negate, fold bool) func(t *testing.T) (Expr, error) {
		return func(t *testing.T) (Expr, error) {
			return NewLike(mustCol(t, 0, tStr), lit(t, pattern, tStr), negate, fold)
		}
	}
	rows := [][]any{{"abc"}, {"a%c"}, {"Straße"}, {""}, {nil}, {"aXbXc"}}
	runExprCases(t, []exprCase{
		{name: "underscore", types: []arrow.DataType{tStr}, rows: rows, build: like("a_c", false, false),
			want: []string{"true", "true", "false", "false", "NULL", "false"}},
		{name: "percent", types: []arrow.DataType{tStr}, rows: rows, build: like("%c", false, false),
			want: []string{"true", "true", "false", "false", "NULL", "true"}},
		{name: "escaped percent", types: []arrow.DataType{tStr}, rows: rows, build: like(`a\%c`, false, false),
			want: []string{"false", "true", "false", "false", "NULL", "false"}},
		{name: "multibyte underscore", types: []arrow.DataType{tStr}, rows: rows, build: like("Stra_e", false, false),
			want: []string{"false", "false", "true", "false", "NULL", "false"}},
		{name: "backtracking", types: []arrow.DataType{tStr}, rows: rows, build: like("a%b%c", false, false),
			want: []string{"true", "false", "false", "false", "NULL", "true"}},
		{name: "empty pattern", types: []arrow.DataType{tStr}, rows: rows, build: like("", false, false),
			want: []string{"false", "false", "false", "true", "NULL", "false"}},
		{name: "not like", types: []arrow.DataType{tStr}, rows: rows, build: like("%", true, false),
			want: []string{"false", "false", "false", "false", "NULL", "false"}},
		{name: "ilike", types: []arrow.DataType{tStr}, rows: rows, build: like("ABC", false, true),
			want: []string{"true", "false", "false", "false", "NULL", "false"}},
		{name: "pattern column", types: []arrow.DataType{tStr, tStr},
			rows: [][]any{{"abc", "a%"}, {"abc", "%b"}, {"abc", nil}},
			build: func(t *testing.T) (Expr, error) {
				return NewFunc("like", []Expr{mustCol(t, 0, tStr), mustCol(t, 1, tStr)})
			}, want: []string{"true", "false", "NULL"}},
		// A pattern ending in the escape character fails only when matching reaches the
		// escape with text left, as in PostgreSQL.
		{name: "dangling escape unreached", types: []arrow.DataType{tStr},
			rows:  [][]any{{"b"}, {nil}, {""}, {"a"}, {"xab"}},
			build: like(`a\`, false, false), want: []string{"false", "NULL", "false", "false", "false"}},
		{name: "dangling escape", types: []arrow.DataType{tStr}, rows: [][]any{{"b"}, {"ab"}},
			build: like(`a\`, false, false), wantErr: errs.InvalidEscape},
		{name: "dangling escape after percent", types: []arrow.DataType{tStr}, rows: [][]any{{"xabc"}},
			build: like(`%b\`, true, false), wantErr: errs.InvalidEscape},
		{name: "dangling escape ilike", types: []arrow.DataType{tStr}, rows: [][]any{{"AB"}},
			build: like(`a\`, false, true), wantErr: errs.InvalidEscape},
		{name: "dangling escape pattern column", types: []arrow.DataType{tStr, tStr},
			rows: [][]any{{"ab", "a%"}, {"ab", `a\`}},
			build: func(t *testing.T) (Expr, error) {
				return NewFunc("like", []Expr{mustCol(t, 0, tStr), mustCol(t, 1, tStr)})
			}, wantErr: errs.InvalidEscape},
	})
	ctx, _ := checkedCtx(t)
	b := mkBatch(t, Allocator(ctx), schemaOf(tStr), []any{"ab"})
	defer b.Release()
	e, err := NewLike(mustCol(t, 0, tStr), lit(t, `a\`, tStr), false, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := evalText(ctx, e, b); err == nil || err.Error() != "LIKE pattern must not end with escape character" {
		t.Errorf("%s: %v, want PostgreSQL's message", e, err)
	}
}

func TestFunctions(t *testing.T) {
	fn := func(name string, args ...func(t *testing.T) Expr) func(t *testing.T) (Expr, error) {
		return func(t *testing.T) (Expr, error) {
			es := make([]Expr, len(args))
			for i, a := range args {
				es[i] = a(t)
			}
			return NewFunc(name, es)
		}
	}
	c := func(i int, typ arrow.DataType) func(t *testing.T) Expr {
		return func(t *testing.T) Expr { return mustCol(t, i, typ) }
	}
	l := func(v any, typ arrow.DataType) func(t *testing.T) Expr {
		return func(t *testing.T) Expr { return lit(t, v, typ) }
	}
	str := []arrow.DataType{tStr}
	runExprCases(t, []exprCase{
		{name: "length counts characters", types: str, rows: [][]any{{"héllo"}, {""}, {nil}},
			build: fn("length", c(0, tStr)), want: []string{"5", "0", "NULL"}},
		{name: "char_length", types: str, rows: [][]any{{"ab"}}, build: fn("CHAR_LENGTH", c(0, tStr)), want: []string{"2"}},
		{name: "octet_length", types: str, rows: [][]any{{"né"}, {""}, {nil}}, build: fn("octet_length", c(0, tStr)), want: []string{"3", "0", "NULL"}},
		{name: "upper", types: str, rows: [][]any{{"straße"}, {nil}}, build: fn("upper", c(0, tStr)), want: []string{"STRAßE", "NULL"}},
		{name: "lower", types: str, rows: [][]any{{"ÉA"}}, build: fn("lower", c(0, tStr)), want: []string{"éa"}},
		// substr('hello', 0, 3) = he, substr('hello', -1, 3) = h, substr('héllo', 2, 2) = él.
		{name: "substr out of range starts", types: []arrow.DataType{tStr, tI32, tI32},
			rows:  [][]any{{"hello", 0, 3}, {"hello", -1, 3}, {"héllo", 2, 2}, {"hello", 10, 1}, {"hello", 1, nil}},
			build: fn("substr", c(0, tStr), c(1, tI32), c(2, tI32)), want: []string{"he", "h", "él", "", "NULL"}},
		{name: "length of ASCII rows and of a batch mixing ASCII with other characters", types: str,
			rows: [][]any{{"abcdefghij"}, {"naïve café"}, {nil}, {""}}, build: fn("length", c(0, tStr)),
			want: []string{"10", "10", "NULL", "0"}},
		// Integer literal arguments are widened once; an ASCII prefix is sliced by bytes, the
		// rest by characters.
		{name: "substr with literal arguments", types: str,
			rows:  [][]any{{"abcdefgh"}, {"ab"}, {"héllo wörld"}, {"abcé"}, {nil}, {""}},
			build: fn("substr", c(0, tStr), l(2, tI32), l(4, tI32)), want: []string{"bcde", "b", "éllo", "bcé", "NULL", ""}},
		{name: "substr with a NULL literal", types: str, rows: [][]any{{"abc"}},
			build: fn("substr", c(0, tStr), l(nil, tI32)), want: []string{"NULL"}},
		{name: "substr without count", types: []arrow.DataType{tStr}, rows: [][]any{{"hello"}},
			build: fn("substring", c(0, tStr), l(3, tI64)), want: []string{"llo"}},
		{name: "substr negative count", types: []arrow.DataType{tStr}, rows: [][]any{{"hello"}},
			build: fn("substr", c(0, tStr), l(2, tI32), l(-1, tI32)), wantErr: errs.DataException},
		{name: "abs", types: []arrow.DataType{tI32}, rows: [][]any{{-3}, {nil}}, build: fn("abs", c(0, tI32)), want: []string{"3", "NULL"}},
		{name: "abs overflow", types: []arrow.DataType{tI16}, rows: [][]any{{-32768}}, build: fn("abs", c(0, tI16)), wantErr: errs.NumericRange},
		{name: "abs numeric", types: []arrow.DataType{tDec(5, 1)}, rows: [][]any{{dec(t, "-1.5", 1)}},
			build: fn("abs", c(0, tDec(5, 1))), want: []string{"1.5"}},
		// round(float8) is rint; round(numeric) rounds half away from zero.
		{name: "round float ties to even", types: []arrow.DataType{tF64}, rows: [][]any{{2.5}, {3.5}, {-0.5}},
			build: fn("round", c(0, tF64)), want: []string{"2", "4", "-0"}},
		{name: "round int is double", types: []arrow.DataType{tI32}, rows: [][]any{{5}},
			build: fn("round", c(0, tI32)), want: []string{"5"}},
		{name: "round numeric", types: []arrow.DataType{tDec(5, 1)}, rows: [][]any{{dec(t, "-2.5", 1)}, {dec(t, "2.4", 1)}},
			build: fn("round", c(0, tDec(5, 1))), want: []string{"-3", "2"}},
		{name: "round numeric places keeps scale", types: []arrow.DataType{tDec(6, 3)},
			rows:  [][]any{{dec(t, "-1.235", 3)}, {dec(t, "1234.567", 3)}},
			build: fn("round", c(0, tDec(6, 3)), l(2, tI32)), want: []string{"-1.240", "1234.570"}},
		{name: "round numeric negative places", types: []arrow.DataType{tDec(8, 4)}, rows: [][]any{{dec(t, "1234.5678", 4)}},
			build: fn("round", c(0, tDec(8, 4)), l(-2, tI32)), want: []string{"1200.0000"}},
		{name: "ceil floor numeric", types: []arrow.DataType{tDec(5, 1)}, rows: [][]any{{dec(t, "1.2", 1)}, {dec(t, "-1.2", 1)}},
			build: fn("ceil", c(0, tDec(5, 1))), want: []string{"2", "-1"}},
		{name: "floor numeric", types: []arrow.DataType{tDec(5, 1)}, rows: [][]any{{dec(t, "1.2", 1)}, {dec(t, "-1.2", 1)}},
			build: fn("floor", c(0, tDec(5, 1))), want: []string{"1", "-2"}},
		{name: "floor float", types: []arrow.DataType{tF64}, rows: [][]any{{-1.5}}, build: fn("floor", c(0, tF64)), want: []string{"-2"}},
		// concat('a', NULL, 1, true) = a1t; concat(NULL) = ''.
		{name: "concat skips nulls", types: []arrow.DataType{tStr, tI32, tBool}, rows: [][]any{{"a", 1, true}, {nil, nil, nil}},
			build: fn("concat", c(0, tStr), l(nil, tStr), c(1, tI32), c(2, tBool)), want: []string{"a1t", ""}},
	})
	for _, bad := range []struct {
		name string
		args []arrow.DataType
	}{{"nosuch", nil}, {"length", []arrow.DataType{tI32}}, {"upper", []arrow.DataType{tStr, tStr}}, {"round", []arrow.DataType{tF64, tI32}}} {
		if _, err := FuncResultType(bad.name, bad.args); !errorsIs(err, errs.UndefinedFunction) {
			t.Errorf("FuncResultType(%s, %v) = %v, want undefined function", bad.name, bad.args, err)
		}
	}
	for _, c := range []struct {
		name string
		args []arrow.DataType
		want string
	}{
		{"length", []arrow.DataType{tStr}, "int32"}, {"not like", []arrow.DataType{tStr, tStr}, "bool"},
		{"round", []arrow.DataType{tI64}, "float64"}, {"round", []arrow.DataType{tDec(10, 3), tI32}, "decimal(11, 3)"},
		{"ceil", []arrow.DataType{tDec(10, 3)}, "decimal(8, 0)"}, {"substr", []arrow.DataType{tStr, tI32}, "utf8"},
		{"concat", []arrow.DataType{tI32, tDate}, "utf8"}, {"abs", []arrow.DataType{tF32}, "float32"},
	} {
		if rt, err := FuncResultType(c.name, c.args); err != nil || rt.String() != c.want {
			t.Errorf("%s(%v) = %v, %v; want %s", c.name, c.args, rt, err, c.want)
		}
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
