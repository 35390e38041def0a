package main

import (
	"bytes"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestRun(t *testing.T) {
	tests := []struct {
		args     []string
		code     int
		out, err string
	}{
		{nil, 2, "", "usage:"},
		{[]string{"version"}, 0, "sleeperd ", ""},
		{[]string{"help"}, 0, "usage:", ""},
		{[]string{"frobnicate"}, 2, "", `unknown command "frobnicate"`},
		{[]string{"serve", "--demo-rows", "0"}, 2, "", "-demo-rows must be positive"},
		{[]string{"serve", "extra"}, 2, "", "unexpected arguments"},
		{[]string{"serve", "--log-level", "loud"}, 2, "", "log-level"},
		{[]string{"serve", "-h"}, 0, "", "-pg-addr"},
		{[]string{"serve", "-h"}, 0, "", "-pg-socket-dir"},
		{[]string{"serve", "--data", "s3://bkt/a//b"}, 2, "", "empty segment"},
		{[]string{"serve", "--data", "s3:///x"}, 2, "", "not an s3://BUCKET/PREFIX URL"},
		{[]string{"serve", "--trino-advertise", "nohost"}, 2, "", "-trino-advertise"},
		{[]string{"serve", "--import-memory", "lots"}, 2, "", "invalid size"},
		{[]string{"serve", "--import-memory", "64kB"}, 2, "", "-import-memory must be at least 1MiB"},
		{[]string{"serve", "--query-memory-limit", "-1"}, 2, "", "invalid size"},
		{[]string{"serve", "--memory-limit", "much"}, 2, "", "invalid size"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var out, errb bytes.Buffer
			if code := run(tt.args, &out, &errb); code != tt.code {
				t.Errorf("exit code %d, want %d (stderr %q)", code, tt.code, errb.String())
			}
			if !strings.Contains(out.String(), tt.out) {
				t.Errorf("stdout %q, want it to contain %q", out.String(), tt.out)
			}
			if !strings.Contains(errb.String(), tt.err) {
				t.Errorf("stderr %q, want it to contain %q", errb.String(), tt.err)
			}
		})
	}
}

func TestParseServeDefaults(t *testing.T) {
	c, err := parseServe(nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	want := serveConfig{data: "./data", pgAddr: "127.0.0.1:5433", demoRows: 1_000_000, logLevel: slog.LevelInfo, shutdownTimeout: c.shutdownTimeout, maintenance: 10 * time.Second, fenceLease: time.Minute, memoryLimit: 4 << 30, serverMemory: 8 << 30, importMemory: 256 << 20, cacheMemory: 1 << 30, flightAddr: "127.0.0.1:32010", trinoAddr: "127.0.0.1:7779", httpAddr: "127.0.0.1:9090", sec: c.sec, gc: gcConfig{percent: -1, limit: -1, minHeap: -1}}
	if c != want || c.shutdownTimeout <= 0 {
		t.Errorf("got %+v, want %+v", c, want)
	}
	c, err = parseServe([]string{"--data", "d", "--pg-addr", "127.0.0.1:0", "--demo", "--demo-rows", "5", "--log-level", "debug", "--maintenance-interval", "0"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.maintenance != 0 {
		t.Errorf("maintenance interval %s, want 0 (off)", c.maintenance)
	}
	c4, err := parseServe([]string{"--import-memory", "256MiB", "--query-memory-limit", "1GB", "--spill-dir", "/s"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c4.importMemory != 256<<20 || c4.memoryLimit != 1<<30 || c4.spillDir != "/s" {
		t.Errorf("--import-memory 256MiB --query-memory-limit 1GB --spill-dir /s: got %d, %d, %q", c4.importMemory, c4.memoryLimit, c4.spillDir)
	}
	if c7, err := parseServe([]string{"--memory-limit", "512MiB"}, io.Discard); err != nil || c7.serverMemory != 512<<20 {
		t.Errorf("--memory-limit 512MiB: %d, %v", c7.serverMemory, err)
	}
	if c8, err := parseServe([]string{"--memory-limit", "0"}, io.Discard); err != nil || c8.serverMemory != 0 {
		t.Errorf("--memory-limit 0: %d, %v", c8.serverMemory, err)
	}
	if c5, err := parseServe([]string{"--cache-memory", "0"}, io.Discard); err != nil || c5.cacheMemory != 0 {
		t.Errorf("--cache-memory 0: %d, %v", c5.cacheMemory, err)
	}
	if c6, err := parseServe([]string{"--cache-memory", "256MiB"}, io.Discard); err != nil || c6.cacheMemory != 256<<20 {
		t.Errorf("--cache-memory 256MiB: %d, %v", c6.cacheMemory, err)
	}
	if c9, err := parseServe([]string{"--fence-lease", "5s"}, io.Discard); err != nil || c9.fenceLease != 5*time.Second {
		t.Errorf("--fence-lease 5s: %s, %v", c9.fenceLease, err)
	}
	for _, l := range []string{"0", "500ms", "-1m"} {
		if _, err := parseServe([]string{"--fence-lease", l}, io.Discard); err == nil {
			t.Errorf("--fence-lease %s was accepted", l)
		}
	}
	if _, err := parseServe([]string{"--maintenance-interval", "-1s"}, io.Discard); err == nil {
		t.Error("a negative maintenance interval was accepted")
	}
	c2, err := parseServe([]string{"--data", "s3://bkt/db", "--s3-endpoint", "http://127.0.0.1:9000", "--s3-path-style"}, io.Discard)
	if err != nil || c2.data != "s3://bkt/db" || c2.s3Endpoint != "http://127.0.0.1:9000" || !c2.s3PathStyle {
		t.Errorf("s3 flags: %+v, %v", c2, err)
	}
	// With local data, the S3 flags still serve the buckets COPY reads and writes.
	c3, err := parseServe([]string{"--data", "d", "--s3-endpoint", "http://127.0.0.1:9000", "--s3-path-style"}, io.Discard)
	if err != nil || c3.s3Endpoint != "http://127.0.0.1:9000" || !c3.s3PathStyle {
		t.Errorf("s3 flags with local data: %+v, %v", c3, err)
	}
	if c.data != "d" || c.pgAddr != "127.0.0.1:0" || !c.demo || c.demoRows != 5 || c.logLevel != slog.LevelDebug {
		t.Errorf("got %+v", c)
	}
}

func TestParseByteSize(t *testing.T) {
	for in, want := range map[string]int64{"0": 0, "1234": 1234, "256MiB": 256 << 20, "256MB": 256 << 20,
		"2 GiB": 2 << 30, "512kB": 512 << 10, "1TB": 1 << 40, "7B": 7} {
		if got, err := parseByteSize(in); err != nil || got != want {
			t.Errorf("parseByteSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "MiB", "-1", "1.5GiB", "1XB", "99999999999TiB"} {
		if got, err := parseByteSize(in); err == nil {
			t.Errorf("parseByteSize(%q) = %d, want an error", in, got)
		}
	}
}

func TestGCSettings(t *testing.T) {
	env := func(vars map[string]string) func(string) string { return func(k string) string { return vars[k] } }
	base := serveConfig{cacheMemory: 1 << 30, serverMemory: 8 << 30, gc: gcConfig{percent: -1, limit: -1, minHeap: -1}}
	for _, tc := range []struct {
		name       string
		cfg        serveConfig
		env        map[string]string
		physical   int64
		percent    int
		setPercent bool
		limit      int64
		setLimit   bool
	}{
		{"defaults", base, nil, 24 << 30, defaultGCPercent, true, 10 << 30, true},
		{"defaults on a small machine", base, nil, 8 << 30, defaultGCPercent, true, 6 << 30, true},
		{"unknown machine", base, nil, 0, defaultGCPercent, true, 10 << 30, true},
		{"environment", base, map[string]string{"GOGC": "200", "GOMEMLIMIT": "4GiB"}, 24 << 30, 0, false, 0, false},
		{"flags over environment", serveConfig{cacheMemory: 1 << 30, serverMemory: 8 << 30, gc: gcConfig{percent: 150, limit: 2 << 30}},
			map[string]string{"GOGC": "200", "GOMEMLIMIT": "4GiB"}, 24 << 30, 150, true, 2 << 30, true},
		{"no statement budget", serveConfig{cacheMemory: 1 << 30, gc: gcConfig{percent: -1, limit: -1}}, nil, 24 << 30, defaultGCPercent, true, 18 << 30, true},
		{"limit off", serveConfig{gc: gcConfig{percent: -1, limit: 0}}, nil, 24 << 30, defaultGCPercent, true, 0, true},
	} {
		p, sp, l, sl := tc.cfg.gcSettings(env(tc.env), tc.physical)
		if p != tc.percent || sp != tc.setPercent || l != tc.limit || sl != tc.setLimit {
			t.Errorf("%s: got %d %v %d %v, want %d %v %d %v", tc.name, p, sp, l, sl, tc.percent, tc.setPercent, tc.limit, tc.setLimit)
		}
	}
	for _, args := range [][]string{{"--gc-percent", "-5"}, {"--gc-percent", "0", "--gc-memory-limit", "0"}, {"--gc-memory-limit", "-1"}} {
		if _, err := parseServe(args, io.Discard); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
	if c, err := parseServe([]string{"--gc-percent", "0", "--gc-memory-limit", "6GiB"}, io.Discard); err != nil || c.gc != (gcConfig{0, 6 << 30, -1}) {
		t.Errorf("--gc-percent 0 --gc-memory-limit 6GiB: %+v, %v", c.gc, err)
	}
}
