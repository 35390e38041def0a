package pgwire

import (
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/sleeperd/sleeperd/engine"
	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/internal/scram"
)

// TLS modes (Config.TLSMode).
const (
	// TLSDisable declines SSLRequest: every client talks in the clear.
	TLSDisable = "disable"
	// TLSAllow accepts SSLRequest and lets clients that do not ask talk in the clear.
	TLSAllow = "allow"
	// TLSRequire refuses a client that did not switch to TLS, except over a unix-domain
	// socket, where TLS is not offered.
	TLSRequire = "require"
)

// DefaultMaxMessageSize is the largest protocol message a client may send when
// Config.MaxMessageSize is 0; PostgreSQL's own limit on a query string is 1 GiB.
const DefaultMaxMessageSize = 256 << 20

// DefaultStartupTimeout bounds the startup phase (TLS handshake, startup packet and
// authentication) when Config.StartupTimeout is 0, as PostgreSQL's authentication_timeout.
const DefaultStartupTimeout = time.Minute

// checkTLSConfig validates the TLS settings of cfg and fills in the mode's default.
func checkTLSConfig(cfg *Config) error {
	if cfg.TLSMode == "" {
		cfg.TLSMode = TLSDisable
		if cfg.TLS != nil {
			cfg.TLSMode = TLSAllow
		}
	}
	switch cfg.TLSMode {
	case TLSDisable:
	case TLSAllow, TLSRequire:
		if cfg.TLS == nil {
			return fmt.Errorf("pgwire: TLS mode %q needs a certificate", cfg.TLSMode)
		}
	default:
		return fmt.Errorf("pgwire: unknown TLS mode %q (disable, allow or require)", cfg.TLSMode)
	}
	return nil
}

// answerSSLRequest answers SSLRequest: with TLS on it switches the connection to TLS and
// reports whether the handshake succeeded; else it declines.
func (c *conn) answerSSLRequest() bool {
	if c.tls {
		return false // a second request, inside TLS: a protocol violation
	}
	if c.srv.cfg.TLSMode == TLSDisable || c.local() {
		_, err := c.nc.Write([]byte{'N'})
		return err == nil
	}
	if _, err := c.nc.Write([]byte{'S'}); err != nil {
		return false
	}
	tc := tls.Server(c.nc, c.srv.cfg.TLS)
	if err := tc.HandshakeContext(c.srv.ctx); err != nil {
		c.srv.log.Debug("TLS handshake", "err", err)
		return false
	}
	c.tls = true
	c.be = pgproto3.NewBackend(tc, tc)
	return true
}

// local reports whether the client came over a unix-domain socket. As PostgreSQL does, the
// server offers no TLS there (SSLRequest is answered 'N') and TLSRequire does not apply:
// the connection never leaves the machine, and the socket's permissions guard it.
func (c *conn) local() bool {
	_, ok := c.nc.LocalAddr().(*net.UnixAddr)
	return ok
}

// admit runs the checks between the startup message and AuthenticationOk: TLS required,
// the connection limit, and the password. It reports the failure to the client and returns
// false when the connection must end.
func (c *conn) admit(user string) bool {
	cfg := c.srv.cfg
	if cfg.TLSMode == TLSRequire && !c.tls && !c.local() {
		c.fatal(&errs.Error{Kind: errs.InvalidAuthorization, Msg: "the server accepts only TLS connections", Hint: "Connect with sslmode=require (or verify-ca, verify-full)."})
		return false
	}
	if cfg.MaxConnections > 0 && c.srv.count() > cfg.MaxConnections {
		c.fatal(errs.New(errs.TooManyConnections, "sorry, too many clients already"))
		return false
	}
	if cfg.Verifier == nil {
		return true
	}
	if err := c.scram(user); err != nil {
		c.srv.log.Debug("authentication failed", "user", user, "err", err)
		if !errors.Is(err, errs.InvalidPassword) {
			var ne net.Error
			if errors.As(err, &ne) || errors.Is(err, net.ErrClosed) {
				return false
			}
		}
		c.fatal(err)
		return false
	}
	return true
}

// scram runs a SCRAM-SHA-256 exchange for user. An unknown user, one without a password
// and a wrong password all end in the same errs.InvalidPassword, after an exchange that
// looks the same.
func (c *conn) scram(user string) error {
	stored, err := c.srv.cfg.Verifier(c.srv.ctx, user)
	if err != nil {
		return err
	}
	v, perr := scram.Parse(stored)
	mock := perr != nil
	if mock {
		v = scram.Mock(user, c.srv.mockSecret)
	}
	srv := scram.NewServer(v, mock)
	c.be.Send(&pgproto3.AuthenticationSASL{AuthMechanisms: []string{scram.Mechanism}})
	if err := c.flush(); err != nil {
		return err
	}
	if err := c.be.SetAuthType(pgproto3.AuthTypeSASL); err != nil {
		return err
	}
	msg, err := c.be.Receive()
	if err != nil {
		return err
	}
	first, ok := msg.(*pgproto3.SASLInitialResponse)
	if !ok {
		return errs.New(errs.ProtocolViolation, "expected SASL response, got %T", msg)
	}
	if first.AuthMechanism != scram.Mechanism {
		return errs.New(errs.ProtocolViolation, "client selected an invalid SASL authentication mechanism")
	}
	serverFirst, err := srv.First(string(first.Data))
	if err != nil {
		return errs.New(errs.ProtocolViolation, "%s", err.Error())
	}
	c.be.Send(&pgproto3.AuthenticationSASLContinue{Data: []byte(serverFirst)})
	if err := c.flush(); err != nil {
		return err
	}
	if err := c.be.SetAuthType(pgproto3.AuthTypeSASLContinue); err != nil {
		return err
	}
	msg, err = c.be.Receive()
	if err != nil {
		return err
	}
	final, ok := msg.(*pgproto3.SASLResponse)
	if !ok {
		return errs.New(errs.ProtocolViolation, "expected SASL response, got %T", msg)
	}
	serverFinal, err := srv.Final(string(final.Data))
	if errors.Is(err, scram.ErrFailed) {
		return engine.PasswordFailed(user)
	}
	if err != nil {
		return errs.New(errs.ProtocolViolation, "%s", err.Error())
	}
	c.be.Send(&pgproto3.AuthenticationSASLFinal{Data: []byte(serverFinal)})
	return nil
}

// count is the number of client connections open now (the one asking included).
func (s *Server) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

func newMockSecret() []byte {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return b
}

// idleDeadline sets the read deadline of the wait for the client's next message: the
// session's idle_in_transaction_session_timeout inside a transaction block, none outside.
func (c *conn) idleDeadline() time.Duration {
	var d time.Duration
	if c.tx != txIdle {
		d = engine.IdleInTransactionTimeout(c.ec)
	}
	if d > 0 {
		_ = c.nc.SetReadDeadline(time.Now().Add(d))
	} else if c.idleArmed {
		_ = c.nc.SetReadDeadline(time.Time{})
	}
	c.idleArmed = d > 0
	return d
}

// withStartupDeadline bounds the startup phase by Config.StartupTimeout.
func (c *conn) withStartupDeadline(f func() bool) bool {
	d := c.srv.cfg.StartupTimeout
	if d <= 0 {
		d = DefaultStartupTimeout
	}
	_ = c.nc.SetDeadline(time.Now().Add(d))
	ok := f()
	_ = c.nc.SetDeadline(time.Time{})
	return ok
}
