package sql

import (
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/planner"
	"github.com/sleeperd/sleeperd/types"
)

// structField binds (r).f, field selection from a record: r a column (or a field of one) of
// a record type, f one of its fields, by name. ok is false when r is not a record column,
// leaving the indirection to subscripts and the catalog's records.
func (b *binder) structField(ind *pg_query.A_Indirection, sc *scope, agg *aggContext) (planner.Expr, bool, error) {
	if len(ind.Indirection) == 0 || ind.Indirection[0].GetString_() == nil && ind.Indirection[0].GetAStar() == nil {
		return nil, false, nil
	}
	switch {
	case ind.Arg.GetColumnRef() != nil:
		if cr := ind.Arg.GetColumnRef(); len(cr.Fields) > 0 && cr.Fields[len(cr.Fields)-1].GetAStar() != nil {
			return nil, false, nil
		}
	case ind.Arg.GetAIndirection() != nil:
	default:
		return nil, false, nil
	}
	if inner := ind.Arg.GetAIndirection(); inner != nil {
		// ((r).f).g: only through record fields.
		e, ok, err := b.structField(inner, sc, agg)
		if !ok || err != nil {
			return e, ok, err
		}
		return b.selectFields(e, ind.Indirection, sc, agg)
	}
	e, err := b.expr(ind.Arg, sc, agg)
	if err != nil {
		return nil, false, nil // left to the other indirections, which report it
	}
	if _, isStruct := e.Type().(*arrow.StructType); !isStruct {
		return nil, false, nil
	}
	return b.selectFields(e, ind.Indirection, sc, agg)
}

// selectFields applies the field selections of ind to the record e, and the subscripts
// among them to the arrays and jsonb values the fields hold ((r).a[1], (r).a[1:2].f).
func (b *binder) selectFields(e planner.Expr, ind []*pg_query.Node, sc *scope, agg *aggContext) (planner.Expr, bool, error) {
	for _, in := range ind {
		st, ok := e.Type().(*arrow.StructType)
		if !ok {
			if idx := in.GetAIndices(); idx != nil {
				var err error
				if e, err = b.subscriptOne(e, idx, sc, agg); err != nil {
					return nil, true, err
				}
				continue
			}
			return nil, true, errs.New(errs.WrongObjectType, "column notation .%s applied to type %s, which is not a composite type", fieldName(in), types.Name(e.Type()))
		}
		if in.GetAStar() != nil {
			return nil, true, errs.New(errs.NotImplemented, "(record).* is not supported; name the fields")
		}
		name := fieldName(in)
		k, found := st.FieldIdx(name)
		if !found {
			return nil, true, errs.New(errs.UndefinedColumn, "column \"%s\" not found in data type %s", name, types.Name(e.Type()))
		}
		// The field's SQL type, which its metadata may keep (types.RecordField).
		e = &planner.Func{Name: "record_field", Args: []planner.Expr{e, &planner.Literal{Value: int32(k), Typ: types.Int32}}, Typ: types.RecordField(st.Field(k)).Type}
	}
	return e, true, nil
}

func fieldName(n *pg_query.Node) string {
	if s := n.GetString_(); s != nil {
		return s.GetSval()
	}
	if n.GetAStar() != nil {
		return "*"
	}
	return "[]"
}

// rowValue binds ROW(a, b, ...) and (a, b, ...) as a value: a record whose fields f1, f2, ...
// have the arguments' types (text for untyped literals and NULLs, as PostgreSQL resolves
// them).
func (b *binder) rowValue(r *pg_query.RowExpr, sc *scope, agg *aggContext) (planner.Expr, error) {
	if len(r.Args) == 0 {
		return nil, errs.New(errs.NotImplemented, "records of no fields are not supported")
	}
	args := make([]planner.Expr, len(r.Args))
	for i, a := range r.Args {
		if a.GetColumnRef() != nil {
			if f := a.GetColumnRef().Fields; len(f) > 0 && f[len(f)-1].GetAStar() != nil {
				return nil, errs.New(errs.NotImplemented, "ROW(t.*) is not supported; name the columns")
			}
		}
		e, err := b.expr(a, sc, agg)
		if err != nil {
			return nil, err
		}
		args[i] = e
	}
	return b.record(args)
}

// record is the record of the values args, its fields f1, f2, ... of the arguments' types
// (text for untyped literals and NULLs).
func (b *binder) record(args []planner.Expr) (planner.Expr, error) {
	args = append([]planner.Expr(nil), args...)
	fields := make([]arrow.Field, len(args))
	for i, e := range args {
		var md arrow.Metadata
		if types.IsUnknown(e.Type()) || e.Type().ID() == arrow.NULL {
			// Held as text; the field is of type unknown on the wire, as PostgreSQL's
			// record of an untyped literal is (types.UnknownFieldMetadata).
			md = types.UnknownFieldMetadata()
			untyped := isUnknownLiteral(e)
			e = b.coerce(e, types.Text)
			if untyped {
				if b.untypedRow == nil {
					b.untypedRow = map[planner.Expr]bool{}
				}
				b.untypedRow[e] = true
			}
		}
		ft := e.Type()
		if heldAsText(ft) {
			// Held as their text, which is how the record shows them; a json or jsonb
			// field keeps its type in the field's metadata (types.RecordField).
			if types.IsJSON(ft) || types.IsJSON(types.Elem(ft)) {
				md, _ = types.SQLMetadata(ft)
			}
			ft = types.Storage(ft)
		}
		args[i] = e
		fields[i] = arrow.Field{Name: "f" + strconv.Itoa(i+1), Type: ft, Nullable: true, Metadata: md}
	}
	return &planner.Func{Name: "row", Args: args, Typ: arrow.StructOf(fields...)}, nil
}

// nestedBinary binds a comparison of two records (record_cmp's order: field by field, NULL
// fields equal and after values) and refuses operators on maps; ok is false when neither
// operand is a record or a map.
func nestedBinary(op planner.Op, l, r planner.Expr, untyped map[planner.Expr]bool) (planner.Expr, bool, error) {
	lt, rt := l.Type(), r.Type()
	if !types.IsNested(lt) && !types.IsNested(rt) {
		return nil, false, nil
	}
	ls, lok := lt.(*arrow.StructType)
	rs, rok := rt.(*arrow.StructType)
	if !lok || !rok || !op.Comparison() || ls.NumFields() != rs.NumFields() {
		return nil, true, errs.New(errs.UndefinedFunction, "operator does not exist: %s %s %s", types.Name(lt), op, types.Name(rt))
	}
	for i := range ls.NumFields() {
		// An untyped literal of ROW(...) compared with a record column's field stays of
		// type unknown in PostgreSQL, which no field compares with.
		for _, side := range [2]struct {
			e     planner.Expr
			other arrow.DataType
		}{{r, ls.Field(i).Type}, {l, rs.Field(i).Type}} {
			if f, ok := side.e.(*planner.Func); ok && f.Name == "row" && !isRowFunc(l) != !isRowFunc(r) && untyped[f.Args[i]] {
				return nil, true, errs.New(errs.DatatypeMismatch, "cannot compare dissimilar column types %s and unknown at record column %d", types.Name(side.other), i+1)
			}
		}
		if !arrow.TypeEqual(ls.Field(i).Type, rs.Field(i).Type) {
			return nil, true, errs.New(errs.DatatypeMismatch, "cannot compare dissimilar column types %s and %s at record column %d", types.Name(ls.Field(i).Type), types.Name(rs.Field(i).Type), i+1)
		}
	}
	if !arrow.TypeEqual(lt, rt) {
		// Fields named differently (a record column beside ROW(...)): compare as r's type.
		r = &planner.Func{Name: "record_retype", Args: []planner.Expr{r, &planner.Literal{Value: nil, Typ: lt}}, Typ: lt}
	}
	return &planner.Binary{Op: op, L: l, R: r, Typ: types.Bool}, true, nil
}

// sortable refuses ORDER BY over a map column (or a record holding one), which has no order
// here.
func sortable(t arrow.DataType) error {
	switch t := t.(type) {
	case *arrow.MapType:
		return errs.New(errs.NotImplemented, "ORDER BY a map column (shown as jsonb) is not supported")
	case *arrow.StructType:
		for _, f := range t.Fields() {
			if err := sortable(f.Type); err != nil {
				return err
			}
		}
	}
	return nil
}

// recordNullTest is r IS [NOT] NULL for a record r as PostgreSQL tests records: IS NULL when
// every field is NULL (a NULL record's fields are), IS NOT NULL when none is.
func recordNullTest(r planner.Expr, st *arrow.StructType, negate bool) planner.Expr {
	var out planner.Expr
	for k := range st.NumFields() {
		f := &planner.Func{Name: "record_field", Args: []planner.Expr{r, &planner.Literal{Value: int32(k), Typ: types.Int32}}, Typ: st.Field(k).Type}
		var t planner.Expr = &planner.IsNull{E: f, Negate: negate}
		if out != nil {
			t = &planner.Binary{Op: planner.OpAnd, L: out, R: t, Typ: types.Bool}
		}
		out = t
	}
	return out
}

// heldAsText reports whether t is a character or JSON type, or an array of one, which a
// record field holds as its text.
func heldAsText(t arrow.DataType) bool {
	if lt, ok := t.(*arrow.ListType); ok {
		t = lt.Elem()
	}
	return types.IsVarchar(t) || types.IsJSON(t)
}

func isRowFunc(e planner.Expr) bool {
	f, ok := e.(*planner.Func)
	return ok && f.Name == "row"
}

// isUnknownLiteral reports whether e is a string literal of no type.
func isUnknownLiteral(e planner.Expr) bool {
	l, ok := e.(*planner.Literal)
	return ok && l.Value != nil && types.IsUnknown(l.Typ)
}

// containsMap reports whether t is a map or holds one (in a record field or as an array's
// element): records do not hold maps here.
func containsMap(t arrow.DataType) bool {
	switch t := t.(type) {
	case *arrow.MapType:
		return true
	case *arrow.ListType:
		return containsMap(t.Elem())
	case *arrow.StructType:
		for _, f := range t.Fields() {
			if containsMap(f.Type) {
				return true
			}
		}
	}
	return false
}
