package planner

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
)

// TestEncodeRoundTrip checks that every kind of expression and every literal type survives
// encoding, as delete predicates must.
func TestEncodeRoundTrip(t *testing.T) {
	cols := map[string]ColumnRef{
		"k": {ID: 7, Name: "k", Typ: Int64},
		"s": {ID: 8, Name: "s", Typ: Text},
	}
	k, s := cols["k"], cols["s"]
	lits := []*Literal{
		{Value: true, Typ: Bool}, {Value: int16(-3), Typ: Int16}, {Value: int32(1 << 30), Typ: Int32},
		{Value: int64(1<<62 + 1), Typ: Int64}, {Value: float32(1.25), Typ: Float32}, {Value: 0.1, Typ: Float64},
		{Value: decimal128.New(-1, 12345), Typ: Numeric(38, 2)}, {Value: "it's", Typ: Text},
		{Value: []byte{0, 1, 255}, Typ: Bytea}, {Value: arrow.Date32(19000), Typ: Date},
		{Value: arrow.Timestamp(1700000000123456), Typ: Timestamp}, {Typ: Int64},
	}
	var exprs []Expr
	for _, l := range lits {
		exprs = append(exprs, l)
	}
	exprs = append(exprs,
		&Binary{Op: OpAnd, L: &Binary{Op: OpGt, L: &k, R: lits[3], Typ: Bool}, R: &Not{E: &IsNull{E: &s, Negate: true}}, Typ: Bool},
		&InList{E: &k, List: []Expr{lits[3], lits[11]}, Negate: true},
		&Cast{E: &s, To: Int32},
		&Func{Name: "lower", Args: []Expr{&s}, Typ: Text},
		&Coalesce{Args: []Expr{&s, lits[7]}, Typ: Text},
		&Case{Whens: []Expr{&Binary{Op: OpEq, L: &k, R: lits[3], Typ: Bool}}, Thens: []Expr{lits[7]}, Else: &s, Typ: Text},
		&Case{Whens: []Expr{lits[0]}, Thens: []Expr{&s}, Typ: Text},
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
