package flightsql

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	"github.com/sleeperd/sleeperd/engine"
)

// DefaultAddr is the address ListenAndServe listens on when Config.Addr is empty.
const DefaultAddr = "127.0.0.1:32010"

// DefaultCatalog is the catalog name the server reports when Config.Catalog is empty.
const DefaultCatalog = "sleeperd"

// DefaultTokenTTL is how long a bearer token stays valid when Config.TokenTTL is zero.
const DefaultTokenTTL = 12 * time.Hour

// Errors returned by the server.
var (
	// ErrClosed is returned by Serve and ListenAndServe once Shutdown has been called.
	ErrClosed = errors.New("flightsql: server closed")
	// ErrNoEngine is returned by NewServer when Config.Engine is nil.
	ErrNoEngine = errors.New("flightsql: config has no engine")
	// ErrNoAuth is returned by Serve for a listener on a non-loopback address when no
	// authentication is configured and Config.AllowNoAuth is false.
	ErrNoAuth = errors.New("flightsql: refusing to serve a non-loopback address without authentication")
)

// Config configures a Server.
type Config struct {
	// Engine runs the statements and provides the catalog.
	Engine *engine.Engine
	// Addr is the TCP address ListenAndServe listens on; DefaultAddr when empty.
	Addr string
	// Logger receives call failures and internal errors; nothing is logged when nil.
	Logger *slog.Logger
	// Alloc is the allocator for decoding uploaded batches (parameters, ingest) and building
	// metadata results; nil is the Go allocator. Query results come from the engine's own.
	Alloc memory.Allocator
	// Catalog is the catalog name reported by the metadata calls; DefaultCatalog when empty.
	Catalog string
	// Authenticate, when set, turns authentication on: clients exchange basic credentials
	// (the Flight Handshake) for a bearer token, and every other call without a valid token
	// fails with Unauthenticated. It reports whether user and password are valid.
	Authenticate func(user, password string) bool
	// TokenTTL is how long a bearer token stays valid; DefaultTokenTTL when zero.
	TokenTTL time.Duration
	// StatementIdle, when positive, is how long a prepared statement may go unused before
	// it is closed (and its handle answers NotFound).
	StatementIdle time.Duration
	// AllowNoAuth permits serving a non-loopback address without Authenticate.
	AllowNoAuth bool
	// TLS, when set, serves TLS with this configuration (it needs a certificate).
	TLS *tls.Config
	// IngestChunkRows is the number of parameter rows an update of a prepared statement
	// bound to a stream of batches buffers before running them; an INSERT of bare
	// parameters writes each such chunk as one commit. 0 is 1<<20. Bulk ingest
	// (CommandStatementIngest) does not use it: it streams every batch into one commit.
	IngestChunkRows int64
}

// Server serves Flight SQL over gRPC.
type Server struct {
	cfg  Config
	log  *slog.Logger
	grpc *grpc.Server
	sql  *sqlServer

	mu      sync.Mutex
	closed  bool
	serving bool
	addr    net.Addr
}

// NewServer returns a server for cfg. It does not listen until Serve or ListenAndServe.
func NewServer(cfg Config) (*Server, error) {
	if cfg.Engine == nil {
		return nil, ErrNoEngine
	}
	if cfg.Addr == "" {
		cfg.Addr = DefaultAddr
	}
	if cfg.Catalog == "" {
		cfg.Catalog = DefaultCatalog
	}
	if cfg.Alloc == nil {
		cfg.Alloc = memory.DefaultAllocator
	}
	if cfg.TokenTTL <= 0 {
		cfg.TokenTTL = DefaultTokenTTL
	}
	if cfg.IngestChunkRows <= 0 {
		cfg.IngestChunkRows = 1 << 20
	}
	if cfg.TLS != nil && len(cfg.TLS.Certificates) == 0 && cfg.TLS.GetCertificate == nil {
		return nil, errors.New("flightsql: TLS config has no certificate")
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{cfg: cfg, log: log}
	sq, err := newSQLServer(cfg, log)
	if err != nil {
		return nil, err
	}
	s.sql = sq
	// Panics in handlers fail the call, whatever else intercepts it.
	opts := []grpc.ServerOption{grpc.ChainUnaryInterceptor(recoverUnary(log)), grpc.ChainStreamInterceptor(recoverStream(log))}
	if cfg.TLS != nil {
		opts = append(opts, grpc.Creds(credentials.NewTLS(cfg.TLS)))
	}
	if cfg.Authenticate != nil {
		mw := flight.CreateServerBasicAuthMiddleware(newTokens(cfg.Authenticate, cfg.TokenTTL))
		opts = append(opts, grpc.ChainUnaryInterceptor(mw.Unary), grpc.ChainStreamInterceptor(mw.Stream))
	}
	s.grpc = grpc.NewServer(opts...)
	flight.RegisterFlightServiceServer(s.grpc, doGetGuard{flightsql.NewFlightServerWithAllocator(sq, cfg.Alloc)})
	return s, nil
}

// ListenAndServe listens on Config.Addr and serves until Shutdown.
func (s *Server) ListenAndServe() error {
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("flightsql: listening: %w", err)
	}
	return s.Serve(ln)
}

// Serve serves clients accepted on ln until Shutdown, and closes ln. It returns ErrClosed
// after Shutdown.
func (s *Server) Serve(ln net.Listener) error {
	if s.cfg.Authenticate == nil && !s.cfg.AllowNoAuth && !isLoopback(ln.Addr()) {
		ln.Close()
		return ErrNoAuth
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		ln.Close()
		return ErrClosed
	}
	s.serving = true
	s.addr = ln.Addr()
	s.mu.Unlock()
	s.log.Info("flight sql listening", "addr", ln.Addr().String(), "tls", s.cfg.TLS != nil, "auth", s.cfg.Authenticate != nil)
	err := s.grpc.Serve(ln)
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if closed {
		return ErrClosed
	}
	return err
}

// Addr returns the address the server listens on, or nil before Serve.
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// Shutdown stops accepting calls, cancels running queries, waits for calls to end (until
// ctx is done, when it stops them at once) and releases every prepared statement.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.sql.cancelAll()
	done := make(chan struct{})
	go func() {
		s.grpc.GracefulStop()
		close(done)
	}()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		s.grpc.Stop()
		<-done
		err = ctx.Err()
	}
	s.sql.wait()
	s.sql.closeAll()
	return err
}

func isLoopback(a net.Addr) bool {
	tcp, ok := a.(*net.TCPAddr)
	return ok && tcp.IP.IsLoopback()
}
