package function

import (
	"strings"
	"testing"

	"github.com/sleeperd/sleeperd/exec"
)

func TestExprStrings(t *testing.T) {
	a, s := mustCol(t, 0, tI32), mustCol(t, 1, tStr)
	add, _ := exec.NewBinary(exec.Add, a, lit(t, 1, tI32))
	mul, _ := exec.NewBinary(exec.Mul, add, lit(t, 2, tI32))
	gt, _ := exec.NewBinary(exec.Gt, mul, a)
	not, _ := exec.NewNot(gt)
	isn, _ := exec.NewIsNull(s, true)
	in, _ := exec.NewInList(a, []exec.Expr{lit(t, 1, tI32), lit(t, 2, tI32)}, true)
	cs, _ := exec.NewCase([]exec.Expr{gt}, []exec.Expr{s}, lit(t, "x", tStr))
	co, _ := exec.NewCoalesce([]exec.Expr{s, lit(t, "y", tStr)})
	cast, _ := exec.NewCast(a, tDec(10, 2))
	fn, _ := NewFunc("upper", []exec.Expr{s})
	like, _ := NewFunc("not ilike", []exec.Expr{s, lit(t, "a%", tStr)})
	for _, c := range []struct {
		e    exec.Expr
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
	mk := func(e exec.Expr, err error) exec.Expr {
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	exprs := []exec.Expr{
		mk(exec.NewBinary(exec.Add, a, lit(t, 1, tI32))),
		mk(exec.NewBinary(exec.Lt, a, lit(t, 3, tI32))),
		mk(exec.NewBinary(exec.Concat, str, str)),
		mk(exec.NewBinary(exec.Eq, str, lit(t, "abab", tStr))),
		mk(exec.NewBinary(exec.And, b, mk(exec.NewBinary(exec.Gt, a, lit(t, 0, tI32))))),
		mk(exec.NewBinary(exec.Mul, d, d)),
		mk(exec.NewNot(b)),
		mk(exec.NewIsNull(a, false)),
		mk(exec.NewLike(str, lit(t, "a%b", tStr), false, false)),
		mk(exec.NewCast(a, tStr)),
		mk(exec.NewCast(a, tF64)),
		mk(NewFunc("length", []exec.Expr{str})),
		mk(exec.NewCoalesce([]exec.Expr{str, lit(t, "z", tStr)})),
		mk(exec.NewInList(a, []exec.Expr{lit(t, 2, tI32), lit(t, -3, tI32)}, false)),
		mk(exec.NewCase([]exec.Expr{b}, []exec.Expr{str}, lit(t, "no", tStr))),
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
	f, _ := exec.NewFilter(mk(exec.NewIsNull(a, true)), v)
	srt, _ := exec.NewSort([]exec.SortKey{{Expr: str, Desc: true}, {Expr: a}}, f)
	got := collectText(t, ctx, srt)
	if len(got) != 11 || got[0] != "-7|ababab|true|1.25" || got[10] != "4|NULL|NULL|NULL" {
		t.Fatalf("sorted slice: %q", got)
	}
	h, _ := exec.NewHashAggregate([]exec.Expr{str}, []string{"s"}, []exec.Aggregate{{Func: "count_star", Name: "n"}}, v)
	if got := collectText(t, ctx, h); len(got) != 5 {
		t.Fatalf("grouped slice: %q", got)
	}
}
