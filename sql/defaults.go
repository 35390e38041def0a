package sql

import (
	"context"
	"fmt"
	"slices"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/sleeperd/sleeperd/catalog"
	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/planner"
	"github.com/sleeperd/sleeperd/types"
)

// Column defaults and CHECK constraints are stored in the catalog as SQL text (deparsed from
// the CREATE TABLE that declared them) and bound again where they are applied: by INSERT for
// DEFAULT in a VALUES list, and by every writer (BindDefault, BindChecks) for the columns it
// leaves out and the rows it writes.

// exprText is the SQL text of an expression parse tree.
func exprText(n *pg_query.Node) (string, error) {
	sel := &pg_query.SelectStmt{TargetList: []*pg_query.Node{{Node: &pg_query.Node_ResTarget{ResTarget: &pg_query.ResTarget{Val: n}}}}}
	text, err := pg_query.Deparse(&pg_query.ParseResult{Version: parseTreeVersion(), Stmts: []*pg_query.RawStmt{{Stmt: &pg_query.Node{Node: &pg_query.Node_SelectStmt{SelectStmt: sel}}}}})
	if err != nil {
		return "", errs.Wrap(errs.Internal, err, "storing expression: %v", err)
	}
	return strings.TrimPrefix(text, "SELECT "), nil
}

// parseExpr parses the text of a stored expression. A regclass cast of a string (the
// argument of nextval, as PostgreSQL shows it) is dropped: the sequence functions take the
// name as text.
func parseExpr(text string) (*pg_query.Node, error) {
	text = strings.ReplaceAll(text, "'::regclass", "'")
	res, err := pg_query.Parse("SELECT " + text)
	if err != nil || len(res.Stmts) != 1 {
		return nil, errs.New(errs.Internal, "stored expression %q does not parse", text)
	}
	tl := res.Stmts[0].Stmt.GetSelectStmt().GetTargetList()
	if len(tl) != 1 {
		return nil, errs.New(errs.Internal, "stored expression %q does not parse", text)
	}
	return tl[0].GetResTarget().Val, nil
}

// hasColumnRef reports whether the parse tree n refers to a column.
func hasColumnRef(n *pg_query.Node) bool {
	found := false
	walkColumnRefs(n, func(*pg_query.ColumnRef) { found = true })
	return found
}

// BindDefault binds the DEFAULT expression of column col of t, assigned to the column's
// type; it returns nil when the column has none.
func BindDefault(ctx context.Context, cat Catalog, t *catalog.Table, col int) (planner.Expr, error) {
	c := t.Columns[col]
	if c.Default == "" {
		return nil, nil
	}
	b := &binder{ctx: ctx, cat: cat}
	return b.defaultExpr(c)
}

// defaultExpr binds the default of column c, assigned to its type.
func (b *binder) defaultExpr(c catalog.Column) (planner.Expr, error) {
	n, err := parseExpr(c.Default)
	if err != nil {
		return nil, err
	}
	e, err := b.expr(n, &scope{}, nil)
	if err != nil {
		return nil, err
	}
	ae, err := b.assign(e, c.SQL())
	if err != nil {
		return nil, errs.New(errs.DatatypeMismatch, "column %q is of type %s but default expression is of type %s", c.Name, types.Name(c.SQL()), types.Name(e.Type()))
	}
	return ae, nil
}

// CheckColumnID is the ID BindChecks gives table column i in the expressions it returns:
// compile them with a layout mapping CheckColumnID(i) to the index of column i.
func CheckColumnID(i int) planner.ColumnID { return planner.ColumnID(i + 1) }

// BindChecks binds the CHECK constraints of t, in t.Checks order, over the table's columns
// (see CheckColumnID).
func BindChecks(ctx context.Context, cat Catalog, t *catalog.Table) ([]planner.Expr, error) {
	b := &binder{ctx: ctx, cat: cat}
	sc := tableColumnsScope(t.Name, t.Columns)
	b.nextID = planner.ColumnID(len(t.Columns) + 1)
	out := make([]planner.Expr, len(t.Checks))
	for i, c := range t.Checks {
		n, err := parseExpr(c.Expr)
		if err != nil {
			return nil, err
		}
		if out[i], _, err = b.checkExpr(n, sc); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// tableColumnsScope is a scope of the visible columns of a table, column i with ID
// CheckColumnID(i).
func tableColumnsScope(table string, cols []catalog.Column) *scope {
	sc := &scope{}
	for i, c := range cols {
		if c.Hidden {
			continue
		}
		sc.cols = append(sc.cols, scopeCol{table: table, col: planner.Column{ID: CheckColumnID(i), Name: c.Name, Type: c.SQL(), Nullable: c.Nullable}})
	}
	return sc
}

// checkExpr binds a CHECK expression over sc and returns it with the names of the distinct
// columns it refers to.
func (b *binder) checkExpr(n *pg_query.Node, sc *scope) (planner.Expr, []string, error) {
	saved := b.clause
	b.clause = "check constraints"
	defer func() { b.clause = saved }()
	e, err := b.expr(n, sc, nil)
	if err != nil {
		return nil, nil, err
	}
	if len(b.scalars) > 0 {
		return nil, nil, errs.New(errs.NotImplemented, "cannot use subquery in check constraint")
	}
	ae, err := b.coerceBool(e, "CHECK")
	if err != nil {
		return nil, nil, err
	}
	var cols []string
	planner.Walk(ae, func(x planner.Expr) bool {
		if r, ok := x.(*planner.ColumnRef); ok {
			for _, c := range sc.cols {
				if c.col.ID == r.ID && !slices.Contains(cols, c.col.Name) {
					cols = append(cols, c.col.Name)
				}
			}
		}
		return true
	})
	return ae, cols, nil
}

// constraintDefault handles a column's DEFAULT constraint at CREATE TABLE: the expression
// must not refer to columns and must be assignable to the column's type.
func (b *binder) constraintDefault(col *catalog.Column, con *pg_query.Constraint) error {
	if hasColumnRef(con.RawExpr) {
		return errs.New(errs.NotImplemented, "cannot use column reference in DEFAULT expression")
	}
	text, err := exprText(con.RawExpr)
	if err != nil {
		return err
	}
	c := *col
	c.Default = text
	e, err := b.defaultExpr(c)
	if err != nil {
		return err
	}
	// A constant default that cannot be converted fails now, as in PostgreSQL.
	constant := true
	planner.Walk(e, func(x planner.Expr) bool {
		if _, ok := x.(*planner.Func); ok {
			constant = false
		}
		return constant
	})
	if constant {
		if _, err := planner.Eval(b.ctx, e); err != nil {
			return err
		}
	}
	col.Default = text
	return nil
}

// foreignKeyRefused is the error for FOREIGN KEY and REFERENCES, which are not enforced and
// so not accepted.
func foreignKeyRefused() error {
	return &errs.Error{Kind: errs.NotImplemented, Msg: "FOREIGN KEY constraints are not supported", Hint: "Remove the REFERENCES clause; referential integrity is not enforced by this server."}
}

// tableChecks binds the CHECK constraints of a CREATE TABLE over its columns and adds them
// to def, with the column each refers to when it refers to exactly one (for its name).
func (b *binder) tableChecks(def *catalog.TableDef, checks []*pg_query.Constraint) error {
	if len(checks) == 0 {
		return nil
	}
	sc := tableColumnsScope(def.Name, def.Columns)
	b.nextID = max(b.nextID, planner.ColumnID(len(def.Columns)+1))
	for _, con := range checks {
		if con.IsNoInherit || con.SkipValidation {
			return errs.New(errs.NotImplemented, "CHECK constraints with NO INHERIT or NOT VALID are not supported")
		}
		_, cols, err := b.checkExpr(con.RawExpr, sc)
		if err != nil {
			return err
		}
		text, err := exprText(con.RawExpr)
		if err != nil {
			return err
		}
		col := ""
		if len(cols) == 1 {
			col = cols[0]
		}
		def.Checks = append(def.Checks, catalog.Check{Name: con.Conname, Expr: text})
		def.CheckColumns = append(def.CheckColumns, col)
	}
	return nil
}

// withDefaults returns sel with each DEFAULT of its VALUES lists replaced by the default
// expression of its target column (NULL for a column without one); sel itself is not
// changed.
func withDefaults(sel *pg_query.SelectStmt, t *catalog.Table, targets []int) *pg_query.SelectStmt {
	has := false
	for _, l := range sel.ValuesLists {
		for _, it := range l.GetList().GetItems() {
			if it.GetSetToDefault() != nil {
				has = true
			}
		}
	}
	if !has {
		return sel
	}
	sel = proto.Clone(sel).(*pg_query.SelectStmt)
	for _, l := range sel.ValuesLists {
		items := l.GetList().GetItems()
		for i, it := range items {
			if it.GetSetToDefault() == nil || i >= len(targets) {
				continue
			}
			n, err := parseExpr(t.Columns[targets[i]].Default)
			if t.Columns[targets[i]].Default == "" || err != nil {
				n = &pg_query.Node{Node: &pg_query.Node_AConst{AConst: &pg_query.A_Const{Isnull: true}}}
			}
			items[i] = n
		}
	}
	return sel
}

// checkIdentityTargets refuses, as PostgreSQL does, a value other than DEFAULT for a
// GENERATED ALWAYS identity column, unless the INSERT says OVERRIDING SYSTEM VALUE.
func checkIdentityTargets(is *pg_query.InsertStmt, sel *pg_query.SelectStmt, t *catalog.Table, targets []int) error {
	switch is.Override {
	case pg_query.OverridingKind_OVERRIDING_SYSTEM_VALUE:
		return nil
	case pg_query.OverridingKind_OVERRIDING_USER_VALUE:
		return errs.New(errs.NotImplemented, "OVERRIDING USER VALUE is not supported")
	}
	for i, idx := range targets {
		c := t.Columns[idx]
		if c.Identity != catalog.IdentityAlways {
			continue
		}
		allDefault := sel != nil && len(sel.ValuesLists) > 0
		if sel != nil {
			for _, l := range sel.ValuesLists {
				items := l.GetList().GetItems()
				if i < len(items) && items[i].GetSetToDefault() == nil {
					allDefault = false
				}
			}
		}
		if !allDefault {
			return &errs.Error{Kind: errs.GeneratedAlways, Msg: fmt.Sprintf("cannot insert a non-DEFAULT value into column %q", c.Name),
				Detail: fmt.Sprintf("Column %q is an identity column defined as GENERATED ALWAYS.", c.Name),
				Hint:   "Use OVERRIDING SYSTEM VALUE to override."}
		}
	}
	return nil
}

// ExprColumns returns the names of the columns a stored expression refers to.
func ExprColumns(text string) ([]string, error) {
	n, err := parseExpr(text)
	if err != nil {
		return nil, err
	}
	var out []string
	walkColumnRefs(n, func(cr *pg_query.ColumnRef) {
		if f := cr.Fields; len(f) > 0 {
			if s := f[len(f)-1].GetString_(); s != nil && !slices.Contains(out, s.Sval) {
				out = append(out, s.Sval)
			}
		}
	})
	return out, nil
}

// RenameColumnInExpr returns the text of a stored expression with its references to column
// from renamed to to.
func RenameColumnInExpr(text, from, to string) (string, error) {
	n, err := parseExpr(text)
	if err != nil {
		return "", err
	}
	walkColumnRefs(n, func(cr *pg_query.ColumnRef) {
		if f := cr.Fields; len(f) > 0 {
			if s := f[len(f)-1].GetString_(); s != nil && s.Sval == from {
				s.Sval = to
			}
		}
	})
	return exprText(n)
}

// walkColumnRefs calls f on every column reference of the parse tree n.
func walkColumnRefs(n *pg_query.Node, f func(*pg_query.ColumnRef)) {
	if n == nil {
		return
	}
	walkMessages(n.ProtoReflect(), func(m protoreflect.Message) (bool, bool) {
		if cr, ok := m.Interface().(*pg_query.ColumnRef); ok {
			f(cr)
			return false, true
		}
		return true, true
	})
}

// walkMessages calls visit on m and, depth first in field order, on the messages below it
// (those of list fields and single message fields, not of maps): below says whether to go
// on below the message visit is given, more whether to go on at all. It reports whether the
// walk ran to its end.
func walkMessages(m protoreflect.Message, visit func(protoreflect.Message) (below, more bool)) bool {
	below, more := visit(m)
	if !more || !below {
		return more
	}
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.IsList() && fd.Message() != nil:
			l := v.List()
			for i := 0; i < l.Len() && more; i++ {
				more = walkMessages(l.Get(i).Message(), visit)
			}
		case fd.Message() != nil && !fd.IsMap():
			more = walkMessages(v.Message(), visit)
		}
		return more
	})
	return more
}
