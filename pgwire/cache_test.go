package pgwire

import (
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/sleeperd/sleeperd/engine"
)

// sleeper.cache_pin, sleeper.cache_evict and sleeper.cache over the wire, in the simple and
// the extended protocol.
func TestHotCacheFunctions(t *testing.T) {
	addr := serveEngine(t, engine.Options{CacheMemory: 64 << 20})
	ctx := testContext(t)
	c, err := pgx.Connect(ctx, "postgres://alice@"+addr+"/db?sslmode=disable")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	for _, q := range []string{
		"CREATE TABLE t (a integer PRIMARY KEY, b text)",
		"INSERT INTO t SELECT g, 'x' || g FROM generate_series(1, 1000) g",
	} {
		if _, err := c.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeSimpleProtocol, pgx.QueryExecModeExec, pgx.QueryExecModeCacheStatement} {
		var pinned, freed int64
		if err := c.QueryRow(ctx, "SELECT sleeper.cache_pin('t')", mode).Scan(&pinned); err != nil || pinned <= 0 {
			t.Fatalf("%v: cache_pin: %d, %v", mode, pinned, err)
		}
		var entries, bytes int64
		var isPinned bool
		if err := c.QueryRow(ctx, "SELECT entries, bytes, pinned FROM sleeper.cache WHERE table_name = 't'", mode).Scan(&entries, &bytes, &isPinned); err != nil || bytes != pinned || entries == 0 || !isPinned {
			t.Fatalf("%v: sleeper.cache: %d entries, %d bytes, pinned %v, %v", mode, entries, bytes, isPinned, err)
		}
		if err := c.QueryRow(ctx, "SELECT sleeper.cache_evict('t')", mode).Scan(&freed); err != nil || freed != pinned {
			t.Fatalf("%v: cache_evict: %d, %v", mode, freed, err)
		}
	}
}
