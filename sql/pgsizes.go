package sql

import (
	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sleeperd/sleeperd/catalog"
	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/planner"
	"github.com/sleeperd/sleeperd/types"
)

// sizeColumns are the columns of catalog.RelationSizes each size function reads.
var sizeColumns = map[string]string{"pg_relation_size": "relation_size", "pg_table_size": "table_size",
	"pg_indexes_size": "indexes_size", "pg_total_relation_size": "total_size"}

// relationSize binds pg_relation_size(rel [, fork]), pg_table_size(rel), pg_indexes_size(rel)
// and pg_total_relation_size(rel): a left join of the query with the sizes the engine
// computes when the query runs (catalog.RelationSizesTable) on their OID being rel, so the
// sizes are those of the state the execution reads, even for a statement prepared before.
// rel is a regclass: an OID, or a literal naming a relation. The size of an OID no relation
// has is NULL, as in PostgreSQL.
func (b *binder) relationSize(name string, fc *pg_query.FuncCall, sc *scope, agg *aggContext) (planner.Expr, bool, error) {
	want := 1
	if name == "pg_relation_size" && len(fc.Args) == 2 {
		want = 2
	}
	if len(fc.Args) != want {
		return nil, true, errs.New(errs.UndefinedFunction, "function %s with %d arguments does not exist", name, len(fc.Args))
	}
	col := sizeColumns[name]
	if want == 2 {
		// The fork: everything is the main fork's.
		fork, err := b.expr(fc.Args[1], sc, agg)
		if err != nil {
			return nil, true, err
		}
		l, ok := fork.(*planner.Literal)
		if !ok || (l.Value != nil && l.Typ.ID() != arrow.STRING && !types.IsUnknown(l.Typ)) {
			return nil, true, errs.New(errs.NotImplemented, "pg_relation_size's fork must be a constant text")
		}
		switch l.Value {
		case nil:
			return &planner.Literal{Typ: types.Int64}, true, nil
		case "main":
		case "fsm", "vm", "init":
			col = ""
		default:
			return nil, true, errs.New(errs.InvalidParameter, "invalid fork name")
		}
	}
	var rel planner.Expr
	if c, ok := fc.Args[0].GetAConst().GetVal().(*pg_query.A_Const_Sval); ok {
		oid, err := b.lookupOID("regclass", c.Sval.Sval)
		if err != nil {
			return nil, true, err
		}
		rel = &planner.Literal{Value: oid, Typ: types.Int64}
	} else {
		e, err := b.expr(fc.Args[0], sc, agg)
		if err != nil {
			return nil, true, err
		}
		if !types.IsInteger(e.Type()) && e.Type().ID() != arrow.NULL {
			return nil, true, errs.New(errs.UndefinedFunction, "function %s(%s) does not exist", name, types.Name(e.Type()))
		}
		rel = b.coerce(e, types.Int64)
	}
	sizes := &planner.System{Name: catalog.RelationSizesTable}
	var oid, size planner.Column
	for _, f := range catalog.RelationSizes.Fields() {
		c := b.newColumn(f.Name, f.Type)
		sizes.Cols = append(sizes.Cols, c)
		switch f.Name {
		case "oid":
			oid = c
		case col:
			size = c
		}
	}
	cond := &planner.Binary{Op: planner.OpEq, L: rel, R: ref(oid), Typ: types.Bool}
	used := map[planner.ColumnID]bool{}
	planner.ColumnsUsed(rel, used)
	if len(used) == 0 {
		// A constant relation: its one row, joined on true.
		b.joinScalar(&planner.Filter{Input: sizes, Pred: cond}, nil)
	} else {
		b.joinScalar(sizes, cond)
	}
	var out planner.Expr = ref(size)
	if col == "" {
		// Another fork: 0 for a relation there is, NULL for none.
		out = &planner.Case{Whens: []planner.Expr{&planner.IsNull{E: ref(oid)}}, Thens: []planner.Expr{&planner.Literal{Typ: types.Int64}},
			Else: &planner.Literal{Value: int64(0), Typ: types.Int64}, Typ: types.Int64}
	}
	return out, true, nil
}
