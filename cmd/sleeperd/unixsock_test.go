package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// writeTestCert writes a self-signed certificate and its key into dir.
func writeTestCert(t *testing.T, dir string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "localhost"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), DNSNames: []string{"localhost"}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

// startServe runs serve's server with args (its other listeners off) until the returned
// function stops it and returns its error. It returns once the socket for port in dir
// accepts connections.
func startServe(t *testing.T, dir string, port int, args ...string) (stop func() error) {
	t.Helper()
	args = append([]string{"--data", t.TempDir(), "--flight-addr", "", "--http-addr", "", "--trino-addr", "",
		"--maintenance-interval", "0", "--cache-memory", "0", "--shutdown-timeout", "5s"}, args...)
	cfg, err := parseServe(args, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- serveUntilDone(ctx, cfg, slog.New(slog.DiscardHandler)) }()
	stop = func() error {
		cancel()
		select {
		case err := <-errc:
			return err
		case <-time.After(30 * time.Second):
			t.Fatal("the server did not stop")
			return nil
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		if c, err := net.Dial("unix", pgSocketName(dir, port)); err == nil {
			c.Close()
			return stop
		}
		select {
		case err := <-errc:
			cancel()
			t.Fatalf("serve: %v", err)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			stop()
			t.Fatal("no socket in time")
		}
	}
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// sslRequest sends SSLRequest on a new connection to network, addr and returns the answer.
func sslRequest(t *testing.T, network, addr string) byte {
	t.Helper()
	c, err := net.DialTimeout(network, addr, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write([]byte{0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f}); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 1)
	if _, err := io.ReadFull(c, b); err != nil {
		t.Fatal(err)
	}
	return b[0]
}

// TestPgSocket serves over a unix-domain socket beside TCP, as PostgreSQL's
// unix_socket_directories: psql and pgx reach it with host=DIR, TLS is neither offered nor
// required there, pg_stat_activity shows no client address, a live socket is not taken
// over, and the socket file goes with the server.
func TestPgSocket(t *testing.T) {
	dir := t.TempDir()
	cert, key := writeTestCert(t, t.TempDir())
	port := freePort(t)
	addr := "127.0.0.1:" + strconv.Itoa(port)
	path := pgSocketName(dir, port)
	// A socket left by a server that is gone is replaced.
	stale, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	stale.SetUnlinkOnClose(false)
	stale.Close()
	stop := startServe(t, dir, port, "--pg-addr", addr, "--pg-socket-dir", dir, "--tls-cert", cert, "--tls-key", key, "--tls-mode", "require")
	stopped := false
	defer func() {
		if !stopped {
			stop()
		}
	}()
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o777 {
		t.Errorf("socket %s: %v, %v; want mode 0777", path, fi, err)
	}

	// TLS on TCP, none on the socket: PostgreSQL answers SSLRequest there with 'N'.
	if got := sslRequest(t, "tcp", addr); got != 'S' {
		t.Errorf("SSLRequest over TCP: %q, want 'S'", got)
	}
	if got := sslRequest(t, "unix", path); got != 'N' {
		t.Errorf("SSLRequest over the socket: %q, want 'N'", got)
	}

	if bin, err := exec.LookPath("psql"); err != nil {
		t.Log("psql not installed: skipping its part")
	} else {
		// libpq uses no TLS over a socket, sslmode=require or not, and the server does
		// not require it there.
		for _, mode := range []string{"prefer", "require"} {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			cmd := exec.CommandContext(ctx, bin, "-h", dir, "-p", strconv.Itoa(port), "-U", "sleeper", "-d", "sleeper", "-X", "-A", "-t",
				"-c", "select 40 + 2")
			cmd.Env = []string{"HOME=" + t.TempDir(), "LC_ALL=C.UTF-8", "PGCONNECT_TIMEOUT=10", "PGSSLMODE=" + mode, "PATH=" + os.Getenv("PATH")}
			var out, errOut bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &errOut
			err := cmd.Run()
			cancel()
			if err != nil || strings.TrimSpace(out.String()) != "42" {
				t.Errorf("psql -h %s sslmode=%s: %q, %v, stderr %q", dir, mode, out.String(), err, errOut.String())
			}
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, mode := range []string{"disable", "require"} {
		pc, err := pgx.Connect(ctx, fmt.Sprintf("host=%s port=%d user=sleeper dbname=sleeper sslmode=%s", dir, port, mode))
		if err != nil {
			t.Fatalf("pgx over the socket, sslmode=%s: %v", mode, err)
		}
		var addrNull bool
		var clientPort int32
		err = pc.QueryRow(ctx, "select client_addr is null, client_port from pg_stat_activity where pid = $1", int32(pc.PgConn().PID())).Scan(&addrNull, &clientPort)
		if err != nil || !addrNull || clientPort != -1 {
			t.Errorf("pg_stat_activity over the socket: client_addr null %v, client_port %d, %v; want true, -1", addrNull, clientPort, err)
		}
		pc.Close(ctx)
	}
	// Plaintext over TCP is still refused with --tls-mode require.
	if pc, err := pgx.Connect(ctx, fmt.Sprintf("host=127.0.0.1 port=%d user=sleeper dbname=sleeper sslmode=disable", port)); err == nil {
		pc.Close(ctx)
		t.Error("plaintext TCP connection admitted under --tls-mode require")
	}

	// A second server on another address but the same socket refuses to start.
	cfg2, err := parseServe([]string{"--data", t.TempDir(), "--flight-addr", "", "--http-addr", "", "--trino-addr", "", "--maintenance-interval", "0",
		"--pg-addr", "127.0.0.2:" + strconv.Itoa(port), "--pg-socket-dir", dir}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	err = serveUntilDone(ctx, cfg2, slog.New(slog.DiscardHandler))
	if err == nil || !strings.Contains(err.Error(), "another server is listening") {
		t.Errorf("second server on %s: %v, want a refusal", path, err)
	}
	if pc, err := pgx.Connect(ctx, fmt.Sprintf("host=%s port=%d user=sleeper dbname=sleeper", dir, port)); err != nil {
		t.Errorf("the first server's socket after the second's refusal: %v", err)
	} else {
		pc.Close(ctx)
	}

	stopped = true
	if err := stop(); err != nil {
		t.Errorf("stopping: %v", err)
	}
	if _, err := os.Lstat(path); !os.IsNotExist(err) {
		t.Errorf("socket file after shutdown: %v, want it gone", err)
	}
}

// TestPgSocketNotASocket refuses to listen where a file that is not a socket is.
func TestPgSocketNotASocket(t *testing.T) {
	dir := t.TempDir()
	port := freePort(t)
	if err := os.WriteFile(pgSocketName(dir, port), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := parseServe([]string{"--data", t.TempDir(), "--flight-addr", "", "--http-addr", "", "--trino-addr", "", "--maintenance-interval", "0",
		"--pg-addr", "127.0.0.1:" + strconv.Itoa(port), "--pg-socket-dir", dir}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := serveUntilDone(ctx, cfg, slog.New(slog.DiscardHandler)); err == nil || !strings.Contains(err.Error(), "not a socket") {
		t.Errorf("serve over a regular file: %v", err)
	}
	if b, err := os.ReadFile(pgSocketName(dir, port)); err != nil || string(b) != "x" {
		t.Errorf("the file was touched: %q, %v", b, err)
	}
}
