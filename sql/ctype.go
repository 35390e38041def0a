package sql

import (
	"context"
	"errors"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/sleeperd/sleeperd/catalog"
	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/planner"
	"github.com/sleeperd/sleeperd/types"
)

// typeCatalog is a Catalog that also holds composite types (CREATE TYPE).
type typeCatalog interface {
	Type(ctx context.Context, name string) (*catalog.CompositeType, bool, error)
}

// compositeType looks up the composite type tn names, if it names one.
func (b *binder) compositeType(tn *pg_query.TypeName) (*catalog.CompositeType, bool, error) {
	tc, ok := b.cat.(typeCatalog)
	if !ok || tn == nil || len(tn.ArrayBounds) > 0 || len(tn.Typmods) > 0 || len(tn.Names) == 0 || len(tn.Names) > 2 {
		return nil, false, nil
	}
	if len(tn.Names) == 2 && tn.Names[0].GetString_().GetSval() != "public" {
		return nil, false, nil
	}
	return tc.Type(b.ctx, tn.Names[len(tn.Names)-1].GetString_().GetSval())
}

// resolveType is ResolveType, then the composite types: the Arrow type and, for a composite
// type, its name.
func (b *binder) resolveType(tn *pg_query.TypeName) (arrow.DataType, string, error) {
	t, err := ResolveType(tn)
	if err == nil {
		return t, "", nil
	}
	array := false
	if tn != nil && len(tn.ArrayBounds) > 0 {
		// name[]: an array of records, of one dimension as every array here.
		tn, array = &pg_query.TypeName{Names: tn.Names, Typmods: tn.Typmods}, true
	}
	ct, ok, cerr := b.compositeType(tn)
	if cerr != nil {
		return nil, "", cerr
	}
	if !ok {
		return nil, "", err
	}
	if array {
		return arrow.ListOf(ct.Struct()), ct.Name, nil
	}
	return ct.Struct(), ct.Name, nil
}

// createType binds CREATE TYPE name AS (field type, ...).
func (b *binder) createType(cs *pg_query.CompositeTypeStmt) (planner.Statement, error) {
	if s := cs.Typevar.GetSchemaname(); s != "" && s != "public" {
		return nil, errs.New(errs.InvalidSchemaName, "schema %q does not exist", s)
	}
	st := &planner.CreateType{Name: cs.Typevar.GetRelname()}
	for _, n := range cs.Coldeflist {
		cd := n.GetColumnDef()
		if cd == nil {
			return nil, errs.New(errs.Syntax, "CREATE TYPE needs field definitions")
		}
		if err := pseudoColumn(cd.Colname, cd.TypeName); err != nil {
			return nil, err
		}
		t, _, err := b.resolveType(cd.TypeName)
		if err != nil {
			return nil, err
		}
		if err := recordFieldType(cd.Colname, t); err != nil {
			return nil, err
		}
		st.Fields = append(st.Fields, arrow.Field{Name: cd.Colname, Type: recordFieldStorage(t), Nullable: true})
	}
	return st, nil
}

// recordFieldType refuses field types records do not hold here: maps. Fields keep their SQL
// types (character types with a length, uuid, time, and arrays of them), which tables store
// as their Arrow storage with the SQL type in the stored struct's field metadata
// (types.Storage).
func recordFieldType(name string, t arrow.DataType) error {
	if containsMap(t) {
		return errs.New(errs.NotImplemented, "field %q: fields of type %s are not supported", name, types.Name(t))
	}
	return nil
}

// recordFieldStorage is the type a record field of SQL type t holds: t itself (json and jsonb
// and arrays of them too, which tables store as their text, types.Storage).
func recordFieldStorage(t arrow.DataType) arrow.DataType { return t }

// isCharType reports whether t is a character type with a length.
func isCharType(t arrow.DataType) bool {
	n, ok := types.CharLength(t)
	return ok && n >= 0
}

// dropType binds DROP TYPE [IF EXISTS] name, ...
func (b *binder) dropType(ds *pg_query.DropStmt) (planner.Statement, error) {
	if ds.Behavior == pg_query.DropBehavior_DROP_CASCADE {
		return nil, errs.New(errs.NotImplemented, "DROP TYPE ... CASCADE is not supported")
	}
	st := &planner.DropType{IfExists: ds.MissingOk}
	for _, o := range ds.Objects {
		tn := o.GetTypeName()
		if tn == nil || len(tn.Names) == 0 {
			return nil, errs.New(errs.Syntax, "DROP TYPE needs a type name")
		}
		if len(tn.Names) == 2 && tn.Names[0].GetString_().GetSval() != "public" {
			return nil, errs.New(errs.InvalidSchemaName, "schema %q does not exist", tn.Names[0].GetString_().GetSval())
		}
		st.Names = append(st.Names, tn.Names[len(tn.Names)-1].GetString_().GetSval())
	}
	return st, nil
}

// toRecord converts e to the record type st as a cast (explicit) or an assignment does:
// ROW(...) and (...) field by field, with the casts of that context; text in the record
// input syntax, '(1,x)', field by field from its text; NULL; a record of the same field
// types under st's field names.
func (b *binder) toRecord(e planner.Expr, st *arrow.StructType, name string, explicit bool) (planner.Expr, error) {
	if name == "" {
		name = types.Name(st)
	}
	retype := func(r planner.Expr) planner.Expr {
		return &planner.Func{Name: "record_retype", Args: []planner.Expr{r, &planner.Literal{Value: nil, Typ: st}}, Typ: st}
	}
	fields := func(args []planner.Expr) (planner.Expr, error) {
		if len(args) != st.NumFields() {
			detail := "Input has too few columns."
			if len(args) > st.NumFields() {
				detail = "Input has too many columns."
			}
			return nil, errs.New(errs.CannotCoerce, "cannot cast type record to %s (%s)", name, detail)
		}
		out := make([]planner.Expr, len(args))
		rf := make([]arrow.Field, len(args))
		for i, a := range args {
			if c, ok := a.(*planner.Cast); ok && b.untypedRow[a] {
				// An untyped literal of ROW(...), held as text: it takes the field's type as
				// PostgreSQL's unknown constants do.
				a = c.E
			}
			ft := st.Field(i).Type
			var err error
			fst, isRecord := ft.(*arrow.StructType)
			switch {
			case isRecord && !isNullLiteral(a):
				// A record field: converted as a record, field by field.
				out[i], err = b.toRecord(a, fst, "", explicit)
			case isCharType(ft) && !isNullLiteral(a) && a.Type().ID() != arrow.NULL && (explicit || types.IsUnknown(a.Type())):
				// A field of a character type with a length: a cast truncates a longer value,
				// an assignment fails on it.
				if explicit {
					out[i] = b.charCast(a, ft, true)
				} else {
					out[i], err = b.assign(a, ft)
				}
			case explicit || types.IsUnknown(a.Type()) || a.Type().ID() == arrow.NULL || isNullLiteral(a):
				if !fieldCastable(a.Type(), ft) {
					err = errs.New(errs.CannotCoerce, "cannot cast type %s to %s in column %d", types.Name(a.Type()), types.Name(ft), i+1)
				} else if arr, ok := timetzArray(a, ft, explicit); ok {
					out[i] = arr
				} else {
					out[i] = b.coerce(a, ft)
				}
			default:
				if out[i], err = b.assign(a, ft); err != nil && !errors.Is(err, errs.CannotCoerce) {
					// PostgreSQL's record coercion names the record, not the field.
					err = errs.New(errs.CannotCoerce, "cannot cast type record to %s (cannot cast type %s to %s in column %d)", name, types.Name(a.Type()), types.Name(ft), i+1)
				}
			}
			if err != nil {
				return nil, err
			}
			rf[i] = arrow.Field{Name: "f" + strconv.Itoa(i+1), Type: ft, Nullable: true}
		}
		return retype(&planner.Func{Name: "row", Args: out, Typ: arrow.StructOf(rf...)}), nil
	}
	switch x := e.(type) {
	case *planner.Literal:
		if x.Value == nil {
			return &planner.Literal{Value: nil, Typ: st}, nil
		}
		if s, ok := x.Value.(string); ok && (types.IsUnknown(x.Typ) || explicit && types.IsVarchar(x.Typ)) {
			vals, err := parseRecordText(s)
			if err != nil {
				return nil, err
			}
			if len(vals) != st.NumFields() {
				detail := "Too few columns."
				if len(vals) > st.NumFields() {
					detail = "Too many columns."
				}
				return nil, errs.New(errs.InvalidText, "malformed record literal: %q (%s)", s, detail)
			}
			args := make([]planner.Expr, len(vals))
			for i, v := range vals {
				if v == nil {
					args[i] = &planner.Literal{Value: nil, Typ: types.Unknown}
				} else {
					args[i] = &planner.Literal{Value: *v, Typ: types.Unknown}
				}
			}
			return fields(args)
		}
	case *planner.Func:
		if x.Name == "row" {
			return fields(x.Args)
		}
	}
	if e.Type().ID() == arrow.NULL || types.IsUnknown(e.Type()) {
		return b.coerce(e, st), nil
	}
	if from, ok := e.Type().(*arrow.StructType); ok && from.NumFields() == st.NumFields() {
		same := true
		for i := range from.NumFields() {
			same = same && arrow.TypeEqual(from.Field(i).Type, st.Field(i).Type)
		}
		if same {
			if arrow.TypeEqual(from, st) {
				return e, nil
			}
			return retype(e), nil
		}
		// Field by field; a NULL record stays NULL.
		args := make([]planner.Expr, from.NumFields())
		for i := range args {
			args[i] = &planner.Func{Name: "record_field", Args: []planner.Expr{e, &planner.Literal{Value: int32(i), Typ: types.Int32}}, Typ: from.Field(i).Type}
		}
		r, err := fields(args)
		if err != nil {
			return nil, err
		}
		return &planner.Case{Whens: []planner.Expr{&planner.IsNull{E: e}}, Thens: []planner.Expr{&planner.Literal{Value: nil, Typ: st}}, Else: r, Typ: st}, nil
	}
	if explicit {
		return nil, errs.New(errs.CannotCoerce, "cannot cast type %s to %s", types.Name(e.Type()), name)
	}
	return nil, errs.New(errs.DatatypeMismatch, "column is of type %s but expression is of type %s", name, types.Name(e.Type()))
}

// parseRecordText splits PostgreSQL's record input syntax into its fields' texts, nil for
// NULL (types.ParseRecordText).
func parseRecordText(s string) ([]*string, error) { return types.ParseRecordText(s) }

// expandRecordStar expands (r).* in a select list into (r).f1, (r).f2, ..., one target per
// field of the record r, named after the fields; ok is false when n is not such an item.
func (b *binder) expandRecordStar(n *pg_query.Node, sc *scope) ([]selectTarget, bool, error) {
	ind := n.GetAIndirection()
	if ind == nil || len(ind.Indirection) == 0 || ind.Indirection[len(ind.Indirection)-1].GetAStar() == nil {
		return nil, false, nil
	}
	if ind.Arg.GetColumnRef() == nil && ind.Arg.GetAIndirection() == nil {
		return nil, false, nil
	}
	prefix := ind.Indirection[:len(ind.Indirection)-1]
	rec := ind.Arg
	if len(prefix) > 0 {
		rec = &pg_query.Node{Node: &pg_query.Node_AIndirection{AIndirection: &pg_query.A_Indirection{Arg: ind.Arg, Indirection: prefix}}}
	}
	e, err := b.expr(rec, sc, nil)
	if err != nil {
		return nil, false, nil // left to the binding of the item, which reports it
	}
	st, ok := e.Type().(*arrow.StructType)
	if !ok {
		return nil, false, nil
	}
	out := make([]selectTarget, st.NumFields())
	for i, f := range st.Fields() {
		path := append(append([]*pg_query.Node(nil), prefix...), &pg_query.Node{Node: &pg_query.Node_String_{String_: &pg_query.String{Sval: f.Name}}})
		out[i] = selectTarget{node: &pg_query.Node{Node: &pg_query.Node_AIndirection{AIndirection: &pg_query.A_Indirection{Arg: ind.Arg, Indirection: path}}}, name: f.Name}
	}
	return out, true, nil
}

// isNullLiteral reports whether e is a NULL constant (ROW(NULL, ...) holds its NULLs as
// text, which assign to a field of any type, as PostgreSQL's untyped NULL does).
func isNullLiteral(e planner.Expr) bool {
	switch x := e.(type) {
	case *planner.Literal:
		return x.Value == nil
	case *planner.Cast:
		return isNullLiteral(x.E)
	}
	return false
}
