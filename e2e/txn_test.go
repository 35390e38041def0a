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
