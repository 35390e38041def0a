package sql

import (
	"github.com/apache/arrow-go/v18/arrow"
	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/planner"
	"github.com/sleeperd/sleeperd/types"
)

// searchCycle is a recursive query's SEARCH and CYCLE clauses, checked against the query's
// column names: the columns they add to the query's rows, after its own, in PostgreSQL's
// order (the search sequence, then the cycle mark and path).
//
//   - SEARCH DEPTH FIRST BY c SET s: s is the array of c's values from the first row to this
//     one, so that ORDER BY s lists each subtree before the next sibling.
//   - SEARCH BREADTH FIRST BY c SET s: s is {depth, c} (bigint), so that ORDER BY s lists
//     the rows by level, then by c.
//   - CYCLE c SET m [TO v DEFAULT d] USING p: p is the path of c's values; m is v on a row
//     whose c is already on its path, d elsewhere, and rows marked v are not followed.
//
// PostgreSQL's sequence and path columns are records (arrays of records); without a record
// type the BY and CYCLE lists take one column, whose values stand for the records: they
// order and compare as the records of one column do.
type searchCycle struct {
	breadth  bool
	searchBy int // column index; -1 without SEARCH
	seqName  string
	cycleBy  int // column index; -1 without CYCLE
	markName string
	pathName string
	to, def  planner.Expr
}

// newSearchCycle checks the clauses of a recursive WITH query whose columns are names, with
// PostgreSQL's errors; nil without clauses.
func (b *binder) newSearchCycle(cte *pg_query.CommonTableExpr, names []string) (*searchCycle, error) {
	sc, cc := cte.SearchClause, cte.CycleClause
	if sc == nil && cc == nil {
		return nil, nil
	}
	s := &searchCycle{searchBy: -1, cycleBy: -1}
	if sc != nil {
		i, err := clauseColumn(sc.SearchColList, names, "search")
		if err != nil {
			return nil, err
		}
		s.searchBy, s.breadth, s.seqName = i, sc.SearchBreadthFirst, sc.SearchSeqColumn
	}
	if cc != nil {
		i, err := clauseColumn(cc.CycleColList, names, "cycle")
		if err != nil {
			return nil, err
		}
		s.cycleBy, s.markName, s.pathName = i, cc.CycleMarkColumn, cc.CyclePathColumn
		if s.markName == s.pathName {
			return nil, errs.New(errs.Syntax, "cycle mark column name and cycle path column name are the same")
		}
		if err := b.cycleMark(s, cc); err != nil {
			return nil, err
		}
	}
	if sc != nil && cc != nil {
		switch s.seqName {
		case s.markName:
			return nil, errs.New(errs.Syntax, "search sequence column name and cycle mark column name are the same")
		case s.pathName:
			return nil, errs.New(errs.Syntax, "search sequence column name and cycle path column name are the same")
		}
	}
	for _, n := range []string{s.seqName, s.markName, s.pathName} {
		for _, c := range names {
			if n != "" && n == c {
				return nil, errs.New(errs.AmbiguousColumn, "column reference %q is ambiguous", n)
			}
		}
	}
	return s, nil
}

// clauseColumn finds the one column of a SEARCH or CYCLE list among names.
func clauseColumn(list []*pg_query.Node, names []string, what string) (int, error) {
	found := -1
	seen := map[string]bool{}
	for _, n := range list {
		name := n.GetString_().GetSval()
		i := -1
		for j, c := range names {
			if c == name {
				i = j
			}
		}
		if i < 0 {
			return 0, errs.New(errs.Syntax, "%s column %q not in WITH query column list", what, name)
		}
		if seen[name] {
			return 0, errs.New(errs.DuplicateColumn, "%s column %q specified more than once", what, name)
		}
		seen[name] = true
		found = i
	}
	if len(list) != 1 {
		return 0, errs.New(errs.NotImplemented, "%s over more than one column is not supported (sleeperd has no record type)", what)
	}
	return found, nil
}

// cycleMark binds the mark values of CYCLE: TO true DEFAULT false when not given, else
// constants of one type.
func (b *binder) cycleMark(s *searchCycle, cc *pg_query.CTECycleClause) error {
	if cc.CycleMarkValue == nil {
		s.to, s.def = &planner.Literal{Value: true, Typ: types.Bool}, &planner.Literal{Value: false, Typ: types.Bool}
		return nil
	}
	to, err := b.expr(cc.CycleMarkValue, &scope{}, nil)
	if err != nil {
		return err
	}
	def, err := b.expr(cc.CycleMarkDefault, &scope{}, nil)
	if err != nil {
		return err
	}
	t, err := types.SelectCommon(to.Type(), def.Type())
	if err != nil {
		return errs.New(errs.DatatypeMismatch, "CYCLE types %s and %s cannot be matched", types.Name(to.Type()), types.Name(def.Type()))
	}
	if types.IsUnknown(t) || t.ID() == arrow.NULL {
		t = types.Text
	}
	s.to, s.def = b.coerce(to, t), b.coerce(def, t)
	return nil
}

// extra returns the types and names of the added columns for a query of types cols.
func (s *searchCycle) extra(cols []arrow.DataType) ([]arrow.DataType, []string, error) {
	var ts []arrow.DataType
	var names []string
	if s.searchBy >= 0 {
		t := types.ArrayOf(cols[s.searchBy])
		if s.breadth {
			if !types.IsInteger(cols[s.searchBy]) {
				return nil, nil, errs.New(errs.NotImplemented, "SEARCH BREADTH FIRST is supported by a column of an integer type only (sleeperd has no record type)")
			}
			t = types.ArrayOf(types.Int64)
		}
		ts, names = append(ts, t), append(names, s.seqName)
	}
	if s.cycleBy >= 0 {
		ts = append(ts, s.to.Type(), types.ArrayOf(cols[s.cycleBy]))
		names = append(names, s.markName, s.pathName)
	}
	return ts, names, nil
}

// baseValues are the added columns' values for a row of the non-recursive term, its
// columns cols.
func (s *searchCycle) baseValues(cols []planner.Column, extra []arrow.DataType) []planner.Expr {
	var out []planner.Expr
	i := 0
	if s.searchBy >= 0 {
		v := ref(cols[s.searchBy])
		if s.breadth {
			out = append(out, &planner.Array{Elems: []planner.Expr{&planner.Literal{Value: int64(0), Typ: types.Int64}, &planner.Cast{E: v, To: types.Int64}}, Typ: extra[i]})
		} else {
			out = append(out, &planner.Array{Elems: []planner.Expr{v}, Typ: extra[i]})
		}
		i++
	}
	if s.cycleBy >= 0 {
		out = append(out, s.def, &planner.Array{Elems: []planner.Expr{ref(cols[s.cycleBy])}, Typ: extra[i+1]})
	}
	return out
}

// stepValues are the added columns' values for a row of the recursive term, its columns
// cols, derived from the work table row's added columns prev.
func (s *searchCycle) stepValues(cols, prev []planner.Column) []planner.Expr {
	var out []planner.Expr
	i := 0
	appendTo := func(a planner.Column, v planner.Expr) planner.Expr {
		return &planner.Func{Name: "array_append", Args: []planner.Expr{ref(a), v}, Typ: a.Type}
	}
	if s.searchBy >= 0 {
		v := ref(cols[s.searchBy])
		if s.breadth {
			depth := &planner.Func{Name: "array_subscript", Args: []planner.Expr{ref(prev[i]), &planner.Literal{Value: int64(1), Typ: types.Int64}}, Typ: types.Int64}
			next := &planner.Binary{Op: planner.OpAdd, L: depth, R: &planner.Literal{Value: int64(1), Typ: types.Int64}, Typ: types.Int64}
			out = append(out, &planner.Array{Elems: []planner.Expr{next, &planner.Cast{E: v, To: types.Int64}}, Typ: prev[i].Type})
		} else {
			out = append(out, appendTo(prev[i], v))
		}
		i++
	}
	if s.cycleBy >= 0 {
		v := ref(cols[s.cycleBy])
		path := prev[i+1]
		seen := &planner.AnyOp{Op: planner.OpEq, L: v, R: ref(path)}
		mark := &planner.Case{Whens: []planner.Expr{seen}, Thens: []planner.Expr{s.to}, Else: s.def, Typ: s.to.Type()}
		out = append(out, mark, appendTo(path, v))
	}
	return out
}

// projectWith is in's first n columns and exprs, as new columns named names.
func (b *binder) projectWith(in planner.Node, n int, exprs []planner.Expr, names []string) *planner.Project {
	p := &planner.Project{Input: in}
	for _, c := range in.Columns()[:n] {
		p.Exprs = append(p.Exprs, ref(c))
		p.Cols = append(p.Cols, c)
	}
	for i, e := range exprs {
		p.Exprs = append(p.Exprs, e)
		p.Cols = append(p.Cols, b.newColumn(names[i], e.Type()))
	}
	return p
}

// carry makes the work table scan of the recursive query id in the recursive term n yield
// the added columns extra as well, carried up to n's rows through projections, filters and
// joins; with CYCLE, the work table rows marked as a cycle are not followed. It reports
// whether n reads the work table.
func (s *searchCycle) carry(n planner.Node, id int, extra []planner.Column, name string) (planner.Node, bool, error) {
	if w, ok := n.(*planner.WorkTable); ok && w.ID == id {
		c := *w
		c.Cols = append(append([]planner.Column{}, w.Cols...), extra...)
		var out planner.Node = &c
		if s.cycleBy >= 0 {
			mark := extra[len(extra)-2]
			out = &planner.Filter{Input: out, Pred: &planner.Binary{Op: planner.OpNotEq, L: ref(mark), R: s.to, Typ: types.Bool}}
		}
		return out, true, nil
	}
	ins := n.Inputs()
	var outs []planner.Node
	found := false
	for _, in := range ins {
		o, f, err := s.carry(in, id, extra, name)
		if err != nil {
			return nil, false, err
		}
		outs, found = append(outs, o), found || f
	}
	if !found {
		return n, false, nil
	}
	notTop := errs.New(errs.NotImplemented, "with a SEARCH or CYCLE clause, the recursive reference to WITH query %q must be at the top level of its right-hand SELECT", name)
	switch x := n.(type) {
	case *planner.Project:
		c := *x
		c.Input = outs[0]
		c.Exprs = append([]planner.Expr{}, x.Exprs...)
		c.Cols = append([]planner.Column{}, x.Cols...)
		for _, e := range extra {
			c.Exprs = append(c.Exprs, ref(e))
			c.Cols = append(c.Cols, e)
		}
		return &c, true, nil
	case *planner.Filter, *planner.Sort, *planner.Join, *planner.Unnest:
		out := planner.WithInputs(n, outs)
		have := map[planner.ColumnID]bool{}
		for _, c := range out.Columns() {
			have[c.ID] = true
		}
		for _, e := range extra {
			if !have[e.ID] {
				return nil, false, notTop
			}
		}
		return out, true, nil
	}
	return nil, false, notTop
}

// add builds the non-recursive and recursive terms with the added columns: base and step
// have the query's columns, of types cols; wt is the recursive reference's work table.
func (s *searchCycle) add(b *binder, base, step planner.Node, wt *workTableRef, name string) (planner.Node, planner.Node, error) {
	ts, names, err := s.extra(wt.types)
	if err != nil {
		return nil, nil, err
	}
	n := len(wt.types)
	base = b.projectWith(base, n, s.baseValues(base.Columns(), ts), names)
	var prev []planner.Column
	for i, t := range ts {
		prev = append(prev, b.newColumn(names[i], t))
	}
	carried, found, err := s.carry(step, wt.id, prev, name)
	if err != nil {
		return nil, nil, err
	}
	if !found {
		return nil, nil, errs.New(errs.Internal, "recursive term of %q without its work table", name)
	}
	step = b.projectWith(carried, n, s.stepValues(carried.Columns()[:n], prev), names)
	wt.types = append(wt.types, ts...)
	wt.names = append(wt.names, names...)
	return base, step, nil
}
