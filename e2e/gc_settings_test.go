package e2e

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"
)

// The server runs the Go collector at --gc-percent and under --gc-memory-limit, else at
// GOGC and GOMEMLIMIT from its environment, else at 400 percent and a limit derived from its
// memory budgets, raised while the live heap is small so that the heap may grow to
// --gc-min-heap (by default half of --cache-memory) before a collection; /metrics shows what
// the runtime runs with.
func TestServerGCSettings(t *testing.T) {
	physical := int64(0)
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if rest, ok := strings.CutPrefix(line, "MemTotal:"); ok {
				f := strings.Fields(rest)
				kb, _ := strconv.ParseInt(f[0], 10, 64)
				physical = kb << 10
			}
		}
	}
	derived := int64(256<<20) + int64(1<<30) + int64(1<<30) // --cache-memory 256MiB, --memory-limit 1GiB, 1GiB
	if physical > 0 && derived > physical/4*3 {
		derived = physical / 4 * 3
	}
	for _, tc := range []struct {
		name           string
		env, args      []string
		percent, limit float64
		floor          float64 // the heap goal's least size once the percentage is raised; 0: not raised
	}{
		{"defaults", []string{"GOGC=", "GOMEMLIMIT="}, nil, 400, float64(derived), 128 << 20},
		{"no min heap", []string{"GOGC=", "GOMEMLIMIT="}, []string{"--gc-min-heap", "0"}, 400, float64(derived), 0},
		{"min heap flag", []string{"GOGC=", "GOMEMLIMIT="}, []string{"--gc-min-heap", "64MiB"}, 400, float64(derived), 64 << 20},
		{"flags", []string{"GOGC=250", "GOMEMLIMIT=3GiB"}, []string{"--gc-percent", "150", "--gc-memory-limit", "2GiB"}, 150, 2 << 30, 128 << 20},
		{"environment", []string{"GOGC=250", "GOMEMLIMIT=3GiB"}, nil, 250, 3 << 30, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
			defer cancel()
			args := append([]string{"--cache-memory", "256MiB", "--memory-limit", "1GiB", "--query-memory-limit", "512MiB"}, tc.args...)
			s := startEnv(ctx, t, t.TempDir(), tc.env, args...)
			body := httpGet(ctx, t, "http://"+s.httpAddr(ctx, t)+"/metrics")
			got := metricValue(t, body, "go_gc_gogc_percent")
			switch {
			case tc.floor == 0 && got != tc.percent:
				t.Errorf("go_gc_gogc_percent %v, want %v", got, tc.percent)
			case tc.floor > 0 && got < tc.percent:
				t.Errorf("go_gc_gogc_percent %v, want at least %v", got, tc.percent)
			case tc.floor > 0 && got > tc.percent:
				// Raised after a collection: the next one waits for the floor.
				if next := metricValue(t, body, "go_memstats_next_gc_bytes"); next < tc.floor*0.9 {
					t.Errorf("go_gc_gogc_percent %v raised, but go_memstats_next_gc_bytes %v is under the minimum heap %v", got, next, tc.floor)
				}
			}
			if got := metricValue(t, body, "go_gc_gomemlimit_bytes"); got != tc.limit {
				t.Errorf("go_gc_gomemlimit_bytes %v, want %v", got, tc.limit)
			}
		})
	}
}
