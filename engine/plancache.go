package engine

import (
	"context"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sleeperd/sleeperd/catalog"
	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/exec"
	"github.com/sleeperd/sleeperd/planner"
	"github.com/sleeperd/sleeperd/planner/rules"
	"github.com/sleeperd/sleeperd/sql"
	"github.com/sleeperd/sleeperd/storage/statestore"
)

// A prepared query keeps its plan between executions: the operators are built once, at its
// second execution (Options.KeepPlanAt), and each later execution only prunes its scans,
// with its own parameter values against the tables' current state, and runs them. What a
// plan kept this way may depend on:
//
//   - the catalog: a statement executed again first checks the catalog's version and, if a
//     table, view or index changed since it was bound, binds its text again (and plans
//     afresh), so it sees a table dropped and created again under its name (changes by
//     other processes: see catalogRecheck). A result of other columns fails with "cached
//     plan must not change result type", as in PostgreSQL.
//   - the parameters and the tables' state: only a scan's pushed filters may hold
//     parameters. Each execution binds them into the filters, folds them to literals, reads
//     each table's current state and prunes its partitions and row groups by them
//     (deferredScan), exactly as a plan made for that execution would; an execution that
//     reads the same state with equal parameter values reuses the scan planned for them. A
//     plan with parameters anywhere else is planned at each execution, as one-off
//     statements are.
//   - nothing else: the kept plan is optimised without folding constants, so expressions
//     such as now(), random() or a cast to timestamptz (which reads the session's time zone)
//     are evaluated by each execution, never frozen at the first. A plan with a constant
//     that fails to evaluate is not kept, so each execution fails before reading a row, as
//     when planned afresh; a scan's filters are folded by each execution. Plans over
//     system tables, VALUES lists other than of literals, generate_series, window
//     functions, UNNEST and set operations are not kept.
//
// Operators are descriptions with no state of their own (exec.Operator), so results of
// several executions of one kept plan may be open at once (pgwire portals).

// keptPlan is a prepared query's plan for every execution: see above.
type keptPlan struct {
	op exec.Operator
}

// keepPlan builds the plan of root for every execution, or returns nil when root cannot be
// kept (see above).
func (e *Engine) keepPlan(ctx context.Context, root planner.Node) (*keptPlan, error) {
	// A constant that fails to evaluate (1/0, 'x'::int) fails every execution before any
	// row is read: such a plan is not kept, so that each execution reports the error.
	if _, err := rules.FoldConstants(ctx, root); err != nil {
		return nil, err
	}
	n, err := optimizeKept(root)
	if err != nil {
		return nil, err
	}
	if !keepable(n) {
		return nil, nil
	}
	env := e.physicalEnv(false)
	kenv := env
	kenv.Scan = func(_ context.Context, s *planner.Scan) (exec.Operator, error) {
		return newDeferredScan(s, env), nil
	}
	op, err := planner.Physical(ctx, n, kenv)
	if err != nil {
		return nil, err
	}
	return &keptPlan{op: op}, nil
}

// optimizeKept runs the rules of rules.Optimize that depend neither on parameter values
// nor on the tables' state nor on when or where the statement runs: everything but folding
// constants and pruning, which deferredScan does per execution.
func optimizeKept(n planner.Node) (planner.Node, error) {
	n, err := rules.Placement(n)
	if err != nil {
		return nil, err
	}
	return rules.PruneColumns(n)
}

// keepable reports whether an optimised plan can serve every execution: only node kinds
// whose operators are fixed by the plan, and parameters only in scans' filters.
func keepable(n planner.Node) bool {
	switch x := n.(type) {
	case *planner.Scan:
		return true
	case *planner.Values:
		for _, row := range x.Rows {
			for _, c := range row {
				if _, ok := c.(*planner.Literal); !ok {
					return false
				}
			}
		}
		return true
	case *planner.Filter, *planner.Project, *planner.Aggregate, *planner.Sort, *planner.Limit, *planner.Join:
	default:
		return false
	}
	params := false
	if _, err := planner.MapExprs(n, func(e planner.Expr) (planner.Expr, error) {
		if _, ok := e.(*planner.Param); ok {
			params = true
		}
		return e, nil
	}); err != nil || params {
		return false
	}
	for _, in := range n.Inputs() {
		if !keepable(in) {
			return false
		}
	}
	return true
}

// execution is what one execution of a kept plan gives its deferred scans, through the
// context: the parameter values, and the snapshots read, held against garbage collection
// until the result is closed.
type execution struct {
	e      *Engine
	params []any

	mu    sync.Mutex
	held  []readHold
	scans []plannedScan // few: a kept plan has a scan per table it reads

	// The first ones of held and scans (a lookup's only ones), without an allocation.
	heldBuf [1]readHold
	scanBuf [1]plannedScan
}

// newExecution returns an execution of a kept plan with parameter values params.
func newExecution(e *Engine, params []any) *execution {
	x := &execution{e: e, params: params}
	x.held, x.scans = x.heldBuf[:0], x.scanBuf[:0]
	return x
}

// plannedScan is a deferred scan's operators for one execution.
type plannedScan struct {
	d  *deferredScan
	op exec.Operator
}

// planned returns the operators planned for d in this execution, if any; x.mu is held.
func (x *execution) planned(d *deferredScan) (exec.Operator, bool) {
	for _, p := range x.scans {
		if p.d == d {
			return p.op, true
		}
	}
	return nil, false
}

type executionKey struct{}

// snapshot is rules.Env.Snapshot for this execution.
func (x *execution) snapshot(ctx context.Context, t *catalog.Table) (*statestore.State, error) {
	st, h, err := x.e.readState(ctx, t)
	if err == nil {
		x.mu.Lock()
		x.held = append(x.held, h)
		x.mu.Unlock()
	}
	return st, err
}

// release lets garbage collection have the files of the snapshots read.
func (x *execution) release() {
	x.mu.Lock()
	held := x.held
	x.held = nil
	x.mu.Unlock()
	x.e.readers.release(held)
}

// deferredScan is a scan of a kept plan: each execution binds its parameters into the
// scan's filter, prunes by it against the table's current state, and builds the scan and
// filter operators that a plan made for that execution would have (planner.Physical).
//
// It keeps the last few scans it planned (prunedScan), each for the table state it read
// and the parameter values it bound: an execution that reads the same state (the same
// snapshot: no commit since, by this process or another) with equal parameter values
// reuses one instead of planning again. Every execution still reads the table's current
// state first, so a commit, compaction, split or ALTER in between is a new state and a miss.
type deferredScan struct {
	n      *planner.Scan
	env    planner.Env
	schema *arrow.Schema

	mu     sync.Mutex
	pruned [prunedScans]prunedScan
	next   int // the entry the next planned scan replaces
}

// prunedScans is how many planned scans a deferred scan keeps.
const prunedScans = 4

// prunedScan is a scan planned for one table state and parameter values.
type prunedScan struct {
	state  *statestore.State
	params []any // the execution's values (only comparable ones: see cacheableParams)
	scan   *planner.Scan
	op     exec.Operator // nil when the operators must be built at each execution
}

func newDeferredScan(n *planner.Scan, env planner.Env) *deferredScan {
	cols := n.Projected
	if cols == nil {
		for i, c := range n.Table.Columns {
			if !c.Hidden {
				cols = append(cols, i)
			}
		}
	}
	fields := make([]arrow.Field, len(cols))
	for i, c := range cols {
		fields[i] = n.Table.Schema().Field(c)
	}
	return &deferredScan{n: n, env: env, schema: arrow.NewSchema(fields, nil)}
}

// plainFilter reports whether each of conjuncts is a binary operator between a column and
// a column or a literal (id = 42, v < w): rules.FoldConstants finds nothing to evaluate in
// such a filter (a parameter bound as a cast of its text, by contrast, is folded).
func plainFilter(conjuncts []planner.Expr) bool {
	for _, e := range conjuncts {
		b, ok := e.(*planner.Binary)
		if !ok {
			return false
		}
		_, lcol := b.L.(*planner.ColumnRef)
		_, rcol := b.R.(*planner.ColumnRef)
		if !(lcol && leafOperand(b.R) || rcol && leafOperand(b.L)) {
			return false
		}
	}
	return true
}

// leafOperand reports whether e is a column or a literal.
func leafOperand(e planner.Expr) bool {
	switch e.(type) {
	case *planner.ColumnRef, *planner.Literal:
		return true
	}
	return false
}

func (d *deferredScan) Schema() *arrow.Schema     { return d.schema }
func (d *deferredScan) Children() []exec.Operator { return nil }
func (d *deferredScan) String() string {
	return "TableScan: " + d.n.Table.Name + " (pruned at each execution)"
}

// Execute plans the scan for the execution ctx carries, once per execution (an operator
// executed again within one statement, such as the inner side of a nested loop, reads the
// same snapshot), and starts it.
func (d *deferredScan) Execute(ctx context.Context) (exec.Stream, error) {
	op, err := d.plan(ctx)
	if err != nil {
		return nil, err
	}
	return op.Execute(ctx)
}

func (d *deferredScan) plan(ctx context.Context) (exec.Operator, error) {
	x, _ := ctx.Value(executionKey{}).(*execution)
	if x == nil {
		return nil, errs.New(errs.Internal, "kept plan executed without its execution")
	}
	x.mu.Lock()
	op, ok := x.planned(d)
	x.mu.Unlock()
	if ok {
		return op, nil
	}
	// The current state, held for the execution: read whether or not a planned scan is
	// reused, so that the execution sees every commit before it.
	state, err := x.snapshot(ctx, d.n.Table)
	if err != nil {
		return nil, err
	}
	s, op := d.reuse(state, x.params)
	if s == nil {
		if s, err = d.prune(ctx, state, x.params); err != nil {
			return nil, err
		}
	}
	if op == nil {
		if op, err = planner.Physical(ctx, s, d.env); err != nil {
			return nil, err
		}
		d.keep(state, x.params, s, op)
	}
	x.mu.Lock()
	if prev, ok := x.planned(d); ok {
		op = prev // planned concurrently: the first one serves the execution
	} else {
		x.scans = append(x.scans, plannedScan{d, op})
	}
	x.mu.Unlock()
	return op, nil
}

// prune returns a copy of the scan with params bound into its filter, pruned against state
// (rules.PruneScan).
func (d *deferredScan) prune(ctx context.Context, state *statestore.State, params []any) (*planner.Scan, error) {
	s := new(planner.Scan)
	*s = *d.n
	if len(d.n.Filter) > 0 {
		filter := make([]planner.Expr, len(d.n.Filter))
		for i, e := range d.n.Filter {
			b, err := planner.Transform(e, func(e planner.Expr) (planner.Expr, error) {
				p, ok := e.(*planner.Param)
				if !ok {
					return e, nil
				}
				if p.Index > len(params) {
					return nil, errs.New(errs.ProtocolViolation, "statement needs %d parameters, %d given", p.Index, len(params))
				}
				return planner.ParamLiteral(params[p.Index-1], p.Typ)
			})
			if err != nil {
				return nil, err
			}
			filter[i] = b
		}
		s.Filter = filter
		// Folding changes nothing in a plain filter (id = 42 once bound): skipped.
		if !plainFilter(s.Filter) {
			n, err := rules.FoldConstants(ctx, s)
			if err != nil {
				return nil, err
			}
			folded, ok := n.(*planner.Scan)
			if !ok {
				return nil, errs.New(errs.Internal, "folding constants made a %T of a scan", n)
			}
			s = folded
		}
	}
	rules.PruneScan(s, state)
	return s, nil
}

// reuse returns the scan and operators planned for state and params, if kept (the
// operators nil when they must be built again).
func (d *deferredScan) reuse(state *statestore.State, params []any) (*planner.Scan, exec.Operator) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for i := range d.pruned {
		p := &d.pruned[i]
		if p.state == state && sameParams(p.params, params) {
			return p.scan, p.op
		}
	}
	return nil, nil
}

// keep keeps scan s and its operators op, planned for state and params, when another
// execution with equal parameter values over the same state would plan exactly them: the
// bound filter is plain, so folding it (which may read the clock or the session's time
// zone) changed nothing, and the parameter values compare with ==. The operators are kept
// only when the table has no age-off filters, which planning evaluates as of now.
func (d *deferredScan) keep(state *statestore.State, params []any, s *planner.Scan, op exec.Operator) {
	if !cacheableParams(params) || !plainFilter(s.Filter) {
		return
	}
	if d.n.Table.Props.Filters != "" {
		op = nil
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	for i := range d.pruned {
		if p := &d.pruned[i]; p.state == state && sameParams(p.params, params) {
			p.op = op // planned concurrently
			return
		}
	}
	p := &d.pruned[d.next]
	// The parameters are copied (the caller may reuse its slice) into the replaced entry's.
	*p = prunedScan{state: state, params: append(p.params[:0], params...), scan: s, op: op}
	d.next = (d.next + 1) % prunedScans
}

// cacheableParams reports whether each of params is a value == compares (and that no one
// changes once bound): NULL, a boolean, a number or a string.
func cacheableParams(params []any) bool {
	for _, v := range params {
		switch v.(type) {
		case nil, bool, int16, int32, int64, float32, float64, string:
		default:
			return false
		}
	}
	return true
}

// sameParams reports whether a and b hold equal values of the same types; a holds only
// values cacheableParams accepts.
func sameParams(a, b []any) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !cacheableParams(b[i:i+1]) || a[i] != b[i] {
			return false
		}
	}
	return true
}

// runKept starts execution x of a kept plan: a result streaming its rows as schema. ctx
// carries x (under executionKey), and so must every context its streams are read with.
func (e *Engine) runKept(ctx context.Context, k *keptPlan, x *execution, schema *arrow.Schema) (*rowsResult, error) {
	stream, err := k.op.Execute(ctx)
	if err != nil {
		x.release()
		return nil, err
	}
	return &rowsResult{e: e, stream: stream, schema: schema, exec: x}, nil
}

// catalogRecheck is how often executions of prepared statements read the catalog's log
// for changes other processes committed. In between they compare the statement's version
// with the catalog as this process knows it (catalog.Known), which has every change this
// process made: a statement sees a change made by this process at once, and one made by
// another process sharing the store within catalogRecheck (or as soon as this process
// reads the log for another reason, such as preparing a statement). Reading the log is a
// request to the store (a failed open on a local disk), a tenth of a point lookup's CPU.
const catalogRecheck = 100 * time.Millisecond

// revalidate binds the statement's text again when the catalog changed since it was bound
// (not at its first execution, which follows its binding at once), and drops its kept
// plan; the statement's result columns must stay the same.
func (s *statement) revalidate(ctx context.Context) error {
	s.runs++
	if s.runs == 1 || s.text == "" {
		return nil
	}
	e := s.c.e
	if now := time.Now().UnixNano(); now-e.catalogRead.Load() < int64(catalogRecheck) {
		if e.cat.Known() == s.version {
			return nil
		}
	} else {
		e.catalogRead.Store(now)
	}
	cat, err := e.cat.Current(ctx)
	if err != nil {
		return err
	}
	if cat.Version() == s.version {
		return nil
	}
	stmts, err := sql.Parse(s.text)
	if err != nil {
		return err
	}
	if len(stmts) != 1 {
		return errs.New(errs.Internal, "prepared statement text holds %d statements", len(stmts))
	}
	bound, err := sql.BindWith(ctx, cat, stmts[0], s.params, e.bindOptions())
	if err != nil {
		return err
	}
	old := s.Schema()
	next := &statement{c: s.c, bound: bound}
	if nw := next.Schema(); (old == nil) != (nw == nil) || (old != nil && !old.Equal(nw)) || !sameParamTypes(bound.Params(), s.params) {
		return errs.New(errs.NotImplemented, "cached plan must not change result type")
	}
	s.bound, s.version, s.kept, s.keep = bound, cat.Version(), nil, false
	return nil
}

// keptPlan returns the plan kept for q, building it at the statement's second execution
// (Options.KeepPlanAt), or nil when the statement is planned at each execution.
func (s *statement) keptPlan(ctx context.Context, q *planner.Query) *keptPlan {
	at := s.c.e.opts.KeepPlanAt
	if at == 0 {
		at = 2
	}
	if at < 0 || s.runs < at || s.keep {
		return s.kept
	}
	s.keep = true
	k, err := s.c.e.keepPlan(ctx, q.Root)
	if err != nil {
		// Planned at each execution instead, which reports the error if it is one.
		return nil
	}
	s.kept = k
	return k
}

func sameParamTypes(a, b []arrow.DataType) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !arrow.TypeEqual(a[i], b[i]) {
			return false
		}
	}
	return true
}
