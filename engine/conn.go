package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/sleeperd/sleeperd/catalog"
	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/exec"
	"github.com/sleeperd/sleeperd/planner"
	"github.com/sleeperd/sleeperd/planner/rules"
	"github.com/sleeperd/sleeperd/sql"
	"github.com/sleeperd/sleeperd/storage/ingest"
	"github.com/sleeperd/sleeperd/storage/statestore"
)

type conn struct {
	e              *Engine
	user, database string
	s              session
	// seq holds the session's currval and lastval (sequences.go).
	seq     *seqSession
	seqOnce sync.Once
	// blk is the transaction block the connection is in, or nil (see txn.go).
	blk *txnBlock
	// act is what pg_stat_activity shows of the connection (sessions.go).
	act *activity
	// backend is the session as its statements see it (pg_backend_pid, inet_client_addr):
	// replaced whole under the sessions' lock, read by each statement without it.
	backend atomic.Pointer[exec.Backend]
	// checked says the session's statements are checked against its role's privileges
	// (roles.go).
	checked bool
	// prepared are the statements of SQL-level PREPARE, by name (prepared.go).
	prepared preparedSet
}

var _ Conn = (*conn)(nil)

func (c *conn) Split(text string) (out []string, err error) {
	defer c.e.recoverTo("split", &err)
	panicSite("split")
	return sql.Split(text)
}

// Close ends the connection: a transaction block still open is rolled back.
func (c *conn) Close() error {
	c.rollbackBlock(context.Background())
	c.e.sess.remove(c)
	return nil
}

func (c *conn) Prepare(ctx context.Context, text string, paramTypes []arrow.DataType) (st Statement, err error) {
	defer func() {
		if err != nil {
			c.fail()
			c.e.sess.refused(c, text, err)
		}
	}()
	defer c.e.recoverTo("prepare", &err)
	panicSite("prepare")
	stmts, err := sql.Parse(text)
	if err != nil {
		return nil, err
	}
	switch len(stmts) {
	case 0:
		return &statement{c: c, empty: true}, nil
	case 1:
	default:
		return nil, errs.New(errs.Syntax, "cannot insert multiple commands into a prepared statement")
	}
	if st, ok, err := c.prepareSQL(ctx, stmts[0], text); ok { // prepared.go
		return st, err
	}
	cat, err := c.e.cat.Current(ctx)
	if err != nil {
		return nil, err
	}
	bound, err := sql.BindWith(ctx, cat, stmts[0], paramTypes, c.bindOptions())
	if err != nil {
		return nil, err
	}
	s := &statement{c: c, bound: bound, params: bound.Params(), text: text, version: cat.Version()}
	// Its parameter types and result schema stay those of this binding, however often
	// the statement is bound again (engine/plancache.go): frontends may ask for them
	// while it executes.
	s.Schema()
	return s, nil
}

// statement is a bound statement. Each execution prunes against the tables' current state
// with its parameter values; a query keeps the rest of its plan from its second execution
// (engine/plancache.go).
type statement struct {
	c      *conn
	bound  planner.Statement
	params []arrow.DataType // bound.Params() when prepared
	empty  bool

	// schema is Schema's result, built once: frontends ask for it at every execution.
	schemaOnce sync.Once
	schema     *arrow.Schema

	// What keeps the statement's plan between executions (engine/plancache.go).
	text    string
	version uint64
	runs    int
	kept    *keptPlan
	keep    bool // kept was tried
}

func (s *statement) ParamTypes() []arrow.DataType {
	return s.params
}

func (s *statement) Schema() *arrow.Schema {
	s.schemaOnce.Do(func() { s.schema = s.resultSchema() })
	return s.schema
}

func (s *statement) resultSchema() *arrow.Schema {
	switch b := s.bound.(type) {
	case *planner.Query:
		return planner.ResultSchema(b.Root.Columns(), b.Names)
	case *planner.Explain:
		return textSchema("QUERY PLAN")
	case *planner.ShowTables:
		return textSchema("table_name")
	case *planner.CacheCall:
		return cacheCallSchema(b)
	case *planner.SignalBackend:
		return signalSchema(b)
	case *planner.Insert, *planner.Update, *planner.Delete:
		return returningSchema(b)
	case *planner.ShowVariable:
		if b.Name == "all" {
			return textSchema("name", "setting", "description")
		}
		if p, ok := params[b.Name]; ok {
			return textSchema(p.name)
		}
		return textSchema(b.Name)
	}
	return nil
}

func textSchema(names ...string) *arrow.Schema {
	fields := make([]arrow.Field, len(names))
	for i, n := range names {
		fields[i] = arrow.Field{Name: n, Type: arrow.BinaryTypes.String, Nullable: true}
	}
	return arrow.NewSchema(fields, nil)
}

func (s *statement) Close() error { return nil }

// execute runs the statement under ctx, a context made for it alone (Execute's, from the
// session registry), which cancel cancels.
func (s *statement) execute(ctx context.Context, cancel context.CancelCauseFunc, params []any) (r Result, err error) {
	if s.empty {
		return &doneResult{}, nil
	}
	e := s.c.e
	defer func() {
		if p := recover(); p != nil {
			r, err = nil, e.panicError("execute", p)
		}
		if err != nil {
			s.c.fail()
		}
	}()
	panicSite("execute")
	if err := s.c.blockAllows(s.bound); err != nil {
		return nil, err
	}
	after, err := s.c.authorize(ctx, s.bound)
	if err != nil {
		return nil, err
	}
	if after != nil {
		actx := context.WithoutCancel(ctx) // ctx is the statement's, cancelled as it ends
		defer func() {
			if err == nil {
				after(actx)
			}
		}()
	}
	if b := s.c.blk; b != nil {
		b.reads = map[statestore.TableID]uint64{}
	}
	// The statement runs under its own context: cancelled when its result closes, by the
	// memory limit (cause: out of memory), by pg_cancel_backend and by statement_timeout,
	// and carrying the allocator, the statement's clock and the session's time zone.
	qctx := ctx
	alloc := e.newLimitAllocator(cancel)
	var stopTimer context.CancelFunc = func() {}
	if d := s.c.statementTimeout(); d > 0 {
		qctx, stopTimer = context.WithTimeoutCause(qctx, d, errs.New(errs.Cancelled, "canceling statement due to statement timeout"))
	}
	ctx = exec.WithAllocator(qctx, alloc)
	budget, spillDir, endBudget := e.spillBudget()
	ctx = exec.WithStatement(ctx, exec.Statement{
		Now:          time.Now(),
		TimeZone:     s.c.TimeZone(),
		Sequences:    s.c.sequences(),
		Settings:     s.c,
		TypeNames:    e.stmtTypeNames,
		TypeOIDs:     e.stmtTypeOIDs,
		MemoryBudget: budget,
		SpillDir:     spillDir,
		Backend:      s.c.backend.Load(),
	})
	defer func() {
		err = limitError(ctx, err)
		rr, ok := r.(*rowsResult)
		if c, isCopy := r.(*copyOutResult); isCopy {
			rr, ok = c.rowsResult, true
		}
		if ok && err == nil {
			rr.ctx, rr.cancel = ctx, cancel
			rr.onErr = s.c.fail
			if rr.onClose == nil {
				rr.onClose = rr.onCloseBuf[:0]
			}
			rr.onClose = append(rr.onClose, stopTimer, endBudget)
			return
		}
		stopTimer()
		endBudget()
		cancel(nil)
	}()
	if n := len(s.bound.Params()); len(params) != n {
		return nil, errs.New(errs.ProtocolViolation, "bind message supplies %d parameters, but prepared statement requires %d", len(params), n)
	}
	if err := s.revalidate(ctx); err != nil {
		return nil, err
	}
	if b := s.c.blk; b != nil && e.undoableCreate(ctx, s.bound) {
		// A block drops what it creates if it rolls back (txn_ddl.go).
		if name, existed := e.existsBefore(ctx, s.bound); !existed {
			defer func() {
				if err == nil && s.c.blk == b {
					if u := e.undoOf(ctx, s.bound, name); u != nil {
						b.undo = append(b.undo, u)
					}
				}
			}()
		}
	}
	switch b := s.bound.(type) {
	case *planner.SetVariable:
		return s.c.set(b)
	case *planner.ShowVariable:
		return s.c.show(ctx, b)
	case *planner.SetTransaction:
		return s.c.setTransaction(b)
	case *planner.Utility:
		if r, ok, err := s.c.transactionStmt(ctx, b); ok {
			return r, err
		}
	}
	ctx = withBlock(ctx, s.c.blk)
	ctx = withPrepared(ctx, s.c)
	if cmd := writeCommand(s.bound); cmd != "" && s.c.readOnly() {
		return nil, errs.New(errs.ReadOnlyTransaction, "cannot execute %s in a read-only transaction", cmd)
	}
	if r, ok, err := e.executeDDL(ctx, s.bound); ok {
		return r, err
	}
	if r, ok, err := e.executeRole(ctx, s.bound); ok {
		return r, err
	}
	if r, ok, err := e.executeLifecycle(ctx, s.bound, params); ok {
		return r, err
	}
	switch b := s.bound.(type) {
	case *planner.Query:
		if k := s.keptPlan(ctx, b); k != nil {
			x := newExecution(e, params)
			ctx = context.WithValue(ctx, executionKey{}, x)
			return e.runKept(ctx, k, x, s.Schema())
		}
		return e.rows(ctx, b.Root, params, s.Schema())
	case *planner.Copy:
		if b.From && b.File != "" {
			return e.copyFromFile(ctx, b, s.c.TimeZone())
		}
		if b.From {
			ci := newCopyIn(e, b, s.c.TimeZone())
			ci.blk, ci.onErr = s.c.blk, s.c.fail
			return ci, nil
		}
		if b.File != "" {
			return e.copyToFile(ctx, b, params, s.c.TimeZone())
		}
		schema := planner.ResultSchema(b.Query.Root.Columns(), b.Query.Names)
		rows, err := e.rows(ctx, b.Query.Root, params, schema)
		if err != nil {
			return nil, err
		}
		return &copyOutResult{rowsResult: rows, fields: schema.Fields(), opts: b.Options}, nil
	case *planner.Explain:
		op, release, err := e.planWith(ctx, b.Query.Root, params, b.Analyze)
		if err != nil {
			return nil, err
		}
		if b.Analyze {
			err = drain(ctx, op)
		}
		release()
		if err != nil {
			return nil, err
		}
		lines := strings.Split(strings.TrimRight(exec.Explain(op), "\n"), "\n")
		return textResult(ctx, "QUERY PLAN", lines, fmt.Sprintf("EXPLAIN"))
	case *planner.CacheCall:
		return e.cacheCall(ctx, b)
	case *planner.SignalBackend:
		return s.c.signal(ctx, b, params)
	case *planner.ShowTables:
		tables, err := e.cat.Tables(ctx)
		if err != nil {
			return nil, err
		}
		names := make([]string, len(tables))
		for i, t := range tables {
			names[i] = t.Name
		}
		return textResult(ctx, "table_name", names, fmt.Sprintf("SHOW TABLES %d", len(names)))
	case *planner.CreateTable:
		dropSeqs, err := e.createOwnedSequences(ctx, b)
		if err == nil {
			if _, err = e.cat.Create(ctx, b.Def, e.validateIterators); err != nil {
				dropSeqs()
			}
		}
		if err != nil {
			if b.IfNotExists && errors.Is(err, errs.DuplicateTable) {
				return &doneResult{tag: "CREATE TABLE", notices: []Notice{notice("42P07", "relation %q already exists, skipping", b.Def.Name)}}, nil
			}
			return nil, err
		}
		e.log.Info("table created", "table", b.Def.Name)
		return &doneResult{tag: "CREATE TABLE"}, nil
	case *planner.DropTable:
		res := &doneResult{tag: "DROP TABLE"}
		for _, name := range b.Names {
			if err := e.dropDependents(ctx, name, b.Cascade); err != nil {
				return nil, err
			}
			if err := e.cat.Drop(ctx, name); err != nil {
				if errors.Is(err, errs.UndefinedTable) {
					if _, isView, _ := e.cat.View(ctx, name); isView {
						return nil, &errs.Error{Kind: errs.WrongObjectType, Msg: fmt.Sprintf("%q is not a table", name), Hint: "Use DROP VIEW to remove a view."}
					}
					if b.IfExists {
						res.notices = append(res.notices, notice("00000", "table %q does not exist, skipping", name))
						continue
					}
					return nil, errs.New(errs.UndefinedTable, "table %q does not exist", name)
				}
				return nil, err
			}
			if err := e.dropOwnedSequences(ctx, name); err != nil {
				return nil, err
			}
			e.log.Info("table dropped", "table", name)
		}
		return res, nil
	case *planner.Insert:
		return e.runInsert(ctx, b, params)
	}
	return nil, errs.New(errs.Internal, "cannot execute %T", s.bound)
}

// plan binds parameters, optimises against the current state and builds the operators. The
// snapshots the plan reads stay protected from garbage collection until release is called.
func (e *Engine) plan(ctx context.Context, root planner.Node, params []any) (op exec.Operator, release func(), err error) {
	return e.planWith(ctx, root, params, false)
}

// planWith is plan, with every operator instrumented for EXPLAIN ANALYZE when analyze is set.
func (e *Engine) planWith(ctx context.Context, root planner.Node, params []any, analyze bool) (op exec.Operator, release func(), err error) {
	return e.planReading(ctx, root, params, analyze, nil, nil)
}

// planReading is planWith, reading table at state when table is set: every other table is
// read at readState's state.
func (e *Engine) planReading(ctx context.Context, root planner.Node, params []any, analyze bool, table *catalog.Table, state *statestore.State) (op exec.Operator, release func(), err error) {
	var held []readHold
	release = func() { e.readers.release(held) }
	defer func() {
		if err != nil {
			release()
		}
	}()
	n, err := planner.BindParams(root, params)
	if err != nil {
		return nil, release, err
	}
	snapshot := func(ctx context.Context, t *catalog.Table) (*statestore.State, error) {
		if table != nil && t.StateID() == table.StateID() {
			return state, nil
		}
		st, h, err := e.readState(ctx, t)
		if err == nil {
			held = append(held, h)
		}
		return st, err
	}
	n, err = rules.Optimize(ctx, n, rules.Env{Snapshot: snapshot})
	if err != nil {
		return nil, release, err
	}
	op, err = planner.Physical(ctx, n, e.physicalEnv(analyze))
	return op, release, err
}

// readState is the state of t a statement reads, held against garbage collection until the
// hold is released: inside a transaction block, the block's view (its own work over the
// committed state it reads); else the latest committed state.
func (e *Engine) readState(ctx context.Context, t *catalog.Table) (*statestore.State, readHold, error) {
	if b := blockOf(ctx); b != nil {
		st, base, err := b.snapshot(ctx, t)
		if err != nil {
			return nil, readHold{}, err
		}
		return st, e.readers.hold(t.StateID(), base), nil
	}
	st, err := e.ss.Snapshot(ctx, t.StateID())
	if err != nil {
		return nil, readHold{}, err
	}
	return st, e.readers.hold(t.StateID(), st.TxnNumber()), nil
}

// physicalEnv is what planner.Physical needs of the engine.
func (e *Engine) physicalEnv(analyze bool) planner.Env {
	return planner.Env{
		Store: e.store, Parallelism: e.opts.Parallelism, Metrics: e.metrics,
		System: e.systemTable, Merge: e.mergeSpec, Analyze: analyze, Files: e.files,
	}
}

// writePlan plans and runs root, appending each of its batches to w as it comes, then
// commits w. The snapshots the plan read stay held until after the commit.
func (e *Engine) writePlan(ctx context.Context, root planner.Node, params []any, w batchWriter) (int64, error) {
	op, release, err := e.plan(ctx, root, params)
	if err != nil {
		return 0, err
	}
	defer release()
	if err := pump(ctx, op, w.Append); err != nil {
		return 0, err
	}
	streamEvent("commit")
	return w.Commit(ctx)
}

// batchWriter is a stream of batches written as one commit: rowWriter, tombstoneWriter.
type batchWriter interface {
	Append(ctx context.Context, b arrow.RecordBatch) error
	Commit(ctx context.Context) (int64, error)
}

// pump runs op and hands each batch to each as it comes; the stream is closed on return.
// each does not take ownership of the batch.
func pump(ctx context.Context, op exec.Operator, each func(context.Context, arrow.RecordBatch) error) error {
	s, err := op.Execute(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	for {
		b, err := s.Next(ctx)
		if err == io.EOF {
			streamEvent("eof")
			return nil
		}
		if err != nil {
			return err
		}
		streamEvent("batch")
		err = each(ctx, b)
		b.Release()
		if err != nil {
			return err
		}
	}
}

// testStream, when set by a test, sees the steps of the statements that stream their rows
// into a table: "batch" for each source batch appended, "eof" when the source is exhausted,
// "commit" before the commit.
var testStream atomic.Pointer[func(event string)]

func streamEvent(event string) {
	if f := testStream.Load(); f != nil {
		(*f)(event)
	}
}

// runPlan plans and runs a plan to completion; the caller releases the batches.
func (e *Engine) runPlan(ctx context.Context, root planner.Node, params []any) ([]arrow.RecordBatch, error) {
	op, release, err := e.plan(ctx, root, params)
	if err != nil {
		return nil, err
	}
	defer release()
	return exec.Collect(ctx, op)
}

// tableWriter is a table's ingest.Writer for one statement: its budget is the engine's
// import memory, it spills into the engine's spill directory, and its statistics go to the
// engine's SpillStats when it ends.
type tableWriter struct {
	e       *Engine
	t       *catalog.Table
	w       *ingest.Writer
	counted bool // its statistics were added to the engine's SpillStats
}

// openWriter returns a writer of rows of spec (t's, or one derived from it) into t.
func (e *Engine) openWriter(ctx context.Context, t *catalog.Table, spec ingest.Spec) (*tableWriter, error) {
	dir, err := e.spill.path()
	if err != nil {
		return nil, err
	}
	w, err := ingest.NewWriter(ctx, e.store, e.ss, spec, ingest.WriterOptions{Memory: e.importMemory(), SpillDir: dir})
	if err != nil {
		return nil, err
	}
	return &tableWriter{e: e, t: t, w: w}, nil
}

// importMemory is the budget of one write's ingest.Writer: Options.ImportMemory (its default
// when unset), and at most half the statement memory limit, whose allocator holds the rows
// the writer keeps, so that a write spills rather than fails with out of memory.
func (e *Engine) importMemory() int64 {
	m := e.opts.ImportMemory
	if m <= 0 {
		m = ingest.DefaultMemory
	}
	if l := e.statementLimit(); l > 0 {
		m = min(m, l/2)
	}
	return m
}

// Commit writes every row appended as one commit and returns how many there were; inside
// a transaction block the rows are written but committed by the block's COMMIT.
func (w *tableWriter) Commit(ctx context.Context) (int64, error) {
	p, err := w.w.Prepare(ctx)
	w.count()
	if err != nil {
		return 0, err
	}
	if err := w.e.commitWrite(ctx, w.t, nil, p); err != nil {
		return 0, err
	}
	return p.Rows(), nil
}

// Abort drops the rows appended; it is safe after Commit.
func (w *tableWriter) Abort() {
	w.w.Abort()
	w.count()
}

// count adds the writer's statistics to the engine's SpillStats, once, and logs those of a
// write that spilled.
func (w *tableWriter) count() {
	if w.counted {
		return
	}
	w.counted = true
	s := w.w.Stats()
	w.e.spillStats.add(s)
	if s.Runs > 0 {
		w.e.log.Info("write spilled", "table", w.t.Name, "rows", s.Rows, "runs", s.Runs, "merge_passes", s.MergePasses,
			"bytes_spilled", s.BytesSpilled, "peak_bytes", s.PeakBytes)
	}
}

// rowWriter writes a stream of batches into a table as one commit, holding at most the
// import memory budget of rows (ingest.Writer spills the rest to local disk).
type rowWriter struct {
	*tableWriter
	schema  *arrow.Schema
	targets []int
	rules   *writeRules
}

// newRowWriter returns a writer into t: table column i comes from batch column targets[i],
// or is NULL (or a generated row id) when targets[i] is -1.
func (e *Engine) newRowWriter(ctx context.Context, t *catalog.Table, targets []int) (*rowWriter, error) {
	w, err := e.openWriter(ctx, t, t.IngestSpec())
	if err != nil {
		return nil, err
	}
	rules, err := e.rulesFor(ctx, t)
	if err != nil {
		w.Abort()
		return nil, err
	}
	return &rowWriter{tableWriter: w, schema: t.Schema(), targets: targets, rules: rules}, nil
}

// Append adds the rows of b; the caller keeps b.
func (w *rowWriter) Append(ctx context.Context, b arrow.RecordBatch) error {
	return w.appendWith(ctx, b, nil)
}

// appendWith adds the rows of b, arranged as the table stores them and checked against its
// constraints, first handing that batch to also when it is set.
func (w *rowWriter) appendWith(ctx context.Context, b arrow.RecordBatch, also func(context.Context, arrow.RecordBatch) error) error {
	if b.NumRows() == 0 {
		return nil
	}
	rec, err := w.e.tableBatch(ctx, w.t, w.schema, w.targets, b, w.rules)
	if err != nil {
		return err
	}
	defer rec.Release()
	if err := w.rules.check(ctx, w.t, rec); err != nil {
		return err
	}
	if also != nil {
		if err := also(ctx, rec); err != nil {
			return err
		}
	}
	return w.w.Append(rec)
}

// tableBatch arranges the columns of a source batch as the table stores them: target
// columns from the source, a generated row id, the column's default (rules) or NULL elsewhere.
func (e *Engine) tableBatch(ctx context.Context, t *catalog.Table, schema *arrow.Schema, targets []int, b arrow.RecordBatch, rules *writeRules) (arrow.RecordBatch, error) {
	mem := exec.Allocator(ctx)
	n := int(b.NumRows())
	cols := make([]arrow.Array, len(t.Columns))
	release := func() {
		for _, c := range cols {
			if c != nil {
				c.Release()
			}
		}
	}
	for i, col := range t.Columns {
		switch {
		case targets[i] >= 0:
			a := b.Column(targets[i])
			if !arrow.TypeEqual(a.DataType(), col.Type) {
				release()
				return nil, errs.New(errs.Internal, "column %q: source type %s, table type %s", col.Name, a.DataType(), col.Type)
			}
			a.Retain()
			cols[i] = a
		case col.Hidden && col.Name == catalog.RowIDColumn:
			base := e.allocRowIDs(int64(n))
			bld := array.NewInt64Builder(mem)
			bld.Reserve(n)
			for j := 0; j < n; j++ {
				bld.UnsafeAppend(base + int64(j))
			}
			cols[i] = bld.NewArray()
			bld.Release()
		default:
			d, err := rules.fillDefault(ctx, e, i, col, b)
			if err != nil {
				release()
				return nil, err
			}
			if d == nil {
				d = array.MakeArrayOfNull(mem, col.Type, n)
			}
			cols[i] = d
		}
		if !col.Nullable && cols[i].NullN() > 0 {
			release()
			return nil, errs.New(errs.NotNullViolation, "null value in column %q of relation %q violates not-null constraint", col.Name, t.Name)
		}
	}
	rec := array.NewRecordBatch(schema, cols, int64(n))
	release()
	return rec, nil
}

func releaseAll(bs []arrow.RecordBatch) {
	for _, b := range bs {
		b.Release()
	}
}

// rows plans root with params and starts it: a result streaming its rows as schema.
func (e *Engine) rows(ctx context.Context, root planner.Node, params []any, schema *arrow.Schema) (*rowsResult, error) {
	op, release, err := e.plan(ctx, root, params)
	if err != nil {
		return nil, err
	}
	stream, err := op.Execute(ctx)
	if err != nil {
		release()
		return nil, err
	}
	return &rowsResult{e: e, stream: stream, schema: schema, release: release}, nil
}

// rowsResult streams a query's batches and counts its rows for the tag.
type rowsResult struct {
	e       *Engine
	stream  exec.Stream
	schema  *arrow.Schema
	rows    int64
	bytes   int64 // of the batches returned
	done    bool
	release func()
	// exec, if set, is the execution of a kept plan whose snapshots the result holds until
	// it closes (as release, without a closure made per statement).
	exec *execution
	// ctx and cancel are the statement's own context (see Execute); onClose run when the
	// result closes.
	ctx        context.Context
	cancel     context.CancelCauseFunc
	onClose    []func()
	onCloseBuf [2]func() // onClose's storage, without an allocation per statement
	// query, if set, is the query log's entry of the statement, run by conn, which Close
	// ends (after onClose).
	query     *QueryInfo
	queryConn *conn
	// caller is the ctx of the last Next, which cancels the statement until stopCaller.
	caller     context.Context
	stopCaller func() bool
	// parent is a context ctx descends from, the one the statement was executed under: a
	// Next under it (as a frontend's Next usually is) needs no watch, as cancelling it
	// cancels ctx with the same cause.
	parent context.Context
	// onErr, if set, is called when the stream fails.
	onErr func()
	// err is the error the stream failed with, for the query log.
	err error
}

func (r *rowsResult) Next(ctx context.Context) (b arrow.RecordBatch, err error) {
	if r.done {
		return nil, io.EOF
	}
	defer func() {
		if p := recover(); p != nil {
			b, err = nil, r.e.panicError("next", p)
		}
	}()
	panicSite("next")
	if r.ctx != nil {
		// Operators run under the statement's context; the caller's ctx cancels too. A
		// frontend passes the same ctx to every Next: it is watched from the first call
		// until another comes or the result closes.
		if r.caller != ctx {
			if r.stopCaller != nil {
				r.stopCaller()
			}
			r.stopCaller = nil
			caller, cancel := ctx, r.cancel
			r.caller = ctx
			if ctx != r.parent && ctx.Done() != nil {
				r.stopCaller = context.AfterFunc(caller, func() {
					if cancel != nil {
						cancel(context.Cause(caller))
					}
				})
			}
		}
		ctx = r.ctx
	}
	b, err = r.stream.Next(ctx)
	if err == nil && r.ctx != nil && r.ctx.Err() != nil {
		// The statement went over its memory limit (or was cancelled) making this batch:
		// the operators that would have noticed at their next step may have none.
		b.Release()
		b, err = nil, context.Cause(r.ctx)
	}
	if err != nil {
		if err == io.EOF {
			r.done = true
			return nil, err
		}
		if r.ctx != nil {
			err = limitError(r.ctx, err)
		}
		r.err = err
		if r.onErr != nil {
			r.onErr()
		}
		return nil, err
	}
	r.rows += b.NumRows()
	r.bytes += batchBytes(b)
	if r.schema != nil && !b.Schema().Equal(r.schema) {
		// Same columns and types; give the batch the statement's column names.
		nb := array.NewRecordBatch(r.schema, b.Columns(), b.NumRows())
		b.Release()
		return nb, nil
	}
	return b, nil
}

func (r *rowsResult) Tag() string { return selectTag(r.rows) }

// selectTag is the command tag of a SELECT of n rows; the tags of no row and of one row (a
// point lookup's) are not built.
func selectTag(n int64) string {
	switch n {
	case 0:
		return "SELECT 0"
	case 1:
		return "SELECT 1"
	}
	return "SELECT " + strconv.FormatInt(n, 10)
}

func (r *rowsResult) Close() (err error) {
	// A panic in the stream's Close still releases the statement's context and snapshots.
	func() {
		defer r.e.recoverTo("close", &err)
		err = r.stream.Close()
		panicSite("close")
	}()
	if r.stopCaller != nil {
		r.stopCaller()
		r.stopCaller, r.caller = nil, nil
	}
	if r.cancel != nil {
		r.cancel(nil)
		r.cancel = nil
	}
	for _, f := range r.onClose {
		f()
	}
	r.onClose = nil
	clear(r.onCloseBuf[:])
	if q := r.query; q != nil {
		r.query = nil
		r.e.sess.end(r.queryConn, q, r.rows, r.bytes, r.err)
	}
	if r.release != nil {
		r.release()
		r.release = nil
	}
	if r.exec != nil {
		r.exec.release()
		r.exec = nil
	}
	return err
}

// doneResult is the result of a statement without rows.
type doneResult struct {
	tag     string
	notices []Notice
}

var _ Noticer = (*doneResult)(nil)

func (r *doneResult) Notices() []Notice { return r.notices }

// notice is a NOTICE with SQLSTATE code.
func notice(code, format string, args ...any) Notice {
	return Notice{Severity: "NOTICE", Code: code, Message: fmt.Sprintf(format, args...)}
}

// warning is a WARNING with SQLSTATE code.
func warning(code, format string, args ...any) Notice {
	return Notice{Severity: "WARNING", Code: code, Message: fmt.Sprintf(format, args...)}
}

func (r *doneResult) Next(context.Context) (arrow.RecordBatch, error) { return nil, io.EOF }
func (r *doneResult) Tag() string                                     { return r.tag }
func (r *doneResult) Close() error                                    { return nil }

// batchResult serves rows computed up front.
type batchResult struct {
	batch arrow.RecordBatch
	tag   string
}

func textResult(ctx context.Context, name string, lines []string, tag string) (Result, error) {
	rows := make([][]string, len(lines))
	for i, l := range lines {
		rows[i] = []string{l}
	}
	return textRows(ctx, []string{name}, rows, tag)
}

// textRows is a result of text columns named names holding rows.
func textRows(ctx context.Context, names []string, rows [][]string, tag string) (Result, error) {
	cols := make([]arrow.Array, len(names))
	for j := range names {
		bld := array.NewStringBuilder(exec.Allocator(ctx))
		for _, r := range rows {
			bld.Append(r[j])
		}
		cols[j] = bld.NewArray()
		bld.Release()
	}
	defer func() {
		for _, c := range cols {
			c.Release()
		}
	}()
	return &batchResult{batch: array.NewRecordBatch(textSchema(names...), cols, int64(len(rows))), tag: tag}, nil
}

func (r *batchResult) Next(context.Context) (arrow.RecordBatch, error) {
	if r.batch == nil {
		return nil, io.EOF
	}
	b := r.batch
	r.batch = nil
	return b, nil
}

func (r *batchResult) Tag() string { return r.tag }

func (r *batchResult) Close() error {
	if r.batch != nil {
		r.batch.Release()
		r.batch = nil
	}
	return nil
}

// drain runs op to the end, discarding its rows.
func drain(ctx context.Context, op exec.Operator) error {
	s, err := op.Execute(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	for {
		b, err := s.Next(ctx)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		b.Release()
	}
}
