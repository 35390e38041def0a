package e2e

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// TestTransactionsTwoProcesses runs transaction blocks through two sleeperd processes on one
// data directory: no dirty reads across them, ROLLBACK discards, the second of two blocks
// writing one PRIMARY KEY row fails at COMMIT with 40001, and concurrent blocks that each
// increment a row and log the increment in a second table (a commit of two tables) leave
// every balance equal to the number of its log rows: no lost update, no half commit.
func TestTransactionsTwoProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("runs two servers")
	}
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	data := t.TempDir()
	servers := []*server{start(ctx, t, data), start(ctx, t, data)}
	c0 := servers[0].connect(ctx, t, pgx.QueryExecModeCacheStatement)
	c1 := servers[1].connect(ctx, t, pgx.QueryExecModeCacheStatement)
	exec := func(c *pgx.Conn, sql string, args ...any) {
		t.Helper()
		if _, err := c.Exec(ctx, sql, args...); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	balance := func(c *pgx.Conn, id int) int64 {
		t.Helper()
		var b int64
		if err := c.QueryRow(ctx, "SELECT balance FROM acct WHERE id = $1", id).Scan(&b); err != nil {
			t.Fatalf("balance of %d: %v", id, err)
		}
		return b
	}
	const accounts = 4
	exec(c0, "CREATE TABLE acct (id integer PRIMARY KEY, balance bigint)")
	exec(c0, "CREATE TABLE audit (id integer, worker integer, n integer)")
	for id := 1; id <= accounts; id++ {
		exec(c0, "INSERT INTO acct VALUES ($1, 0)", id)
	}

	// No dirty read from the other process; the commit is seen there.
	exec(c0, "BEGIN")
	exec(c0, "UPDATE acct SET balance = 10 WHERE id = 1")
	if got := balance(c0, 1); got != 10 {
		t.Fatalf("the block reads %d, want its own 10", got)
	}
	if got := balance(c1, 1); got != 0 {
		t.Fatalf("the other process reads %d before COMMIT, want 0", got)
	}
	exec(c0, "COMMIT")
	if got := balance(c1, 1); got != 10 {
		t.Fatalf("the other process reads %d after COMMIT, want 10", got)
	}

	// ROLLBACK discards.
	exec(c1, "BEGIN")
	exec(c1, "INSERT INTO acct VALUES (99, 1)")
	exec(c1, "ROLLBACK")
	var n int64
	if err := c0.QueryRow(ctx, "SELECT count(*) FROM acct WHERE id = 99").Scan(&n); err != nil || n != 0 {
		t.Fatalf("rows of a rolled back insert: %d, %v", n, err)
	}

	// First committer wins.
	exec(c0, "BEGIN")
	exec(c1, "BEGIN")
	exec(c0, "UPDATE acct SET balance = 1 WHERE id = 2")
	exec(c1, "UPDATE acct SET balance = 2 WHERE id = 2")
	exec(c0, "COMMIT")
	_, err := c1.Exec(ctx, "COMMIT")
	if code := sqlstate(err); code != "40001" {
		t.Fatalf("second COMMIT of one row: %v (SQLSTATE %q), want 40001", err, code)
	}
	if got := balance(c1, 2); got != 1 {
		t.Fatalf("row 2 is %d after the conflict, want the first committer's 1", got)
	}
	exec(c0, "UPDATE acct SET balance = 0")

	// Concurrent increments, each logged in audit in the same block, two workers per process.
	const workers, increments = 4, 8
	var wg sync.WaitGroup
	errc := make(chan error, workers)
	var mu sync.Mutex
	conflicts := 0
	for w := range workers {
		c := servers[w%2].connect(ctx, t, pgx.QueryExecModeCacheStatement)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range increments {
				id := 1 + (w+i)%accounts
				for attempt := 0; ; attempt++ {
					err := increment(ctx, c, id, w, i)
					if err == nil {
						break
					}
					if sqlstate(err) != "40001" || attempt >= 50 {
						errc <- fmt.Errorf("worker %d increment %d: %w", w, i, err)
						return
					}
					mu.Lock()
					conflicts++
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Fatal(err)
	}
	t.Logf("%d increments, %d conflicts retried", workers*increments, conflicts)
	for _, c := range []*pgx.Conn{c0, c1} {
		rows, err := c.Query(ctx, "SELECT a.id, a.balance, (SELECT count(*) FROM audit u WHERE u.id = a.id) FROM acct a ORDER BY a.id")
		if err != nil {
			t.Fatal(err)
		}
		total := int64(0)
		for rows.Next() {
			var id, bal, logged int64
			if err := rows.Scan(&id, &bal, &logged); err != nil {
				t.Fatal(err)
			}
			if bal != logged {
				t.Errorf("account %d: balance %d, %d increments logged", id, bal, logged)
			}
			total += bal
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		if total != workers*increments {
			t.Errorf("balances add up to %d, want %d", total, workers*increments)
		}
	}
}

// increment adds 1 to account id and logs it, in one block; on an error the block is
// rolled back.
func increment(ctx context.Context, c *pgx.Conn, id, worker, n int) (err error) {
	if _, err := c.Exec(ctx, "BEGIN"); err != nil {
		return err
	}
	defer func() {
		if err != nil {
			c.Exec(ctx, "ROLLBACK")
		}
	}()
	if _, err := c.Exec(ctx, "UPDATE acct SET balance = balance + 1 WHERE id = $1", id); err != nil {
		return err
	}
	if _, err := c.Exec(ctx, "INSERT INTO audit VALUES ($1, $2, $3)", id, worker, n); err != nil {
		return err
	}
	_, err = c.Exec(ctx, "COMMIT")
	return err
}

// sqlstate is the SQLSTATE of a PostgreSQL error, or "".
func sqlstate(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}
