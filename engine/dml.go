package engine

import (
	"context"
	"errors"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/sleeperd/sleeperd/catalog"
	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/exec"
	"github.com/sleeperd/sleeperd/planner"
	"github.com/sleeperd/sleeperd/sql"
	"github.com/sleeperd/sleeperd/storage/merge"
	"github.com/sleeperd/sleeperd/types"
)

// matching is the plan of the rows of a DELETE or UPDATE: its rows (the table scan, with the
// statement's subqueries joined in), filtered by the predicate, projected to exprs.
func matching(rows planner.Node, pred planner.Expr, exprs []planner.Expr, names []string) planner.Node {
	n := rows
	if pred != nil {
		n = &planner.Filter{Input: n, Pred: pred}
	}
	p := &planner.Project{Input: n, Exprs: exprs}
	for i, e := range exprs {
		p.Cols = append(p.Cols, planner.Column{ID: planner.ColumnID(1_000_000 + i), Name: names[i], Type: e.Type(), Nullable: true})
	}
	return p
}

func columnRefs(scan *planner.Scan, idx []int) ([]planner.Expr, []string) {
	exprs := make([]planner.Expr, len(idx))
	names := make([]string, len(idx))
	for i, c := range idx {
		col := scan.Cols[c]
		exprs[i] = &planner.ColumnRef{ID: col.ID, Name: col.Name, Typ: col.Type}
		names[i] = col.Name
	}
	return exprs, names
}

// deleteRows runs DELETE. On a table with a primary key it writes tombstones for the matching
// keys; on any other table it commits a delete predicate that reads apply at once and
// compaction applies to the files (see rewrite).
func (e *Engine) deleteRows(ctx context.Context, d *planner.Delete, params []any, ret *returner) (int64, error) {
	t := d.Table
	if len(t.PrimaryKey) > 0 {
		return e.deleteKeys(ctx, d, params, ret)
	}
	return e.runRewrite(ctx, rewrite{t: t, scan: d.Scan, rows: d.Rows(), pred: d.Pred, ret: ret}, params)
}

// tombstoneWriter writes, for each key appended (the key columns keyCols of t), a row
// marked deleted, as one commit.
type tombstoneWriter struct {
	*tableWriter
	keyCols []int
	schema  *arrow.Schema
}

func (e *Engine) newTombstoneWriter(ctx context.Context, t *catalog.Table, keyCols []int) (*tombstoneWriter, error) {
	fields := make([]arrow.Field, 0, len(t.Columns)+1)
	for _, f := range t.Schema().Fields() {
		f.Nullable = f.Nullable || !contains(t.RowKeys, indexOf(t, f.Name))
		fields = append(fields, f)
	}
	fields = append(fields, arrow.Field{Name: merge.DeletedColumn, Type: arrow.FixedWidthTypes.Boolean})
	spec := t.IngestSpec()
	spec.Schema = arrow.NewSchema(fields, nil)
	w, err := e.openWriter(ctx, t, spec)
	if err != nil {
		return nil, err
	}
	return &tombstoneWriter{tableWriter: w, keyCols: keyCols, schema: spec.Schema}, nil
}

// Append adds the tombstones of the keys in b; the caller keeps b.
func (w *tombstoneWriter) Append(ctx context.Context, b arrow.RecordBatch) error {
	n := int(b.NumRows())
	if n == 0 {
		return nil
	}
	mem := exec.Allocator(ctx)
	t := w.t
	cols := make([]arrow.Array, w.schema.NumFields())
	for i := range t.Columns {
		if k := indexIn(w.keyCols, i); k >= 0 {
			cols[i] = b.Column(k)
			cols[i].Retain()
		} else {
			cols[i] = array.MakeArrayOfNull(mem, t.Columns[i].Type, n)
		}
	}
	bb := array.NewBooleanBuilder(mem)
	for j := 0; j < n; j++ {
		bb.Append(true)
	}
	cols[len(t.Columns)] = bb.NewArray()
	bb.Release()
	rec := array.NewRecordBatch(w.schema, cols, int64(n))
	for _, c := range cols {
		c.Release()
	}
	defer rec.Release()
	return w.w.Append(rec)
}

// updateRows runs UPDATE. On a table with a primary key the matching rows are written again
// with the new values, as new versions that win over the old ones (updateVersions, or
// updateKeys when key columns are set); on any other table the statement is a rewrite: a
// delete predicate and the rows' new values, in one commit.
func (e *Engine) updateRows(ctx context.Context, u *planner.Update, params []any, ret *returner) (int64, error) {
	t := u.Table
	if len(t.PrimaryKey) == 0 {
		return e.runRewrite(ctx, rewrite{t: t, scan: u.Scan, rows: u.Rows(), pred: u.Pred, set: u.Set, ret: ret}, params)
	}
	for idx := range u.Set {
		if contains(t.RowKeys, idx) || contains(t.SortKeys, idx) {
			return e.updateKeys(ctx, u, params, ret)
		}
	}
	return e.updateVersions(ctx, u, params, ret)
}

func contains(s []int, v int) bool { return indexIn(s, v) >= 0 }

func indexIn(s []int, v int) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return -1
}

func indexOf(t *catalog.Table, name string) int { return t.ColumnIndex(name) }

var _ = fmt.Sprintf

// executeLifecycle runs the statements of the table lifecycle; ok is false for others.
func (e *Engine) executeLifecycle(ctx context.Context, st planner.Statement, params []any) (Result, bool, error) {
	switch s := st.(type) {
	case *planner.Delete:
		ret, err := newReturner(s.Returning, params)
		if err != nil {
			return nil, true, err
		}
		defer ret.reset()
		n, err := e.deleteRows(ctx, s, params, ret)
		if err != nil {
			return nil, true, err
		}
		return ret.result(fmt.Sprintf("DELETE %d", n)), true, nil
	case *planner.Update:
		ret, err := newReturner(s.Returning, params)
		if err != nil {
			return nil, true, err
		}
		defer ret.reset()
		n, err := e.updateRows(ctx, s, params, ret)
		if err != nil {
			return nil, true, err
		}
		return ret.result(fmt.Sprintf("UPDATE %d", n)), true, nil
	case *planner.Merge:
		r, err := e.runMerge(ctx, s, params)
		return r, true, err
	case *planner.AlterTable:
		if s.Name != "" {
			if err := e.alterTable(ctx, s.Name, s.Set); err != nil {
				return nil, true, err
			}
		}
		return &doneResult{tag: "ALTER TABLE"}, true, nil
	case *planner.CreateView:
		if s.Replace {
			if err := e.checkViewReplace(ctx, s.View); err != nil {
				return nil, true, err
			}
		}
		if err := e.cat.CreateView(ctx, s.View, s.Replace); err != nil {
			return nil, true, err
		}
		return &doneResult{tag: "CREATE VIEW"}, true, nil
	case *planner.DropView:
		res := &doneResult{tag: "DROP VIEW"}
		for _, name := range s.Names {
			if _, ok, err := e.cat.View(ctx, name); err != nil {
				return nil, true, err
			} else if !ok {
				if _, err := e.cat.Table(ctx, name); err == nil {
					return nil, true, &errs.Error{Kind: errs.WrongObjectType, Msg: fmt.Sprintf("%q is not a view", name), Hint: "Use DROP TABLE to remove a table."}
				}
				if s.IfExists {
					res.notices = append(res.notices, notice("00000", "view %q does not exist, skipping", name))
					continue
				}
				return nil, true, errs.New(errs.UndefinedTable, "view %q does not exist", name)
			}
			if err := e.dropDependents(ctx, name, s.Cascade); err != nil {
				return nil, true, err
			}
			if err := e.cat.DropView(ctx, name); err != nil {
				return nil, true, err
			}
		}
		return res, true, nil
	case *planner.CreateIndex:
		res := &doneResult{tag: "CREATE INDEX"}
		_, err := e.cat.CreateIndex(ctx, catalog.Index{Name: s.Name, Table: s.Table, Columns: s.Columns, Unique: s.Unique})
		if err != nil {
			if s.IfNotExists && s.Name != "" && errors.Is(err, errs.DuplicateTable) {
				res.notices = append(res.notices, notice("42P07", "relation %q already exists, skipping", s.Name))
				return res, true, nil
			}
			return nil, true, err
		}
		res.notices = append(res.notices, notice("00000", "CREATE INDEX has no effect: tables are sorted by their row and sort keys, and there are no secondary indexes"))
		return res, true, nil
	case *planner.DropIndex:
		return e.dropIndexes(ctx, s)
	case *planner.Utility:
		return &doneResult{tag: s.Tag}, true, nil
	case *planner.CreateTableAs:
		n, err := e.createTableAs(ctx, s, params)
		if err != nil {
			return nil, true, err
		}
		return &doneResult{tag: fmt.Sprintf("SELECT %d", n)}, true, nil
	case *planner.Vacuum:
		if err := e.vacuum(ctx, s.Tables, s.Full); err != nil {
			return nil, true, err
		}
		return &doneResult{tag: "VACUUM"}, true, nil
	}
	return nil, false, nil
}

// createTableAs creates a table and streams a query's rows into it. The two steps are two
// commits: if filling fails, the new table is dropped again.
func (e *Engine) createTableAs(ctx context.Context, s *planner.CreateTableAs, params []any) (n int64, err error) {
	op, release, err := e.plan(ctx, s.Source, params)
	if err != nil {
		return 0, err
	}
	defer release()
	t, err := e.cat.Create(ctx, s.Def, e.validateIterators)
	if err != nil {
		if s.IfNotExists && errors.Is(err, errs.DuplicateTable) {
			return 0, nil
		}
		return 0, err
	}
	defer func() {
		if err != nil {
			if derr := e.cat.Drop(context.WithoutCancel(ctx), t.Name); derr != nil {
				e.log.Warn("dropping table after a failed CREATE TABLE AS", "table", t.Name, "err", derr)
			}
		}
	}()
	targets := make([]int, len(t.Columns))
	for i := range targets {
		targets[i] = -1
		if i < len(s.Def.Columns) {
			targets[i] = i
		}
	}
	w, err := e.newRowWriter(ctx, t, targets)
	if err != nil {
		return 0, err
	}
	defer w.Abort()
	if err := pump(ctx, op, w.Append); err != nil {
		return 0, err
	}
	streamEvent("commit")
	return w.Commit(ctx)
}

// dropDependents drops the views that read name when cascade is set; without it they make
// the drop fail (the catalog refuses it).
func (e *Engine) dropDependents(ctx context.Context, name string, cascade bool) error {
	if !cascade {
		return nil
	}
	deps, err := e.cat.Dependents(ctx, name)
	if err != nil {
		return err
	}
	for _, d := range deps {
		if err := e.cat.DropView(ctx, d); err != nil && !errors.Is(err, errs.UndefinedTable) {
			return err
		}
	}
	return nil
}

// viewColumns binds a view's query and returns its columns' names and types.
func (e *Engine) viewColumns(ctx context.Context, v catalog.View) ([]string, []arrow.DataType, error) {
	stmts, err := sql.Parse(v.SQL)
	if err != nil {
		return nil, nil, err
	}
	if len(stmts) != 1 {
		return nil, nil, errs.New(errs.Internal, "view %q holds %d statements", v.Name, len(stmts))
	}
	bound, err := sql.Bind(ctx, e.cat, stmts[0], nil)
	if err != nil {
		return nil, nil, err
	}
	q, ok := bound.(*planner.Query)
	if !ok {
		return nil, nil, errs.New(errs.Internal, "view %q is not a query", v.Name)
	}
	cols := q.Root.Columns()
	names := make([]string, len(cols))
	types := make([]arrow.DataType, len(cols))
	for i, c := range cols {
		names[i], types[i] = c.Name, c.Type
		if q.Names != nil {
			names[i] = q.Names[i]
		}
		if i < len(v.Columns) {
			names[i] = v.Columns[i]
		}
	}
	return names, types, nil
}

// checkViewReplace applies PostgreSQL's rule for CREATE OR REPLACE VIEW over an existing
// view: the new query keeps the old columns, with their names and types, in order, and may
// add columns at the end.
func (e *Engine) checkViewReplace(ctx context.Context, v catalog.View) error {
	old, ok, err := e.cat.View(ctx, v.Name)
	if err != nil || !ok {
		return err
	}
	oldNames, oldTypes, err := e.viewColumns(ctx, *old)
	if err != nil {
		// The old view no longer binds (a table it read was replaced): nothing to keep.
		return nil
	}
	newNames, newTypes, err := e.viewColumns(ctx, v)
	if err != nil {
		return err
	}
	if len(newNames) < len(oldNames) {
		return errs.New(errs.InvalidDefinition, "cannot drop columns from view")
	}
	for i := range oldNames {
		if newNames[i] != oldNames[i] {
			return &errs.Error{Kind: errs.InvalidDefinition, Msg: fmt.Sprintf("cannot change name of view column %q to %q", oldNames[i], newNames[i]),
				Hint: "Use ALTER VIEW ... RENAME COLUMN ... to change name of view column instead."}
		}
		if a, b := types.Name(oldTypes[i]), types.Name(newTypes[i]); a != b {
			return errs.New(errs.InvalidDefinition, "cannot change data type of view column %q from %s to %s", oldNames[i], a, b)
		}
	}
	return nil
}

// dropIndexes runs DROP INDEX: every name is checked before any index is dropped.
func (e *Engine) dropIndexes(ctx context.Context, s *planner.DropIndex) (Result, bool, error) {
	res := &doneResult{tag: "DROP INDEX"}
	var drop []string
	for _, name := range s.Names {
		if _, ok, err := e.cat.Index(ctx, name); err != nil {
			return nil, true, err
		} else if ok {
			drop = append(drop, name)
			continue
		}
		if _, err := e.cat.Table(ctx, name); err == nil {
			return nil, true, &errs.Error{Kind: errs.WrongObjectType, Msg: fmt.Sprintf("%q is not an index", name), Hint: "Use DROP TABLE to remove a table."}
		}
		if _, ok, err := e.cat.View(ctx, name); err == nil && ok {
			return nil, true, &errs.Error{Kind: errs.WrongObjectType, Msg: fmt.Sprintf("%q is not an index", name), Hint: "Use DROP VIEW to remove a view."}
		}
		if !s.IfExists {
			return nil, true, errs.New(errs.UndefinedObject, "index %q does not exist", name)
		}
		res.notices = append(res.notices, notice("00000", "index %q does not exist, skipping", name))
	}
	for _, name := range drop {
		if err := e.cat.DropIndex(ctx, name); err != nil {
			return nil, true, err
		}
	}
	return res, true, nil
}
