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

// psqlSetup creates the same objects in PostgreSQL and in sleeperd.
var psqlSetup = []string{
	"CREATE TABLE t (id bigint PRIMARY KEY, name text, v double precision)",
	"CREATE TABLE orders (region text NOT NULL, day date NOT NULL, qty integer, price numeric(10,2), note character varying(20), PRIMARY KEY (region, day))",
	"CREATE VIEW vv AS SELECT id FROM t",
}

// psqlCommands are the meta-commands whose output must be PostgreSQL's line for line. The
// Owner columns differ only by the role's name: PostgreSQL's test role is postgres,
// sleeperd's one role is sleeperd (the same width), so PostgreSQL's output is compared with
// postgres read as sleeperd.
var psqlCommands = []string{`\dt`, `\dv`, `\di`, `\dn`, `\d`, `\du`, `\df`, `\dT`}

// TestPsqlMetaCommands runs the real psql's meta-commands against PostgreSQL and sleeperd
// over the same tables and compares their output line by line.
func TestPsqlMetaCommands(t *testing.T) {
	psql, err := exec.LookPath("psql")
	if err != nil {
		t.Skip("no psql")
	}
	postgresDSN(t)
	ctx, cancel := context.WithTimeout(context.Background(), fileTimeout)
	defer cancel()
	pgConn := freshDatabase(ctx, t, "psql_meta")
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	addr := serve(ctx, t, openEngine(ctx, t, mem))
	sdConn := dial(ctx, t, fmt.Sprintf("postgres://slt@%s/slt?sslmode=disable", addr))
	for _, q := range psqlSetup {
		for _, c := range []*pgx.Conn{pgConn, sdConn} {
			if _, err := c.Exec(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
	}
	run := func(cfg *pgx.ConnConfig, cmd string) (string, error) {
		c := exec.CommandContext(ctx, psql, "-X", "-h", cfg.Host, "-p", fmt.Sprint(cfg.Port), "-U", cfg.User, "-d", cfg.Database, "-c", cmd)
		c.Env = append(c.Environ(), "PGSSLMODE=disable", "PGTZ=UTC", "LC_ALL=C")
		out, err := c.CombinedOutput()
		return string(out), err
	}
	for _, cmd := range psqlCommands {
		t.Run(cmd, func(t *testing.T) {
			want, err := run(pgConn.Config(), cmd)
			if err != nil {
				t.Fatalf("postgres: %v\n%s", err, want)
			}
			want = strings.ReplaceAll(want, "postgres", "sleeperd")
			got, err := run(sdConn.Config(), cmd)
			if err != nil {
				t.Fatalf("sleeperd: %v\n%s", err, got)
			}
			wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
			for i := 0; i < len(wl) || i < len(gl); i++ {
				var w, g string
				if i < len(wl) {
					w = wl[i]
				}
				if i < len(gl) {
					g = gl[i]
				}
				if w != g {
					t.Errorf("line %d:\npostgres: %q\nsleeperd: %q", i+1, w, g)
				}
			}
			if t.Failed() {
				t.Logf("postgres:\n%s\nsleeperd:\n%s", want, got)
			}
		})
	}
}
