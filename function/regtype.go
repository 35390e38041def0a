package function

import (
	"context"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/exec"
	"github.com/sleeperd/sleeperd/types"
)

func registerRegtype() {
	i64 := arrow.PrimitiveTypes.Int64
	// _regtype_in(text) is text::regtype computed per row: the OID of the type the text names
	// (an error for a name no type has).
	register(function{resolve: func(args []arrow.DataType) (arrow.DataType, []arrow.DataType, error) {
		if len(args) != 1 || args[0].ID() != arrow.STRING {
			return nil, nil, undefinedFunc("_regtype_in", args)
		}
		return i64, nil, nil
	}, evalCtx: func(ctx context.Context, _ int, typ arrow.DataType, args []arrow.Array) (arrow.Array, error) {
		own := exec.TypeOIDsOf(ctx)
		return rowwise(false, func(v []any) (any, error) {
			oid, err := exec.RegtypeOID(v[0].(string), own)
			if err != nil {
				return nil, err
			}
			return int64(oid), nil
		})(exec.Allocator(ctx), typ, args)
	}}, "_regtype_in")
}

// RegDashIsInvalid reports whether the input function of the object identifier type kind
// reads "-" as InvalidOid (0), as regclassin, regtypein, regprocin, regprocedurein,
// regnamespacein and regrolein do (regoperin takes it for the operator's name).
func RegDashIsInvalid(kind string) bool {
	switch kind {
	case "regclass", "regtype", "regproc", "regprocedure", "regnamespace", "regrole":
		return true
	}
	return false
}

// regArrayIn is a text array cast to an array of the object identifier type kind (regclass,
// regproc, regnamespace, regrole; regtype reads its names as regtype input does, own finding
// the database's composite types, and regprocedure, regoper and regoperator as theirs do,
// RegOIDIn): each element's OID, a number as that OID, a name as the
// catalog gives it (byName, namesByName); NULL for NULL, and PostgreSQL's error
// for a name nothing has or, for regproc, several functions have.
//
// Each element is read as the type's input function reads a value (array input has trimmed
// the unquoted ones): a number is an OID only when it is all digits (' 1259' is a name), one
// past an OID's range is 22003, a name is parsed as PostgreSQL parses it (RegNameIn).
func regArrayIn(kind string, elems []any, byName map[string][]int64, own exec.TypeOIDs) ([]any, error) {
	out := make([]any, len(elems))
	for i, e := range elems {
		s, ok := e.(string)
		if !ok {
			continue
		}
		if s == "-" && RegDashIsInvalid(kind) && kind != "regclass" {
			// As the input function reads it; text::regclass takes no "-".
			out[i] = int64(0)
			continue
		}
		if oid, ok, err := RegDigits(s); ok {
			if err != nil {
				return nil, err
			}
			out[i] = oid
			continue
		}
		if oid, ok, err := RegOIDIn(kind, s, own); ok {
			if err != nil {
				return nil, err
			}
			out[i] = oid
			continue
		}
		if kind == "regtype" {
			oid, err := exec.RegtypeOID(s, own)
			if err != nil {
				return nil, err
			}
			out[i] = int64(oid)
			continue
		}
		oid, err := RegNameIn(kind, s, byName)
		if err != nil {
			return nil, err
		}
		out[i] = oid
	}
	return out, nil
}

// namesByName are the OIDs of names[i] (oids[i]) by name.
func namesByName(names, oids []any) map[string][]int64 {
	byName := make(map[string][]int64, len(names))
	for i, n := range names {
		if s, ok := n.(string); ok && i < len(oids) && oids[i] != nil {
			byName[s] = append(byName[s], oids[i].(int64))
		}
	}
	return byName
}

// RegDigits reads s as the input functions of the object identifier types read a number:
// an OID when s is all digits (ok), 22003 when it is past an OID's range; ok is false for
// anything else, a name.
func RegDigits(s string) (oid int64, ok bool, err error) {
	if s == "" || strings.TrimLeft(s, "0123456789") != "" {
		return 0, false, nil
	}
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		return 0, true, errs.New(errs.NumericRange, "value \"%s\" is out of range for type oid", s)
	}
	return int64(n), true, nil
}

// RegNameIn is the OID of the object the name s names as the input function of kind, one of
// regclass, regproc, regnamespace and regrole, reads it (byName gives the OIDs of the
// names, as ToRegOID's does, and " database NAME" the database's, for regclass also
// " schema NAME" each schema's), or PostgreSQL's error: a malformed name, one nothing has,
// or, for regproc, one several functions have.
func RegNameIn(kind, s string, byName map[string][]int64) (int64, error) {
	parts, err := NameParts(kind, s, func(n string) bool { return len(byName[" database "+n]) > 0 })
	if err != nil {
		return 0, err
	}
	if kind == "regclass" && len(parts) == 2 && len(byName[" schema "+parts[0]]) == 0 {
		return 0, errs.New(errs.InvalidSchemaName, "schema \"%s\" does not exist", parts[0])
	}
	quoted := make([]string, len(parts))
	for i, p := range parts {
		quoted[i] = QuoteIdent(p)
	}
	found := byName[strings.Join(quoted, ".")]
	if len(found) == 0 {
		found = byName[strings.Join(parts, ".")]
	}
	distinct := found[:0:0]
	for _, o := range found {
		if len(distinct) == 0 || distinct[0] != o {
			distinct = append(distinct, o)
		}
	}
	switch {
	case len(distinct) == 1:
		return distinct[0], nil
	case len(distinct) > 1:
		return 0, errs.New(errs.AmbiguousFunction, "more than one function named \"%s\"", s)
	}
	switch kind {
	case "regclass":
		return 0, errs.New(errs.UndefinedTable, "relation \"%s\" does not exist", strings.Join(parts, "."))
	case "regproc":
		return 0, errs.New(errs.UndefinedFunction, "function \"%s\" does not exist", s)
	case "regnamespace":
		return 0, errs.New(errs.InvalidSchemaName, "schema \"%s\" does not exist", parts[0])
	}
	return 0, errs.New(errs.UndefinedObject, "role \"%s\" does not exist", parts[0])
}

func registerRegArrays() {
	// _reg_array_in(kind, a text[], names text[], oids bigint[]) is a::kind[] computed per row
	// (regArrayIn); the result's type is the binder's, kind[].
	register(function{resolve: func(args []arrow.DataType) (arrow.DataType, []arrow.DataType, error) {
		if len(args) != 4 || args[0].ID() != arrow.STRING || args[1].ID() != arrow.LIST || args[2].ID() != arrow.LIST || args[3].ID() != arrow.LIST {
			return nil, nil, undefinedFunc("_reg_array_in", args)
		}
		return arrow.ListOf(arrow.PrimitiveTypes.Int64), nil, nil
	}, evalCtx: func(ctx context.Context, _ int, typ arrow.DataType, args []arrow.Array) (arrow.Array, error) {
		own := exec.TypeOIDsOf(ctx)
		var byName map[string][]int64
		return rowwise(false, func(v []any) (any, error) {
			elems, _ := v[1].([]any)
			if byName == nil {
				names, _ := v[2].([]any)
				oids, _ := v[3].([]any)
				byName = namesByName(names, oids)
			}
			return regArrayIn(v[0].(string), elems, byName, own)
		})(exec.Allocator(ctx), typ, args)
	}}, "_reg_array_in")
	// _reg_scalar_in(kind, s text, names text[], oids bigint[]) is s::kind computed per row,
	// as regArrayIn reads an element; _text_regclass(kind, s, names, oids) is text::regclass,
	// PostgreSQL's text_regclass, which reads every text as a name (RegNameIn).
	for _, name := range []string{"_reg_scalar_in", "_text_regclass"} {
		namesOnly := name == "_text_regclass"
		register(function{resolve: func(args []arrow.DataType) (arrow.DataType, []arrow.DataType, error) {
			if len(args) != 4 || args[0].ID() != arrow.STRING || args[1].ID() != arrow.STRING || args[2].ID() != arrow.LIST || args[3].ID() != arrow.LIST {
				return nil, nil, undefinedFunc(name, args)
			}
			return arrow.PrimitiveTypes.Int64, nil, nil
		}, evalCtx: func(ctx context.Context, _ int, typ arrow.DataType, args []arrow.Array) (arrow.Array, error) {
			own := exec.TypeOIDsOf(ctx)
			var byName map[string][]int64
			return rowwise(false, func(v []any) (any, error) {
				if byName == nil {
					names, _ := v[2].([]any)
					oids, _ := v[3].([]any)
					byName = namesByName(names, oids)
				}
				if namesOnly {
					return RegNameIn(v[0].(string), v[1].(string), byName)
				}
				out, err := regArrayIn(v[0].(string), []any{v[1]}, byName, own)
				if err != nil {
					return nil, err
				}
				return out[0], nil
			})(exec.Allocator(ctx), typ, args)
		}}, name)
	}
}

func registerRegArrayNames() {
	// _reg_array_names(kind, a kind[], oids bigint[], names text[]) is a::text[] computed per
	// row: each element's name (oids[i] is named names[i]; a regtype's as regtype output
	// writes it), an OID nothing has as its number.
	register(function{resolve: func(args []arrow.DataType) (arrow.DataType, []arrow.DataType, error) {
		if len(args) != 4 || args[0].ID() != arrow.STRING || args[1].ID() != arrow.LIST || args[2].ID() != arrow.LIST || args[3].ID() != arrow.LIST {
			return nil, nil, undefinedFunc("_reg_array_names", args)
		}
		return arrow.ListOf(arrow.BinaryTypes.String), nil, nil
	}, eval: rowwise(false, func(v []any) (any, error) {
		elems, _ := v[1].([]any)
		oids, _ := v[2].([]any)
		names, _ := v[3].([]any)
		byOID := make(map[int64]string, len(oids))
		for i, o := range oids {
			if oid, ok := o.(int64); ok && i < len(names) {
				if n, ok := names[i].(string); ok {
					byOID[oid] = n
				}
			}
		}
		out := make([]any, len(elems))
		for i, e := range elems {
			oid, ok := e.(int64)
			if !ok {
				continue
			}
			if n, ok := RegOIDOut(v[0].(string), oid); ok {
				out[i] = n
				continue
			}
			if v[0].(string) == "regtype" {
				if n, ok := types.RegtypeName(uint32(oid)); ok {
					out[i] = n
				} else {
					out[i] = FormatType(uint32(oid), -1)
				}
				continue
			}
			if n, ok := byOID[oid]; ok {
				out[i] = n
			} else if oid == 0 {
				out[i] = "-"
			} else {
				out[i] = strconv.FormatInt(oid, 10)
			}
		}
		return out, nil
	})}, "_reg_array_names")
}
