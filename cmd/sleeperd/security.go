package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"time"

	"github.com/sleeperd/sleeperd/engine"
	"github.com/sleeperd/sleeperd/flightsql"
	"github.com/sleeperd/sleeperd/httpapi"
	"github.com/sleeperd/sleeperd/pgwire"
)

// Authentication modes (--auth).
const (
	authTrust = "trust"
	authSCRAM = "scram"
)

// securityConfig is the authentication, TLS and connection-limit part of serve's flags.
type securityConfig struct {
	auth           string
	tlsCert        string
	tlsKey         string
	tlsMode        string
	maxConnections int
	maxMessage     byteSize
	startupTimeout time.Duration
	flightStmtIdle time.Duration
	tokenTTL       time.Duration

	tls *tls.Config // loaded by resolve
}

func addSecurityFlags(fs *flag.FlagSet, c *securityConfig) {
	fs.StringVar(&c.auth, "auth", "", "client authentication: trust (any user name, no password; only when every listener is on a loopback address) or scram (passwords, SCRAM-SHA-256 over pgwire, basic auth then bearer tokens over Flight SQL); empty: trust when every listener is on loopback, else scram")
	fs.StringVar(&c.tlsCert, "tls-cert", "", "PEM certificate (chain) file: turns TLS on for pgwire (SSLRequest) and Flight SQL")
	fs.StringVar(&c.tlsKey, "tls-key", "", "PEM private key file of --tls-cert")
	fs.StringVar(&c.tlsMode, "tls-mode", "", "disable, allow (clients choose) or require (plaintext pgwire clients are refused); empty: allow with --tls-cert, else disable")
	fs.IntVar(&c.maxConnections, "max-connections", 100, "most pgwire client connections at once; more are refused with SQLSTATE 53300 (0: no limit)")
	c.maxMessage = pgwire.DefaultMaxMessageSize
	fs.Var(&c.maxMessage, "max-message-size", "largest protocol message a pgwire client may send, such as 256MiB; a larger one ends the connection with SQLSTATE 08P01")
	fs.DurationVar(&c.startupTimeout, "startup-timeout", pgwire.DefaultStartupTimeout, "how long a pgwire client may take to start up and authenticate")
	fs.DurationVar(&c.flightStmtIdle, "flight-statement-idle", 30*time.Minute, "how long a Flight SQL prepared statement may go unused before it is closed (0: never)")
	fs.DurationVar(&c.tokenTTL, "flight-token-ttl", time.Hour, "how long a Flight SQL bearer token stays valid")
}

// isLoopbackAddr reports whether a listen address is on a loopback interface only.
func isLoopbackAddr(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// resolve checks the flags against the addresses served (empty ones are off), fills in
// the defaults and loads the certificate.
func (c *securityConfig) resolve(addrs ...string) error {
	loopback := true
	for _, a := range addrs {
		if a != "" && !isLoopbackAddr(a) {
			loopback = false
		}
	}
	switch c.auth {
	case "":
		c.auth = authSCRAM
		if loopback {
			c.auth = authTrust
		}
	case authTrust:
		if !loopback {
			return errors.New("-auth trust is allowed only when every listener is on a loopback address; use -auth scram")
		}
	case authSCRAM:
	default:
		return fmt.Errorf("-auth must be trust or scram, not %q", c.auth)
	}
	if (c.tlsCert == "") != (c.tlsKey == "") {
		return errors.New("-tls-cert and -tls-key go together")
	}
	if c.tlsMode == "" {
		c.tlsMode = pgwire.TLSDisable
		if c.tlsCert != "" {
			c.tlsMode = pgwire.TLSAllow
		}
	}
	switch c.tlsMode {
	case pgwire.TLSDisable, pgwire.TLSAllow, pgwire.TLSRequire:
	default:
		return fmt.Errorf("-tls-mode must be disable, allow or require, not %q", c.tlsMode)
	}
	if c.tlsMode != pgwire.TLSDisable && c.tlsCert == "" {
		return fmt.Errorf("-tls-mode %s needs -tls-cert and -tls-key", c.tlsMode)
	}
	if c.tlsCert != "" && c.tlsMode != pgwire.TLSDisable {
		cert, err := tls.LoadX509KeyPair(c.tlsCert, c.tlsKey)
		if err != nil {
			return fmt.Errorf("loading -tls-cert and -tls-key: %w", err)
		}
		c.tls = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	if c.maxConnections < 0 {
		return fmt.Errorf("-max-connections must not be negative, not %d", c.maxConnections)
	}
	if c.maxMessage < 1<<10 {
		return fmt.Errorf("-max-message-size must be at least 1KiB, not %d bytes", c.maxMessage)
	}
	return nil
}

// TLSConfig is the server TLS configuration of every listener (nil without TLS), for the
// HTTP server too.
func (c *securityConfig) TLSConfig() *tls.Config {
	if c.tls == nil {
		return nil
	}
	return c.tls.Clone()
}

// requirePasswords reports whether clients must authenticate.
func (c *securityConfig) requirePasswords() bool { return c.auth == authSCRAM }

// ensureSuperuser creates the first superuser, SLEEPERD_USER (default sleeper) with
// SLEEPERD_PASSWORD, if no role of that name exists, or gives it the password if it has
// none. With passwords required, a superuser without a password needs SLEEPERD_PASSWORD;
// under trust without SLEEPERD_PASSWORD nothing is created.
func (c *securityConfig) ensureSuperuser(ctx context.Context, eng *engine.Engine, log *slog.Logger) error {
	user := os.Getenv("SLEEPERD_USER")
	if user == "" {
		user = "sleeper"
	}
	password := os.Getenv("SLEEPERD_PASSWORD")
	if !c.requirePasswords() && password == "" {
		return nil // trust: nothing to create a password for
	}
	if c.requirePasswords() && password == "" {
		if v, err := eng.Verifier(ctx, user); err != nil || v == "" {
			if err != nil {
				return err
			}
			return fmt.Errorf("-auth scram: set SLEEPERD_PASSWORD to give the superuser %q a password", user)
		}
	}
	created, err := eng.EnsureSuperuser(ctx, user, password)
	if err != nil {
		return fmt.Errorf("creating superuser %q: %w", user, err)
	}
	if created {
		log.Info("superuser created", "user", user)
	}
	return nil
}

// pgwireConfig adds the security settings to a pgwire configuration.
func (c *securityConfig) pgwireConfig(cfg pgwire.Config, eng *engine.Engine) pgwire.Config {
	if c.requirePasswords() {
		cfg.Verifier = eng.Verifier
	}
	cfg.TLS, cfg.TLSMode = c.TLSConfig(), c.tlsMode
	cfg.MaxConnections = c.maxConnections
	cfg.MaxMessageSize = int(c.maxMessage)
	cfg.StartupTimeout = c.startupTimeout
	return cfg
}

// flightConfig adds the security settings to a Flight SQL configuration.
func (c *securityConfig) flightConfig(cfg flightsql.Config, eng *engine.Engine) flightsql.Config {
	if c.requirePasswords() {
		cfg.Authenticate = func(user, password string) bool {
			_, err := eng.Authenticate(context.Background(), user, password)
			return err == nil
		}
	}
	cfg.TLS = c.TLSConfig()
	cfg.TokenTTL = c.tokenTTL
	cfg.StatementIdle = c.flightStmtIdle
	return cfg
}

// httpAuth is the HTTP frontend's authenticator: the engine's roles and passwords (basic
// auth, or a bearer token that lasts -flight-token-ttl) under scram, none under trust.
func (c *securityConfig) httpAuth(eng *engine.Engine) httpapi.Authenticator {
	if !c.requirePasswords() {
		return httpapi.Trust{}
	}
	return &httpapi.Passwords{TTL: c.tokenTTL, Check: func(ctx context.Context, user, password string) error {
		_, err := eng.Authenticate(ctx, user, password)
		return err
	}}
}
