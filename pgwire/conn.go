package pgwire

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/sleeperd/sleeperd/engine"
	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/format/pgvalue"
	"github.com/sleeperd/sleeperd/types"
)

// Transaction statuses of ReadyForQuery.
const (
	txIdle   = 'I'
	txBlock  = 'T'
	txFailed = 'E'
)

// flushSize is how many bytes of rows are buffered before they are written to the client.
const flushSize = 64 << 10

// conn is one client connection. Its goroutine reads a message, answers it, and reads the
// next; only cancelRunning is called from other goroutines.
type conn struct {
	srv *Server
	nc  net.Conn
	// ctx is the server's context, cancelled also when the connection ends: the parent of
	// the contexts of its queries.
	ctx       context.Context
	cancelCtx context.CancelFunc
	be        *pgproto3.Backend
	ec        engine.Conn
	pid       uint32
	secret    []byte

	stmts   map[string]*prepared
	portals map[string]*portal
	// skipping is set by an error in an extended-query message: messages up to the next
	// Sync are discarded.
	skipping bool
	pending  int // bytes sent since the last flush
	// tx is the transaction status for ReadyForQuery, as the command tags of BEGIN,
	// COMMIT and ROLLBACK and errors imply it. It is reported, not enforced: the engine
	// decides what runs inside a failed transaction block.
	tx byte

	// scratch space for DataRow values
	buf    []byte
	ends   []int
	values [][]byte
	// Messages sent for every statement, reused: Send encodes a message at once.
	dataRow  pgproto3.DataRow
	cmdDone  pgproto3.CommandComplete
	rfq      pgproto3.ReadyForQuery
	pformats []int16 // a Bind's parameter formats

	// dead is set when the connection failed in the middle of a message exchange (during
	// COPY FROM STDIN): the connection ends.
	dead error

	mu      sync.Mutex
	running context.CancelFunc // cancels the query being executed, or nil

	// spareCtx is the context of a finished portal that nothing cancelled, kept (with its
	// cancel function) for the next Bind: a context made for every execution costs
	// allocations and its parent's bookkeeping. Only a context that is no longer running
	// (cancelRunning cannot reach it) is kept.
	spareCtx    context.Context
	spareCancel context.CancelFunc

	// loc is the session's TimeZone, in which timestamptz values are shown; reported holds
	// the parameter values the client was last sent.
	loc           *time.Location
	reported      map[string]string
	startupParams map[string]string // the startup packet's parameters

	// tls is set once the connection switched to TLS; idleArmed while a read deadline
	// for idle_in_transaction_session_timeout is set (auth.go).
	tls       bool
	idleArmed bool
}

// prepared is a statement made by Parse, or by a simple Query. A nil stmt is the empty
// statement. The engine statement is closed once the name is dropped and no portal uses it.
type prepared struct {
	stmt   engine.Statement
	params []arrow.DataType
	// oids are the parameter types the client gave in Parse (0 for unspecified); Describe
	// reports them as given, as PostgreSQL does, so a client that sent varchar sees varchar.
	oids    []uint32
	refs    int // portals bound to it
	dropped bool
	// desc is the RowDescription last sent for the statement's portals (clients such as
	// libpq describe the portal at every execution), for schema descSchema and formats
	// descFormats.
	desc        *pgproto3.RowDescription
	descSchema  *arrow.Schema
	descFormats []int16
	// resFormats are the result formats of the last Bind, whose format codes were resCodes.
	resCodes, resFormats []int16
	// direct says which result columns, in formats directFormats, are written by
	// pgvalue.AppendDirect rather than by a writer built for each batch.
	direct        []bool
	directSchema  *arrow.Schema
	directFormats []int16
	// spare is a finished portal of the statement, for the next Bind to reuse, with its
	// slices of parameter values and writers (a statement executed again and again binds a
	// portal each time).
	spare *portal
}

// directColumns returns which result columns of schema in formats pgvalue.AppendDirect
// writes, as last computed when schema and formats are the same.
func (p *prepared) directColumns(schema *arrow.Schema, formats []int16) []bool {
	if p.direct == nil || p.directSchema != schema || !slices.Equal(p.directFormats, formats) {
		direct := make([]bool, len(formats))
		for j := range direct {
			direct[j] = j < schema.NumFields() && pgvalue.Direct(schema.Field(j), formats[j])
		}
		p.direct, p.directSchema, p.directFormats = direct, schema, slices.Clone(formats)
	}
	return p.direct
}

// resultFormats returns the result formats of a Bind of the statement with format codes
// codes for n columns (see formatCodes), the same slice as the last Bind's when its codes
// were the same: portals only read it.
func (p *prepared) resultFormats(codes []int16, n int) ([]int16, error) {
	if p.resFormats != nil && len(p.resFormats) == n && slices.Equal(p.resCodes, codes) {
		return p.resFormats, nil
	}
	f, err := formatCodes(codes, n, "result")
	if err != nil {
		return nil, err
	}
	p.resCodes, p.resFormats = slices.Clone(codes), f
	return f, nil
}

// portalDescription returns the RowDescription of the statement's result in formats,
// reusing the one last built when the schema and formats are the same.
func (p *prepared) portalDescription(schema *arrow.Schema, formats []int16) *pgproto3.RowDescription {
	if p.desc == nil || p.descSchema != schema || !slices.Equal(p.descFormats, formats) {
		p.desc = rowDescription(schema, formats)
		p.descSchema, p.descFormats = schema, slices.Clone(formats)
	}
	return p.desc
}

// portal is a statement bound to parameter values, run by Execute, possibly over several
// Execute messages when each asks for a limited number of rows.
type portal struct {
	prep    *prepared
	args    []any
	formats []int16 // per result column
	ctx     context.Context
	cancel  context.CancelFunc
	// spareable is set for a portal made by Bind: its context may be kept for the next
	// Bind when it finishes uncancelled (conn.spareCtx).
	spareable bool

	res       engine.Result // nil until the first Execute
	batch     arrow.RecordBatch
	row       int      // next row of batch to send
	writers   []writer // per column of batch; nil for a column written by pgvalue.AppendDirect
	done      bool
	suspended bool // by a row limit, at least once
	tag       string
	regNames  types.RegNames // names of the OIDs of regclass... columns (reg.go)
}

func (c *conn) serve() {
	defer c.nc.Close()
	c.be = pgproto3.NewBackend(c.nc, c.nc)
	log := c.srv.log.With("remote", c.nc.RemoteAddr().String())
	if !c.withStartupDeadline(c.startup) {
		return
	}
	c.be.SetMaxBodyLen(c.srv.cfg.MaxMessageSize)
	log.Debug("client connected", "pid", c.pid)
	c.stmts = map[string]*prepared{}
	c.portals = map[string]*portal{}
	defer c.release()
	for {
		idle := c.idleDeadline()
		msg, err := c.be.Receive()
		if err != nil {
			var ne net.Error
			if idle > 0 && errors.As(err, &ne) && ne.Timeout() {
				log.Debug("idle in transaction too long", "pid", c.pid)
				c.fatal(errs.New(errs.IdleInTransactionTimeout, "terminating connection due to idle-in-transaction timeout"))
				return
			}
			if !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, net.ErrClosed) {
				log.Debug("reading from client", "err", err)
				c.fatal(&pgError{code: "08P01", msg: err.Error()})
			}
			return
		}
		if _, ok := msg.(*pgproto3.Terminate); ok {
			log.Debug("client terminated", "pid", c.pid)
			return
		}
		if err := c.handle(msg); err != nil {
			log.Debug("writing to client", "err", err)
			return
		}
	}
}

// startup runs the startup phase up to the first ReadyForQuery, and reports whether the
// connection goes on to serve queries.
func (c *conn) startup() bool {
	var sm *pgproto3.StartupMessage
	for sm == nil {
		msg, err := c.be.ReceiveStartupMessage()
		if err != nil {
			c.srv.log.Debug("reading startup message", "err", err)
			return false
		}
		switch m := msg.(type) {
		case *pgproto3.SSLRequest:
			if !c.answerSSLRequest() {
				return false
			}
		case *pgproto3.GSSEncRequest:
			// GSSAPI encryption is not offered; the client goes on without or gives up.
			if c.tls {
				return false
			}
			if _, err := c.nc.Write([]byte{'N'}); err != nil {
				return false
			}
		case *pgproto3.CancelRequest:
			c.srv.cancelQuery(m.ProcessID, m.SecretKey)
			return false
		case *pgproto3.StartupMessage:
			sm = m
		default:
			return false
		}
	}
	var unknown []string
	for k := range sm.Parameters {
		if strings.HasPrefix(k, "_pq_.") {
			unknown = append(unknown, k)
		}
	}
	if sm.ProtocolVersion != pgproto3.ProtocolVersion30 || len(unknown) > 0 {
		c.be.Send(&pgproto3.NegotiateProtocolVersion{NewestMinorProtocol: 0, UnrecognizedOptions: unknown})
	}
	user, db := sm.Parameters["user"], sm.Parameters["database"]
	if user == "" {
		c.fatal(&pgError{code: "28000", msg: "no PostgreSQL user name specified in startup packet"})
		return false
	}
	if db == "" {
		db = user
	}
	if !c.admit(user) {
		return false
	}
	ec, err := c.srv.cfg.Connect(c.srv.ctx, user, db)
	if err != nil {
		c.fatal(err)
		return false
	}
	c.ec = ec
	if es, ok := ec.(engine.Session); ok {
		es.SetClient("pgwire", c.nc.RemoteAddr().String())
		es.SetServer(c.nc.LocalAddr().String())
		// pg_terminate_backend closes the connection; serve's read then ends it.
		es.OnTerminate(func() { c.nc.Close() })
	}
	if err := c.srv.register(c); err != nil {
		c.fatal(err)
		ec.Close()
		return false
	}
	c.startupParams = sm.Parameters
	// Parameters of the startup packet are session settings, as if SET.
	if st, ok := ec.(engine.Settings); ok {
		for k, v := range sm.Parameters {
			switch k {
			case "user", "database", "options", "replication":
				continue
			}
			if strings.HasPrefix(k, "_pq_.") {
				continue
			}
			if err := st.Set(k, v); err != nil {
				c.fatal(err)
				c.release()
				return false
			}
		}
	}
	c.be.Send(&pgproto3.AuthenticationOk{})
	c.report(true)
	c.be.Send(&pgproto3.BackendKeyData{ProcessID: c.pid, SecretKey: c.secret})
	c.be.Send(&pgproto3.ReadyForQuery{TxStatus: c.tx})
	if err := c.flush(); err != nil {
		ec.Close()
		return false
	}
	return true
}

// fatal reports err as a FATAL error before the connection closes.
func (c *conn) fatal(err error) {
	r := errorResponse(err)
	r.Severity, r.SeverityUnlocalized = "FATAL", "FATAL"
	c.be.Send(r)
	_ = c.flush()
}

// release closes every portal and statement and the engine connection.
func (c *conn) release() {
	defer func() {
		if c.spareCancel != nil {
			c.spareCancel()
			c.spareCtx, c.spareCancel = nil, nil
		}
	}()
	for name := range c.portals {
		c.closePortal(name)
	}
	for name := range c.stmts {
		c.closeStmt(name)
	}
	if err := c.ec.Close(); err != nil {
		c.srv.log.Warn("closing engine connection", "err", err)
	}
}

func (c *conn) flush() error {
	c.pending = 0
	return c.be.Flush()
}

// handle answers one message. Statement errors go to the client; the returned error is a
// failure to write to it, which ends the connection.
func (c *conn) handle(msg pgproto3.FrontendMessage) (err error) {
	if c.skipping {
		if _, ok := msg.(*pgproto3.Sync); !ok {
			return nil
		}
	}
	defer func() {
		if p := recover(); p != nil {
			c.srv.log.Error("panic serving client", "panic", p, "stack", string(debug.Stack()))
			c.fail(msg, errs.FromPanic(p))
			if _, simple := msg.(*pgproto3.Query); simple {
				c.syncTx()
				c.be.Send(&pgproto3.ReadyForQuery{TxStatus: c.tx})
			}
			err = c.flush()
		}
	}()
	switch m := msg.(type) {
	case *pgproto3.Query:
		c.query(m.String)
		return c.ready()
	case *pgproto3.Parse:
		if err := c.parse(m); err != nil {
			c.fail(msg, err)
		}
	case *pgproto3.Bind:
		if err := c.bind(m); err != nil {
			c.fail(msg, err)
		}
	case *pgproto3.Describe:
		if err := c.describe(m); err != nil {
			c.fail(msg, err)
		}
	case *pgproto3.Execute:
		if err := c.execute(m); err != nil {
			c.fail(msg, err)
		}
	case *pgproto3.Close:
		if m.ObjectType == 'S' {
			c.closeStmt(m.Name)
		} else {
			c.closePortal(m.Name)
		}
		c.be.Send(&pgproto3.CloseComplete{})
	case *pgproto3.Sync:
		c.skipping = false
		return c.ready()
	case *pgproto3.Flush:
		return c.flush()
	case *pgproto3.CopyData, *pgproto3.CopyDone, *pgproto3.CopyFail:
		// The rest of the data of a COPY FROM STDIN that failed: ignored, as PostgreSQL
		// ignores it.
	default:
		c.fail(msg, &pgError{code: "0A000", msg: fmt.Sprintf("message type %T is not supported", msg)})
	}
	if c.dead != nil {
		return c.dead
	}
	if c.pending >= flushSize {
		return c.flush()
	}
	return nil
}

// ready ends a Query or Sync with ReadyForQuery. Outside a transaction block, that ends the
// implicit transaction and with it every portal.
func (c *conn) ready() error {
	c.syncTx()
	if c.tx == txIdle {
		for name := range c.portals {
			c.closePortal(name)
		}
	}
	c.rfq.TxStatus = c.tx
	c.be.Send(&c.rfq)
	return c.flush()
}

// syncTx takes up the transaction status from the engine connection, when it keeps
// transaction blocks itself (it knows, say, that ROLLBACK TO SAVEPOINT leaves a block).
func (c *conn) syncTx() {
	if t, ok := c.ec.(engine.Transactions); ok {
		c.tx = t.TxStatus()
	}
}

// fail reports err, and after an extended-query message starts skipping to the next Sync.
func (c *conn) fail(msg pgproto3.FrontendMessage, err error) {
	c.sendError(err)
	if _, simple := msg.(*pgproto3.Query); !simple {
		c.skipping = true
	}
}

// complete sends CommandComplete with tag, following the transaction status the tags of
// transaction statements imply, and reports parameters a SET changed.
func (c *conn) complete(tag string) {
	switch tag {
	case "BEGIN", "START TRANSACTION":
		c.tx = txBlock
	case "COMMIT", "ROLLBACK":
		c.tx = txIdle
	}
	c.cmdDone.CommandTag = append(c.cmdDone.CommandTag[:0], tag...)
	c.be.Send(&c.cmdDone)
	switch tag {
	case "SET", "RESET", "COMMIT", "ROLLBACK":
		c.report(false)
	}
}

// report sends ParameterStatus for each reported parameter whose value differs from what the
// client was last told (all of them when all is set), and takes up the session's time zone.
func (c *conn) report(all bool) {
	st, ok := c.ec.(engine.Settings)
	if !ok {
		if all {
			for _, p := range [][2]string{
				{"server_version", c.srv.cfg.ServerVersion}, {"server_encoding", "UTF8"},
				{"client_encoding", "UTF8"}, {"DateStyle", "ISO, MDY"}, {"integer_datetimes", "on"},
				{"TimeZone", "UTC"}, {"standard_conforming_strings", "on"}, {"IntervalStyle", "postgres"},
				{"application_name", c.startupParams["application_name"]}, {"is_superuser", "off"},
				{"default_transaction_read_only", "off"}, {"in_hot_standby", "off"},
				{"session_authorization", c.startupParams["user"]},
			} {
				c.be.Send(&pgproto3.ParameterStatus{Name: p[0], Value: p[1]})
			}
		}
		return
	}
	if c.reported == nil {
		c.reported = map[string]string{}
	}
	for _, name := range engine.Reported {
		v, _ := st.Setting(name)
		if name == "server_version" {
			v = c.srv.cfg.ServerVersion
		}
		if old, seen := c.reported[name]; all || !seen || old != v {
			c.reported[name] = v
			c.be.Send(&pgproto3.ParameterStatus{Name: name, Value: v})
		}
	}
	c.loc = st.TimeZone()
}

func (c *conn) sendError(err error) {
	if c.tx == txBlock {
		c.tx = txFailed
	}
	if t, ok := c.ec.(engine.Transactions); ok {
		t.FailTransaction()
	}
	r := errorResponse(err)
	if r.Code == "XX000" {
		c.srv.log.Error("internal error", "err", err)
	}
	c.be.Send(r)
}

// begin marks the work that cancel cancels as running, so that a CancelRequest cancels it.
func (c *conn) begin(cancel context.CancelFunc) {
	c.mu.Lock()
	c.running = cancel
	c.mu.Unlock()
}

func (c *conn) end() {
	c.mu.Lock()
	c.running = nil
	c.mu.Unlock()
}

// portalContext returns the context of a portal Bind makes: the spare context when it was
// not cancelled (a CancelRequest cancels the running portal's context, the connection's
// end all of them), else a new one.
func (c *conn) portalContext() (context.Context, context.CancelFunc) {
	if ctx, cancel := c.spareCtx, c.spareCancel; ctx != nil {
		c.spareCtx, c.spareCancel = nil, nil
		if ctx.Err() == nil {
			return ctx, cancel
		}
		cancel()
	}
	return context.WithCancel(c.ctx)
}

// endContext ends the context of p, which finished: kept as the spare when Bind made it and
// nothing cancelled it (the result that ran under it is closed, so nothing uses it any
// more), else cancelled. A portal Bind made is never finished while it runs (execute ends
// the running state first), so no CancelRequest reaches the kept context; portalContext
// checks it again anyway.
func (c *conn) endContext(p *portal) {
	if p.cancel == nil {
		return
	}
	if p.spareable && c.spareCtx == nil && p.ctx.Err() == nil {
		c.spareCtx, c.spareCancel = p.ctx, p.cancel
		return
	}
	p.cancel()
}

func (c *conn) cancelRunning() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.running != nil {
		c.running()
	}
}

// query runs the statements of a simple Query message in turn, stopping at the first error.
func (c *conn) query(text string) {
	texts, err := c.ec.Split(text)
	if err != nil {
		c.sendError(err)
		return
	}
	if len(texts) == 0 {
		c.be.Send(&pgproto3.EmptyQueryResponse{})
		return
	}
	from := 0
	for _, sql := range texts {
		var offset int
		offset, from = locate(text, sql, from)
		if err := c.simple(sql); err != nil {
			c.sendError(shift(err, offset))
			return
		}
	}
}

// locate finds statement sql, as split from text, in text from byte from on. It returns the
// number of characters before it and the byte offset after it.
func locate(text, sql string, from int) (offset, next int) {
	i := strings.Index(text[from:], sql)
	if i < 0 {
		return 0, from
	}
	return utf8.RuneCountInString(text[:from+i]), from + i + len(sql)
}

// simple prepares and runs one statement of a simple query, sending its rows in text format.
func (c *conn) simple(sql string) error {
	ctx, cancel := context.WithCancel(c.ctx)
	defer cancel()
	p := &portal{ctx: ctx, cancel: cancel}
	c.begin(p.cancel)
	defer c.end()
	stmt, err := c.ec.Prepare(ctx, sql, nil)
	if err != nil {
		return err
	}
	p.prep = &prepared{stmt: stmt, refs: 1, dropped: true}
	defer c.finish(p)
	if schema := stmt.Schema(); schema != nil {
		p.formats = make([]int16, schema.NumFields())
		c.be.Send(rowDescription(schema, p.formats))
	}
	_, err = c.run(p, 0)
	return err
}

func (c *conn) parse(m *pgproto3.Parse) error {
	if _, ok := c.stmts[m.Name]; ok && m.Name != "" {
		return &pgError{code: "42P05", msg: fmt.Sprintf("prepared statement %q already exists", m.Name)}
	}
	texts, err := c.ec.Split(m.Query)
	if err != nil {
		return err
	}
	if len(texts) > 1 {
		return errs.New(errs.Syntax, "cannot insert multiple commands into a prepared statement")
	}
	params := make([]arrow.DataType, len(m.ParameterOIDs))
	for i, oid := range m.ParameterOIDs {
		params[i] = paramType(oid)
	}
	p := &prepared{params: params, oids: m.ParameterOIDs}
	if len(texts) == 1 {
		ctx, cancel := context.WithCancel(c.ctx)
		defer cancel()
		c.begin(cancel)
		defer c.end()
		stmt, err := c.ec.Prepare(ctx, texts[0], params)
		if err != nil {
			offset, _ := locate(m.Query, texts[0], 0)
			return shift(err, offset)
		}
		p.stmt, p.params = stmt, stmt.ParamTypes()
	}
	c.closeStmt(m.Name)
	c.stmts[m.Name] = p
	c.be.Send(&pgproto3.ParseComplete{})
	return nil
}

// closeStmt drops a prepared statement's name; the statement closes when no portal uses it.
func (c *conn) closeStmt(name string) {
	p, ok := c.stmts[name]
	if !ok {
		return
	}
	delete(c.stmts, name)
	p.dropped = true
	c.unref(p)
}

func (c *conn) unref(p *prepared) {
	if p.dropped && p.refs == 0 && p.stmt != nil {
		if err := p.stmt.Close(); err != nil {
			c.srv.log.Warn("closing statement", "err", err)
		}
		p.stmt = nil
	}
}

// formatCodes expands the format codes of a Bind message to one per value: none means text
// for all, one applies to all.
func formatCodes(codes []int16, n int, what string) ([]int16, error) {
	return appendFormatCodes(make([]int16, 0, n), codes, n, what)
}

// appendFormatCodes is formatCodes into dst's storage, reused when large enough.
func appendFormatCodes(dst, codes []int16, n int, what string) ([]int16, error) {
	out := slices.Grow(dst[:0], n)[:n]
	clear(out)
	switch len(codes) {
	case 0:
	case 1:
		for i := range out {
			out[i] = codes[0]
		}
	case n:
		copy(out, codes)
	default:
		return nil, &pgError{code: "08P01", msg: fmt.Sprintf("bind message has %d %s formats but %d %ss", len(codes), what, n, what)}
	}
	for _, f := range out {
		if f != formatText && f != formatBinary {
			return nil, &pgError{code: "22023", msg: fmt.Sprintf("unsupported format code: %d", f)}
		}
	}
	return out, nil
}

func (c *conn) bind(m *pgproto3.Bind) error {
	prep, ok := c.stmts[m.PreparedStatement]
	if !ok {
		return &pgError{code: "26000", msg: fmt.Sprintf("prepared statement %q does not exist", m.PreparedStatement)}
	}
	if _, ok := c.portals[m.DestinationPortal]; ok && m.DestinationPortal != "" {
		return &pgError{code: "42P03", msg: fmt.Sprintf("portal %q already exists", m.DestinationPortal)}
	}
	if len(m.Parameters) != len(prep.params) {
		return &pgError{code: "08P01", msg: fmt.Sprintf("bind message supplies %d parameters, but prepared statement %q requires %d",
			len(m.Parameters), m.PreparedStatement, len(prep.params))}
	}
	pformats, err := appendFormatCodes(c.pformats, m.ParameterFormatCodes, len(m.Parameters), "parameter")
	if err != nil {
		return err
	}
	c.pformats = pformats
	// The statement's last finished portal is reused, with its parameter values' slice:
	// the engine holds none of a portal's values once its result is closed (its kept plans
	// copy those they keep).
	p := prep.spare
	prep.spare = nil
	if p == nil {
		p = &portal{}
	}
	args := slices.Grow(p.args[:0], len(m.Parameters))[:len(m.Parameters)]
	for i, v := range m.Parameters {
		format := pformats[i]
		if format == formatBinary {
			oid := uint32(0)
			if i < len(prep.oids) {
				oid = prep.oids[i]
			}
			if oid == 0 && types.IsReg(prep.params[i]) {
				// Not declared, but read as such a type (described so).
				oid = types.PGTypeOf(prep.params[i]).OID
			}
			text, ok, err := regParamText(i+1, oid, v)
			if err != nil {
				return err
			}
			if ok {
				v, format = text, formatText
			}
		}
		if args[i], err = decodeParam(i+1, prep.params[i], format, v); err != nil {
			return err
		}
	}
	var formats []int16
	if prep.stmt != nil && prep.stmt.Schema() != nil {
		if formats, err = prep.resultFormats(m.ResultFormatCodes, prep.stmt.Schema().NumFields()); err != nil {
			return err
		}
	}
	c.closePortal(m.DestinationPortal)
	ctx, cancel := c.portalContext()
	prep.refs++
	p.prep, p.args, p.formats, p.ctx, p.cancel, p.spareable = prep, args, formats, ctx, cancel, true
	c.portals[m.DestinationPortal] = p
	c.be.Send(&pgproto3.BindComplete{})
	return nil
}

func (c *conn) describe(m *pgproto3.Describe) error {
	if m.ObjectType == 'S' {
		prep, ok := c.stmts[m.Name]
		if !ok {
			return &pgError{code: "26000", msg: fmt.Sprintf("prepared statement %q does not exist", m.Name)}
		}
		oids := make([]uint32, len(prep.params))
		for i, dt := range prep.params {
			oids[i] = types.OIDText
			if i < len(prep.oids) && prep.oids[i] != 0 && paramType(prep.oids[i]) != nil {
				oids[i] = prep.oids[i]
			} else if dt != nil {
				oids[i] = types.PGTypeOf(dt).OID
			}
		}
		c.be.Send(&pgproto3.ParameterDescription{ParameterOIDs: oids})
		if prep.stmt == nil || prep.stmt.Schema() == nil {
			c.be.Send(&pgproto3.NoData{})
			return nil
		}
		schema := prep.stmt.Schema()
		c.be.Send(rowDescription(schema, make([]int16, schema.NumFields())))
		return nil
	}
	p, ok := c.portals[m.Name]
	if !ok {
		return &pgError{code: "34000", msg: fmt.Sprintf("portal %q does not exist", m.Name)}
	}
	if p.prep.stmt == nil || p.prep.stmt.Schema() == nil {
		c.be.Send(&pgproto3.NoData{})
		return nil
	}
	c.be.Send(p.prep.portalDescription(p.prep.stmt.Schema(), p.formats))
	return nil
}

func (c *conn) execute(m *pgproto3.Execute) error {
	p, ok := c.portals[m.Portal]
	if !ok {
		return &pgError{code: "34000", msg: fmt.Sprintf("portal %q does not exist", m.Portal)}
	}
	if p.prep.stmt == nil {
		c.be.Send(&pgproto3.EmptyQueryResponse{})
		return nil
	}
	c.begin(p.cancel)
	defer c.end()
	if _, err := c.run(p, int(m.MaxRows)); err != nil {
		c.end() // no longer cancellable: its context may be kept (endContext)
		c.closePortal(m.Portal)
		return err
	}
	return nil
}

// closePortal stops a portal's execution and releases what it holds.
func (c *conn) closePortal(name string) {
	p, ok := c.portals[name]
	if !ok {
		return
	}
	delete(c.portals, name)
	c.finish(p)
}

// finish releases p's batch and result and its hold on its statement.
func (c *conn) finish(p *portal) {
	if p.batch != nil {
		p.batch.Release()
		p.batch = nil
	}
	if p.res != nil {
		if err := p.res.Close(); err != nil {
			c.srv.log.Warn("closing result", "err", err)
		}
		p.res = nil
	}
	c.endContext(p)
	if prep := p.prep; prep != nil {
		prep.refs--
		c.unref(prep)
		p.prep = nil
		if !prep.dropped {
			// Kept for the statement's next Bind, holding no values, batch columns or
			// contexts of this execution.
			clear(p.args[:cap(p.args)])
			clear(p.writers[:cap(p.writers)])
			*p = portal{args: p.args[:0], writers: p.writers[:0]}
			prep.spare = p
		}
	}
}

// run sends up to maxRows rows of p (all when maxRows is 0), then CommandComplete when the
// rows are exhausted or PortalSuspended when they may not be, and reports whether p was
// suspended.
func (c *conn) run(p *portal, maxRows int) (suspended bool, err error) {
	// As in PostgreSQL 15, the SELECT tag of a portal that was suspended counts the rows of
	// the last Execute, and an Execute after completion returns none.
	if p.done {
		tag := p.tag
		if strings.HasPrefix(tag, "SELECT ") {
			tag = "SELECT 0"
		}
		c.be.Send(&pgproto3.CommandComplete{CommandTag: []byte(tag)})
		return false, nil
	}
	if p.res == nil {
		res, err := p.prep.stmt.Execute(p.ctx, p.args)
		if err != nil {
			return false, err
		}
		p.res = res
		if n, ok := res.(engine.Noticer); ok {
			for _, m := range n.Notices() {
				c.be.Send(&pgproto3.NoticeResponse{Severity: m.Severity, SeverityUnlocalized: m.Severity, Code: m.Code, Message: m.Message})
			}
		}
		if copied, err := c.copy(p); copied {
			return false, err
		}
	}
	sent := 0
	for {
		if p.batch == nil {
			b, err := p.res.Next(p.ctx)
			if err == io.EOF {
				p.done, p.tag = true, p.res.Tag()
				tag := p.tag
				if p.suspended && strings.HasPrefix(tag, "SELECT ") {
					tag = fmt.Sprintf("SELECT %d", sent)
				}
				c.complete(tag)
				err = p.res.Close()
				p.res = nil
				return false, err
			}
			if err != nil {
				return false, err
			}
			if b.NumRows() == 0 {
				b.Release()
				continue
			}
			if p.formats == nil || int(b.NumCols()) != len(p.formats) {
				b.Release()
				return false, errs.New(errs.Internal, "result batch has %d columns, statement schema %d", b.NumCols(), len(p.formats))
			}
			p.batch, p.row = b, 0
			p.writers = slices.Grow(p.writers[:0], len(p.formats))
			schema := p.prep.stmt.Schema() // Field, not Fields: no copy of the fields per batch
			direct := p.prep.directColumns(schema, p.formats)
			for j, col := range b.Columns() {
				if direct[j] {
					p.writers = append(p.writers, nil)
					continue
				}
				p.writers = append(p.writers, c.writer(p, schema.Field(j), col, p.formats[j]))
			}
		}
		n := int(p.batch.NumRows())
		for ; p.row < n; p.row++ {
			if maxRows > 0 && sent == maxRows {
				p.suspended = true
				c.be.Send(&pgproto3.PortalSuspended{})
				return true, nil
			}
			c.sendRow(p.batch, p.writers, p.formats, p.row)
			sent++
			if c.pending >= flushSize {
				if err := c.flush(); err != nil {
					return false, err
				}
			}
		}
		p.batch.Release()
		p.batch = nil
	}
}

// copy runs p's COPY, and reports false if p is not a COPY.
func (c *conn) copy(p *portal) (bool, error) {
	var err error
	switch r := p.res.(type) {
	case engine.CopyIn:
		err = c.copyIn(p, r)
	case engine.CopyOut:
		err = c.copyOut(p, r)
	default:
		return false, nil
	}
	p.done, p.tag = err == nil, p.res.Tag()
	if cerr := p.res.Close(); err == nil {
		err = cerr
	}
	p.res = nil
	return true, err
}

// sendRow sends row i of b as a DataRow, its columns in formats by writers (by
// pgvalue.AppendDirect where a writer is nil).
func (c *conn) sendRow(b arrow.RecordBatch, writers []writer, formats []int16, i int) {
	if c.buf == nil {
		// Empty values must be non-nil slices of buf: nil means NULL.
		c.buf = make([]byte, 0, 1024)
	}
	c.buf = c.buf[:0]
	c.ends = c.ends[:0]
	c.values = c.values[:0]
	for j, w := range writers {
		if b.Column(j).IsNull(i) {
			c.ends = append(c.ends, -1)
			continue
		}
		if w == nil {
			c.buf = pgvalue.AppendDirect(c.buf, b.Column(j), i, formats[j])
		} else {
			c.buf = w(c.buf, i)
		}
		c.ends = append(c.ends, len(c.buf))
	}
	start := 0
	for _, end := range c.ends {
		if end < 0 {
			c.values = append(c.values, nil)
			continue
		}
		c.values = append(c.values, c.buf[start:end:end])
		start = end
	}
	c.dataRow.Values = c.values
	c.be.Send(&c.dataRow)
	c.pending += len(c.buf) + 4*len(c.values) + 7
}

// rowDescription describes the columns of schema sent in formats.
func rowDescription(schema *arrow.Schema, formats []int16) *pgproto3.RowDescription {
	fields := make([]pgproto3.FieldDescription, schema.NumFields())
	for i := range fields {
		f := schema.Field(i)
		t := types.FieldPGType(f)
		fields[i] = pgproto3.FieldDescription{
			Name:         []byte(f.Name),
			DataTypeOID:  t.OID,
			DataTypeSize: t.Size,
			TypeModifier: t.Mod,
			Format:       formats[i],
		}
	}
	return &pgproto3.RowDescription{Fields: fields}
}
