package e2e

import (
	"context"
	"strings"
	"testing"
	"time"
)

// A server killed while its ALTER COLUMN ... TYPE holds the write fence, started with
// --fence-lease 3s, leaves a fence that the next server lifts once those three seconds are
// over, not the default minute: writes to the table are refused with 40001 until then, and
// the first one refused after lifts it and its retry commits.
func TestFenceLeaseKilledServer(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	data := t.TempDir()
	s := startEnv(ctx, t, data, []string{"SLEEPERD_TEST_HANG_PUT=fence"}, "--fence-lease", "3s", "--maintenance-interval", "0")
	conn, err := dial(ctx, s.addr)
	if err != nil {
		t.Fatal(err)
	}
	for _, sql := range []string{
		"CREATE TABLE f (k int PRIMARY KEY, s text)",
		"INSERT INTO f VALUES (1, '10'), (2, 'x')",
	} {
		if _, err := conn.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	done := make(chan error, 1)
	go func() {
		_, err := conn.Exec(ctx, "ALTER TABLE f ALTER COLUMN s TYPE integer USING s::integer")
		done <- err
	}()
	s.waitLog(ctx, t, "test hook: write fence commit hanging")
	fenced := time.Now()
	s.kill(ctx, t)
	if err := <-done; err == nil {
		t.Fatal("the ALTER succeeded on a server killed in its middle")
	}
	closeConn(conn)

	s = start(ctx, t, data, "--maintenance-interval", "0")
	conn, err = dial(ctx, s.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer closeConn(conn)
	// With the default lease the fence would refuse writes for a minute after it was taken.
	for deadline := fenced.Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		_, err := conn.Exec(ctx, "INSERT INTO f VALUES (3, '30')")
		if err == nil {
			break
		}
		if code := sqlstate(err); code != "40001" {
			t.Fatalf("write while the fence stands: %v (SQLSTATE %q), want 40001", err, code)
		}
		if time.Now().After(deadline) {
			t.Fatalf("the fence of a 3s lease still refuses writes %s after it was taken", time.Since(fenced).Round(time.Second))
		}
	}
	if !strings.Contains(s.logs.String(), "lifting the write fence of an ALTER COLUMN ... TYPE that did not finish") {
		t.Errorf("the server did not log the lifting of the fence:\n%s", s.logs)
	}
	var n int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM f WHERE s IN ('10', 'x', '30')").Scan(&n); err != nil || n != 3 {
		t.Fatalf("rows after the lifting: %d, %v; want 3", n, err)
	}
}
