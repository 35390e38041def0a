package sql

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/planner"
	"github.com/sleeperd/sleeperd/types"
)

// workTableRef is a recursive query whose recursive term is being bound: the columns its
// work table has, and how often the term refers to it.
type workTableRef struct {
	id    int
	name  string
	types []arrow.DataType
	names []string
	refs  int
}

// cteQuery binds the query of a WITH item referenced by name: a recursive one
// (WITH RECURSIVE ... non-recursive term UNION [ALL] recursive term that refers to the
// name) as a planner.RecursiveCTE, any other as a subquery.
func (b *binder) cteQuery(name string, cte *pg_query.CommonTableExpr) (planner.Node, []string, error) {
	sel := cte.Ctequery.GetSelectStmt()
	clauses := cte.SearchClause != nil || cte.CycleClause != nil
	if !b.recursive[cte] || !refersTo(cte.Ctequery, name) {
		if clauses {
			return nil, nil, errs.New(errs.Syntax, "WITH query is not recursive")
		}
		return b.subquery(sel)
	}
	if sel.Op != pg_query.SetOperation_SETOP_UNION {
		return nil, nil, errs.New(errs.InvalidRecursion, "recursive query %q does not have the form non-recursive-term UNION [ALL] recursive-term", name)
	}
	if clauses {
		for i, term := range []*pg_query.SelectStmt{sel.Larg, sel.Rarg} {
			side := [...]string{"left", "right"}[i]
			if term.Op != pg_query.SetOperation_SETOP_NONE {
				return nil, nil, errs.New(errs.NotImplemented, "with a SEARCH or CYCLE clause, the %s side of the UNION must be a SELECT", side)
			}
		}
	}
	if len(sel.SortClause) > 0 {
		return nil, nil, errs.New(errs.NotImplemented, "ORDER BY in a recursive query is not implemented")
	}
	if sel.LimitCount != nil || sel.LimitOffset != nil {
		return nil, nil, errs.New(errs.NotImplemented, "OFFSET/LIMIT in a recursive query is not implemented")
	}
	if sel.WithClause != nil {
		// A WITH on the union itself: bind it around the two terms.
		pop, err := b.pushWith(sel.WithClause)
		if err != nil {
			return nil, nil, err
		}
		defer pop()
	}
	if refersTo(&pg_query.Node{Node: &pg_query.Node_SelectStmt{SelectStmt: sel.Larg}}, name) {
		return nil, nil, errs.New(errs.InvalidRecursion, "recursive reference to query %q must not appear within its non-recursive term", name)
	}
	base, names, err := b.subquery(sel.Larg)
	if err != nil {
		return nil, nil, err
	}
	base = b.resolveUnknownColumns(base)
	for i, a := range cte.Aliascolnames {
		if i < len(names) {
			names[i] = a.GetString_().GetSval()
		}
	}
	search, err := b.newSearchCycle(cte, names)
	if err != nil {
		return nil, nil, err
	}
	wt := &workTableRef{id: b.nextWork, name: name, names: names}
	b.nextWork++
	for _, c := range base.Columns() {
		wt.types = append(wt.types, c.Type)
	}
	if b.workTables == nil {
		b.workTables = map[string]*workTableRef{}
	}
	saved := b.workTables[name]
	b.workTables[name] = wt
	step, _, err := b.subquery(sel.Rarg)
	b.workTables[name] = saved
	if err != nil {
		return nil, nil, err
	}
	if len(step.Columns()) != len(wt.types) {
		return nil, nil, errs.New(errs.Syntax, "each UNION query must have the same number of columns")
	}
	if step, err = b.stepTypes(name, step, wt.types); err != nil {
		return nil, nil, err
	}
	if search != nil {
		if base, step, err = search.add(b, base, step, wt, name); err != nil {
			return nil, nil, err
		}
		names = wt.names
	}
	n := &planner.RecursiveCTE{ID: wt.id, Base: base, Step: step, Distinct: !sel.All}
	for i, t := range wt.types {
		n.Cols = append(n.Cols, b.newColumn(names[i], t))
	}
	return n, names, nil
}

// resolveUnknownColumns types the untyped columns of a non-recursive term ('a', NULL) as
// text, as PostgreSQL does.
func (b *binder) resolveUnknownColumns(n planner.Node) planner.Node {
	cols := n.Columns()
	unknown := false
	for _, c := range cols {
		if types.IsUnknown(c.Type) || c.Type.ID() == arrow.NULL {
			unknown = true
		}
	}
	if !unknown {
		return n
	}
	p := &planner.Project{Input: n}
	for _, c := range cols {
		var e planner.Expr = ref(c)
		if types.IsUnknown(c.Type) || c.Type.ID() == arrow.NULL {
			e = b.coerce(e, types.Text)
		}
		p.Exprs = append(p.Exprs, e)
		p.Cols = append(p.Cols, b.newColumn(c.Name, e.Type()))
	}
	return p
}

// stepTypes converts the recursive term's untyped columns to the work table's types; any
// other difference is PostgreSQL's error.
func (b *binder) stepTypes(name string, step planner.Node, want []arrow.DataType) (planner.Node, error) {
	cols := step.Columns()
	p := &planner.Project{Input: step}
	cast := false
	for i, c := range cols {
		var e planner.Expr = ref(c)
		if !arrow.TypeEqual(c.Type, want[i]) {
			if !types.IsUnknown(c.Type) && c.Type.ID() != arrow.NULL {
				return nil, &errs.Error{Kind: errs.DatatypeMismatch,
					Msg:  fmt.Sprintf("recursive query %q column %d has type %s in non-recursive term but type %s overall", name, i+1, baseTypeName(want[i]), baseTypeName(commonType(want[i], c.Type))),
					Hint: "Cast the output of the non-recursive term to the correct type."}
			}
			e = b.coerce(e, want[i])
			cast = true
		}
		p.Exprs = append(p.Exprs, e)
		p.Cols = append(p.Cols, b.newColumn(c.Name, want[i]))
	}
	if !cast {
		return step, nil
	}
	return p, nil
}

// commonType is the type a UNION of a and b has, for the error message.
func commonType(a, b arrow.DataType) arrow.DataType {
	if t, err := types.Common(a, b); err == nil {
		return t
	}
	return b
}

// recursiveReference binds the recursive term's reference to its own query: a scan of the
// work table.
func (b *binder) recursiveReference(rv *pg_query.RangeVar) (planner.Node, *scope, error) {
	wt := b.workTables[rv.Relname]
	if wt == nil {
		return nil, nil, errs.New(errs.InvalidRecursion, "recursive reference to query %q must not appear within its non-recursive term", rv.Relname)
	}
	wt.refs++
	if wt.refs > 1 {
		return nil, nil, errs.New(errs.InvalidRecursion, "recursive reference to query %q must not appear more than once", rv.Relname)
	}
	n := &planner.WorkTable{ID: wt.id}
	for i, t := range wt.types {
		n.Cols = append(n.Cols, b.newColumn(wt.names[i], t))
	}
	sc, err := relationScope(aliasName(rv.Alias, rv.Relname), n.Cols, rv.Alias)
	return n, sc, err
}

// refersTo says whether the parse tree n has a table reference without schema named name.
func refersTo(n *pg_query.Node, name string) bool {
	return !walkMessages(n.ProtoReflect(), func(m protoreflect.Message) (bool, bool) {
		rv, ok := m.Interface().(*pg_query.RangeVar)
		found := ok && rv.Schemaname == "" && rv.Relname == name
		return !found, !found
	})
}

// baseTypeName is a type's name without its modifier: numeric for numeric(38,1).
func baseTypeName(t arrow.DataType) string {
	n := types.Name(t)
	if i := strings.IndexByte(n, '('); i > 0 {
		return n[:i]
	}
	return n
}
