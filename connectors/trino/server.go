// Package trino serves sleeperd's tables to Trino through Trino's Thrift connector
// (connector.name=trino_thrift): metadata, one split per leaf partition, index lookups on the
// row key and pages of column blocks, over framed transport and the strict binary protocol.
package trino

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/apache/thrift/lib/go/thrift"

	"github.com/sleeperd/sleeperd/connectors/trino/trinothrift"
	"github.com/sleeperd/sleeperd/engine"
)

// DefaultAddr is the address sleeperd serve listens on for Trino by default.
const DefaultAddr = "127.0.0.1:7779"

// MaxFrame is the largest frame the server reads or writes: Trino's client default.
const MaxFrame = 16 << 20

// ErrClosed is returned by Serve after Close.
var ErrClosed = errors.New("trino: server closed")

// Config configures a Server.
type Config struct {
	Engine *engine.Engine
	// Advertise are the addresses (host:port) put in every split's hosts: the servers able to
	// serve it, which are every server over the same data. Empty: the address Serve listens
	// on, unless that is a wildcard address, in which case splits name no host and Trino
	// sends them to any server of its catalog.
	Advertise []string
	Logger    *slog.Logger
}

// Server is the Thrift service. It keeps no session state: split ids and tokens carry
// everything a request needs, so any server over the same data answers any request.
type Server struct {
	cfg     Config
	log     *slog.Logger
	handler *handler

	mu     sync.Mutex
	srv    *thrift.TSimpleServer
	closed bool
}

// stopTimeout is how long Close waits for connections to finish their requests before it
// closes them (Thrift's package-wide TSimpleServer setting, set once).
var stopTimeout sync.Once

// NewServer returns a server over cfg.Engine.
func NewServer(cfg Config) (*Server, error) {
	stopTimeout.Do(func() { thrift.ServerStopTimeout = 5 * time.Second })
	if cfg.Engine == nil {
		return nil, errors.New("trino: no engine")
	}
	for _, a := range cfg.Advertise {
		if _, err := parseHostPort(a); err != nil {
			return nil, fmt.Errorf("trino: advertised address %q: %w", a, err)
		}
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{cfg: cfg, log: log}
	s.handler = &handler{e: cfg.Engine, log: log}
	return s, nil
}

// ParseAdvertise splits a comma-separated list of host:port addresses.
func ParseAdvertise(s string) ([]string, error) {
	var out []string
	for _, a := range strings.Split(s, ",") {
		a = strings.TrimSpace(a)
		if a == "" {
			continue
		}
		if _, err := parseHostPort(a); err != nil {
			return nil, fmt.Errorf("advertised address %q: %w", a, err)
		}
		out = append(out, a)
	}
	return out, nil
}

func parseHostPort(a string) (*trinothrift.TrinoThriftHostAddress, error) {
	host, port, err := net.SplitHostPort(a)
	if err != nil {
		return nil, err
	}
	p, err := strconv.Atoi(port)
	if err != nil || p <= 0 || p > 65535 {
		return nil, fmt.Errorf("bad port %q", port)
	}
	if host == "" {
		return nil, errors.New("no host")
	}
	return &trinothrift.TrinoThriftHostAddress{Host: host, Port: int32(p)}, nil
}

// Serve answers requests on ln until Close. It returns ErrClosed after Close.
func (s *Server) Serve(ln net.Listener) error {
	hosts := s.cfg.Advertise
	if len(hosts) == 0 {
		if tcp, ok := ln.Addr().(*net.TCPAddr); ok && !tcp.IP.IsUnspecified() {
			hosts = []string{ln.Addr().String()}
		}
	}
	for _, a := range hosts {
		h, err := parseHostPort(a)
		if err != nil {
			return err
		}
		s.handler.hosts = append(s.handler.hosts, h)
	}
	conf := &thrift.TConfiguration{MaxFrameSize: MaxFrame, MaxMessageSize: MaxFrame, TBinaryStrictRead: thrift.BoolPtr(true), TBinaryStrictWrite: thrift.BoolPtr(true)}
	socket := thrift.NewTServerSocketFromFactoryTimeout(func(net.Addr) (net.Listener, error) { return ln, nil }, ln.Addr(), 0)
	srv := thrift.NewTSimpleServer4(
		trinothrift.NewTrinoThriftServiceProcessor(s.handler),
		socket,
		thrift.NewTFramedTransportFactoryConf(thrift.NewTTransportFactory(), conf),
		thrift.NewTBinaryProtocolFactoryConf(conf),
	)
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		ln.Close()
		return ErrClosed
	}
	s.srv = srv
	s.mu.Unlock()
	err := srv.Serve()
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if closed {
		return ErrClosed
	}
	return err
}

// Close stops accepting connections, waits up to 5 seconds for the connections open to
// finish their requests, and closes them.
func (s *Server) Close() error {
	s.mu.Lock()
	s.closed = true
	srv := s.srv
	s.mu.Unlock()
	s.handler.pages.close()
	if srv == nil {
		return nil
	}
	return srv.Stop()
}

// recoverTo turns a panic of a handler into a service exception.
func (h *handler) recoverTo(what string, err *error) {
	if p := recover(); p != nil {
		h.log.Error("trino handler panic", "call", what, "panic", p)
		*err = &trinothrift.TrinoThriftServiceException{Message: fmt.Sprintf("internal error in %s: %v", what, p)}
	}
}
