// Package httpapi is sleeperd's HTTP frontend: Prometheus metrics, health checks, a status
// page and a REST API under /api/v1. Like the other frontends it goes through the engine's
// API only.
package httpapi

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/sleeperd/sleeperd/engine"
	"github.com/sleeperd/sleeperd/errs"
)

// DefaultAddr is where the HTTP server listens by default: loopback only.
const DefaultAddr = "127.0.0.1:9090"

// Options configure a Server.
type Options struct {
	Engine *engine.Engine
	// Auth decides who each request is (all but /healthz and /readyz); nil is Trust{}.
	Auth Authenticator
	// TLS, if set, makes Serve speak HTTPS with it.
	TLS *tls.Config
	// Logger receives the server's logs; nil discards them.
	Logger *slog.Logger
	// Ready reports whether the server takes queries, for /readyz; nil is always ready.
	Ready func() bool
	// MaxBody bounds a request's body, in bytes; 0 is 16 MiB.
	MaxBody int64
}

// Server serves the HTTP frontend.
type Server struct {
	opts    Options
	e       *engine.Engine
	mux     *http.ServeMux
	reg     *prometheus.Registry
	metrics *metrics
	hs      *http.Server
	log     *slog.Logger
	rates   rates
}

// New makes a server over opts.Engine and registers its metrics with the engine's hooks.
func New(opts Options) *Server {
	if opts.Auth == nil {
		opts.Auth = Trust{}
	}
	if opts.MaxBody <= 0 {
		opts.MaxBody = 16 << 20
	}
	s := &Server{opts: opts, e: opts.Engine, mux: http.NewServeMux(), log: opts.Logger}
	if s.log == nil {
		s.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	s.reg = prometheus.NewRegistry()
	s.metrics = newMetrics(s.e, s.reg)
	s.routes()
	return s
}

// Handler is the server's handler, for tests and for mounting elsewhere.
func (s *Server) Handler() http.Handler { return s.mux }

// Serve serves HTTP (HTTPS with Options.TLS) on ln until Shutdown.
func (s *Server) Serve(ln net.Listener) error {
	s.hs = &http.Server{Handler: s.mux, ReadHeaderTimeout: 10 * time.Second, TLSConfig: s.opts.TLS,
		ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelDebug)}
	var err error
	if s.opts.TLS != nil {
		err = s.hs.ServeTLS(ln, "", "")
	} else {
		err = s.hs.Serve(ln)
	}
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Shutdown stops the server, waiting for requests in flight until ctx ends.
func (s *Server) Shutdown(ctx context.Context) error {
	if s.hs == nil {
		return nil
	}
	return s.hs.Shutdown(ctx)
}

func (s *Server) routes() {
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	s.mux.HandleFunc("GET /readyz", s.readyz)
	s.mux.Handle("GET /metrics", s.authed(promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelWarn)}).ServeHTTP))
	s.mux.Handle("GET /{$}", s.authed(s.status))
	s.mux.Handle("POST /api/v1/token", s.authed(s.token))
	s.mux.Handle("GET /api/v1/tables", s.authed(s.listTables))
	s.mux.Handle("POST /api/v1/tables", s.authed(s.createTable))
	s.mux.Handle("GET /api/v1/tables/{name}", s.authed(s.getTable))
	s.mux.Handle("DELETE /api/v1/tables/{name}", s.authed(s.dropTable))
	s.mux.Handle("GET /api/v1/tables/{name}/properties", s.authed(s.getProperties))
	s.mux.Handle("PATCH /api/v1/tables/{name}/properties", s.authed(s.setProperties))
	s.mux.Handle("POST /api/v1/tables/{name}/compact", s.authed(s.compact))
	s.mux.Handle("POST /api/v1/query", s.authed(s.query))
	s.mux.Handle("GET /api/v1/queries", s.authed(s.queries))
	s.mux.Handle("POST /api/v1/cache/pin", s.authed(s.cachePin))
	s.mux.Handle("POST /api/v1/cache/evict", s.authed(s.cacheEvict))
	s.mux.Handle("GET /api/v1/cache/stats", s.authed(s.cacheStats))
	s.mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, &httpError{status: http.StatusNotFound, code: "42883", msg: "no endpoint " + r.Method + " " + r.URL.Path})
	})
}

// readyz answers 200 when the server takes queries and the catalog can be read.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	if s.opts.Ready != nil && !s.opts.Ready() {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "starting"})
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	if _, err := s.e.ConnectorTables(ctx); err != nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "error": err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

// authed runs h for requests the Authenticator lets in, with the user in the context.
func (s *Server) authed(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, err := s.opts.Auth.Authenticate(r.Context(), credentials(r))
		if err != nil {
			writeError(w, err)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, s.opts.MaxBody)
		h(w, r.WithContext(context.WithValue(r.Context(), userKey{}, user)))
	})
}

// token exchanges Basic credentials for a bearer token.
func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	ti, ok := s.opts.Auth.(tokenIssuer)
	if !ok {
		writeError(w, &httpError{status: http.StatusNotFound, code: "0A000", msg: "this server issues no tokens (it runs with trust authentication)"})
		return
	}
	tok, exp, err := ti.Issue(userOf(r.Context()))
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"token": tok, "expires": exp.UTC().Format(time.RFC3339)})
}

// httpError is an error with its own HTTP status and SQLSTATE.
type httpError struct {
	status int
	code   string
	msg    string
}

func (e *httpError) Error() string    { return e.msg }
func (e *httpError) SQLState() string { return e.code }

func badRequest(format string, args ...any) error {
	return &httpError{status: http.StatusBadRequest, code: "22023", msg: sprintf(format, args...)}
}

// statusOf is the HTTP status of an error with SQLSTATE code.
func statusOf(err error, code string) int {
	var he *httpError
	if errors.As(err, &he) {
		return he.status
	}
	switch {
	case code == "28P01" || code == "28000":
		return http.StatusUnauthorized
	case code == "42501":
		return http.StatusForbidden
	case code == "42P01":
		return http.StatusNotFound
	case code == "42P07" || code == "42710" || code == "40001" || code == "55000" || code == "2BP01":
		return http.StatusConflict
	case code == "57014":
		return http.StatusRequestTimeout
	case code == "53200" || code == "53300":
		return http.StatusServiceUnavailable
	case code == "0A000":
		return http.StatusNotImplemented
	case len(code) == 5 && code[:2] == "XX", len(code) == 5 && code[:2] == "58":
		return http.StatusInternalServerError
	}
	return http.StatusBadRequest
}

// errorBody is the JSON of every error answer.
type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Detail  string `json:"detail,omitempty"`
		Hint    string `json:"hint,omitempty"`
	} `json:"error"`
}

// writeError answers err as JSON with its SQLSTATE and HTTP status.
func writeError(w http.ResponseWriter, err error) {
	var body errorBody
	code := errs.SQLState(err)
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		code, err = "54000", &httpError{status: http.StatusRequestEntityTooLarge, code: "54000", msg: err.Error()}
	}
	body.Error.Code, body.Error.Message = code, err.Error()
	var e *errs.Error
	if errors.As(err, &e) {
		body.Error.Detail, body.Error.Hint = e.Detail, e.Hint
	}
	status := statusOf(err, code)
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Basic realm="sleeperd", charset="UTF-8"`)
	}
	writeJSON(w, status, body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}
