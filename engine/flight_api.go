package engine

import (
	"context"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/sleeperd/sleeperd/catalog"
	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/exec"
	"github.com/sleeperd/sleeperd/planner"
	"github.com/sleeperd/sleeperd/storage/statestore"
	"github.com/sleeperd/sleeperd/types"
)

// Append writes the rows of batches into the named table as one commit and returns how
// many it wrote, as OpenAppend, Appender.Append of each batch and Commit do. Every batch has
// the same schema. The caller keeps ownership of batches.
func (e *Engine) Append(ctx context.Context, table string, batches []arrow.RecordBatch) (n int64, err error) {
	defer e.recoverTo("append", &err)
	panicSite("append")
	if len(batches) == 0 {
		_, err := e.cat.Table(ctx, table)
		return 0, err
	}
	a, err := e.OpenAppend(ctx, table, batches[0].Schema())
	if err != nil {
		return 0, err
	}
	defer a.Abort()
	for _, b := range batches {
		if err := a.Append(ctx, b); err != nil {
			return 0, err
		}
	}
	return a.Commit(ctx)
}

// Appender writes a stream of batches into a table as one commit: nothing is visible until
// Commit, and Abort (or a failed Append or Commit) writes nothing. It holds at most the
// engine's import memory of rows (Options.ImportMemory). An Appender is used by one
// goroutine at a time.
type Appender struct {
	e       *Engine
	t       *catalog.Table
	schema  *arrow.Schema
	targets []int
	w       *rowWriter
}

// OpenAppend starts a streaming append into the named table of batches with the given
// schema. Batch columns are matched to table columns by name (exactly, else ignoring case)
// and cast to the column types; table columns no batch column names take their default,
// or NULL (or the generated row id). The caller ends it with Commit or Abort.
func (e *Engine) OpenAppend(ctx context.Context, table string, schema *arrow.Schema) (a *Appender, err error) {
	defer e.recoverTo("append", &err)
	panicSite("open append")
	t, err := e.cat.Table(ctx, table)
	if err != nil {
		return nil, err
	}
	var visible []int
	for i, col := range t.Columns {
		if !col.Hidden {
			visible = append(visible, i)
		}
	}
	targets, err := matchColumns(t, visible, schema)
	if err != nil {
		return nil, err
	}
	w, err := e.newRowWriter(ctx, t, targets)
	if err != nil {
		return nil, err
	}
	return &Appender{e: e, t: t, schema: schema, targets: targets, w: w}, nil
}

// Append adds the rows of b, whose columns have the names and types of the schema the
// Appender was opened with. The caller keeps ownership of b. After an error the Appender
// can only be aborted.
func (a *Appender) Append(ctx context.Context, b arrow.RecordBatch) (err error) {
	defer a.e.recoverTo("append", &err)
	panicSite("append batch")
	if !sameTypes(a.schema, b.Schema()) {
		return errs.New(errs.DatatypeMismatch, "batch schema %s differs from the schema of the append, %s", b.Schema(), a.schema)
	}
	ctx = exec.WithAllocator(ctx, a.e.alloc)
	rec, err := castBatch(ctx, a.t, a.targets, b)
	if err != nil {
		return err
	}
	defer rec.Release()
	return a.w.Append(ctx, rec)
}

// Commit writes every row appended as one commit and returns how many there were. The
// Appender is finished afterwards, whatever the outcome.
func (a *Appender) Commit(ctx context.Context) (n int64, err error) {
	defer a.e.recoverTo("append commit", &err)
	panicSite("append commit")
	defer a.w.Abort()
	return a.w.Commit(ctx)
}

// Abort drops the rows appended. It is safe after Commit, and more than once.
func (a *Appender) Abort() { a.w.Abort() }

// sameTypes reports whether two schemas have the same number of fields, of the same types.
func sameTypes(a, b *arrow.Schema) bool {
	if a.NumFields() != b.NumFields() {
		return false
	}
	for i := range a.Fields() {
		if !arrow.TypeEqual(a.Field(i).Type, b.Field(i).Type) {
			return false
		}
	}
	return true
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
	if err := s.c.blockAllows(s.bound); err != nil {
		s.c.fail()
		return 0, true, err
	}
	if _, err := s.c.authorize(ctx, s.bound); err != nil {
		return 0, true, err
	}
	if s.c.readOnly() {
		return 0, true, errs.New(errs.ReadOnlyTransaction, "cannot execute INSERT in a read-only transaction")
	}
	// Inside a transaction block the rows are committed by the block's COMMIT.
	ctx = withBlock(ctx, s.c.blk)
	if b := s.c.blk; b != nil {
		b.reads = map[statestore.TableID]uint64{}
	}
	defer func() {
		if ok && err != nil {
			s.c.fail()
		}
	}()
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
// commit (see rowWriter).
func (e *Engine) writeCast(ctx context.Context, t *catalog.Table, targets []int, batches []arrow.RecordBatch) (int64, error) {
	ctx = exec.WithAllocator(ctx, e.alloc)
	w, err := e.newRowWriter(ctx, t, targets)
	if err != nil {
		return 0, err
	}
	defer w.Abort()
	for _, b := range batches {
		rec, err := castBatch(ctx, t, targets, b)
		if err != nil {
			return 0, err
		}
		err = w.Append(ctx, rec)
		rec.Release()
		if err != nil {
			return 0, err
		}
	}
	return w.Commit(ctx)
}

// castBatch returns b with the columns that targets maps to table columns cast to the
// table's types (table column i comes from column targets[i], or none when -1), allocated
// from the context's allocator. The caller releases the result and keeps b.
func castBatch(ctx context.Context, t *catalog.Table, targets []int, b arrow.RecordBatch) (arrow.RecordBatch, error) {
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
		if j < 0 || arrow.TypeEqual(cols[j].DataType(), t.Columns[i].Type) && !checkedColumn(&t.Columns[i]) {
			continue
		}
		c, err := castToColumn(ctx, cols[j], &t.Columns[i])
		if err != nil {
			return nil, errs.Wrap(errs.KindOf(err), err, "column %q is of type %s but the data is of type %s: %v",
				t.Columns[i].Name, types.Name(t.Columns[i].Type), cols[j].DataType(), err)
		}
		cols[j].Release()
		cols[j] = c
		fields[j].Type = c.DataType()
	}
	return array.NewRecordBatch(arrow.NewSchema(fields, nil), cols, b.NumRows()), nil
}
