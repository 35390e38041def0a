package bench

import (
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/sleeperd/sleeperd/engine"
	"github.com/sleeperd/sleeperd/storage/ingest"
	"github.com/sleeperd/sleeperd/storage/objstore"
)

// BenchmarkColdLookups runs Run's concurrent lookups without the rest of the run: 32 pgx
// connections (LOOKUPBENCH_CONNS) over the in-process pgwire server, each looking up keys
// drawn from a pool of 100,000 of the table's keys, with the hot cache off as in Run, so
// that every lookup reads its pages from the files (the footers and page indexes stay
// cached). LOOKUPBENCH_DIR names a directory that keeps the generated table and the key
// pool between runs (made on the first), LOOKUPBENCH_ROWS its rows (default 2,000,000).
// cpu-ms/op (the whole process, client included) and allocs/op compare builds better than
// ns/op on a shared machine:
//
//	LOOKUPBENCH_DIR=/tmp/lookupbench go test -run '^$' -bench ColdLookups -benchtime 20000x -benchmem
func BenchmarkColdLookups(b *testing.B) {
	dir := os.Getenv("LOOKUPBENCH_DIR")
	if dir == "" {
		b.Skip("LOOKUPBENCH_DIR not set")
	}
	rows, conns := 2_000_000, 32
	for env, v := range map[string]*int{"LOOKUPBENCH_ROWS": &rows, "LOOKUPBENCH_CONNS": &conns} {
		if s := os.Getenv(env); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n <= 0 {
				b.Fatalf("%s=%q", env, s)
			}
			*v = n
		}
	}
	ctx := context.Background()
	storeDir := filepath.Join(dir, "store")
	poolFile := filepath.Join(dir, "keys.txt")
	_, err := os.Stat(poolFile)
	fresh := os.IsNotExist(err)
	if err := os.MkdirAll(storeDir, 0o755); err != nil {
		b.Fatal(err)
	}
	store, err := objstore.NewLocal(storeDir)
	if err != nil {
		b.Fatal(err)
	}
	eng, err := engine.Open(ctx, engine.Options{Store: store})
	if err != nil {
		b.Fatal(err)
	}
	defer eng.Close()
	var pool []string
	if fresh {
		conn, err := eng.Connect(ctx, "bench", "bench")
		if err != nil {
			b.Fatal(err)
		}
		input := filepath.Join(dir, "input.parquet")
		keys, err := Generate(ctx, input, rows, 1, nil)
		if err != nil {
			b.Fatal(err)
		}
		if err := exec(ctx, conn, createTable); err != nil {
			b.Fatal(err)
		}
		if _, err := sleeperdIngest(ctx, eng, input, nil, ingest.WriterOptions{Memory: 256 << 20, SpillDir: dir}); err != nil {
			b.Fatal(err)
		}
		conn.Close()
		os.Remove(input)
		rng := rand.New(rand.NewPCG(2, 3))
		pool = make([]string, min(len(keys), 100_000))
		for i := range pool {
			pool[i] = keys[rng.IntN(len(keys))]
		}
		if err := os.WriteFile(poolFile, []byte(strings.Join(pool, "\n")), 0o644); err != nil {
			b.Fatal(err)
		}
	} else {
		data, err := os.ReadFile(poolFile)
		if err != nil {
			b.Fatal(err)
		}
		pool = strings.Split(string(data), "\n")
	}
	w, err := startWire(eng)
	if err != nil {
		b.Fatal(err)
	}
	defer w.close()
	var workers []func(key string) error
	for range conns {
		c, err := w.connect(ctx)
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close(ctx)
		workers = append(workers, func(key string) error {
			var sum checksum
			if err := pgxLookup(ctx, c, key, &sum); err != nil {
				return err
			}
			if sum.rows == 0 {
				b.Errorf("key %q: no rows", key)
			}
			return nil
		})
	}
	run := func(n int) {
		var next atomic.Int64
		var wg sync.WaitGroup
		for i, look := range workers {
			wg.Go(func() {
				rng := rand.New(rand.NewPCG(uint64(i), 9))
				for next.Add(1) <= int64(n) {
					if err := look(pool[rng.IntN(len(pool))]); err != nil {
						b.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
	}
	run(2 * conns) // connect, prepare, open the files
	b.ReportAllocs()
	b.ResetTimer()
	defer cpuPerOp(b)()
	run(b.N)
}
