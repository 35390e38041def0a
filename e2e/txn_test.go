package e2e

import (
	"context"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Transaction blocks over pgx, with two sessions on one server: no dirty reads, COMMIT
// publishes, ROLLBACK and a dropped connection discard, the second committer of the same
// row fails with 40001, and ReadyForQuery reports each block's status.
func TestTransactionBlocks(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	s := start(ctx, t, t.TempDir())
	a := s.connect(ctx, t, pgx.QueryExecModeCacheStatement)
	b := s.connect(ctx, t, pgx.QueryExecModeSimpleProtocol)
	exec := func(c *pgx.Conn, sql string, args ...any) {
		t.Helper()
		if _, err := c.Exec(ctx, sql, args...); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	count := func(c *pgx.Conn, sql string) int {
		t.Helper()
		var n int
		if err := c.QueryRow(ctx, sql).Scan(&n); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		return n
	}
	status := func(c *pgx.Conn, want byte) {
		t.Helper()
		if got := c.PgConn().TxStatus(); got != want {
			t.Fatalf("transaction status %c, want %c", got, want)
		}
	}
	exec(a, "CREATE TABLE kv (k int PRIMARY KEY, v int)")
	exec(a, "INSERT INTO kv VALUES (1, 0), (2, 0)")

	// pgx's own transactions: Commit publishes, Rollback discards; no dirty reads.
	tx, err := a.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	status(a, 'T')
	if _, err := tx.Exec(ctx, "INSERT INTO kv VALUES ($1, $2)", 3, 30); err != nil {
		t.Fatal(err)
	}
	if n := count(b, "SELECT count(*) FROM kv"); n != 2 {
		t.Fatalf("dirty read: %d rows", n)
	}
	var n int
	if err := tx.QueryRow(ctx, "SELECT count(*) FROM kv").Scan(&n); err != nil || n != 3 {
		t.Fatalf("own writes: %d rows, %v", n, err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	status(a, 'I')
	if n := count(b, "SELECT count(*) FROM kv"); n != 3 {
		t.Fatalf("after COMMIT: %d rows", n)
	}
	tx, err = a.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "DELETE FROM kv WHERE k = $1", 3); err != nil {
		t.Fatal(err)
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if n := count(b, "SELECT count(*) FROM kv"); n != 3 {
		t.Fatalf("after ROLLBACK: %d rows", n)
	}

	// An error fails the block: 'E' until ROLLBACK.
	exec(b, "BEGIN")
	if _, err := b.Exec(ctx, "SELECT 1/0"); err == nil {
		t.Fatal("1/0 did not fail")
	}
	status(b, 'E')
	_, err = b.Exec(ctx, "SELECT 1")
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "25P02" {
		t.Fatalf("statement in a failed block: %v", err)
	}
	exec(b, "ROLLBACK")
	status(b, 'I')
	// ROLLBACK TO SAVEPOINT takes a failed block back to 'T'.
	exec(b, "BEGIN")
	exec(b, "SAVEPOINT s")
	exec(b, "INSERT INTO kv VALUES (7, 7)")
	if _, err := b.Exec(ctx, "SELECT * FROM nosuch"); err == nil {
		t.Fatal("a query of a missing table did not fail")
	}
	status(b, 'E')
	exec(b, "ROLLBACK TO SAVEPOINT s")
	status(b, 'T')
	exec(b, "INSERT INTO kv VALUES (8, 8)")
	exec(b, "COMMIT")
	status(b, 'I')
	if n := count(a, "SELECT count(*) FROM kv WHERE k IN (7, 8)"); n != 1 {
		t.Fatalf("after ROLLBACK TO and COMMIT: %d of rows 7 and 8, want 8 only", n)
	}

	// First committer wins.
	exec(a, "BEGIN")
	exec(b, "BEGIN")
	exec(a, "UPDATE kv SET v = v + 1 WHERE k = 1")
	exec(b, "UPDATE kv SET v = v + 10 WHERE k = 1")
	exec(b, "COMMIT")
	_, err = a.Exec(ctx, "COMMIT")
	if !errors.As(err, &pe) || pe.Code != "40001" {
		t.Fatalf("second COMMIT of the same row: %v", err)
	}
	status(a, 'I')
	if n := count(a, "SELECT v FROM kv WHERE k = 1"); n != 10 {
		t.Fatalf("v = %d after the conflict, want 10", n)
	}

	// A connection dropped inside a block leaves nothing.
	c := s.connect(ctx, t, pgx.QueryExecModeCacheStatement)
	exec(c, "BEGIN")
	exec(c, "INSERT INTO kv VALUES (9, 9)")
	if err := c.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if n := count(a, "SELECT count(*) FROM kv WHERE k = 9"); n != 0 {
		t.Fatalf("a dropped connection's block committed %d rows", n)
	}
}

// A transaction that wrote two tables, killed (SIGKILL) after both tables' log entries are
// written and before its commit record: after a restart neither table shows any of its
// rows, then or once the entries are resolved as aborted, and both tables take new writes.
func TestTransactionTwoTablesKilled(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	data := t.TempDir()
	s := startEnv(ctx, t, data, []string{"SLEEPERD_TEST_HANG_PUT=record"})
	conn, err := dial(ctx, s.addr)
	if err != nil {
		t.Fatal(err)
	}
	for _, sql := range []string{
		"CREATE TABLE x (k int PRIMARY KEY, v int)",
		"CREATE TABLE y (k int PRIMARY KEY, v int)",
		"INSERT INTO x VALUES (1, 1)",
		"INSERT INTO y VALUES (1, 1)",
		"BEGIN",
		"INSERT INTO x VALUES (2, 2)",
		"UPDATE y SET v = 100 WHERE k = 1",
	} {
		if _, err := conn.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	done := make(chan error, 1)
	go func() {
		_, err := conn.Exec(ctx, "COMMIT")
		done <- err
	}()
	s.waitLog(ctx, t, "test hook: commit record write hanging")
	s.kill(ctx, t)
	if err := <-done; err == nil {
		t.Fatal("COMMIT succeeded on a server killed in its middle")
	}
	closeConn(conn)

	s = start(ctx, t, data)
	conn, err = dial(ctx, s.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer closeConn(conn)
	check := func(when string) {
		t.Helper()
		var n, v int
		if err := conn.QueryRow(ctx, "SELECT (SELECT count(*) FROM x), (SELECT sum(v) FROM y)").Scan(&n, &v); err != nil {
			t.Fatal(err)
		}
		if n != 1 || v != 1 {
			t.Fatalf("%s: x has %d rows, y sums to %d; want 1 and 1 (nothing of the killed transaction)", when, n, v)
		}
	}
	check("after the restart")
	// A write waits until the undecided entry is resolved (aborted), then commits.
	for _, sql := range []string{"INSERT INTO x VALUES (3, 3)", "UPDATE y SET v = 5 WHERE k = 1"} {
		if _, err := conn.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	var n, v int
	if err := conn.QueryRow(ctx, "SELECT (SELECT count(*) FROM x WHERE k <> 2), (SELECT count(*) FROM x WHERE k = 2) + (SELECT sum(v) FROM y)").Scan(&n, &v); err != nil {
		t.Fatal(err)
	}
	if n != 2 || v != 5 {
		t.Fatalf("after new writes: %d rows of x, %d; want 2 and 5", n, v)
	}
}
