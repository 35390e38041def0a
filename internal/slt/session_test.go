package slt

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// TestSessionSettings drives session parameters through pgx: the startup packet's parameters,
// ParameterStatus after SET, timestamptz shown in the session's TimeZone, and
// statement_timeout cancelling a statement while the connection keeps serving.
func TestSessionSettings(t *testing.T) {
	withServer(t, func(t *testing.T, ctx context.Context, addr string) {
		cfg, err := pgx.ParseConfig("postgres://slt@" + addr + "/slt?sslmode=disable")
		if err != nil {
			t.Fatal(err)
		}
		cfg.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
		cfg.RuntimeParams["timezone"] = "Asia/Tokyo"
		cfg.RuntimeParams["application_name"] = "session test"
		var notices []string
		cfg.OnNotice = func(_ *pgconn.PgConn, n *pgconn.Notice) {
			notices = append(notices, n.Severity+" "+n.Code+" "+n.Message)
		}
		conn, err := pgx.ConnectConfig(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(context.Background())
		pc := conn.PgConn()
		for k, want := range map[string]string{"TimeZone": "Asia/Tokyo", "application_name": "session test", "DateStyle": "ISO, MDY"} {
			if got := pc.ParameterStatus(k); got != want {
				t.Errorf("ParameterStatus %s = %q, want %q", k, got, want)
			}
		}
		text := func(q string) string {
			t.Helper()
			var s string
			if err := conn.QueryRow(ctx, q).Scan(&s); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
			return s
		}
		ts := "SELECT '2024-01-01 00:00:00Z'::timestamptz"
		if got := text(ts); got != "2024-01-01 09:00:00+09" {
			t.Errorf("in Asia/Tokyo: %q", got)
		}
		if _, err := conn.Exec(ctx, "SET TIME ZONE 'Europe/Paris'"); err != nil {
			t.Fatal(err)
		}
		if got := pc.ParameterStatus("TimeZone"); got != "Europe/Paris" {
			t.Errorf("after SET, ParameterStatus TimeZone = %q", got)
		}
		if got := text(ts); got != "2024-01-01 01:00:00+01" {
			t.Errorf("in Europe/Paris: %q", got)
		}
		if _, err := conn.Exec(ctx, "BEGIN; SET LOCAL TIME ZONE 'America/Chicago'"); err != nil {
			t.Fatal(err)
		}
		if got := text(ts); got != "2023-12-31 18:00:00-06" {
			t.Errorf("in America/Chicago: %q", got)
		}
		if _, err := conn.Exec(ctx, "COMMIT"); err != nil {
			t.Fatal(err)
		}
		if got := pc.ParameterStatus("TimeZone"); got != "Europe/Paris" {
			t.Errorf("after the block, ParameterStatus TimeZone = %q", got)
		}

		if _, err := conn.Exec(ctx, "SET statement_timeout = '100ms'"); err != nil {
			t.Fatal(err)
		}
		_, err = conn.Exec(ctx, "SELECT count(*) FROM generate_series(1, 2000000000) AS g(i) WHERE i % 7 = 3")
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != "57014" || pe.Message != "canceling statement due to statement timeout" {
			t.Fatalf("long statement under statement_timeout: %v", err)
		}
		if _, err := conn.Exec(ctx, "RESET statement_timeout"); err != nil {
			t.Fatal(err)
		}
		if got := text("SELECT 'still serving'"); got != "still serving" {
			t.Errorf("after the timeout: %q", got)
		}

		// Notices, as PostgreSQL sends them (CREATE INDEX's is sleeperd's own).
		notices = nil
		for _, q := range []string{
			"CREATE TABLE n (k int PRIMARY KEY)",
			"CREATE TABLE IF NOT EXISTS n (k int PRIMARY KEY)",
			"CREATE INDEX n_k ON n (k)",
			"DROP TABLE IF EXISTS nope, n",
			"DROP VIEW IF EXISTS nope",
			"SET LOCAL TimeZone = 'UTC'",
			"COMMIT",
			"BEGIN", "BEGIN", "ROLLBACK",
		} {
			if _, err := conn.Exec(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		want := []string{
			`NOTICE 42P07 relation "n" already exists, skipping`,
			"NOTICE 00000 CREATE INDEX has no effect: tables are sorted by their row and sort keys, and there are no secondary indexes",
			`NOTICE 00000 table "nope" does not exist, skipping`,
			`NOTICE 00000 view "nope" does not exist, skipping`,
			"WARNING 25P01 SET LOCAL can only be used in transaction blocks",
			"WARNING 25P01 there is no transaction in progress",
			"WARNING 25001 there is already a transaction in progress",
		}
		if strings.Join(notices, "\n") != strings.Join(want, "\n") {
			t.Errorf("notices:\n%s\nwant:\n%s", strings.Join(notices, "\n"), strings.Join(want, "\n"))
		}
	})
}
