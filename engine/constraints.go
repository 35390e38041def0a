package engine

import (
	"context"
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/sleeperd/sleeperd/catalog"
	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/exec"
	"github.com/sleeperd/sleeperd/planner"
	"github.com/sleeperd/sleeperd/sql"
)

// writeRules are what every writer applies to the rows it writes into a table, whatever
// wrote them (INSERT, COPY FROM, Flight SQL ingest, UPDATE): the defaults of the columns the
// rows leave out and the table's CHECK constraints. NOT NULL is checked by tableBatch.
type writeRules struct {
	// defaults[i] computes column i's default, over a batch of the source's rows; nil for a
	// column without one.
	defaults []exec.Expr
	// checks are the CHECK constraints over a batch of the table's columns, in t.Checks order.
	checks []exec.Expr
}

// rulesFor compiles t's defaults and checks; nil when it has neither.
func (e *Engine) rulesFor(ctx context.Context, t *catalog.Table) (*writeRules, error) {
	has := len(t.Checks) > 0
	for _, c := range t.Columns {
		has = has || c.Default != ""
	}
	if !has {
		return nil, nil
	}
	// The statement that writes has just read the catalog; defaults and checks name no
	// relation, so the catalog as last read binds them.
	cur := e.cat.Cached()
	r := &writeRules{defaults: make([]exec.Expr, len(t.Columns))}
	for i, c := range t.Columns {
		if c.Default == "" {
			continue
		}
		d, err := sql.BindDefault(ctx, cur, t, i)
		if err != nil {
			return nil, fmt.Errorf("default of column %q: %w", c.Name, err)
		}
		if r.defaults[i], err = planner.CompileExpr(d, nil); err != nil {
			return nil, err
		}
	}
	checks, err := sql.BindChecks(ctx, cur, t)
	if err != nil {
		return nil, err
	}
	layout := make(map[planner.ColumnID]int, len(t.Columns))
	for i := range t.Columns {
		layout[sql.CheckColumnID(i)] = i
	}
	for _, c := range checks {
		x, err := planner.CompileExpr(c, layout)
		if err != nil {
			return nil, err
		}
		r.checks = append(r.checks, x)
	}
	return r, nil
}

// fillDefault returns column i's default for each row of the source batch b, or nil when
// the column has none.
func (r *writeRules) fillDefault(ctx context.Context, e *Engine, i int, col catalog.Column, b arrow.RecordBatch) (arrow.Array, error) {
	if r == nil || r.defaults[i] == nil {
		return nil, nil
	}
	a, err := r.defaults[i].Eval(e.withSequences(ctx), b)
	if err != nil {
		return nil, err
	}
	if !arrow.TypeEqual(a.DataType(), col.Type) {
		a.Release()
		return nil, errs.New(errs.Internal, "default of column %q: type %s, table type %s", col.Name, a.DataType(), col.Type)
	}
	return a, nil
}

// check fails with errs.CheckViolation, as PostgreSQL words it, when a row of rec (a batch
// of the table's columns) makes a CHECK constraint false.
func (r *writeRules) check(ctx context.Context, t *catalog.Table, rec arrow.RecordBatch) error {
	if r == nil {
		return nil
	}
	for i, c := range r.checks {
		a, err := c.Eval(ctx, rec)
		if err != nil {
			return err
		}
		bad := -1
		if ba, ok := a.(*array.Boolean); ok {
			for j := 0; j < ba.Len(); j++ {
				if ba.IsValid(j) && !ba.Value(j) {
					bad = j
					break
				}
			}
		}
		a.Release()
		if bad >= 0 {
			return &errs.Error{Kind: errs.CheckViolation,
				Msg:    fmt.Sprintf("new row for relation %q violates check constraint %q", t.Name, t.Checks[i].Name),
				Detail: failingRow(t, rec, bad)}
		}
	}
	return nil
}

// failingRow is PostgreSQL's detail line of a constraint violation: the visible values of
// row j.
func failingRow(t *catalog.Table, rec arrow.RecordBatch, j int) string {
	var vals []string
	for i, c := range t.Columns {
		if c.Hidden {
			continue
		}
		col := rec.Column(i)
		if col.IsNull(j) {
			vals = append(vals, "null")
			continue
		}
		vals = append(vals, col.ValueStr(j))
	}
	return "Failing row contains (" + strings.Join(vals, ", ") + ")."
}
