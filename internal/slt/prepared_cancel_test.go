package slt

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// TestPreparedCancelAndTimeout runs prepared point lookups over pgwire (Bind, Execute, Sync,
// as pgbench -M prepared does) between prepared statements that a CancelRequest and
// statement_timeout stop: each stop reaches the statement running at the time, and the
// lookups before and after it return their rows (the server reuses a finished portal's
// context for the next Bind, never a cancelled one).
func TestPreparedCancelAndTimeout(t *testing.T) {
	withServer(t, func(t *testing.T, ctx context.Context, addr string) {
		conn, err := pgx.Connect(ctx, "postgres://slt@"+addr+"/slt?sslmode=disable")
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(context.Background())
		for _, q := range []string{
			"CREATE TABLE t (id bigint PRIMARY KEY, v bigint, s text) WITH (split_points = '250,500,750')",
			"INSERT INTO t SELECT i, i * 3, 'row-' || i FROM generate_series(0, 999) i",
		} {
			if _, err := conn.Exec(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		pc := conn.PgConn()
		for name, sql := range map[string]string{
			"lookup": "SELECT * FROM t WHERE id = $1",
			"long":   "SELECT count(*) FROM generate_series(1, 2000000000) AS g(i) WHERE i % 7 = 3",
		} {
			if _, err := pc.Prepare(ctx, name, sql, nil); err != nil {
				t.Fatal(err)
			}
		}
		id := 0
		lookups := func(when string) {
			t.Helper()
			for range 5 {
				id = (id + 337) % 1000
				res := pc.ExecPrepared(ctx, "lookup", [][]byte{[]byte(fmt.Sprint(id))}, nil, nil).Read()
				want := fmt.Sprintf("[%d %d row-%d]", id, id*3, id)
				if res.Err != nil || len(res.Rows) != 1 || fmt.Sprintf("[%s %s %s]", res.Rows[0][0], res.Rows[0][1], res.Rows[0][2]) != want {
					t.Fatalf("lookup of %d %s: %q, %v; want %s", id, when, res.Rows, res.Err, want)
				}
			}
		}
		stopped := func(what, msg string) {
			t.Helper()
			start := time.Now()
			err := pc.ExecPrepared(ctx, "long", nil, nil, nil).Read().Err
			var pe *pgconn.PgError
			if !errors.As(err, &pe) || pe.Code != "57014" || pe.Message != msg {
				t.Fatalf("%s: %v after %v", what, err, time.Since(start))
			}
		}
		lookups("first")
		for i := range 2 {
			// A CancelRequest, sent until the statement ends (one sent before it starts
			// cancels nothing).
			done := make(chan struct{})
			sent := make(chan struct{})
			go func() {
				defer close(sent)
				for {
					select {
					case <-done:
						return
					case <-time.After(50 * time.Millisecond):
						_ = pc.CancelRequest(ctx)
					}
				}
			}()
			stopped(fmt.Sprintf("cancel %d", i), "canceling statement due to user request")
			close(done)
			<-sent
			lookups(fmt.Sprintf("after cancel %d", i))

			if _, err := conn.Exec(ctx, "SET statement_timeout = '100ms'"); err != nil {
				t.Fatal(err)
			}
			stopped(fmt.Sprintf("timeout %d", i), "canceling statement due to statement timeout")
			lookups(fmt.Sprintf("under the timeout, after timeout %d", i))
			if _, err := conn.Exec(ctx, "RESET statement_timeout"); err != nil {
				t.Fatal(err)
			}
			lookups(fmt.Sprintf("after timeout %d", i))
		}
	})
}
