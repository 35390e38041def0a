package exec

import (
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// validText checks that a is a well-formed array and returns its rows as text.
func validText(t *testing.T, a arrow.Array) []string {
	t.Helper()
	type validator interface{ ValidateFull() error }
	if v, ok := a.(validator); ok {
		if err := v.ValidateFull(); err != nil {
			t.Fatalf("invalid %s array: %v", a.DataType(), err)
		}
	}
	return texts(a)
}

func TestTakeOrNullLists(t *testing.T) {
	tests := []struct {
		name string
		idx  []int32
		want []string
	}{
		{"no misses", []int32{3, 0}, []string{"{NULL,3}", "{1,2}"}},
		{"some misses", []int32{-1, 0, -1, 1, 2, 3}, []string{"NULL", "{1,2}", "NULL", "NULL", "{}", "{NULL,3}"}},
		{"all misses", []int32{-1, -1}, []string{"NULL", "NULL"}},
		{"none", nil, []string{}},
	}
	for _, tc := range tests {
		for _, typ := range []arrow.DataType{tI32s, tStrs} {
			t.Run(tc.name+" "+typ.String(), func(t *testing.T) {
				_, mem := checkedCtx(t)
				rows := [][]any{{ints(1, 2)}, {nil}, {ints()}, {ints(nil, 3)}}
				if typ == tStrs {
					rows = [][]any{{[]any{"1", "2"}}, {nil}, {[]any{}}, {[]any{nil, "3"}}}
				}
				b := mkBatch(t, mem, schemaOf(typ), rows...)
				defer b.Release()
				out := takeOrNull(mem, b.Column(0), tc.idx)
				defer out.Release()
				if got := validText(t, out); !equalStrings(got, tc.want) {
					t.Fatalf("got %q, want %q", got, tc.want)
				}
			})
		}
	}
}

// listInputs returns l(k int, a int[], s text[]) over four batches (one empty, one whose
// lists are all NULL) and r(k int, b int[]).
func listInputs(t *testing.T, mem memory.Allocator) (*Values, *Values) {
	ls, rs := schemaOf(tI32, tI32s, tStrs), schemaOf(tI32, tI32s)
	l := mkValues(t, ls,
		mkBatch(t, mem, ls, []any{1, ints(1, 2), []any{"x"}}, []any{2, nil, []any{}}, []any{3, ints(), nil},
			[]any{4, ints(nil), []any{nil, "y"}}),
		mkBatch(t, mem, ls),
		mkBatch(t, mem, ls, []any{5, ints(1, 2), []any{"x"}}, []any{6, nil, nil}),
		mkBatch(t, mem, ls, []any{7, nil, nil}, []any{8, nil, nil}),
	)
	r := mkValues(t, rs,
		mkBatch(t, mem, rs, []any{1, ints(9)}, []any{3, nil}),
		mkBatch(t, mem, rs),
		mkBatch(t, mem, rs, []any{5, ints()}, []any{9, ints(7, 7)}),
	)
	return l, r
}

// Expected rows are PostgreSQL's for the same tables and queries (arrays compare equal
// element by element, NULL elements equal to each other).
func TestListsThroughAllOperators(t *testing.T) {
	ctx, mem := checkedCtx(t)
	l, r := listInputs(t, mem)
	k, a, s := mustCol(t, 0, tI32), mustCol(t, 1, tI32s), mustCol(t, 2, tStrs)
	must := func(op Operator, err error) Operator {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return op
	}
	lrows := []string{"1|{1,2}|{x}", "2|NULL|{}", "3|{}|NULL", "4|{NULL}|{NULL,y}", "5|{1,2}|{x}", "6|NULL|NULL", "7|NULL|NULL", "8|NULL|NULL"}
	leftJoin := []string{"1|{1,2}|{x}|1|{9}", "2|NULL|{}|NULL|NULL", "3|{}|NULL|3|NULL", "4|{NULL}|{NULL,y}|NULL|NULL",
		"5|{1,2}|{x}|5|{}", "6|NULL|NULL|NULL|NULL", "7|NULL|NULL|NULL|NULL", "8|NULL|NULL|NULL|NULL"}
	onK := []Expr{mustCol(t, 0, tI32)}
	la := must(NewProject([]Expr{a}, []string{"a"}, l))
	rb := must(NewProject([]Expr{mustCol(t, 1, tI32s)}, []string{"a"}, r))
	none := must(NewFilter(mustBinary(t, Gt, k, lit(t, 100, tI32)), l))
	coalesce, err := NewCoalesce([]Expr{a, lit(t, ints(0), tI32s)})
	if err != nil {
		t.Fatal(err)
	}
	kase, err := NewCase([]Expr{mustBinary(t, Gt, k, lit(t, 4, tI32))}, []Expr{s}, nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		op      Operator
		ordered bool // compare in order rather than as sets
		want    []string
	}{
		{"left hash join", must(NewHashJoin(Left, l, r, onK, onK, nil)), false, leftJoin},
		{"right hash join", must(NewHashJoin(Right, l, r, onK, onK, nil)), false, []string{
			"1|{1,2}|{x}|1|{9}", "3|{}|NULL|3|NULL", "5|{1,2}|{x}|5|{}", "NULL|NULL|NULL|9|{7,7}"}},
		{"full hash join", must(NewHashJoin(Full, l, r, onK, onK, nil)), false, append(slices.Clone(leftJoin), "NULL|NULL|NULL|9|{7,7}")},
		{"anti hash join", must(NewHashJoin(Anti, l, r, onK, onK, nil)), false, []string{
			"2|NULL|{}", "4|{NULL}|{NULL,y}", "6|NULL|NULL", "7|NULL|NULL", "8|NULL|NULL"}},
		{"hash join on arrays", must(NewProject([]Expr{k, mustCol(t, 3, tI32)}, []string{"l", "r"},
			must(NewHashJoin(Inner, l, l, []Expr{a}, []Expr{a}, nil)))), false, []string{"1|1", "1|5", "3|3", "4|4", "5|1", "5|5"}},
		{"left nested loop join", must(NewNestedLoopJoin(Left, l, r, mustBinary(t, Eq, k, mustCol(t, 3, tI32)))), false, leftJoin},
		{"sort by text[] desc", must(NewSort([]SortKey{{Expr: s, Desc: true, NullsFirst: true}, {Expr: k}}, l)), true, []string{
			"3|{}|NULL", "6|NULL|NULL", "7|NULL|NULL", "8|NULL|NULL", "4|{NULL}|{NULL,y}", "1|{1,2}|{x}", "5|{1,2}|{x}", "2|NULL|{}"}},
		{"top 3 by int[] desc", must(NewTopN([]SortKey{{Expr: a, Desc: true}, {Expr: k}}, 3, 1, l)), true, []string{
			"1|{1,2}|{x}", "5|{1,2}|{x}", "3|{}|NULL"}},
		{"limit", must(NewLimit(3, 3, l)), true, []string{"4|{NULL}|{NULL,y}", "5|{1,2}|{x}", "6|NULL|NULL"}},
		{"window partitioned by int[]", must(NewWindow(l, []Expr{a}, []SortKey{{Expr: k}}, []WindowFunc{
			{Func: "count", Name: "n"}, {Func: "lag", Args: []Expr{s}, Name: "lag"}, {Func: "first_value", Args: []Expr{s}, Name: "fv"},
			{Func: "nth_value", Args: []Expr{s, lit(t, 2, tI32)}, Name: "nth"}})), false, []string{
			"1|{1,2}|{x}|1|NULL|{x}|NULL", "5|{1,2}|{x}|2|{x}|{x}|{x}", "3|{}|NULL|1|NULL|NULL|NULL", "4|{NULL}|{NULL,y}|1|NULL|{NULL,y}|NULL",
			"2|NULL|{}|1|NULL|{}|NULL", "6|NULL|NULL|2|{}|{}|NULL", "7|NULL|NULL|3|NULL|{}|NULL", "8|NULL|NULL|4|NULL|{}|NULL"}},
		{"window min and max of arrays", must(NewWindow(l, nil, []SortKey{{Expr: k}}, []WindowFunc{
			{Func: "max", Args: []Expr{s}, Name: "mx"}, {Func: "min", Args: []Expr{a}, Name: "mn"},
			{Func: "max", Args: []Expr{a}, Frame: Frame{Rows: true, Start: FrameBound{Kind: Preceding, Offset: 1}}, Name: "m2"}})), true, []string{
			"1|{1,2}|{x}|{x}|{1,2}|{1,2}", "2|NULL|{}|{x}|{1,2}|{1,2}", "3|{}|NULL|{x}|{}|{}", "4|{NULL}|{NULL,y}|{NULL,y}|{}|{NULL}",
			"5|{1,2}|{x}|{NULL,y}|{}|{NULL}", "6|NULL|NULL|{NULL,y}|{}|{1,2}", "7|NULL|NULL|{NULL,y}|{}|NULL", "8|NULL|NULL|{NULL,y}|{}|NULL"}},
		{"union", must(NewSetOp(SetUnion, false, la, rb)), false, []string{"NULL", "{1,2}", "{7,7}", "{9}", "{NULL}", "{}"}},
		{"intersect", must(NewSetOp(SetIntersect, false, la, rb)), false, []string{"NULL", "{}"}},
		{"except all", must(NewSetOp(SetExcept, true, la, rb)), false, []string{"NULL", "NULL", "NULL", "{1,2}", "{1,2}", "{NULL}"}},
		{"distinct", must(NewHashAggregate([]Expr{s}, []string{"s"}, []Aggregate{{Func: "count_star", Name: "n"}}, l)), false, []string{
			"NULL|4", "{NULL,y}|1", "{x}|2", "{}|1"}},
		{"union of inputs with empty batches", must(NewUnion([]Operator{l, none, mkValues(t, l.Schema())}, 2)), false, lrows},
		{"filter to all-NULL lists", must(NewFilter(mustBinary(t, Gt, k, lit(t, 6, tI32)), l)), true, []string{"7|NULL|NULL", "8|NULL|NULL"}},
		{"filter to nothing", none, true, nil},
		{"coalesce and case", must(NewProject([]Expr{coalesce, kase}, []string{"c", "e"}, l)), true, []string{
			"{1,2}|NULL", "{0}|NULL", "{}|NULL", "{NULL}|NULL", "{1,2}|{x}", "{0}|NULL", "{0}|NULL", "{0}|NULL"}},
		{"sort of nothing", must(NewSort([]SortKey{{Expr: a}}, none)), true, nil},
		{"array_agg of nothing", must(NewHashAggregate(nil, nil, []Aggregate{{Func: "array_agg", Arg: k, Name: "x"},
			{Func: "min", Arg: a, Name: "m"}}, none)), true, []string{"NULL|NULL"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			bs, err := Collect(ctx, tc.op)
			if err != nil {
				t.Fatalf("%s: %v", tc.op, err)
			}
			defer releaseBatches(bs)
			for _, b := range bs {
				for _, c := range b.Columns() {
					validText(t, c)
				}
			}
			got, want := rowsText(bs), tc.want
			if !tc.ordered {
				slices.Sort(got)
				want = sorted(want...)
			}
			if !equalStrings(got, want) {
				t.Fatalf("%s:\n got %q\nwant %q", tc.op, got, want)
			}
		})
	}
}

// TestListKernelsOddShapes runs the kernels over list arrays of the shapes operators pass
// around: sliced, empty from a builder, empty of nulls, and all NULL.
func TestListKernelsOddShapes(t *testing.T) {
	_, mem := checkedCtx(t)
	full := mkBatch(t, mem, schemaOf(tStrs), []any{[]any{"a"}}, []any{nil}, []any{[]any{"b", nil}}, []any{[]any{}}, []any{[]any{"c"}})
	defer full.Release()
	sliced := array.NewSlice(full.Column(0), 1, 4) // NULL, {b,NULL}, {}
	defer sliced.Release()
	built := mkBatch(t, mem, schemaOf(tStrs))
	defer built.Release()
	empty := array.MakeArrayOfNull(mem, tStrs, 0)
	defer empty.Release()
	nulls := array.MakeArrayOfNull(mem, tStrs, 2)
	defer nulls.Release()

	cat, err := concatArrays1(mem, []arrow.Array{built.Column(0), sliced, empty, nulls, built.Column(0)})
	if err != nil {
		t.Fatal(err)
	}
	defer cat.Release()
	if got, want := validText(t, cat), []string{"NULL", "{b,NULL}", "{}", "NULL", "NULL"}; !equalStrings(got, want) {
		t.Fatalf("concat: %q, want %q", got, want)
	}
	tk := take(mem, sliced, []int32{2, 1, 0, 1})
	defer tk.Release()
	if got, want := validText(t, tk), []string{"{}", "{b,NULL}", "NULL", "{b,NULL}"}; !equalStrings(got, want) {
		t.Fatalf("take of a slice: %q, want %q", got, want)
	}
	tn := takeOrNull(mem, sliced, []int32{1, -1})
	defer tn.Release()
	if got, want := validText(t, tn), []string{"{b,NULL}", "NULL"}; !equalStrings(got, want) {
		t.Fatalf("takeOrNull of a slice: %q, want %q", got, want)
	}
	tz := takeOrNull(mem, built.Column(0), []int32{-1})
	defer tz.Release()
	if got := validText(t, tz); !equalStrings(got, []string{"NULL"}) {
		t.Fatalf("takeOrNull of an empty array: %q", got)
	}
	sc := scatter(mem, tStrs, 4, []part{{rows: []int32{3, 0, 1}, arr: sliced}, {rows: []int32{2}, arr: nulls}})
	defer sc.Release()
	if got, want := validText(t, sc), []string{"{b,NULL}", "{}", "NULL", "NULL"}; !equalStrings(got, want) {
		t.Fatalf("scatter of a slice: %q, want %q", got, want)
	}
	// Sliced lists encode and compare by their own rows.
	enc := encoder(sliced)
	encFull := encoder(full.Column(0))
	if string(enc(nil, 1)) != string(encFull(nil, 2)) || string(enc(nil, 2)) != string(encFull(nil, 3)) {
		t.Fatal("encoding of a sliced list differs")
	}
	if c := comparer(sliced, full.Column(0)); c(1, 2) != 0 || c(2, 3) != 0 || c(2, 0) >= 0 {
		t.Fatal("comparison of a sliced list is wrong")
	}
}
