package bench

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sleeperd/sleeperd/engine"
	"github.com/sleeperd/sleeperd/storage/ingest"
	"github.com/sleeperd/sleeperd/storage/objstore"
)

// BenchmarkScans runs the full-scan workloads of Run on both engines, and a range scan of
// one leaf (q2), without the rest of the run: SCANBENCH_DIR names a directory that keeps the generated table between runs (made on
// the first), SCANBENCH_ROWS its rows (default 2,000,000), SCANBENCH_PAGE_SIZE the table's
// page_size (default the table default). The engine reads with its hot cache
// off, as Run's does, so each iteration decodes every file.
//
//	SCANBENCH_DIR=/tmp/scanbench go test -run '^$' -bench Scans -benchtime 5x
func BenchmarkScans(b *testing.B) {
	dir := os.Getenv("SCANBENCH_DIR")
	if dir == "" {
		b.Skip("SCANBENCH_DIR not set")
	}
	rows := 2_000_000
	if s := os.Getenv("SCANBENCH_ROWS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			b.Fatal(err)
		}
		rows = n
	}
	ctx := context.Background()
	storeDir := filepath.Join(dir, "store")
	_, err := os.Stat(storeDir)
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
	conn, err := eng.Connect(ctx, "bench", "bench")
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	if fresh {
		input := filepath.Join(dir, "input.parquet")
		if _, err := Generate(ctx, input, rows, 1, nil); err != nil {
			b.Fatal(err)
		}
		create := createTable
		if ps := os.Getenv("SCANBENCH_PAGE_SIZE"); ps != "" {
			create = strings.Replace(create, "WITH (", fmt.Sprintf("WITH (page_size='%s', ", ps), 1)
		}
		if err := exec(ctx, conn, create); err != nil {
			b.Fatal(err)
		}
		if _, err := sleeperdIngest(ctx, eng, input, nil, ingest.WriterOptions{Memory: 256 << 20, SpillDir: dir}); err != nil {
			b.Fatal(err)
		}
	}
	tt, err := eng.Catalog().Table(ctx, "t")
	if err != nil {
		b.Fatal(err)
	}
	files := filepath.Join(storeDir, filepath.FromSlash(tt.FilePrefix()), "*.parquet")
	db, err := sql.Open("duckdb", "")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	queries := append(scans[:len(scans):len(scans)], struct{ name, sql string }{
		// About 13/256 of the rows, all in leaf 3: a range scan of one leaf.
		"range", `SELECT * FROM {t} WHERE key >= '30' AND key < '3d'`,
	})
	for i, q := range queries {
		b.Run(fmt.Sprintf("q%d/sleeperd", i), func(b *testing.B) {
			defer cpuPerOp(b)()
			for range b.N {
				if _, err := sleeperdQuery(ctx, conn, strings.ReplaceAll(q.sql, "{t}", "t")); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("q%d/duckdb", i), func(b *testing.B) {
			defer cpuPerOp(b)()
			for range b.N {
				if _, err := duckQuery(ctx, db, strings.ReplaceAll(q.sql, "{t}", fmt.Sprintf("read_parquet('%s')", files))); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// cpuPerOp reports the process's CPU time (user + system, every thread) per operation as
// cpu-ms/op when the returned function is called: on a shared machine it moves less with
// the load than wall time does.
func cpuPerOp(b *testing.B) func() {
	cpu := func() time.Duration {
		var ru syscall.Rusage
		if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
			b.Fatal(err)
		}
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	start := cpu()
	return func() {
		b.ReportMetric(float64(cpu()-start)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
	}
}
