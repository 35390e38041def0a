package sql

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/sleeperd/sleeperd/catalog"
	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/planner"
	"github.com/sleeperd/sleeperd/types"
)

// Catalog is what binding needs of the catalog.
type Catalog interface {
	Table(ctx context.Context, name string) (*catalog.Table, error)
	View(ctx context.Context, name string) (*catalog.View, bool, error)
}

// Options say what the executor of the bound statements supports beyond Bind's defaults.
type Options struct {
	// DMLInput says that DELETE and UPDATE read their rows from Rows() (planner.Delete.Rows,
	// planner.Update.Rows), so that subqueries of their WHERE and SET clauses are bound,
	// joined into Input. Without it such subqueries are rejected as not supported.
	DMLInput bool
	// ParquetSchema, if set, makes read_parquet('location') available in FROM.
	ParquetSchema ParquetSchemaFunc
}

// Bind binds one parsed statement. paramTypes holds the declared types of $1, $2, ...; nil
// entries are inferred from context, and parameters that context does not type are text.
func Bind(ctx context.Context, cat Catalog, raw *pg_query.RawStmt, paramTypes []arrow.DataType) (planner.Statement, error) {
	return BindWith(ctx, cat, raw, paramTypes, Options{})
}

// BindWith is Bind with options.
func BindWith(ctx context.Context, cat Catalog, raw *pg_query.RawStmt, paramTypes []arrow.DataType, opts Options) (planner.Statement, error) {
	b := &binder{ctx: ctx, cat: cat, opts: opts, params: append([]arrow.DataType(nil), paramTypes...)}
	st, err := b.statement(raw.Stmt)
	if err != nil {
		return nil, err
	}
	return st, nil
}

type binder struct {
	ctx    context.Context
	cat    Catalog
	opts   Options
	nextID planner.ColumnID
	params []arrow.DataType
	// clause names the clause being bound where aggregates are not allowed, for errors.
	clause string
	// ctes are the WITH queries in scope, innermost last; cteBinding guards against a WITH
	// query that refers to itself.
	ctes       []map[string]*pg_query.CommonTableExpr
	cteBinding map[string]bool
	// recursive are the names a WITH RECURSIVE declares; workTables the recursive queries
	// whose recursive term is being bound, by name (recursive.go).
	recursive  map[*pg_query.CommonTableExpr]bool
	workTables map[string]*workTableRef
	nextWork   int
	// outer is the scope a subquery being bound may refer to (through its FROM scope's
	// parent), for correlation.
	outer *scope
	// fromOuter is the scope of the query whose FROM clause is being bound, when it is a
	// subquery: its derived tables may refer to the enclosing queries (fromOuter.parent).
	fromOuter *scope
	// fromWhere is the WHERE clause of the SELECT whose FROM clause is bound next (from takes
	// it into its scope).
	fromWhere *pg_query.Node
	// narrowing are the WHERE clauses whose conjuncts are being bound over a domain
	// (domainWhere).
	narrowing map[*pg_query.Node]bool
	// bindingWhere are the WHERE clauses being bound (where). A domain a subquery's rows are
	// narrowed to while its query's WHERE clause is bound (narrowToOuterKeys) leaves out the
	// clause's conditions with subqueries: those are narrowed too, each right only on the
	// rows the others let through, so that rows the query must drop would pass them all.
	bindingWhere map[*pg_query.Node]bool
	// keyDomain says that the domain being bound narrows a subquery's rows
	// (narrowToOuterKeys).
	keyDomain bool
	// volatileWhere are the FROM scopes whose WHERE clause has a condition on their items
	// alone that calls a volatile function, which a domain leaves out (domainWhere).
	volatileWhere map[*scope]bool
	// perRow says that the subquery bound next runs per outer row (applySublink): its
	// correlated functions need no domain under a volatile WHERE (bindSubqueryWidth).
	perRow bool
	// joinWhere is the WHERE clause of the FROM list whose item the JOIN bound next is.
	joinWhere *pg_query.Node
	// joinWhereStrict says that the JOIN bound next is on the null-extended side of an outer
	// join (see scope.strictWhere).
	joinWhereStrict bool
	// scalars are scalar subqueries bound in the current clause, to be joined in;
	// constCols are their columns, which are constant and so allowed in grouped queries.
	scalars   []pendingJoin
	constCols map[planner.ColumnID]bool
	// pkOf maps each column of a scanned table with a primary key to the key's columns.
	pkOf map[planner.ColumnID][]planner.ColumnID
	// deps collects the tables and views a statement reads (a view's dependencies);
	// viewBinding guards against views that read themselves.
	deps        map[string]bool
	viewBinding map[string]bool
	// viewRoots, when not nil, collects the plan of every view bound (see viewUpdatability).
	viewRoots map[planner.Node]bool
	// win collects window function calls while a select list or ORDER BY is bound;
	// windowCols are their columns, computed after grouping.
	win        *windowContext
	windowCols map[planner.ColumnID]bool
	// srf collects the set-returning calls (unnest) of the select list being bound.
	srf *srfContext
	// windowDefs are the named windows of the WINDOW clause of the query being bound.
	windowDefs map[string]*pg_query.WindowDef
	// out says what the untyped outputs (NULL, quoted literals) of the select list of the
	// next SELECT bound become; that SELECT takes it, so its subqueries do not see it. With
	// none, they are text.
	out *outputTypes
	// untypedRow marks the text casts ROW(...) gives its untyped literals (record.go).
	untypedRow map[planner.Expr]bool
}

// outputTypes is how a caller resolves the untyped outputs of a SELECT: output i takes
// types[i] where that is set (by assignment, as INSERT does, when assign is set), and stays
// untyped otherwise, for the caller to resolve (a set operation's branches, as PostgreSQL's
// select_common_type does).
type outputTypes struct {
	types  []arrow.DataType
	assign bool
}

func (b *binder) newColumn(name string, t arrow.DataType) planner.Column {
	b.nextID++
	return planner.Column{ID: b.nextID, Name: name, Type: t, Nullable: true}
}

// finalParams resolves parameters that no context typed to text.
func (b *binder) finalParams() []arrow.DataType {
	out := make([]arrow.DataType, len(b.params))
	for i, t := range b.params {
		if t == nil || types.IsUnknown(t) {
			t = types.Text
		}
		out[i] = t
	}
	return out
}

func (b *binder) statement(n *pg_query.Node) (planner.Statement, error) {
	if st, ok, err := b.roleStatement(n); ok {
		return st, err
	}
	switch {
	case n.GetSelectStmt() != nil:
		if st, ok, err := b.cacheCall(n.GetSelectStmt()); ok {
			return st, err
		}
		if st, ok, err := b.signalCall(n.GetSelectStmt()); ok {
			return st, err
		}
		return b.query(n.GetSelectStmt())
	case n.GetInsertStmt() != nil:
		return b.insert(n.GetInsertStmt())
	case n.GetCreateStmt() != nil:
		return b.createTable(n.GetCreateStmt())
	case n.GetDropStmt() != nil:
		return b.dropTable(n.GetDropStmt())
	case n.GetExplainStmt() != nil:
		es := n.GetExplainStmt()
		analyze := false
		for _, o := range es.Options {
			if d := o.GetDefElem(); d != nil {
				switch strings.ToLower(d.Defname) {
				case "analyze":
					v, err := defValue(d)
					if err != nil {
						return nil, err
					}
					analyze = v != "false" && v != "off" && v != "0"
				case "verbose", "costs", "timing", "summary", "buffers":
				default:
					return nil, errs.New(errs.NotImplemented, "EXPLAIN option %s is not supported", strings.ToUpper(d.Defname))
				}
			}
		}
		sel := es.Query.GetSelectStmt()
		if sel == nil {
			return nil, errs.New(errs.NotImplemented, "EXPLAIN supports SELECT statements only")
		}
		q, err := b.query(sel)
		if err != nil {
			return nil, err
		}
		return &planner.Explain{Query: q, Analyze: analyze}, nil
	case n.GetViewStmt() != nil:
		return b.createView(n.GetViewStmt())
	case n.GetTransactionStmt() != nil:
		return b.transaction(n.GetTransactionStmt())
	case n.GetIndexStmt() != nil:
		return b.createIndex(n.GetIndexStmt())
	case n.GetCreateTableAsStmt() != nil:
		return b.createTableAs(n.GetCreateTableAsStmt())
	case n.GetDeleteStmt() != nil:
		return b.deleteStmt(n.GetDeleteStmt())
	case n.GetUpdateStmt() != nil:
		return b.updateStmt(n.GetUpdateStmt())
	case n.GetMergeStmt() != nil:
		return b.mergeStmt(n.GetMergeStmt())
	case n.GetVacuumStmt() != nil:
		return b.vacuum(n.GetVacuumStmt())
	case n.GetAlterTableStmt() != nil:
		if st, ok, err := b.alterColumns(n.GetAlterTableStmt()); ok {
			return st, err
		}
		return b.alterTable(n.GetAlterTableStmt())
	case n.GetRenameStmt() != nil:
		return b.rename(n.GetRenameStmt())
	case n.GetTruncateStmt() != nil:
		return b.truncate(n.GetTruncateStmt())
	case n.GetCommentStmt() != nil:
		return b.comment(n.GetCommentStmt())
	case n.GetVariableShowStmt() != nil:
		if strings.EqualFold(n.GetVariableShowStmt().Name, "tables") {
			return &planner.ShowTables{}, nil
		}
		return &planner.ShowVariable{Name: strings.ToLower(n.GetVariableShowStmt().Name)}, nil
	case n.GetVariableSetStmt() != nil:
		return b.variableSet(n.GetVariableSetStmt())
	case n.GetCopyStmt() != nil:
		return b.copyStmt(n.GetCopyStmt())
	case n.GetCreateSeqStmt() != nil:
		return b.createSequence(n.GetCreateSeqStmt())
	case n.GetAlterSeqStmt() != nil:
		return b.alterSequence(n.GetAlterSeqStmt())
	case n.GetCompositeTypeStmt() != nil:
		return b.createType(n.GetCompositeTypeStmt())
	}
	return nil, errs.New(errs.NotImplemented, "statement %s is not supported", stmtName(n))
}

func stmtName(n *pg_query.Node) string {
	s := fmt.Sprintf("%T", n.Node)
	s = strings.TrimPrefix(s, "*pg_query.Node_")
	return s
}

func (b *binder) query(sel *pg_query.SelectStmt) (*planner.Query, error) {
	root, names, err := b.selectStmt(sel)
	if err != nil {
		return nil, err
	}
	return &planner.Query{Root: root, Names: names, ParamTypes: b.finalParams()}, nil
}

// systemTable binds a system table such as sleeper.partitions.
func (b *binder) systemTable(rv *pg_query.RangeVar) (planner.Node, *scope, error) {
	schema, ok := catalog.SystemTables[rv.Relname]
	if !ok {
		return nil, nil, &errs.Error{Kind: errs.UndefinedTable, Msg: fmt.Sprintf("relation \"%s.%s\" does not exist", rv.Schemaname, rv.Relname), Position: int(rv.Location) + 1}
	}
	n := &planner.System{Name: rv.Relname}
	for _, f := range schema.Fields() {
		n.Cols = append(n.Cols, b.newColumn(f.Name, f.Type))
	}
	sc, err := relationScope(aliasName(rv.Alias, rv.Relname), n.Cols, rv.Alias)
	return n, sc, err
}

func (b *binder) table(rv *pg_query.RangeVar) (*catalog.Table, error) {
	if rv.Schemaname != "" && rv.Schemaname != "public" {
		return nil, &errs.Error{Kind: errs.UndefinedTable, Msg: fmt.Sprintf("relation \"%s.%s\" does not exist", rv.Schemaname, rv.Relname), Position: int(rv.Location) + 1}
	}
	t, err := b.cat.Table(b.ctx, rv.Relname)
	if err != nil {
		var e *errs.Error
		if ok := asErr(err, &e); ok && e.Position == 0 {
			c := *e
			c.Position = int(rv.Location) + 1
			return nil, &c
		}
		return nil, err
	}
	return t, nil
}

// resolveOutput types the untyped output i of a select list as out says.
func (b *binder) resolveOutput(e planner.Expr, i int, out *outputTypes) (planner.Expr, error) {
	switch {
	case out == nil:
		return coerceTo(e, types.Text), nil
	case i >= len(out.types):
		return e, nil
	case out.types[i] == nil:
		return e, nil
	case out.assign:
		return b.assign(e, out.types[i])
	}
	return b.coerce(e, out.types[i]), nil
}

func isStar(cr *pg_query.ColumnRef) bool {
	return len(cr.Fields) > 0 && cr.Fields[len(cr.Fields)-1].GetAStar() != nil
}

// constInt evaluates a LIMIT or OFFSET clause, which must be a non-negative integer constant
// (NULL means no limit).
func (b *binder) constInt(n *pg_query.Node, what string) (int64, error) {
	if c := n.GetAConst(); c != nil {
		if c.Isnull {
			return -1, nil
		}
		if i := c.GetIval(); i != nil {
			if i.Ival < 0 {
				if what == "OFFSET" {
					return 0, errs.New(errs.InvalidOffset, "OFFSET must not be negative")
				}
				return 0, errs.New(errs.InvalidRowCount, "%s must not be negative", what)
			}
			return int64(i.Ival), nil
		}
		if f := c.GetFval(); f != nil {
			v, err := strconv.ParseInt(f.Fval, 10, 64)
			if err == nil && v >= 0 {
				return v, nil
			}
		}
	}
	return 0, errs.New(errs.NotImplemented, "%s must be an integer constant", what)
}

// groupExpr binds a GROUP BY item: an output position, an output column name, or an
// expression over the input.
func (b *binder) groupExpr(g *pg_query.Node, sc *scope, targets []*pg_query.Node) (planner.Expr, error) {
	if c := g.GetAConst(); c != nil && c.GetIval() != nil {
		pos := int(c.GetIval().Ival)
		if pos < 1 || pos > len(targets) {
			return nil, &errs.Error{Kind: errs.InvalidColumnRef, Msg: fmt.Sprintf("GROUP BY position %d is not in select list", pos), Position: int(c.Location) + 1}
		}
		rt := targets[pos-1].GetResTarget()
		if containsAggregate(rt.Val) {
			return nil, errs.New(errs.Grouping, "aggregate functions are not allowed in GROUP BY")
		}
		return b.expr(rt.Val, sc, nil)
	}
	if c := g.GetAConst(); c != nil {
		// Any other constant (a string, a decimal, a Boolean, NULL) is neither a position
		// nor an expression worth grouping by.
		return nil, &errs.Error{Kind: errs.Syntax, Msg: "non-integer constant in GROUP BY", Position: int(c.Location) + 1}
	}
	if cr := g.GetColumnRef(); cr != nil && len(cr.Fields) == 1 && cr.Fields[0].GetString_() != nil {
		name := cr.Fields[0].GetString_().Sval
		if _, err := sc.lookup("", name, cr.Location); err != nil {
			for _, t := range targets {
				rt := t.GetResTarget()
				if rt.Name == name {
					return b.expr(rt.Val, sc, nil)
				}
			}
		}
	}
	if containsAggregate(g) {
		return nil, errs.New(errs.Grouping, "aggregate functions are not allowed in GROUP BY")
	}
	return b.expr(g, sc, nil)
}

// addDependentGroups adds to the groups of a grouped query the columns it uses outside
// aggregates whose table's primary key is grouped: they are functionally dependent on the key,
// so PostgreSQL accepts them (SELECT name, sum(x) FROM t GROUP BY id, with id t's key).
func (b *binder) addDependentGroups(agg *aggContext, used []planner.Expr) {
	grouped := map[planner.ColumnID]bool{}
	keys := map[string]bool{}
	for _, g := range agg.groups {
		keys[planner.ExprKey(g)] = true
		if c, ok := g.(*planner.ColumnRef); ok {
			grouped[c.ID] = true
		}
	}
	for _, e := range used {
		planner.Walk(e, func(x planner.Expr) bool {
			c, ok := x.(*planner.ColumnRef)
			if !ok || keys[planner.ExprKey(c)] || agg.isAggColumn(c.ID) {
				return true
			}
			pk, ok := b.pkOf[c.ID]
			if !ok {
				return true
			}
			for _, id := range pk {
				if !grouped[id] {
					return true
				}
			}
			agg.groups = append(agg.groups, c)
			keys[planner.ExprKey(c)] = true
			return true
		})
	}
}

// rewriteWindow rewrites the expressions of a window node over a grouped query's output.
func (b *binder) rewriteWindow(w *planner.Window, agg *aggContext) error {
	groupCols := agg.groupCols
	var err error
	rw := func(e planner.Expr) planner.Expr {
		if err != nil || e == nil {
			return e
		}
		var out planner.Expr
		out, err = b.rewriteGrouped(e, agg, groupCols)
		return out
	}
	for i := range w.Partition {
		w.Partition[i] = rw(w.Partition[i])
	}
	for i := range w.Order {
		w.Order[i].E = rw(w.Order[i].E)
	}
	for i := range w.Calls {
		for j := range w.Calls[i].Args {
			w.Calls[i].Args[j] = rw(w.Calls[i].Args[j])
		}
		w.Calls[i].Default = rw(w.Calls[i].Default)
	}
	return err
}

// rewriteGrouped replaces group expressions by references to group columns and rejects
// remaining references to input columns.
func (b *binder) rewriteGrouped(e planner.Expr, agg *aggContext, groupCols []planner.Column) (planner.Expr, error) {
	keys := make([]string, len(agg.groups))
	for i, g := range agg.groups {
		keys[i] = planner.ExprKey(g)
	}
	var replace func(e planner.Expr) (planner.Expr, error)
	replace = func(e planner.Expr) (planner.Expr, error) {
		k := planner.ExprKey(e)
		for i, gk := range keys {
			if k == gk {
				c := groupCols[i]
				return &planner.ColumnRef{ID: c.ID, Name: c.Name, Typ: c.Type}, nil
			}
		}
		if c, ok := e.(*planner.ColumnRef); ok {
			if agg.isAggColumn(c.ID) || b.constCols[c.ID] || b.windowCols[c.ID] || agg.input != nil && agg.input.outer[c.ID] {
				return e, nil
			}
			name := c.Name
			if agg.input != nil {
				if t := agg.input.tableOf(c.ID); t != "" {
					name = t + "." + name
				}
			}
			return nil, errs.New(errs.Grouping, "column %q must appear in the GROUP BY clause or be used in an aggregate function", name)
		}
		return rebuild(e, replace)
	}
	return replace(e)
}

// rebuild applies f to each direct child of e and returns the rebuilt node.
func rebuild(e planner.Expr, f func(planner.Expr) (planner.Expr, error)) (planner.Expr, error) {
	// Transform goes bottom-up over every node, but here a match must stop the descent, so
	// children are rebuilt one level at a time.
	var err error
	one := func(x planner.Expr) planner.Expr {
		if err != nil || x == nil {
			return x
		}
		var y planner.Expr
		y, err = f(x)
		return y
	}
	many := func(xs []planner.Expr) []planner.Expr {
		out := make([]planner.Expr, len(xs))
		for i, x := range xs {
			out[i] = one(x)
		}
		return out
	}
	switch n := e.(type) {
	case *planner.Binary:
		c := *n
		c.L, c.R = one(n.L), one(n.R)
		e = &c
	case *planner.Not:
		e = &planner.Not{E: one(n.E)}
	case *planner.IsNull:
		e = &planner.IsNull{E: one(n.E), Negate: n.Negate}
	case *planner.InList:
		e = &planner.InList{E: one(n.E), List: many(n.List), Negate: n.Negate}
	case *planner.Cast:
		e = &planner.Cast{E: one(n.E), To: n.To}
	case *planner.Func:
		c := *n
		c.Args = many(n.Args)
		e = &c
	case *planner.Coalesce:
		c := *n
		c.Args = many(n.Args)
		e = &c
	case *planner.Case:
		c := *n
		c.Whens, c.Thens, c.Else = many(n.Whens), many(n.Thens), one(n.Else)
		e = &c
	case *planner.Array:
		e = &planner.Array{Elems: many(n.Elems), Typ: n.Typ}
	case *planner.AnyOp:
		e = &planner.AnyOp{Op: n.Op, L: one(n.L), R: one(n.R), All: n.All}
	case *planner.Check:
		e = &planner.Check{E: one(n.E), Fail: one(n.Fail), Kind: n.Kind, Msg: n.Msg}
	}
	return e, err
}

// values binds a VALUES list. With types given (INSERT), each value is coerced to its
// column's type; otherwise column types are the common type of each column's values.
func (b *binder) values(sel *pg_query.SelectStmt, colTypes []arrow.DataType, colNames []string) (planner.Node, []string, error) {
	if len(sel.SortClause) > 0 || sel.LimitCount != nil || sel.LimitOffset != nil {
		return nil, nil, errs.New(errs.NotImplemented, "ORDER BY and LIMIT on VALUES are not supported yet")
	}
	var rows [][]planner.Expr
	// subs are the subqueries of each row, joined in below.
	var subs [][]pendingJoin
	saved := b.scalars
	defer func() { b.scalars = saved }()
	width := -1
	for _, l := range sel.ValuesLists {
		b.scalars = nil
		items := l.GetList().GetItems()
		if width >= 0 && len(items) != width {
			return nil, nil, errs.New(errs.Syntax, "VALUES lists must all be the same length")
		}
		width = len(items)
		row := make([]planner.Expr, len(items))
		for i, it := range items {
			if colTypes != nil && i < len(colTypes) {
				if p := it.GetParamRef(); p != nil {
					b.setParam(int(p.Number), colTypes[i])
				}
			}
			e, err := b.expr(it, &scope{}, nil)
			if err != nil {
				return nil, nil, err
			}
			row[i] = e
		}
		rows = append(rows, row)
		subs = append(subs, b.scalars)
	}
	if colTypes != nil && width > len(colTypes) {
		return nil, nil, errs.New(errs.Syntax, "INSERT has more expressions than target columns")
	}
	v := &planner.Values{Rows: rows}
	names := make([]string, width)
	for i := 0; i < width; i++ {
		var t arrow.DataType
		if colTypes != nil {
			t = colTypes[i]
		} else {
			t = rows[0][i].Type()
			for _, r := range rows[1:] {
				ct, err := types.SelectCommon(t, r[i].Type())
				if err != nil {
					return nil, nil, errs.New(errs.DatatypeMismatch, "VALUES types %s and %s cannot be matched", types.Name(t), types.Name(r[i].Type()))
				}
				t = ct
			}
			if types.IsUnknown(t) || t.ID() == arrow.NULL {
				t = types.Text
			}
		}
		for _, r := range rows {
			ce, err := b.assign(r[i], t)
			if err != nil {
				if colNames != nil && errors.Is(err, errs.DatatypeMismatch) {
					return nil, nil, errs.New(errs.DatatypeMismatch, "column %q is of type %s but expression is of type %s", colNames[i], types.Name(t), types.Name(r[i].Type()))
				}
				return nil, nil, err
			}
			r[i] = ce
		}
		names[i] = fmt.Sprintf("column%d", i+1)
		v.Cols = append(v.Cols, b.newColumn(names[i], t))
	}
	for _, s := range subs {
		if len(s) > 0 {
			return b.valuesWithSubqueries(v, subs), names, nil
		}
	}
	return v, names, nil
}

// valuesWithSubqueries is the plan of a VALUES list v whose rows hold subqueries (subs[i]
// of row i): each row is computed over one row with its subqueries joined in, and the rows
// are concatenated.
func (b *binder) valuesWithSubqueries(v *planner.Values, subs [][]pendingJoin) planner.Node {
	var out planner.Node
	for i, row := range v.Rows {
		var in planner.Node = &planner.Values{Rows: [][]planner.Expr{{}}}
		for _, s := range subs[i] {
			in = applyPending(in, s)
		}
		p := &planner.Project{Input: in, Exprs: row}
		for _, c := range v.Cols {
			p.Cols = append(p.Cols, b.newColumn(c.Name, c.Type))
		}
		if out == nil {
			out = p
			continue
		}
		u := &planner.SetOp{Kind: planner.SetUnion, All: true, Left: out, Right: p}
		for _, c := range v.Cols {
			u.Cols = append(u.Cols, b.newColumn(c.Name, c.Type))
		}
		out = u
	}
	return out
}

func asErr(err error, target **errs.Error) bool {
	for err != nil {
		if e, ok := err.(*errs.Error); ok {
			*target = e
			return true
		}
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return false
		}
		err = u.Unwrap()
	}
	return false
}

// literalFromConst converts a parsed constant to a literal: integers are integer (bigint when
// they do not fit), other numbers numeric, quoted strings of unknown type.
func literalFromConst(c *pg_query.A_Const) (*planner.Literal, error) {
	if c.Isnull {
		return &planner.Literal{Typ: types.Null}, nil
	}
	switch {
	case c.GetIval() != nil:
		return &planner.Literal{Value: c.GetIval().Ival, Typ: types.Int32}, nil
	case c.GetFval() != nil:
		s := c.GetFval().Fval
		if v, err := strconv.ParseInt(s, 10, 64); err == nil {
			if v >= -1<<31 && v <= 1<<31-1 {
				// -2147483648 arrives folded: it is an integer, as in PostgreSQL.
				return &planner.Literal{Value: int32(v), Typ: types.Int32}, nil
			}
			return &planner.Literal{Value: v, Typ: types.Int64}, nil
		}
		return numericLiteral(s)
	case c.GetSval() != nil:
		return &planner.Literal{Value: c.GetSval().Sval, Typ: types.Unknown}, nil
	case c.GetBoolval() != nil:
		return &planner.Literal{Value: c.GetBoolval().Boolval, Typ: types.Bool}, nil
	case c.GetBsval() != nil:
		return nil, errs.New(errs.NotImplemented, "bit strings are not supported")
	}
	return nil, errs.New(errs.Internal, "unknown constant")
}

// numericLiteral parses a decimal literal such as 1.50 or 1e3 as numeric with the scale written.
func numericLiteral(s string) (*planner.Literal, error) {
	mant, exp := s, 0
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		e, err := strconv.Atoi(s[i+1:])
		if err != nil {
			return nil, errs.New(errs.InvalidText, "invalid input syntax for type numeric: %q", s)
		}
		mant, exp = s[:i], e
		// Exponents far beyond numeric's range are also too far for the decimal parser.
		if exp > 1000 {
			return nil, errs.New(errs.NumericRange, "value overflows numeric format")
		}
		if exp < -1000 {
			return &planner.Literal{Value: decimal128.Num{}, Typ: types.Numeric(38, 38)}, nil
		}
	}
	scale := 0
	if i := strings.IndexByte(mant, '.'); i >= 0 {
		scale = len(mant) - i - 1
	}
	scale -= exp
	if scale < 0 {
		scale = 0
	}
	if scale > 38 {
		scale = 38
	}
	n, err := decimal128.FromString(s, 38, int32(scale))
	if err != nil {
		f, ferr := strconv.ParseFloat(s, 64)
		if ferr != nil {
			return nil, errs.New(errs.NumericRange, "value overflows numeric format")
		}
		return &planner.Literal{Value: f, Typ: types.Float64}, nil
	}
	return &planner.Literal{Value: n, Typ: types.Numeric(38, int32(scale))}, nil
}
