package e2e

import (
	"context"
	"crypto/tls"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sleeperd/sleeperd/internal/testca"
)

// sleeperd serve --tls-cert --tls-key --tls-mode require --auth scram: pgx connects with
// sslmode=verify-full against the test CA and is refused in the clear; the HTTP frontend
// serves HTTPS with the same certificate and users, and refuses plain HTTP and clients that
// do not trust the CA.
func TestServeTLS(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ca := testca.New(t)
	cert, key := ca.ServerFiles(t)
	s := startEnv(ctx, t, t.TempDir(), []string{"SLEEPERD_USER=root", "SLEEPERD_PASSWORD=pw"},
		"--auth", "scram", "--tls-cert", cert, "--tls-key", key, "--tls-mode", "require")

	dsn := func(mode string) string {
		return "postgres://" + url.UserPassword("root", "pw").String() + "@" + s.addr + "/db?sslmode=" + mode + "&sslrootcert=" + url.QueryEscape(ca.File(t))
	}
	c, err := pgx.Connect(ctx, dsn("verify-full"))
	if err != nil {
		t.Fatalf("pgx with sslmode=verify-full: %v", err)
	}
	var n int
	if err := c.QueryRow(ctx, "SELECT 41 + 1").Scan(&n); err != nil || n != 42 {
		t.Errorf("query over TLS: %d %v", n, err)
	}
	c.Close(ctx)
	if c, err := pgx.Connect(ctx, dsn("disable")); err == nil {
		c.Close(ctx)
		t.Error("a plaintext connection was accepted under --tls-mode require")
	}

	addr := s.httpAddr(ctx, t)
	if !strings.Contains(s.logs.String(), "protocol=https") {
		t.Errorf("the HTTP frontend does not say it serves HTTPS:\n%s", s.logs)
	}
	trusting := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.Pool}}}
	get := func(client *http.Client, u, user, password string) (int, string, error) {
		req, err := http.NewRequestWithContext(ctx, "GET", u, nil)
		if err != nil {
			return 0, "", err
		}
		if user != "" {
			req.SetBasicAuth(user, password)
		}
		resp, err := client.Do(req)
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body), nil
	}
	if code, body, err := get(trusting, "https://"+addr+"/healthz", "", ""); err != nil || code != http.StatusOK {
		t.Errorf("GET /healthz over HTTPS: %d %q %v", code, body, err)
	}
	if code, body, err := get(trusting, "https://"+addr+"/api/v1/tables", "root", "pw"); err != nil || code != http.StatusOK {
		t.Errorf("GET /api/v1/tables over HTTPS as the superuser: %d %q %v", code, body, err)
	}
	if code, body, err := get(trusting, "https://"+addr+"/api/v1/tables", "root", "wrong"); err != nil || code != http.StatusUnauthorized || !strings.Contains(body, "28P01") {
		t.Errorf("GET /api/v1/tables over HTTPS with a wrong password: %d %q %v", code, body, err)
	}
	// A client that does not trust the CA fails the handshake; plain HTTP gets no answer.
	if _, _, err := get(&http.Client{Timeout: 30 * time.Second}, "https://"+addr+"/healthz", "", ""); err == nil {
		t.Error("HTTPS succeeded for a client that does not trust the test CA")
	}
	if code, _, err := get(&http.Client{Timeout: 30 * time.Second}, "http://"+addr+"/healthz", "", ""); err == nil && code == http.StatusOK {
		t.Error("plain HTTP was served beside HTTPS")
	}
}
