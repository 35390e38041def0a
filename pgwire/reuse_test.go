package pgwire

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/sleeperd/sleeperd/engine"
)

// TestPreparedReuseManyExecutions runs one prepared statement many times with different
// parameter values, in text and binary result formats, with NULLs among them: a Bind reuses
// the statement's last portal and its parameter values' slice, and plain columns are written
// without a writer per batch, so each execution must still see only its own values.
func TestPreparedReuseManyExecutions(t *testing.T) {
	mem := newMem(t)
	defer mem.AssertSize(t, 0)
	s, stop := startServer(t, mem)
	defer stop()
	ctx := testContext(t)
	c := s.connect(t, ctx)
	defer c.Close(ctx)
	if _, err := c.Prepare(ctx, "e", "select echo int8 text bool int4 int2"); err != nil {
		t.Fatal(err)
	}
	for i := range 300 {
		var (
			n        *int64
			str      *string
			b        *bool
			n4       *int32
			n2       *int16
			wantNull = i%7 == 3
		)
		args := []any{int64(i * 1_000_003), fmt.Sprint("v", i, "-", i*i), i%2 == 0, int32(-i), int16(i % 300)}
		if wantNull {
			args = []any{nil, nil, nil, nil, nil}
		}
		// pgx asks for binary results of these types; the text protocol check is below.
		if err := c.QueryRow(ctx, "e", args...).Scan(&n, &str, &b, &n4, &n2); err != nil {
			t.Fatalf("execution %d: %v", i, err)
		}
		if wantNull {
			if n != nil || str != nil || b != nil || n4 != nil || n2 != nil {
				t.Fatalf("execution %d: want NULLs, got %v %v %v %v %v", i, n, str, b, n4, n2)
			}
			continue
		}
		if n == nil || *n != int64(i*1_000_003) || str == nil || *str != args[1] || b == nil || *b != (i%2 == 0) ||
			n4 == nil || *n4 != int32(-i) || n2 == nil || *n2 != int16(i%300) {
			t.Fatalf("execution %d: got %v %v %v %v %v, want %v", i, n, str, b, n4, n2, args)
		}
	}
	// Text results, through the protocol's own Bind with result format 0.
	pc := c.PgConn()
	for i := range 100 {
		params := [][]byte{[]byte(strconv.Itoa(i - 50)), []byte(fmt.Sprint("t", i)), []byte("true"), []byte("7"), nil}
		if i%5 == 0 {
			params[1] = nil
		}
		res := pc.ExecPrepared(ctx, "e", params, nil, []int16{0}).Read()
		if res.Err != nil {
			t.Fatalf("text execution %d: %v", i, res.Err)
		}
		got := rawText(res.Rows[0])
		want := []string{strconv.Itoa(i - 50), fmt.Sprint("t", i), "t", "7", "NULL"}
		if i%5 == 0 {
			want[1] = "NULL"
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("text execution %d: got %q, want %q", i, got, want)
		}
	}
}

// TestPreparedReuseConcurrentSessions runs prepared statements on several connections at
// once (for the race detector: each connection's reused portals are its own).
func TestPreparedReuseConcurrentSessions(t *testing.T) {
	mem := newMem(t)
	defer mem.AssertSize(t, 0)
	s, stop := startServer(t, mem)
	defer stop()
	ctx := testContext(t)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := pgx.Connect(ctx, s.url(""))
			if err != nil {
				errs <- err
				return
			}
			defer c.Close(ctx)
			for i := range 100 {
				v := int64(w*1000 + i)
				var n int64
				var str string
				if err := c.QueryRow(ctx, "select echo int8 text", v, fmt.Sprint(v)).Scan(&n, &str); err != nil {
					errs <- err
					return
				}
				if n != v || str != fmt.Sprint(v) {
					errs <- fmt.Errorf("connection %d execution %d: %d %q", w, i, n, str)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// oneBatchStmt is an engine statement whose every execution returns the same batch (a
// reference of it), allocating nothing itself: what the allocations of an execution
// through the connection count is the protocol's own work.
type oneBatchStmt struct {
	schema *arrow.Schema
	batch  arrow.RecordBatch
	res    oneBatchResult
}

func (s *oneBatchStmt) ParamTypes() []arrow.DataType {
	return []arrow.DataType{arrow.PrimitiveTypes.Int64}
}
func (s *oneBatchStmt) Schema() *arrow.Schema { return s.schema }
func (s *oneBatchStmt) Close() error          { return nil }
func (s *oneBatchStmt) Execute(ctx context.Context, params []any) (engine.Result, error) {
	s.res = oneBatchResult{batch: s.batch}
	return &s.res, nil
}

type oneBatchResult struct {
	batch arrow.RecordBatch
	done  bool
}

func (r *oneBatchResult) Tag() string  { return "SELECT 1" }
func (r *oneBatchResult) Close() error { return nil }
func (r *oneBatchResult) Next(context.Context) (arrow.RecordBatch, error) {
	if r.done {
		return nil, io.EOF
	}
	r.done = true
	r.batch.Retain()
	return r.batch, nil
}

// oneBatchConn prepares oneBatchStmt for every text.
type oneBatchConn struct {
	fakeConn
	stmt *oneBatchStmt
}

func (c *oneBatchConn) Prepare(context.Context, string, []arrow.DataType) (engine.Statement, error) {
	return c.stmt, nil
}
func (c *oneBatchConn) Split(text string) ([]string, error) { return []string{text}, nil }
func (c *oneBatchConn) Close() error                        { return nil }

// TestExecutePreparedAllocations counts the allocations of a Bind, Execute and Sync of a
// prepared statement with an int8 parameter and a row of bigint, text and boolean columns:
// the portal and its parameter values' slice are reused from the statement's last
// execution, as is the context of the last uncancelled portal, and such columns are written
// without writers built per batch: what is left is the decoded parameter. Without the reuse
// the bound is exceeded.
func TestExecutePreparedAllocations(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "b", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
	}, nil)
	batch, err := buildBatch(mem, schema, [][]any{{int64(42), "forty-two", true}})
	if err != nil {
		t.Fatal(err)
	}
	defer batch.Release()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv, err := NewServer(Config{Connect: func(context.Context, string, string) (engine.Conn, error) { return nil, nil }})
	if err != nil {
		t.Fatal(err)
	}
	c := &conn{srv: srv, ctx: ctx, tx: txIdle, be: pgproto3.NewBackend(nil, io.Discard),
		ec:    &oneBatchConn{stmt: &oneBatchStmt{schema: schema, batch: batch}},
		stmts: map[string]*prepared{}, portals: map[string]*portal{}}
	defer c.release()
	if err := c.handle(&pgproto3.Parse{Name: "q", Query: "q"}); err != nil {
		t.Fatal(err)
	}
	bind := &pgproto3.Bind{PreparedStatement: "q", Parameters: [][]byte{[]byte("123456")}}
	execute, sync := &pgproto3.Execute{}, &pgproto3.Sync{}
	run := func() {
		for _, m := range []pgproto3.FrontendMessage{bind, execute, sync} {
			if err := c.handle(m); err != nil {
				t.Fatal(err)
			}
		}
		if c.skipping {
			t.Fatal("an extended-query message failed")
		}
	}
	run()
	for _, formats := range [][]int16{nil, {1}} {
		bind.ResultFormatCodes = formats
		allocs := testing.AllocsPerRun(200, run)
		t.Logf("result formats %v: %.1f allocations per execution", formats, allocs)
		if allocs > 2 {
			t.Errorf("result formats %v: %.1f allocations per execution, want at most 2", formats, allocs)
		}
	}
}
