package engine

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/sleeperd/sleeperd/catalog"
	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/exec"
	"github.com/sleeperd/sleeperd/function"
	"github.com/sleeperd/sleeperd/planner"
	"github.com/sleeperd/sleeperd/sql"
	"github.com/sleeperd/sleeperd/storage/statestore"
	"github.com/sleeperd/sleeperd/types"
)

// ALTER TABLE on columns changes only the table's definition: data files are never
// rewritten. A column carries the name it is stored under in the files (catalog.Column.
// StoredName), so a renamed column reads its old files; a dropped column stays in older
// files, where readers ignore it, and its stored name is never given to a new column; an
// added column is missing from older files, where readers fill it with NULL or, when it was
// added with a default, with the default's value at the time it was added
// (catalog.Column.Missing). Compaction rewrites files in the current shape.

// quoteIdent quotes a name for SQL text the engine runs.
func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// queryInt runs a query returning one integer and returns it.
func (e *Engine) queryInt(ctx context.Context, text string) (int64, error) {
	stmts, err := sql.Parse(text)
	if err != nil {
		return 0, err
	}
	cur, err := e.cat.Current(ctx)
	if err != nil {
		return 0, err
	}
	bound, err := sql.Bind(ctx, cur, stmts[0], nil)
	if err != nil {
		return 0, err
	}
	q, ok := bound.(*planner.Query)
	if !ok {
		return 0, errs.New(errs.Internal, "%s is not a query", text)
	}
	bs, err := e.runPlan(ctx, q.Root, nil)
	if err != nil {
		return 0, err
	}
	defer releaseAll(bs)
	for _, b := range bs {
		if b.NumRows() > 0 {
			return strconv.ParseInt(b.Column(0).ValueStr(0), 10, 64)
		}
	}
	return 0, nil
}

// addedValue is the value the rows already in t take in a column added with a default:
// the default evaluated once, as text (nil for NULL). A volatile default (nextval) would
// need a value per row, which means rewriting the table: refused unless it is empty.
func (e *Engine) addedValue(ctx context.Context, t *catalog.Table, col catalog.Column, rows int64) (*string, error) {
	if col.Default == "" {
		return nil, nil
	}
	tmp := t.Clone()
	tmp.Columns = append(tmp.Columns, col)
	tmp.Rebuild()
	cur, err := e.cat.Current(ctx)
	if err != nil {
		return nil, err
	}
	d, err := sql.BindDefault(ctx, cur, tmp, len(tmp.Columns)-1)
	if err != nil {
		return nil, err
	}
	volatile := false
	planner.Walk(d, func(x planner.Expr) bool {
		if f, ok := x.(*planner.Func); ok && function.Volatile(f.Name) {
			volatile = true
		}
		return !volatile
	})
	if volatile {
		if rows > 0 {
			return nil, errs.New(errs.NotImplemented, "ADD COLUMN with a volatile DEFAULT on a table with rows is not supported")
		}
		return nil, nil
	}
	x, err := planner.CompileExpr(d, nil)
	if err != nil {
		return nil, err
	}
	one := array.NewRecordBatch(arrow.NewSchema(nil, nil), nil, 1)
	defer one.Release()
	a, err := x.Eval(ctx, one)
	if err != nil {
		return nil, err
	}
	defer a.Release()
	if a.IsNull(0) {
		return nil, nil
	}
	v := a.ValueStr(0)
	// The readers parse it back (merge.FillMissing): check now that they can.
	b := array.NewBuilder(exec.Allocator(ctx), a.DataType())
	defer b.Release()
	if err := b.AppendValueFromString(v); err != nil {
		return nil, errs.New(errs.NotImplemented, "ADD COLUMN with a DEFAULT of type %s on a table with rows is not supported", col.Type)
	}
	return &v, nil
}

// alterColumns runs ALTER TABLE ... ADD/DROP/RENAME COLUMN, ALTER COLUMN, RENAME TO.
func (e *Engine) alterColumns(ctx context.Context, s *planner.AlterColumns) (_ Result, err error) {
	res := &doneResult{tag: "ALTER TABLE"}
	t, err := e.cat.Table(ctx, s.Table)
	if err != nil {
		if s.IfExists {
			res.notices = append(res.notices, notice("00000", "relation %q does not exist, skipping", s.Table))
			return res, nil
		}
		return nil, err
	}
	// What needs the table's rows is found before the change.
	var rows int64 = -1
	countRows := func() (int64, error) {
		if rows < 0 {
			n, err := e.queryInt(ctx, "SELECT count(*) FROM "+quoteIdent(t.Name))
			if err != nil {
				return 0, err
			}
			rows = n
		}
		return rows, nil
	}
	// cmds is the statement's commands, with the names of new checks chosen (the bound
	// statement is not changed: it may run again).
	cmds := slices.Clone(s.Cmds)
	missing := make([]*string, len(cmds))
	// fenced holds the stored names of the columns whose type change fences them
	// (alter_fence.go); should the ALTER fail, the fences are lifted.
	fenced := newAlterFence(e, t)
	var changed *catalog.Table
	defer func() { fenced.end(ctx, changed) }()
	for i, c := range cmds {
		switch c.Op {
		case planner.AddColumn:
			if t.ColumnIndex(c.Column) >= 0 {
				continue // reported below
			}
			n, err := countRows()
			if err != nil {
				return nil, err
			}
			if missing[i], err = e.addedValue(ctx, t, c.Def, n); err != nil {
				return nil, err
			}
			if !c.Def.Nullable && missing[i] == nil && n > 0 {
				return nil, errs.New(errs.NotNullViolation, "column %q of relation %q contains null values", c.Column, t.Name)
			}
		case planner.AddCheck:
			if c.Check.Name == "" {
				cmds[i].Check.Name = catalog.ChooseCheckName(t, c.CheckColumn)
			}
			name := cmds[i].Check.Name
			if slices.ContainsFunc(t.Checks, func(o catalog.Check) bool { return o.Name == name }) {
				return nil, errs.New(errs.DuplicateObject, "constraint %q for relation %q already exists", name, t.Name)
			}
			n, err := e.queryInt(ctx, fmt.Sprintf("SELECT count(*) FROM %s WHERE NOT (%s)", quoteIdent(t.Name), c.Check.Expr))
			if err != nil {
				return nil, err
			}
			if n > 0 {
				return nil, errs.New(errs.CheckViolation, "check constraint %q of relation %q is violated by some row", name, t.Name)
			}
		case planner.SetType:
			if missing[i], err = e.checkSetType(ctx, t, c, fenced); err != nil {
				return nil, err
			}
		case planner.SetNotNull:
			if i := t.ColumnIndex(c.Column); i >= 0 && t.Columns[i].Nullable && !t.Columns[i].Hidden {
				n, err := e.queryInt(ctx, fmt.Sprintf("SELECT count(*) FROM %s WHERE %s IS NULL", quoteIdent(t.Name), quoteIdent(c.Column)))
				if err != nil {
					return nil, err
				}
				if n > 0 {
					return nil, errs.New(errs.NotNullViolation, "column %q of relation %q contains null values", c.Column, t.Name)
				}
			}
		}
	}
	cur, err := e.cat.Current(ctx)
	if err != nil {
		return nil, err
	}
	indexes, err := cur.AllIndexes(ctx)
	if err != nil {
		return nil, err
	}
	names := fenced.stored()
	if len(names) > 0 {
		alterStep("checked")
	}
	if err := fenced.standing(ctx); err != nil {
		return nil, err
	}
	var notices []Notice
	changed, err = e.cat.Redefine(ctx, s.Table, func(old *catalog.Table) (*catalog.Table, error) {
		notices = nil
		// The values checked are those of the stored names fenced: a column another ALTER
		// changed (or whose expired fence was lifted) meanwhile holds others.
		for name, stored := range fenced.names {
			if name == tableFence {
				if old.FenceName() != stored {
					return nil, errs.New(errs.Conflict, "could not change the types of columns of table %q: it was changed concurrently; try again", old.Name)
				}
				continue
			}
			if i := old.ColumnIndex(name); i < 0 || old.Columns[i].StoredName() != stored {
				return nil, errs.New(errs.Conflict, "could not change the type of column %q of table %q: it was changed concurrently; try again", name, old.Name)
			}
		}
		t := old.Clone()
		if fenced.has(tableFence) {
			// Writes under the definition checked are refused for good once this commits.
			t.Version++
		}
		for i, c := range cmds {
			n, err := alterColumn(t, c, missing[i], indexes, fenced)
			if err != nil {
				return nil, err
			}
			if n != nil {
				notices = append(notices, *n)
			}
		}
		t.Rebuild()
		return t, nil
	})
	if err != nil {
		return nil, err
	}
	if len(names) > 0 {
		alterStep("changed")
	}
	res.notices = notices
	return res, nil
}

// column returns the index of the visible column name of t, or -1.
func column(t *catalog.Table, name string) int {
	i := t.ColumnIndex(name)
	if i >= 0 && t.Columns[i].Hidden {
		return -1
	}
	return i
}

func undefinedColumn(t *catalog.Table, name string) error {
	return errs.New(errs.UndefinedColumn, "column %q of relation %q does not exist", name, t.Name)
}

// keyRole names the key role of column i of t, or "".
func keyRole(t *catalog.Table, i int) string {
	switch {
	case slices.Contains(t.PrimaryKey, i):
		return "primary key"
	case slices.Contains(t.RowKeys, i):
		return "row key"
	case slices.Contains(t.SortKeys, i):
		return "sort key"
	}
	return ""
}

// usedElsewhere reports what else names column name of t: an index or the table's iterators.
func usedElsewhere(t *catalog.Table, name string, idx []*catalog.Index) string {
	for _, ix := range idx {
		// An expression column, "(name of its function)", may use any column.
		if ix.TableID == t.ID && slices.ContainsFunc(ix.Columns, func(c string) bool { return c == name || strings.HasPrefix(c, "(") }) {
			return "index " + ix.Name
		}
	}
	if strings.Contains(t.Props.Filters, name) || strings.Contains(t.Props.Aggregations, name) {
		return "the table's filters or aggregations"
	}
	return ""
}

// alterColumn applies one command to t, a Clone being changed.
func alterColumn(t *catalog.Table, c planner.AlterColumn, missing *string, idx []*catalog.Index, fenced *alterFence) (*Notice, error) {
	switch c.Op {
	case planner.RenameTableTo:
		t.Name = c.NewName
		return nil, nil
	case planner.AddCheck:
		if slices.ContainsFunc(t.Checks, func(o catalog.Check) bool { return o.Name == c.Check.Name }) {
			return nil, errs.New(errs.DuplicateObject, "constraint %q for relation %q already exists", c.Check.Name, t.Name)
		}
		t.Checks = append(t.Checks, c.Check)
		slices.SortStableFunc(t.Checks, func(a, b catalog.Check) int { return strings.Compare(a.Name, b.Name) })
		return nil, nil
	case planner.DropCheck:
		k := slices.IndexFunc(t.Checks, func(o catalog.Check) bool { return o.Name == c.Column })
		if k < 0 {
			if c.Missing {
				n := notice("00000", "constraint %q of relation %q does not exist, skipping", c.Column, t.Name)
				return &n, nil
			}
			return nil, errs.New(errs.UndefinedObject, "constraint %q of relation %q does not exist", c.Column, t.Name)
		}
		t.Checks = slices.Delete(t.Checks, k, k+1)
		return nil, nil
	case planner.AddColumn:
		if t.ColumnIndex(c.Column) >= 0 {
			if c.Missing {
				n := notice("42701", "column %q of relation %q already exists, skipping", c.Column, t.Name)
				return &n, nil
			}
			return nil, errs.New(errs.DuplicateColumn, "column %q of relation %q already exists", c.Column, t.Name)
		}
		col := c.Def
		if s := types.Storage(col.Type); s != col.Type {
			col.SQLType, col.Type = col.Type, s
		}
		col.Stored = freeStoredName(t, col.Name)
		col.Missing = missing
		t.Columns = append(t.Columns, col)
		return nil, nil
	}
	i := column(t, c.Column)
	if i < 0 {
		if c.Op == planner.DropColumn && c.Missing {
			n := notice("00000", "column %q of relation %q does not exist, skipping", c.Column, t.Name)
			return &n, nil
		}
		return nil, undefinedColumn(t, c.Column)
	}
	col := &t.Columns[i]
	switch c.Op {
	case planner.DropColumn:
		if r := keyRole(t, i); r != "" {
			return nil, errs.New(errs.NotImplemented, "cannot drop column %q of table %q: it is a %s column", c.Column, t.Name, r)
		}
		if u := usedElsewhere(t, c.Column, idx); u != "" {
			return nil, errs.New(errs.DependentObjects, "cannot drop column %q of table %q because %s uses it", c.Column, t.Name, u)
		}
		// CHECK constraints over the column go with it, as in PostgreSQL.
		var keep []catalog.Check
		for _, ch := range t.Checks {
			cols, err := sql.ExprColumns(ch.Expr)
			if err != nil {
				return nil, err
			}
			if !slices.Contains(cols, c.Column) {
				keep = append(keep, ch)
			}
		}
		t.Checks = keep
		t.DroppedStored = append(t.DroppedStored, col.StoredName())
		for _, f := range col.Former {
			t.DroppedStored = append(t.DroppedStored, f.Stored)
		}
		delete(t.ColumnComments, c.Column)
		t.Columns = slices.Delete(t.Columns, i, i+1)
		shift := func(xs []int) {
			for k, x := range xs {
				if x > i {
					xs[k] = x - 1
				}
			}
		}
		shift(t.RowKeys)
		shift(t.SortKeys)
		shift(t.PrimaryKey)
	case planner.RenameColumn:
		if j := t.ColumnIndex(c.NewName); j >= 0 {
			return nil, errs.New(errs.DuplicateColumn, "column %q of relation %q already exists", c.NewName, t.Name)
		}
		if r := keyRole(t, i); r != "" {
			return nil, errs.New(errs.NotImplemented, "cannot rename column %q of table %q: it is a %s column", c.Column, t.Name, r)
		}
		if u := usedElsewhere(t, c.Column, idx); u != "" {
			return nil, errs.New(errs.NotImplemented, "cannot rename column %q of table %q because %s uses it", c.Column, t.Name, u)
		}
		for k, ch := range t.Checks {
			text, err := sql.RenameColumnInExpr(ch.Expr, c.Column, c.NewName)
			if err != nil {
				return nil, err
			}
			t.Checks[k].Expr = text
		}
		if v, ok := t.ColumnComments[c.Column]; ok {
			delete(t.ColumnComments, c.Column)
			t.ColumnComments[c.NewName] = v
		}
		col.Stored = col.StoredName()
		col.Name = c.NewName
		if col.Stored == col.Name {
			col.Stored = ""
		}
	case planner.SetDefault, planner.DropDefault:
		if col.Identity != "" {
			return nil, errs.New(errs.Syntax, "column %q of relation %q is an identity column", c.Column, t.Name)
		}
		col.Default = ""
		if c.Op == planner.SetDefault {
			col.Default = c.Def.Default
		}
	case planner.SetType:
		return nil, setType(t, i, c, missing, idx, fenced)
	case planner.SetNotNull:
		col.Nullable = false
	case planner.DropNotNull:
		if r := keyRole(t, i); r != "" {
			return nil, errs.New(errs.InvalidDefinition, "column %q is in a %s", c.Column, r)
		}
		if col.Identity != "" {
			return nil, errs.New(errs.Syntax, "column %q of relation %q is an identity column", c.Column, t.Name)
		}
		col.Nullable = true
	default:
		return nil, errs.New(errs.Internal, "unknown ALTER TABLE command %q", c.Op)
	}
	return nil, nil
}

// freeStoredName is the name a column added as name is stored under: name, unless a column
// of t (present, renamed or dropped) is or was stored under it.
func freeStoredName(t *catalog.Table, name string) string {
	taken := func(s string) bool {
		if slices.Contains(t.DroppedStored, s) {
			return true
		}
		for _, c := range t.Columns {
			if c.StoredName() == s || slices.ContainsFunc(c.Former, func(f catalog.Former) bool { return f.Stored == s }) {
				return true
			}
		}
		return false
	}
	s := name
	for k := 2; taken(s); k++ {
		s = fmt.Sprintf("%s#%d", name, k)
	}
	if s == name {
		return ""
	}
	return s
}

// truncate removes every row of the tables, one transaction each. In a transaction block
// the truncation joins the block's work on each table (txn_ddl.go).
func (e *Engine) truncate(ctx context.Context, s *planner.Truncate) (Result, error) {
	var tables []*catalog.Table
	for _, name := range s.Tables {
		t, err := e.cat.Table(ctx, name)
		if err != nil {
			return nil, err
		}
		tables = append(tables, t)
	}
	for _, t := range tables {
		if b := blockOf(ctx); b != nil {
			if err := b.add(ctx, t, txnPart{txn: statestore.Truncate{}}); err != nil {
				return nil, err
			}
			continue
		}
		if _, err := e.ss.Commit(ctx, t.StateID(), statestore.Truncate{}); err != nil {
			return nil, err
		}
	}
	return &doneResult{tag: "TRUNCATE TABLE"}, nil
}

// comment runs COMMENT ON TABLE / COLUMN.
func (e *Engine) comment(ctx context.Context, s *planner.Comment) (Result, error) {
	_, err := e.cat.Redefine(ctx, s.Table, func(old *catalog.Table) (*catalog.Table, error) {
		t := old.Clone()
		if s.Column == "" {
			t.Comment = s.Text
		} else {
			if column(t, s.Column) < 0 {
				return nil, undefinedColumn(t, s.Column)
			}
			if t.ColumnComments == nil {
				t.ColumnComments = map[string]string{}
			}
			if s.Text == "" {
				delete(t.ColumnComments, s.Column)
			} else {
				t.ColumnComments[s.Column] = s.Text
			}
		}
		t.Rebuild()
		return t, nil
	})
	if err != nil {
		return nil, err
	}
	return &doneResult{tag: "COMMENT"}, nil
}
