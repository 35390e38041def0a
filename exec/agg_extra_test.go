package exec

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sleeperd/sleeperd/errs"
)

// obsRows mirror testdata/slt/pg_compat/exec_aggregates.slt; expectations are
// PostgreSQL's answers. Columns: grp, i, f, ok, s, id.
func obsValues(t *testing.T) (*Values, *arrow.Schema) {
	_, mem := checkedCtx(t)
	s := schemaOf(tStr, tI32, tF64, tBool, tStr, tI32)
	v := mkValues(t, s,
		mkBatch(t, mem, s,
			[]any{"a", 1, 1.5, true, "x", 1},
			[]any{"a", 2, 2.5, true, "y", 2},
			[]any{"a", 3, nil, false, nil, 3},
			[]any{"a", 4, 4.0, nil, "z", 4}),
		mkBatch(t, mem, s,
			[]any{"b", 7, 7.0, true, "p", 5},
			[]any{"b", nil, nil, nil, nil, 6},
			[]any{"c", 5, 5.0, false, "q", 7},
			[]any{"c", 5, 5.0, false, "q", 8},
			[]any{"c", 9, 9.0, true, "r", 9}))
	return v, s
}

func TestExtraAggregates(t *testing.T) {
	grp := func(t *testing.T) Expr { return mustCol(t, 0, tStr) }
	i := func(t *testing.T) Expr { return mustCol(t, 1, tI32) }
	f := func(t *testing.T) Expr { return mustCol(t, 2, tF64) }
	s := func(t *testing.T) Expr { return mustCol(t, 4, tStr) }
	id := func(t *testing.T) Expr { return mustCol(t, 5, tI32) }
	tests := []struct {
		name string
		aggs func(t *testing.T) []Aggregate
		want []string
	}{
		{"variance of integers", func(t *testing.T) []Aggregate {
			return []Aggregate{{Func: "var_samp", Arg: i(t)}, {Func: "var_pop", Arg: i(t)}, {Func: "stddev_samp", Arg: i(t)}, {Func: "stddev_pop", Arg: i(t)}}
		}, []string{
			"a|1.6666666666666667|1.2500000000000000|1.2909944487358056|1.1180339887498948",
			"b|NULL|0.0000000000000000|NULL|0.0000000000000000",
			"c|5.3333333333333333|3.5555555555555556|2.3094010767585031|1.8856180831641267",
		}},
		{"variance of floats", func(t *testing.T) []Aggregate {
			return []Aggregate{{Func: "variance", Arg: f(t)}, {Func: "var_pop", Arg: f(t)}, {Func: "stddev", Arg: f(t)}, {Func: "stddev_pop", Arg: f(t)}}
		}, []string{
			"a|1.5833333333333333|1.0555555555555556|1.2583057392117916|1.0274023338281628",
			"b|NULL|0|NULL|0",
			"c|5.333333333333333|3.5555555555555554|2.309401076758503|1.8856180831641267",
		}},
		{"booleans", func(t *testing.T) []Aggregate {
			ok := mustCol(t, 3, tBool)
			return []Aggregate{{Func: "bool_and", Arg: ok}, {Func: "bool_or", Arg: ok}, {Func: "every", Arg: ok}}
		}, []string{"a|false|true|false", "b|true|true|true", "c|false|true|false"}},
		{"string_agg ordered", func(t *testing.T) []Aggregate {
			return []Aggregate{{Func: "string_agg", Arg: s(t), Extra: []Expr{lit(t, ",", tStr)}, OrderBy: []SortKey{{Expr: s(t), Desc: true, NullsFirst: true}}}}
		}, []string{"a|z,y,x", "b|p", "c|r,q,q"}},
		{"string_agg NULL delimiter", func(t *testing.T) []Aggregate {
			return []Aggregate{{Func: "string_agg", Arg: s(t), Extra: []Expr{lit(t, nil, tStr)}, OrderBy: []SortKey{{Expr: id(t)}}}}
		}, []string{"a|xyz", "b|p", "c|qqr"}},
		{"filter", func(t *testing.T) []Aggregate {
			gt2, err := NewBinary(Gt, i(t), lit(t, 2, tI32))
			if err != nil {
				t.Fatal(err)
			}
			return []Aggregate{{Func: "count_star", Filter: gt2}, {Func: "sum", Arg: i(t), Filter: mustCol(t, 3, tBool)}}
		}, []string{"a|2|3", "b|1|7", "c|3|9"}},
		{"array_agg ordered keeps NULLs", func(t *testing.T) []Aggregate {
			return []Aggregate{{Func: "array_agg", Arg: i(t), OrderBy: []SortKey{{Expr: i(t), Desc: true, NullsFirst: true}}}}
		}, []string{"a|{4,3,2,1}", "b|{NULL,7}", "c|{9,5,5}"}},
		{"array_agg distinct", func(t *testing.T) []Aggregate {
			return []Aggregate{{Func: "array_agg", Arg: i(t), Distinct: true, OrderBy: []SortKey{{Expr: i(t)}}}}
		}, []string{"a|{1,2,3,4}", "b|{7,NULL}", "c|{5,9}"}},
		{"percentile_cont", func(t *testing.T) []Aggregate {
			return []Aggregate{
				{Func: "percentile_cont", Arg: f(t), Extra: []Expr{lit(t, 0.5, tF64)}, OrderBy: []SortKey{{Expr: f(t)}}},
				{Func: "percentile_cont", Arg: f(t), Extra: []Expr{lit(t, 0.25, tF64)}, OrderBy: []SortKey{{Expr: f(t)}}},
				{Func: "percentile_cont", Arg: f(t), Extra: []Expr{lit(t, 0.9, tF64)}, OrderBy: []SortKey{{Expr: f(t), Desc: true, NullsFirst: true}}},
			}
		}, []string{"a|2.5|2|1.7", "b|7|7|7", "c|5|5|5"}},
		{"percentile_disc", func(t *testing.T) []Aggregate {
			return []Aggregate{
				{Func: "percentile_disc", Arg: i(t), Extra: []Expr{lit(t, 0.5, tF64)}, OrderBy: []SortKey{{Expr: i(t)}}},
				{Func: "percentile_disc", Arg: i(t), Extra: []Expr{lit(t, 0.0, tF64)}, OrderBy: []SortKey{{Expr: i(t)}}},
				{Func: "percentile_disc", Arg: i(t), Extra: []Expr{lit(t, 1.0, tF64)}, OrderBy: []SortKey{{Expr: i(t)}}},
				{Func: "percentile_disc", Arg: i(t), Extra: []Expr{lit(t, nil, tF64)}, OrderBy: []SortKey{{Expr: i(t)}}},
			}
		}, []string{"a|2|1|4|NULL", "b|7|7|7|NULL", "c|5|5|9|NULL"}},
		{"mode", func(t *testing.T) []Aggregate {
			return []Aggregate{{Func: "mode", Arg: i(t), OrderBy: []SortKey{{Expr: i(t)}}}, {Func: "mode", Arg: s(t), OrderBy: []SortKey{{Expr: s(t)}}}}
		}, []string{"a|1|x", "b|7|p", "c|5|q"}},
		{"max of arrays", func(t *testing.T) []Aggregate {
			arr, err := NewArrayExpr([]Expr{i(t)}, tI32s)
			if err != nil {
				t.Fatal(err)
			}
			return []Aggregate{{Func: "max", Arg: arr}, {Func: "min", Arg: arr}}
		}, []string{"a|{4}|{1}", "b|{NULL}|{7}", "c|{9}|{5}"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx, _ := checkedCtx(t)
			v, _ := obsValues(t)
			aggs := tc.aggs(t)
			for k := range aggs {
				aggs[k].Name = "x"
			}
			h, err := NewHashAggregate([]Expr{grp(t)}, []string{"g"}, aggs, v)
			if err != nil {
				t.Fatal(err)
			}
			srt, err := NewSort([]SortKey{{Expr: mustCol(t, 0, tStr)}}, h)
			if err != nil {
				t.Fatal(err)
			}
			if got := collectText(t, ctx, srt); !equalStrings(got, tc.want) {
				t.Fatalf("%s:\n got %q\nwant %q", h, got, tc.want)
			}
		})
	}
}

func TestExtraAggregateErrors(t *testing.T) {
	ctx, _ := checkedCtx(t)
	v, _ := obsValues(t)
	f := mustCol(t, 2, tF64)
	h, err := NewHashAggregate(nil, nil, []Aggregate{{Func: "percentile_cont", Arg: f, Extra: []Expr{lit(t, 1.5, tF64)}, OrderBy: []SortKey{{Expr: f}}, Name: "p"}}, v)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Collect(ctx, h)
	wantErrKind(t, err, errs.NumericRange)
	// Empty input: one row of NULLs.
	empty := mkValues(t, v.Schema())
	h, err = NewHashAggregate(nil, nil, []Aggregate{
		{Func: "percentile_cont", Arg: f, Extra: []Expr{lit(t, 0.5, tF64)}, OrderBy: []SortKey{{Expr: f}}, Name: "p"},
		{Func: "array_agg", Arg: f, Name: "a"}, {Func: "stddev", Arg: f, Name: "s"}}, empty)
	if err != nil {
		t.Fatal(err)
	}
	if got := collectText(t, ctx, h); !equalStrings(got, []string{"NULL|NULL|NULL"}) {
		t.Fatalf("empty: %q", got)
	}
	bad := []Aggregate{
		{Func: "string_agg", Arg: mustCol(t, 4, tStr)},
		{Func: "string_agg", Arg: mustCol(t, 4, tStr), Extra: []Expr{lit(t, 1, tI32)}},
		{Func: "percentile_cont", Arg: f, Extra: []Expr{lit(t, 0.5, tF64)}},
		{Func: "sum", Arg: f, Filter: f},
		{Func: "bool_and", Arg: f},
		{Func: "stddev", Arg: mustCol(t, 4, tStr)},
	}
	for _, a := range bad {
		a.Name = "x"
		if _, err := NewHashAggregate(nil, nil, []Aggregate{a}, v); err == nil {
			t.Errorf("%s accepted", a)
		}
	}
	for name, want := range map[string][2]bool{"sum": {true, false}, "mode": {true, true}, "percentile_cont": {true, true}, "string_agg": {true, false}, "lower": {false, false}} {
		if IsAggregate(name) != want[0] || IsOrderedSetAggregate(name) != want[1] {
			t.Errorf("%s: IsAggregate %v, IsOrderedSetAggregate %v", name, IsAggregate(name), IsOrderedSetAggregate(name))
		}
	}
	for _, c := range []struct {
		fn   string
		arg  arrow.DataType
		want string
	}{
		{"stddev", tI32, "decimal(38, 16)"}, {"var_pop", tF32, "float64"}, {"array_agg", tStr, "list<item: utf8, nullable>"},
		{"percentile_disc", tDate, "date32"}, {"string_agg", tBin, "binary"}, {"every", tBool, "bool"},
	} {
		got, err := AggregateResultType(c.fn, c.arg)
		if err != nil || got.String() != c.want {
			t.Errorf("%s(%s): %v, %v, want %s", c.fn, c.arg, got, err, c.want)
		}
	}
}

// TestDistinctCollectOrder checks that a DISTINCT collecting aggregate without ORDER BY
// orders its values by the argument, ascending with NULLs last, as PostgreSQL does.
func TestDistinctCollectOrder(t *testing.T) {
	ctx, mem := checkedCtx(t)
	s := schemaOf(tI32, tStr, tI32, tI32s)
	v := mkValues(t, s,
		mkBatch(t, mem, s, []any{1, "c", 30, ints(2)}, []any{1, "a", nil, nil}, []any{1, "b", 10, ints(1, 2)}),
		mkBatch(t, mem, s, []any{1, "a", 30, ints(2)}, []any{2, "z", 2, ints()}, []any{2, nil, 1, ints(1)}, []any{2, "y", 2, nil}))
	w, n, l := mustCol(t, 1, tStr), mustCol(t, 2, tI32), mustCol(t, 3, tI32s)
	notZ := mustBinary(t, Lt, w, lit(t, "z", tStr))
	aggs := []Aggregate{
		{Func: "string_agg", Arg: w, Distinct: true, Extra: []Expr{lit(t, ",", tStr)}, Name: "s"},
		{Func: "array_agg", Arg: w, Distinct: true, Name: "aw"},
		{Func: "array_agg", Arg: n, Distinct: true, Name: "an"},
		{Func: "count", Arg: l, Distinct: true, Name: "cl"},
		{Func: "array_agg", Arg: w, Distinct: true, Filter: notZ, Name: "f"},
		{Func: "array_agg", Arg: n, Name: "all"},
	}
	h, err := NewHashAggregate([]Expr{mustCol(t, 0, tI32)}, []string{"k"}, aggs, v)
	if err != nil {
		t.Fatal(err)
	}
	srt, err := NewSort([]SortKey{{Expr: mustCol(t, 0, tI32)}}, h)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"1|a,b,c|{a,b,c}|{10,30,NULL}|2|{a,b,c}|{30,NULL,10,30}",
		"2|y,z|{y,z,NULL}|{1,2}|2|{y}|{2,1,2}",
	}
	if got := collectText(t, ctx, srt); !equalStrings(got, want) {
		t.Fatalf("got  %q\nwant %q", got, want)
	}
}
