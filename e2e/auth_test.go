package e2e

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// authURL is a pgx URL for user with password on s.
func (s *server) authURL(user, password string) string {
	return "postgres://" + url.UserPassword(user, password).String() + "@" + s.addr + "/db?sslmode=disable"
}

// sleeperd serve --auth scram: the first superuser comes from SLEEPERD_USER and
// SLEEPERD_PASSWORD; psql, pgx and JDBC get in with the right password and are refused with
// 28P01 with a wrong one; roles and grants survive a restart and are seen by a second
// server over the same data directory; trust is refused on a non-loopback address.
func TestServeSCRAM(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	data := t.TempDir()
	env := []string{"SLEEPERD_USER=root", "SLEEPERD_PASSWORD=r00t pw"}
	s := startEnv(ctx, t, data, env, "--auth", "scram")

	admin, err := pgx.Connect(ctx, s.authURL("root", "r00t pw"))
	if err != nil {
		t.Fatalf("superuser from SLEEPERD_USER/SLEEPERD_PASSWORD: %v", err)
	}
	defer admin.Close(ctx)
	for _, q := range []string{"CREATE USER bob PASSWORD 'bob pw'", "CREATE TABLE t (id int PRIMARY KEY)", "INSERT INTO t VALUES (1)", "GRANT SELECT ON t TO bob"} {
		if _, err := admin.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	for _, c := range []struct{ user, password, code string }{
		{"root", "wrong", "28P01"}, {"nobody", "x", "28P01"}, {"bob", "bob pw", ""},
	} {
		cn, err := pgx.Connect(ctx, s.authURL(c.user, c.password))
		if got := sqlstate(err); got != c.code || (c.code == "" && err != nil) {
			t.Errorf("pgx %s/%s: %v, want %q", c.user, c.password, err, c.code)
		}
		if cn != nil {
			cn.Close(ctx)
		}
	}

	// The HTTP frontend takes the same users: basic auth with the right password, 401 with
	// SQLSTATE 28P01 for a wrong one or none.
	httpURL := "http://" + s.httpAddr(ctx, t) + "/api/v1/tables"
	for _, c := range []struct {
		user, password string
		status         int
	}{{"bob", "bob pw", http.StatusOK}, {"bob", "wrong", http.StatusUnauthorized}, {"nobody", "x", http.StatusUnauthorized}, {"", "", http.StatusUnauthorized}} {
		req, err := http.NewRequestWithContext(ctx, "GET", httpURL, nil)
		if err != nil {
			t.Fatal(err)
		}
		if c.user != "" {
			req.SetBasicAuth(c.user, c.password)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("HTTP as %q: %v", c.user, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.status || (c.status != http.StatusOK && !strings.Contains(string(body), "28P01")) {
			t.Errorf("HTTP as %q/%q: %d %s, want %d", c.user, c.password, resp.StatusCode, body, c.status)
		}
	}

	// Only a superuser or the session's own role may cancel or terminate it, and only a
	// superuser may read server files with read_parquet.
	bob, err := pgx.Connect(ctx, s.authURL("bob", "bob pw"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bob.Exec(ctx, "SELECT pg_terminate_backend($1)", admin.PgConn().PID()); sqlstate(err) != "42501" {
		t.Errorf("bob terminating the superuser's session: %v, want 42501", err)
	}
	var own bool
	if err := bob.QueryRow(ctx, "SELECT pg_cancel_backend($1)", bob.PgConn().PID()).Scan(&own); err != nil || !own {
		t.Errorf("bob cancelling his own session: %v %v", own, err)
	}
	if _, err := bob.Exec(ctx, "SELECT * FROM read_parquet('/etc/passwd')"); sqlstate(err) != "42501" {
		t.Errorf("read_parquet by a role that is not a superuser: %v, want 42501", err)
	}
	bob.Close(ctx)
	if err := admin.QueryRow(ctx, "SELECT pg_cancel_backend($1)", admin.PgConn().PID()).Scan(&own); err != nil || !own {
		t.Errorf("the superuser signalling a session: %v %v", own, err)
	}

	if _, err := exec.LookPath("psql"); err == nil {
		psql := func(password, sql string) (string, error) {
			cmd := exec.CommandContext(ctx, "psql", "-X", "-A", "-t", "-h", s.host, "-p", s.port, "-U", "bob", "-d", "db", "-c", sql)
			cmd.Env = append(os.Environ(), "PGPASSWORD="+password, "PGCONNECT_TIMEOUT=10")
			out, err := cmd.CombinedOutput()
			return string(out), err
		}
		if out, err := psql("bob pw", "SELECT count(*) FROM t"); err != nil || out != "1\n" {
			t.Errorf("psql with the right password: %v %q", err, out)
		}
		if out, err := psql("nope", "SELECT 1"); err == nil || !strings.Contains(out, `password authentication failed for user "bob"`) {
			t.Errorf("psql with a wrong password: %v %q", err, out)
		}
		if out, err := psql("bob pw", "INSERT INTO t VALUES (2)"); err == nil || !strings.Contains(out, "permission denied for table t") {
			t.Errorf("psql INSERT without the privilege: %v %q", err, out)
		}
	}

	if java, err := exec.LookPath("java"); err == nil {
		if _, err := os.Stat(jdbcJar); err == nil {
			src, _ := filepath.Abs(filepath.Join("testdata", "clients", "Auth.java"))
			jdbc := func(user, password, sql string) string {
				out, err := exec.CommandContext(ctx, java, "-cp", jdbcJar, src, s.host, s.port, user, password, sql).CombinedOutput()
				if err != nil {
					t.Fatalf("java: %v\n%s", err, out)
				}
				return strings.TrimSpace(string(out))
			}
			for _, c := range []struct{ user, password, sql, want string }{
				{"bob", "bob pw", "SELECT count(*) FROM t", "ok 1"},
				{"bob", "wrong", "SELECT 1", "error 28P01"},
				{"bob", "bob pw", "DELETE FROM t", "error 42501"},
				{"root", "r00t pw", "SELECT count(*) FROM t", "ok 1"},
			} {
				if got := jdbc(c.user, c.password, c.sql); got != c.want {
					t.Errorf("JDBC %s: %s: %q, want %q", c.user, c.sql, got, c.want)
				}
			}
		}
	}

	// A second server over the same directory sees the roles and grants.
	s2 := startEnv(ctx, t, data, env, "--auth", "scram")
	bob2, err := pgx.Connect(ctx, s2.authURL("bob", "bob pw"))
	if err != nil {
		t.Fatalf("bob on the second server: %v", err)
	}
	var n int
	if err := bob2.QueryRow(ctx, "SELECT count(*) FROM t").Scan(&n); err != nil || n != 1 {
		t.Errorf("bob reading t on the second server: %d, %v", n, err)
	}
	bob2.Close(ctx)
	s2.stop(ctx, t)

	// A restart keeps them.
	admin.Close(ctx)
	s.stop(ctx, t)
	s3 := startEnv(ctx, t, data, env, "--auth", "scram")
	if cn, err := pgx.Connect(ctx, s3.authURL("bob", "bob pw")); err != nil {
		t.Errorf("bob after a restart: %v", err)
	} else {
		cn.Close(ctx)
	}
	if _, err := pgx.Connect(ctx, s3.authURL("bob", "wrong")); sqlstate(err) != "28P01" {
		t.Errorf("wrong password after a restart: %v", err)
	}
	s3.stop(ctx, t)

	// trust on a non-loopback address is refused before anything is opened.
	out, err := exec.CommandContext(ctx, build(t), "serve", "--data", t.TempDir(), "--pg-addr", "0.0.0.0:0", "--flight-addr", "", "--trino-addr", "", "--auth", "trust").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "-auth trust is allowed only when every listener is on a loopback address") {
		t.Errorf("trust on 0.0.0.0: %v\n%s", err, out)
	}
}
