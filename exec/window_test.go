package exec

import (
	"math/big"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/errs"
)

// windowInput is t(g text, o int, v int) over two batches and an empty one.
func windowInput(t *testing.T, mem memory.Allocator) *Values {
	s := schemaOf(tStr, tI32, tI32)
	return mkValues(t, s,
		mkBatch(t, mem, s, []any{"a", 1, 10}, []any{"a", 2, nil}, []any{"a", 2, 30}, []any{"a", 4, 40}),
		mkBatch(t, mem, s),
		mkBatch(t, mem, s, []any{"b", 1, 5}, []any{"b", nil, 7}, []any{nil, 3, 1}, []any{nil, 3, 2}, []any{"b", 9, nil}))
}

// Expected rows are PostgreSQL 15's for
//
//	SELECT g, o, v, <funcs> FROM t WINDOW w AS (PARTITION BY g ORDER BY <order> <frame>)
//
// compared as sets (the output order is tested separately).
func TestWindowFunctions(t *testing.T) {
	ctx, mem := checkedCtx(t)
	in := windowInput(t, mem)
	g, o, v := mustCol(t, 0, tStr), mustCol(t, 1, tI32), mustCol(t, 2, tI32)
	byO := []SortKey{{Expr: o}}
	byOV := []SortKey{{Expr: o}, {Expr: v}}
	fn := func(name string, args ...Expr) WindowFunc { return WindowFunc{Func: name, Args: args, Name: name} }
	vText, err := NewCast(v, tStr)
	if err != nil {
		t.Fatal(err)
	}
	vBig, err := NewBinary(Gt, v, lit(t, 10, tI32))
	if err != nil {
		t.Fatal(err)
	}
	// A delimiter that differs by row: each value but the first is preceded by its row's.
	gDelim, err := NewCoalesce([]Expr{g, lit(t, "", tStr)})
	if err != nil {
		t.Fatal(err)
	}
	framed := func(f WindowFunc, fr Frame) WindowFunc { f.Frame = fr; return f }
	rows := func(s, e FrameBound) Frame { return Frame{Rows: true, Start: s, End: e} }
	lag2 := fn("lag", v)
	lag2.Offset, lag2.Default = 2, lit(t, -1, tI32)
	leadBack := fn("lead", v)
	leadBack.Offset = -1
	tests := []struct {
		name  string
		part  []Expr
		order []SortKey
		funcs []WindowFunc
		want  []string
	}{
		{"ranks", []Expr{g}, byO, []WindowFunc{fn("row_number"), fn("rank"), fn("dense_rank")}, []string{
			"a|1|10|1|1|1", "a|2|30|3|2|2", "a|2|NULL|2|2|2", "a|4|40|4|4|3", "b|1|5|1|1|1",
			"b|9|NULL|2|2|2", "b|NULL|7|3|3|3", "NULL|3|1|1|1|1", "NULL|3|2|2|1|1"}},
		{"lag lead", []Expr{g}, byOV, []WindowFunc{fn("lag", v), fn("lead", v), lag2, leadBack}, []string{
			"a|1|10|NULL|30|-1|NULL", "a|2|30|10|NULL|-1|10", "a|2|NULL|30|40|10|30", "a|4|40|NULL|NULL|30|NULL",
			"b|1|5|NULL|NULL|-1|NULL", "b|9|NULL|5|7|-1|5", "b|NULL|7|NULL|NULL|5|NULL",
			"NULL|3|1|NULL|2|-1|NULL", "NULL|3|2|1|NULL|-1|1"}},
		{"default frame with order", []Expr{g}, byO, []WindowFunc{fn("count"), fn("count", v), fn("sum", v), fn("avg", v),
			fn("min", v), fn("max", v), fn("first_value", v), fn("last_value", v)}, []string{
			"a|1|10|1|1|10|10.0000000000000000|10|10|10|10",
			"a|2|30|3|2|40|20.0000000000000000|10|30|10|30",
			"a|2|NULL|3|2|40|20.0000000000000000|10|30|10|30",
			"a|4|40|4|3|80|26.6666666666666667|10|40|10|40",
			"b|1|5|1|1|5|5.0000000000000000|5|5|5|5",
			"b|9|NULL|2|1|5|5.0000000000000000|5|5|5|NULL",
			"b|NULL|7|3|2|12|6.0000000000000000|5|7|5|7",
			"NULL|3|1|2|2|3|1.5000000000000000|1|2|1|2",
			"NULL|3|2|2|2|3|1.5000000000000000|1|2|1|2"}},
		{"whole partition", []Expr{g}, nil, []WindowFunc{fn("count"), fn("sum", v), fn("avg", v), fn("first_value", o)}, []string{
			"a|1|10|4|80|26.6666666666666667|1", "a|2|30|4|80|26.6666666666666667|1",
			"a|2|NULL|4|80|26.6666666666666667|1", "a|4|40|4|80|26.6666666666666667|1",
			"b|1|5|3|12|6.0000000000000000|1", "b|9|NULL|3|12|6.0000000000000000|1", "b|NULL|7|3|12|6.0000000000000000|1",
			"NULL|3|1|2|3|1.5000000000000000|3", "NULL|3|2|2|3|1.5000000000000000|3"}},
		{"rows 1 preceding and 1 following", []Expr{g}, byOV, func() []WindowFunc {
			fr := rows(FrameBound{Kind: Preceding, Offset: 1}, FrameBound{Kind: Following, Offset: 1})
			return []WindowFunc{framed(fn("sum", v), fr), framed(fn("count", v), fr), framed(fn("first_value", v), fr),
				framed(fn("last_value", v), fr), framed(fn("max", v), fr)}
		}(), []string{
			"a|1|10|40|2|10|30|30", "a|2|30|40|2|10|NULL|30", "a|2|NULL|70|2|30|40|40", "a|4|40|40|1|NULL|40|40",
			"b|1|5|5|1|5|NULL|5", "b|9|NULL|12|2|5|7|7", "b|NULL|7|7|1|NULL|7|7",
			"NULL|3|1|3|2|1|2|2", "NULL|3|2|3|2|1|2|2"}},
		{"rows 2 following and unbounded following", []Expr{g}, byOV, func() []WindowFunc {
			fr := rows(FrameBound{Kind: Following, Offset: 2}, FrameBound{Kind: UnboundedFollowing})
			return []WindowFunc{framed(fn("sum", v), fr), framed(fn("first_value", v), fr)}
		}(), []string{
			"a|1|10|40|NULL", "a|2|30|40|40", "a|2|NULL|NULL|NULL", "a|4|40|NULL|NULL",
			"b|1|5|7|7", "b|9|NULL|NULL|NULL", "b|NULL|7|NULL|NULL", "NULL|3|1|NULL|NULL", "NULL|3|2|NULL|NULL"}},
		{"rows 1 preceding", []Expr{g}, byOV, func() []WindowFunc {
			fr := Frame{Rows: true, Start: FrameBound{Kind: Preceding, Offset: 1}}
			return []WindowFunc{framed(fn("sum", v), fr), framed(fn("last_value", v), fr)}
		}(), []string{
			"a|1|10|10|10", "a|2|30|40|30", "a|2|NULL|30|NULL", "a|4|40|40|40",
			"b|1|5|5|5", "b|9|NULL|5|NULL", "b|NULL|7|7|7", "NULL|3|1|1|1", "NULL|3|2|3|2"}},
		{"ntile, percent_rank, cume_dist, nth_value", []Expr{g}, byOV, []WindowFunc{fn("ntile", lit(t, 3, tI32)), fn("percent_rank"),
			fn("cume_dist"), fn("nth_value", v, lit(t, 2, tI64)),
			framed(fn("nth_value", o, lit(t, 3, tI16)), rows(FrameBound{Kind: Preceding, Offset: 1}, FrameBound{Kind: Following, Offset: 2}))}, []string{
			"NULL|3|1|1|0|0.5|NULL|NULL", "NULL|3|2|2|1|1|2|NULL",
			"a|1|10|1|0|0.25|NULL|2", "a|2|30|1|0.3333333333333333|0.5|30|2", "a|2|NULL|2|0.6666666666666666|0.75|30|4", "a|4|40|3|1|1|30|NULL",
			"b|1|5|1|0|0.3333333333333333|NULL|NULL", "b|9|NULL|2|0.5|0.6666666666666666|NULL|NULL", "b|NULL|7|3|1|1|NULL|NULL"}},
		{"ntile over the whole input", nil, []SortKey{{Expr: o}, {Expr: g}, {Expr: v}}, []WindowFunc{fn("ntile", lit(t, 2, tI32)),
			fn("ntile", lit(t, 20, tI64)), fn("ntile", lit(t, nil, tI32))}, []string{
			"NULL|3|1|1|5|NULL", "NULL|3|2|2|6|NULL", "a|1|10|1|1|NULL", "a|2|30|1|3|NULL", "a|2|NULL|1|4|NULL",
			"a|4|40|2|7|NULL", "b|1|5|1|2|NULL", "b|9|NULL|2|8|NULL", "b|NULL|7|2|9|NULL"}},
		// string_agg and array_agg see the frame's rows in the window's order.
		{"collecting aggregates, default frame", []Expr{g}, byOV, []WindowFunc{fn("string_agg", vText, lit(t, ",", tStr)),
			fn("array_agg", v), fn("string_agg", vText, gDelim)}, []string{
			"a|1|10|10|{10}|10", "a|2|30|10,30|{10,30}|10a30", "a|2|NULL|10,30|{10,30,NULL}|10a30", "a|4|40|10,30,40|{10,30,NULL,40}|10a30a40",
			"b|1|5|5|{5}|5", "b|9|NULL|5|{5,NULL}|5", "b|NULL|7|5,7|{5,NULL,7}|5b7",
			"NULL|3|1|1|{1}|1", "NULL|3|2|1,2|{1,2}|12"}},
		{"collecting aggregates, empty frames", []Expr{g}, byOV, func() []WindowFunc {
			fr := rows(FrameBound{Kind: Following, Offset: 2}, FrameBound{Kind: UnboundedFollowing})
			return []WindowFunc{framed(fn("string_agg", vText, lit(t, ";", tStr)), fr), framed(fn("array_agg", v), fr)}
		}(), []string{
			"a|1|10|40|{NULL,40}", "a|2|30|40|{40}", "a|2|NULL|NULL|NULL", "a|4|40|NULL|NULL",
			"b|1|5|7|{7}", "b|9|NULL|NULL|NULL", "b|NULL|7|NULL|NULL", "NULL|3|1|NULL|NULL", "NULL|3|2|NULL|NULL"}},
		{"bool_and, bool_or", []Expr{g}, byOV, []WindowFunc{fn("bool_and", vBig), fn("bool_or", vBig), fn("every", vBig)}, []string{
			"a|1|10|false|false|false", "a|2|30|false|true|false", "a|2|NULL|false|true|false", "a|4|40|false|true|false",
			"b|1|5|false|false|false", "b|9|NULL|false|false|false", "b|NULL|7|false|false|false",
			"NULL|3|1|false|false|false", "NULL|3|2|false|false|false"}},
		{"range 1 preceding and 1 following", []Expr{g}, byO, func() []WindowFunc {
			fr := Frame{Start: FrameBound{Kind: Preceding, Delta: int64(1)}, End: FrameBound{Kind: Following, Delta: int64(1)}}
			ex := fr
			ex.Exclude = ExcludeGroup
			return []WindowFunc{framed(fn("sum", v), fr), framed(fn("count"), fr), framed(fn("count"), ex)}
		}(), []string{
			"a|1|10|40|3|2", "a|2|30|40|3|1", "a|2|NULL|40|3|1", "a|4|40|40|1|0",
			"b|1|5|5|1|0", "b|9|NULL|NULL|1|0", "b|NULL|7|7|1|0", "NULL|3|1|3|2|0", "NULL|3|2|3|2|0"}},
		{"range desc nulls first, current row and 2 following", []Expr{g}, []SortKey{{Expr: o, Desc: true, NullsFirst: true}}, func() []WindowFunc {
			fr := Frame{Start: FrameBound{Kind: CurrentRow}, End: FrameBound{Kind: Following, Delta: int64(2)}}
			return []WindowFunc{framed(fn("sum", v), fr)}
		}(), []string{
			"a|4|40|70", "a|2|30|40", "a|2|NULL|40", "a|1|10|10",
			"b|NULL|7|7", "b|9|NULL|NULL", "b|1|5|5", "NULL|3|1|3", "NULL|3|2|3"}},
		{"first_value, last_value and nth_value excluding", []Expr{g}, byOV, func() []WindowFunc {
			fr := rows(FrameBound{Kind: Preceding, Offset: 1}, FrameBound{Kind: Following, Offset: 1})
			fr.Exclude = ExcludeCurrentRow
			return []WindowFunc{framed(fn("first_value", v), fr), framed(fn("last_value", v), fr), framed(fn("nth_value", v, lit(t, 2, tI64)), fr)}
		}(), []string{
			"a|1|10|30|30|NULL", "a|2|30|10|NULL|NULL", "a|2|NULL|30|40|40", "a|4|40|NULL|NULL|NULL",
			"b|1|5|NULL|NULL|NULL", "b|9|NULL|5|7|7", "b|NULL|7|NULL|NULL|NULL", "NULL|3|1|2|2|NULL", "NULL|3|2|1|1|NULL"}},
		{"no partition, desc nulls first", nil, []SortKey{{Expr: o, Desc: true, NullsFirst: true}, {Expr: g}, {Expr: v}},
			[]WindowFunc{fn("row_number"), fn("sum", v)}, []string{
				"b|NULL|7|1|7", "b|9|NULL|2|7", "a|4|40|3|47", "NULL|3|1|4|48", "NULL|3|2|5|50",
				"a|2|30|6|80", "a|2|NULL|7|80", "a|1|10|8|90", "b|1|5|9|95"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w, err := NewWindow(in, tc.part, tc.order, tc.funcs)
			if err != nil {
				t.Fatal(err)
			}
			got := collectText(t, ctx, w)
			slices.Sort(got)
			if want := sorted(tc.want...); !equalStrings(got, want) {
				t.Fatalf("%s:\n got %q\nwant %q", w, got, want)
			}
		})
	}
}

func TestWindowOrderAndBatches(t *testing.T) {
	ctx, mem := checkedCtx(t)
	// 3*BatchRows rows in many batches, partitions k = i % 3, ordered by i descending.
	s := schemaOf(tI64, tI64)
	var bs []arrow.RecordBatch
	n := 3 * BatchRows
	for off := 0; off < n; off += 1000 {
		var rows [][]any
		for i := off; i < min(off+1000, n); i++ {
			rows = append(rows, []any{int64(i % 3), int64(i)})
		}
		bs = append(bs, mkBatch(t, mem, s, rows...))
	}
	in := mkValues(t, s, bs...)
	k, i := mustCol(t, 0, tI64), mustCol(t, 1, tI64)
	w, err := NewWindow(in, []Expr{k}, []SortKey{{Expr: i, Desc: true}}, []WindowFunc{
		{Func: "row_number", Name: "rn"},
		{Func: "sum", Args: []Expr{i}, Name: "s", Frame: Frame{Rows: true, Start: FrameBound{Kind: Preceding, Offset: 1}}},
		{Func: "lag", Args: []Expr{i}, Name: "l"},
	})
	if err != nil {
		t.Fatal(err)
	}
	got := collectText(t, ctx, w)
	if len(got) != n {
		t.Fatalf("%d rows, want %d", len(got), n)
	}
	// Partition 0 first, rows descending: i = n-3, n-6, ...
	for j, want := range []string{
		"0|24573|1|24573|NULL", "0|24570|2|49143|24573", "0|24567|3|49137|24570",
	} {
		if got[j] != want {
			t.Fatalf("row %d = %q, want %q", j, got[j], want)
		}
	}
	if last := got[n-1]; last != "2|2|8192|7|5" {
		t.Fatalf("last row %q", last)
	}
}

func TestWindowValidation(t *testing.T) {
	ctx, mem := checkedCtx(t)
	in := windowInput(t, mem)
	g, o := mustCol(t, 0, tStr), mustCol(t, 1, tI32)
	tests := []struct {
		name string
		f    WindowFunc
		kind error
	}{
		{"unknown", WindowFunc{Func: "ntile2"}, errs.UndefinedFunction},
		{"rank with arg", WindowFunc{Func: "rank", Args: []Expr{o}}, errs.UndefinedFunction},
		{"sum of text", WindowFunc{Func: "sum", Args: []Expr{g}}, errs.UndefinedFunction},
		{"lag default type", WindowFunc{Func: "lag", Args: []Expr{o}, Default: g}, ErrType},
		{"start unbounded following", WindowFunc{Func: "sum", Args: []Expr{o}, Frame: Frame{Rows: true,
			Start: FrameBound{Kind: UnboundedFollowing}}}, errs.Windowing},
		{"end unbounded preceding", WindowFunc{Func: "sum", Args: []Expr{o}, Frame: Frame{Rows: true,
			Start: FrameBound{Kind: UnboundedPreceding}, End: FrameBound{Kind: UnboundedPreceding}}}, errs.Windowing},
		{"following then current", WindowFunc{Func: "sum", Args: []Expr{o}, Frame: Frame{Rows: true,
			Start: FrameBound{Kind: Following, Offset: 1}, End: FrameBound{Kind: CurrentRow}}}, errs.Windowing},
		{"negative offset", WindowFunc{Func: "sum", Args: []Expr{o}, Frame: Frame{Rows: true,
			Start: FrameBound{Kind: Preceding, Offset: -1}}}, errs.InvalidParameter},
		{"range offset without a value", WindowFunc{Func: "sum", Args: []Expr{o}, Frame: Frame{
			Start: FrameBound{Kind: Preceding, Offset: 1}}}, errs.NotImplemented},
		{"range float offset of an integer", WindowFunc{Func: "sum", Args: []Expr{o}, Frame: Frame{
			Start: FrameBound{Kind: Preceding, Delta: 1.5}}}, errs.NotImplemented},
		{"range numeric offset of an integer", WindowFunc{Func: "sum", Args: []Expr{o}, Frame: Frame{
			Start: FrameBound{Kind: Preceding, Delta: big.NewRat(1, 2)}}}, errs.NotImplemented},
		{"range negative offset", WindowFunc{Func: "sum", Args: []Expr{o}, Frame: Frame{
			Start: FrameBound{Kind: Preceding, Delta: int64(-1)}}}, errs.InvalidFrameOffset},
		{"range interval offset of an integer", WindowFunc{Func: "sum", Args: []Expr{o}, Frame: Frame{
			End: FrameBound{Kind: Following, Delta: arrow.MonthDayNanoInterval{Days: 1}}, Start: FrameBound{Kind: CurrentRow}}}, errs.NotImplemented},
		{"ntile of text", WindowFunc{Func: "ntile", Args: []Expr{g}}, errs.UndefinedFunction},
		{"ntile without buckets", WindowFunc{Func: "ntile"}, errs.UndefinedFunction},
		{"nth_value without position", WindowFunc{Func: "nth_value", Args: []Expr{g}}, errs.UndefinedFunction},
		{"nth_value at text", WindowFunc{Func: "nth_value", Args: []Expr{o, g}}, errs.UndefinedFunction},
		{"cume_dist with arg", WindowFunc{Func: "cume_dist", Args: []Expr{o}}, errs.UndefinedFunction},
		{"string_agg without delimiter", WindowFunc{Func: "string_agg", Args: []Expr{g}}, errs.UndefinedFunction},
		{"string_agg of integer", WindowFunc{Func: "string_agg", Args: []Expr{o, o}}, errs.UndefinedFunction},
		{"string_agg integer delimiter", WindowFunc{Func: "string_agg", Args: []Expr{g, o}}, errs.UndefinedFunction},
		{"array_agg of two", WindowFunc{Func: "array_agg", Args: []Expr{o, o}}, errs.UndefinedFunction},
		{"bool_and of integer", WindowFunc{Func: "bool_and", Args: []Expr{o}}, errs.UndefinedFunction},
	}
	for _, tc := range tests {
		_, err := NewWindow(in, nil, []SortKey{{Expr: o}}, []WindowFunc{tc.f})
		if !errorsIs(err, tc.kind) {
			t.Errorf("%s: error %v, want %v", tc.name, err, tc.kind)
		}
	}
	twoKeys := WindowFunc{Func: "sum", Args: []Expr{o}, Frame: Frame{Start: FrameBound{Kind: Preceding, Delta: int64(1)}}}
	if _, err := NewWindow(in, nil, []SortKey{{Expr: o}, {Expr: g}}, []WindowFunc{twoKeys}); !errorsIs(err, errs.Windowing) {
		t.Errorf("RANGE offset over two keys: error %v", err)
	}
	for _, c := range []struct {
		b    FrameBound
		want string
	}{
		{FrameBound{Kind: Preceding, Delta: int64(3)}, "3 PRECEDING"},
		{FrameBound{Kind: Following, Delta: big.NewRat(5, 4)}, "1.25 FOLLOWING"},
		{FrameBound{Kind: Preceding, Delta: arrow.MonthDayNanoInterval{Days: 2}}, "'0 mons 2 days 0 us'::interval PRECEDING"},
	} {
		if got := c.b.String(); got != c.want {
			t.Errorf("bound %q, want %q", got, c.want)
		}
	}
	if _, err := NewWindow(in, nil, nil, nil); err == nil {
		t.Error("no functions accepted")
	}
	// Bucket counts and positions below 1 fail at execution, as in PostgreSQL.
	for _, c := range []struct {
		f    WindowFunc
		want error
	}{
		{WindowFunc{Func: "ntile", Args: []Expr{lit(t, 0, tI32)}, Name: "n"}, errs.NtileArgument},
		{WindowFunc{Func: "nth_value", Args: []Expr{o, lit(t, -1, tI32)}, Name: "n"}, errs.NthValueArgument},
	} {
		w, err := NewWindow(in, []Expr{g}, nil, []WindowFunc{c.f})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Collect(ctx, w); !errorsIs(err, c.want) {
			t.Errorf("%s: error %v, want %v", c.f, err, c.want)
		}
	}
	w, err := NewWindow(in, []Expr{g}, []SortKey{{Expr: o}}, []WindowFunc{{Func: "RANK", Name: "r"}, {Func: "count", Name: "n"}})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := w.String(), "Window: partition=[c0] order=[c1 NULLS LAST] funcs=[rank() AS r, count(*) AS n]"; got != want {
		t.Fatalf("String() = %q, want %q", got, want)
	}
	if got := w.Schema().Field(4); got.Name != "n" || got.Type.ID() != arrow.INT64 {
		t.Fatalf("field %v", got)
	}
	empty := mkValues(t, schemaOf(tStr, tI32, tI32))
	w2, _ := NewWindow(empty, []Expr{g}, []SortKey{{Expr: o}}, []WindowFunc{{Func: "sum", Args: []Expr{o}, Name: "s"}})
	if got := collectText(t, ctx, w2); len(got) != 0 {
		t.Fatalf("window over empty input = %q", got)
	}
	for fn, want := range map[string]string{"row_number": "int64", "avg": "numeric", "lead": "int32", "count": "int64", "ntile": "int32", "percent_rank": "float64"} {
		args := []arrow.DataType{tI32}
		if fn == "row_number" || fn == "percent_rank" {
			args = nil
		}
		typ, err := WindowResultType(fn, args)
		if err != nil || !strings.EqualFold(typ.String(), want) {
			t.Errorf("WindowResultType(%s) = %v, %v; want %s", fn, typ, err, want)
		}
	}
}
