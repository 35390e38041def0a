package planner

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/decimal128"

	"github.com/sleeperd/sleeperd/types"
)

// TestEncodeRoundTrip checks that every kind of expression and every literal type survives
// encoding, as delete predicates must.
func TestEncodeRoundTrip(t *testing.T) {
	cols := map[string]ColumnRef{
		"k": {ID: 7, Name: "k", Typ: types.Int64},
		"s": {ID: 8, Name: "s", Typ: types.Text},
	}
	k, s := cols["k"], cols["s"]
	lits := []*Literal{
		{Value: true, Typ: types.Bool}, {Value: int16(-3), Typ: types.Int16}, {Value: int32(1 << 30), Typ: types.Int32},
		{Value: int64(1<<62 + 1), Typ: types.Int64}, {Value: float32(1.25), Typ: types.Float32}, {Value: 0.1, Typ: types.Float64},
		{Value: decimal128.New(-1, 12345), Typ: types.Numeric(38, 2)}, {Value: "it's", Typ: types.Text},
		{Value: []byte{0, 1, 255}, Typ: types.Bytea}, {Value: arrow.Date32(19000), Typ: types.Date},
		{Value: arrow.Timestamp(1700000000123456), Typ: types.Timestamp}, {Typ: types.Int64},
	}
	var exprs []Expr
	for _, l := range lits {
		exprs = append(exprs, l)
	}
	exprs = append(exprs,
		&Binary{Op: OpAnd, L: &Binary{Op: OpGt, L: &k, R: lits[3], Typ: types.Bool}, R: &Not{E: &IsNull{E: &s, Negate: true}}, Typ: types.Bool},
		&InList{E: &k, List: []Expr{lits[3], lits[11]}, Negate: true},
		&Cast{E: &s, To: types.Int32},
		&Func{Name: "lower", Args: []Expr{&s}, Typ: types.Text},
		&Coalesce{Args: []Expr{&s, lits[7]}, Typ: types.Text},
		&Case{Whens: []Expr{&Binary{Op: OpEq, L: &k, R: lits[3], Typ: types.Bool}}, Thens: []Expr{lits[7]}, Else: &s, Typ: types.Text},
		&Case{Whens: []Expr{lits[0]}, Thens: []Expr{&s}, Typ: types.Text},
	)
	resolve := func(name string) (ColumnRef, bool) { c, ok := cols[name]; return c, ok }
	for _, e := range exprs {
		data, err := EncodeExpr(e)
		if err != nil {
			t.Fatalf("%s: %v", e, err)
		}
		got, err := DecodeExpr(data, resolve)
		if err != nil {
			t.Fatalf("%s: decode: %v", e, err)
		}
		if ExprKey(got) != ExprKey(e) || !arrow.TypeEqual(got.Type(), e.Type()) {
			t.Errorf("round trip changed %s (%s) into %s (%s)", e, ExprKey(e), got, ExprKey(got))
		}
	}
	if _, err := DecodeExpr([]byte(`{"k":"col","col":"gone","type":"int64"}`), resolve); err == nil {
		t.Error("a vanished column decoded")
	}
}
