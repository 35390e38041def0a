package main

import (
	"io"
	"runtime"
	"runtime/debug"
	"testing"
	"time"
)

func TestGCMinHeap(t *testing.T) {
	env := func(vars map[string]string) func(string) string { return func(k string) string { return vars[k] } }
	def := gcConfig{percent: -1, limit: -1, minHeap: -1}
	for _, tc := range []struct {
		name       string
		cfg        serveConfig
		env        map[string]string
		percent    int
		setPercent bool
		limit      int64
		want       int64
	}{
		{"defaults: half the cache", serveConfig{cacheMemory: 1 << 30, gc: def}, nil, defaultGCPercent, true, 10 << 30, 512 << 20},
		{"a quarter of the limit at most", serveConfig{cacheMemory: 1 << 30, gc: def}, nil, defaultGCPercent, true, 1 << 30, 256 << 20},
		{"no limit", serveConfig{cacheMemory: 4 << 30, gc: def}, nil, defaultGCPercent, true, 0, 2 << 30},
		{"cache off", serveConfig{gc: def}, nil, defaultGCPercent, true, 10 << 30, 0},
		{"GOGC from the environment", serveConfig{cacheMemory: 1 << 30, gc: def}, map[string]string{"GOGC": "200"}, 0, false, 10 << 30, 0},
		{"--gc-percent over GOGC", serveConfig{cacheMemory: 1 << 30, gc: gcConfig{percent: 200, limit: -1, minHeap: -1}}, map[string]string{"GOGC": "300"}, 200, true, 10 << 30, 512 << 20},
		{"collection off", serveConfig{cacheMemory: 1 << 30, gc: gcConfig{percent: 0, limit: 4 << 30, minHeap: -1}}, nil, 0, true, 4 << 30, 0},
		{"flag", serveConfig{cacheMemory: 1 << 30, gc: gcConfig{percent: -1, limit: -1, minHeap: 64 << 20}}, map[string]string{"GOGC": "200"}, 0, false, 10 << 30, 64 << 20},
		{"flag off", serveConfig{cacheMemory: 1 << 30, gc: gcConfig{percent: -1, limit: -1, minHeap: 0}}, nil, defaultGCPercent, true, 10 << 30, 0},
	} {
		if got := tc.cfg.gcMinHeap(env(tc.env), tc.percent, tc.setPercent, tc.limit); got != tc.want {
			t.Errorf("%s: got %d, want %d", tc.name, got, tc.want)
		}
	}
	c, err := parseServe([]string{"--gc-min-heap", "300MiB"}, io.Discard)
	if err != nil || c.gc.minHeap != 300<<20 {
		t.Errorf("--gc-min-heap 300MiB: %+v, %v", c.gc, err)
	}
	if c, err := parseServe(nil, io.Discard); err != nil || c.gc.minHeap != -1 {
		t.Errorf("no --gc-min-heap: %+v, %v", c.gc, err)
	}
	if _, err := parseServe([]string{"--gc-min-heap", "lots"}, io.Discard); err == nil {
		t.Error("--gc-min-heap lots: no error")
	}
}

func TestGCPercentFor(t *testing.T) {
	for _, tc := range []struct {
		live, floor int64
		base, want  int
	}{
		{100 << 20, 512 << 20, 400, 412}, // 100 MiB live: 5.12x reaches the floor
		{200 << 20, 512 << 20, 400, 400}, // 5x of 200 MiB is past the floor: the base
		{32 << 20, 512 << 20, 400, 1500}, // 16x
		{0, 64 << 20, 100, 100},          // no collection yet: the base
		{100 << 10, 64 << 20, 100, 6300}, // a live heap under 1 MiB counts as 1 MiB
		{1 << 30, 512 << 20, 100, 100},   // live heap over the floor
		{1 << 20, 1 << 50, 100, 10_000},  // bounded
	} {
		if got := gcPercentFor(tc.live, tc.floor, tc.base); got != tc.want {
			t.Errorf("gcPercentFor(%d, %d, %d) = %d, want %d", tc.live, tc.floor, tc.base, got, tc.want)
		}
	}
}

// TestHeapFloorApplied starts the floor in this process and reads the collector's
// percentage back after collections: raised above the base while the live heap is far
// below the floor, and left alone once the floor is stopped.
func TestHeapFloorApplied(t *testing.T) {
	old := debug.SetGCPercent(100)
	defer debug.SetGCPercent(old)
	runtime.GC()                       // a live heap known to the floor
	stop := startHeapFloor(1<<40, 100) // far above any live heap of a test
	if p := currentGCPercent(); p <= 100 {
		t.Errorf("percent %d right after start, want over 100", p)
	}
	// Set it back by hand: the next collection's adjustment raises it again.
	debug.SetGCPercent(100)
	deadline := time.Now().Add(10 * time.Second)
	for currentGCPercent() <= 100 && time.Now().Before(deadline) {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	if p := currentGCPercent(); p <= 100 {
		t.Fatalf("percent %d after collections, want over 100", p)
	}
	stop()
	debug.SetGCPercent(150)
	for range 3 {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	if p := currentGCPercent(); p != 150 {
		t.Errorf("percent %d after stop, want 150 (left alone)", p)
	}
}
