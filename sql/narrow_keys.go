package sql

import (
	"sort"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/planner"
	"github.com/sleeperd/sleeperd/types"
)

// narrowToOuterKeys restricts x, the rows of a correlated subquery decorrelated on the
// equalities inner_i = outer_i (outer_i over the columns of the queries enclosing sc's
// subquery, sc included), to the rows whose inner keys some row of the enclosing queries
// can meet: a semi join with the domain of the outer columns (their FROM clauses bound
// again and narrowed by their WHERE clauses, see domain), which the optimiser moves down to
// the relation the keys come from (PushSemiJoins). PostgreSQL runs such a subquery per
// outer row with the equality among the quals of its scan, so the expressions computed over
// its rows ((SELECT sum(v) FROM t, LATERAL (SELECT 10 / t.x AS v) s WHERE t.id = o.id), an
// aggregate's argument, the select list of a plain scalar subquery) run for the rows of the
// enclosing query's values alone; joined without the narrowing they run for every row, and
// fail on rows PostgreSQL never reaches. Only when x computes such expressions (exprs: the
// aggregates' arguments computed over x); x as it is when no domain can be bound.
func (b *binder) narrowToOuterKeys(x planner.Node, exprs []planner.Expr, inner, outerKeys []planner.Expr, sc *scope) (planner.Node, error) {
	if sc == nil || len(inner) == 0 || !computes(x, exprs) {
		return x, nil
	}
	used := map[planner.ColumnID]bool{}
	for _, o := range outerKeys {
		planner.ColumnsUsed(o, used)
	}
	var ids []planner.ColumnID
	for id := range used {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	var owners []*scope
	byOwner := map[*scope][]planner.Column{}
	for _, id := range ids {
		o, col := ownerOf(sc, id)
		if o == nil || len(o.items) == 0 {
			return x, nil
		}
		if _, ok := byOwner[o]; !ok {
			owners = append(owners, o)
		}
		byOwner[o] = append(byOwner[o], col)
	}
	same := map[planner.ColumnID]planner.Expr{}
	var right planner.Node
	for _, o := range owners {
		// The domain is only a narrowing here: what binding it records of the owner's WHERE
		// (volatileWhere) is for the functions lifted over it, not for this subquery.
		flagged, had := b.volatileWhere[o]
		savedKey := b.keyDomain
		b.keyDomain = true
		d, err := b.domain(o, byOwner[o])
		b.keyDomain = savedKey
		if b.volatileWhere != nil {
			if had {
				b.volatileWhere[o] = flagged
			} else {
				delete(b.volatileWhere, o)
			}
		}
		if err != nil {
			if err == errNarrowing || errs.KindOf(err) == errs.NotImplemented {
				return x, nil
			}
			return nil, err
		}
		for i, c := range byOwner[o] {
			same[c.ID] = ref(d.Cols[i])
		}
		if right == nil {
			right = d
		} else {
			right = &planner.Join{Kind: planner.JoinCross, Left: right, Right: d}
		}
	}
	var conds []planner.Expr
	for i, in := range inner {
		o, err := substitute(outerKeys[i], same)
		if err != nil {
			return nil, err
		}
		conds = append(conds, &planner.Binary{Op: planner.OpEq, L: in, R: o, Typ: types.Bool})
	}
	return &planner.Join{Kind: planner.JoinSemi, Left: x, Right: right, Cond: planner.And(conds)}, nil
}

// computes reports whether the plan n, or the expressions exprs over its rows, compute a
// value from a row (more than pass a column or a constant through) below which a semi join
// on n's rows can go (PushSemiJoins: through projections, filters, sorts, the sides of inner
// joins, a set-returning function's input and a dependent join's left side): an aggregate,
// a window, a limit or a set operation in n (a derived table, a WITH query) keeps it above,
// where it would narrow nothing and only read the enclosing query again.
func computes(n planner.Node, exprs []planner.Expr) bool {
	for _, e := range exprs {
		if computed(e) {
			return true
		}
	}
	switch x := n.(type) {
	case *planner.Project:
		for _, e := range x.Exprs {
			if computed(e) {
				return true
			}
		}
		return computes(x.Input, nil)
	case *planner.Unnest:
		for _, e := range x.Lists {
			if computed(e) {
				return true
			}
		}
		return computes(x.Input, nil)
	case *planner.Filter, *planner.Sort:
		return computes(n.Inputs()[0], nil)
	case *planner.Apply:
		return computes(x.Left, nil)
	case *planner.Join:
		switch x.Kind {
		case planner.JoinInner, planner.JoinCross:
			return computes(x.Left, nil) || computes(x.Right, nil)
		case planner.JoinLeft, planner.JoinSemi, planner.JoinAnti, planner.JoinNullAwareAnti:
			return computes(x.Left, nil)
		}
	}
	return false
}

// computed reports whether e is more than a column or a constant.
func computed(e planner.Expr) bool {
	switch e.(type) {
	case nil, *planner.ColumnRef, *planner.Literal:
		return false
	}
	return true
}
