package main

import (
	"io"
	"strings"
	"testing"
)

// --auth defaults to trust on loopback and scram elsewhere, refuses trust elsewhere; the TLS
// flags go together and need a loadable certificate.
func TestSecurityFlags(t *testing.T) {
	for _, c := range []struct {
		args     []string
		wantAuth string
		wantErr  string
	}{
		{nil, authTrust, ""},
		{[]string{"--pg-addr", "0.0.0.0:5433"}, authSCRAM, ""},
		{[]string{"--flight-addr", "10.0.0.1:32010"}, authSCRAM, ""},
		{[]string{"--pg-addr", "localhost:5433", "--auth", "scram"}, authSCRAM, ""},
		{[]string{"--pg-addr", "[::1]:5433", "--flight-addr", ""}, authTrust, ""},
		{[]string{"--pg-addr", ":5433", "--auth", "trust"}, "", "-auth trust is allowed only when every listener is on a loopback address"},
		{[]string{"--auth", "md5"}, "", `-auth must be trust or scram, not "md5"`},
		{[]string{"--tls-cert", "c.pem"}, "", "-tls-cert and -tls-key go together"},
		{[]string{"--tls-mode", "require"}, "", "-tls-mode require needs -tls-cert and -tls-key"},
		{[]string{"--tls-mode", "sometimes"}, "", `-tls-mode must be disable, allow or require, not "sometimes"`},
		{[]string{"--tls-cert", "/nonexistent/c.pem", "--tls-key", "/nonexistent/k.pem"}, "", "loading -tls-cert and -tls-key"},
		{[]string{"--max-connections", "-1"}, "", "-max-connections must not be negative"},
		{[]string{"--max-message-size", "10"}, "", "-max-message-size must be at least 1KiB"},
	} {
		cfg, err := parseServe(c.args, io.Discard)
		if c.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("%q: %v, want %q", c.args, err, c.wantErr)
			}
			continue
		}
		if err != nil || cfg.sec.auth != c.wantAuth {
			t.Errorf("%q: auth %q, %v; want %q", c.args, cfg.sec.auth, err, c.wantAuth)
		}
	}
}
