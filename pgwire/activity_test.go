package pgwire

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/sleeperd/sleeperd/engine"
)

// waitFor polls cond until it holds or the test's context ends.
func waitFor(t *testing.T, ctx context.Context, what string, cond func() bool) {
	t.Helper()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("waiting for %s: %v", what, ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// pg_stat_activity, sleeper.queries, pg_cancel_backend and pg_terminate_backend over the
// wire: one session watches and signals another, by the process ID of its BackendKeyData.
func TestActivityCancelTerminate(t *testing.T) {
	addr := serveEngine(t, engine.Options{})
	ctx := testContext(t)
	admin, err := pgx.Connect(ctx, "postgres://alice@"+addr+"/db?sslmode=disable&application_name=watcher")
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	victim, err := pgx.Connect(ctx, "postgres://bob@"+addr+"/db?sslmode=disable&application_name=worker")
	if err != nil {
		t.Fatal(err)
	}
	defer victim.Close(ctx)
	pid := int32(victim.PgConn().PID())
	if _, err := victim.Exec(ctx, "SELECT 1"); err != nil {
		t.Fatal(err)
	}

	var user, app, state, query, clientAddr, backendType string
	err = admin.QueryRow(ctx, "SELECT usename, application_name, state, query, client_addr, backend_type FROM pg_stat_activity WHERE pid = $1", pid).
		Scan(&user, &app, &state, &query, &clientAddr, &backendType)
	if err != nil {
		t.Fatal(err)
	}
	if user != "bob" || app != "worker" || state != "idle" || query != "SELECT 1" || clientAddr != "127.0.0.1" || backendType != "client backend" {
		t.Errorf("pg_stat_activity row of bob: %q %q %q %q %q %q", user, app, state, query, clientAddr, backendType)
	}
	var own int32
	if err := admin.QueryRow(ctx, "SELECT pid FROM pg_stat_activity WHERE state = 'active'").Scan(&own); err != nil || own != int32(admin.PgConn().PID()) {
		t.Errorf("the active session is %d (%v), want the asking one, %d", own, err, admin.PgConn().PID())
	}

	// A statement that runs until cancelled.
	long := "SELECT count(*) FROM generate_series(1, 1000000000000) g"
	done := make(chan error, 1)
	go func() {
		var n int64
		done <- victim.QueryRow(ctx, long).Scan(&n)
	}()
	waitFor(t, ctx, "the long statement to show as active", func() bool {
		var st string
		err := admin.QueryRow(ctx, "SELECT state FROM pg_stat_activity WHERE pid = $1", pid).Scan(&st)
		return err == nil && st == "active"
	})
	var running int
	if err := admin.QueryRow(ctx, "SELECT count(*) FROM sleeper.queries WHERE pid = $1 AND status = 'running' AND query = $2", pid, long).Scan(&running); err != nil || running != 1 {
		t.Errorf("sleeper.queries lists %d running statements of bob (%v), want 1", running, err)
	}
	var signalled bool
	if err := admin.QueryRow(ctx, "SELECT pg_cancel_backend($1)", pid).Scan(&signalled); err != nil || !signalled {
		t.Fatalf("pg_cancel_backend: %v, %v", signalled, err)
	}
	err = <-done
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "57014" {
		t.Fatalf("the cancelled statement failed with %v, want 57014", err)
	}
	// The session goes on.
	var one int
	if err := victim.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil || one != 1 {
		t.Fatalf("after the cancel: %d, %v", one, err)
	}
	var status, code, frontend, qUser string
	err = admin.QueryRow(ctx, "SELECT status, sqlstate, frontend, user_name FROM sleeper.queries WHERE pid = $1 AND query = $2", pid, long).
		Scan(&status, &code, &frontend, &qUser)
	if err != nil || status != "cancelled" || code != "57014" || frontend != "pgwire" || qUser != "bob" {
		t.Errorf("sleeper.queries row of the cancelled statement: %q %q %q %q, %v", status, code, frontend, qUser, err)
	}

	// No such session: false, with PostgreSQL's warning.
	if err := admin.QueryRow(ctx, "SELECT pg_cancel_backend(2000000000)").Scan(&signalled); err != nil || signalled {
		t.Errorf("pg_cancel_backend of no session: %v, %v", signalled, err)
	}
	if _, err := admin.Exec(ctx, "SELECT pg_cancel_backend('abc')"); !errors.As(err, &pe) || pe.Code != "22P02" {
		t.Errorf("pg_cancel_backend('abc'): %v, want 22P02", err)
	}

	if err := admin.QueryRow(ctx, "SELECT pg_terminate_backend($1)", pid).Scan(&signalled); err != nil || !signalled {
		t.Fatalf("pg_terminate_backend: %v, %v", signalled, err)
	}
	waitFor(t, ctx, "the terminated session to leave pg_stat_activity", func() bool {
		var n int
		err := admin.QueryRow(ctx, "SELECT count(*) FROM pg_stat_activity WHERE pid = $1", pid).Scan(&n)
		return err == nil && n == 0
	})
	if err := victim.QueryRow(ctx, "SELECT 1").Scan(&one); err == nil {
		t.Error("the terminated session still runs statements")
	}
}
