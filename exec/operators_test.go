package exec

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/errs"
)

// values returns a Values operator over batches (released at the end of the test) and
// releases the caller's references to the batches.
func mkValues(t *testing.T, schema *arrow.Schema, batches ...arrow.RecordBatch) *Values {
	t.Helper()
	v, err := NewValues(schema, batches)
	if err != nil {
		t.Fatal(err)
	}
	releaseBatches(batches)
	t.Cleanup(v.Release)
	return v
}

func collectText(t *testing.T, ctx context.Context, op Operator) []string {
	t.Helper()
	bs, err := Collect(ctx, op)
	if err != nil {
		t.Fatalf("collect %s: %v", op, err)
	}
	defer releaseBatches(bs)
	for _, b := range bs {
		if !b.Schema().Equal(op.Schema()) {
			t.Fatalf("batch schema %s, operator schema %s", b.Schema(), op.Schema())
		}
	}
	return rowsText(bs)
}

func TestValuesAndFilter(t *testing.T) {
	ctx, mem := checkedCtx(t)
	s := schemaOf(tI32, tStr)
	v := mkValues(t, s,
		mkBatch(t, mem, s, []any{1, "a"}, []any{20, "b"}, []any{nil, "c"}),
		mkBatch(t, mem, s),
		mkBatch(t, mem, s, []any{30, nil}, []any{5, "e"}),
	)
	if got := collectText(t, ctx, v); len(got) != 5 {
		t.Fatalf("values returned %q", got)
	}
	// Executing twice returns the same rows.
	if got := collectText(t, ctx, v); len(got) != 5 {
		t.Fatalf("second execution returned %q", got)
	}
	gt, _ := NewBinary(Gt, mustCol(t, 0, tI32), lit(t, 10, tI32))
	f, err := NewFilter(gt, v)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := collectText(t, ctx, f), []string{"20|b", "30|NULL"}; !equalStrings(got, want) {
		t.Fatalf("filter = %q, want %q", got, want)
	}
	if f.String() != "Filter: c0 > 10" {
		t.Fatalf("String() = %q", f.String())
	}
	if _, err := NewFilter(mustCol(t, 0, tI32), v); err == nil {
		t.Fatal("non-boolean predicate accepted")
	}
	empty := mkValues(t, s)
	f2, _ := NewFilter(gt, empty)
	if got := collectText(t, ctx, f2); len(got) != 0 {
		t.Fatalf("filter over empty input = %q", got)
	}
	if _, err := NewValues(s, []arrow.RecordBatch{}); err != nil {
		t.Fatal(err)
	}
}

func TestFilterErrorReleases(t *testing.T) {
	ctx, mem := checkedCtx(t)
	s := schemaOf(tI32)
	v := mkValues(t, s, mkBatch(t, mem, s, []any{1}, []any{0}))
	div, _ := NewBinary(Div, lit(t, 1, tI32), mustCol(t, 0, tI32))
	gt, _ := NewBinary(Gt, div, lit(t, 0, tI32))
	f, _ := NewFilter(gt, v)
	_, err := Collect(ctx, f)
	wantErrKind(t, err, errs.DivisionByZero)
}

func TestProject(t *testing.T) {
	ctx, mem := checkedCtx(t)
	s := schemaOf(tI32, tStr)
	v := mkValues(t, s, mkBatch(t, mem, s, []any{1, "a"}, []any{nil, "b"}))
	add, _ := NewBinary(Add, mustCol(t, 0, tI32), lit(t, 1, tI32))
	p, err := NewProject([]Expr{mustCol(t, 1, tStr), add}, []string{"s", "x"}, v)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := collectText(t, ctx, p), []string{"a|2", "b|NULL"}; !equalStrings(got, want) {
		t.Fatalf("project = %q, want %q", got, want)
	}
	if p.Schema().Field(1).Name != "x" || p.Schema().Field(1).Type.ID() != arrow.INT32 {
		t.Fatalf("schema %s", p.Schema())
	}
	if _, err := NewProject([]Expr{add}, nil, v); err == nil {
		t.Fatal("names mismatch accepted")
	}
}

// countingOp counts the batches its streams return.
type countingOp struct {
	Operator
	pulled *int
}

func (c countingOp) Execute(ctx context.Context) (Stream, error) {
	s, err := c.Operator.Execute(ctx)
	return countingStream{s, c.pulled}, err
}

type countingStream struct {
	Stream
	pulled *int
}

func (c countingStream) Next(ctx context.Context) (arrow.RecordBatch, error) {
	b, err := c.Stream.Next(ctx)
	if err == nil {
		*c.pulled++
	}
	return b, err
}

func intBatches(t *testing.T, mem memory.Allocator, sizes ...int) (*arrow.Schema, []arrow.RecordBatch) {
	s := schemaOf(tI64)
	var bs []arrow.RecordBatch
	n := 0
	for _, size := range sizes {
		rows := make([][]any, size)
		for i := range rows {
			rows[i] = []any{int64(n)}
			n++
		}
		bs = append(bs, mkBatch(t, mem, s, rows...))
	}
	return s, bs
}

func TestLimit(t *testing.T) {
	ctx, mem := checkedCtx(t)
	s, bs := intBatches(t, mem, 3, 3, 3, 3)
	v := mkValues(t, s, bs...)
	for _, c := range []struct {
		offset, count int64
		want          string
		pulled        int
	}{
		{0, 2, "0,1", 1},
		{2, 3, "2,3,4", 2},
		{4, 1, "4", 2},
		{5, 100, "5,6,7,8,9,10,11", 4},
		{0, 0, "", 0},
		{10, -1, "10,11", 4},
		{20, 5, "", 4},
	} {
		t.Run(fmt.Sprintf("offset %d count %d", c.offset, c.count), func(t *testing.T) {
			pulled := 0
			l, err := NewLimit(c.offset, c.count, countingOp{v, &pulled})
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(collectText(t, ctx, l), ","); got != c.want {
				t.Fatalf("got %q, want %q", got, c.want)
			}
			if pulled != c.pulled {
				t.Fatalf("pulled %d batches, want %d", pulled, c.pulled)
			}
		})
	}
	if l, _ := NewLimit(0, 10, v); l.String() != "Limit: offset=0 count=10" {
		t.Fatalf("String() = %q", l.String())
	}
}

func TestSort(t *testing.T) {
	ctx, mem := checkedCtx(t)
	s := schemaOf(tI32, tStr, tF64)
	v := mkValues(t, s,
		mkBatch(t, mem, s, []any{2, "a", 1.0}, []any{nil, "b", math.NaN()}, []any{1, "c", nil}),
		mkBatch(t, mem, s, []any{2, "d", math.Inf(1)}, []any{1, "e", -1.0}, []any{nil, "f", 0.0}),
	)
	key := func(i int, typ arrow.DataType, desc, nullsFirst bool) SortKey {
		return SortKey{Expr: mustCol(t, i, typ), Desc: desc, NullsFirst: nullsFirst}
	}
	for _, c := range []struct {
		keys []SortKey
		want string // column 1 in output order
	}{
		// Stable: equal keys keep input order.
		{[]SortKey{key(0, tI32, false, false)}, "c,e,a,d,b,f"},
		{[]SortKey{key(0, tI32, true, true)}, "b,f,a,d,c,e"},
		{[]SortKey{key(0, tI32, false, true)}, "b,f,c,e,a,d"},
		{[]SortKey{key(0, tI32, true, false)}, "a,d,c,e,b,f"},
		// NaN sorts above +Infinity; NULL last.
		{[]SortKey{key(2, tF64, false, false)}, "e,f,a,d,b,c"},
		{[]SortKey{key(2, tF64, true, false)}, "b,d,a,f,e,c"},
		{[]SortKey{key(0, tI32, false, false), key(1, tStr, true, false)}, "e,c,d,a,f,b"},
	} {
		t.Run(keysString(c.keys), func(t *testing.T) {
			srt, err := NewSort(c.keys, v)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range collectText(t, ctx, srt) {
				got = append(got, strings.Split(r, "|")[1])
			}
			if strings.Join(got, ",") != c.want {
				t.Fatalf("got %s, want %s", strings.Join(got, ","), c.want)
			}
			// TopN agrees with Sort + Limit.
			top, err := NewTopN(c.keys, 3, 1, v)
			if err != nil {
				t.Fatal(err)
			}
			var tgot []string
			for _, r := range collectText(t, ctx, top) {
				tgot = append(tgot, strings.Split(r, "|")[1])
			}
			if want := strings.Join(strings.Split(c.want, ",")[1:4], ","); strings.Join(tgot, ",") != want {
				t.Fatalf("topn got %s, want %s", strings.Join(tgot, ","), want)
			}
		})
	}
	if srt, _ := NewSort([]SortKey{key(0, tI32, true, true)}, v); srt.String() != "Sort: c0 DESC NULLS FIRST" {
		t.Fatalf("String() = %q", srt.String())
	}
	if _, err := NewSort(nil, v); err == nil {
		t.Fatal("sort without keys accepted")
	}
}

func TestSortLarge(t *testing.T) {
	// More rows than one output batch, descending, and a TopN that compacts.
	ctx, mem := checkedCtx(t)
	s, bs := intBatches(t, mem, 5000, 5000, 5000, 5000)
	v := mkValues(t, s, bs...)
	keys := []SortKey{{Expr: mustCol(t, 0, tI64), Desc: true}}
	srt, _ := NewSort(keys, v)
	out, err := Collect(ctx, srt)
	if err != nil {
		t.Fatal(err)
	}
	defer releaseBatches(out)
	if len(out) != 3 || out[0].NumRows() != BatchRows {
		t.Fatalf("got %d batches, first of %d rows", len(out), out[0].NumRows())
	}
	rows := rowsText(out)
	if len(rows) != 20000 || rows[0] != "19999" || rows[19999] != "0" {
		t.Fatalf("sorted %d rows: first %s last %s", len(rows), rows[0], rows[len(rows)-1])
	}
	top, _ := NewTopN(keys, 5, 10, v)
	if got := strings.Join(collectText(t, ctx, top), ","); got != "19989,19988,19987,19986,19985" {
		t.Fatalf("topn = %s", got)
	}
}

func TestHashAggregate(t *testing.T) {
	ctx, mem := checkedCtx(t)
	s := schemaOf(tStr, tI32, tF64, tDec(5, 2))
	nan := math.NaN()
	v := mkValues(t, s,
		mkBatch(t, mem, s, []any{"a", 1, 0.5, dec(t, "1.10", 2)}, []any{"a", 2, 1.5, dec(t, "2.20", 2)}, []any{"b", nil, nil, nil}),
		mkBatch(t, mem, s, []any{nil, 5, 2.0, dec(t, "3.33", 2)}, []any{nil, 5, nan, dec(t, "0.01", 2)}, []any{"a", 2, -1.0, dec(t, "-1.00", 2)}),
	)
	k, iv, f, d := mustCol(t, 0, tStr), mustCol(t, 1, tI32), mustCol(t, 2, tF64), mustCol(t, 3, tDec(5, 2))
	aggs := []Aggregate{
		{Func: "count_star", Name: "n"}, {Func: "count", Arg: iv, Name: "cv"}, {Func: "sum", Arg: iv, Name: "sv"},
		{Func: "min", Arg: iv, Name: "minv"}, {Func: "max", Arg: iv, Name: "maxv"}, {Func: "avg", Arg: iv, Name: "av"},
		{Func: "count", Arg: iv, Distinct: true, Name: "cdv"}, {Func: "sum", Arg: iv, Distinct: true, Name: "sdv"},
		{Func: "sum", Arg: f, Name: "sf"}, {Func: "avg", Arg: f, Name: "af"}, {Func: "min", Arg: f, Name: "minf"},
		{Func: "max", Arg: f, Name: "maxf"}, {Func: "sum", Arg: d, Name: "sd"}, {Func: "avg", Arg: d, Name: "ad"},
		{Func: "min", Arg: d, Name: "mind"}, {Func: "max", Arg: d, Name: "maxd"},
	}
	h, err := NewHashAggregate([]Expr{k}, []string{"k"}, aggs, v)
	if err != nil {
		t.Fatal(err)
	}
	got := collectText(t, ctx, h)
	slices.Sort(got)
	// PostgreSQL 15 gives the same rows.
	want := []string{
		"NULL|2|2|10|5|5|5.0000000000000000|1|5|NaN|NaN|2|NaN|3.34|1.6700000000000000|0.01|3.33",
		"a|3|3|5|1|2|1.6666666666666667|2|3|1|0.3333333333333333|-1|1.5|2.30|0.76666666666666666667|-1.00|2.20",
		"b|1|0|NULL|NULL|NULL|NULL|0|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL",
	}
	if !equalStrings(got, want) {
		t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if want := "HashAggregate: groups=[c0] aggs=[count(*), count(c1), sum(c1)"; !strings.HasPrefix(h.String(), want) {
		t.Fatalf("String() = %q", h.String())
	}
}

func TestHashAggregateNoGroups(t *testing.T) {
	ctx, mem := checkedCtx(t)
	s := schemaOf(tI64)
	x := mustCol(t, 0, tI64)
	aggs := []Aggregate{{Func: "count_star", Name: "n"}, {Func: "count", Arg: x, Name: "c"}, {Func: "sum", Arg: x, Name: "s"},
		{Func: "avg", Arg: x, Name: "a"}, {Func: "min", Arg: x, Name: "mn"}, {Func: "max", Arg: x, Name: "mx"}}
	empty := mkValues(t, s)
	h, _ := NewHashAggregate(nil, nil, aggs, empty)
	// PostgreSQL: 0|0||||
	if got := collectText(t, ctx, h); !equalStrings(got, []string{"0|0|NULL|NULL|NULL|NULL"}) {
		t.Fatalf("empty input: %q", got)
	}
	big := mkValues(t, s, mkBatch(t, mem, s, []any{int64(math.MaxInt64)}, []any{int64(math.MaxInt64)}))
	h, _ = NewHashAggregate(nil, nil, aggs[2:4], big)
	// PostgreSQL: 18446744073709551614|9223372036854775807
	if got := collectText(t, ctx, h); !equalStrings(got, []string{"18446744073709551614|9223372036854775807"}) {
		t.Fatalf("bigint sum: %q", got)
	}
}

func TestHashAggregateEveryType(t *testing.T) {
	// Group by each type, NULLs forming one group, over two batches.
	nan := math.NaN()
	for _, c := range []struct {
		typ  arrow.DataType
		vals []any // the second half repeats the first, NULL included
	}{
		{tBool, []any{true, false, nil}},
		{tI16, []any{int16(1), int16(-1), nil}},
		{tI32, []any{int32(1), int32(2), nil}},
		{tI64, []any{int64(1), int64(math.MinInt64), nil}},
		{tF32, []any{float32(1.5), float32(nan), nil}},
		{tF64, []any{0.0, math.Copysign(0, -1), nan, nil}},
		{tDec(10, 2), []any{dec(t, "1.00", 2), dec(t, "-1.00", 2), nil}},
		{tStr, []any{"", "a", "ab", nil}},
		{tBin, []any{[]byte{}, []byte{0}, nil}},
		{tDate, []any{arrow.Date32(1), arrow.Date32(-1), nil}},
		{tTS, []any{arrow.Timestamp(1), arrow.Timestamp(2), nil}},
		{tTSZ, []any{arrow.Timestamp(1), nil}},
	} {
		t.Run(c.typ.String(), func(t *testing.T) {
			ctx, mem := checkedCtx(t)
			v := mkValues(t, schemaOf(c.typ), col(t, mem, c.typ, c.vals...), col(t, mem, c.typ, c.vals...))
			g := mustCol(t, 0, c.typ)
			h, err := NewHashAggregate([]Expr{g}, []string{"g"},
				[]Aggregate{{Func: "count_star", Name: "n"}, {Func: "min", Arg: g, Name: "mn"}, {Func: "max", Arg: g, Name: "mx"}}, v)
			if err != nil {
				t.Fatal(err)
			}
			got := collectText(t, ctx, h)
			groups := len(c.vals)
			if c.typ.ID() == arrow.FLOAT64 {
				groups-- // -0 and 0 are one group
			}
			if len(got) != groups {
				t.Fatalf("%d groups, want %d: %q", len(got), groups, got)
			}
			for _, r := range got {
				parts := strings.Split(r, "|")
				if parts[1] != "2" && !(c.typ.ID() == arrow.FLOAT64 && parts[1] == "4") {
					t.Fatalf("group %q", r)
				}
				if parts[0] != parts[2] && !(c.typ.ID() == arrow.FLOAT64 && parts[1] == "4") {
					t.Fatalf("min of group %q differs from key", r)
				}
			}
		})
	}
}

func TestAggregateResultType(t *testing.T) {
	for _, c := range []struct {
		fn   string
		arg  arrow.DataType
		want string
	}{
		{"count", tStr, "int64"}, {"sum", tI16, "int64"}, {"sum", tI32, "int64"}, {"sum", tI64, "decimal(38, 0)"},
		{"sum", tF32, "float32"}, {"sum", tF64, "float64"}, {"sum", tDec(10, 3), "decimal(38, 3)"},
		{"avg", tI32, "numeric"}, {"avg", tF32, "float64"}, {"avg", tDec(10, 3), "numeric"},
		{"avg", tDec(30, 20), "numeric"}, {"min", tStr, "utf8"}, {"max", tDate, "date32"},
	} {
		got, err := AggregateResultType(c.fn, c.arg)
		if err != nil || got.String() != c.want {
			t.Errorf("%s(%s) = %v, %v; want %s", c.fn, c.arg, got, err, c.want)
		}
	}
	if _, err := AggregateResultType("sum", tStr); !errorsIs(err, errs.UndefinedFunction) {
		t.Errorf("sum(text): %v", err)
	}
}

// blockingOp's stream blocks in Next until ctx is done.
type blockingOp struct{ schema *arrow.Schema }

func (b blockingOp) Schema() *arrow.Schema { return b.schema }
func (b blockingOp) Children() []Operator  { return nil }
func (b blockingOp) String() string        { return "Blocking" }
func (b blockingOp) Execute(context.Context) (Stream, error) {
	return blockingStream{}, nil
}

type blockingStream struct{}

func (blockingStream) Next(ctx context.Context) (arrow.RecordBatch, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}
func (blockingStream) Close() error { return nil }

// panicOp's stream panics, or returns err when set.
type panicOp struct {
	schema *arrow.Schema
	err    error
}

func (p panicOp) Schema() *arrow.Schema { return p.schema }
func (p panicOp) Children() []Operator  { return nil }
func (p panicOp) String() string        { return "Panic" }
func (p panicOp) Execute(context.Context) (Stream, error) {
	return panicStream(p), nil
}

type panicStream panicOp

func (p panicStream) Next(context.Context) (arrow.RecordBatch, error) {
	if p.err != nil {
		return nil, p.err
	}
	panic("boom")
}
func (panicStream) Close() error { return nil }

func TestUnion(t *testing.T) {
	ctx, mem := checkedCtx(t)
	s := schemaOf(tI64)
	var children []Operator
	for i := 0; i < 5; i++ {
		_, bs := intBatches(t, mem, 2, 3)
		children = append(children, mkValues(t, s, bs...))
	}
	u, err := NewUnion(children, 2)
	if err != nil {
		t.Fatal(err)
	}
	got := collectText(t, ctx, u)
	if len(got) != 25 {
		t.Fatalf("union returned %d rows", len(got))
	}
	slices.Sort(got)
	if got[0] != "0" || got[24] != "4" {
		t.Fatalf("rows %q", got)
	}
	if _, err := NewUnion([]Operator{children[0], mkValues(t, schemaOf(tStr))}, 1); !errors.Is(err, ErrSchema) {
		t.Fatalf("mismatched schemas: %v", err)
	}

	t.Run("close early", func(t *testing.T) {
		many := make([]Operator, 50)
		for i := range many {
			many[i] = children[i%len(children)]
		}
		u, _ := NewUnion(append(many, blockingOp{s}), 3)
		st, err := u.Execute(ctx)
		if err != nil {
			t.Fatal(err)
		}
		b, err := st.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		b.Release()
		if err := st.Close(); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Next(ctx); err != io.EOF {
			t.Fatalf("Next after Close: %v", err)
		}
	})
	t.Run("blocking child and cancelled context", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		u, _ := NewUnion([]Operator{blockingOp{s}, children[0]}, 2)
		st, _ := u.Execute(cctx)
		n := 0
		for n < 2 {
			b, err := st.Next(cctx)
			if err != nil {
				t.Fatal(err)
			}
			b.Release()
			n++
		}
		cancel()
		if _, err := st.Next(cctx); !errors.Is(err, context.Canceled) {
			t.Fatalf("Next after cancel: %v", err)
		}
		st.Close()
	})
	t.Run("panicking child", func(t *testing.T) {
		u, _ := NewUnion([]Operator{children[0], panicOp{schema: s}, blockingOp{s}}, 3)
		_, err := Collect(ctx, u)
		if err == nil || !strings.Contains(err.Error(), "boom") || !errors.Is(err, errs.Internal) {
			t.Fatalf("error %v", err)
		}
	})
	t.Run("failing child", func(t *testing.T) {
		want := errs.New(errs.DivisionByZero, "division by zero")
		u, _ := NewUnion([]Operator{blockingOp{s}, panicOp{schema: s, err: want}}, 2)
		_, err := Collect(ctx, u)
		wantErrKind(t, err, errs.DivisionByZero)
	})
}

func TestExplain(t *testing.T) {
	_, mem := checkedCtx(t)
	s := schemaOf(tI32)
	v := mkValues(t, s, mkBatch(t, mem, s, []any{1}))
	gt, _ := NewBinary(Gt, mustCol(t, 0, tI32), lit(t, 10, tI32))
	f, _ := NewFilter(gt, v)
	l, _ := NewLimit(0, 10, f)
	u, _ := NewUnion([]Operator{l, v}, 2)
	want := "Union: children=2 parallelism=2\n  Limit: offset=0 count=10\n    Filter: c0 > 10\n      Values: rows=1\n  Values: rows=1\n"
	if got := Explain(u); got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
}

func TestAggregateErrors(t *testing.T) {
	ctx, mem := checkedCtx(t)
	s := schemaOf(tF64)
	// PostgreSQL: sum of 1e308 twice is "value out of range: overflow".
	v := mkValues(t, s, col(t, mem, tF64, 1e308), col(t, mem, tF64, 1e308))
	x := mustCol(t, 0, tF64)
	h, _ := NewHashAggregate(nil, nil, []Aggregate{{Func: "sum", Arg: x, Name: "s"}}, v)
	_, err := Collect(ctx, h)
	wantErrKind(t, err, errs.NumericRange)
	// An error while evaluating an argument releases everything.
	div, _ := NewBinary(Div, x, lit(t, 0.0, tF64))
	h, _ = NewHashAggregate([]Expr{x}, []string{"g"}, []Aggregate{{Func: "max", Arg: div, Name: "m"}}, v)
	_, err = Collect(ctx, h)
	wantErrKind(t, err, errs.DivisionByZero)
	if _, err := NewHashAggregate(nil, nil, []Aggregate{{Func: "median", Arg: x}}, v); err == nil {
		t.Fatal("unknown aggregate accepted")
	}
	if _, err := NewHashAggregate(nil, nil, []Aggregate{{Func: "sum"}}, v); err == nil {
		t.Fatal("sum without argument accepted")
	}
}

func TestOperatorErrorsRelease(t *testing.T) {
	// The failing row is in the second batch, so buffered state must be released too.
	ctx, mem := checkedCtx(t)
	s := schemaOf(tI32, tStr)
	v := mkValues(t, s, mkBatch(t, mem, s, []any{1, "a"}, []any{2, "b"}), mkBatch(t, mem, s, []any{0, "c"}))
	div, _ := NewBinary(Div, lit(t, 1, tI32), mustCol(t, 0, tI32))
	ops := map[string]func() (Operator, error){
		"sort": func() (Operator, error) { return NewSort([]SortKey{{Expr: div}}, v) },
		"topn": func() (Operator, error) { return NewTopN([]SortKey{{Expr: div}}, 1, 0, v) },
		"project": func() (Operator, error) {
			return NewProject([]Expr{mustCol(t, 1, tStr), div}, []string{"s", "d"}, v)
		},
		"group key": func() (Operator, error) {
			return NewHashAggregate([]Expr{div}, []string{"d"}, []Aggregate{{Func: "count_star", Name: "n"}}, v)
		},
		"distinct arg": func() (Operator, error) {
			return NewHashAggregate([]Expr{mustCol(t, 1, tStr)}, []string{"s"},
				[]Aggregate{{Func: "count", Arg: div, Distinct: true, Name: "n"}}, v)
		},
		"union": func() (Operator, error) {
			p, _ := NewProject([]Expr{div}, []string{"d"}, v)
			ok, _ := NewProject([]Expr{mustCol(t, 0, tI32)}, []string{"d"}, v)
			return NewUnion([]Operator{ok, p, ok}, 2)
		},
	}
	for name, mk := range ops {
		t.Run(name, func(t *testing.T) {
			op, err := mk()
			if err != nil {
				t.Fatal(err)
			}
			_, err = Collect(ctx, op)
			wantErrKind(t, err, errs.DivisionByZero)
		})
	}
}
