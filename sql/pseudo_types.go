package sql

import (
	"github.com/apache/arrow-go/v18/arrow"
	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/planner"
	"github.com/sleeperd/sleeperd/types"
)

// pseudoColumn is PostgreSQL's 42P16 for column col declared of a pseudo-type (cstring,
// void, record, anyelement...: types.PseudoColumnError), nil for other types.
func pseudoColumn(col string, tn *pg_query.TypeName) error {
	if tn == nil || len(tn.Names) == 0 || len(tn.Names) > 2 {
		return nil
	}
	if len(tn.Names) == 2 && tn.Names[0].GetString_().GetSval() != "pg_catalog" {
		return nil
	}
	name := tn.Names[len(tn.Names)-1].GetString_().GetSval()
	return types.PseudoColumnError(col, name, len(tn.ArrayBounds) > 0)
}

// pseudoCast binds e::t where t names a pseudo-type, as PostgreSQL 15 does: a cast to a
// polymorphic type (anyelement, "any"...) changes nothing, a record stays itself, and the
// others are PostgreSQL's errors (0A000 `cannot accept a value of type internal`, 42846
// `cannot cast type integer to cstring`, 0A000 `input of anonymous composite types is not
// implemented`); values of cstring and void, and NULLs of the types whose NULL PostgreSQL
// takes, have no type here (0A000). ok is false when t is no pseudo-type.
func (b *binder) pseudoCast(tc *pg_query.TypeCast, sc *scope, agg *aggContext) (planner.Expr, bool, error) {
	tn := tc.TypeName
	if tn == nil || len(tn.ArrayBounds) > 0 || len(tn.Typmods) > 0 || len(tn.Names) == 0 || len(tn.Names) > 2 {
		return nil, false, nil
	}
	if len(tn.Names) == 2 && tn.Names[0].GetString_().GetSval() != "pg_catalog" {
		return nil, false, nil
	}
	name := tn.Names[len(tn.Names)-1].GetString_().GetSval()
	kind := types.PseudoCastOf(name)
	if kind == types.NoPseudoCast {
		return nil, false, nil
	}
	e, err := b.expr(tc.Arg, sc, agg)
	if err != nil {
		return nil, true, err
	}
	from := e.Type()
	shown := name
	if name == "any" {
		shown = `"any"`
	}
	null := from.ID() == arrow.NULL
	untyped := types.IsUnknown(from)
	text := from.ID() == arrow.STRING && !types.IsJSON(from) && !untyped
	cannotCast := func() error {
		return errs.New(errs.CannotCoerce, "cannot cast type %s to %s", types.Name(from), shown)
	}
	noInput := errs.New(errs.NotImplemented, "cannot accept a value of type %s", shown)
	unsupported := errs.New(errs.NotImplemented, "a value of type %s is not supported", shown)
	// An array type (not an untyped literal): what anyarray and anycompatiblearray take,
	// and anynonarray and anycompatiblenonarray refuse (check_generic_type_consistency).
	array := !null && !untyped && types.IsArray(from)
	switch kind {
	case types.PseudoCastPolymorphic:
		if array && (name == "anynonarray" || name == "anycompatiblenonarray") {
			return nil, true, cannotCast()
		}
		return e, true, nil
	case types.PseudoCastNoInput:
		if null && name == "pg_ddl_command" {
			return nil, true, unsupported
		}
		if null || untyped || text {
			return nil, true, noInput
		}
		return nil, true, cannotCast()
	case types.PseudoCastNoInputPolymorphic:
		if array && (name == "anyarray" || name == "anycompatiblearray") {
			return e, true, nil
		}
		if null {
			return nil, true, unsupported
		}
		if untyped {
			return nil, true, noInput
		}
		return nil, true, cannotCast()
	case types.PseudoCastNever:
		if null {
			from = types.Unknown
		}
		return nil, true, cannotCast()
	case types.PseudoCastRecord:
		if _, ok := from.(*arrow.StructType); ok {
			return e, true, nil
		}
		if null {
			return nil, true, unsupported
		}
		if untyped || text {
			return nil, true, errs.New(errs.NotImplemented, "input of anonymous composite types is not implemented")
		}
		return nil, true, cannotCast()
	default: // cstring, void, unknown
		if null || untyped || text {
			return nil, true, unsupported
		}
		return nil, true, cannotCast()
	}
}
