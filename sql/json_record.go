package sql

import (
	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sleeperd/sleeperd/planner"
	"github.com/sleeperd/sleeperd/types"
)

// recordJSON is the JSON text of the record e of type st as to_json writes a composite value
// (PostgreSQL's composite_to_json): an object of its fields by name (f1, f2... for an anonymous
// ROW), each field's value as to_json converts it, a NULL field as null, without spaces
// ({"f1":1,"f2":"a"}); to_jsonb normalises it as jsonb. A NULL record is NULL.
func (b *binder) recordJSON(e planner.Expr, st *arrow.StructType, compact bool) planner.Expr {
	txt := types.Text
	lit := func(s string) planner.Expr { return &planner.Literal{Value: s, Typ: txt} }
	var out planner.Expr = lit("{")
	add := func(p planner.Expr) { out = &planner.Binary{Op: planner.OpConcat, L: out, R: p, Typ: txt} }
	for k := range st.Fields() {
		f := types.RecordField(st.Field(k))
		field := &planner.Func{Name: "record_field", Args: []planner.Expr{e, &planner.Literal{Value: int32(k), Typ: types.Int32}}, Typ: f.Type}
		sep := ","
		if k == 0 {
			sep = ""
		}
		add(lit(sep + string(types.AppendJSONString(nil, f.Name)) + ":"))
		add(&planner.Coalesce{Args: []planner.Expr{b.jsonFrag(field, compact), lit("null")}, Typ: txt})
	}
	add(lit("}"))
	return &planner.Case{Whens: []planner.Expr{&planner.IsNull{E: e}}, Thens: []planner.Expr{&planner.Literal{Typ: txt}}, Else: out, Typ: txt}
}
