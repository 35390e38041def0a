package rules

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sleeperd/sleeperd/catalog"
	"github.com/sleeperd/sleeperd/planner"
	"github.com/sleeperd/sleeperd/storage/keys"
	"github.com/sleeperd/sleeperd/types"
)

// scanOf builds a scan of a table keyed by (a int64, b text) with a value column v.
func scanOf(filter ...planner.Expr) *planner.Scan {
	t := &catalog.Table{
		Name: "t",
		Columns: []catalog.Column{
			{Name: "a", Type: types.Int64}, {Name: "b", Type: types.Text}, {Name: "v", Type: types.Int64, Nullable: true},
		},
		RowKeys: []int{0, 1},
	}
	return &planner.Scan{Table: t, Filter: filter, Cols: []planner.Column{
		{ID: 1, Name: "a", Type: types.Int64}, {ID: 2, Name: "b", Type: types.Text}, {ID: 3, Name: "v", Type: types.Int64},
	}}
}

func col(id planner.ColumnID, t arrow.DataType) *planner.ColumnRef {
	return &planner.ColumnRef{ID: id, Typ: t}
}

func cmp(op planner.Op, l, r planner.Expr) planner.Expr {
	return &planner.Binary{Op: op, L: l, R: r, Typ: types.Bool}
}

func i64(v int64) *planner.Literal  { return &planner.Literal{Value: v, Typ: types.Int64} }
func str(v string) *planner.Literal { return &planner.Literal{Value: v, Typ: types.Text} }

func enc(vals ...any) []byte {
	types := []arrow.DataType{types.Int64, types.Text}
	var k []byte
	for i, v := range vals {
		var err error
		if k, err = keys.AppendGo(k, types[i], v); err != nil {
			panic(err)
		}
	}
	return k
}

func TestKeyRanges(t *testing.T) {
	a, b, v := col(1, types.Int64), col(2, types.Text), col(3, types.Int64)
	for _, tc := range []struct {
		name   string
		filter []planner.Expr
		want   []keys.Range // nil: unconstrained
	}{
		{"no predicate", nil, nil},
		{"value column only", []planner.Expr{cmp(planner.OpEq, v, i64(3))}, nil},
		{"second key column only", []planner.Expr{cmp(planner.OpEq, b, str("x"))}, nil},
		{"point on leading key", []planner.Expr{cmp(planner.OpEq, a, i64(5))},
			[]keys.Range{{Min: enc(int64(5)), Max: keys.PrefixEnd(enc(int64(5)))}}},
		{"literal on the left", []planner.Expr{cmp(planner.OpGt, i64(5), a)},
			[]keys.Range{{Min: []byte{}, Max: enc(int64(5))}}},
		{"full key", []planner.Expr{cmp(planner.OpEq, a, i64(5)), cmp(planner.OpEq, b, str("x"))},
			[]keys.Range{{Min: enc(int64(5), "x"), Max: keys.PrefixEnd(enc(int64(5), "x"))}}},
		{"point then range", []planner.Expr{cmp(planner.OpEq, a, i64(5)), cmp(planner.OpGtEq, b, str("m"))},
			[]keys.Range{{Min: enc(int64(5), "m"), Max: keys.PrefixEnd(enc(int64(5)))}}},
		{"between", []planner.Expr{cmp(planner.OpGtEq, a, i64(2)), cmp(planner.OpLt, a, i64(9))},
			[]keys.Range{{Min: enc(int64(2)), Max: enc(int64(9))}}},
		{"exclusive lower, inclusive upper", []planner.Expr{cmp(planner.OpGt, a, i64(2)), cmp(planner.OpLtEq, a, i64(9))},
			[]keys.Range{{Min: keys.PrefixEnd(enc(int64(2))), Max: keys.PrefixEnd(enc(int64(9)))}}},
		{"in list", []planner.Expr{&planner.InList{E: a, List: []planner.Expr{i64(7), i64(3), i64(7)}}},
			[]keys.Range{{Min: enc(int64(3)), Max: keys.PrefixEnd(enc(int64(3)))}, {Min: enc(int64(7)), Max: keys.PrefixEnd(enc(int64(7)))}}},
		{"in list narrowed by a bound", []planner.Expr{&planner.InList{E: a, List: []planner.Expr{i64(7), i64(3)}}, cmp(planner.OpGt, a, i64(4))},
			[]keys.Range{{Min: enc(int64(7)), Max: keys.PrefixEnd(enc(int64(7)))}}},
		{"contradiction", []planner.Expr{cmp(planner.OpEq, a, i64(1)), cmp(planner.OpEq, a, i64(2))}, []keys.Range{}},
		{"comparison with NULL", []planner.Expr{cmp(planner.OpEq, a, &planner.Literal{Typ: types.Int64})}, []keys.Range{}},
		{"false", []planner.Expr{&planner.Literal{Value: false, Typ: types.Bool}}, []keys.Range{}},
		{"not equal does not prune", []planner.Expr{cmp(planner.OpNotEq, a, i64(1))}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := KeyRanges(scanOf(tc.filter...))
			if (got == nil) != (tc.want == nil) || len(got) != len(tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
			for i := range got {
				if string(got[i].Min) != string(tc.want[i].Min) || string(got[i].Max) != string(tc.want[i].Max) {
					t.Errorf("range %d: got [%x, %x), want [%x, %x)", i, got[i].Min, got[i].Max, tc.want[i].Min, tc.want[i].Max)
				}
			}
		})
	}
}

func TestFactorOr(t *testing.T) {
	a, b := col(1, types.Int64), col(2, types.Int64)
	eq := func(l, r planner.Expr) planner.Expr { return cmp(planner.OpEq, l, r) }
	or := func(l, r planner.Expr) planner.Expr {
		return &planner.Binary{Op: planner.OpOr, L: l, R: r, Typ: types.Bool}
	}
	and := func(es ...planner.Expr) planner.Expr { return planner.And(es) }
	join := eq(a, b)
	for _, tc := range []struct {
		name    string
		in, out planner.Expr
	}{
		{"shared conjunct", or(and(join, eq(a, i64(1))), and(join, eq(a, i64(2)))), and(join, or(eq(a, i64(1)), eq(a, i64(2))))},
		{"nothing shared", or(eq(a, i64(1)), eq(b, i64(2))), or(eq(a, i64(1)), eq(b, i64(2)))},
		{"a branch is the shared part", or(join, and(join, eq(a, i64(1)))), join},
	} {
		if got := factor(tc.in); planner.ExprKey(got) != planner.ExprKey(tc.out) {
			t.Errorf("%s: got %s, want %s", tc.name, got, tc.out)
		}
	}
}

// TestKeyExact checks when the key ranges of a scan keep exactly the rows of its filter.
func TestKeyExact(t *testing.T) {
	one := func(typ arrow.DataType, nullable bool, filter ...planner.Expr) *planner.Scan {
		tb := &catalog.Table{Name: "t", Columns: []catalog.Column{{Name: "k", Type: typ, Nullable: nullable}, {Name: "v", Type: types.Int64, Nullable: true}}, RowKeys: []int{0}}
		return &planner.Scan{Table: tb, Filter: filter, Cols: []planner.Column{{ID: 1, Name: "k", Type: typ}, {ID: 2, Name: "v", Type: types.Int64}}}
	}
	k, ki, v := col(1, types.Text), col(1, types.Int64), col(2, types.Int64)
	i32 := &planner.Literal{Value: int32(3), Typ: types.Int32}
	for _, tc := range []struct {
		name string
		scan *planner.Scan
		want bool
	}{
		{"text range", one(types.Text, false, cmp(planner.OpGtEq, k, str("30")), cmp(planner.OpLt, k, str("3d"))), true},
		{"text point", one(types.Text, false, cmp(planner.OpEq, str("a"), k)), true},
		{"integer IN", one(types.Int64, false, &planner.InList{E: ki, List: []planner.Expr{i64(3), i64(9)}}), true},
		{"no filter", one(types.Text, false), false},
		{"not equal", one(types.Text, false, cmp(planner.OpNotEq, k, str("a"))), false},
		{"NOT IN", one(types.Int64, false, &planner.InList{E: ki, List: []planner.Expr{i64(3)}, Negate: true}), false},
		{"a value column too", one(types.Int64, false, cmp(planner.OpGt, ki, i64(3)), cmp(planner.OpGt, v, i64(3))), false},
		{"literal of another type", one(types.Int64, false, cmp(planner.OpGt, ki, i32)), false},
		{"nullable key", one(types.Text, true, cmp(planner.OpEq, k, str("a"))), false},
		{"float key", one(types.Float64, false, cmp(planner.OpLt, col(1, types.Float64), &planner.Literal{Value: 0.0, Typ: types.Float64})), false},
		{"two row key columns", scanOf(cmp(planner.OpEq, col(1, types.Int64), i64(5))), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := keyExact(tc.scan); got != tc.want {
				t.Errorf("keyExact = %v, want %v", got, tc.want)
			}
		})
	}
}
