package flightsql

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql"
	pb "github.com/apache/arrow-go/v18/arrow/flight/gen/flight"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/sleeperd/sleeperd/engine"
	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/types"
)

// sqlServer implements flightsql.Server over the engine.
type sqlServer struct {
	flightsql.BaseServer
	cfg Config
	eng *engine.Engine
	log *slog.Logger
	mem memory.Allocator

	mu       sync.Mutex
	prepared map[string]*prepared
	txns     map[string]*txn               // open transactions, by id
	running  map[string]context.CancelFunc // by query key, for CancelFlightInfo
	active   sync.WaitGroup                // result producers
}

var _ flightsql.Server = (*sqlServer)(nil)

// prepared is a prepared statement and the connection it belongs to. mu serialises its
// executions, which the engine does not allow to overlap: its own, or its transaction's,
// whose connection it shares (and does not close).
type prepared struct {
	mu     *sync.Mutex
	conn   engine.Conn
	inTxn  bool
	stmt   engine.Statement
	params [][]any // the rows of the last bound parameter batches; nil when none
	// used is when the statement was last looked up (Unix nanoseconds), for
	// Config.StatementIdle.
	used atomic.Int64
}

// handleSize is the size of statement handles and query ids, in bytes.
const handleSize = 16

func newSQLServer(cfg Config, log *slog.Logger) (*sqlServer, error) {
	s := &sqlServer{cfg: cfg, eng: cfg.Engine, log: log, mem: cfg.Alloc,
		prepared: map[string]*prepared{}, txns: map[string]*txn{}, running: map[string]context.CancelFunc{}}
	s.Alloc = cfg.Alloc
	if err := registerSQLInfo(&s.BaseServer); err != nil {
		return nil, err
	}
	return s, nil
}

func newHandle() []byte {
	b := make([]byte, handleSize)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("flightsql: reading random bytes: %v", err))
	}
	return b
}

// connect opens an engine connection for the caller: the authenticated user, or "flight".
func (s *sqlServer) connect(ctx context.Context) (engine.Conn, error) {
	c, err := s.eng.Connect(ctx, s.user(ctx), s.cfg.Catalog)
	if es, ok := c.(engine.Session); ok && err == nil {
		addr := ""
		if p, ok := peer.FromContext(ctx); ok {
			addr = p.Addr.String()
		}
		es.SetClient("flight", addr)
	}
	return c, err
}

// user is the caller's user name: the authenticated user, or "flight".
func (s *sqlServer) user(ctx context.Context) string {
	if u, ok := flight.AuthFromContext(ctx).(string); ok && u != "" {
		return u
	}
	return "flight"
}

// emptySchema is the schema of the results of statements without rows.
var emptySchema = arrow.NewSchema(nil, nil)

func schemaOrEmpty(sc *arrow.Schema) *arrow.Schema {
	if sc == nil {
		return emptySchema
	}
	return wireSchema(sc)
}

// noTxn refuses a transaction id where transactions are not supported.
func noTxn(id []byte) error {
	if len(id) > 0 {
		return status.Error(codes.Unimplemented, "transactions are not supported")
	}
	return nil
}

// describe prepares sql on a throwaway connection (or the transaction's) and returns its
// result schema.
func (s *sqlServer) describe(ctx context.Context, txnID []byte, sql string) (*arrow.Schema, error) {
	conn, release, err := s.conn(ctx, txnID)
	if err != nil {
		return nil, err
	}
	defer release()
	st, err := conn.Prepare(ctx, sql, nil)
	if err != nil {
		return nil, toStatus(err)
	}
	defer st.Close()
	if n := len(st.ParamTypes()); n > 0 {
		return nil, status.Errorf(codes.InvalidArgument, "statement has %d parameters: prepare it and bind them", n)
	}
	return schemaOrEmpty(st.Schema()), nil
}

func (s *sqlServer) GetFlightInfoStatement(ctx context.Context, cmd flightsql.StatementQuery, desc *flight.FlightDescriptor) (*flight.FlightInfo, error) {
	panicSite("GetFlightInfoStatement")
	schema, err := s.describe(ctx, cmd.GetTransactionId(), cmd.GetQuery())
	if err != nil {
		return nil, err
	}
	// The ticket carries a fresh query id (for CancelFlightInfo), the transaction id (if
	// any) and the text: DoGet prepares and runs it, so any server can serve it (the
	// transaction's only, inside one) and nothing is held meanwhile.
	h := append(newHandle(), byte(len(cmd.GetTransactionId())))
	h = append(h, cmd.GetTransactionId()...)
	tkt, err := flightsql.CreateStatementQueryTicket(append(h, cmd.GetQuery()...))
	if err != nil {
		return nil, status.Errorf(codes.Internal, "creating ticket: %v", err)
	}
	return s.info(desc, schema, tkt), nil
}

func (s *sqlServer) info(desc *flight.FlightDescriptor, schema *arrow.Schema, ticket []byte) *flight.FlightInfo {
	return &flight.FlightInfo{
		Schema:           flight.SerializeSchema(schema, s.mem),
		FlightDescriptor: desc,
		Endpoint:         []*flight.FlightEndpoint{{Ticket: &flight.Ticket{Ticket: ticket}}},
		TotalRecords:     -1,
		TotalBytes:       -1,
	}
}

func (s *sqlServer) GetSchemaStatement(ctx context.Context, cmd flightsql.StatementQuery, _ *flight.FlightDescriptor) (*flight.SchemaResult, error) {
	schema, err := s.describe(ctx, cmd.GetTransactionId(), cmd.GetQuery())
	if err != nil {
		return nil, err
	}
	return &flight.SchemaResult{Schema: flight.SerializeSchema(schema, s.mem)}, nil
}

func (s *sqlServer) DoGetStatement(ctx context.Context, tkt flightsql.StatementQueryTicket) (*arrow.Schema, <-chan flight.StreamChunk, error) {
	h := tkt.GetStatementHandle()
	if len(h) < handleSize+1 || len(h) < handleSize+1+int(h[handleSize]) {
		return nil, nil, status.Error(codes.InvalidArgument, "invalid statement ticket")
	}
	n := int(h[handleSize])
	id, txnID, sql := hex.EncodeToString(h[:handleSize]), h[handleSize+1:handleSize+1+n], string(h[handleSize+1+n:])
	conn, release, err := s.conn(ctx, txnID)
	if err != nil {
		return nil, nil, err
	}
	st, err := conn.Prepare(ctx, sql, nil)
	if err != nil {
		release()
		return nil, nil, toStatus(err)
	}
	schema := schemaOrEmpty(st.Schema())
	ch := s.stream(ctx, "q:"+id, schema, st, [][]any{nil}, func() {
		st.Close()
		release()
	})
	return schema, ch, nil
}

// stream executes st once for each parameter row, in a goroutine, and sends the batches it
// produces, renamed to schema, on the returned channel, which it closes at the end. The
// channel is unbuffered: the plan runs only as fast as gRPC sends (flow control is the
// backpressure). Cancelling ctx, or CancelFlightInfo for key, stops the execution and frees
// its resources. done runs when the goroutine ends.
func (s *sqlServer) stream(call context.Context, key string, schema *arrow.Schema, st engine.Statement, rows [][]any, done func()) <-chan flight.StreamChunk {
	ctx, cancel := context.WithCancel(call)
	s.mu.Lock()
	s.running[key] = cancel
	s.mu.Unlock()
	ch := make(chan flight.StreamChunk)
	s.active.Add(1)
	go func() {
		defer s.active.Done()
		defer close(ch)
		defer done()
		defer func() {
			s.mu.Lock()
			delete(s.running, key)
			s.mu.Unlock()
			cancel()
		}()
		send := func(c flight.StreamChunk) bool {
			c.Data = hand(call, c.Data)
			select {
			case ch <- c:
				return true
			case <-ctx.Done():
				if c.Data != nil {
					c.Data.Release()
				}
				return false
			}
		}
		for _, params := range rows {
			if err := s.recoverProduce(ctx, schema, st, params, send); err != nil {
				// Delivered while the call lasts: a query cancelled by CancelFlightInfo
				// ends its stream with Canceled, not as if complete.
				select {
				case ch <- flight.StreamChunk{Err: toStatus(err)}:
				case <-call.Done():
				}
				return
			}
		}
	}()
	return ch
}

// recoverProduce is produce with a panic, which no gRPC interceptor sees in this goroutine,
// turned into the stream's Internal error.
func (s *sqlServer) recoverProduce(ctx context.Context, schema *arrow.Schema, st engine.Statement, params []any, send func(flight.StreamChunk) bool) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = panicStatus(s.log, "stream", p)
		}
	}()
	panicSite("stream")
	return s.produce(ctx, schema, st, params, send)
}

// produce runs st once with params and sends its batches; it returns the execution error.
func (s *sqlServer) produce(ctx context.Context, schema *arrow.Schema, st engine.Statement, params []any, send func(flight.StreamChunk) bool) error {
	res, err := st.Execute(ctx, params)
	if err != nil {
		return err
	}
	defer res.Close()
	if err := noCopy(res); err != nil {
		return err
	}
	names := regNames(res)
	for {
		b, err := res.Next(ctx)
		if err == io.EOF {
			return res.Close()
		}
		if err != nil {
			return err
		}
		if b, err = conform(s.mem, b, schema, names); err != nil {
			return err
		}
		if !send(flight.StreamChunk{Data: b}) {
			return ctx.Err()
		}
	}
}

// conform gives b the announced schema (names, nullability, metadata), which IPC needs
// every batch of a stream to have, with the values of SQL types sent as other Arrow types
// converted (wireArray; names names regclass... OIDs). It takes ownership of b.
func conform(mem memory.Allocator, b arrow.RecordBatch, schema *arrow.Schema, names types.RegNames) (arrow.RecordBatch, error) {
	if b.Schema().Equal(schema) {
		return b, nil
	}
	defer b.Release()
	if int(b.NumCols()) != schema.NumFields() {
		return nil, status.Errorf(codes.Internal, "batch has %d columns, result schema %d", b.NumCols(), schema.NumFields())
	}
	cols := append([]arrow.Array(nil), b.Columns()...)
	for i, c := range cols {
		if types.IsVarNumeric(c.DataType()) && arrow.TypeEqual(schema.Field(i).Type, wireNumeric) {
			cols[i] = wireNumericArray(mem, c)
			defer cols[i].Release()
			continue
		}
		if isVarNumericList(c.DataType()) && arrow.TypeEqual(schema.Field(i).Type, wireNumericList) {
			cols[i] = wireNumericListArray(mem, c)
			defer cols[i].Release()
			continue
		}
		if w, ok := wireField(mem, c, schema.Field(i), names); ok {
			cols[i] = w
			defer cols[i].Release()
			continue
		}
		if !arrow.TypeEqual(c.DataType(), schema.Field(i).Type) {
			return nil, status.Errorf(codes.Internal, "column %d is %s, result schema says %s", i, c.DataType(), schema.Field(i).Type)
		}
	}
	return array.NewRecordBatch(schema, cols, b.NumRows()), nil
}

func (s *sqlServer) DoPutCommandStatementUpdate(ctx context.Context, cmd flightsql.StatementUpdate) (int64, error) {
	panicSite("DoPutCommandStatementUpdate")
	conn, release, err := s.conn(ctx, cmd.GetTransactionId())
	if err != nil {
		return 0, err
	}
	defer release()
	texts, err := conn.Split(cmd.GetQuery())
	if err != nil {
		return 0, toStatus(err)
	}
	n := int64(-1)
	for _, text := range texts {
		st, err := conn.Prepare(ctx, text, nil)
		if err != nil {
			return 0, toStatus(err)
		}
		n, err = execUpdate(ctx, st, nil)
		st.Close()
		if err != nil {
			return 0, toStatus(err)
		}
	}
	return n, nil
}

// execUpdate executes st with params, discarding any rows, and returns the number of rows
// its command tag reports, or -1 when it reports none (DDL).
func execUpdate(ctx context.Context, st engine.Statement, params []any) (int64, error) {
	res, err := st.Execute(ctx, params)
	if err != nil {
		return 0, err
	}
	defer res.Close()
	if err := noCopy(res); err != nil {
		return 0, err
	}
	for {
		b, err := res.Next(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			return 0, err
		}
		b.Release()
	}
	if err := res.Close(); err != nil {
		return 0, err
	}
	return tagCount(res.Tag()), nil
}

// tagCount is the last number of a command tag ("INSERT 0 5" is 5), or -1.
func tagCount(tag string) int64 {
	f := strings.Fields(tag)
	if len(f) < 2 {
		return -1
	}
	n, err := strconv.ParseInt(f[len(f)-1], 10, 64)
	if err != nil {
		return -1
	}
	return n
}

// Prepared statements.

func (s *sqlServer) CreatePreparedStatement(ctx context.Context, req flightsql.ActionCreatePreparedStatementRequest) (flightsql.ActionCreatePreparedStatementResult, error) {
	var res flightsql.ActionCreatePreparedStatementResult
	p := &prepared{mu: &sync.Mutex{}}
	if id := req.GetTransactionId(); len(id) > 0 {
		t, err := s.txn(id)
		if err != nil {
			return res, err
		}
		p.mu, p.conn, p.inTxn = &t.mu, t.conn, true
	} else {
		conn, err := s.connect(ctx)
		if err != nil {
			return res, toStatus(err)
		}
		p.conn = conn
	}
	p.mu.Lock()
	st, err := p.conn.Prepare(ctx, req.GetQuery(), nil)
	p.mu.Unlock()
	if err != nil {
		if !p.inTxn {
			p.conn.Close()
		}
		return res, toStatus(err)
	}
	p.stmt = st
	p.used.Store(time.Now().UnixNano())
	s.expireIdle()
	h := newHandle()
	s.mu.Lock()
	s.prepared[string(h)] = p
	s.mu.Unlock()
	fields := make([]arrow.Field, len(st.ParamTypes()))
	for i, t := range st.ParamTypes() {
		fields[i] = arrow.Field{Name: "$" + strconv.Itoa(i+1), Type: t, Nullable: true}
	}
	isUpdate := st.Schema() == nil
	res.Handle = h
	res.DatasetSchema = wireSchema(st.Schema())
	res.ParameterSchema = arrow.NewSchema(fields, nil)
	res.IsUpdate = &isUpdate
	return res, nil
}

func (s *sqlServer) ClosePreparedStatement(_ context.Context, req flightsql.ActionClosePreparedStatementRequest) error {
	s.mu.Lock()
	p, ok := s.prepared[string(req.GetPreparedStatementHandle())]
	delete(s.prepared, string(req.GetPreparedStatementHandle()))
	s.mu.Unlock()
	if !ok {
		return status.Error(codes.NotFound, "prepared statement not found")
	}
	p.close()
	return nil
}

func (p *prepared) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stmt.Close()
	if !p.inTxn {
		p.conn.Close()
	}
}

func (s *sqlServer) lookup(handle []byte) (*prepared, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.prepared[string(handle)]
	if !ok {
		return nil, status.Error(codes.NotFound, "prepared statement not found")
	}
	p.used.Store(time.Now().UnixNano())
	return p, nil
}

// expireIdle closes the prepared statements unused for longer than Config.StatementIdle.
func (s *sqlServer) expireIdle() {
	if s.cfg.StatementIdle <= 0 {
		return
	}
	cutoff := time.Now().Add(-s.cfg.StatementIdle).UnixNano()
	var idle []*prepared
	s.mu.Lock()
	for h, p := range s.prepared {
		if p.used.Load() < cutoff {
			delete(s.prepared, h)
			idle = append(idle, p)
		}
	}
	s.mu.Unlock()
	for _, p := range idle {
		p.close()
	}
}

func (s *sqlServer) GetFlightInfoPreparedStatement(_ context.Context, cmd flightsql.PreparedStatementQuery, desc *flight.FlightDescriptor) (*flight.FlightInfo, error) {
	p, err := s.lookup(cmd.GetPreparedStatementHandle())
	if err != nil {
		return nil, err
	}
	// The descriptor's command (CommandPreparedStatementQuery) is the ticket.
	return s.info(desc, schemaOrEmpty(p.stmt.Schema()), desc.Cmd), nil
}

func (s *sqlServer) GetSchemaPreparedStatement(_ context.Context, cmd flightsql.PreparedStatementQuery, _ *flight.FlightDescriptor) (*flight.SchemaResult, error) {
	p, err := s.lookup(cmd.GetPreparedStatementHandle())
	if err != nil {
		return nil, err
	}
	return &flight.SchemaResult{Schema: flight.SerializeSchema(schemaOrEmpty(p.stmt.Schema()), s.mem)}, nil
}

func (s *sqlServer) DoGetPreparedStatement(ctx context.Context, cmd flightsql.PreparedStatementQuery) (*arrow.Schema, <-chan flight.StreamChunk, error) {
	h := cmd.GetPreparedStatementHandle()
	p, err := s.lookup(h)
	if err != nil {
		return nil, nil, err
	}
	p.mu.Lock()
	rows := p.params
	if rows == nil {
		if n := len(p.stmt.ParamTypes()); n > 0 {
			p.mu.Unlock()
			return nil, nil, status.Errorf(codes.InvalidArgument, "statement has %d parameters and none are bound", n)
		}
		rows = [][]any{nil}
	}
	schema := schemaOrEmpty(p.stmt.Schema())
	return schema, s.stream(ctx, "p:"+hex.EncodeToString(h), schema, p.stmt, rows, p.mu.Unlock), nil
}

func (s *sqlServer) DoPutPreparedStatementQuery(_ context.Context, cmd flightsql.PreparedStatementQuery, rdr flight.MessageReader, _ flight.MetadataWriter) ([]byte, error) {
	p, err := s.lookup(cmd.GetPreparedStatementHandle())
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	var rows [][]any
	n := len(p.stmt.ParamTypes())
	for rdr.Next() {
		b := rdr.RecordBatch()
		if b.NumRows() == 0 {
			continue
		}
		if int(b.NumCols()) != n {
			return nil, status.Errorf(codes.InvalidArgument, "parameter batch has %d columns, statement has %d parameters", b.NumCols(), n)
		}
		rows = append(rows, paramRows(b)...)
	}
	if err := rdr.Err(); err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "reading parameters: %v", err)
	}
	p.params = rows
	return cmd.GetPreparedStatementHandle(), nil
}

func (s *sqlServer) DoPutPreparedStatementUpdate(ctx context.Context, cmd flightsql.PreparedStatementUpdate, rdr flight.MessageReader) (int64, error) {
	p, err := s.lookup(cmd.GetPreparedStatementHandle())
	if err != nil {
		return 0, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	nparams := len(p.stmt.ParamTypes())
	var (
		total    int64
		counted  bool
		sawRows  bool
		pending  []arrow.RecordBatch
		nPending int64
	)
	add := func(n int64) {
		if n >= 0 {
			total += n
			counted = true
		}
	}
	release := func() {
		for _, b := range pending {
			b.Release()
		}
		pending, nPending = nil, 0
	}
	defer release()
	// flush writes the pending parameter rows: an INSERT of bare parameters appends them
	// all in one commit; anything else runs once per row.
	flush := func() error {
		if len(pending) == 0 {
			return nil
		}
		defer release()
		n, ok, err := s.eng.AppendParams(ctx, p.stmt, pending)
		if ok {
			add(n)
			return err
		}
		for _, b := range pending {
			for _, row := range paramRows(b) {
				n, err := execUpdate(ctx, p.stmt, row)
				if err != nil {
					return err
				}
				add(n)
			}
		}
		return nil
	}
	for rdr.Next() {
		b := rdr.RecordBatch()
		if b.NumRows() == 0 {
			continue
		}
		if int(b.NumCols()) != nparams {
			return total, status.Errorf(codes.InvalidArgument, "parameter batch has %d columns, statement has %d parameters", b.NumCols(), nparams)
		}
		sawRows = true
		b.Retain()
		pending = append(pending, b)
		if nPending += b.NumRows(); nPending >= s.cfg.IngestChunkRows {
			if err := flush(); err != nil {
				return total, toStatus(err)
			}
		}
	}
	if err := rdr.Err(); err != nil {
		return total, status.Errorf(codes.InvalidArgument, "reading parameters: %v", err)
	}
	if err := flush(); err != nil {
		return total, toStatus(err)
	}
	if !sawRows {
		rows := p.params
		if rows == nil {
			rows = [][]any{nil}
		}
		for _, row := range rows {
			n, err := execUpdate(ctx, p.stmt, row)
			if err != nil {
				return total, toStatus(err)
			}
			add(n)
		}
	}
	if !counted {
		return -1, nil
	}
	return total, nil
}

// Cancellation and shutdown.

func (s *sqlServer) CancelFlightInfo(_ context.Context, req *flight.CancelFlightInfoRequest) (flight.CancelFlightInfoResult, error) {
	st := flight.CancelStatusNotCancellable
	for _, ep := range req.GetInfo().GetEndpoint() {
		key, ok := ticketKey(ep.GetTicket().GetTicket())
		if !ok {
			continue
		}
		s.mu.Lock()
		cancel, running := s.running[key]
		s.mu.Unlock()
		if running {
			cancel()
			st = flight.CancelStatusCancelled
		}
	}
	return flight.CancelFlightInfoResult{Status: st}, nil
}

// ticketKey returns the running-query key of a ticket.
func ticketKey(ticket []byte) (string, bool) {
	var a anypb.Any
	if err := proto.Unmarshal(ticket, &a); err != nil {
		return "", false
	}
	m, err := a.UnmarshalNew()
	if err != nil {
		return "", false
	}
	switch m := m.(type) {
	case *pb.TicketStatementQuery:
		if len(m.StatementHandle) >= handleSize {
			return "q:" + hex.EncodeToString(m.StatementHandle[:handleSize]), true
		}
	case *pb.CommandPreparedStatementQuery:
		return "p:" + hex.EncodeToString(m.PreparedStatementHandle), true
	}
	return "", false
}

// cancelAll cancels every running query.
func (s *sqlServer) cancelAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.running {
		c()
	}
}

// wait waits for every result producer to end.
func (s *sqlServer) wait() { s.active.Wait() }

// closeAll closes every prepared statement.
func (s *sqlServer) closeAll() {
	s.mu.Lock()
	ps := s.prepared
	s.prepared = map[string]*prepared{}
	s.mu.Unlock()
	for _, p := range ps {
		p.close()
	}
	s.rollbackAll()
}

// producing reports how many results are being produced; for tests.
func (s *sqlServer) producing() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.running)
}

// noCopy refuses COPY FROM STDIN and TO STDOUT, whose data only the PostgreSQL wire protocol
// carries.
func noCopy(res engine.Result) error {
	switch res.(type) {
	case engine.CopyIn, engine.CopyOut:
		return errs.New(errs.NotImplemented, "COPY FROM STDIN and TO STDOUT need the PostgreSQL wire protocol; use Flight SQL bulk ingest and queries instead")
	}
	return nil
}
