package exec

import (
	"math"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
)

func TestLiteralEveryType(t *testing.T) {
	for _, c := range []struct {
		v    any
		typ  arrow.DataType
		text string // Eval output as text
		sql  string // String()
	}{
		{true, tBool, "true", "true"},
		{int16(-3), tI16, "-3", "-3"},
		{7, tI32, "7", "7"},
		{int64(1) << 40, tI64, "1099511627776", "1099511627776"},
		{float32(1.5), tF32, "1.5", "1.5"},
		{math.NaN(), tF64, "NaN", "'NaN'::double precision"},
		{dec(t, "-1.25", 2), tDec(5, 2), "-1.25", "-1.25"},
		{"it's", tStr, "it's", "'it''s'"},
		{[]byte{0xab}, tBin, `\xab`, `'\xab'::bytea`},
		{arrow.Date32(0), tDate, "1970-01-01", "'1970-01-01'::date"},
		{arrow.Timestamp(1500000), tTS, "1970-01-01 00:00:01.5", "'1970-01-01 00:00:01.5'::timestamp without time zone"},
		{nil, tStr, "NULL", "NULL"},
	} {
		t.Run(c.typ.String(), func(t *testing.T) {
			ctx, mem := checkedCtx(t)
			b := col(t, mem, tI32, 1, 2, 3)
			defer b.Release()
			l := lit(t, c.v, c.typ)
			got, err := evalText(ctx, l, b)
			if err != nil {
				t.Fatal(err)
			}
			if !equalStrings(got, []string{c.text, c.text, c.text}) {
				t.Fatalf("eval = %q", got)
			}
			if l.String() != c.sql {
				t.Fatalf("String() = %q, want %q", l.String(), c.sql)
			}
		})
	}
	if _, err := NewLiteral("x", tI32); err == nil {
		t.Fatal("string literal of type integer accepted")
	}
	if _, err := NewLiteral(70000, tI16); err == nil {
		t.Fatal("out of range smallint literal accepted")
	}
}

func TestExprStrings(t *testing.T) {
	a, s := mustCol(t, 0, tI32), mustCol(t, 1, tStr)
	add, _ := NewBinary(Add, a, lit(t, 1, tI32))
	mul, _ := NewBinary(Mul, add, lit(t, 2, tI32))
	gt, _ := NewBinary(Gt, mul, a)
	not, _ := NewNot(gt)
	isn, _ := NewIsNull(s, true)
	in, _ := NewInList(a, []Expr{lit(t, 1, tI32), lit(t, 2, tI32)}, true)
	cs, _ := NewCase([]Expr{gt}, []Expr{s}, lit(t, "x", tStr))
	co, _ := NewCoalesce([]Expr{s, lit(t, "y", tStr)})
	cast, _ := NewCast(a, tDec(10, 2))
	fn, _ := NewFunc("upper", []Expr{s})
	like, _ := NewFunc("not ilike", []Expr{s, lit(t, "a%", tStr)})
	for _, c := range []struct {
		e    Expr
		want string
	}{
		{mul, "(c0 + 1) * 2"},
		{not, "NOT (((c0 + 1) * 2) > c0)"},
		{isn, "c1 IS NOT NULL"},
		{in, "c0 NOT IN (1, 2)"},
		{cs, "CASE WHEN ((c0 + 1) * 2) > c0 THEN c1 ELSE 'x' END"},
		{co, "coalesce(c1, 'y')"},
		{cast, "CAST(c0 AS numeric(10,2))"},
		{fn, "upper(c1)"},
		{like, "c1 NOT ILIKE 'a%'"},
	} {
		if got := c.e.String(); got != c.want {
			t.Errorf("String() = %q, want %q", got, c.want)
		}
	}
}

func TestSortEveryType(t *testing.T) {
	// Ascending order of each type's values, NULLS LAST, from a reversed input.
	for _, c := range []struct {
		typ  arrow.DataType
		vals []any // in ascending order
	}{
		{tBool, []any{false, true}},
		{tI16, []any{int16(-2), int16(5)}},
		{tI32, []any{int32(math.MinInt32), int32(0), int32(math.MaxInt32)}},
		{tI64, []any{int64(-1), int64(1)}},
		{tF32, []any{float32(math.Inf(-1)), float32(-1), float32(math.Inf(1)), float32(math.NaN())}},
		{tF64, []any{-1.5, 0.0, math.Inf(1), math.NaN()}},
		{tDec(10, 2), []any{dec(t, "-10.00", 2), dec(t, "2.50", 2), dec(t, "3.00", 2)}},
		{tStr, []any{"", "A", "B", "a", "é"}},
		{tBin, []any{[]byte{}, []byte{0}, []byte{0, 1}, []byte{0xff}}},
		{tDate, []any{arrow.Date32(-5), arrow.Date32(5)}},
		{tTSZ, []any{arrow.Timestamp(-5), arrow.Timestamp(5)}},
	} {
		t.Run(c.typ.String(), func(t *testing.T) {
			ctx, mem := checkedCtx(t)
			rev := []any{nil}
			for i := len(c.vals) - 1; i >= 0; i-- {
				rev = append(rev, c.vals[i])
			}
			v := mkValues(t, schemaOf(c.typ), col(t, mem, c.typ, rev...))
			srt, err := NewSort([]SortKey{{Expr: mustCol(t, 0, c.typ)}}, v)
			if err != nil {
				t.Fatal(err)
			}
			got := collectText(t, ctx, srt)
			var want []string
			for _, x := range append(c.vals, nil) {
				if x == nil {
					want = append(want, "NULL")
				} else {
					want = append(want, formatText(x, c.typ))
				}
			}
			if !equalStrings(got, want) {
				t.Fatalf("got %q, want %q", got, want)
			}
		})
	}
}

func TestCaseAllRowsOneBranch(t *testing.T) {
	ctx, mem := checkedCtx(t)
	b := col(t, mem, tStr, "a", nil)
	defer b.Release()
	c, err := NewCase([]Expr{lit(t, true, tBool)}, []Expr{mustCol(t, 0, tStr)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := evalText(ctx, c, b)
	if err != nil || strings.Join(got, ",") != "a,NULL" {
		t.Fatalf("got %q, %v", got, err)
	}
}

func TestAvgSumFloat32(t *testing.T) {
	ctx, mem := checkedCtx(t)
	s := schemaOf(tF32)
	v := mkValues(t, s, col(t, mem, tF32, float32(1), float32(2), nil))
	x := mustCol(t, 0, tF32)
	h, _ := NewHashAggregate(nil, nil, []Aggregate{{Func: "avg", Arg: x, Name: "a"}, {Func: "SUM", Arg: x, Name: "s"}}, v)
	// PostgreSQL: avg(real) 1.5 (double precision), sum(real) 3 (real).
	if got := collectText(t, ctx, h); !equalStrings(got, []string{"1.5|3"}) {
		t.Fatalf("got %q", got)
	}
	if h.Schema().Field(0).Type.ID() != arrow.FLOAT64 || h.Schema().Field(1).Type.ID() != arrow.FLOAT32 {
		t.Fatalf("schema %s", h.Schema())
	}
}

// Every kernel must respect array offsets: evaluating over a slice of a batch gives the
// slice of evaluating over the whole batch.
func TestSlicedInput(t *testing.T) {
	ctx, mem := checkedCtx(t)
	s := schemaOf(tI32, tStr, tBool, tDec(6, 2))
	var rows [][]any
	for i := 0; i < 20; i++ {
		var n, str, b, d any = int32(i - 10), strings.Repeat("ab", i%4), i%3 == 0, dec(t, "1.25", 2)
		if i%5 == 0 {
			n = nil
		}
		if i%7 == 0 {
			str, b, d = nil, nil, nil
		}
		rows = append(rows, []any{n, str, b, d})
	}
	batch := mkBatch(t, mem, s, rows...)
	defer batch.Release()
	a, str, b, d := mustCol(t, 0, tI32), mustCol(t, 1, tStr), mustCol(t, 2, tBool), mustCol(t, 3, tDec(6, 2))
	mk := func(e Expr, err error) Expr {
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	exprs := []Expr{
		mk(NewBinary(Add, a, lit(t, 1, tI32))),
		mk(NewBinary(Lt, a, lit(t, 3, tI32))),
		mk(NewBinary(Concat, str, str)),
		mk(NewBinary(Eq, str, lit(t, "abab", tStr))),
		mk(NewBinary(And, b, mk(NewBinary(Gt, a, lit(t, 0, tI32))))),
		mk(NewBinary(Mul, d, d)),
		mk(NewNot(b)),
		mk(NewIsNull(a, false)),
		mk(NewLike(str, lit(t, "a%b", tStr), false, false)),
		mk(NewCast(a, tStr)),
		mk(NewCast(a, tF64)),
		mk(NewFunc("length", []Expr{str})),
		mk(NewCoalesce([]Expr{str, lit(t, "z", tStr)})),
		mk(NewInList(a, []Expr{lit(t, 2, tI32), lit(t, -3, tI32)}, false)),
		mk(NewCase([]Expr{b}, []Expr{str}, lit(t, "no", tStr))),
	}
	sl := batch.NewSlice(3, 17)
	defer sl.Release()
	for _, e := range exprs {
		full, err := evalText(ctx, e, batch)
		if err != nil {
			t.Fatalf("%s: %v", e, err)
		}
		part, err := evalText(ctx, e, sl)
		if err != nil {
			t.Fatalf("%s over slice: %v", e, err)
		}
		if !equalStrings(part, full[3:17]) {
			t.Errorf("%s over slice = %q, want %q", e, part, full[3:17])
		}
	}
	// Operators over sliced batches: filter, sort and aggregate.
	v := mkValues(t, s, sl)
	sl.Retain()
	f, _ := NewFilter(mk(NewIsNull(a, true)), v)
	srt, _ := NewSort([]SortKey{{Expr: str, Desc: true}, {Expr: a}}, f)
	got := collectText(t, ctx, srt)
	if len(got) != 11 || got[0] != "-7|ababab|true|1.25" || got[10] != "4|NULL|NULL|NULL" {
		t.Fatalf("sorted slice: %q", got)
	}
	h, _ := NewHashAggregate([]Expr{str}, []string{"s"}, []Aggregate{{Func: "count_star", Name: "n"}}, v)
	if got := collectText(t, ctx, h); len(got) != 5 {
		t.Fatalf("grouped slice: %q", got)
	}
}
