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
// catalog gives it (names[i] is the object oids[i]); NULL for NULL, and PostgreSQL's error
// for a name nothing has or, for regproc, several functions have.
func regArrayIn(kind string, elems, names, oids []any, own exec.TypeOIDs) ([]any, error) {
	byName := map[string][]int64{}
	for i, n := range names {
		if s, ok := n.(string); ok && i < len(oids) && oids[i] != nil {
			byName[s] = append(byName[s], oids[i].(int64))
		}
	}
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
		name := strings.TrimSpace(s)
		if n, err := strconv.ParseUint(name, 10, 32); err == nil {
			out[i] = int64(n)
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
		found, ok := byName[name]
		if !ok {
			found = byName[strings.ReplaceAll(name, `"`, "")]
		}
		switch {
		case len(found) == 1:
			out[i] = found[0]
			continue
		case len(found) > 1:
			return nil, errs.New(errs.AmbiguousFunction, "more than one function named \"%s\"", s)
		}
		switch kind {
		case "regclass":
			return nil, errs.New(errs.UndefinedTable, "relation \"%s\" does not exist", s)
		case "regproc":
			return nil, errs.New(errs.UndefinedFunction, "function \"%s\" does not exist", s)
		case "regnamespace":
			return nil, errs.New(errs.InvalidSchemaName, "schema \"%s\" does not exist", s)
		}
		return nil, errs.New(errs.UndefinedObject, "role \"%s\" does not exist", s)
	}
	return out, nil
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
		return rowwise(false, func(v []any) (any, error) {
			elems, _ := v[1].([]any)
			names, _ := v[2].([]any)
			oids, _ := v[3].([]any)
			return regArrayIn(v[0].(string), elems, names, oids, own)
		})(exec.Allocator(ctx), typ, args)
	}}, "_reg_array_in")
	// _reg_scalar_in(kind, s text, names text[], oids bigint[]) is s::kind computed per row,
	// as regArrayIn reads an element.
	register(function{resolve: func(args []arrow.DataType) (arrow.DataType, []arrow.DataType, error) {
		if len(args) != 4 || args[0].ID() != arrow.STRING || args[1].ID() != arrow.STRING || args[2].ID() != arrow.LIST || args[3].ID() != arrow.LIST {
			return nil, nil, undefinedFunc("_reg_scalar_in", args)
		}
		return arrow.PrimitiveTypes.Int64, nil, nil
	}, evalCtx: func(ctx context.Context, _ int, typ arrow.DataType, args []arrow.Array) (arrow.Array, error) {
		own := exec.TypeOIDsOf(ctx)
		return rowwise(false, func(v []any) (any, error) {
			names, _ := v[2].([]any)
			oids, _ := v[3].([]any)
			out, err := regArrayIn(v[0].(string), []any{v[1]}, names, oids, own)
			if err != nil {
				return nil, err
			}
			return out[0], nil
		})(exec.Allocator(ctx), typ, args)
	}}, "_reg_scalar_in")
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
