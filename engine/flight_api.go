package engine

import (
	"context"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"

	"github.com/sleeperd/sleeperd/catalog"
	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/exec"
	"github.com/sleeperd/sleeperd/planner"
)

// Append writes the rows of batches into the named table as one commit and returns how
// many it wrote. Batch columns are matched to table columns by name (exactly, else ignoring
// case) and cast to the column types; table columns no batch column names are NULL (or the
// generated row id). Every batch has the same schema. The caller keeps ownership of batches.
func (e *Engine) Append(ctx context.Context, table string, batches []arrow.RecordBatch) (n int64, err error) {
	defer e.recoverTo("append", &err)
	panicSite("append")
	t, err := e.cat.Table(ctx, table)
	if err != nil {
		return 0, err
	}
	if len(batches) == 0 {
		return 0, nil
	}
	var visible []int
	for i, col := range t.Columns {
		if !col.Hidden {
			visible = append(visible, i)
		}
	}
	targets, err := matchColumns(t, visible, batches[0].Schema())
	if err != nil {
		return 0, err
	}
	return e.writeCast(ctx, t, targets, batches)
}

// AppendParams runs a prepared INSERT INTO t [(columns)] VALUES ($1, ..., $n), whose values
// are bare parameters, for every row of the parameter batches at once, as one commit: batch
// column i holds the values of $i+1. ok is false, and nothing is written, for any other
// statement; the caller then executes it row by row. The caller keeps ownership of batches.
func (e *Engine) AppendParams(ctx context.Context, st Statement, batches []arrow.RecordBatch) (n int64, ok bool, err error) {
	defer func() {
		if p := recover(); p != nil {
			n, ok, err = 0, true, e.panicError("append", p)
		}
	}()
	s, isStmt := st.(*statement)
	if !isStmt || s.empty {
		return 0, false, nil
	}
	ins, isInsert := s.bound.(*planner.Insert)
	if !isInsert {
		return 0, false, nil
	}
	if s.c.readOnly() {
		return 0, true, errs.New(errs.ReadOnlyTransaction, "cannot execute INSERT in a read-only transaction")
	}
	vals, isValues := ins.Source.(*planner.Values)
	if !isValues || len(vals.Rows) != 1 {
		return 0, false, nil
	}
	nparams := len(s.bound.Params())
	source := make([]int, len(vals.Rows[0])) // values column -> parameter index
	seen := make(map[int]bool, nparams)
	for j, ex := range vals.Rows[0] {
		p, isParam := ex.(*planner.Param)
		if !isParam || p.Index < 1 || p.Index > nparams || seen[p.Index] {
			return 0, false, nil
		}
		seen[p.Index] = true
		source[j] = p.Index - 1
	}
	for _, b := range batches {
		if int(b.NumCols()) != nparams {
			return 0, true, errs.New(errs.ProtocolViolation, "parameter batch has %d columns, statement has %d parameters", b.NumCols(), nparams)
		}
	}
	targets := make([]int, len(ins.Targets))
	for i, j := range ins.Targets {
		targets[i] = -1
		if j >= 0 {
			targets[i] = source[j]
		}
	}
	n, err = e.writeCast(exec.WithAllocator(ctx, e.alloc), ins.Table, targets, batches)
	return n, true, err
}

// matchColumns matches the fields of schema by name (exactly, else ignoring case) to the
// table columns cols of t: table column i comes from field targets[i], or from none (-1).
// A field that names none of cols fails with undefined_column.
func matchColumns(t *catalog.Table, cols []int, schema *arrow.Schema) ([]int, error) {
	targets := make([]int, len(t.Columns))
	for i := range targets {
		targets[i] = -1
	}
	used := make([]bool, schema.NumFields())
	for _, i := range cols {
		col := t.Columns[i]
		idx := schema.FieldIndices(col.Name)
		if len(idx) == 0 {
			for j, f := range schema.Fields() {
				if strings.EqualFold(f.Name, col.Name) {
					idx = []int{j}
					break
				}
			}
		}
		if len(idx) > 0 {
			targets[i] = idx[0]
			used[idx[0]] = true
		}
	}
	for j, u := range used {
		if !u {
			return nil, errs.New(errs.UndefinedColumn, "column %q of relation %q does not exist", schema.Field(j).Name, t.Name)
		}
	}
	return targets, nil
}

// writeCast casts the target columns of batches to the table's types and writes them as one
// commit (see writeRows).
func (e *Engine) writeCast(ctx context.Context, t *catalog.Table, targets []int, batches []arrow.RecordBatch) (int64, error) {
	ctx = exec.WithAllocator(ctx, e.alloc)
	cast := make([]arrow.RecordBatch, 0, len(batches))
	defer func() { releaseAll(cast) }()
	for _, b := range batches {
		c, err := castBatch(ctx, t, targets, b)
		if err != nil {
			return 0, err
		}
		cast = append(cast, c)
	}
	return e.writeRows(ctx, t, targets, cast)
}

// castBatch returns b with the columns that targets maps to table columns cast to the
// table's types (table column i comes from column targets[i], or none when -1), allocated
// from the context's allocator. The caller releases the result and keeps b.
func castBatch(ctx context.Context, t *catalog.Table, targets []int, b arrow.RecordBatch) (arrow.RecordBatch, error) {
	cctx := compute.WithAllocator(ctx, exec.Allocator(ctx))
	cols := make([]arrow.Array, b.NumCols())
	fields := make([]arrow.Field, b.NumCols())
	for j := range cols {
		cols[j] = b.Column(j)
		cols[j].Retain()
		fields[j] = b.Schema().Field(j)
	}
	defer func() {
		for _, c := range cols {
			c.Release()
		}
	}()
	for i, j := range targets {
		if j < 0 || arrow.TypeEqual(cols[j].DataType(), t.Columns[i].Type) {
			continue
		}
		c, err := compute.CastArray(cctx, cols[j], compute.SafeCastOptions(t.Columns[i].Type))
		if err != nil {
			return nil, errs.Wrap(errs.CannotCoerce, err, "column %q is of type %s but the data is of type %s: %v",
				t.Columns[i].Name, planner.TypeName(t.Columns[i].Type), cols[j].DataType(), err)
		}
		cols[j].Release()
		cols[j] = c
		fields[j].Type = c.DataType()
	}
	return array.NewRecordBatch(arrow.NewSchema(fields, nil), cols, b.NumRows()), nil
}
