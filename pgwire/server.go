package pgwire

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/sleeperd/sleeperd/engine"
)

// DefaultAddr is the address ListenAndServe listens on when Config.Addr is empty.
const DefaultAddr = "127.0.0.1:5433"

// DefaultServerVersion is the server_version reported when Config.ServerVersion is empty.
// Clients parse its leading number, so it names the PostgreSQL version whose protocol and
// output formats the server follows.
const DefaultServerVersion = "15.0 (sleeperd)"

// Errors returned by the server.
var (
	// ErrClosed is returned by Serve and ListenAndServe once Shutdown has been called.
	ErrClosed = errors.New("pgwire: server closed")
	// ErrNoConnect is returned by NewServer when Config.Connect is nil.
	ErrNoConnect = errors.New("pgwire: config has no Connect function")
)

// Config configures a Server.
type Config struct {
	// Addr is the TCP address ListenAndServe listens on; DefaultAddr when empty.
	Addr string
	// Logger receives connection events and internal errors; nothing is logged when nil.
	Logger *slog.Logger
	// Connect opens the engine connection for a client that started up with user and
	// database. It is called once per client connection; the server closes the returned Conn
	// when the client goes. No password is asked for unless Verifier is set.
	Connect func(ctx context.Context, user, database string) (engine.Conn, error)
	// Verifier, when set, turns on SCRAM-SHA-256 password authentication: it returns the
	// stored verifier of user in PostgreSQL's format (engine.Engine.Verifier), "" for a user
	// that is unknown or has no password. Failures are 28P01, the same for every cause.
	Verifier func(ctx context.Context, user string) (string, error)
	// TLS, when set, is the configuration of the connections that ask for TLS (SSLRequest).
	TLS *tls.Config
	// TLSMode is TLSDisable, TLSAllow or TLSRequire; "" is TLSAllow with TLS set, else
	// TLSDisable.
	TLSMode string
	// MaxConnections, when positive, is the most client connections open at once; more are
	// refused with 53300.
	MaxConnections int
	// MaxMessageSize is the largest message a client may send, in bytes
	// (DefaultMaxMessageSize when 0); a larger one ends the connection with 08P01.
	MaxMessageSize int
	// StartupTimeout bounds the startup phase, authentication included
	// (DefaultStartupTimeout when 0).
	StartupTimeout time.Duration
	// ServerVersion is reported as the server_version parameter; DefaultServerVersion when
	// empty. It should start with a PostgreSQL version number.
	ServerVersion string
}

// Server accepts PostgreSQL clients and runs their statements on engine connections, one
// goroutine per client.
type Server struct {
	cfg    Config
	log    *slog.Logger
	ctx    context.Context // cancelled by Shutdown; every query's context derives from it
	cancel context.CancelFunc

	mu     sync.Mutex
	closed bool
	lns    map[net.Listener]struct{}
	addr   net.Addr
	conns  map[*conn]struct{}
	keys   map[uint32]*conn // by process ID, for CancelRequest
	pid    uint32
	active sync.WaitGroup // connection goroutines

	// mockSecret salts the SCRAM exchange of unknown users (scram.Mock).
	mockSecret []byte
}

// NewServer returns a server for cfg. It does not listen until Serve or ListenAndServe.
func NewServer(cfg Config) (*Server, error) {
	if cfg.Connect == nil {
		return nil, ErrNoConnect
	}
	if cfg.Addr == "" {
		cfg.Addr = DefaultAddr
	}
	if cfg.ServerVersion == "" {
		cfg.ServerVersion = DefaultServerVersion
	}
	if cfg.MaxMessageSize <= 0 {
		cfg.MaxMessageSize = DefaultMaxMessageSize
	}
	if err := checkTLSConfig(&cfg); err != nil {
		return nil, err
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Server{
		cfg:    cfg,
		log:    log,
		ctx:    ctx,
		cancel: cancel,
		lns:    map[net.Listener]struct{}{},
		conns:  map[*conn]struct{}{},
		keys:   map[uint32]*conn{},

		mockSecret: newMockSecret(),
	}, nil
}

// ListenAndServe listens on Config.Addr and serves until ctx is done, then shuts the server
// down, waiting for its connections to close. It returns ErrClosed after a shutdown.
func (s *Server) ListenAndServe(ctx context.Context) error {
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", s.cfg.Addr, err)
	}
	stop := context.AfterFunc(ctx, func() { _ = s.Shutdown(context.Background()) })
	defer stop()
	err = s.Serve(ln)
	if errors.Is(err, ErrClosed) {
		_ = s.Shutdown(context.Background()) // waits for the connections
	}
	return err
}

// Serve accepts connections on ln until Shutdown, and closes ln. It returns ErrClosed after
// Shutdown, or the error that stopped Accept.
func (s *Server) Serve(ln net.Listener) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		ln.Close()
		return ErrClosed
	}
	s.lns[ln] = struct{}{}
	if s.addr == nil {
		s.addr = ln.Addr()
	}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.lns, ln)
		s.mu.Unlock()
		ln.Close()
	}()
	for {
		nc, err := ln.Accept()
		if err != nil {
			s.mu.Lock()
			closed := s.closed
			s.mu.Unlock()
			if closed {
				return ErrClosed
			}
			return fmt.Errorf("accepting connections: %w", err)
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			nc.Close()
			return ErrClosed
		}
		c := &conn{srv: s, nc: nc, tx: txIdle}
		// The connection's queries derive their contexts from its own, so that starting one
		// does not contend with every other connection's on the server's context.
		c.ctx, c.cancelCtx = context.WithCancel(s.ctx)
		s.conns[c] = struct{}{}
		s.active.Add(1)
		s.mu.Unlock()
		go func() {
			defer s.active.Done()
			defer c.cancelCtx()
			c.serve()
			s.mu.Lock()
			delete(s.conns, c)
			if s.keys[c.pid] == c {
				delete(s.keys, c.pid)
			}
			s.mu.Unlock()
		}()
	}
}

// Addr returns the address of the first listener passed to Serve, or nil before that.
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// Shutdown stops accepting connections, cancels running queries, closes every client
// connection and waits until their goroutines have released their engine connections, or
// until ctx is done, when it returns ctx's error.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closed = true
	for ln := range s.lns {
		ln.Close()
	}
	s.cancel()
	for c := range s.conns {
		c.nc.Close()
	}
	s.mu.Unlock()
	done := make(chan struct{})
	go func() {
		s.active.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// register gives c a process ID and secret key for BackendKeyData.
func (s *Server) register(c *conn) error {
	secret := make([]byte, 4)
	if _, err := rand.Read(secret); err != nil {
		return fmt.Errorf("making cancel key: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if es, ok := c.ec.(engine.Session); ok {
		// The engine's process ID, which pg_stat_activity shows and pg_cancel_backend takes.
		if pid := uint32(es.PID()); pid != 0 && s.keys[pid] == nil {
			c.pid, c.secret = pid, secret
			s.keys[pid] = c
			return nil
		}
	}
	for {
		s.pid++
		if _, used := s.keys[s.pid]; !used && s.pid != 0 {
			break
		}
	}
	c.pid, c.secret = s.pid, secret
	s.keys[c.pid] = c
	return nil
}

// cancelQuery cancels the query running on the connection with the given key, if any.
func (s *Server) cancelQuery(pid uint32, secret []byte) {
	s.mu.Lock()
	c := s.keys[pid]
	s.mu.Unlock()
	if c == nil || subtle.ConstantTimeCompare(c.secret, secret) != 1 {
		return
	}
	c.cancelRunning()
}
