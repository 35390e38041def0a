package slt

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/jackc/pgx/v5"
)

// psql's \dT lists composite types, and \d shows a column of one, as PostgreSQL's does.
func TestPsqlCompositeTypes(t *testing.T) {
	psql, err := exec.LookPath("psql")
	if err != nil {
		t.Skip("no psql")
	}
	postgresDSN(t)
	ctx, cancel := context.WithTimeout(context.Background(), fileTimeout)
	defer cancel()
	pgConn := freshDatabase(ctx, t, "psql_types")
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	addr := serve(ctx, t, openEngine(ctx, t, mem))
	sdConn := dial(ctx, t, fmt.Sprintf("postgres://slt@%s/slt?sslmode=disable", addr))
	for _, q := range []string{
		"CREATE TYPE point2 AS (x double precision, y double precision, label text)",
		"CREATE TABLE pts (id bigint PRIMARY KEY, p point2)",
	} {
		for _, c := range []*pgx.Conn{pgConn, sdConn} {
			if _, err := c.Exec(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
	}
	run := func(cfg *pgx.ConnConfig, cmd string) string {
		c := exec.CommandContext(ctx, psql, "-X", "-h", cfg.Host, "-p", fmt.Sprint(cfg.Port), "-U", cfg.User, "-d", cfg.Database, "-c", cmd)
		c.Env = append(c.Environ(), "PGSSLMODE=disable", "PGTZ=UTC", "LC_ALL=C")
		out, err := c.CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", cmd, err, out)
		}
		return string(out)
	}
	for _, cmd := range []string{`\dT point2`, `\d pts`} {
		want := run(pgConn.Config(), cmd)
		got := run(sdConn.Config(), cmd)
		if got != want {
			t.Errorf("%s:\nsleeperd:\n%s\npostgres:\n%s", cmd, got, want)
		}
		if !strings.Contains(got, "point2") {
			t.Errorf("%s: no point2 in:\n%s", cmd, got)
		}
	}
}
