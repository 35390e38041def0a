package exec

import (
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/sleeperd/sleeperd/errs"
)

var (
	tI32s = arrow.ListOf(tI32)
	tStrs = arrow.ListOf(tStr)
)

// ints is a list value of integers; nil elements are NULL.
func ints(vs ...any) []any {
	out := make([]any, len(vs))
	for i, v := range vs {
		if v != nil {
			out[i] = int32(v.(int))
		}
	}
	return out
}

func oneRow(t *testing.T) arrow.RecordBatch {
	ctx, mem := checkedCtx(t)
	_ = ctx
	b := col(t, mem, tI32, 1)
	t.Cleanup(b.Release)
	return b
}

func TestArrayTextCasts(t *testing.T) {
	tests := []struct {
		in   string
		typ  arrow.DataType
		want string
		err  error
	}{
		{"{1,2,NULL}", tI32s, "{1,2,NULL}", nil},
		{" { 1 , 2 } ", tI32s, "{1,2}", nil},
		{"{}", tI32s, "{}", nil},
		{`{"a b","c\"d",""," x ","\\"}`, tStrs, `{"a b","c\"d",""," x ","\\"}`, nil},
		{`{a, b c ,NULL,"NULL",null,\NULL}`, tStrs, `{a,"b c",NULL,"NULL",NULL,"NULL"}`, nil},
		{`{{a},b}`, tStrs, "", errs.NotImplemented},
		{"{1.5,2}", arrow.ListOf(tDec(10, 2)), "{1.50,2.00}", nil},
		{"{2024-01-02 03:04:05}", arrow.ListOf(tTS), `{"2024-01-02 03:04:05"}`, nil},
		{"{t,f}", arrow.ListOf(tBool), "{t,f}", nil},
		{"{1,x}", tI32s, "", errs.InvalidText},
		{"1,2", tI32s, "", errs.InvalidText},
		{"{1,2", tI32s, "", errs.InvalidText},
		{"{1,2}x", tI32s, "", errs.InvalidText},
		{"{1,,2}", tI32s, "", errs.InvalidText},
		{`{"a"b}`, tStrs, "", errs.InvalidText},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			ctx, mem := checkedCtx(t)
			b := col(t, mem, tI32, 1)
			defer b.Release()
			c, err := NewCast(lit(t, tc.in, tStr), tc.typ)
			if err != nil {
				t.Fatal(err)
			}
			back, err := NewCast(c, tStr)
			if err != nil {
				t.Fatal(err)
			}
			got, err := evalText(ctx, back, b)
			if tc.err != nil {
				wantErrKind(t, err, tc.err)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got[0] != tc.want {
				t.Fatalf("got %s, want %s", got[0], tc.want)
			}
		})
	}
}

func TestListCasts(t *testing.T) {
	ctx, mem := checkedCtx(t)
	b := mkBatch(t, mem, schemaOf(tI32s), []any{ints(1, nil, 3)}, []any{nil}, []any{ints()})
	defer b.Release()
	big, err := NewCast(mustCol(t, 0, tI32s), arrow.ListOf(tI64))
	if err != nil {
		t.Fatal(err)
	}
	got, err := evalText(ctx, big, b)
	if err != nil || !equalStrings(got, []string{"{1,NULL,3}", "NULL", "{}"}) {
		t.Fatalf("int[] -> bigint[]: %q, %v", got, err)
	}
	txt, err := NewCast(mustCol(t, 0, tI32s), tStrs)
	if err != nil {
		t.Fatal(err)
	}
	back, err := NewCast(txt, tI32s)
	if err != nil {
		t.Fatal(err)
	}
	got, err = evalText(ctx, back, b)
	if err != nil || !equalStrings(got, []string{"{1,NULL,3}", "NULL", "{}"}) {
		t.Fatalf("int[] -> text[] -> int[]: %q, %v", got, err)
	}
	small, err := NewCast(lit(t, []any{int32(1), int32(40000)}, tI32s), arrow.ListOf(tI16))
	if err != nil {
		t.Fatal(err)
	}
	_, err = evalText(ctx, small, b)
	wantErrKind(t, err, errs.NumericRange)
	if CanCast(tI32s, arrow.ListOf(tDate)) {
		t.Fatal("int[] -> date[] should not cast")
	}
}

// listRows are list values covering PostgreSQL's array order: shorter prefix first, NULL
// elements above values.
var listRows = [][]any{
	{ints(1, 2), 1},
	{ints(1), 2},
	{ints(1, nil), 3},
	{ints(), 4},
	{nil, 5},
	{ints(0, 5), 6},
	{ints(1, 2), 7},
}

func TestListsThroughOperators(t *testing.T) {
	ctx, mem := checkedCtx(t)
	s := schemaOf(tI32s, tI32)
	v := mkValues(t, s, mkBatch(t, mem, s, listRows[:4]...), mkBatch(t, mem, s, listRows[4:]...))
	srt, err := NewSort([]SortKey{{Expr: mustCol(t, 0, tI32s)}, {Expr: mustCol(t, 1, tI32)}}, v)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"{}|4", "{0,5}|6", "{1}|2", "{1,2}|1", "{1,2}|7", "{1,NULL}|3", "NULL|5"}
	if got := collectText(t, ctx, srt); !equalStrings(got, want) {
		t.Fatalf("sort: %q, want %q", got, want)
	}
	// Filter takes rows with their lists.
	pred, err := NewBinary(Gt, mustCol(t, 1, tI32), lit(t, 4, tI32))
	if err != nil {
		t.Fatal(err)
	}
	f, err := NewFilter(pred, v)
	if err != nil {
		t.Fatal(err)
	}
	if got := collectText(t, ctx, f); !equalStrings(got, []string{"NULL|5", "{0,5}|6", "{1,2}|7"}) {
		t.Fatalf("filter: %q", got)
	}
	// Lists as group keys (equal lists group, NULL elements included) and array_agg.
	agg, err := NewHashAggregate([]Expr{mustCol(t, 0, tI32s)}, []string{"l"},
		[]Aggregate{{Func: "count_star", Name: "n"}, {Func: "array_agg", Arg: mustCol(t, 1, tI32), Name: "ids"}}, v)
	if err != nil {
		t.Fatal(err)
	}
	srt2, err := NewSort([]SortKey{{Expr: mustCol(t, 0, tI32s)}}, agg)
	if err != nil {
		t.Fatal(err)
	}
	want = []string{"{}|1|{4}", "{0,5}|1|{6}", "{1}|1|{2}", "{1,2}|2|{1,7}", "{1,NULL}|1|{3}", "NULL|1|{5}"}
	if got := collectText(t, ctx, srt2); !equalStrings(got, want) {
		t.Fatalf("group by list: %q, want %q", got, want)
	}
	// Comparisons of lists.
	b := mkBatch(t, mem, schemaOf(tI32s, tI32s),
		[]any{ints(1, nil), ints(1, nil)}, []any{ints(1), ints(1, 0)}, []any{ints(2), ints(1, 5)}, []any{nil, ints()})
	defer b.Release()
	for op, want := range map[BinaryOp][]string{
		Eq: {"true", "false", "false", "NULL"},
		Lt: {"false", "true", "false", "NULL"},
		Gt: {"false", "false", "true", "NULL"},
	} {
		e, err := NewBinary(op, mustCol(t, 0, tI32s), mustCol(t, 1, tI32s))
		if err != nil {
			t.Fatal(err)
		}
		if got, err := evalText(ctx, e, b); err != nil || !equalStrings(got, want) {
			t.Fatalf("%s: %q, %v, want %q", op, got, err, want)
		}
	}
}

func TestScatterList(t *testing.T) {
	_, mem := checkedCtx(t)
	a := mkBatch(t, mem, schemaOf(tStrs), []any{[]any{"a", nil}}, []any{nil}, []any{[]any{"b"}})
	defer a.Release()
	b := mkBatch(t, mem, schemaOf(tStrs), []any{[]any{}})
	defer b.Release()
	out := scatter(mem, tStrs, 5, []part{{rows: []int32{4, 0, 2}, arr: a.Column(0)}, {rows: []int32{1}, arr: b.Column(0)}})
	defer out.Release()
	if got := texts(out); !equalStrings(got, []string{"NULL", "{}", "{b}", "NULL", "{a,NULL}"}) {
		t.Fatalf("scatter: %q", got)
	}
	if err := out.(*array.List).ValidateFull(); err != nil {
		t.Fatal(err)
	}
}

func TestArrayExpr(t *testing.T) {
	ctx, mem := checkedCtx(t)
	b := mkBatch(t, mem, schemaOf(tI32, tI32), []any{1, 2}, []any{nil, 4}, []any{5, 6})
	defer b.Release()
	e, err := NewArrayExpr([]Expr{mustCol(t, 0, tI32), mustCol(t, 1, tI32), lit(t, nil, tI32)}, tI32s)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := evalText(ctx, e, b); err != nil || !equalStrings(got, []string{"{1,2,NULL}", "{NULL,4,NULL}", "{5,6,NULL}"}) {
		t.Fatalf("ARRAY: %q, %v", got, err)
	}
	empty, err := NewArrayExpr(nil, tStrs)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := evalText(ctx, empty, b); err != nil || !equalStrings(got, []string{"{}", "{}", "{}"}) {
		t.Fatalf("ARRAY[]: %q, %v", got, err)
	}
	if _, err := NewArrayExpr([]Expr{mustCol(t, 0, tI32)}, tStrs); err == nil {
		t.Fatal("element of the wrong type accepted")
	}
	if _, err := NewArrayExpr(nil, tI32); err == nil {
		t.Fatal("non-list type accepted")
	}
	if _, err := NewArrayExpr(nil, arrow.ListOf(tI32s)); err == nil {
		t.Fatal("two dimensions accepted")
	}
}

func TestAnyAll(t *testing.T) {
	tests := []struct {
		left any
		op   string
		arr  any
		all  bool
		want string
	}{
		{2, "=", ints(1, 2), false, "true"},
		{3, "=", ints(1, 2), false, "false"},
		{3, "=", ints(1, nil), false, "NULL"},
		{1, "=", ints(1, nil), false, "true"},
		{nil, "=", ints(1), false, "NULL"},
		{nil, "=", ints(), false, "false"},
		{1, "=", nil, false, "NULL"},
		{1, "<>", ints(1, 2), false, "true"},
		{3, ">", ints(1, 2), true, "true"},
		{2, ">", ints(1, 2), true, "false"},
		{2, ">", ints(1, nil), true, "NULL"},
		{0, ">", ints(1, nil), true, "false"},
		{nil, "=", ints(), true, "true"},
		{1, "<=", nil, true, "NULL"},
		{5, ">=", ints(5, 5), true, "true"},
		{4, "<", ints(5, 3), false, "true"},
	}
	for _, tc := range tests {
		name := fmt.Sprintf("%v %s %v all=%v", tc.left, tc.op, tc.arr, tc.all)
		t.Run(name, func(t *testing.T) {
			ctx, mem := checkedCtx(t)
			b := col(t, mem, tI32, 1, 2)
			defer b.Release()
			e, err := NewAnyExpr(tc.op, lit(t, tc.left, tI32), lit(t, tc.arr, tI32s), tc.all)
			if err != nil {
				t.Fatal(err)
			}
			got, err := evalText(ctx, e, b)
			if err != nil || !equalStrings(got, []string{tc.want, tc.want}) {
				t.Fatalf("got %q, %v, want %s", got, err, tc.want)
			}
		})
	}
	ctx, mem := checkedCtx(t)
	b := mkBatch(t, mem, schemaOf(tStr, tStrs), []any{"abc", []any{"x%", "a%"}}, []any{"xyz", []any{"a%", nil}}, []any{"ABC", []any{"a_c"}})
	defer b.Release()
	for _, c := range []struct {
		op   string
		all  bool
		want []string
	}{
		{"~~", false, []string{"true", "NULL", "false"}},
		{"~~*", false, []string{"true", "NULL", "true"}},
		{"!~~", true, []string{"false", "NULL", "true"}},
	} {
		e, err := NewAnyExpr(c.op, mustCol(t, 0, tStr), mustCol(t, 1, tStrs), c.all)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := evalText(ctx, e, b); err != nil || !equalStrings(got, c.want) {
			t.Fatalf("%s: %q, %v, want %q", c.op, got, err, c.want)
		}
	}
	if _, err := NewAnyExpr("=", lit(t, 1, tI32), lit(t, nil, tStrs), false); err == nil {
		t.Fatal("integer = ANY(text[]) accepted")
	}
	if _, err := NewAnyExpr("=", lit(t, 1, tI32), lit(t, 1, tI32), false); err == nil {
		t.Fatal("ANY over a non-array accepted")
	}
	if _, err := NewAnyExpr("+", lit(t, 1, tI32), lit(t, nil, tI32s), false); err == nil {
		t.Fatal("ANY with + accepted")
	}
}

func TestUnnest(t *testing.T) {
	ctx, mem := checkedCtx(t)
	s := schemaOf(tI32, tI32s, tStrs)
	v := mkValues(t, s, mkBatch(t, mem, s,
		[]any{1, ints(10, 20), []any{"a"}},
		[]any{2, nil, []any{}},
		[]any{3, ints(30), []any{"b", nil, "c"}},
		[]any{4, ints(), nil},
	))
	u, err := NewUnnest(v, []Expr{mustCol(t, 1, tI32s), mustCol(t, 2, tStrs)}, []string{"x", "y"}, "n")
	if err != nil {
		t.Fatal(err)
	}
	if f := u.Schema().Field(3); f.Name != "x" || !arrow.TypeEqual(f.Type, tI32) {
		t.Fatalf("field 3: %v", f)
	}
	want := []string{
		"1|{10,20}|{a}|10|a|1",
		"1|{10,20}|{a}|20|NULL|2",
		"3|{30}|{b,NULL,c}|30|b|1",
		"3|{30}|{b,NULL,c}|NULL|NULL|2",
		"3|{30}|{b,NULL,c}|NULL|c|3",
	}
	if got := collectText(t, ctx, u); !equalStrings(got, want) {
		t.Fatalf("unnest: %q, want %q", got, want)
	}
	if _, err := NewUnnest(v, []Expr{mustCol(t, 0, tI32)}, []string{"x"}, ""); err == nil {
		t.Fatal("unnest of an integer accepted")
	}
	if _, err := NewUnnest(v, []Expr{mustCol(t, 1, tI32s)}, nil, ""); err == nil {
		t.Fatal("unnest without names accepted")
	}
}
