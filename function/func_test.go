package function

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/exec"
)

func TestLike(t *testing.T) {
	like := func(pattern string, negate, fold bool) func(t *testing.T) (exec.Expr, error) {
		return func(t *testing.T) (exec.Expr, error) {
			return exec.NewLike(mustCol(t, 0, tStr), lit(t, pattern, tStr), negate, fold)
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
			build: func(t *testing.T) (exec.Expr, error) {
				return NewFunc("like", []exec.Expr{mustCol(t, 0, tStr), mustCol(t, 1, tStr)})
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
			build: func(t *testing.T) (exec.Expr, error) {
				return NewFunc("like", []exec.Expr{mustCol(t, 0, tStr), mustCol(t, 1, tStr)})
			}, wantErr: errs.InvalidEscape},
	})
	ctx, _ := checkedCtx(t)
	b := mkBatch(t, exec.Allocator(ctx), schemaOf(tStr), []any{"ab"})
	defer b.Release()
	e, err := exec.NewLike(mustCol(t, 0, tStr), lit(t, `a\`, tStr), false, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := evalText(ctx, e, b); err == nil || err.Error() != "LIKE pattern must not end with escape character" {
		t.Errorf("%s: %v, want PostgreSQL's message", e, err)
	}
}
func TestFunctions(t *testing.T) {
	fn := func(name string, args ...func(t *testing.T) exec.Expr) func(t *testing.T) (exec.Expr, error) {
		return func(t *testing.T) (exec.Expr, error) {
			es := make([]exec.Expr, len(args))
			for i, a := range args {
				es[i] = a(t)
			}
			return NewFunc(name, es)
		}
	}
	c := func(i int, typ arrow.DataType) func(t *testing.T) exec.Expr {
		return func(t *testing.T) exec.Expr { return mustCol(t, i, typ) }
	}
	l := func(v any, typ arrow.DataType) func(t *testing.T) exec.Expr {
		return func(t *testing.T) exec.Expr { return lit(t, v, typ) }
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
