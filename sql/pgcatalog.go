package sql

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync/atomic"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sleeperd/sleeperd/catalog"
	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/exec"
	"github.com/sleeperd/sleeperd/function"
	"github.com/sleeperd/sleeperd/planner"
	"github.com/sleeperd/sleeperd/types"
)

// ServerVersion is the version() string's PostgreSQL part; the binary sets VersionSuffix.
var (
	ServerVersion = "PostgreSQL 15.0"
	VersionSuffix = "sleeperd"
)

// Lister is what the pg_catalog functions that describe objects (pg_get_indexdef,
// pg_get_viewdef, ::regclass) need beyond Catalog: every table, view and index. A Catalog
// without it describes nothing.
type Lister interface {
	Tables(ctx context.Context) ([]*catalog.Table, error)
	Views(ctx context.Context) ([]*catalog.View, error)
	AllIndexes(ctx context.Context) ([]*catalog.Index, error)
}

// pgSystemTable binds a table of pg_catalog or information_schema; ok is false when rv names
// none (an unqualified name that is not one of pg_catalog's).
func (b *binder) pgSystemTable(rv *pg_query.RangeVar) (planner.Node, *scope, bool, error) {
	schema := rv.Schemaname
	if schema == "" {
		schema = catalog.PGCatalogSchema
	}
	s, ok := catalog.PGSystemTable(schema, rv.Relname)
	if !ok {
		if rv.Schemaname == "" {
			return nil, nil, false, nil
		}
		return nil, nil, true, &errs.Error{Kind: errs.UndefinedTable, Msg: fmt.Sprintf("relation \"%s.%s\" does not exist", rv.Schemaname, rv.Relname), Position: int(rv.Location) + 1}
	}
	n := &planner.System{Name: schema + "." + rv.Relname}
	for _, f := range s.Fields() {
		n.Cols = append(n.Cols, b.newColumn(f.Name, f.Type))
	}
	sc, err := relationScope(aliasName(rv.Alias, rv.Relname), n.Cols, rv.Alias)
	return n, sc, true, err
}

// isPGSystemSchema reports whether schema is pg_catalog or information_schema.
func isPGSystemSchema(schema string) bool {
	return schema == catalog.PGCatalogSchema || schema == catalog.InformationSchemaSchema
}

var txid atomic.Int64

// regTypes are the object identifier types: OIDs as bigint, like oid (types.Reg for those
// shown by name).
var regTypes = map[string]bool{"oid": true, "regclass": true, "regtype": true, "regproc": true,
	"regprocedure": true, "regnamespace": true, "regrole": true, "regoper": true, "regoperator": true, "xid": true, "cid": true, "tid": true}

// regCast binds a cast to an object identifier type: 'name'::regclass looks the relation up,
// 'name'::regtype the type, 'name'::regnamespace the schema; other values are oids already.
func (b *binder) regCast(tc *pg_query.TypeCast, sc *scope, agg *aggContext) (planner.Expr, bool, error) {
	var names []string
	for _, n := range tc.TypeName.Names {
		if s := n.GetString_(); s != nil {
			names = append(names, s.Sval)
		}
	}
	if len(names) == 0 {
		return nil, false, nil
	}
	kind := strings.ToLower(names[len(names)-1])
	if len(tc.TypeName.ArrayBounds) > 0 {
		return b.regArrayCast(tc, kind, sc, agg)
	}
	// (An object identifier shown as text is the object's name, as its output function
	// writes it: regCastOut.)
	if !regTypes[kind] {
		return nil, false, nil
	}
	e, err := b.expr(tc.Arg, sc, agg)
	if err != nil {
		return nil, true, err
	}
	out, err := b.regCastExpr(kind, e)
	if out != nil && err == nil {
		out = relabelReg(kind, out)
	}
	return out, true, err
}

// regArrayCast binds e::kind[], kind regclass, regtype, regproc, regnamespace or regrole:
// ARRAY[e1, ...]::kind[] as the array of each element cast to kind, other values by
// regArrayOf. ok is false for other types.
func (b *binder) regArrayCast(tc *pg_query.TypeCast, kind string, sc *scope, agg *aggContext) (planner.Expr, bool, error) {
	r := types.RegByName(kind)
	if r == nil {
		return nil, false, nil
	}
	if len(tc.TypeName.ArrayBounds) != 1 {
		return nil, true, errs.New(errs.NotImplemented, "multidimensional arrays are not supported")
	}
	ae := tc.Arg.GetAArrayExpr()
	if ae == nil {
		e, err := b.expr(tc.Arg, sc, agg)
		if err != nil {
			return nil, true, err
		}
		out, err := b.regArrayOf(r, e)
		return out, true, err
	}
	out := &planner.Array{Typ: types.ArrayOf(r)}
	elemType := &pg_query.TypeName{Names: tc.TypeName.Names, Location: tc.TypeName.Location}
	for _, el := range ae.Elements {
		if el.GetAArrayExpr() != nil {
			return nil, true, errs.New(errs.NotImplemented, "multidimensional arrays are not supported")
		}
		e, err := b.expr(&pg_query.Node{Node: &pg_query.Node_TypeCast{TypeCast: &pg_query.TypeCast{Arg: el, TypeName: elemType, Location: tc.Location}}}, sc, agg)
		if err != nil {
			return nil, true, err
		}
		out.Elems = append(out.Elems, e)
	}
	return out, true, nil
}

// regCastExpr binds e::kind, kind an object identifier type, as an expression of OIDs
// (bigint).
func (b *binder) regCastExpr(kind string, e planner.Expr) (planner.Expr, error) {
	if types.IsReg(e.Type()) {
		e = relabel(e, types.Int64)
	}
	if l, ok := e.(*planner.Literal); ok {
		if s, ok := l.Value.(string); ok && (types.IsUnknown(l.Typ) || l.Typ.ID() == arrow.STRING) {
			if s == "-" && types.IsUnknown(l.Typ) && function.RegDashIsInvalid(kind) {
				// InvalidOid, as the type's input function reads what its output writes
				// for it (text::regclass takes no "-").
				return &planner.Literal{Value: int64(0), Typ: types.Int64}, nil
			}
			lookup := b.lookupOID
			if kind == "regclass" && !types.IsUnknown(l.Typ) {
				lookup = b.lookupName // text::regclass, PostgreSQL's text_regclass: names only
			}
			oid, err := lookup(kind, s)
			if err != nil {
				return nil, err
			}
			return &planner.Literal{Value: oid, Typ: types.Int64}, nil
		}
	}
	perRow := function.IsRegProcOper(kind)
	if p, ok := e.(*planner.Param); ok && types.IsUnknown(p.Typ) && (kind == "regclass" || kind == "regtype" || perRow) {
		// A parameter of a name, as clients send 't' for $1::regclass: read as text and
		// looked up when it is bound.
		e = b.coerce(e, types.Text)
	}
	if types.IsUnknown(e.Type()) || types.IsInteger(e.Type()) || e.Type().ID() == arrow.NULL {
		return b.coerce(e, types.Int64), nil
	}
	if (kind == "regclass" || kind == "regproc" || kind == "regnamespace" || kind == "regrole") && e.Type().ID() == arrow.STRING && !types.IsJSON(e.Type()) {
		return b.regNameOfText(kind, e)
	}
	if kind == "regtype" && e.Type().ID() == arrow.STRING {
		return b.regtypeOfText(e)
	}
	if perRow && e.Type().ID() == arrow.STRING && !types.IsJSON(e.Type()) {
		// regprocedure, regoper, regoperator: read per row by their input functions.
		return &planner.Func{Name: "_reg_in", Args: []planner.Expr{&planner.Literal{Value: kind, Typ: types.Text}, e}, Typ: types.Int64}, nil
	}
	return nil, errs.New(errs.CannotCoerce, "cannot cast type %s to %s", types.Name(e.Type()), kind)
}

// regNameOfText binds text::kind, kind regclass, regproc, regnamespace or regrole, for text
// computed per row: the OID of the object the text names, as the type's input function reads
// it (function.RegNameIn; a number all digits as the OID, except for regclass, which
// PostgreSQL's text_regclass reads as a name), NULL for NULL, and an error for a name
// nothing has. A constant is looked up now.
func (b *binder) regNameOfText(kind string, e planner.Expr) (planner.Expr, error) {
	used := map[planner.ColumnID]bool{}
	planner.ColumnsUsed(e, used)
	if len(used) == 0 {
		// A constant: looked up now.
		if l, err := planner.Eval(b.ctx, e); err == nil {
			if s, ok := l.Value.(string); ok {
				lookup := b.lookupOID
				if kind == "regclass" {
					lookup = b.lookupName
				}
				oid, err := lookup(kind, s)
				if err != nil {
					return nil, err
				}
				return &planner.Literal{Value: oid, Typ: types.Int64}, nil
			}
			if l.Value == nil {
				return &planner.Literal{Typ: types.Int64}, nil
			}
		}
	}
	names, oids, err := b.regNamesList(kind)
	if err != nil {
		return nil, err
	}
	fn := "_reg_scalar_in"
	if kind == "regclass" {
		fn = "_text_regclass"
	}
	return &planner.Func{Name: fn, Args: []planner.Expr{
		&planner.Literal{Value: kind, Typ: types.Text}, e,
		&planner.Literal{Value: names, Typ: types.ArrayOf(types.Text)},
		&planner.Literal{Value: oids, Typ: types.ArrayOf(types.Int64)},
	}, Typ: types.Int64}, nil
}

// relationNames are the names of the relations of the public schema by OID, as regclass
// writes them.
func (b *binder) relationNames() (map[int64]string, error) {
	names := map[int64]string{}
	l, ok := b.cat.(Lister)
	if !ok {
		return names, nil
	}
	tables, err := l.Tables(b.ctx)
	if err != nil {
		return nil, err
	}
	for _, t := range tables {
		names[catalog.RelationOID(t.ID)] = function.QuoteIdent(t.Name)
		if len(t.KeyColumns()) > 0 {
			names[catalog.PrimaryKeyOID(t.ID)] = function.QuoteIdent(catalog.PrimaryKeyName(t.Name))
		}
	}
	views, err := l.Views(b.ctx)
	if err != nil {
		return nil, err
	}
	for _, v := range views {
		names[catalog.ViewOID(v.Name)] = function.QuoteIdent(v.Name)
	}
	ixs, err := l.AllIndexes(b.ctx)
	if err != nil {
		return nil, err
	}
	for _, ix := range ixs {
		names[catalog.IndexOID(ix.Name)] = function.QuoteIdent(ix.Name)
	}
	return names, nil
}

// lookupOID is the OID of the object s names as a value of type kind.
func (b *binder) lookupOID(kind, s string) (int64, error) {
	if kind == "oid" {
		return oidIn(s)
	}
	if s != "" && strings.TrimLeft(s, "0123456789") == "" {
		// All digits: an OID, as oidin reads it.
		n, err := strconv.ParseUint(s, 10, 32)
		if err != nil {
			return 0, errs.New(errs.NumericRange, "value \"%s\" is out of range for type oid", s)
		}
		return int64(n), nil
	}
	return b.lookupName(kind, s)
}

// oidIn reads s as PostgreSQL's oidin does (strtoul): spaces around it, a sign, digits; a
// negative number down to -2147483648 wraps as a 32-bit integer would ('-1' is 4294967295).
func oidIn(s string) (int64, error) {
	const space = " \t\n\r\f\v"
	t := strings.TrimLeft(s, space)
	neg := false
	if t != "" && (t[0] == '+' || t[0] == '-') {
		neg = t[0] == '-'
		t = t[1:]
	}
	digits := strings.TrimRight(t, space)
	if digits == "" || strings.TrimLeft(digits, "0123456789") != "" {
		return 0, errs.New(errs.InvalidText, "invalid input syntax for type oid: \"%s\"", s)
	}
	n, err := strconv.ParseUint(digits, 10, 64)
	switch {
	case err != nil, !neg && n > math.MaxUint32, neg && n > 1<<31:
		return 0, errs.New(errs.NumericRange, "value \"%s\" is out of range for type oid", s)
	case neg:
		return int64(uint32(-int64(n))), nil
	}
	return int64(n), nil
}

// lookupName is the OID of the object s names as a value of type kind, s read as a name
// even when it is a number (as text::regclass reads it: '1259'::text::regclass is the
// relation named 1259).
func (b *binder) lookupName(kind, s string) (int64, error) {
	if oid, ok, err := function.RegOIDIn(kind, s, b.typeOIDs()); ok {
		return oid, err
	}
	switch kind {
	case "regtype":
		oid, err := exec.RegtypeOID(s, b.typeOIDs())
		return int64(oid), err
	case "regproc", "regnamespace", "regrole":
		// Read from the same names as a value computed per row is (_reg_scalar_in).
		names, oids, err := b.regNamesList(kind)
		if err != nil {
			return 0, err
		}
		byName := make(map[string][]int64, len(names))
		for i, n := range names {
			byName[n.(string)] = append(byName[n.(string)], oids[i].(int64))
		}
		return function.RegNameIn(kind, s, byName)
	case "regclass":
	default:
		return 0, errs.New(errs.InvalidText, "invalid input syntax for type %s: \"%s\"", kind, s)
	}
	parts, err := function.NameParts(kind, s, func(n string) bool { return n == catalog.DatabaseName })
	if err != nil {
		return 0, err
	}
	name, schema := parts[len(parts)-1], ""
	if len(parts) == 2 {
		schema = parts[0]
	}
	missing := errs.New(errs.UndefinedTable, "relation \"%s\" does not exist", strings.Join(parts, "."))
	if schema == "" || isPGSystemSchema(schema) {
		sch := schema
		if sch == "" {
			sch = catalog.PGCatalogSchema
		}
		if _, ok := catalog.PGSystemTable(sch, name); ok {
			return catalog.PGSystemTableOID(sch, name), nil
		}
	}
	switch schema {
	case "", catalog.PublicSchema:
	case catalog.PGCatalogSchema, catalog.InformationSchemaSchema, catalog.SystemSchema:
		return 0, missing
	default:
		return 0, errs.New(errs.InvalidSchemaName, "schema \"%s\" does not exist", schema)
	}
	if v, ok, err := b.cat.View(b.ctx, name); err == nil && ok {
		return catalog.ViewOID(v.Name), nil
	}
	if t, err := b.cat.Table(b.ctx, name); err == nil {
		return catalog.RelationOID(t.ID), nil
	}
	if l, ok := b.cat.(Lister); ok {
		if ixs, err := l.AllIndexes(b.ctx); err == nil {
			for _, ix := range ixs {
				if ix.Name == name {
					return catalog.IndexOID(ix.Name), nil
				}
			}
		}
		if ts, err := l.Tables(b.ctx); err == nil {
			for _, t := range ts {
				if catalog.PrimaryKeyName(t.Name) == name && len(t.KeyColumns()) > 0 {
					return catalog.PrimaryKeyOID(t.ID), nil
				}
			}
		}
	}
	return 0, missing
}

// sessionFunc binds the functions about the session and the server that have no arguments
// to evaluate per row (version(), current_database(), ...); ok is false for other names.
func (b *binder) sessionFunc(name string, fc *pg_query.FuncCall, sc *scope, agg *aggContext) (planner.Expr, bool, error) {
	text := func(s string) (planner.Expr, bool, error) {
		return &planner.Literal{Value: s, Typ: types.Text}, true, nil
	}
	switch name {
	case "version":
		return text(fmt.Sprintf("%s on %s (%s)", ServerVersion, "x86_64-pc-linux-gnu", VersionSuffix))
	case "current_database", "current_catalog":
		return text(catalog.DatabaseName)
	case "current_schema":
		return text(catalog.PublicSchema)
	case "current_user", "session_user", "current_role", "user":
		// Evaluated by each execution, from the session's settings (exec.SessionSettings):
		// without SET ROLE the current user is always the session's.
		return &planner.Func{Name: "current_user", Typ: types.Text}, true, nil
	case "txid_current", "pg_current_xact_id":
		return &planner.Literal{Value: txid.Add(1), Typ: types.Int64}, true, nil
	case "current_schemas":
		return &planner.Literal{Value: []any{catalog.PGCatalogSchema, catalog.PublicSchema}, Typ: types.ArrayOf(types.Text)}, true, nil
	case "pg_get_indexdef", "pg_get_constraintdef", "pg_get_viewdef", "obj_description", "col_description", "shobj_description":
		return b.describeFunc(name, fc, sc, agg)
	case "pg_get_serial_sequence":
		return b.serialSequence(fc, sc, agg)
	case "pg_typeof":
		return b.typeofCall(fc, sc, agg)
	case "to_regclass", "to_regtype", "to_regproc", "to_regprocedure", "to_regoper", "to_regoperator", "to_regnamespace", "to_regrole":
		return b.toRegCall(name, fc, sc, agg)
	case "pg_relation_size", "pg_table_size", "pg_indexes_size", "pg_total_relation_size":
		return b.relationSize(name, fc, sc, agg)
	}
	return nil, false, nil
}

// serialSequence is a column that owns a sequence (serial or identity): its table's OID, its
// name and the sequence's qualified name, as pg_get_serial_sequence returns it.
type serialSequence struct {
	table    int64
	column   string
	sequence string
}

// SequenceLister is the part of a Catalog that lists sequences, for pg_get_serial_sequence.
type SequenceLister interface {
	Sequences(ctx context.Context) ([]*catalog.Sequence, error)
}

// serialSequences lists the columns that own a sequence (serial and identity columns), from
// the catalog's sequences and the tables that own them.
func (b *binder) serialSequences() ([]serialSequence, error) {
	sl, ok := b.cat.(SequenceLister)
	if !ok {
		return nil, nil
	}
	seqs, err := sl.Sequences(b.ctx)
	if err != nil {
		return nil, err
	}
	var out []serialSequence
	for _, s := range seqs {
		if s.OwnedByTable == "" || s.OwnedByColumn == "" {
			continue
		}
		t, err := b.cat.Table(b.ctx, s.OwnedByTable)
		if err != nil {
			continue // the owner is gone; the sequence goes with it
		}
		out = append(out, serialSequence{table: catalog.RelationOID(t.ID), column: s.OwnedByColumn, sequence: catalog.PublicSchema + "." + function.QuoteIdent(s.Name)})
	}
	return out, nil
}

// serialSequence binds pg_get_serial_sequence(table, column): the sequence the column owns,
// NULL when it owns none, as a CASE over the columns that own one. table is a possibly
// qualified and quoted name (a regclass's text), column a column's name as it is. A constant
// table that does not exist fails, as in PostgreSQL.
func (b *binder) serialSequence(fc *pg_query.FuncCall, sc *scope, agg *aggContext) (planner.Expr, bool, error) {
	if len(fc.Args) != 2 {
		return nil, true, errs.New(errs.UndefinedFunction, "function pg_get_serial_sequence with %d arguments does not exist", len(fc.Args))
	}
	var args [2]planner.Expr
	for i, a := range fc.Args {
		e, err := b.expr(a, sc, agg)
		if err != nil {
			return nil, true, err
		}
		if !types.IsUnknown(e.Type()) && e.Type().ID() != arrow.STRING {
			return nil, true, errs.New(errs.UndefinedFunction, "function pg_get_serial_sequence(%s) does not exist", types.Name(e.Type()))
		}
		args[i] = b.coerce(e, types.Text)
	}
	var tableOID planner.Expr
	if lit, ok := fc.Args[0].GetAConst().GetVal().(*pg_query.A_Const_Sval); ok {
		oid, err := b.lookupOID("regclass", lit.Sval.Sval)
		if err != nil {
			return nil, true, err
		}
		tableOID = &planner.Literal{Value: oid, Typ: types.Int64}
	}
	seqs, err := b.serialSequences()
	if err != nil {
		return nil, true, err
	}
	out := &planner.Case{Typ: types.Text}
	for _, s := range seqs {
		var sameTable planner.Expr
		if tableOID != nil {
			sameTable = &planner.Binary{Op: planner.OpEq, L: tableOID, R: &planner.Literal{Value: s.table, Typ: types.Int64}, Typ: types.Bool}
		} else {
			// A table named by an expression: compared by the regclass text of the table.
			name, err := b.regName("regclass", &planner.Literal{Value: s.table, Typ: types.Int64})
			if err != nil {
				return nil, true, err
			}
			sameTable = &planner.Binary{Op: planner.OpEq, L: args[0], R: name, Typ: types.Bool}
		}
		sameColumn := &planner.Binary{Op: planner.OpEq, L: args[1], R: &planner.Literal{Value: s.column, Typ: types.Text}, Typ: types.Bool}
		out.Whens = append(out.Whens, planner.And([]planner.Expr{sameTable, sameColumn}))
		out.Thens = append(out.Thens, &planner.Literal{Value: s.sequence, Typ: types.Text})
	}
	if len(out.Whens) == 0 {
		return &planner.Literal{Typ: types.Text}, true, nil
	}
	return out, true, nil
}

// describeFunc binds the functions that describe an object by OID as a CASE over the
// objects the catalog holds now.
func (b *binder) describeFunc(name string, fc *pg_query.FuncCall, sc *scope, agg *aggContext) (planner.Expr, bool, error) {
	if len(fc.Args) == 0 {
		return nil, true, errs.New(errs.UndefinedFunction, "function %s() does not exist", name)
	}
	arg, err := b.expr(fc.Args[0], sc, agg)
	if err != nil {
		return nil, true, err
	}
	var colArg planner.Expr // pg_get_indexdef(index, column, pretty): column > 0 names a column
	for i, a := range fc.Args[1:] {
		e, err := b.expr(a, sc, agg)
		if err != nil {
			return nil, true, err
		}
		if i == 0 && name == "pg_get_indexdef" && len(fc.Args) == 3 {
			colArg = b.coerce(e, types.Int64)
		}
	}
	// colDefs are the columns of each index, for pg_get_indexdef(index, column, pretty).
	colDefs := map[int64][]string{}
	if name == "obj_description" && len(fc.Args) == 2 {
		// A built-in function's description is PostgreSQL's.
		if c, ok := fc.Args[1].GetAConst().GetVal().(*pg_query.A_Const_Sval); ok && c.Sval.Sval == "pg_proc" {
			return &planner.Func{Name: "_pg_proc_description", Args: []planner.Expr{b.coerce(arg, types.Int64)}, Typ: types.Text}, true, nil
		}
	}
	if name == "obj_description" || name == "col_description" || name == "shobj_description" {
		return b.commentFunc(name, arg, fc, sc, agg) // comments.go
	}
	byName := false
	if name == "pg_get_viewdef" && (arg.Type().ID() == arrow.STRING) {
		byName = true
	} else {
		arg = b.coerce(arg, types.Int64)
	}
	defs := map[int64]string{}
	names := map[string]string{}
	l, ok := b.cat.(Lister)
	if ok {
		tables, err := l.Tables(b.ctx)
		if err != nil {
			return nil, true, err
		}
		for _, t := range tables {
			cols := t.PrimaryKeyColumns()
			if len(cols) == 0 {
				continue
			}
			switch name {
			case "pg_get_indexdef":
				colDefs[catalog.PrimaryKeyOID(t.ID)] = cols
				defs[catalog.PrimaryKeyOID(t.ID)] = t.PrimaryKeyDef()
			case "pg_get_constraintdef":
				defs[catalog.PrimaryKeyConstraintOID(t.ID)] = fmt.Sprintf("PRIMARY KEY (%s)", strings.Join(cols, ", "))
			}
		}
		if name == "pg_get_indexdef" {
			ixs, err := l.AllIndexes(b.ctx)
			if err != nil {
				return nil, true, err
			}
			for _, ix := range ixs {
				colDefs[catalog.IndexOID(ix.Name)] = ix.DefColumns()
				defs[catalog.IndexOID(ix.Name)] = ix.Def()
			}
		}
		if name == "pg_get_viewdef" {
			views, err := l.Views(b.ctx)
			if err != nil {
				return nil, true, err
			}
			for _, v := range views {
				defs[catalog.ViewOID(v.Name)] = " " + v.SQL + ";"
				names[v.Name] = " " + v.SQL + ";"
			}
		}
	}
	if len(fc.Args) == 3 && name == "pg_get_indexdef" {
		// Pretty-printed, names visible on the search path are not qualified.
		if c := fc.Args[2].GetAConst(); c != nil && c.GetBoolval() != nil && c.GetBoolval().Boolval {
			for oid, d := range defs {
				defs[oid] = strings.Replace(d, " ON public.", " ON ", 1)
			}
		}
	}
	out := &planner.Case{Typ: types.Text}
	if byName {
		for n, d := range names {
			w, err := b.binary(planner.OpEq, arg, &planner.Literal{Value: n, Typ: types.Text})
			if err != nil {
				return nil, true, err
			}
			out.Whens = append(out.Whens, w)
			out.Thens = append(out.Thens, &planner.Literal{Value: d, Typ: types.Text})
		}
	} else {
		if colArg != nil {
			for oid, cols := range colDefs {
				for i, c := range cols {
					w1, err := b.binary(planner.OpEq, arg, &planner.Literal{Value: oid, Typ: types.Int64})
					if err != nil {
						return nil, true, err
					}
					w2, err := b.binary(planner.OpEq, colArg, &planner.Literal{Value: int64(i + 1), Typ: types.Int64})
					if err != nil {
						return nil, true, err
					}
					out.Whens = append(out.Whens, planner.And([]planner.Expr{w1, w2}))
					out.Thens = append(out.Thens, &planner.Literal{Value: c, Typ: types.Text})
				}
			}
		}
		for oid, d := range defs {
			w, err := b.binary(planner.OpEq, arg, &planner.Literal{Value: oid, Typ: types.Int64})
			if err != nil {
				return nil, true, err
			}
			out.Whens = append(out.Whens, w)
			out.Thens = append(out.Thens, &planner.Literal{Value: d, Typ: types.Text})
		}
	}
	if len(out.Whens) == 0 {
		return &planner.Literal{Typ: types.Text}, true, nil
	}
	return out, true, nil
}

// regexOp binds the regular expression match operators ~, ~*, !~ and !~*, and [NOT]
// SIMILAR TO, which the parser gives as ~ over similar_to_escape(pattern [, escape]).
func (b *binder) regexOp(a *pg_query.A_Expr, op string, sc *scope, agg *aggContext) (planner.Expr, bool, error) {
	if a.Kind != pg_query.A_Expr_Kind_AEXPR_OP && a.Kind != pg_query.A_Expr_Kind_AEXPR_SIMILAR || a.Lexpr == nil {
		return nil, false, nil
	}
	var fn string
	switch op {
	case "&", "|", "#", "<<", ">>":
		return b.bitwiseOp(a, op, sc, agg)
	case "~", "!~":
		fn = "textregexeq"
	case "~*", "!~*":
		fn = "texticregexeq"
	default:
		return nil, false, nil
	}
	l, r, err := b.operands(a, sc, agg)
	if err != nil {
		return nil, true, err
	}
	args := []planner.Expr{l, r}
	for i, e := range args {
		if types.IsUnknown(e.Type()) || e.Type().ID() == arrow.NULL {
			e = b.coerce(e, types.Text)
		}
		if !textLike(e.Type()) && e.Type().ID() != arrow.STRING {
			return nil, true, errs.New(errs.UndefinedFunction, "operator does not exist: %s %s %s", types.Name(l.Type()), op, types.Name(r.Type()))
		}
		args[i] = e
	}
	var e planner.Expr = &planner.Func{Name: fn, Args: args, Typ: types.Bool}
	if op[0] == '!' {
		e = &planner.Not{E: e}
	}
	return e, true, nil
}

// emptyCatalogTables are the pg_catalog tables that never have rows here.
var emptyCatalogTables = map[string]bool{"pg_policy": true, "pg_statistic_ext": true, "pg_publication": true,
	"pg_publication_namespace": true, "pg_publication_rel": true, "pg_trigger": true, "pg_rewrite": true,
	"pg_sequence": true, "pg_foreign_table": true, "pg_enum": true, "pg_range": true, "pg_inherits": true,
	"pg_description": true, "pg_auth_members": true}

// emptyCatalogFrom reports whether a SELECT without aggregates reads, through inner joins
// only, a pg_catalog table that never has rows: its result has none, whatever its select list.
func emptyCatalogFrom(sel *pg_query.SelectStmt) bool {
	if len(sel.GroupClause) > 0 || sel.HavingClause != nil {
		return false
	}
	for _, t := range sel.TargetList {
		rt := t.GetResTarget()
		if rt == nil || containsAggregate(rt.Val) {
			return false
		}
		if cr := rt.Val.GetColumnRef(); cr != nil && isStar(cr) {
			return false
		}
	}
	var empty func(n *pg_query.Node) bool
	empty = func(n *pg_query.Node) bool {
		if rv := n.GetRangeVar(); rv != nil {
			return (rv.Schemaname == "" || rv.Schemaname == catalog.PGCatalogSchema) && emptyCatalogTables[rv.Relname]
		}
		if j := n.GetJoinExpr(); j != nil && j.Jointype == pg_query.JoinType_JOIN_INNER {
			return empty(j.Larg) || empty(j.Rarg)
		}
		if j := n.GetJoinExpr(); j != nil && j.Jointype == pg_query.JoinType_JOIN_LEFT {
			return empty(j.Larg)
		}
		return false
	}
	for _, f := range sel.FromClause {
		if empty(f) {
			return true
		}
	}
	return false
}

// emptySelect binds a SELECT emptyCatalogFrom found to have no rows, when its select list
// uses what the binder does not support yet (correlated array subqueries in psql's queries
// over pg_policy and pg_publication): no rows, its columns named as PostgreSQL names them,
// typed text.
func (b *binder) emptySelect(sel *pg_query.SelectStmt) (planner.Node, []string, error) {
	n := &planner.Values{Rows: [][]planner.Expr{nil}}
	var names []string
	for _, t := range sel.TargetList {
		rt := t.GetResTarget()
		name := rt.Name
		if name == "" {
			name = columnName(rt.Val)
		}
		names = append(names, name)
		n.Cols = append(n.Cols, b.newColumn(name, types.Text))
		n.Rows[0] = append(n.Rows[0], &planner.Literal{Typ: types.Text})
	}
	return &planner.Limit{Input: n, Count: 0}, names, nil
}

// regName is the name of the object whose OID e is, as text: a relation's for regclass, a
// type's for regtype, a schema's for regnamespace; the OID itself when nothing has it.
func (b *binder) regName(kind string, e planner.Expr) (planner.Expr, error) {
	if kind == "regtype" {
		return b.regtypeName(e)
	}
	if function.IsRegProcOper(kind) {
		// regprocedure, regoper, regoperator: named per row by their output functions.
		return &planner.Func{Name: "_reg_out", Args: []planner.Expr{&planner.Literal{Value: kind, Typ: types.Text}, e}, Typ: types.Text}, nil
	}
	names, err := b.regOIDNames(kind)
	if err != nil {
		return nil, err
	}
	out := &planner.Case{Typ: types.Text, Else: &planner.Cast{E: e, To: types.Text}}
	for oid, n := range names {
		w, err := b.binary(planner.OpEq, e, &planner.Literal{Value: oid, Typ: types.Int64})
		if err != nil {
			return nil, err
		}
		out.Whens = append(out.Whens, w)
		out.Thens = append(out.Thens, &planner.Literal{Value: n, Typ: types.Text})
	}
	return out, nil
}

// isExpandArray reports whether fc calls information_schema._pg_expandarray.
func isExpandArray(fc *pg_query.FuncCall) bool {
	return fc != nil && len(fc.Args) == 1 && len(fc.Funcname) == 2 &&
		fc.Funcname[0].GetString_().GetSval() == catalog.InformationSchemaSchema &&
		fc.Funcname[1].GetString_().GetSval() == "_pg_expandarray"
}

// expandArray binds information_schema._pg_expandarray(a), the set-returning function of
// (x, n) pairs JDBC's metadata queries use, in a select list: the call or its x field is
// unnest(a), its n field unnest of the positions 1..n, which run in step. field is "" for
// the call itself.
func (b *binder) expandArray(fc *pg_query.FuncCall, field string, sc *scope, agg *aggContext) (planner.Expr, error) {
	arg := fc.Args[0]
	switch field {
	case "", "x":
	case "n":
		arg = &pg_query.Node{Node: &pg_query.Node_FuncCall{FuncCall: &pg_query.FuncCall{
			Funcname: []*pg_query.Node{pg_query.MakeStrNode("_pg_expandarray_n")}, Args: fc.Args, Location: fc.Location}}}
	default:
		return nil, errs.New(errs.UndefinedColumn, "column \"%s\" not found in data type record", field)
	}
	return b.unnestCall(&pg_query.FuncCall{Funcname: []*pg_query.Node{pg_query.MakeStrNode("unnest")}, Args: []*pg_query.Node{arg}, Location: fc.Location}, sc, agg)
}

// recordField binds (e).x and (e).n where e is information_schema._pg_expandarray(a) or a
// column holding its result (which is a's element, x); ok is false for other indirections.
func (b *binder) recordField(ind *pg_query.A_Indirection, sc *scope, agg *aggContext) (planner.Expr, bool, error) {
	if len(ind.Indirection) != 1 || ind.Indirection[0].GetString_() == nil {
		return nil, false, nil
	}
	field := ind.Indirection[0].GetString_().GetSval()
	if fc := ind.Arg.GetFuncCall(); isExpandArray(fc) {
		e, err := b.expandArray(fc, field, sc, agg)
		return e, true, err
	}
	if ind.Arg.GetColumnRef() != nil && field == "x" {
		e, err := b.expr(ind.Arg, sc, agg)
		return e, true, err
	}
	return nil, false, nil
}

// bitwiseOp binds the integer operators & | # << >> (as bigint).
func (b *binder) bitwiseOp(a *pg_query.A_Expr, op string, sc *scope, agg *aggContext) (planner.Expr, bool, error) {
	l, r, err := b.operands(a, sc, agg)
	if err != nil {
		return nil, true, err
	}
	args := []planner.Expr{l, r}
	for i, e := range args {
		if types.IsUnknown(e.Type()) || e.Type().ID() == arrow.NULL {
			e = b.coerce(e, types.Int64)
		}
		if !types.IsInteger(e.Type()) {
			return nil, true, errs.New(errs.UndefinedFunction, "operator does not exist: %s %s %s", types.Name(l.Type()), op, types.Name(r.Type()))
		}
		args[i] = b.coerce(e, types.Int64)
	}
	fn := map[string]string{"&": "int_and", "|": "int_or", "#": "int_xor", "<<": "int_shl", ">>": "int_shr"}[op]
	return &planner.Func{Name: fn, Args: args, Typ: types.Int64}, true, nil
}

// regOIDNames are the names values of the object identifier type kind (not regtype) are
// shown by, by OID; OID 0 is "-", as PostgreSQL's output functions write it.
func (b *binder) regOIDNames(kind string) (map[int64]string, error) {
	names := map[int64]string{}
	switch kind {
	case "regrole":
		names = roleNames()
		names[0] = "-" // InvalidOid, as regroleout writes it
		return names, nil
	case "regproc":
		for _, p := range function.PGProcs {
			names[int64(p.OID)] = p.Name
		}
	case "regprocedure", "regoper", "regoperator":
		// Named by _reg_array_names itself (function.RegOIDOut).
	case "regnamespace":
		names[catalog.OIDPGCatalogNS] = catalog.PGCatalogSchema
		names[catalog.OIDPublicNS] = catalog.PublicSchema
		names[catalog.OIDInfoSchemaNS] = catalog.InformationSchemaSchema
		names[catalog.OIDSleeperNS] = catalog.SystemSchema
	default:
		var err error
		if names, err = b.relationNames(); err != nil {
			return nil, err
		}
		if kind == "regclass" {
			for n := range catalog.PGCatalogTables {
				names[catalog.PGSystemTableOID(catalog.PGCatalogSchema, n)] = n
			}
		}
	}
	if kind != "regprocedure" && kind != "regoper" && kind != "regoperator" {
		// InvalidOid: regclassout, regprocout and regnamespaceout write "-".
		names[0] = "-"
	}
	return names, nil
}
