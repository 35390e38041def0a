package main

import (
	"io"
	"log/slog"
	"net/http"
	"testing"
)

func TestPprofFlag(t *testing.T) {
	c, err := parseServe([]string{"--pprof", "127.0.0.1:0"}, io.Discard)
	if err != nil || c.pprofAddr != "127.0.0.1:0" {
		t.Fatalf("--pprof 127.0.0.1:0: %+v, %v", c, err)
	}
	for _, bad := range []string{"0.0.0.0:6060", ":6060", "example.com:6060", "6060"} {
		if _, err := parseServe([]string{"--pprof", bad}, io.Discard); err == nil {
			t.Errorf("--pprof %s was accepted; only loopback addresses are", bad)
		}
	}
}

func TestServePprof(t *testing.T) {
	addr, stop, err := servePprof("127.0.0.1:0", slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	resp, err := http.Get("http://" + addr + "/debug/pprof/cmdline")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET /debug/pprof/cmdline: %s", resp.Status)
	}
}
