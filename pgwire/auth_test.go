package pgwire

import (
	"context"
	"errors"
	"net"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/sleeperd/sleeperd/engine"
	"github.com/sleeperd/sleeperd/storage/objstore"
)

// authServer is a real engine over store, served with SCRAM authentication, whose superuser
// is admin with password "secret".
type authServer struct {
	eng  *engine.Engine
	addr string
}

func startAuthServer(t *testing.T, store objstore.Store, configure func(*Config)) *authServer {
	t.Helper()
	mem := newMem(t)
	ctx := context.Background()
	eng, err := engine.Open(ctx, engine.Options{Store: store, Alloc: mem, RequireRole: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := eng.EnsureSuperuser(ctx, "admin", "secret"); err != nil {
		t.Fatal(err)
	}
	cfg := Config{Connect: eng.Connect, Verifier: eng.Verifier}
	if configure != nil {
		configure(&cfg)
	}
	_, addr, shutdown := serveConfig(t, cfg)
	t.Cleanup(func() {
		shutdown()
		eng.Close()
		mem.AssertSize(t, 0)
	})
	return &authServer{eng: eng, addr: addr}
}

func (s *authServer) url(user, password, opts string) string {
	u := url.User(user)
	if password != "" {
		u = url.UserPassword(user, password)
	}
	if opts == "" {
		opts = "sslmode=disable"
	}
	return "postgres://" + u.String() + "@" + s.addr + "/db?" + opts
}

func (s *authServer) connect(t *testing.T, user, password string) *pgx.Conn {
	t.Helper()
	c, err := pgx.Connect(testContext(t), s.url(user, password, ""))
	if err != nil {
		t.Fatalf("connecting as %s: %v", user, err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

// pgCode is the SQLSTATE and message of err, or "" and err's text when it carries none.
func pgCode(err error) (string, string) {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code, pe.Message
	}
	if err == nil {
		return "", ""
	}
	return "", err.Error()
}

func mustExec(t *testing.T, c *pgx.Conn, sqls ...string) {
	t.Helper()
	for _, q := range sqls {
		if _, err := c.Exec(testContext(t), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// A right password lets a role in; a wrong one, an unknown user and a role without a
// password are refused alike with 28P01; a role without LOGIN with 28000.
func TestSCRAMAuthentication(t *testing.T) {
	s := startAuthServer(t, objstore.NewMem(), nil)
	ctx := testContext(t)
	admin := s.connect(t, "admin", "secret")
	mustExec(t, admin,
		"CREATE USER bob PASSWORD 'b0b pass'",
		"CREATE ROLE carol PASSWORD 'carol'",
		"CREATE ROLE dave LOGIN")
	var super string
	if err := admin.QueryRow(ctx, "SHOW is_superuser").Scan(&super); err != nil || super != "on" {
		t.Errorf("admin: is_superuser = %q, %v; want on", super, err)
	}
	bob := s.connect(t, "bob", "b0b pass")
	if err := bob.QueryRow(ctx, "SHOW is_superuser").Scan(&super); err != nil || super != "off" {
		t.Errorf("bob: is_superuser = %q, %v; want off", super, err)
	}

	for _, c := range []struct{ user, password, code, msg string }{
		{"admin", "wrong", "28P01", `password authentication failed for user "admin"`},
		{"bob", "b0b", "28P01", `password authentication failed for user "bob"`},
		{"nobody", "secret", "28P01", `password authentication failed for user "nobody"`},
		{"dave", "anything", "28P01", `password authentication failed for user "dave"`},
		{"carol", "carol", "28000", `role "carol" is not permitted to log in`},
	} {
		_, err := pgx.Connect(ctx, s.url(c.user, c.password, ""))
		if code, msg := pgCode(err); code != c.code || msg != c.msg {
			t.Errorf("%s/%s: got %s %q, want %s %q", c.user, c.password, code, msg, c.code, c.msg)
		}
	}

	// The stored form is a SCRAM verifier, never the password.
	ro, err := s.eng.Catalog().Role(ctx, "bob")
	if err != nil || ro == nil {
		t.Fatalf("role bob: %v, %v", ro, err)
	}
	if !strings.HasPrefix(ro.Verifier, "SCRAM-SHA-256$4096:") || strings.Contains(ro.Verifier, "b0b") {
		t.Errorf("stored password %q is not a SCRAM-SHA-256 verifier", ro.Verifier)
	}

	// A role changes its own password; the old one stops working at once.
	mustExec(t, bob, "ALTER ROLE bob PASSWORD 'new'")
	if _, err := pgx.Connect(ctx, s.url("bob", "b0b pass", "")); err == nil {
		t.Error("old password still accepted")
	}
	s.connect(t, "bob", "new")
	// A verifier given as the password is stored as it is (as pg_dumpall restores roles).
	mustExec(t, admin, "CREATE ROLE erin LOGIN PASSWORD '"+ro.Verifier+"'")
	s.connect(t, "erin", "b0b pass")
	// Renaming keeps the password; dropping a role ends its logins.
	mustExec(t, admin, "ALTER ROLE erin RENAME TO frank", "DROP ROLE carol", "DROP ROLE IF EXISTS carol")
	s.connect(t, "frank", "b0b pass")
	if _, err := pgx.Connect(ctx, s.url("erin", "b0b pass", "")); err == nil {
		t.Error("renamed role still logs in under its old name")
	}
	for _, c := range []struct{ sql, code string }{
		{"CREATE ROLE bob", "42710"},
		{"DROP ROLE carol", "42704"},
		{"CREATE ROLE public", "42939"},
		{"CREATE ROLE pg_x", "42939"},
		{"ALTER ROLE nobody PASSWORD 'x'", "42704"},
	} {
		_, err := admin.Exec(ctx, c.sql)
		if code, msg := pgCode(err); code != c.code {
			t.Errorf("%s: got %s %s, want %s", c.sql, code, msg, c.code)
		}
	}
	// Only superusers manage roles (a role may change its own password only).
	for _, q := range []string{"CREATE ROLE x", "DROP ROLE frank", "ALTER ROLE frank PASSWORD 'x'", "ALTER ROLE bob SUPERUSER"} {
		_, err := bob.Exec(ctx, q)
		if code, msg := pgCode(err); code != "42501" {
			t.Errorf("bob: %s: got %s %s, want 42501", q, code, msg)
		}
	}
}

// Each kind of statement needs its privilege: SELECT, INSERT, UPDATE, DELETE, TRUNCATE,
// COPY both ways; DDL needs the owner; server files need a superuser.
func TestGrantsPerStatementKind(t *testing.T) {
	s := startAuthServer(t, objstore.NewMem(), nil)
	ctx := testContext(t)
	admin := s.connect(t, "admin", "secret")
	mustExec(t, admin,
		"CREATE TABLE t (id int PRIMARY KEY, v text)",
		"INSERT INTO t VALUES (1, 'a'), (2, 'b')",
		"CREATE TABLE other (id int PRIMARY KEY)",
		"CREATE USER bob PASSWORD 'pw'")
	bob := s.connect(t, "bob", "pw")
	denied := "permission denied for table t"
	steps := []struct {
		who  *pgx.Conn
		sql  string
		code string
		msg  string
	}{
		{bob, "SELECT * FROM t", "42501", denied},
		{bob, "SELECT count(*) FROM sleeper.partitions", "", ""},
		{bob, "SELECT count(*) FROM pg_class", "", ""},
		{admin, "GRANT SELECT ON t TO bob", "", ""},
		{bob, "SELECT * FROM t", "", ""},
		{bob, "SELECT * FROM t JOIN other USING (id)", "42501", "permission denied for table other"},
		{bob, "INSERT INTO t VALUES (3, 'c')", "42501", denied},
		{admin, "GRANT INSERT ON TABLE t TO bob", "", ""},
		{bob, "INSERT INTO t VALUES (3, 'c')", "", ""},
		{bob, "UPDATE t SET v = 'x' WHERE id = 1", "42501", denied},
		{admin, "GRANT UPDATE ON t TO bob", "", ""},
		{bob, "UPDATE t SET v = 'x' WHERE id = 1", "", ""},
		{bob, "DELETE FROM t WHERE id = 3", "42501", denied},
		{admin, "GRANT DELETE ON t TO bob", "", ""},
		{bob, "DELETE FROM t WHERE id = 3", "", ""},
		{bob, "TRUNCATE t", "42501", denied},
		{bob, "COPY t TO '/tmp/sleeperd-never-written.csv'", "42501", "permission denied to COPY to a file"},
		{bob, "ALTER TABLE t ADD COLUMN w int", "42501", "must be owner of table t"},
		{bob, "DROP TABLE t", "42501", "must be owner of table t"},
		{bob, "GRANT SELECT ON t TO PUBLIC", "42501", denied},
		{bob, "CREATE TABLE mine (id int PRIMARY KEY)", "", ""},
		{bob, "INSERT INTO mine VALUES (1)", "", ""},
		{bob, "GRANT SELECT ON mine TO PUBLIC", "", ""},
		{admin, "REVOKE ALL ON t FROM bob", "", ""},
		{bob, "SELECT * FROM t", "42501", denied},
		{admin, "GRANT SELECT ON ALL TABLES IN SCHEMA public TO PUBLIC", "", ""},
		{bob, "SELECT * FROM t JOIN other USING (id)", "", ""},
		{bob, "INSERT INTO t VALUES (4, 'd')", "42501", denied},
		{admin, "DROP ROLE bob", "2BP01", `role "bob" cannot be dropped because some objects depend on it (owner of table mine)`},
		{bob, "DROP TABLE mine", "", ""},
		{admin, "GRANT SELECT ON t TO nobody", "42704", `role "nobody" does not exist`},
		{admin, "GRANT SELECT ON missing TO bob", "42P01", `relation "missing" does not exist`},
	}
	for _, st := range steps {
		who := "bob"
		if st.who == admin {
			who = "admin"
		}
		_, err := st.who.Exec(ctx, st.sql)
		if code, msg := pgCode(err); code != st.code || (st.msg != "" && msg != st.msg) {
			t.Errorf("%s: %s: got %s %q, want %s %q", who, st.sql, code, msg, st.code, st.msg)
		}
	}
	// COPY needs INSERT (FROM STDIN) and SELECT (TO STDOUT).
	_, err := bob.PgConn().CopyFrom(ctx, strings.NewReader("5\te\n"), "COPY t FROM STDIN")
	if code, _ := pgCode(err); code != "42501" {
		t.Errorf("COPY FROM STDIN without INSERT: got %v, want 42501", err)
	}
	mustExec(t, admin, "GRANT INSERT ON t TO bob")
	if _, err := bob.PgConn().CopyFrom(ctx, strings.NewReader("5\te\n"), "COPY t FROM STDIN"); err != nil {
		t.Errorf("COPY FROM STDIN with INSERT: %v", err)
	}
	var out strings.Builder
	if _, err := bob.PgConn().CopyTo(ctx, &out, "COPY (SELECT id FROM t ORDER BY id) TO STDOUT"); err != nil || out.String() != "1\n2\n5\n" {
		t.Errorf("COPY TO STDOUT with SELECT: %q, %v", out.String(), err)
	}
	mustExec(t, admin, "REVOKE SELECT ON t FROM PUBLIC")
	if _, err := bob.PgConn().CopyTo(ctx, &out, "COPY t TO STDOUT"); err == nil {
		t.Error("COPY TO STDOUT without SELECT succeeded")
	}
}

// Roles and grants live in the catalog: a second engine over the same store (another
// process, or the same one restarted) sees them.
func TestRolesSharedAndDurable(t *testing.T) {
	dir := t.TempDir()
	open := func() objstore.Store {
		st, err := objstore.NewLocal(dir)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	a := startAuthServer(t, open(), nil)
	b := startAuthServer(t, open(), nil)
	admin := a.connect(t, "admin", "secret")
	mustExec(t, admin, "CREATE USER bob PASSWORD 'pw'", "CREATE TABLE t (id int PRIMARY KEY)", "GRANT SELECT ON t TO bob")
	bob := b.connect(t, "bob", "pw")
	if _, err := bob.Exec(testContext(t), "SELECT * FROM t"); err != nil {
		t.Errorf("granted SELECT through the other server: %v", err)
	}
	mustExec(t, admin, "REVOKE SELECT ON t FROM bob")
	if _, err := bob.Exec(testContext(t), "SELECT * FROM t"); err == nil {
		t.Error("revoked SELECT still allowed on the other server")
	}
	c := startAuthServer(t, open(), nil) // a restart: a fresh engine over the same directory
	c.connect(t, "bob", "pw")
	if _, err := pgx.Connect(testContext(t), c.url("bob", "wrong", "")); err == nil {
		t.Error("wrong password accepted after a restart")
	}
}

// psql's \du lists the roles, with a password given through PGPASSWORD.
func TestPsqlRoles(t *testing.T) {
	bin, err := exec.LookPath("psql")
	if err != nil {
		t.Skip("psql not installed")
	}
	s := startAuthServer(t, objstore.NewMem(), nil)
	mustExec(t, s.connect(t, "admin", "secret"), "CREATE USER bob PASSWORD 'pw'", "CREATE ROLE nologin")
	host, port, _ := net.SplitHostPort(s.addr)
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "-X", "-A", "-t", "-h", host, "-p", port, "-U", "bob", "-d", "db", "-c", `\du`)
	cmd.Env = []string{"HOME=" + t.TempDir(), "LC_ALL=C.UTF-8", "PGCONNECT_TIMEOUT=10", "PGPASSWORD=pw", "PATH=" + os.Getenv("PATH")}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("psql \\du: %v\n%s", err, out)
	}
	for _, want := range []string{"admin|Superuser|{}", "bob||{}", "nologin|Cannot login|{}"} {
		if !strings.Contains(string(out), want+"\n") {
			t.Errorf("\\du output lacks %q:\n%s", want, out)
		}
	}
	// A table bob creates is bob's (\dt's Owner); \dp shows what bob granted on it.
	mustExec(t, s.connect(t, "bob", "pw"), "CREATE TABLE bobs (id int PRIMARY KEY)", "GRANT SELECT ON bobs TO nologin")
	for cmd, want := range map[string]string{`\dt`: "public|bobs|table|bob\n", `\dp`: "public|bobs|table|bob=arwdD/bob\nnologin=r/bob||\n"} {
		cmd := exec.CommandContext(ctx, bin, "-X", "-A", "-t", "-h", host, "-p", port, "-U", "bob", "-d", "db", "-c", cmd)
		cmd.Env = []string{"HOME=" + t.TempDir(), "LC_ALL=C.UTF-8", "PGCONNECT_TIMEOUT=10", "PGPASSWORD=pw", "PATH=" + os.Getenv("PATH")}
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), want) {
			t.Errorf("psql %s: %v, output lacks %q:\n%s", cmd.Args[len(cmd.Args)-1], err, want, out)
		}
	}
}
