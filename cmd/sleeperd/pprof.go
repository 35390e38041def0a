package main

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"runtime"
)

// servePprof serves net/http/pprof's handlers on addr (a loopback address) until the returned
// function is called; it returns the address it listens on. It also turns on the mutex and
// block profiles (sampled: one contention event in 10, blocking of 100 µs and over), which
// cost nothing otherwise.
func servePprof(addr string, log *slog.Logger) (string, func(), error) {
	runtime.SetMutexProfileFraction(10)
	runtime.SetBlockProfileRate(100_000)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, fmt.Errorf("listening for pprof: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Handler: mux}
	go srv.Serve(ln)
	log.Info("listening", "protocol", "pprof", "addr", ln.Addr().String())
	return ln.Addr().String(), func() { srv.Close() }, nil
}
