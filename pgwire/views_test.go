package pgwire

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/sleeperd/sleeperd/engine"
	"github.com/sleeperd/sleeperd/storage/objstore"
)

// startEngineServer serves a real engine over an in-memory store on a loopback port and
// returns a URL for user alice; both are shut down when the test ends.
func startEngineServer(t *testing.T) string {
	t.Helper()
	return "postgres://alice@" + serveEngine(t, engine.Options{}) + "/db?sslmode=disable"
}

// serveEngine serves a real engine opened with opts, over opts.Store (an in-memory store if
// nil) and a checked allocator, on a loopback port and returns its address; both are shut down, and the
// allocator checked for leaks, when the test ends.
func serveEngine(t *testing.T, opts engine.Options) string {
	t.Helper()
	mem := newMem(t)
	if opts.Store == nil {
		opts.Store = objstore.NewMem()
	}
	opts.Alloc = mem
	eng, err := engine.Open(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	_, addr, shutdown := serveLoopback(t, eng.Connect)
	t.Cleanup(func() {
		shutdown()
		eng.Close()
		mem.AssertSize(t, 0)
	})
	return addr
}

// DELETE, UPDATE and INSERT on a view fail with PostgreSQL's SQLSTATE, message and detail,
// in both protocols, and the connection goes on serving.
func TestViewDMLErrors(t *testing.T) {
	ctx := testContext(t)
	c, err := pgx.Connect(ctx, startEngineServer(t))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	for _, q := range []string{
		"CREATE TABLE t (a integer PRIMARY KEY, b integer)",
		"INSERT INTO t VALUES (1, 10), (2, 20)",
		"CREATE VIEW vagg AS SELECT a, count(*) AS n FROM t GROUP BY a",
		"CREATE VIEW vsimple AS SELECT a, b FROM t WHERE a > 0",
		"CREATE VIEW vjoin AS SELECT t.a FROM t JOIN t AS u ON t.a = u.a",
		"CREATE VIEW vsub AS SELECT a FROM (SELECT a FROM t) AS s",
		"CREATE VIEW vfunc AS SELECT g FROM generate_series(1, 3) AS g",
		"CREATE VIEW vsys AS SELECT table_name FROM sleeper.files",
	} {
		if _, err := c.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	const groupBy = "Views containing GROUP BY are not automatically updatable."
	const notSingle = "Views that do not select from a single table or view are not automatically updatable."
	const simple = "Updating a table through a view is not supported yet."
	for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeSimpleProtocol, pgx.QueryExecModeCacheStatement} {
		for _, e := range []struct{ sql, code, msg, detail string }{
			{"DELETE FROM vagg", "55000", `cannot delete from view "vagg"`, groupBy},
			{"UPDATE vagg SET n = 1", "55000", `cannot update view "vagg"`, groupBy},
			{"INSERT INTO vagg VALUES (1, 2)", "55000", `cannot insert into view "vagg"`, groupBy},
			{"DELETE FROM vjoin WHERE a = 1", "55000", `cannot delete from view "vjoin"`, notSingle},
			{"UPDATE vsub SET a = 1", "55000", `cannot update view "vsub"`, notSingle},
			{"INSERT INTO vfunc VALUES (1)", "55000", `cannot insert into view "vfunc"`, notSingle},
			{"DELETE FROM vsimple WHERE a = 1", "0A000", `cannot delete from view "vsimple"`, simple},
			{"UPDATE vsimple SET b = 1", "0A000", `cannot update view "vsimple"`, simple},
			{"INSERT INTO vsimple VALUES (3, 30)", "0A000", `cannot insert into view "vsimple"`, simple},
			{"DELETE FROM vsys", "0A000", `cannot delete from view "vsys"`, simple},
			{"DELETE FROM sleeper.files", "22023", "system table sleeper.files cannot be modified", ""},
			{"INSERT INTO sleeper.files (table_name) VALUES ('x')", "22023", "system table sleeper.files cannot be modified", ""},
		} {
			_, err := c.Exec(ctx, e.sql, mode)
			var pgErr *pgconn.PgError
			if !errors.As(err, &pgErr) {
				t.Fatalf("%v %q: got %v, want a PgError", mode, e.sql, err)
			}
			if pgErr.Code != e.code || pgErr.Message != e.msg || pgErr.Detail != e.detail || pgErr.Position != 0 {
				t.Errorf("%v %q: got %s %q (%q) at %d, want %s %q (%q) without a position", mode, e.sql, pgErr.Code, pgErr.Message, pgErr.Detail, pgErr.Position, e.code, e.msg, e.detail)
			}
			var n int64
			if err := c.QueryRow(ctx, "SELECT sum(b) FROM vsimple", mode).Scan(&n); err != nil || n != 30 {
				t.Fatalf("%v: query after %q: %v %v", mode, e.sql, n, err)
			}
		}
	}
}

// A statement that panics in the engine is logged with its stack, and the client gets XX000.
func TestPanicLoggedWithStack(t *testing.T) {
	mem := newMem(t)
	defer mem.AssertSize(t, 0)
	db := newFakeDB(mem)
	var logs bytes.Buffer
	var mu sync.Mutex
	srv, err := NewServer(Config{Connect: db.connect, Logger: slog.New(slog.NewTextHandler(lockedWriter{&mu, &logs}, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
		defer cancel()
		srv.Shutdown(ctx)
		<-served
	}()
	ctx := testContext(t)
	c, err := pgx.Connect(ctx, "postgres://alice@"+ln.Addr().String()+"/db?sslmode=disable")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	_, err = c.Exec(ctx, "select panic", pgx.QueryExecModeSimpleProtocol)
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "XX000" {
		t.Fatalf("got %v, want XX000", err)
	}
	mu.Lock()
	l := logs.String()
	mu.Unlock()
	if !strings.Contains(l, "engine bug") || !strings.Contains(l, "stack=") || !strings.Contains(l, "fake_test.go") {
		t.Errorf("panic not logged with its stack:\n%s", l)
	}
}

// lockedWriter serialises writes to w.
type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
