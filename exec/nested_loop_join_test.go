package exec

import (
	"testing"

	"github.com/sleeperd/sleeperd/errs"
)

// Expected rows are PostgreSQL 15's (PostgreSQL has no FULL JOIN on a non-equality condition;
// that case is worked by hand).
func TestNestedLoopJoin(t *testing.T) {
	ctx, mem := checkedCtx(t)
	l, r := joinInputs(t, mem)
	lk, rk, rx := mustCol(t, 0, tI32), mustCol(t, 2, tI32), mustCol(t, 3, tI32)
	lt := mustBinary(t, And, mustBinary(t, Lt, lk, rk), mustBinary(t, Lt, rx, lit(t, 30, tI32)))
	gt := mustBinary(t, Gt, lk, mustBinary(t, Add, rk, lit(t, 1, tI32)))
	tests := []struct {
		name string
		kind JoinKind
		cond Expr
		want []string
	}{
		{"left l.k < r.k and r.x < 30", Left, lt, []string{"1|a|2|10", "1|a|2|20", "1|a|3|0", "1|a|3|5", "2|b|3|0", "2|b|3|5",
			"2|b2|3|0", "2|b2|3|5", "3|c|NULL|NULL", "5|e|NULL|NULL", "NULL|n|NULL|NULL"}},
		{"full l.k > r.k + 1", Full, gt, []string{"5|e|2|10", "5|e|2|20", "5|e|3|0", "5|e|3|5",
			"1|a|NULL|NULL", "2|b|NULL|NULL", "2|b2|NULL|NULL", "3|c|NULL|NULL", "NULL|n|NULL|NULL",
			"NULL|NULL|4|40", "NULL|NULL|NULL|99"}},
		{"anti l.k < r.k", Anti, mustBinary(t, Lt, lk, rk), []string{"5|e", "NULL|n"}},
		{"semi l.k < r.k", Semi, mustBinary(t, Lt, lk, rk), []string{"1|a", "2|b", "2|b2", "3|c"}},
		{"left on true", Left, nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			j, err := NewNestedLoopJoin(tc.kind, l, r, tc.cond)
			if err != nil {
				t.Fatal(err)
			}
			got := sortedText(t, ctx, j)
			if tc.want == nil {
				if len(got) != 36 {
					t.Fatalf("%d rows, want 36", len(got))
				}
				return
			}
			if want := sorted(tc.want...); !equalStrings(got, want) {
				t.Fatalf("%s:\n got %q\nwant %q", j, got, want)
			}
		})
	}
	cross, err := NewNestedLoopJoin(Inner, l, r, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := collectText(t, ctx, cross); len(got) != 36 || got[0] != "1|a|2|10" || got[35] != "5|e|3|5" {
		t.Fatalf("cross join: %d rows %q", len(got), got)
	}
	if cross.String() != "NestedLoopJoin: cross" {
		t.Fatalf("String() = %q", cross.String())
	}
	if _, err := NewNestedLoopJoin(Inner, l, r, lk); err == nil {
		t.Fatal("non-boolean condition accepted")
	}
	if _, err := NewNestedLoopJoin(NullAwareAnti, l, r, nil); err == nil {
		t.Fatal("null-aware anti accepted")
	}
	// An error in the condition surfaces and releases everything.
	div := mustBinary(t, Gt, mustBinary(t, Div, rx, mustBinary(t, Sub, rx, rx)), lit(t, 0, tI32))
	bad, _ := NewNestedLoopJoin(Inner, l, r, div)
	_, err = Collect(ctx, bad)
	wantErrKind(t, err, errs.DivisionByZero)
	hbad, _ := NewHashJoin(Left, l, r, []Expr{lk}, []Expr{lk}, div)
	_, err = Collect(ctx, hbad)
	wantErrKind(t, err, errs.DivisionByZero)
}
