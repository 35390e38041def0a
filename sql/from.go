package sql

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/sleeperd/sleeperd/catalog"
	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/planner"
	"github.com/sleeperd/sleeperd/types"
)

// scopeCol is a column an expression may refer to, with the name of the relation (table,
// alias or subquery) it belongs to.
type scopeCol struct {
	table string
	col   planner.Column
	// merged columns stand for the USING columns of a join: unqualified names resolve to
	// them, and the tables' own columns of that name then resolve only qualified.
	merged bool
	// hiddenUnqualified columns are not found by an unqualified name (the sides of a USING
	// column).
	hiddenUnqualified bool
}

// scope is the set of columns an expression may refer to, in the order SELECT * shows them.
type scope struct {
	cols []scopeCol
	// parent is the scope of the enclosing query, for correlated subqueries.
	parent *scope
	// outer records the columns of parent scopes a subquery referred to.
	outer map[planner.ColumnID]bool
	// items are the FROM items whose columns cols are, as far as they are bound, when the
	// scope is a FROM clause's: binding them again gives an independent copy of the rows
	// (see liftCorrelatedFuncs).
	items []*pg_query.Node
	// where is the WHERE clause of the query whose FROM clause the scope is: its conjuncts
	// on items alone limit the rows bound again (see domain).
	where *pg_query.Node
	// strictWhere says that the items are on the null-extended side of an outer join: only
	// the conjuncts of where that a row of NULLs does not meet limit the rows bound again.
	strictWhere bool
	// from is the whole FROM list whose items items begins, when the scope is a FROM list's.
	from []*pg_query.Node
}

func (s *scope) lookup(table, name string, pos int32) (planner.Column, error) {
	c, err := s.find(table, name, pos)
	if err == nil || s.parent == nil {
		return c, err
	}
	if k := errs.KindOf(err); k != errs.UndefinedColumn && k != errs.UndefinedTable {
		return c, err
	}
	oc, oerr := s.parent.lookup(table, name, pos)
	if oerr != nil {
		return c, err
	}
	if s.outer == nil {
		s.outer = map[planner.ColumnID]bool{}
	}
	s.outer[oc.ID] = true
	return oc, nil
}

func (s *scope) find(table, name string, pos int32) (planner.Column, error) {
	if s == nil {
		s = &scope{}
	}
	if table != "" && !s.hasTable(table) {
		return planner.Column{}, &errs.Error{Kind: errs.UndefinedTable, Msg: fmt.Sprintf("missing FROM-clause entry for table %q", table), Position: int(pos) + 1}
	}
	var found []planner.Column
	for _, c := range s.cols {
		if c.col.Name != name {
			continue
		}
		if table == "" && c.hiddenUnqualified {
			continue
		}
		if table != "" && (c.table != table || c.merged) {
			continue
		}
		found = append(found, c.col)
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		full := name
		if table != "" {
			full = table + "." + name
		}
		return planner.Column{}, &errs.Error{Kind: errs.UndefinedColumn, Msg: fmt.Sprintf("column %q does not exist", full), Position: int(pos) + 1}
	}
	return planner.Column{}, &errs.Error{Kind: errs.AmbiguousColumn, Msg: fmt.Sprintf("column reference %q is ambiguous", name), Position: int(pos) + 1}
}

func (s *scope) hasTable(t string) bool {
	for _, c := range s.cols {
		if c.table == t && !c.merged {
			return true
		}
	}
	return false
}

// tableOf names the relation of a column, for messages.
func (s *scope) tableOf(id planner.ColumnID) string {
	for _, c := range s.cols {
		if c.col.ID == id && !c.merged {
			return c.table
		}
	}
	return ""
}

// star expands * or t.*.
func (s *scope) star(cr *pg_query.ColumnRef) ([]planner.Column, error) {
	var out []planner.Column
	if len(cr.Fields) == 2 {
		t := cr.Fields[0].GetString_().GetSval()
		if !s.hasTable(t) {
			return nil, &errs.Error{Kind: errs.UndefinedTable, Msg: fmt.Sprintf("missing FROM-clause entry for table %q", t), Position: int(cr.Location) + 1}
		}
		for _, c := range s.cols {
			if c.table == t && !c.merged {
				out = append(out, c.col)
			}
		}
		return out, nil
	}
	for _, c := range s.cols {
		if !c.hiddenUnqualified {
			out = append(out, c.col)
		}
	}
	return out, nil
}

func aliasName(a *pg_query.Alias, def string) string {
	if a != nil && a.Aliasname != "" {
		return a.Aliasname
	}
	return def
}

// relationScope is the scope of one relation's columns, renamed by the alias's column list.
func relationScope(table string, cols []planner.Column, alias *pg_query.Alias) (*scope, error) {
	sc := &scope{}
	var names []string
	if alias != nil {
		for _, n := range alias.Colnames {
			names = append(names, n.GetString_().GetSval())
		}
	}
	if len(names) > len(cols) {
		return nil, errs.New(errs.InvalidColumnRef, "table %q has %d columns available but %d columns specified", table, len(cols), len(names))
	}
	for i, c := range cols {
		if i < len(names) {
			c.Name = names[i]
		}
		sc.cols = append(sc.cols, scopeCol{table: table, col: c})
	}
	return sc, nil
}

// from binds the FROM clause. Several items are joined with cross joins (conditions in WHERE
// become join conditions in the optimiser).
func (b *binder) from(items []*pg_query.Node) (planner.Node, *scope, error) {
	// A subquery's scope sees the enclosing query's columns (correlation).
	var parent *scope
	where := b.fromWhere
	b.fromWhere = nil
	savedFromOuter := b.fromOuter
	b.fromOuter = nil
	defer func() { b.fromOuter = savedFromOuter }()
	if b.outer != nil {
		parent, b.outer = b.outer, nil
		b.fromOuter = parent
		defer func() { b.outer = parent }()
	}
	if len(items) == 0 {
		if parent != nil {
			return &planner.Values{Rows: [][]planner.Expr{{}}}, parent, nil
		}
		return &planner.Values{Rows: [][]planner.Expr{{}}}, &scope{}, nil
	}
	var node planner.Node
	sc := &scope{where: where}
	if parent != nil {
		// A fresh scope per FROM clause (each arm of a set operation has its own), which
		// records its references to the enclosing queries in the caller's map.
		if parent.outer == nil {
			parent.outer = map[planner.ColumnID]bool{}
		}
		sc = &scope{parent: parent.parent, outer: parent.outer, where: where}
		b.fromOuter = sc
	}
	sc.from = items
	for i, it := range items {
		sc.items = items[:i]
		it, err := regexpMatchesFrom(it, node != nil) // regex_srf.go
		if err != nil {
			return nil, nil, err
		}
		if rf, fc, ok := isUnnestFrom(it); ok {
			// unnest in FROM may refer to the items before it (LATERAL is implied).
			in := node
			if in == nil {
				in = &planner.Values{Rows: [][]planner.Expr{{}}}
			}
			u, cols, err := b.unnestFrom(rf, fc, in, sc)
			if err != nil {
				return nil, nil, err
			}
			s, err := relationScope(aliasName(rf.Alias, "unnest"), cols, nil)
			if err != nil {
				return nil, nil, err
			}
			node = u
			if err := sc.add(s); err != nil {
				return nil, nil, err
			}
			continue
		}
		if rf, fc, ok := isSeriesFrom(it); ok {
			// Its arguments may refer to the items before it and, in a subquery, to the
			// enclosing query's columns.
			n, cols, lateral, err := b.seriesFrom(rf, fc, node, sc)
			if err != nil {
				return nil, nil, err
			}
			s, err := relationScope(aliasName(rf.Alias, "generate_series"), cols, rf.Alias)
			if err != nil {
				return nil, nil, err
			}
			if lateral || node == nil {
				node = n
			} else {
				node = &planner.Join{Kind: planner.JoinCross, Left: node, Right: n}
			}
			if err := sc.add(s); err != nil {
				return nil, nil, err
			}
			continue
		}
		if rs := it.GetRangeSubselect(); rs != nil && rs.Lateral && node != nil {
			n, s, err := b.lateralSubquery(planner.JoinInner, node, sc, rs, nil)
			if err != nil {
				return nil, nil, err
			}
			node = n
			if err := sc.add(s); err != nil {
				return nil, nil, err
			}
			continue
		}
		if it.GetJoinExpr() != nil {
			b.joinWhere = where
		}
		n, s, err := b.fromItem(it)
		b.joinWhere = nil
		if err != nil {
			return nil, nil, err
		}
		if node == nil {
			node = n
		} else {
			node = &planner.Join{Kind: planner.JoinCross, Left: node, Right: n}
		}
		if err := sc.add(s); err != nil {
			return nil, nil, err
		}
	}
	sc.items = items
	return node, sc, nil
}

// add appends the columns of o, rejecting a relation name used twice.
func (s *scope) add(o *scope) error {
	for _, c := range o.cols {
		if c.table != "" && !c.merged && s.hasTable(c.table) {
			return errs.New(errs.DuplicateAlias, "table name %q specified more than once", c.table)
		}
	}
	s.cols = append(s.cols, o.cols...)
	return nil
}

func (b *binder) fromItem(it *pg_query.Node) (planner.Node, *scope, error) {
	switch {
	case it.GetRangeVar() != nil:
		return b.rangeVar(it.GetRangeVar())
	case it.GetRangeSubselect() != nil:
		rs := it.GetRangeSubselect()
		if rs.Lateral {
			return nil, nil, errs.New(errs.NotImplemented, "LATERAL is not supported yet")
		}
		if rs.Alias == nil {
			return nil, nil, errs.New(errs.Syntax, "subquery in FROM must have an alias")
		}
		n, names, err := b.derivedTable(rs.Subquery.GetSelectStmt())
		if err != nil {
			return nil, nil, err
		}
		sc, err := relationScope(rs.Alias.Aliasname, renamed(n.Columns(), names), rs.Alias)
		return n, sc, err
	case it.GetJoinExpr() != nil:
		return b.join(it.GetJoinExpr())
	case it.GetRangeFunction() != nil:
		return b.rangeFunction(it.GetRangeFunction())
	}
	return nil, nil, errs.New(errs.NotImplemented, "FROM item %s is not supported", stmtName(it))
}

func renamed(cols []planner.Column, names []string) []planner.Column {
	out := make([]planner.Column, len(cols))
	for i, c := range cols {
		if i < len(names) {
			c.Name = names[i]
		}
		out[i] = c
	}
	return out
}

// subquery binds a query nested in this one, with its own CTEs on top of ours.
func (b *binder) subquery(sel *pg_query.SelectStmt) (planner.Node, []string, error) {
	return b.selectStmt(sel)
}

// rangeVar binds a table, a CTE or a system table.
func (b *binder) rangeVar(rv *pg_query.RangeVar) (planner.Node, *scope, error) {
	if isPGSystemSchema(rv.Schemaname) || rv.Schemaname == "" && b.cte(rv.Relname) == nil {
		// PostgreSQL searches pg_catalog before public.
		if n, sc, ok, err := b.pgSystemTable(rv); ok {
			return n, sc, err
		}
	}
	if rv.Schemaname == catalog.SystemSchema {
		return b.systemTable(rv)
	}
	if rv.Schemaname == "" {
		if cte := b.cte(rv.Relname); cte != nil {
			if b.cteBinding[rv.Relname] {
				return b.recursiveReference(rv) // recursive.go
			}
			b.cteBinding[rv.Relname] = true
			n, names, err := b.cteQuery(rv.Relname, cte)
			delete(b.cteBinding, rv.Relname)
			if err != nil {
				return nil, nil, err
			}
			cols := renamed(n.Columns(), names)
			var alias []string
			for _, a := range cte.Aliascolnames {
				alias = append(alias, a.GetString_().GetSval())
			}
			if len(alias) > len(cols) {
				return nil, nil, errs.New(errs.InvalidColumnRef, "WITH query %q has %d columns available but %d columns specified", rv.Relname, len(cols), len(alias))
			}
			cols = renamed(cols, alias)
			sc, err := relationScope(aliasName(rv.Alias, rv.Relname), cols, rv.Alias)
			return n, sc, err
		}
	}
	if rv.Schemaname == "" || rv.Schemaname == "public" {
		v, ok, err := b.cat.View(b.ctx, rv.Relname)
		if err != nil {
			return nil, nil, err
		}
		if ok {
			return b.view(v, rv)
		}
	}
	t, err := b.table(rv)
	if err != nil {
		return nil, nil, err
	}
	if b.deps != nil {
		b.deps[t.Name] = true
	}
	scan := &planner.Scan{Table: t}
	var visible []planner.Column
	for _, c := range t.Columns {
		col := b.newColumn(c.Name, c.SQL())
		col.Nullable = c.Nullable
		scan.Cols = append(scan.Cols, col)
		if !c.Hidden {
			visible = append(visible, col)
		}
	}
	if len(t.PrimaryKey) > 0 {
		if b.pkOf == nil {
			b.pkOf = map[planner.ColumnID][]planner.ColumnID{}
		}
		pk := make([]planner.ColumnID, len(t.PrimaryKey))
		for i, k := range t.PrimaryKey {
			pk[i] = scan.Cols[k].ID
		}
		for _, c := range scan.Cols {
			b.pkOf[c.ID] = pk
		}
	}
	sc, err := relationScope(aliasName(rv.Alias, t.Name), visible, rv.Alias)
	return scan, sc, err
}

// cte finds a WITH query by name, innermost first.
func (b *binder) cte(name string) *pg_query.CommonTableExpr {
	for i := len(b.ctes) - 1; i >= 0; i-- {
		if c, ok := b.ctes[i][name]; ok {
			return c
		}
	}
	return nil
}

// pushWith makes the queries of a WITH clause visible until the returned function is called.
func (b *binder) pushWith(w *pg_query.WithClause) (func(), error) {
	if w == nil {
		return func() {}, nil
	}
	level := map[string]*pg_query.CommonTableExpr{}
	for _, n := range w.Ctes {
		c := n.GetCommonTableExpr()
		if _, dup := level[c.Ctename]; dup {
			return nil, errs.New(errs.DuplicateAlias, "WITH query name %q specified more than once", c.Ctename)
		}
		if c.Ctequery.GetSelectStmt() == nil {
			return nil, errs.New(errs.NotImplemented, "WITH supports SELECT queries only")
		}
		level[c.Ctename] = c
		if w.Recursive {
			if b.recursive == nil {
				b.recursive = map[*pg_query.CommonTableExpr]bool{}
			}
			b.recursive[c] = true
		}
	}
	b.ctes = append(b.ctes, level)
	if b.cteBinding == nil {
		b.cteBinding = map[string]bool{}
	}
	return func() { b.ctes = b.ctes[:len(b.ctes)-1] }, nil
}

// join binds a JOIN expression.
func (b *binder) join(j *pg_query.JoinExpr) (planner.Node, *scope, error) {
	// The left side's rows are in an inner or left join's rows as they are: when the join is
	// an item of a FROM list, or the left side of such a join, the WHERE's conditions on them
	// hold for every row of the result that has their values (see domainWhere).
	where, strict := b.joinWhere, b.joinWhereStrict
	b.joinWhere, b.joinWhereStrict = nil, false
	// So are the right side's in an inner or right join's. The null-extended side's rows
	// are there with their values or with NULLs: the conditions that NULLs do not meet hold
	// for them (PostgreSQL then makes the outer join an inner one).
	rightWhere, rightStrict := where, strict
	if j.Jointype != pg_query.JoinType_JOIN_INNER && j.Jointype != pg_query.JoinType_JOIN_LEFT {
		strict = true
	}
	if j.Jointype != pg_query.JoinType_JOIN_INNER && j.Jointype != pg_query.JoinType_JOIN_RIGHT {
		rightStrict = true
	}
	if _, ok := j.Larg.Node.(*pg_query.Node_JoinExpr); ok {
		b.joinWhere, b.joinWhereStrict = where, strict
	}
	left, ls, err := b.fromItem(j.Larg)
	b.joinWhere, b.joinWhereStrict = nil, false
	if err != nil {
		return nil, nil, err
	}
	if ls.items == nil {
		ls.items = []*pg_query.Node{j.Larg} // for a LATERAL subquery on the right
		ls.where, ls.strictWhere = where, strict
	}
	if rf, fc, ok := isUnnestFrom(j.Rarg); ok && (rf.Lateral || j.Jointype == pg_query.JoinType_JOIN_INNER) {
		return b.lateralUnnestJoin(j, rf, fc, left, ls)
	}
	if rf, fc, ok := isSeriesFrom(j.Rarg); ok && (j.Jointype == pg_query.JoinType_JOIN_INNER || j.Jointype == pg_query.JoinType_JOIN_LEFT) && !j.IsNatural && len(j.UsingClause) == 0 && j.Alias == nil {
		n, cols, lateral, err := b.seriesFrom(rf, fc, left, ls)
		if err != nil {
			return nil, nil, err
		}
		if lateral {
			return b.lateralFuncJoin(j, rf, n.(*planner.Unnest), cols, ls, "generate_series")
		}
	}
	if rs := j.Rarg.GetRangeSubselect(); rs != nil && rs.Lateral {
		return b.lateralJoin(j, rs, left, ls)
	}
	if _, ok := j.Rarg.Node.(*pg_query.Node_JoinExpr); ok {
		b.joinWhere, b.joinWhereStrict = rightWhere, rightStrict
	}
	right, rs, err := b.fromItem(j.Rarg)
	b.joinWhere, b.joinWhereStrict = nil, false
	if err != nil {
		return nil, nil, err
	}
	kind := planner.JoinInner
	switch j.Jointype {
	case pg_query.JoinType_JOIN_LEFT:
		kind = planner.JoinLeft
	case pg_query.JoinType_JOIN_RIGHT:
		kind = planner.JoinRight
	case pg_query.JoinType_JOIN_FULL:
		kind = planner.JoinFull
	case pg_query.JoinType_JOIN_INNER:
	default:
		return nil, nil, errs.New(errs.NotImplemented, "join type %s is not supported", j.Jointype)
	}
	sc := &scope{}
	if err := sc.add(ls); err != nil {
		return nil, nil, err
	}
	if err := sc.add(rs); err != nil {
		return nil, nil, err
	}
	var using []string
	for _, u := range j.UsingClause {
		using = append(using, u.GetString_().GetSval())
	}
	if j.IsNatural {
		for _, l := range ls.cols {
			if l.hiddenUnqualified {
				continue
			}
			for _, r := range rs.cols {
				if !r.hiddenUnqualified && r.col.Name == l.col.Name {
					using = append(using, l.col.Name)
				}
			}
		}
	}
	node := &planner.Join{Kind: kind, Left: left, Right: right}
	if j.Quals != nil {
		out, err := b.joinOn(j, node, sc, len(using) > 0)
		if out != nil || err != nil {
			return out, sc, err
		}
	} else if len(using) == 0 && !j.IsNatural {
		node.Kind = planner.JoinCross
		if kind != planner.JoinInner {
			return nil, nil, errs.New(errs.Syntax, "outer joins need a join condition")
		}
	}
	if len(using) == 0 {
		if j.Alias != nil {
			var cols []planner.Column
			for _, c := range sc.cols {
				cols = append(cols, c.col)
			}
			nsc, err := relationScope(j.Alias.Aliasname, cols, j.Alias)
			return node, nsc, err
		}
		return node, sc, nil
	}
	return b.joinUsing(node, using, kind, ls, rs, sc)
}

// lateralJoin binds left JOIN LATERAL (subquery) ON ...: see lateralSubquery.
func (b *binder) lateralJoin(j *pg_query.JoinExpr, rs *pg_query.RangeSubselect, left planner.Node, ls *scope) (planner.Node, *scope, error) {
	kind := planner.JoinInner
	switch {
	case j.Jointype == pg_query.JoinType_JOIN_LEFT:
		kind = planner.JoinLeft
	case j.Jointype == pg_query.JoinType_JOIN_RIGHT:
		kind = planner.JoinRight // an error if the subquery refers to the left side
	case j.Jointype == pg_query.JoinType_JOIN_FULL:
		kind = planner.JoinFull
	}
	if j.IsNatural || len(j.UsingClause) > 0 || j.Alias != nil {
		return nil, nil, errs.New(errs.NotImplemented, "LATERAL joins with USING, NATURAL or an alias are not supported yet")
	}
	quals := j.Quals
	n, rsc, err := b.lateralSubquery(kind, left, ls, rs, quals)
	if err != nil {
		return nil, nil, err
	}
	sc := &scope{}
	if err := sc.add(ls); err != nil {
		return nil, nil, err
	}
	if err := sc.add(rsc); err != nil {
		return nil, nil, err
	}
	return n, sc, nil
}

// joinUsing binds the USING columns of the join node: equal columns, shown once first by
// SELECT *; the unqualified name means the left column (right for a right join, either one
// for a full join).
func (b *binder) joinUsing(node *planner.Join, using []string, kind planner.JoinKind, ls, rs, sc *scope) (planner.Node, *scope, error) {
	// USING: equal columns, shown once first by SELECT *; the unqualified name means the
	// left column (right for a right join, either one for a full join).
	var conds []planner.Expr
	var merged []scopeCol
	var project []planner.Expr
	needProject := false
	for _, name := range using {
		lc, err := ls.find("", name, 0)
		if err != nil {
			return nil, nil, errs.New(errs.UndefinedColumn, "column %q specified in USING clause does not exist in left table", name)
		}
		rc, err := rs.find("", name, 0)
		if err != nil {
			return nil, nil, errs.New(errs.UndefinedColumn, "column %q specified in USING clause does not exist in right table", name)
		}
		eq, err := b.binary(planner.OpEq, ref(lc), ref(rc))
		if err != nil {
			return nil, nil, err
		}
		conds = append(conds, eq)
		m := lc
		switch kind {
		case planner.JoinRight:
			m = rc
		case planner.JoinFull:
			t, err := types.SelectCommon(lc.Type, rc.Type)
			if err != nil {
				return nil, nil, err
			}
			m = b.newColumn(name, t)
			project = append(project, &planner.Coalesce{Args: []planner.Expr{coerceTo(ref(lc), t), coerceTo(ref(rc), t)}, Typ: t})
			needProject = true
		}
		merged = append(merged, scopeCol{col: planner.Column{ID: m.ID, Name: name, Type: m.Type, Nullable: true}, merged: true})
		for i := range sc.cols {
			if sc.cols[i].col.Name == name && (sc.cols[i].col.ID == lc.ID || sc.cols[i].col.ID == rc.ID) {
				sc.cols[i].hiddenUnqualified = true
			}
		}
	}
	node.Cond = planner.And(append(conds, condList(node.Cond)...))
	if node.Kind == planner.JoinCross {
		node.Kind = planner.JoinInner
	}
	out := &scope{cols: append(merged, sc.cols...)}
	if !needProject {
		return node, out, nil
	}
	// A full join computes its merged columns.
	p := &planner.Project{Input: node}
	for _, c := range node.Columns() {
		p.Exprs = append(p.Exprs, ref(c))
		p.Cols = append(p.Cols, c)
	}
	k := 0
	for i := range merged {
		if _, ok := project[k].(*planner.Coalesce); ok {
			c := merged[i].col
			p.Exprs = append(p.Exprs, project[k])
			p.Cols = append(p.Cols, c)
		}
		k++
	}
	return p, out, nil
}

// joinOn binds the ON condition of the join node into its condition. Subqueries in it join
// the side whose columns they refer to; when they refer to both, the join is built here
// and returned (nil otherwise): the joined rows filtered for an inner join, the right side
// run per left row for a left join.
func (b *binder) joinOn(j *pg_query.JoinExpr, node *planner.Join, sc *scope, using bool) (planner.Node, error) {
	var above []pendingJoin
	pending := len(b.scalars)
	cond, err := b.expr(j.Quals, sc, nil)
	if err != nil {
		return nil, err
	}
	if len(b.scalars) > pending {
		subs := append([]pendingJoin(nil), b.scalars[pending:]...)
		b.scalars = b.scalars[:pending]
		if above, err = b.placeJoinSubqueries(node, subs); err != nil {
			if err == errFullJoinSubquery && !hashJoinable(node, cond) {
				// PostgreSQL's error for such a FULL JOIN.
				return nil, errs.New(errs.NotImplemented, "FULL JOIN is only supported with merge-joinable or hash-joinable join conditions")
			}
			return nil, err
		}
	}
	if node.Cond, err = b.coerceBool(cond, "JOIN/ON"); err != nil {
		return nil, err
	}
	if len(above) > 0 && (node.Kind == planner.JoinLeft || node.Kind == planner.JoinRight) {
		if using || j.IsNatural || j.Alias != nil {
			return nil, errs.New(errs.NotImplemented, "subqueries in JOIN conditions with USING, NATURAL or an alias are not supported yet")
		}
		if node.Kind == planner.JoinRight {
			return rightJoinApply(node, above), nil
		}
		return leftJoinApply(node, above), nil
	}
	if len(above) > 0 {
		// An inner join whose condition's subqueries refer to both sides: they join the
		// joined rows, which the condition then filters.
		var out planner.Node = &planner.Join{Kind: planner.JoinCross, Left: node.Left, Right: node.Right}
		for _, s := range above {
			out = applyPending(out, s)
		}
		out = &planner.Filter{Input: out, Pred: node.Cond}
		if using || j.IsNatural || j.Alias != nil {
			return nil, errs.New(errs.NotImplemented, "subqueries in JOIN conditions with USING, NATURAL or an alias are not supported yet")
		}
		return out, nil
	}
	return nil, nil
}

func condList(e planner.Expr) []planner.Expr {
	if e == nil {
		return nil
	}
	return planner.Conjuncts(e)
}

func ref(c planner.Column) *planner.ColumnRef {
	return &planner.ColumnRef{ID: c.ID, Name: c.Name, Typ: c.Type}
}

// view binds a view: its stored query, bound afresh.
func (b *binder) view(v *catalog.View, rv *pg_query.RangeVar) (planner.Node, *scope, error) {
	if b.deps != nil {
		b.deps[v.Name] = true
	}
	if b.viewBinding[v.Name] {
		return nil, nil, errs.New(errs.InvalidDefinition, "infinite recursion detected in view %q", v.Name)
	}
	stmts, err := Parse(v.SQL)
	if err != nil || len(stmts) != 1 || stmts[0].Stmt.GetSelectStmt() == nil {
		return nil, nil, errs.New(errs.Internal, "view %q has a broken definition", v.Name)
	}
	if b.viewBinding == nil {
		b.viewBinding = map[string]bool{}
	}
	b.viewBinding[v.Name] = true
	// A view's query does not see the CTEs or the outer query of where it is used.
	savedCtes, savedOuter := b.ctes, b.outer
	b.ctes, b.outer = nil, nil
	n, names, err := b.subquery(stmts[0].Stmt.GetSelectStmt())
	b.ctes, b.outer = savedCtes, savedOuter
	delete(b.viewBinding, v.Name)
	if err != nil {
		return nil, nil, err
	}
	if b.viewRoots != nil {
		b.viewRoots[n] = true
	}
	cols := renamed(renamed(n.Columns(), names), v.Columns)
	sc, err := relationScope(aliasName(rv.Alias, v.Name), cols, rv.Alias)
	return n, sc, err
}

// rangeFunction binds a function in FROM: generate_series(start, stop[, step]) or unnest of
// arrays that refer to no other FROM item.
func (b *binder) rangeFunction(rf *pg_query.RangeFunction) (planner.Node, *scope, error) {
	if _, fc, ok := isUnnestFrom(&pg_query.Node{Node: &pg_query.Node_RangeFunction{RangeFunction: rf}}); ok {
		u, cols, err := b.unnestFrom(rf, fc, &planner.Values{Rows: [][]planner.Expr{{}}}, &scope{})
		if err != nil {
			return nil, nil, err
		}
		sc, err := relationScope(aliasName(rf.Alias, "unnest"), cols, nil)
		return u, sc, err
	}
	if rf.IsRowsfrom || len(rf.Functions) != 1 {
		return nil, nil, errs.New(errs.NotImplemented, "ROWS FROM is not supported yet")
	}
	items := rf.Functions[0].GetList().GetItems()
	if len(items) == 0 || items[0].GetFuncCall() == nil {
		return nil, nil, errs.New(errs.NotImplemented, "this function in FROM is not supported")
	}
	fc := items[0].GetFuncCall()
	name := funcName(fc)
	if name == "read_parquet" {
		return b.readParquet(rf, fc)
	}
	if name != "generate_series" {
		return nil, nil, errs.New(errs.NotImplemented, "function %s in FROM is not supported yet", name)
	}
	n, cols, _, err := b.seriesFrom(rf, fc, nil, &scope{})
	if err != nil {
		return nil, nil, err
	}
	sc, err := relationScope(aliasName(rf.Alias, "generate_series"), cols, rf.Alias)
	return n, sc, err
}

// seriesFrom binds generate_series(...) [WITH ORDINALITY] in FROM. Its arguments may refer
// to the columns of sc, the scope of the items before it (LATERAL, implied for functions),
// whose rows input yields (nil: one empty row): it then expands each of them, as unnest
// does. Without such a reference and WITH ORDINALITY it is a constant relation, to be joined
// with input. It returns the node, the function's columns, and whether the node includes
// input's rows.
func (b *binder) seriesFrom(rf *pg_query.RangeFunction, fc *pg_query.FuncCall, input planner.Node, sc *scope) (planner.Node, []planner.Column, bool, error) {
	s, err := b.seriesCall(fc, sc)
	if err != nil {
		return nil, nil, false, err
	}
	colName := "generate_series"
	if rf.Alias != nil {
		if len(rf.Alias.Colnames) > 0 {
			colName = rf.Alias.Colnames[0].GetString_().GetSval()
		} else {
			colName = rf.Alias.Aliasname // a single-column function takes the alias as its column name
		}
	}
	t := s.Start.Type()
	s.Col = b.newColumn(colName, t)
	used := map[planner.ColumnID]bool{}
	for _, e := range []planner.Expr{s.Start, s.Stop, s.Step} {
		if e != nil {
			planner.ColumnsUsed(e, used)
		}
	}
	if len(used) == 0 && !rf.Ordinality {
		return s, []planner.Column{s.Col}, false, nil
	}
	if input == nil {
		input = &planner.Values{Rows: [][]planner.Expr{{}}}
	}
	args := []planner.Expr{s.Start, s.Stop}
	if s.Step != nil {
		args = append(args, s.Step)
	}
	u := &planner.Unnest{Input: input, Lists: []planner.Expr{&planner.Func{Name: "generate_series", Args: args, Typ: types.ArrayOf(t)}}, Cols: []planner.Column{s.Col}}
	cols := []planner.Column{s.Col}
	if rf.Ordinality {
		name := "ordinality"
		if rf.Alias != nil && len(rf.Alias.Colnames) > 1 {
			name = rf.Alias.Colnames[1].GetString_().GetSval()
		}
		c := b.newColumn(name, types.Int64)
		u.Ordinality = &c
		cols = append(cols, c)
	}
	if rf.Alias != nil && len(rf.Alias.Colnames) > len(cols) {
		return nil, nil, false, errs.New(errs.InvalidColumnRef, "table %q has %d columns available but %d columns specified", rf.Alias.Aliasname, len(cols), len(rf.Alias.Colnames))
	}
	return u, cols, true, nil
}

// seriesCall binds the arguments of generate_series(start, stop[, step]) in FROM over sc.
func (b *binder) seriesCall(fc *pg_query.FuncCall, sc *scope) (*planner.Series, error) {
	if len(fc.Args) < 2 || len(fc.Args) > 3 {
		return nil, errs.New(errs.UndefinedFunction, "function generate_series with %d arguments does not exist", len(fc.Args))
	}
	var args []planner.Expr
	for _, a := range fc.Args {
		e, err := b.expr(a, sc, nil)
		if err != nil {
			return nil, err
		}
		args = append(args, e)
	}
	t, err := types.Common(args[0].Type(), args[1].Type())
	if err != nil {
		return nil, err
	}
	if types.IsUnknown(t) {
		t = types.Timestamp // generate_series('2024-01-01', '2024-02-01', '1 day')
	}
	if t.ID() == arrow.DATE32 {
		// Dates convert to either timestamp type; PostgreSQL prefers timestamp with time zone.
		t = types.TimestampTZ
	}
	s := &planner.Series{Start: b.coerce(args[0], t), Stop: b.coerce(args[1], t)}
	switch {
	case types.IsInteger(t):
		if t.ID() == arrow.INT16 {
			t = types.Int32
			s.Start, s.Stop = b.coerce(args[0], t), b.coerce(args[1], t)
		}
		if len(args) == 3 {
			s.Step = b.coerce(args[2], t)
		}
	case t.ID() == arrow.TIMESTAMP:
		if len(args) != 3 {
			return nil, errs.New(errs.UndefinedFunction, "function generate_series(%s, %s) does not exist", types.Name(t), types.Name(t))
		}
		s.Step = b.coerce(args[2], types.Interval)
	default:
		return nil, errs.New(errs.UndefinedFunction, "function generate_series(%s) does not exist", types.Name(t))
	}
	return s, nil
}

// lateralUnnestJoin binds t [INNER | LEFT] JOIN [LATERAL] unnest(...) [ON cond]: the unnest
// expands each row of the left side, and the condition filters the result.
func (b *binder) lateralUnnestJoin(j *pg_query.JoinExpr, rf *pg_query.RangeFunction, fc *pg_query.FuncCall, left planner.Node, ls *scope) (planner.Node, *scope, error) {
	if j.IsNatural || len(j.UsingClause) > 0 || j.Alias != nil {
		return nil, nil, errs.New(errs.NotImplemented, "only inner and left joins with LATERAL unnest are supported")
	}
	u, cols, err := b.unnestFrom(rf, fc, left, ls)
	if err != nil {
		return nil, nil, err
	}
	return b.lateralFuncJoin(j, rf, u, cols, ls, "unnest")
}

// lateralFuncJoin finishes t [INNER | LEFT] JOIN f(...) [ON cond] for a set-returning
// function bound as u, an Unnest over t's rows whose own columns are cols. An inner join
// filters u's rows by cond; a left join keeps a row with NULLs for the rows of t the
// function yields no rows for (it unnests a one-NULL array instead of an empty one), and
// supports only ON true.
func (b *binder) lateralFuncJoin(j *pg_query.JoinExpr, rf *pg_query.RangeFunction, u *planner.Unnest, cols []planner.Column, ls *scope, def string) (planner.Node, *scope, error) {
	rs, err := relationScope(aliasName(rf.Alias, def), cols, rf.Alias)
	if err != nil {
		return nil, nil, err
	}
	sc := &scope{}
	if err := sc.add(ls); err != nil {
		return nil, nil, err
	}
	if err := sc.add(rs); err != nil {
		return nil, nil, err
	}
	var cond planner.Expr
	var subs []pendingJoin
	if j.Quals != nil {
		pending := len(b.scalars)
		c, err := b.expr(j.Quals, sc, nil)
		if err != nil {
			return nil, nil, err
		}
		if len(b.scalars) > pending {
			if j.Jointype == pg_query.JoinType_JOIN_LEFT {
				return nil, nil, errs.New(errs.NotImplemented, "subqueries in the conditions of LEFT JOIN LATERAL are not supported yet")
			}
			// They join the function's rows, which the condition then filters.
			subs = append(subs, b.scalars[pending:]...)
			b.scalars = b.scalars[:pending]
		}
		if cond, err = b.coerceBool(c, "JOIN/ON"); err != nil {
			return nil, nil, err
		}
		if l, ok := cond.(*planner.Literal); ok && l.Value == true {
			cond = nil
		}
	}
	if j.Jointype == pg_query.JoinType_JOIN_LEFT {
		if cond != nil || u.Ordinality != nil {
			return nil, nil, errs.New(errs.NotImplemented, "LEFT JOIN with a set-returning function is supported only with ON true and without ORDINALITY")
		}
		for i, l := range u.Lists {
			t := l.Type()
			nonEmpty := &planner.Binary{Op: planner.OpGt, L: &planner.Func{Name: "cardinality", Args: []planner.Expr{l}, Typ: types.Int32}, R: &planner.Literal{Value: int32(0), Typ: types.Int32}, Typ: types.Bool}
			null := &planner.Array{Elems: []planner.Expr{&planner.Literal{Typ: types.Elem(t)}}, Typ: t}
			u.Lists[i] = &planner.Case{Whens: []planner.Expr{nonEmpty}, Thens: []planner.Expr{l}, Else: null, Typ: t}
		}
		return u, sc, nil
	}
	if cond != nil {
		var in planner.Node = u
		for _, s := range subs {
			in = applyPending(in, s)
		}
		return &planner.Filter{Input: in, Pred: cond}, sc, nil
	}
	return u, sc, nil
}

// isSeriesFrom reports whether a FROM item is generate_series(...).
func isSeriesFrom(it *pg_query.Node) (*pg_query.RangeFunction, *pg_query.FuncCall, bool) {
	rf := it.GetRangeFunction()
	if rf == nil || rf.IsRowsfrom || len(rf.Functions) != 1 {
		return nil, nil, false
	}
	items := rf.Functions[0].GetList().GetItems()
	if len(items) == 0 || items[0].GetFuncCall() == nil || funcName(items[0].GetFuncCall()) != "generate_series" {
		return nil, nil, false
	}
	return rf, items[0].GetFuncCall(), true
}

// placeJoinSubqueries places the subqueries of a join condition: each joins the side of j
// whose columns it refers to (the left side when it refers to none), or, for an inner join,
// is returned to join the joined rows when it refers to both.
func (b *binder) placeJoinSubqueries(j *planner.Join, subs []pendingJoin) ([]pendingJoin, error) {
	var above []pendingJoin
	for _, s := range subs {
		used := map[planner.ColumnID]bool{}
		var exprs []planner.Expr
		switch {
		case s.mark != nil:
			exprs = append(append(exprs, s.mark.corr...), s.mark.test)
		case s.apply != nil:
			used = freeColumns(s.apply.Right)
		default:
			exprs = append(exprs, s.cond)
		}
		for _, e := range exprs {
			if e != nil {
				planner.ColumnsUsed(e, used)
			}
		}
		own := map[planner.ColumnID]bool{}
		if s.apply != nil {
			for _, c := range s.apply.Cols {
				own[c.ID] = true
			}
		} else if s.mark != nil {
			for _, c := range append(s.mark.sub.Columns(), s.mark.marker) {
				own[c.ID] = true
			}
		} else {
			for _, c := range s.node.Columns() {
				own[c.ID] = true
			}
		}
		within := func(n planner.Node) bool {
			have := map[planner.ColumnID]bool{}
			for _, c := range n.Columns() {
				have[c.ID] = true
			}
			for id := range used {
				if !own[id] && !have[id] {
					return false
				}
			}
			return true
		}
		switch {
		case within(j.Left):
			j.Left = applyPending(j.Left, s)
		case within(j.Right):
			j.Right = applyPending(j.Right, s)
		case j.Kind == planner.JoinInner || j.Kind == planner.JoinCross || j.Kind == planner.JoinLeft || j.Kind == planner.JoinRight:
			above = append(above, s)
		default:
			return nil, errFullJoinSubquery
		}
	}
	return above, nil
}

var errFullJoinSubquery = errs.New(errs.NotImplemented, "subqueries referring to both sides of a FULL JOIN's condition are not supported yet")

// hashJoinable says whether the condition cond of the join j has a conjunct l = r, l over
// columns of j's left side only and r of its right side only, or the reverse: what
// PostgreSQL needs to run a FULL JOIN.
func hashJoinable(j *planner.Join, cond planner.Expr) bool {
	side := func(n planner.Node) map[planner.ColumnID]bool {
		m := map[planner.ColumnID]bool{}
		for _, c := range n.Columns() {
			m[c.ID] = true
		}
		return m
	}
	left, right := side(j.Left), side(j.Right)
	only := func(e planner.Expr, of map[planner.ColumnID]bool) bool {
		used := map[planner.ColumnID]bool{}
		planner.ColumnsUsed(e, used)
		for id := range used {
			if !of[id] {
				return false
			}
		}
		return len(used) > 0
	}
	for _, c := range condList(cond) {
		b, ok := c.(*planner.Binary)
		if ok && b.Op == planner.OpEq && (only(b.L, left) && only(b.R, right) || only(b.L, right) && only(b.R, left)) {
			return true
		}
	}
	return false
}

// applyPending joins one pending subquery onto plan.
func applyPending(plan planner.Node, s pendingJoin) planner.Node {
	if s.mark != nil {
		return s.mark.build(plan)
	}
	if s.apply != nil {
		return placeApply(plan, s.apply)
	}
	return &planner.Join{Kind: planner.JoinLeft, Left: plan, Right: s.node, Cond: s.cond}
}
