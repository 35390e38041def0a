package pgwire

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/sleeperd/sleeperd/engine"
	"github.com/sleeperd/sleeperd/types"
)

// testTimeout bounds every network wait in these tests.
const testTimeout = 30 * time.Second

// testServer is a server on a loopback port over a fakeDB.
type testServer struct {
	srv  *Server
	db   *fakeDB
	addr string
}

// startServer starts a server on 127.0.0.1:0. The returned stop shuts it down and checks that
// every engine connection was closed; defer it after mem.AssertSize so it runs first.
func startServer(t *testing.T, mem memory.Allocator) (*testServer, func()) {
	t.Helper()
	db := newFakeDB(mem)
	srv, addr, shutdown := serveLoopback(t, db.connect)
	stop := func() {
		shutdown()
		if n := db.openConns(); n != 0 {
			t.Errorf("%d engine connections left open", n)
		}
	}
	return &testServer{srv: srv, db: db, addr: addr}, stop
}

// serveLoopback starts a server with connect on 127.0.0.1:0 and returns it, its address and a
// function that shuts it down and checks Serve ended with ErrClosed.
func serveLoopback(t *testing.T, connect func(ctx context.Context, user, database string) (engine.Conn, error)) (*Server, string, func()) {
	t.Helper()
	return serveConfig(t, Config{Connect: connect})
}

// serveConfig is serveLoopback for a server made with cfg.
func serveConfig(t *testing.T, cfg Config) (*Server, string, func()) {
	t.Helper()
	srv, err := NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	shutdown := func() {
		ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		if err := <-served; !errors.Is(err, ErrClosed) {
			t.Errorf("Serve returned %v, want ErrClosed", err)
		}
	}
	return srv, ln.Addr().String(), shutdown
}

func (s *testServer) url(opts string) string {
	return fmt.Sprintf("postgres://alice@%s/db?%s", s.addr, opts)
}

func (s *testServer) connect(t *testing.T, ctx context.Context) *pgx.Conn {
	t.Helper()
	c, err := pgx.Connect(ctx, s.url("sslmode=disable"))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

func newMem(t *testing.T) *memory.CheckedAllocator {
	return memory.NewCheckedAllocator(memory.NewGoAllocator())
}

// rawText is the row's values as text, with NULL for nulls.
func rawText(values [][]byte) []string {
	out := make([]string, len(values))
	for i, v := range values {
		if v == nil {
			out[i] = "NULL"
		} else {
			out[i] = string(v)
		}
	}
	return out
}

func wantTypesText() [][]string {
	rows := append([][]string(nil), typesText...)
	nulls := make([]string, len(typesText[0]))
	for i := range nulls {
		nulls[i] = "NULL"
	}
	return append(rows, nulls)
}

func checkRows(t *testing.T, got, want [][]string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d rows %q, want %d rows %q", len(got), got, len(want), want)
	}
	for i := range want {
		if strings.Join(got[i], "|") != strings.Join(want[i], "|") {
			t.Errorf("row %d:\n got %q\nwant %q", i, got[i], want[i])
		}
	}
}

func TestPgxSimpleProtocolText(t *testing.T) {
	mem := newMem(t)
	defer mem.AssertSize(t, 0)
	s, stop := startServer(t, mem)
	defer stop()
	ctx := testContext(t)
	c := s.connect(t, ctx)
	defer c.Close(ctx)

	for _, q := range []string{"select types", "select floats"} {
		rows, err := c.Query(ctx, q, pgx.QueryExecModeSimpleProtocol)
		if err != nil {
			t.Fatal(err)
		}
		var got [][]string
		for rows.Next() {
			got = append(got, rawText(rows.RawValues()))
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		for _, fd := range rows.FieldDescriptions() {
			if fd.Format != 0 {
				t.Errorf("%s: column %s in format %d, want text", q, fd.Name, fd.Format)
			}
		}
		want := wantTypesText()
		if q == "select floats" {
			want = nil
			for _, c := range floatCases {
				want = append(want, []string{c.F8Text, c.F4Text})
			}
		}
		checkRows(t, got, want)
		if tag := rows.CommandTag().String(); tag != fmt.Sprintf("SELECT %d", len(want)) {
			t.Errorf("%s: tag %q", q, tag)
		}
	}

	// Decoded by pgx from text.
	var f8 float64
	var d, ts time.Time
	var n pgtype.Numeric
	err := c.QueryRow(ctx, "select types", pgx.QueryExecModeSimpleProtocol).Scan(nil, nil, nil, nil, nil, &f8, &n, nil, nil, &d, &ts, nil)
	if err != nil {
		t.Fatal(err)
	}
	if f8 != 1e15 || !d.Equal(date(2024, 1, 2)) || !ts.Equal(time.Date(2024, 1, 2, 3, 4, 5, 120000000, time.UTC)) {
		t.Errorf("scanned %v %v %v", f8, d, ts)
	}
	if v, _ := n.Value(); v != "1.50" {
		t.Errorf("numeric scanned as %v", v)
	}
}

func TestExtendedTextAndBinaryFormats(t *testing.T) {
	mem := newMem(t)
	defer mem.AssertSize(t, 0)
	s, stop := startServer(t, mem)
	defer stop()
	ctx := testContext(t)
	c := s.connect(t, ctx)
	defer c.Close(ctx)
	pc := c.PgConn()

	res := pc.ExecParams(ctx, "select types", nil, nil, nil, []int16{0}).Read()
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	var got [][]string
	for _, r := range res.Rows {
		got = append(got, rawText(r))
	}
	checkRows(t, got, wantTypesText())

	// Binary forms of the columns PostgreSQL 15's *_send functions were asked about:
	// date_send('2024-01-02'), numeric_send(1.50::numeric(10,2)), timestamp_send(...), ...
	res = pc.ExecParams(ctx, "select types", nil, nil, nil, []int16{1}).Read()
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	for _, c := range []struct {
		row, col int
		hex      string
	}{
		{0, 0, "01"},
		{0, 1, "8000"},
		{0, 2, "7fffffff"},
		{0, 3, "8000000000000000"},
		{0, 6, "000200000000000200011388"},
		{0, 7, hex.EncodeToString([]byte("hello"))},
		{0, 8, "00ff10"},
		{0, 9, "0000223f"},
		{0, 10, "0002b0ec8517c800"},
		{1, 6, "0001ffff4000000201f4"},
		{1, 8, ""},
		{1, 9, "fff49d7b"},
		{1, 11, "ff1af9e8fb46d000"},
	} {
		if got := hex.EncodeToString(res.Rows[c.row][c.col]); got != c.hex {
			t.Errorf("row %d column %d: %s, want %s", c.row, c.col, got, c.hex)
		}
	}
	if res.Rows[1][8] == nil || res.Rows[2][8] != nil {
		t.Errorf("empty bytea and NULL confused: %q %q", res.Rows[1][8], res.Rows[2][8])
	}
	wantOIDs := []uint32{16, 21, 23, 20, 700, 701, 1700, 25, 17, 1082, 1114, 1184}
	for i, fd := range res.FieldDescriptions {
		if fd.DataTypeOID != wantOIDs[i] || fd.Format != 1 {
			t.Errorf("column %s: oid %d format %d, want oid %d binary", fd.Name, fd.DataTypeOID, fd.Format, wantOIDs[i])
		}
	}
	if mod := res.FieldDescriptions[6].TypeModifier; mod != (10<<16|2)+4 {
		t.Errorf("numeric(10,2) typmod %d", mod)
	}

	// Mixed formats: one code per column.
	formats := []int16{0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1}
	res = pc.ExecParams(ctx, "select types", nil, nil, nil, formats).Read()
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	if string(res.Rows[0][0]) != "t" || hex.EncodeToString(res.Rows[0][1]) != "8000" {
		t.Errorf("mixed formats: %q %x", res.Rows[0][0], res.Rows[0][1])
	}
	res = pc.ExecParams(ctx, "select types", nil, nil, nil, []int16{0, 1}).Read()
	var pgErr *pgconn.PgError
	if !errors.As(res.Err, &pgErr) || pgErr.Code != "08P01" {
		t.Errorf("two formats for twelve columns: %v", res.Err)
	}
}

func TestPgxBinaryResults(t *testing.T) {
	mem := newMem(t)
	defer mem.AssertSize(t, 0)
	s, stop := startServer(t, mem)
	defer stop()
	ctx := testContext(t)
	c := s.connect(t, ctx)
	defer c.Close(ctx)

	rows, err := c.Query(ctx, "select types")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got [][]any
	for rows.Next() {
		var (
			b    *bool
			i2   *int16
			i4   *int32
			i8   *int64
			f4   *float32
			f8   *float64
			n    pgtype.Numeric
			s    *string
			by   []byte
			d    *time.Time
			ts   *time.Time
			tstz *time.Time
		)
		if err := rows.Scan(&b, &i2, &i4, &i8, &f4, &f8, &n, &s, &by, &d, &ts, &tstz); err != nil {
			t.Fatal(err)
		}
		nv, _ := n.Value()
		got = append(got, []any{b, i2, i4, i8, f4, f8, nv, s, by, d, ts, tstz})
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for _, fd := range rows.FieldDescriptions() {
		// pgx asks for text as text, everything else in binary.
		if fd.DataTypeOID != types.OIDText && fd.Format != 1 {
			t.Errorf("column %s in format %d, want binary", fd.Name, fd.Format)
		}
	}
	if len(got) != 3 {
		t.Fatalf("got %d rows", len(got))
	}
	r0 := got[0]
	if !*r0[0].(*bool) || *r0[1].(*int16) != -32768 || *r0[2].(*int32) != math.MaxInt32 || *r0[3].(*int64) != math.MinInt64 ||
		*r0[4].(*float32) != 123456 || *r0[5].(*float64) != 1e15 || r0[6] != "1.50" || *r0[7].(*string) != "hello" ||
		hex.EncodeToString(r0[8].([]byte)) != "00ff10" || !r0[9].(*time.Time).Equal(date(2024, 1, 2)) ||
		!r0[10].(*time.Time).Equal(time.Date(2024, 1, 2, 3, 4, 5, 120000000, time.UTC)) ||
		!r0[11].(*time.Time).Equal(time.Date(2024, 1, 2, 3, 4, 5, 1000, time.UTC)) {
		t.Errorf("row 0: %v", r0)
	}
	r1 := got[1]
	if r1[6] != "-0.05" || *r1[7].(*string) != "a'b é" || r1[8] == nil || len(r1[8].([]byte)) != 0 ||
		!r1[9].(*time.Time).Equal(date(-43, 3, 15)) || !r1[11].(*time.Time).Equal(time.Date(-43, 3, 15, 12, 0, 0, 0, time.UTC)) {
		t.Errorf("row 1: %v", r1)
	}
	r2 := got[2]
	if r2[0].(*bool) != nil || r2[3].(*int64) != nil || r2[6] != nil || r2[8].([]byte) != nil || r2[11].(*time.Time) != nil {
		t.Errorf("row 2 not all NULL: %v", r2)
	}
}

func TestPgxParameters(t *testing.T) {
	mem := newMem(t)
	defer mem.AssertSize(t, 0)
	s, stop := startServer(t, mem)
	defer stop()
	ctx := testContext(t)
	c := s.connect(t, ctx)
	defer c.Close(ctx)

	ts := time.Date(2024, 1, 2, 3, 4, 5, 123456000, time.UTC)
	const q = "select echo int2 int4 int8 float4 float8 numeric text bytea bool date timestamp timestamptz"
	var (
		i2  int16
		i4  int32
		i8  int64
		f4  float32
		f8  float64
		n   float64
		str string
		by  []byte
		b   bool
		d   time.Time
		t1  time.Time
		t2  time.Time
	)
	err := c.QueryRow(ctx, q, int16(-7), int32(1<<30), int64(-1<<40), float32(1.5), 1e-300, "12.345", "hé", []byte{1, 2},
		true, date(-43, 3, 15), ts, ts).Scan(&i2, &i4, &i8, &f4, &f8, &n, &str, &by, &b, &d, &t1, &t2)
	if err != nil {
		t.Fatal(err)
	}
	if i2 != -7 || i4 != 1<<30 || i8 != -1<<40 || f4 != 1.5 || f8 != 1e-300 || n != 12.345 || str != "hé" ||
		string(by) != "\x01\x02" || !b || !d.Equal(date(-43, 3, 15)) || !t1.Equal(ts) || !t2.Equal(ts) {
		t.Errorf("echoed %v %v %v %v %v %v %q %x %v %v %v %v", i2, i4, i8, f4, f8, n, str, by, b, d, t1, t2)
	}

	// NULL parameters come back as NULL.
	var np *int64
	var ns *string
	if err := c.QueryRow(ctx, "select echo int8 text", nil, nil).Scan(&np, &ns); err != nil || np != nil || ns != nil {
		t.Errorf("NULL params: %v %v %v", np, ns, err)
	}

	// Text-format parameters with inferred types, results in text.
	pc := c.PgConn()
	params := [][]byte{[]byte("-7"), []byte("1.5"), []byte("12.5"), []byte("on"), []byte("0044-03-15 BC"),
		[]byte("2024-01-02 03:04:05.12"), []byte("2024-01-02 05:04:05+02"), []byte(`\x00ff`), []byte("x"), nil}
	res := pc.ExecParams(ctx, "select echo int4 float8 numeric bool date timestamp timestamptz bytea text text",
		params, nil, nil, nil).Read()
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	checkRows(t, [][]string{rawText(res.Rows[0])}, [][]string{{"-7", "1.5", "12.500", "t", "0044-03-15 BC",
		"2024-01-02 03:04:05.12", "2024-01-02 03:04:05+00", `\x00ff`, "x", "NULL"}})

	// Declared parameter types win over inferred ones, and are described back.
	sd, err := pc.Prepare(ctx, "", "select echo int4 text", []uint32{20, 1043})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(sd.ParamOIDs) != "[20 1043]" || sd.Fields[0].DataTypeOID != 20 {
		t.Errorf("described params %v, fields %v", sd.ParamOIDs, sd.Fields)
	}

	// A bad text parameter fails the Bind; the connection goes on.
	res = pc.ExecParams(ctx, "select echo int8", [][]byte{[]byte("abc")}, nil, nil, nil).Read()
	var pgErr *pgconn.PgError
	if !errors.As(res.Err, &pgErr) || pgErr.Code != "22P02" || pgErr.Message != `invalid input syntax for type bigint: "abc"` {
		t.Errorf("bad parameter: %v", res.Err)
	}
	res = pc.ExecParams(ctx, "select echo int8", [][]byte{{0, 0, 0, 0, 0, 0, 0, 9}}, nil, []int16{1}, []int16{0}).Read()
	if res.Err != nil || string(res.Rows[0][0]) != "9" {
		t.Errorf("binary int8 parameter: %v %q", res.Err, res.Rows)
	}
	res = pc.ExecParams(ctx, "select echo int8", [][]byte{{1, 2, 3}}, nil, []int16{1}, nil).Read()
	if !errors.As(res.Err, &pgErr) || pgErr.Code != "22P03" {
		t.Errorf("three-byte int8 parameter: %v", res.Err)
	}
	res = pc.ExecParams(ctx, "select echo int8", nil, nil, nil, nil).Read()
	if !errors.As(res.Err, &pgErr) || pgErr.Code != "08P01" {
		t.Errorf("missing parameter: %v", res.Err)
	}
}

func TestErrorsKeepConnection(t *testing.T) {
	mem := newMem(t)
	defer mem.AssertSize(t, 0)
	s, stop := startServer(t, mem)
	defer stop()
	ctx := testContext(t)
	c := s.connect(t, ctx)
	defer c.Close(ctx)

	for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeSimpleProtocol, pgx.QueryExecModeCacheStatement, pgx.QueryExecModeExec} {
		for _, e := range []struct {
			sql      string
			code     string
			msg      string
			position int32
		}{
			{"select * from missing", "42P01", `relation "missing" does not exist`, 15},
			{"frobnicate the data", "42601", `syntax error at or near "frobnicate"`, 1},
			{"select fail", "22012", "division by zero", 0},
			{"select (((", "42601", `syntax error at or near "("`, 8},
			{"select panic", "XX000", "internal error: engine bug", 0},
		} {
			rows, err := c.Query(ctx, e.sql, mode)
			if err == nil {
				for rows.Next() {
				}
				err = rows.Err()
			}
			var pgErr *pgconn.PgError
			if !errors.As(err, &pgErr) {
				t.Fatalf("%v %q: got %v, want a PgError", mode, e.sql, err)
			}
			if pgErr.Code != e.code || pgErr.Message != e.msg || pgErr.Position != e.position || pgErr.Severity != "ERROR" {
				t.Errorf("%v %q: got %s %q at %d (%s)", mode, e.sql, pgErr.Code, pgErr.Message, pgErr.Position, pgErr.Severity)
			}
			var n int64
			if err := c.QueryRow(ctx, "select series 1", mode).Scan(&n); err != nil || n != 1 {
				t.Errorf("%v: query after error: %v %v", mode, n, err)
			}
		}
	}

	// In a simple query string, an error aborts the statements after it.
	results, err := c.PgConn().Exec(ctx, "select series 2; create table t; select * from missing; select series 1").ReadAll()
	var pgErr *pgconn.PgError
	if len(results) != 2 || !errors.As(err, &pgErr) || pgErr.Code != "42P01" {
		t.Fatalf("got %d results, error %v", len(results), err)
	}
	if results[0].CommandTag.String() != "SELECT 2" || len(results[0].Rows) != 2 || results[1].CommandTag.String() != "CREATE TABLE" {
		t.Errorf("results %v %v", results[0].CommandTag, results[1].CommandTag)
	}
}

func TestPreparedStatementReuse(t *testing.T) {
	mem := newMem(t)
	defer mem.AssertSize(t, 0)
	s, stop := startServer(t, mem)
	defer stop()
	ctx := testContext(t)
	c := s.connect(t, ctx)
	defer c.Close(ctx)

	sd, err := c.Prepare(ctx, "twice", "select echo int8 text")
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(sd.ParamOIDs) != "[20 25]" || len(sd.Fields) != 2 || sd.Fields[1].DataTypeOID != 25 {
		t.Errorf("description %v %v", sd.ParamOIDs, sd.Fields)
	}
	for i := int64(0); i < 5; i++ {
		var n int64
		var s string
		if err := c.QueryRow(ctx, "twice", i, fmt.Sprint("v", i)).Scan(&n, &s); err != nil || n != i || s != fmt.Sprint("v", i) {
			t.Errorf("execution %d: %v %q %v", i, n, s, err)
		}
	}
	// The statement cache reuses its statement too.
	for i := 0; i < 3; i++ {
		var n int64
		if err := c.QueryRow(ctx, "select series 4").Scan(&n); err != nil || n != 1 {
			t.Errorf("cached execution %d: %v %v", i, n, err)
		}
	}
	if err := c.Deallocate(ctx, "twice"); err != nil {
		t.Fatal(err)
	}
	var pgErr *pgconn.PgError
	res := c.PgConn().ExecPrepared(ctx, "twice", [][]byte{nil, nil}, nil, nil).Read()
	if !errors.As(res.Err, &pgErr) || pgErr.Code != "26000" {
		t.Errorf("closed statement: %v", res.Err)
	}
	_, err = c.PgConn().Prepare(ctx, "dup", "select series 1", nil)
	if err == nil {
		_, err = c.PgConn().Prepare(ctx, "dup", "select series 1", nil)
	}
	if !errors.As(err, &pgErr) || pgErr.Code != "42P05" {
		t.Errorf("duplicate statement: %v", err)
	}
}

// rawConn speaks the protocol through pgproto3.Frontend, for what drivers do not expose.
type rawConn struct {
	t  *testing.T
	nc net.Conn
	fe *pgproto3.Frontend
}

func dialRaw(t *testing.T, addr string, params map[string]string) *rawConn {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, testTimeout)
	if err != nil {
		t.Fatal(err)
	}
	nc.SetDeadline(time.Now().Add(testTimeout))
	r := &rawConn{t: t, nc: nc, fe: pgproto3.NewFrontend(nc, nc)}
	t.Cleanup(func() { nc.Close() })
	if params != nil {
		r.send(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersion30, Parameters: params})
	}
	return r
}

func (r *rawConn) send(msgs ...pgproto3.FrontendMessage) {
	r.t.Helper()
	for _, m := range msgs {
		r.fe.Send(m)
	}
	if err := r.fe.Flush(); err != nil {
		r.t.Fatal(err)
	}
}

// recv summarises the messages received up to and including one of type T.
func recvUntil[T pgproto3.BackendMessage](r *rawConn) []string {
	r.t.Helper()
	var out []string
	for {
		m, err := r.fe.Receive()
		if err != nil {
			r.t.Fatalf("after %q: %v", out, err)
		}
		out = append(out, summary(m))
		if _, ok := m.(T); ok {
			return out
		}
	}
}

func summary(m pgproto3.BackendMessage) string {
	switch m := m.(type) {
	case *pgproto3.DataRow:
		return "DataRow " + strings.Join(rawText(m.Values), ",")
	case *pgproto3.CommandComplete:
		return "CommandComplete " + string(m.CommandTag)
	case *pgproto3.ErrorResponse:
		if m.Position != 0 {
			return fmt.Sprintf("Error %s %s at %d", m.Severity, m.Code, m.Position)
		}
		return "Error " + m.Severity + " " + m.Code
	case *pgproto3.ReadyForQuery:
		return "ReadyForQuery " + string(m.TxStatus)
	case *pgproto3.RowDescription:
		var fs []string
		for _, f := range m.Fields {
			fs = append(fs, fmt.Sprintf("%s:%d:%d", f.Name, f.DataTypeOID, f.Format))
		}
		return "RowDescription " + strings.Join(fs, ",")
	case *pgproto3.ParameterDescription:
		return fmt.Sprint("ParameterDescription ", m.ParameterOIDs)
	case *pgproto3.ParameterStatus:
		return "ParameterStatus " + m.Name + "=" + m.Value
	case *pgproto3.BackendKeyData:
		return "BackendKeyData"
	}
	return strings.TrimPrefix(fmt.Sprintf("%T", m), "*pgproto3.")
}

func checkMessages(t *testing.T, what string, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s:\n got %q\nwant %q", what, got, want)
	}
}

func TestRawProtocol(t *testing.T) {
	mem := newMem(t)
	defer mem.AssertSize(t, 0)
	s, stop := startServer(t, mem)
	defer stop()
	r := dialRaw(t, s.addr, map[string]string{"user": "raw", "database": "db", "application_name": "rawtest"})
	checkMessages(t, "startup", recvUntil[*pgproto3.ReadyForQuery](r), []string{
		"AuthenticationOk",
		"ParameterStatus server_version=15.0 (sleeperd)",
		"ParameterStatus server_encoding=UTF8",
		"ParameterStatus client_encoding=UTF8",
		"ParameterStatus DateStyle=ISO, MDY",
		"ParameterStatus integer_datetimes=on",
		"ParameterStatus TimeZone=UTC",
		"ParameterStatus standard_conforming_strings=on",
		"ParameterStatus IntervalStyle=postgres",
		"ParameterStatus application_name=rawtest",
		"ParameterStatus is_superuser=off",
		"ParameterStatus default_transaction_read_only=off",
		"ParameterStatus in_hot_standby=off",
		"ParameterStatus session_authorization=raw",
		"BackendKeyData",
		"ReadyForQuery I",
	})

	t.Run("row limit suspends the portal", func(t *testing.T) {
		r.t = t
		r.send(
			&pgproto3.Parse{Query: "select series 7"},
			&pgproto3.Bind{DestinationPortal: "p"},
			&pgproto3.Describe{ObjectType: 'P', Name: "p"},
			&pgproto3.Execute{Portal: "p", MaxRows: 3},
			&pgproto3.Flush{},
		)
		checkMessages(t, "first execute", recvUntil[*pgproto3.PortalSuspended](r), []string{
			"ParseComplete", "BindComplete", "RowDescription n:20:0",
			"DataRow 1", "DataRow 2", "DataRow 3", "PortalSuspended",
		})
		// PostgreSQL 15 answers the same (checked with select generate_series(1, 7)).
		r.send(&pgproto3.Execute{Portal: "p", MaxRows: 3}, &pgproto3.Execute{Portal: "p", MaxRows: 3},
			&pgproto3.Execute{Portal: "p", MaxRows: 3}, &pgproto3.Sync{})
		checkMessages(t, "later executes", recvUntil[*pgproto3.ReadyForQuery](r), []string{
			"DataRow 4", "DataRow 5", "DataRow 6", "PortalSuspended", "DataRow 7", "CommandComplete SELECT 1",
			"CommandComplete SELECT 0", "ReadyForQuery I",
		})
		// Sync ended the portal.
		r.send(&pgproto3.Execute{Portal: "p"}, &pgproto3.Sync{})
		checkMessages(t, "after sync", recvUntil[*pgproto3.ReadyForQuery](r), []string{"Error ERROR 34000", "ReadyForQuery I"})
	})

	t.Run("closing a suspended portal", func(t *testing.T) {
		r.t = t
		r.send(
			&pgproto3.Parse{Name: "s", Query: "select series 10"},
			&pgproto3.Bind{PreparedStatement: "s", DestinationPortal: "a", ResultFormatCodes: []int16{1}},
			&pgproto3.Bind{PreparedStatement: "s", DestinationPortal: "b"},
			&pgproto3.Execute{Portal: "a", MaxRows: 1},
			&pgproto3.Execute{Portal: "b", MaxRows: 2},
			&pgproto3.Close{ObjectType: 'P', Name: "a"},
			&pgproto3.Close{ObjectType: 'S', Name: "s"},
			&pgproto3.Execute{Portal: "b", MaxRows: 1},
			&pgproto3.Sync{},
		)
		checkMessages(t, "two portals", recvUntil[*pgproto3.ReadyForQuery](r), []string{
			"ParseComplete", "BindComplete", "BindComplete",
			"DataRow \x00\x00\x00\x00\x00\x00\x00\x01", "PortalSuspended",
			"DataRow 1", "DataRow 2", "PortalSuspended",
			"CloseComplete", "CloseComplete",
			"DataRow 3", "PortalSuspended", "ReadyForQuery I",
		})
	})

	t.Run("describing portals of one statement in turn", func(t *testing.T) {
		// The portals' row description is kept between Describes of the same formats.
		r.t = t
		r.send(
			&pgproto3.Parse{Name: "d", Query: "select series 1"},
			&pgproto3.Bind{PreparedStatement: "d", DestinationPortal: "t1"},
			&pgproto3.Describe{ObjectType: 'P', Name: "t1"},
			&pgproto3.Bind{PreparedStatement: "d", DestinationPortal: "b", ResultFormatCodes: []int16{1}},
			&pgproto3.Describe{ObjectType: 'P', Name: "b"},
			&pgproto3.Describe{ObjectType: 'P', Name: "t1"},
			&pgproto3.Execute{Portal: "b"},
			&pgproto3.Execute{Portal: "t1"},
			&pgproto3.Close{ObjectType: 'S', Name: "d"},
			&pgproto3.Sync{},
		)
		checkMessages(t, "describes", recvUntil[*pgproto3.ReadyForQuery](r), []string{
			"ParseComplete", "BindComplete", "RowDescription n:20:0",
			"BindComplete", "RowDescription n:20:1", "RowDescription n:20:0",
			"DataRow \x00\x00\x00\x00\x00\x00\x00\x01", "CommandComplete SELECT 1",
			"DataRow 1", "CommandComplete SELECT 1", "CloseComplete", "ReadyForQuery I",
		})
	})

	t.Run("describe statement", func(t *testing.T) {
		r.t = t
		r.send(
			&pgproto3.Parse{Name: "e", Query: "select echo int8 date", ParameterOIDs: []uint32{0, 1043}},
			&pgproto3.Describe{ObjectType: 'S', Name: "e"},
			&pgproto3.Parse{Name: "c", Query: "create table t"},
			&pgproto3.Describe{ObjectType: 'S', Name: "c"},
			&pgproto3.Bind{PreparedStatement: "c"},
			&pgproto3.Describe{ObjectType: 'P'},
			&pgproto3.Execute{},
			&pgproto3.Close{ObjectType: 'S', Name: "nonexistent"},
			&pgproto3.Sync{},
		)
		checkMessages(t, "describe", recvUntil[*pgproto3.ReadyForQuery](r), []string{
			// A type the client gave is reported as given (varchar), as PostgreSQL does: the
			// JDBC driver rejects a batch whose statement comes back with another type.
			"ParseComplete", "ParameterDescription [20 1043]", "RowDescription p1:20:0,p2:25:0",
			"ParseComplete", "ParameterDescription []", "NoData",
			"BindComplete", "NoData", "CommandComplete CREATE TABLE", "CloseComplete", "ReadyForQuery I",
		})
	})

	t.Run("error skips to sync", func(t *testing.T) {
		r.t = t
		r.send(
			&pgproto3.Parse{Query: "\n  select * from missing"},
			&pgproto3.Bind{},
			&pgproto3.Execute{},
			&pgproto3.Parse{Query: "select series 1"},
			&pgproto3.Query{String: "select series 1"},
			&pgproto3.Sync{},
			&pgproto3.Parse{Query: "select series 1"},
			&pgproto3.Bind{},
			&pgproto3.Execute{},
			&pgproto3.Sync{},
		)
		checkMessages(t, "error", recvUntil[*pgproto3.ReadyForQuery](r), []string{"Error ERROR 42P01 at 18", "ReadyForQuery I"})
		checkMessages(t, "after sync", recvUntil[*pgproto3.ReadyForQuery](r), []string{
			"ParseComplete", "BindComplete", "DataRow 1", "CommandComplete SELECT 1", "ReadyForQuery I",
		})
	})

	t.Run("empty queries", func(t *testing.T) {
		r.t = t
		r.send(&pgproto3.Query{String: " ; "})
		checkMessages(t, "simple", recvUntil[*pgproto3.ReadyForQuery](r), []string{"EmptyQueryResponse", "ReadyForQuery I"})
		r.send(&pgproto3.Parse{}, &pgproto3.Bind{}, &pgproto3.Describe{ObjectType: 'P'}, &pgproto3.Execute{}, &pgproto3.Sync{})
		checkMessages(t, "extended", recvUntil[*pgproto3.ReadyForQuery](r), []string{
			"ParseComplete", "BindComplete", "NoData", "EmptyQueryResponse", "ReadyForQuery I",
		})
	})

	t.Run("portal outlives its replaced statement", func(t *testing.T) {
		r.t = t
		r.send(
			&pgproto3.Parse{Query: "select series 4"},
			&pgproto3.Bind{DestinationPortal: "q"},
			&pgproto3.Execute{Portal: "q", MaxRows: 1},
			&pgproto3.Parse{Query: "select echo text"},
			&pgproto3.Execute{Portal: "q", MaxRows: 1},
			&pgproto3.Bind{Parameters: [][]byte{[]byte("x")}},
			&pgproto3.Execute{},
			&pgproto3.Sync{},
		)
		checkMessages(t, "replaced", recvUntil[*pgproto3.ReadyForQuery](r), []string{
			"ParseComplete", "BindComplete", "DataRow 1", "PortalSuspended",
			"ParseComplete", "DataRow 2", "PortalSuspended",
			"BindComplete", "DataRow x", "CommandComplete SELECT 1", "ReadyForQuery I",
		})
	})

	t.Run("error positions count characters of the whole query", func(t *testing.T) {
		r.t = t
		r.send(&pgproto3.Query{String: "create table é;\nselect * from missing"})
		m := recvUntil[*pgproto3.ReadyForQuery](r)
		checkMessages(t, "query", m, []string{"CommandComplete CREATE TABLE", "Error ERROR 42P01 at 31", "ReadyForQuery I"})
	})

	t.Run("transaction status", func(t *testing.T) {
		r.t = t
		for _, c := range []struct {
			sql    string
			status string
		}{
			{"begin", "T"}, {"select series 1", "T"}, {"select * from missing", "E"}, {"rollback", "I"},
			{"begin", "T"}, {"commit", "I"}, {"select * from missing", "I"},
		} {
			r.send(&pgproto3.Query{String: c.sql})
			got := recvUntil[*pgproto3.ReadyForQuery](r)
			if last := got[len(got)-1]; last != "ReadyForQuery "+c.status {
				t.Errorf("after %q: %s, want status %s", c.sql, last, c.status)
			}
		}
		// Portals outlive Sync inside a transaction block.
		r.send(&pgproto3.Query{String: "begin"})
		recvUntil[*pgproto3.ReadyForQuery](r)
		r.send(&pgproto3.Parse{Query: "select series 3"}, &pgproto3.Bind{DestinationPortal: "c"},
			&pgproto3.Execute{Portal: "c", MaxRows: 2}, &pgproto3.Sync{})
		recvUntil[*pgproto3.ReadyForQuery](r)
		r.send(&pgproto3.Execute{Portal: "c", MaxRows: 2}, &pgproto3.Sync{}, &pgproto3.Query{String: "commit"})
		checkMessages(t, "portal in a transaction", recvUntil[*pgproto3.ReadyForQuery](r), []string{
			"DataRow 3", "CommandComplete SELECT 1", "ReadyForQuery T",
		})
		recvUntil[*pgproto3.ReadyForQuery](r)
	})

	t.Run("multiple statements in Parse", func(t *testing.T) {
		r.t = t
		r.send(&pgproto3.Parse{Query: "select series 1; select series 2"}, &pgproto3.Sync{})
		checkMessages(t, "parse", recvUntil[*pgproto3.ReadyForQuery](r), []string{"Error ERROR 42601", "ReadyForQuery I"})
	})

	t.Run("terminate", func(t *testing.T) {
		r.t = t
		r.send(&pgproto3.Terminate{})
		if _, err := r.fe.Receive(); err == nil {
			t.Error("connection still open after Terminate")
		}
		select {
		case <-s.db.closed:
		case <-time.After(testTimeout):
			t.Fatal("engine connection not closed after Terminate")
		}
	})
}

func TestStartup(t *testing.T) {
	mem := newMem(t)
	defer mem.AssertSize(t, 0)
	s, stop := startServer(t, mem)
	defer stop()
	ctx := testContext(t)

	t.Run("SSLRequest is declined", func(t *testing.T) {
		r := dialRaw(t, s.addr, nil)
		r.send(&pgproto3.SSLRequest{})
		b := make([]byte, 1)
		if _, err := r.nc.Read(b); err != nil || b[0] != 'N' {
			t.Fatalf("answer %q, %v", b, err)
		}
		r.send(&pgproto3.GSSEncRequest{})
		if _, err := r.nc.Read(b); err != nil || b[0] != 'N' {
			t.Fatalf("answer %q, %v", b, err)
		}
		r.send(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersion30, Parameters: map[string]string{"user": "u"}})
		got := recvUntil[*pgproto3.ReadyForQuery](r)
		if got[0] != "AuthenticationOk" || got[len(got)-1] != "ReadyForQuery I" {
			t.Errorf("startup after SSLRequest: %q", got)
		}
	})

	t.Run("sslmode prefer connects", func(t *testing.T) {
		c, err := pgx.Connect(ctx, s.url("sslmode=prefer"))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close(ctx)
		var n int64
		if err := c.QueryRow(ctx, "select series 1").Scan(&n); err != nil || n != 1 {
			t.Errorf("query: %v %v", n, err)
		}
	})

	t.Run("sslmode require fails", func(t *testing.T) {
		c, err := pgx.Connect(ctx, s.url("sslmode=require"))
		if err == nil {
			c.Close(ctx)
			t.Fatal("connected without TLS")
		}
		if !strings.Contains(err.Error(), "refused TLS") {
			t.Errorf("error %v", err)
		}
	})

	t.Run("protocol 3.2 is negotiated down", func(t *testing.T) {
		c, err := pgx.Connect(ctx, s.url("sslmode=disable&max_protocol_version=3.2"))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close(ctx)
		var n int64
		if err := c.QueryRow(ctx, "select series 1").Scan(&n); err != nil || n != 1 {
			t.Errorf("query: %v %v", n, err)
		}
	})

	t.Run("connect error is fatal", func(t *testing.T) {
		_, err := pgx.Connect(ctx, fmt.Sprintf("postgres://alice@%s/nodb?sslmode=disable", s.addr))
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) || pgErr.Severity != "FATAL" || pgErr.Code != "22023" {
			t.Errorf("error %v", err)
		}
	})

	t.Run("no user", func(t *testing.T) {
		r := dialRaw(t, s.addr, map[string]string{"database": "db"})
		checkMessages(t, "startup", recvUntil[*pgproto3.ErrorResponse](r), []string{"Error FATAL 28000"})
	})
}

func TestCancelRequest(t *testing.T) {
	mem := newMem(t)
	defer mem.AssertSize(t, 0)
	s, stop := startServer(t, mem)
	defer stop()
	s.db.sleeping = make(chan struct{}, 1)
	ctx := testContext(t)
	c := s.connect(t, ctx)
	defer c.Close(ctx)

	cancelled := make(chan error, 1)
	go func() {
		select {
		case <-s.db.sleeping:
			cancelled <- c.PgConn().CancelRequest(ctx)
		case <-ctx.Done():
			cancelled <- ctx.Err()
		}
	}()
	_, err := c.Exec(ctx, "select sleep")
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "57014" || pgErr.Message != "canceling statement due to user request" {
		t.Errorf("cancelled query: %v", err)
	}
	if err := <-cancelled; err != nil {
		t.Errorf("CancelRequest: %v", err)
	}
	var n int64
	if err := c.QueryRow(ctx, "select series 1").Scan(&n); err != nil || n != 1 {
		t.Errorf("query after cancel: %v %v", n, err)
	}
}

// TestCancelRequestKeptContext cancels prepared statements again and again on one
// connection, between executions of another: a Bind reuses the context of the last finished
// portal that was not cancelled, so every cancel must still reach the running execution,
// and a cancelled context must never be reused (the next execution would fail at once).
func TestCancelRequestKeptContext(t *testing.T) {
	mem := newMem(t)
	defer mem.AssertSize(t, 0)
	s, stop := startServer(t, mem)
	defer stop()
	s.db.sleeping = make(chan struct{}, 1)
	ctx := testContext(t)
	c := s.connect(t, ctx)
	defer c.Close(ctx)
	pc := c.PgConn()
	for name, sql := range map[string]string{"sleep": "select sleep", "series": "select series 4"} {
		if _, err := pc.Prepare(ctx, name, sql, nil); err != nil {
			t.Fatal(err)
		}
	}
	series := func(when string) {
		t.Helper()
		for range 3 {
			res := pc.ExecPrepared(ctx, "series", nil, nil, nil).Read()
			if res.Err != nil || len(res.Rows) != 4 {
				t.Fatalf("series %s: %d rows, %v", when, len(res.Rows), res.Err)
			}
		}
	}
	series("before the cancels")
	for i := range 3 {
		cancelled := make(chan error, 1)
		go func() {
			select {
			case <-s.db.sleeping:
				cancelled <- pc.CancelRequest(ctx)
			case <-ctx.Done():
				cancelled <- ctx.Err()
			}
		}()
		err := pc.ExecPrepared(ctx, "sleep", nil, nil, nil).Read().Err
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) || pgErr.Code != "57014" {
			t.Fatalf("cancel %d: %v", i, err)
		}
		if err := <-cancelled; err != nil {
			t.Fatalf("CancelRequest %d: %v", i, err)
		}
		series(fmt.Sprintf("after cancel %d", i))
	}
}

func TestShutdownClosesClients(t *testing.T) {
	mem := newMem(t)
	defer mem.AssertSize(t, 0)
	s, stop := startServer(t, mem)
	ctx := testContext(t)
	c := s.connect(t, ctx)
	defer c.Close(ctx)
	// A suspended portal holds a batch when the server shuts down.
	r := dialRaw(t, s.addr, map[string]string{"user": "raw"})
	recvUntil[*pgproto3.ReadyForQuery](r)
	r.send(&pgproto3.Parse{Query: "select series 5"}, &pgproto3.Bind{}, &pgproto3.Execute{MaxRows: 1}, &pgproto3.Flush{})
	recvUntil[*pgproto3.PortalSuspended](r)

	stop() // checks that both engine connections were closed
	if err := c.Ping(ctx); err == nil {
		t.Error("client still served after Shutdown")
	}
	if err := s.srv.Serve(newListener(t)); !errors.Is(err, ErrClosed) {
		t.Errorf("Serve after Shutdown: %v", err)
	}
}

func newListener(t *testing.T) net.Listener {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

func TestConcurrentConnections(t *testing.T) {
	mem := newMem(t)
	defer mem.AssertSize(t, 0)
	s, stop := startServer(t, mem)
	defer stop()
	ctx := testContext(t)

	const clients, queries = 16, 20
	var wg sync.WaitGroup
	errc := make(chan error, clients)
	for i := 0; i < clients; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := pgx.Connect(ctx, s.url("sslmode=prefer"))
			if err != nil {
				errc <- err
				return
			}
			defer c.Close(ctx)
			for j := 0; j < queries; j++ {
				mode := pgx.QueryExecModeCacheStatement
				if j%2 == 1 {
					mode = pgx.QueryExecModeSimpleProtocol
				}
				var sum, n int64
				rows, err := c.Query(ctx, fmt.Sprintf("select series %d", j+i), mode)
				if err != nil {
					errc <- err
					return
				}
				for rows.Next() {
					if err := rows.Scan(&n); err != nil {
						errc <- err
						return
					}
					sum += n
				}
				if err := rows.Err(); err != nil {
					errc <- err
					return
				}
				if k := int64(j + i); sum != k*(k+1)/2 {
					errc <- fmt.Errorf("client %d query %d: sum %d", i, j, sum)
					return
				}
				if _, err := c.Exec(ctx, "select * from missing", mode); err == nil {
					errc <- fmt.Errorf("client %d: no error", i)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Error(err)
	}
}

func TestListenAndServe(t *testing.T) {
	mem := newMem(t)
	defer mem.AssertSize(t, 0)
	db := newFakeDB(mem)
	// Find a free port, then let ListenAndServe listen on it.
	ln := newListener(t)
	addr := ln.Addr().String()
	ln.Close()
	srv, err := NewServer(Config{Addr: addr, Connect: db.connect, ServerVersion: "15.4 (test)"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(testContext(t))
	served := make(chan error, 1)
	go func() { served <- srv.ListenAndServe(ctx) }()
	for srv.Addr() == nil { // until the listener is up
		time.Sleep(time.Millisecond)
	}
	c, err := pgx.Connect(testContext(t), fmt.Sprintf("postgres://u@%s/db?sslmode=disable", srv.Addr()))
	if err != nil {
		t.Fatal(err)
	}
	if v := c.PgConn().ParameterStatus("server_version"); v != "15.4 (test)" {
		t.Errorf("server_version %q", v)
	}
	cancel()
	if err := <-served; !errors.Is(err, ErrClosed) {
		t.Errorf("ListenAndServe returned %v", err)
	}
	if n := db.openConns(); n != 0 {
		t.Errorf("%d engine connections open", n)
	}
	c.Close(testContext(t))
}

func TestNewServerValidates(t *testing.T) {
	if _, err := NewServer(Config{}); !errors.Is(err, ErrNoConnect) {
		t.Errorf("NewServer without Connect: %v", err)
	}
}
