package sql

import (
	"github.com/apache/arrow-go/v18/arrow"
	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/planner"
	"github.com/sleeperd/sleeperd/types"
)

// limit applies LIMIT (or FETCH ... WITH TIES) and OFFSET to result.
func (b *binder) limit(sel *pg_query.SelectStmt, result planner.Node) (planner.Node, error) {
	if sel.LimitOption == pg_query.LimitOption_LIMIT_OPTION_WITH_TIES {
		return b.withTies(sel, result)
	}
	if sel.LimitCount == nil && sel.LimitOffset == nil {
		return result, nil
	}
	l := &planner.Limit{Input: result, Count: -1}
	var err error
	if sel.LimitCount != nil {
		if l.Count, l.CountExpr, err = b.limitValue(sel.LimitCount, "LIMIT"); err != nil {
			return nil, err
		}
	}
	if sel.LimitOffset != nil {
		if l.Offset, l.OffsetExpr, err = b.limitValue(sel.LimitOffset, "OFFSET"); err != nil {
			return nil, err
		}
		l.Offset = max(l.Offset, 0) // OFFSET NULL skips nothing
	}
	return l, nil
}

// limitValue binds a LIMIT or OFFSET argument: a constant as its value (-1 for NULL), an
// expression without parameters evaluated now, and one with parameters as an expression
// of type bigint that the plan evaluates when it runs (planner.Limit).
func (b *binder) limitValue(n *pg_query.Node, what string) (int64, planner.Expr, error) {
	if c := n.GetAConst(); c != nil && (c.Isnull || c.GetIval() != nil) {
		v, err := b.constInt(n, what)
		return v, nil, err
	}
	saved, scalars := b.clause, len(b.scalars)
	b.clause = what
	// In a subquery, LIMIT may refer to the enclosing queries' columns (b.outer has none of
	// its own).
	sc := b.outer
	if sc == nil {
		sc = &scope{}
	}
	e, err := b.expr(n, sc, nil)
	b.clause = saved
	if err != nil {
		return 0, nil, err
	}
	if len(b.scalars) != scalars {
		b.scalars = b.scalars[:scalars]
		return 0, nil, errs.New(errs.NotImplemented, "subqueries in LIMIT and OFFSET are not supported")
	}
	if e.Type().ID() != arrow.INT64 {
		if !types.IsUnknown(e.Type()) && e.Type().ID() != arrow.NULL && !implicitToBigint(e.Type()) {
			return 0, nil, errs.New(errs.DatatypeMismatch, "argument of %s must be type bigint, not type %s", what, types.Name(e.Type()))
		}
		e = b.coerce(e, types.Int64)
	}
	if hasParam(e) || refersToColumns(e) {
		return 0, e, nil
	}
	l, err := planner.Eval(b.ctx, e)
	if err != nil {
		return 0, nil, err
	}
	if l.Value == nil {
		return -1, nil, nil
	}
	v, _ := l.Value.(int64)
	if v < 0 {
		if what == "OFFSET" {
			return 0, nil, errs.New(errs.InvalidOffset, "OFFSET must not be negative")
		}
		return 0, nil, errs.New(errs.InvalidRowCount, "%s must not be negative", what)
	}
	return v, nil, nil
}

// implicitToBigint says whether PostgreSQL converts a value of type t to bigint implicitly
// or by assignment, as LIMIT and OFFSET do: the numeric types.
func implicitToBigint(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64, arrow.FLOAT32, arrow.FLOAT64, arrow.DECIMAL128, arrow.DECIMAL256:
		return true
	}
	return types.IsNumeric(t)
}

// hasParam says whether e refers to a parameter.
func hasParam(e planner.Expr) bool {
	found := false
	planner.Transform(e, func(x planner.Expr) (planner.Expr, error) {
		if _, ok := x.(*planner.Param); ok {
			found = true
		}
		return x, nil
	})
	return found
}

// withTies binds OFFSET o FETCH FIRST n ROWS WITH TIES over sorted, a Sort: the rows past the
// first o, up to the (o+n)th and those that sort equal to it. A row sorts no later than the
// (o+n)th exactly when its rank is at most o+n, so the rows kept are those numbered past o
// with a rank of at most o+n.
func (b *binder) withTies(sel *pg_query.SelectStmt, sorted planner.Node) (planner.Node, error) {
	s, ok := sorted.(*planner.Sort)
	if !ok {
		return nil, errs.New(errs.Syntax, "WITH TIES cannot be specified without ORDER BY clause")
	}
	count, ce, err := b.limitValue(sel.LimitCount, "LIMIT")
	if err != nil {
		return nil, err
	}
	var offset int64
	var oe planner.Expr
	if sel.LimitOffset != nil {
		if offset, oe, err = b.limitValue(sel.LimitOffset, "OFFSET"); err != nil {
			return nil, err
		}
		offset = max(offset, 0)
	}
	if ce != nil || oe != nil {
		return nil, errs.New(errs.NotImplemented, "parameters in FETCH FIRST ... WITH TIES are not supported yet")
	}
	if count < 0 {
		return nil, errs.New(errs.InvalidRowCount, "row count cannot be null in FETCH FIRST ... WITH TIES clause")
	}
	rn, rk := b.newColumn("?row_number?", types.Int64), b.newColumn("?rank?", types.Int64)
	w := &planner.Window{Input: s.Input, Order: s.Keys, Calls: []planner.WindowCall{{Func: "row_number"}, {Func: "rank"}}, Cols: []planner.Column{rn, rk}}
	lit := func(v int64) planner.Expr { return &planner.Literal{Value: v, Typ: types.Int64} }
	keep := planner.And([]planner.Expr{
		&planner.Binary{Op: planner.OpGt, L: ref(rn), R: lit(offset), Typ: types.Bool},
		&planner.Binary{Op: planner.OpLtEq, L: ref(rk), R: lit(offset + count), Typ: types.Bool},
	})
	return &planner.Sort{Input: &planner.Filter{Input: w, Pred: keep}, Keys: []planner.SortKey{{E: ref(rn)}}}, nil
}
