package exec

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
)

// Expected rows are PostgreSQL 15's for the same tables.
func TestSetOp(t *testing.T) {
	ctx, mem := checkedCtx(t)
	s := schemaOf(tI32, tStr)
	a := mkValues(t, s,
		mkBatch(t, mem, s, []any{1, "x"}, []any{1, "x"}, []any{1, "x"}),
		mkBatch(t, mem, s),
		mkBatch(t, mem, s, []any{2, nil}, []any{2, nil}, []any{nil, nil}, []any{3, "y"}, []any{nil, nil}))
	b := mkValues(t, s,
		mkBatch(t, mem, s, []any{1, "x"}, []any{2, nil}, []any{nil, nil}),
		mkBatch(t, mem, s, []any{nil, nil}, []any{nil, nil}, []any{4, "z"}, []any{4, "z"}))
	empty := mkValues(t, s)
	tests := []struct {
		kind        SetOpKind
		all         bool
		left, right Operator
		want        []string
	}{
		{SetUnion, false, a, b, []string{"1|x", "2|NULL", "NULL|NULL", "3|y", "4|z"}},
		{SetUnion, true, a, b, []string{"1|x", "1|x", "1|x", "2|NULL", "2|NULL", "NULL|NULL", "3|y", "NULL|NULL",
			"1|x", "2|NULL", "NULL|NULL", "NULL|NULL", "NULL|NULL", "4|z", "4|z"}},
		{SetIntersect, false, a, b, []string{"1|x", "2|NULL", "NULL|NULL"}},
		{SetIntersect, true, a, b, []string{"1|x", "2|NULL", "NULL|NULL", "NULL|NULL"}},
		{SetExcept, false, a, b, []string{"3|y"}},
		{SetExcept, true, a, b, []string{"1|x", "1|x", "2|NULL", "3|y"}},
		{SetExcept, true, b, a, []string{"NULL|NULL", "4|z", "4|z"}},
		{SetExcept, false, a, empty, []string{"1|x", "2|NULL", "NULL|NULL", "3|y"}},
		{SetIntersect, true, a, empty, nil},
		{SetUnion, false, empty, empty, nil},
		{SetExcept, true, empty, a, nil},
	}
	for _, tc := range tests {
		o, err := NewSetOp(tc.kind, tc.all, tc.left, tc.right)
		if err != nil {
			t.Fatal(err)
		}
		// Rows come in input order (left first), first of equal rows kept.
		if got := collectText(t, ctx, o); !equalStrings(got, tc.want) {
			t.Errorf("%s: got %q, want %q", o, got, tc.want)
		}
	}
}

func TestSetOpSchema(t *testing.T) {
	ctx, mem := checkedCtx(t)
	ls := arrow.NewSchema([]arrow.Field{{Name: "a", Type: tI64}}, nil)
	rs := arrow.NewSchema([]arrow.Field{{Name: "b", Type: tI64, Nullable: true}}, nil)
	l := mkValues(t, ls, mkBatch(t, mem, ls, []any{1}))
	r := mkValues(t, rs, mkBatch(t, mem, rs, []any{nil}, []any{1}))
	o, err := NewSetOp(SetUnion, true, l, r)
	if err != nil {
		t.Fatal(err)
	}
	if f := o.Schema().Field(0); f.Name != "a" || !f.Nullable {
		t.Fatalf("field %v", f)
	}
	if got := collectText(t, ctx, o); !equalStrings(got, []string{"1", "NULL", "1"}) {
		t.Fatalf("got %q", got)
	}
	if o.String() != "SetOp: union all" {
		t.Fatalf("String() = %q", o.String())
	}
	other := mkValues(t, schemaOf(tI32))
	two := mkValues(t, schemaOf(tI64, tI64))
	for name, r := range map[string]Operator{"type": other, "arity": two, "nil": nil} {
		if _, err := NewSetOp(SetExcept, false, l, r); err == nil {
			t.Errorf("%s mismatch accepted", name)
		}
	}
	if _, err := NewSetOp(SetOpKind(9), false, l, l); err == nil {
		t.Error("bad kind accepted")
	}
}

// Many batches with many duplicates: INTERSECT ALL and EXCEPT ALL counts per value.
func TestSetOpCounts(t *testing.T) {
	ctx, mem := checkedCtx(t)
	s := schemaOf(tI64)
	mk := func(n, mod int) *Values {
		var bs []arrow.RecordBatch
		var rows [][]any
		for i := range n {
			rows = append(rows, []any{int64(i % mod)})
			if len(rows) == 1000 {
				bs = append(bs, mkBatch(t, mem, s, rows...))
				rows = nil
			}
		}
		bs = append(bs, mkBatch(t, mem, s, rows...))
		return mkValues(t, s, bs...)
	}
	// Left: v in [0, 1000) 10 times each. Right: v in [0, 1000) 4 times, [1000, 3000) 3 times.
	l, r := mk(10000, 1000), mk(10000, 3000)
	tests := []struct {
		kind SetOpKind
		all  bool
		want int
	}{
		{SetIntersect, true, 4000},
		{SetIntersect, false, 1000},
		{SetExcept, true, 6000},
		{SetExcept, false, 0},
		{SetUnion, false, 3000},
		{SetUnion, true, 20000},
	}
	for _, tc := range tests {
		o, _ := NewSetOp(tc.kind, tc.all, l, r)
		if got := len(collectText(t, ctx, o)); got != tc.want {
			t.Errorf("%s: %d rows, want %d", o, got, tc.want)
		}
	}
}
