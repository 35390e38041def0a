package flightsql

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/flight/flightsql"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/sleeperd/sleeperd/engine"
	"github.com/sleeperd/sleeperd/storage/objstore"
)

// TestMemoryLimits checks that Flight SQL queries run under the same statement limit and
// server pool as pgwire's: over about 5x their budget, a window, set operations, a sort, an
// aggregation and a join return what a server without limits returns, by spilling; a value
// larger than the limit fails with ResourceExhausted (SQLSTATE 53200 over pgwire), and the
// server keeps serving.
func TestMemoryLimits(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	t.Cleanup(func() { mem.AssertSize(t, 0) }) // after the servers and engines close
	// Spilling under the race detector on a loaded machine takes a while.
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	open := func(opts engine.Options) *engine.Engine {
		opts.Store, opts.Alloc = objstore.NewMem(), mem
		eng, err := engine.Open(context.Background(), opts)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { eng.Close() })
		// The same 100k rows (about 8 MiB) for both.
		if err := eng.EnsureDemo(context.Background(), 100_000); err != nil {
			t.Fatal(err)
		}
		return eng
	}
	limited := client(t, serve(t, Config{Engine: open(engine.Options{QueryMemoryLimit: 8 << 20, MemoryLimit: 6 << 20, SpillDir: t.TempDir()}), Alloc: mem}))
	plain := client(t, serve(t, Config{Engine: open(engine.Options{}), Alloc: mem}))
	rows := func(cl *flightsql.Client, sql string) [][]string {
		t.Helper()
		bs, err := tryFetch(ctx, cl, mem, sql)
		if err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		defer releaseAll(bs)
		return rowsOf(bs)
	}
	spillFiles := func() string { return rows(limited, "SELECT spill_files FROM sleeper.memory")[0][0] }
	for _, sql := range []string{
		"SELECT key, value, row_number() OVER w, lag(key) OVER w, count(*) OVER (PARTITION BY value) FROM demo WINDOW w AS (PARTITION BY value ORDER BY key)",
		"SELECT value, key FROM demo UNION SELECT value2, key FROM demo",
		"SELECT value, key FROM demo EXCEPT SELECT value, key FROM demo WHERE sort % 3 = 0",
		"SELECT value, key FROM demo INTERSECT ALL SELECT value, key FROM demo WHERE sort % 3 = 0",
		"SELECT key, value, value2 FROM demo ORDER BY value2, value, key",
		"SELECT key, count(*), min(value) FROM demo GROUP BY key",
		"SELECT a.key, b.value FROM demo a JOIN demo b ON a.key = b.key",
	} {
		before := spillFiles()
		got, want := rows(limited, sql), rows(plain, sql)
		// Spilled set operations return their rows in another order.
		slices.SortFunc(got, slices.Compare)
		slices.SortFunc(want, slices.Compare)
		if len(got) != len(want) || !slices.EqualFunc(got, want, slices.Equal) {
			t.Errorf("%s: %d rows differ from the %d without limits", sql, len(got), len(want))
		}
		if after := spillFiles(); after == before {
			t.Errorf("%s: nothing spilled", sql)
		}
	}
	_, err := tryFetch(ctx, limited, mem, "SELECT length(repeat(key, 1000000)) FROM (SELECT key FROM demo ORDER BY key LIMIT 1) x")
	if status.Code(err) != codes.ResourceExhausted {
		t.Fatalf("a 12 MB value under a 6 MiB limit: %v, want ResourceExhausted", err)
	}
	if got := rows(limited, "SELECT count(*) FROM demo"); fmt.Sprint(got) != "[[100000]]" {
		t.Errorf("count after the failure: %v", got)
	}
	if got := rows(limited, "SELECT memory_limit, statement_limit, pool_bytes, reserved_bytes, active_statements FROM sleeper.memory"); fmt.Sprint(got) != fmt.Sprint([][]string{{fmt.Sprint(6 << 20), fmt.Sprint(6 << 20), fmt.Sprint(6 << 20 / 4), "0", "0"}}) {
		t.Errorf("sleeper.memory: %v", got)
	}
}
