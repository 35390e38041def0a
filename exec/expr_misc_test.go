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
