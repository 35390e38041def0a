package sql

import (
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/sleeperd/sleeperd/catalog"
	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/function"
	"github.com/sleeperd/sleeperd/planner"
	"github.com/sleeperd/sleeperd/types"
)

// relabelReg gives e, OIDs as bigint, the object identifier type kind when it has one of its
// own (regclass, regtype, regproc, regnamespace, regrole: shown by name); the other object
// identifier types stay bigint.
func relabelReg(kind string, e planner.Expr) planner.Expr {
	if r := types.RegByName(kind); r != nil {
		return relabel(e, r)
	}
	return e
}

// regUntyped binds an untyped literal e taking the object identifier type t from the values
// beside it (ARRAY['pg_class'::regclass, 'pg_type'], COALESCE, CASE) as e::t: a name is
// looked up as t's input function reads it. ok is false when e is not an untyped literal or t
// not such a type.
func (b *binder) regUntyped(e planner.Expr, t arrow.DataType) (planner.Expr, bool, error) {
	r := types.AsReg(t)
	l, isLit := e.(*planner.Literal)
	if r == nil || !isLit || !types.IsUnknown(l.Typ) {
		return nil, false, nil
	}
	out, err := b.regCastExpr(r.Name(), e)
	if err != nil {
		return nil, true, err
	}
	return relabel(out, r), true, nil
}

// regCastOut binds e::t where e is of an object identifier type (regclass, regtype...) and t
// is not: to text types its name, as its output function writes it (an OID nothing has as its
// number); to other types the OID, as bigint. ok is false when e is of another type.
func (b *binder) regCastOut(e planner.Expr, t arrow.DataType) (planner.Expr, bool, error) {
	if a, ok := e.(*planner.Array); ok && types.AsReg(types.Elem(a.Typ)) != nil {
		return b.regArrayCastOut(a, t)
	}
	if r := types.AsReg(types.Elem(e.Type())); r != nil {
		return b.regArrayNamesOut(e, r, t)
	}
	r := types.AsReg(e.Type())
	if r == nil || types.IsReg(t) {
		return nil, false, nil
	}
	oid := relabel(e, types.Int64)
	if t.ID() != arrow.STRING || types.IsJSON(t) {
		if arrow.TypeEqual(t, types.Int64) {
			return oid, true, nil
		}
		return &planner.Cast{E: oid, To: t}, true, nil
	}
	name, err := b.regName(r.Name(), oid)
	if err != nil {
		return nil, true, err
	}
	if _, ok := types.CharLength(t); ok {
		return b.charCast(name, t, true), true, nil
	}
	return name, true, nil
}

// regArrayCastOut binds a::t where a is an array constructor of an object identifier type
// (ARRAY['pg_class'::regclass]) and t is text or text[]: the array of its elements' names, as
// the array's output function writes them. ok is false for other t.
func (b *binder) regArrayCastOut(a *planner.Array, t arrow.DataType) (planner.Expr, bool, error) {
	toArray := arrow.TypeEqual(t, types.ArrayOf(types.Text))
	if !toArray && !arrow.TypeEqual(t, types.Text) {
		return nil, false, nil
	}
	names := &planner.Array{Typ: types.ArrayOf(types.Text)}
	for _, el := range a.Elems {
		n, _, err := b.regCastOut(el, types.Text)
		if err != nil {
			return nil, true, err
		}
		names.Elems = append(names.Elems, n)
	}
	if toArray {
		return names, true, nil
	}
	return &planner.Cast{E: names, To: t}, true, nil
}

// regtypeName is the name of the type whose OID is e, as regtype output writes it.
func (b *binder) regtypeName(e planner.Expr) (planner.Expr, error) {
	out := &planner.Case{Typ: types.Text, Else: &planner.Func{Name: "format_type", Args: []planner.Expr{e, &planner.Literal{Typ: types.Int64}}, Typ: types.Text}}
	for _, oid := range []uint32{types.OIDBpchar, types.OIDRegClass, types.OIDRegType, types.OIDRegProc, types.OIDRegNamespace, types.OIDRegRole,
		types.OIDRegProcedure, types.OIDRegOper, types.OIDRegOperator} {
		for _, o := range []uint32{oid, types.RegArrayOID(oid)} {
			n, ok := types.RegtypeName(o)
			if !ok {
				continue
			}
			w, err := b.binary(planner.OpEq, e, &planner.Literal{Value: int64(o), Typ: types.Int64})
			if err != nil {
				return nil, err
			}
			out.Whens = append(out.Whens, w)
			out.Thens = append(out.Thens, &planner.Literal{Value: n, Typ: types.Text})
		}
	}
	return out, nil
}

// roleNames are the roles' names by OID, as regrole output writes them.
func roleNames() map[int64]string {
	names := map[int64]string{catalog.OIDRole: catalog.OwnerName, 6171: "pg_database_owner"}
	return names
}

// typeofOID is the OID pg_typeof gives a value of type t, whose regtype name is name: the
// OID of a built-in type whose regtype output is name. ok is false for types whose OID does
// not name them so (records, the database's composite types), which pg_typeof gives as text.
func typeofOID(t arrow.DataType, name string) (uint32, bool) {
	if types.IsUnknown(t) || t.ID() == arrow.NULL {
		return types.OIDUnknown, name == "unknown"
	}
	oid := types.PGTypeOf(t).OID
	n, ok := types.RegtypeName(oid)
	if !ok {
		n = function.FormatType(oid, -1)
	}
	return oid, n == name
}

// regBinary binds an operator with an operand of an object identifier type (regclass,
// regtype...) as the operator over OIDs (a quoted literal beside it is an oid, as
// PostgreSQL's oid operators read it). ok is false when neither operand is of such a type.
func (b *binder) regBinary(op planner.Op, l, r planner.Expr) (planner.Expr, bool, error) {
	lr, rr := types.AsReg(l.Type()), types.AsReg(r.Type())
	if lr == nil && rr == nil {
		return nil, false, nil
	}
	side := func(e planner.Expr) planner.Expr {
		if types.IsReg(e.Type()) {
			return relabel(e, types.Int64)
		}
		return e
	}
	out, err := b.binary(op, side(l), side(r))
	return out, true, err
}

// regArrayOf binds e::r[] where e is not an array constructor: an array of text (or an array
// literal, '{pg_class,pg_type}') as PostgreSQL's array input reads it with r's input, each
// name looked up (a constant now, other values per row by _reg_array_in), and an array of
// integers as the OIDs.
func (b *binder) regArrayOf(r *types.Reg, e planner.Expr) (planner.Expr, error) {
	at := types.ArrayOf(r)
	t := e.Type()
	if et := types.Elem(t); et != nil && types.IsInteger(et) {
		return relabel(b.coerce(e, types.ArrayOf(types.Int64)), at), nil
	}
	textual := func(t arrow.DataType) bool { return t.ID() == arrow.STRING && !types.IsJSON(t) }
	if !types.IsUnknown(t) && t.ID() != arrow.NULL && !textual(t) && !(types.Elem(t) != nil && textual(types.Elem(t))) {
		return nil, errs.New(errs.CannotCoerce, "cannot cast type %s to %s[]", types.Name(t), r.Name())
	}
	// An untyped literal's elements are read by the type's input function, which takes "-"
	// for InvalidOid (text[] elements are cast as text is).
	dash := types.IsUnknown(t) && function.RegDashIsInvalid(r.Name())
	e = b.coerce(e, types.ArrayOf(types.Text))
	used := map[planner.ColumnID]bool{}
	planner.ColumnsUsed(e, used)
	if len(used) == 0 && !hasParam(e) {
		// A constant: looked up now.
		l, err := planner.Eval(b.ctx, e)
		if err != nil {
			return nil, err
		}
		elems, ok := l.Value.([]any)
		if !ok {
			return &planner.Literal{Typ: at}, nil
		}
		out := &planner.Array{Typ: at}
		for _, el := range elems {
			oid := &planner.Literal{Typ: r}
			if s, ok := el.(string); ok && s == "-" && dash {
				oid.Value = int64(0)
			} else if ok {
				n, err := b.lookupOID(r.Name(), s)
				if err != nil {
					return nil, err
				}
				oid.Value = n
			}
			out.Elems = append(out.Elems, oid)
		}
		return out, nil
	}
	names, oids, err := b.regNamesList(r.Name())
	if err != nil {
		return nil, err
	}
	return &planner.Func{Name: "_reg_array_in", Args: []planner.Expr{
		&planner.Literal{Value: r.Name(), Typ: types.Text}, e,
		&planner.Literal{Value: names, Typ: types.ArrayOf(types.Text)},
		&planner.Literal{Value: oids, Typ: types.ArrayOf(types.Int64)},
	}, Typ: at}, nil
}

// regNamesList are the names values of the object identifier type kind are read from and
// the OIDs they give, for _reg_array_in (regtype reads its names when the row is computed).
func (b *binder) regNamesList(kind string) (names, oids []any, err error) {
	add := func(oid int64, ns ...string) {
		for _, n := range ns {
			names, oids = append(names, n), append(oids, oid)
		}
	}
	// The database's name and, for relations, the schemas, by keys no quoted name has
	// (function.RegNameIn).
	add(catalog.OIDDatabase, " database "+catalog.DatabaseName)
	switch kind {
	case "regclass":
		for _, n := range []string{catalog.PGCatalogSchema, catalog.PublicSchema, catalog.InformationSchemaSchema, catalog.SystemSchema} {
			add(0, " schema "+n)
		}
		rels, err := b.relationNames()
		if err != nil {
			return nil, nil, err
		}
		for oid, n := range rels {
			add(oid, n, catalog.PublicSchema+"."+n)
		}
		for n := range catalog.PGCatalogTables {
			add(catalog.PGSystemTableOID(catalog.PGCatalogSchema, n), n, catalog.PGCatalogSchema+"."+n)
		}
		for n := range catalog.InformationSchemaTables {
			add(catalog.PGSystemTableOID(catalog.InformationSchemaSchema, n), catalog.InformationSchemaSchema+"."+function.QuoteIdent(n))
		}
	case "regnamespace":
		add(catalog.OIDPGCatalogNS, catalog.PGCatalogSchema)
		add(catalog.OIDPublicNS, catalog.PublicSchema)
		add(catalog.OIDInfoSchemaNS, catalog.InformationSchemaSchema)
		add(catalog.OIDSleeperNS, catalog.SystemSchema)
	case "regproc":
		for _, p := range function.PGProcs {
			q := function.QuoteIdent(p.Name)
			add(int64(p.OID), q, catalog.PGCatalogSchema+"."+q)
		}
	case "regrole":
		add(catalog.OIDRole, catalog.OwnerName)
	}
	return names, oids, nil
}

// regArrayNamesOut binds e::t where e is an array of the object identifier type r computed per
// row (a text array cast to regclass[]) and t is text or text[]: the names of its elements,
// as the array's output function writes them (_reg_array_names). ok is false for other t.
func (b *binder) regArrayNamesOut(e planner.Expr, r *types.Reg, t arrow.DataType) (planner.Expr, bool, error) {
	toArray := arrow.TypeEqual(t, types.ArrayOf(types.Text))
	if !toArray && !arrow.TypeEqual(t, types.Text) {
		return nil, false, nil
	}
	var oids, names []any
	if r != types.RegType {
		byOID, err := b.regOIDNames(r.Name())
		if err != nil {
			return nil, true, err
		}
		for oid, n := range byOID {
			oids, names = append(oids, oid), append(names, n)
		}
	}
	out := planner.Expr(&planner.Func{Name: "_reg_array_names", Args: []planner.Expr{
		&planner.Literal{Value: r.Name(), Typ: types.Text}, e,
		&planner.Literal{Value: oids, Typ: types.ArrayOf(types.Int64)},
		&planner.Literal{Value: names, Typ: types.ArrayOf(types.Text)},
	}, Typ: types.ArrayOf(types.Text)})
	if !toArray {
		out = &planner.Cast{E: out, To: t}
	}
	return out, true, nil
}

// regParam binds parameter idx declared of type t, an object identifier type (regclass...)
// or an array of one (regclass[]...): the value is taken as text, as the type's input
// function reads it (a name, or a number as the OID; the wire protocol's binary OIDs come as
// their numbers), and is of type t. ok is false for other types.
func (b *binder) regParam(idx int, t arrow.DataType) (planner.Expr, bool, error) {
	if r := types.AsReg(types.Elem(t)); r != nil && types.IsArray(t) {
		out, err := b.regArrayOf(r, &planner.Param{Index: idx, Typ: types.ArrayOf(types.Text)})
		return out, true, err
	}
	r := types.AsReg(t)
	if r == nil {
		return nil, false, nil
	}
	names, oids, err := b.regNamesList(r.Name())
	if err != nil {
		return nil, true, err
	}
	return relabel(&planner.Func{Name: "_reg_scalar_in", Args: []planner.Expr{
		&planner.Literal{Value: r.Name(), Typ: types.Text}, &planner.Param{Index: idx, Typ: types.Text},
		&planner.Literal{Value: names, Typ: types.ArrayOf(types.Text)},
		&planner.Literal{Value: oids, Typ: types.ArrayOf(types.Int64)},
	}, Typ: types.Int64}, r), true, nil
}

// ResolveParamType is the type a declared parameter's type name names (PREPARE name(types)):
// as ResolveType, and also the object identifier types (regclass...) and their arrays, which a
// parameter may have (regParam) but a table's column not.
func ResolveParamType(tn *pg_query.TypeName) (arrow.DataType, error) {
	if len(tn.Names) > 0 {
		if s := tn.Names[len(tn.Names)-1].GetString_(); s != nil {
			if r := types.RegByName(strings.ToLower(s.Sval)); r != nil {
				if len(tn.ArrayBounds) > 0 {
					return types.ArrayOf(r), nil
				}
				return r, nil
			}
		}
	}
	return ResolveType(tn)
}
