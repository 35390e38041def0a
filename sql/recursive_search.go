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
// order (the search sequence, then the cycle mark and path). As in PostgreSQL, the sequence
// and path are records of the listed columns:
//
//   - SEARCH DEPTH FIRST BY c1, c2 SET s: s is the array of the records (c1, c2) from the
//     first row to this one, so that ORDER BY s lists each subtree before the next sibling.
//   - SEARCH BREADTH FIRST BY c1, c2 SET s: s is the record (depth, c1, c2), depth a bigint
//     from 0, so that ORDER BY s lists the rows by level, then by the columns.
//   - CYCLE c1, c2 SET m [TO v DEFAULT d] USING p: p is the path of the records (c1, c2); m
//     is v on a row whose record is already on its path, d elsewhere, and rows marked v are
//     not followed.
type searchCycle struct {
	breadth  bool
	searchBy []int // column indexes; nil without SEARCH
	seqName  string
	cycleBy  []int // column indexes; nil without CYCLE
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
	s := &searchCycle{}
	if sc != nil {
		by, err := clauseColumns(sc.SearchColList, names, "search")
		if err != nil {
			return nil, err
		}
		s.searchBy, s.breadth, s.seqName = by, sc.SearchBreadthFirst, sc.SearchSeqColumn
	}
	if cc != nil {
		by, err := clauseColumns(cc.CycleColList, names, "cycle")
		if err != nil {
			return nil, err
		}
		s.cycleBy, s.markName, s.pathName = by, cc.CycleMarkColumn, cc.CyclePathColumn
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

// clauseColumns finds the columns of a SEARCH or CYCLE list among names.
func clauseColumns(list []*pg_query.Node, names []string, what string) ([]int, error) {
	var out []int
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
			return nil, errs.New(errs.Syntax, "%s column %q not in WITH query column list", what, name)
		}
		if seen[name] {
			return nil, errs.New(errs.DuplicateColumn, "%s column %q specified more than once", what, name)
		}
		seen[name] = true
		out = append(out, i)
	}
	return out, nil
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

// depth is the breadth-first sequence's level d, a bigint.
func depth(d int64) planner.Expr { return &planner.Literal{Value: d, Typ: types.Int64} }

// searchRecord is the record a row adds to the search sequence, its columns cols: (c1, c2,
// ...), or (level, c1, c2, ...) breadth first.
func (b *binder) searchRecord(s *searchCycle, cols []planner.Expr, level planner.Expr) (planner.Expr, error) {
	var fields []planner.Expr
	if s.breadth {
		fields = append(fields, level)
	}
	for _, i := range s.searchBy {
		fields = append(fields, cols[i])
	}
	r, err := b.record(fields)
	if err != nil {
		return nil, clauseError("SEARCH BY", err)
	}
	return r, nil
}

// cycleRecord is the record a row adds to the cycle path, its columns cols.
func (b *binder) cycleRecord(s *searchCycle, cols []planner.Expr) (planner.Expr, error) {
	var fields []planner.Expr
	for _, i := range s.cycleBy {
		fields = append(fields, cols[i])
	}
	r, err := b.record(fields)
	if err != nil {
		return nil, clauseError("CYCLE", err)
	}
	return r, nil
}

// typed stands for values of the types ts, to find the types of records of them.
func typed(ts []arrow.DataType) []planner.Expr {
	out := make([]planner.Expr, len(ts))
	for i, t := range ts {
		out[i] = &planner.Literal{Value: nil, Typ: t}
	}
	return out
}

func refs(cols []planner.Column) []planner.Expr {
	out := make([]planner.Expr, len(cols))
	for i, c := range cols {
		out[i] = ref(c)
	}
	return out
}

// extra returns the types and names of the added columns for a query of types cols.
func (b *binder) extraColumns(s *searchCycle, cols []arrow.DataType) ([]arrow.DataType, []string, error) {
	var ts []arrow.DataType
	var names []string
	if s.searchBy != nil {
		r, err := b.searchRecord(s, typed(cols), depth(0))
		if err != nil {
			return nil, nil, err
		}
		t := r.Type()
		if !s.breadth {
			t = types.ArrayOf(t)
		}
		ts, names = append(ts, t), append(names, s.seqName)
	}
	if s.cycleBy != nil {
		r, err := b.cycleRecord(s, typed(cols))
		if err != nil {
			return nil, nil, err
		}
		ts = append(ts, s.to.Type(), types.ArrayOf(r.Type()))
		names = append(names, s.markName, s.pathName)
	}
	return ts, names, nil
}

// baseValues are the added columns' values for a row of the non-recursive term, its
// columns cols.
func (b *binder) baseValues(s *searchCycle, cols []planner.Column, extra []arrow.DataType) ([]planner.Expr, error) {
	var out []planner.Expr
	i := 0
	if s.searchBy != nil {
		r, err := b.searchRecord(s, refs(cols), depth(0))
		if err != nil {
			return nil, err
		}
		if !s.breadth {
			r = &planner.Array{Elems: []planner.Expr{r}, Typ: extra[i]}
		}
		out = append(out, r)
		i++
	}
	if s.cycleBy != nil {
		r, err := b.cycleRecord(s, refs(cols))
		if err != nil {
			return nil, err
		}
		out = append(out, s.def, &planner.Array{Elems: []planner.Expr{r}, Typ: extra[i+1]})
	}
	return out, nil
}

// stepValues are the added columns' values for a row of the recursive term, its columns
// cols, derived from the work table row's added columns prev.
func (b *binder) stepValues(s *searchCycle, cols, prev []planner.Column) ([]planner.Expr, error) {
	var out []planner.Expr
	i := 0
	appendTo := func(a planner.Column, v planner.Expr) planner.Expr {
		return &planner.Func{Name: "array_append", Args: []planner.Expr{ref(a), v}, Typ: a.Type}
	}
	if s.searchBy != nil {
		level := &planner.Binary{Op: planner.OpAdd, L: &planner.Func{Name: "record_field", Args: []planner.Expr{ref(prev[i]), &planner.Literal{Value: int32(0), Typ: types.Int32}}, Typ: types.Int64}, R: depth(1), Typ: types.Int64}
		r, err := b.searchRecord(s, refs(cols), level)
		if err != nil {
			return nil, err
		}
		if s.breadth {
			out = append(out, r)
		} else {
			out = append(out, appendTo(prev[i], r))
		}
		i++
	}
	if s.cycleBy != nil {
		r, err := b.cycleRecord(s, refs(cols))
		if err != nil {
			return nil, err
		}
		path := prev[i+1]
		seen := &planner.AnyOp{Op: planner.OpEq, L: r, R: ref(path)}
		mark := &planner.Case{Whens: []planner.Expr{seen}, Thens: []planner.Expr{s.to}, Else: s.def, Typ: s.to.Type()}
		out = append(out, mark, appendTo(path, r))
	}
	return out, nil
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
		if s.cycleBy != nil {
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
	ts, names, err := b.extraColumns(s, wt.types)
	if err != nil {
		return nil, nil, err
	}
	n := len(wt.types)
	bv, err := b.baseValues(s, base.Columns()[:n], ts)
	if err != nil {
		return nil, nil, err
	}
	base = b.projectWith(base, n, bv, names)
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
	sv, err := b.stepValues(s, carried.Columns()[:n], prev)
	if err != nil {
		return nil, nil, err
	}
	step = b.projectWith(carried, n, sv, names)
	wt.types = append(wt.types, ts...)
	wt.names = append(wt.names, names...)
	return base, step, nil
}

// clauseError names the clause in an error about its record.
func clauseError(clause string, err error) error {
	if e, ok := err.(*errs.Error); ok {
		return errs.New(e.Kind, "%s: %s", clause, e.Msg)
	}
	return err
}
