package engine

import (
	"context"
	"math"
	"net"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/sleeperd/sleeperd/catalog"
	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/exec"
	"github.com/sleeperd/sleeperd/planner"
)

// QueryInfo is one statement a session ran or runs: a row of sleeper.queries.
type QueryInfo struct {
	PID      int32
	Text     string
	Frontend string // pgwire, flight, http, trino, or "" for a connection no frontend named
	User     string
	Start    time.Time
	// Duration is the time from Start to the end (to now while running).
	Duration time.Duration
	// Rows and Bytes are the rows the statement returned or wrote and the bytes of the Arrow
	// batches it returned.
	Rows, Bytes int64
	// Status is running, ok, error or cancelled; Code is the SQLSTATE of an error.
	Status, Code string
}

// SessionInfo is one open connection: a row of pg_stat_activity.
type SessionInfo struct {
	PID                  int32
	User, Database       string
	Frontend, ClientAddr string
	ApplicationName      string
	BackendStart         time.Time
	// State is active, idle, idle in transaction or idle in transaction (aborted).
	State       string
	QueryStart  time.Time // of the last statement; zero before the first
	StateChange time.Time
	XactStart   time.Time // zero outside a transaction
	Query       string    // the running statement, or the last one
}

// Session is implemented by the engine's connections: frontends name themselves and the
// client, and hand the engine a way to end the connection (pg_terminate_backend).
type Session interface {
	// PID is the session's process ID: what pg_stat_activity shows and pg_cancel_backend
	// takes. Frontends with cancel keys (pgwire's BackendKeyData) use it as theirs.
	PID() int32
	// SetClient names the frontend (pgwire, flight, http) and the client's address.
	SetClient(frontend, addr string)
	// SetServer names the server's end of the connection, "host:port" for a network one
	// (inet_server_addr, inet_server_port).
	SetServer(addr string)
	// OnTerminate sets what pg_terminate_backend calls, from another goroutine, to close
	// the connection after cancelling its statement.
	OnTerminate(f func())
}

// QueryObserver is called once at the end of every statement, from the goroutine that ran
// it: metrics register one (Engine.ObserveQueries).
type QueryObserver func(QueryInfo)

// recentQueries is how many ended statements sleeper.queries keeps.
const recentQueries = 500

// activity is what other goroutines may read of a connection: guarded by sessions.mu.
type activity struct {
	pid                  int32
	frontend, clientAddr string
	appName              string
	start                time.Time
	state                string
	query                string
	queryStart           time.Time
	stateChange          time.Time
	xactStart            time.Time
	// running is the statement being executed, nil when idle; cancel cancels it.
	running   *QueryInfo
	cancel    context.CancelCauseFunc
	terminate func()
}

// sessions is the registry of open connections and the ring of recent statements.
type sessions struct {
	mu     sync.Mutex
	next   int32
	byPID  map[int32]*conn
	recent []QueryInfo // ring of recentQueries
	head   int         // next slot of recent once full
	obs    []QueryObserver
}

func (s *sessions) add(c *conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.byPID == nil {
		s.byPID = map[int32]*conn{}
	}
	for {
		s.next++
		if s.next <= 0 {
			s.next = 1
		}
		if _, used := s.byPID[s.next]; !used {
			break
		}
	}
	now := time.Now()
	c.act = &activity{pid: s.next, start: now, state: "idle", stateChange: now}
	c.backend.Store(&exec.Backend{PID: s.next})
	s.byPID[s.next] = c
}

func (s *sessions) remove(c *conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c.act != nil && s.byPID[c.act.pid] == c {
		delete(s.byPID, c.act.pid)
	}
}

func (c *conn) PID() int32 {
	c.e.sess.mu.Lock()
	defer c.e.sess.mu.Unlock()
	return c.act.pid
}

func (c *conn) SetClient(frontend, addr string) {
	c.e.sess.mu.Lock()
	defer c.e.sess.mu.Unlock()
	c.act.frontend, c.act.clientAddr = frontend, addr
	b := *c.backend.Load()
	b.ClientAddr = addr
	c.backend.Store(&b)
}

func (c *conn) SetServer(addr string) {
	c.e.sess.mu.Lock()
	defer c.e.sess.mu.Unlock()
	b := *c.backend.Load()
	b.ServerAddr = addr
	c.backend.Store(&b)
}

func (c *conn) OnTerminate(f func()) {
	c.e.sess.mu.Lock()
	defer c.e.sess.mu.Unlock()
	c.act.terminate = f
}

// begin records that c starts running text; the returned context, the statement's own, is
// cancelled by pg_cancel_backend, when the statement ends and by the returned function.
func (s *sessions) begin(ctx context.Context, c *conn, text string) (context.Context, *QueryInfo, context.CancelCauseFunc) {
	ctx, cancel := context.WithCancelCause(ctx)
	app, _ := c.Setting("application_name")
	now := time.Now()
	// Built before taking the lock every statement of every connection takes.
	q := &QueryInfo{Text: strings.TrimSpace(text), User: c.user, Start: now, Status: "running"}
	s.mu.Lock()
	defer s.mu.Unlock()
	a := c.act
	q.PID, q.Frontend = a.pid, a.frontend
	a.running, a.cancel = q, cancel
	a.appName, a.state, a.query, a.queryStart, a.stateChange = app, "active", q.Text, now, now
	if a.xactStart.IsZero() {
		a.xactStart = now
	}
	return ctx, q, cancel
}

// end records the end of q, run by c, with err (nil for success), and tells the observers.
func (s *sessions) end(c *conn, q *QueryInfo, rows, bytes int64, err error) {
	now := time.Now()
	var cancel context.CancelCauseFunc
	s.mu.Lock()
	a := c.act
	if a.running == q {
		cancel = a.cancel
		a.running, a.cancel = nil, nil
		a.state, a.stateChange = "idle", now
		switch {
		case c.blk != nil && c.blk.failed:
			a.state = "idle in transaction (aborted)"
		case c.blk != nil:
			a.state = "idle in transaction"
		default:
			a.xactStart = time.Time{}
		}
	}
	q.Duration, q.Rows, q.Bytes, q.Status = now.Sub(q.Start), rows, bytes, "ok"
	if err != nil {
		q.Status, q.Code = "error", errs.SQLState(err)
		if q.Code == "57014" {
			q.Status = "cancelled"
		}
	}
	done := *q
	if len(s.recent) < recentQueries {
		s.recent = append(s.recent, done)
	} else {
		s.recent[s.head] = done
		s.head = (s.head + 1) % recentQueries
	}
	obs := s.obs
	s.mu.Unlock()
	if cancel != nil {
		cancel(nil) // outside the lock: it takes the parent context's
	}
	for _, o := range obs {
		o(done)
	}
}

// ObserveQueries registers o to be called at the end of every statement of every session.
func (e *Engine) ObserveQueries(o QueryObserver) {
	e.sess.mu.Lock()
	defer e.sess.mu.Unlock()
	e.sess.obs = append(append([]QueryObserver(nil), e.sess.obs...), o)
}

// RecordQuery logs a statement that ran outside a connection (a Trino split scan, a REST
// call that is no SQL statement) from q.Start until now, ending with err or without: it
// joins sleeper.queries' recent statements and the observers see it.
func (e *Engine) RecordQuery(q QueryInfo, err error) {
	c := &conn{e: e, act: &activity{}}
	qq := q
	e.sess.end(c, &qq, q.Rows, q.Bytes, err)
}

// Queries returns the running statements, oldest first, then the recent ones that ended,
// newest first.
func (e *Engine) Queries() []QueryInfo {
	now := time.Now()
	e.sess.mu.Lock()
	defer e.sess.mu.Unlock()
	var out []QueryInfo
	for _, c := range e.sess.byPID {
		if q := c.act.running; q != nil {
			r := *q
			r.Duration = now.Sub(r.Start)
			out = append(out, r)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Start.Before(out[j].Start) })
	n := len(e.sess.recent)
	for i := 0; i < n; i++ {
		// newest first: the slot before head, going back
		out = append(out, e.sess.recent[((e.sess.head-1-i)%n+n)%n])
	}
	return out
}

// Sessions returns the open connections by PID.
func (e *Engine) Sessions() []SessionInfo {
	e.sess.mu.Lock()
	defer e.sess.mu.Unlock()
	out := make([]SessionInfo, 0, len(e.sess.byPID))
	for _, c := range e.sess.byPID {
		a := c.act
		out = append(out, SessionInfo{PID: a.pid, User: c.user, Database: c.database, Frontend: a.frontend,
			ClientAddr: a.clientAddr, ApplicationName: a.appName, BackendStart: a.start, State: a.state,
			QueryStart: a.queryStart, StateChange: a.stateChange, XactStart: a.xactStart, Query: a.query})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].PID < out[j].PID })
	return out
}

// maySignal reports whether the session of user caller may cancel or terminate a session
// of user target. Without roles every user may signal every session; with them, a superuser
// or the target's own user may (PostgreSQL's rule, less pg_signal_backend).
func maySignal(ctx context.Context, e *Engine, caller, target string) error {
	if caller == target {
		return nil
	}
	super, err := e.IsSuperuser(ctx, caller)
	if err != nil {
		return err
	}
	if !super {
		return errs.New(errs.InsufficientPrivilege, "permission denied to signal a process of another role")
	}
	return nil
}

// SignalBackend cancels the running statement of session pid (pg_cancel_backend) or, with
// terminate, also closes its connection (pg_terminate_backend), on behalf of user caller.
// It reports false, with no error, when no session has that pid.
func (e *Engine) SignalBackend(ctx context.Context, caller string, pid int32, terminate bool) (bool, error) {
	e.sess.mu.Lock()
	c := e.sess.byPID[pid]
	e.sess.mu.Unlock()
	if c == nil {
		return false, nil
	}
	if err := maySignal(ctx, e, caller, c.user); err != nil {
		return false, err
	}
	e.sess.mu.Lock()
	a := c.act
	cancel, term := a.cancel, a.terminate
	e.sess.mu.Unlock()
	if terminate {
		if cancel != nil {
			cancel(errs.New(errs.Cancelled, "terminating connection due to administrator command"))
		}
		if term != nil {
			term()
		}
		e.log.Info("session terminated", "pid", pid, "by", caller)
		return true, nil
	}
	if cancel != nil {
		cancel(errs.New(errs.Cancelled, "canceling statement due to user request"))
	}
	return true, nil
}

// Execute runs the statement as one entry of the query log: running while it executes (for
// a statement with rows, until its result closes), then among the recent statements.
// pg_cancel_backend cancels it through the context begin makes.
func (s *statement) Execute(ctx context.Context, params []any) (Result, error) {
	if s.empty {
		return &doneResult{}, nil
	}
	e := s.c.e
	caller := ctx
	ctx, q, cancel := e.sess.begin(ctx, s.c, s.text)
	r, err := s.execute(ctx, cancel, params)
	if err != nil {
		e.sess.end(s.c, q, 0, 0, err)
		return nil, err
	}
	rr, ok := r.(*rowsResult)
	if c, isCopy := r.(*copyOutResult); isCopy {
		rr, ok = c.rowsResult, true
	}
	if ok {
		if rr.ctx != nil {
			rr.parent = caller // the statement's context descends from it
		}
		rr.query, rr.queryConn = q, s.c // ended by Close
		return r, nil
	}
	e.sess.end(s.c, q, tagRows(r.Tag()), 0, nil)
	return r, nil
}

// tagRows is the row count at the end of a command tag ("INSERT 0 5", "COPY 3"), or 0.
func tagRows(tag string) int64 {
	f := strings.Fields(tag)
	if len(f) < 2 {
		return 0
	}
	n, err := strconv.ParseInt(f[len(f)-1], 10, 64)
	if err != nil {
		return 0
	}
	return n
}

// batchBytes is the size of the buffers of b's columns.
func batchBytes(b arrow.RecordBatch) int64 {
	var n int64
	for _, c := range b.Columns() {
		n += int64(c.Data().SizeInBytes())
	}
	return n
}

// signalSchema is the result of pg_cancel_backend and pg_terminate_backend: one boolean
// column named after the function.
func signalSchema(s *planner.SignalBackend) *arrow.Schema {
	return arrow.NewSchema([]arrow.Field{{Name: s.Func, Type: arrow.FixedWidthTypes.Boolean, Nullable: true}}, nil)
}

// signal runs pg_cancel_backend(pid) or pg_terminate_backend(pid): true when the session
// exists (PostgreSQL's answer: the signal was sent), false with a warning when it does not.
func (c *conn) signal(ctx context.Context, s *planner.SignalBackend, params []any) (Result, error) {
	pid := s.PID
	if s.Param {
		switch v := params[0].(type) {
		case nil:
			return boolResult(ctx, signalSchema(s), nil, nil)
		case int64:
			pid = v
		default:
			return nil, errs.New(errs.InvalidParameter, "%s: process ID must be an integer", s.Func)
		}
	}
	if pid < math.MinInt32 || pid > math.MaxInt32 {
		return nil, errs.New(errs.NumericRange, "integer out of range")
	}
	ok, err := c.e.SignalBackend(ctx, c.user, int32(pid), s.Func == "pg_terminate_backend")
	if err != nil {
		return nil, err
	}
	var notices []Notice
	if !ok {
		notices = append(notices, warning("01000", "PID %d is not a PostgreSQL backend process", pid))
	}
	return boolResult(ctx, signalSchema(s), &ok, notices)
}

// boolResult is one row of one boolean (NULL for v nil), with notices.
func boolResult(ctx context.Context, schema *arrow.Schema, v *bool, notices []Notice) (Result, error) {
	b := array.NewBooleanBuilder(exec.Allocator(ctx))
	defer b.Release()
	if v == nil {
		b.AppendNull()
	} else {
		b.Append(*v)
	}
	col := b.NewArray()
	defer col.Release()
	return &noticeBatch{batchResult{batch: array.NewRecordBatch(schema, []arrow.Array{col}, 1), tag: "SELECT 1"}, notices}, nil
}

// noticeBatch is a batchResult with notices.
type noticeBatch struct {
	batchResult
	notices []Notice
}

func (r *noticeBatch) Notices() []Notice { return r.notices }

// activityRow is a's row of pg_stat_activity. The client's address and port are those the
// frontend named; a session's xact_start is that of its block or running statement.
func activityRow(a SessionInfo, owner int64) []any {
	at := func(t time.Time) any {
		if t.IsZero() {
			return nil
		}
		return t
	}
	var addr, port any = nil, int32(-1)
	if host, p, err := net.SplitHostPort(a.ClientAddr); err == nil {
		addr = host
		if n, err := strconv.ParseInt(p, 10, 32); err == nil {
			port = int32(n)
		}
	}
	var query any = a.Query
	return []any{int64(catalog.OIDDatabase), a.Database, a.PID, nil, owner, a.User, a.ApplicationName, addr, nil, port,
		a.BackendStart, at(a.XactStart), at(a.QueryStart), at(a.StateChange), nil, nil, a.State, nil, nil, nil, query, "client backend"}
}

// refused logs a statement that failed before it could run (a syntax error, a missing
// table): it takes no time and returns nothing.
func (s *sessions) refused(c *conn, text string, err error) {
	_, q, _ := s.begin(context.Background(), c, text)
	s.end(c, q, 0, 0, err)
}
