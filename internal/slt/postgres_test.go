package slt

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// startTimeout bounds creating and starting the throwaway PostgreSQL server.
const startTimeout = 2 * time.Minute

// requirePostgres makes a missing PostgreSQL server a failure instead of a skip.
var requirePostgres = os.Getenv("SLT_REQUIRE_POSTGRES") == "1"

// The PostgreSQL server the tests compare with: SLT_POSTGRES if set, else a throwaway
// server started on first use and stopped by TestMain.
var pg struct {
	once sync.Once
	srv  *Server
	dsn  string
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if pg.srv != nil {
		if err := pg.srv.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "stopping PostgreSQL:", err)
			if code == 0 {
				code = 1
			}
		}
	}
	os.Exit(code)
}

// postgresDSN returns the connection string of the PostgreSQL server to compare with,
// starting the throwaway server on first use. Without one it skips the test, or fails it
// when SLT_REQUIRE_POSTGRES=1.
func postgresDSN(t *testing.T) string {
	t.Helper()
	pg.once.Do(func() {
		if postgres != "" {
			pg.dsn = postgres
			return
		}
		bin, err := FindPostgres()
		if err != nil {
			pg.err = fmt.Errorf("%w (looked in PATH, /usr/local/bin and /usr/lib/postgresql/*/bin; "+
				"install Debian's postgresql package or set SLT_POSTGRES)", err)
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
		defer cancel()
		start := time.Now()
		pg.srv, pg.err = StartPostgres(ctx, bin)
		if pg.err == nil {
			pg.dsn = pg.srv.DSN("")
			fmt.Fprintf(os.Stderr, "slt: started PostgreSQL from %s in %v\n", bin, time.Since(start).Round(time.Millisecond))
		}
	})
	if pg.err != nil {
		if requirePostgres || !errors.Is(pg.err, ErrNoPostgres) {
			t.Fatalf("no PostgreSQL server: %v", pg.err)
		}
		t.Skipf("skipping: %v (SLT_REQUIRE_POSTGRES=1 makes this a failure)", pg.err)
	}
	return pg.dsn
}

// freshDatabase creates a new, empty database for the test on the PostgreSQL server,
// named after name, and returns a connection to it with the settings the expectations
// assume. The database is dropped when the test ends.
func freshDatabase(ctx context.Context, t *testing.T, name string) *pgx.Conn {
	t.Helper()
	dsn := postgresDSN(t)
	admin := dial(ctx, t, dsn)
	db := "slt_" + regexp.MustCompile(`[^a-z0-9]+`).ReplaceAllString(strings.ToLower(name), "_")
	if _, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+db); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+db+" TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C.UTF-8'"); err != nil {
		t.Fatal(err)
	}
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Database = db
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn.Close(cctx)
		if _, err := admin.Exec(cctx, "DROP DATABASE "+db); err != nil {
			t.Errorf("dropping database %s: %v", db, err)
		}
	})
	// The settings whose defaults the expectations assume.
	if _, err := conn.Exec(ctx, "SET TimeZone = 'UTC'; SET DateStyle = 'ISO, MDY'; SET extra_float_digits = 1"); err != nil {
		t.Fatal(err)
	}
	return conn
}

func TestFindPostgres(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("PATH", dir)
	saved := postgresDirs
	defer func() { postgresDirs = saved }()
	postgresDirs = []string{filepath.Join(dir, "*", "bin")}
	if _, err := FindPostgres(); !errors.Is(err, ErrNoPostgres) {
		t.Fatalf("with no programs got %v, want ErrNoPostgres", err)
	}
	for _, v := range []string{"14", "15"} {
		bin := filepath.Join(dir, v, "bin")
		if err := os.MkdirAll(bin, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, p := range []string{"initdb", "pg_ctl", "postgres"} {
			if v == "15" && p == "pg_ctl" {
				continue // an incomplete installation is passed over
			}
			if err := os.WriteFile(filepath.Join(bin, p), []byte("#!/bin/sh\n"), 0o755); err != nil {
				t.Fatal(err)
			}
		}
	}
	got, err := FindPostgres()
	if err != nil || got != filepath.Join(dir, "14", "bin") {
		t.Fatalf("got %q, %v; want the complete installation %s", got, err, filepath.Join(dir, "14", "bin"))
	}
	if _, err := StartPostgres(context.Background(), ""); err == nil {
		t.Error("StartPostgres accepted an empty directory")
	}
}

// besidePostgres opens a fresh PostgreSQL database named after name and a sleeperd server
// over a fresh engine (its memory checked for leaks when the test ends), and returns a
// context bounded by fileTimeout and a pgx connection to each.
func besidePostgres(t *testing.T, name string) (ctx context.Context, pg, sd *pgx.Conn) {
	t.Helper()
	postgresDSN(t)
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	t.Cleanup(func() { mem.AssertSize(t, 0) })
	ctx, cancel := context.WithTimeout(context.Background(), fileTimeout)
	t.Cleanup(cancel)
	pg = freshDatabase(ctx, t, name)
	addr := serve(ctx, t, openEngine(ctx, t, mem))
	sd = dial(ctx, t, fmt.Sprintf("postgres://slt@%s/slt?sslmode=disable", addr))
	return ctx, pg, sd
}

// sameRawRows runs query with text params of the given type OIDs on PostgreSQL (pg) and on
// sleeperd (sd), with results in the text and in the binary format: the rows' bytes must be
// the same.
func sameRawRows(ctx context.Context, t *testing.T, pg, sd *pgx.Conn, query string, params [][]byte, oids []uint32) {
	t.Helper()
	for _, format := range []int16{0, 1} {
		raw := func(c *pgx.Conn) [][][]byte {
			res := c.PgConn().ExecParams(ctx, query, params, oids, nil, []int16{format}).Read()
			if res.Err != nil {
				t.Fatalf("%s: %v", query, res.Err)
			}
			return res.Rows
		}
		if want, got := raw(pg), raw(sd); !reflect.DeepEqual(want, got) {
			t.Errorf("format %d: sleeperd sent %q, PostgreSQL %q", format, got, want)
		}
	}
}

// TestStartPostgresSettings starts a server with settings that add a TCP listener on a port
// of their own, and refuses malformed ones.
func TestStartPostgresSettings(t *testing.T) {
	for _, bad := range []string{"listen_addresses", "port=x", "port=0"} {
		if _, err := StartPostgres(context.Background(), "/nonexistent", bad); err == nil {
			t.Errorf("StartPostgres accepted the setting %q", bad)
		}
	}
	if testing.Short() {
		t.Skip("starts a PostgreSQL server")
	}
	bin, err := FindPostgres()
	if err != nil {
		t.Skipf("no PostgreSQL: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	srv, err := StartPostgres(ctx, bin, "listen_addresses=127.0.0.1", fmt.Sprintf("port=%d", port))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	if srv.ListenPort() != port || !strings.Contains(srv.DSN(""), fmt.Sprintf("port=%d", port)) {
		t.Errorf("ListenPort %d, DSN %q; want port %d", srv.ListenPort(), srv.DSN(""), port)
	}
	for _, dsn := range []string{srv.DSN(""), fmt.Sprintf("host=127.0.0.1 port=%d user=postgres dbname=postgres sslmode=disable", port)} {
		c, err := pgconn.Connect(ctx, dsn)
		if err != nil {
			t.Errorf("connecting with %q: %v", dsn, err)
			continue
		}
		c.Close(ctx)
	}
}
