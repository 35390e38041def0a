package pgwire

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/sleeperd/sleeperd/internal/testca"
	"github.com/sleeperd/sleeperd/storage/objstore"
)

// testCA is a certificate authority made for a test, and a server certificate it signed
// for localhost and 127.0.0.1.
type testCA struct {
	caFile string // PEM of the CA certificate
	server tls.Certificate
}

func newTestCA(t *testing.T) *testCA {
	t.Helper()
	ca := testca.New(t)
	return &testCA{caFile: ca.File(t), server: ca.Server}
}

func (ca *testCA) config() *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{ca.server}, MinVersion: tls.VersionTLS12}
}

// With --tls-mode require, pgx and psql connect with sslmode=verify-full against the test's
// CA and a password; a client in the clear is refused with 28000.
func TestTLSRequire(t *testing.T) {
	ca := newTestCA(t)
	s := startAuthServer(t, objstore.NewMem(), func(c *Config) { c.TLS, c.TLSMode = ca.config(), TLSRequire })
	ctx := testContext(t)
	_, port, _ := net.SplitHostPort(s.addr)
	verify := "sslmode=verify-full&sslrootcert=" + ca.caFile
	c, err := pgx.Connect(ctx, "postgres://admin:secret@localhost:"+port+"/db?"+verify)
	if err != nil {
		t.Fatalf("pgx over TLS: %v", err)
	}
	defer c.Close(ctx)
	if _, ok := c.PgConn().Conn().(*tls.Conn); !ok {
		t.Errorf("pgx connection is %T, not TLS", c.PgConn().Conn())
	}
	var n int
	if err := c.QueryRow(ctx, "SELECT 41 + 1").Scan(&n); err != nil || n != 42 {
		t.Errorf("query over TLS: %d, %v", n, err)
	}
	_, err = pgx.Connect(ctx, s.url("admin", "secret", "sslmode=disable"))
	if code, msg := pgCode(err); code != "28000" || msg != "the server accepts only TLS connections" {
		t.Errorf("plaintext client: got %s %q, want 28000", code, msg)
	}
	// A CA the server's certificate does not chain to fails verification.
	other := newTestCA(t)
	if _, err := pgx.Connect(ctx, "postgres://admin:secret@localhost:"+port+"/db?sslmode=verify-full&sslrootcert="+other.caFile); err == nil {
		t.Error("verify-full accepted a certificate of another CA")
	}

	bin, err := exec.LookPath("psql")
	if err != nil {
		t.Skip("psql not installed")
	}
	run := func(password, sslmode string) (string, string, error) {
		cctx, cancel := context.WithTimeout(context.Background(), testTimeout)
		defer cancel()
		cmd := exec.CommandContext(cctx, bin, "-X", "-A", "-t", "-c", `\conninfo`, "-c", "select 41 + 1",
			"host=localhost port="+port+" user=admin dbname=db sslmode="+sslmode+" sslrootcert="+ca.caFile)
		cmd.Env = []string{"HOME=" + t.TempDir(), "LC_ALL=C.UTF-8", "PGCONNECT_TIMEOUT=10", "PGPASSWORD=" + password, "PATH=" + os.Getenv("PATH")}
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		err := cmd.Run()
		return out.String(), errOut.String(), err
	}
	out, errOut, err := run("secret", "verify-full")
	if err != nil || !strings.Contains(out, "SSL connection (protocol: TLS") || !strings.HasSuffix(out, "\n42\n") || !strings.Contains(out, `as user "admin"`) {
		t.Errorf("psql verify-full: %v\n%s%s", err, out, errOut)
	}
	_, errOut, err = run("wrong", "verify-full")
	if err == nil || !strings.Contains(errOut, `FATAL:  password authentication failed for user "admin"`) {
		t.Errorf("psql with a wrong password: %v\n%s", err, errOut)
	}
	_, errOut, err = run("secret", "disable")
	if err == nil || !strings.Contains(errOut, "FATAL:  the server accepts only TLS connections") {
		t.Errorf("psql in the clear: %v\n%s", err, errOut)
	}
}

// The connection limit refuses one client too many with 53300; a message over the size
// limit ends the connection with 08P01; a client that does not start up in time is
// dropped; a session idle in a transaction past idle_in_transaction_session_timeout is
// ended with 25P03. The server goes on serving after each.
func TestConnectionLimits(t *testing.T) {
	s := startAuthServer(t, objstore.NewMem(), func(c *Config) {
		c.MaxConnections, c.MaxMessageSize, c.StartupTimeout = 2, 4096, 300*time.Millisecond
	})
	ctx := testContext(t)
	a := s.connect(t, "admin", "secret")
	b := s.connect(t, "admin", "secret")
	_, err := pgx.Connect(ctx, s.url("admin", "secret", ""))
	if code, msg := pgCode(err); code != "53300" || msg != "sorry, too many clients already" {
		t.Errorf("third connection: got %s %q, want 53300", code, msg)
	}
	b.Close(ctx)

	_, err = a.Exec(ctx, "SELECT '"+strings.Repeat("x", 8000)+"'")
	if err == nil {
		t.Error("a message over the limit was accepted")
	}
	if !a.IsClosed() {
		if err := a.Ping(ctx); err == nil {
			t.Error("the connection survived a message over the limit")
		}
	}

	// A client that sends nothing is dropped once the startup timeout passes.
	nc, err := net.DialTimeout("tcp", s.addr, testTimeout)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	_ = nc.SetReadDeadline(time.Now().Add(testTimeout))
	if _, err := io.ReadAll(nc); err != nil {
		t.Errorf("waiting for the server to drop a silent client: %v", err)
	}

	c := s.connect(t, "admin", "secret")
	mustExec(t, c, "SET idle_in_transaction_session_timeout = '100ms'", "BEGIN", "SELECT 1")
	// Wait for the server to end the session: its FATAL error arrives on the raw connection.
	raw := c.PgConn().Conn()
	_ = raw.SetReadDeadline(time.Now().Add(testTimeout))
	fe := pgproto3.NewFrontend(raw, raw)
	msg, err := fe.Receive()
	er, ok := msg.(*pgproto3.ErrorResponse)
	if err != nil || !ok || er.Code != "25P03" || er.Message != "terminating connection due to idle-in-transaction timeout" {
		t.Errorf("idle in transaction: got %#v, %v; want FATAL 25P03", msg, err)
	}
	// Outside a block the timeout does not apply.
	d := s.connect(t, "admin", "secret")
	mustExec(t, d, "SET idle_in_transaction_session_timeout = '100ms'", "SELECT 1")
	time.Sleep(300 * time.Millisecond)
	if err := d.Ping(ctx); err != nil && !errors.Is(err, context.Canceled) {
		t.Errorf("idle session outside a transaction was ended: %v", err)
	}
}
