package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/sleeperd/sleeperd/engine"
	"github.com/sleeperd/sleeperd/httpapi"
)

// serveHTTP starts the HTTP frontend (metrics, health, status page, REST API) on addr, with
// auth deciding who requests are and tlsConfig, if set, for HTTPS. stop shuts it down.
func serveHTTP(addr string, eng *engine.Engine, auth httpapi.Authenticator, tlsConfig *tls.Config, log *slog.Logger, timeout time.Duration) (stop func() error, done <-chan error, err error) {
	srv := httpapi.New(httpapi.Options{Engine: eng, Auth: auth, TLS: tlsConfig, Logger: log})
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, fmt.Errorf("listening for http: %w", err)
	}
	d := make(chan error, 1)
	go func() { d <- srv.Serve(ln) }()
	scheme := "http"
	if tlsConfig != nil {
		scheme = "https"
	}
	log.Info("listening", "protocol", scheme, "addr", ln.Addr().String())
	return func() error {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			return fmt.Errorf("shutting down http: %w", err)
		}
		if err := <-d; err != nil {
			return fmt.Errorf("serving http: %w", err)
		}
		return nil
	}, d, nil
}
