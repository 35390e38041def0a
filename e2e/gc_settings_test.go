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
// memory budgets; /metrics shows what the runtime runs with.
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
	}{
		{"defaults", []string{"GOGC=", "GOMEMLIMIT="}, nil, 400, float64(derived)},
		{"flags", []string{"GOGC=250", "GOMEMLIMIT=3GiB"}, []string{"--gc-percent", "150", "--gc-memory-limit", "2GiB"}, 150, 2 << 30},
		{"environment", []string{"GOGC=250", "GOMEMLIMIT=3GiB"}, nil, 250, 3 << 30},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
			defer cancel()
			args := append([]string{"--cache-memory", "256MiB", "--memory-limit", "1GiB", "--query-memory-limit", "512MiB"}, tc.args...)
			s := startEnv(ctx, t, t.TempDir(), tc.env, args...)
			body := httpGet(ctx, t, "http://"+s.httpAddr(ctx, t)+"/metrics")
			if got := metricValue(t, body, "go_gc_gogc_percent"); got != tc.percent {
				t.Errorf("go_gc_gogc_percent %v, want %v", got, tc.percent)
			}
			if got := metricValue(t, body, "go_gc_gomemlimit_bytes"); got != tc.limit {
				t.Errorf("go_gc_gomemlimit_bytes %v, want %v", got, tc.limit)
			}
		})
	}
}
