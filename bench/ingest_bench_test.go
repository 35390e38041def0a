package bench

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/sleeperd/sleeperd/engine"
	"github.com/sleeperd/sleeperd/storage/ingest"
	"github.com/sleeperd/sleeperd/storage/objstore"
)

// BenchmarkIngestWorkloads runs the ingest and import workloads of Run on both engines,
// without the rest of the run: INGESTBENCH_DIR names a directory that keeps the generated
// input (and its split into importFiles files) between runs, INGESTBENCH_ROWS its rows
// (default 2,000,000), INGESTBENCH_MEMORY_MIB the ingest's memory budget (default Run's,
// 256), INGESTBENCH_PROFILE a directory for a CPU profile of each sleeperd iteration. Each
// iteration writes into a fresh store. Besides the rate it reports the process's CPU per
// row and the peak of the Go heap over its value at the start (Run's MemGoHeap; DuckDB's
// memory is outside the Go heap and not reported).
//
//	INGESTBENCH_DIR=/tmp/ingestbench INGESTBENCH_ROWS=10000000 go test -run '^$' -bench IngestWorkloads/ingest -benchtime 1x
func BenchmarkIngestWorkloads(b *testing.B) {
	dir := os.Getenv("INGESTBENCH_DIR")
	if dir == "" {
		b.Skip("INGESTBENCH_DIR not set")
	}
	rows := envInt(b, "INGESTBENCH_ROWS", 2_000_000)
	budget := int64(envInt(b, "INGESTBENCH_MEMORY_MIB", 256)) << 20
	profDir := os.Getenv("INGESTBENCH_PROFILE")
	ctx := context.Background()
	inDir := filepath.Join(dir, fmt.Sprintf("in-%d", rows))
	input := filepath.Join(inDir, "input.parquet")
	parts := filepath.Join(inDir, "parts")
	if _, err := os.Stat(parts); os.IsNotExist(err) {
		if err := os.MkdirAll(inDir, 0o755); err != nil {
			b.Fatal(err)
		}
		if _, err := Generate(ctx, input, rows, 1, nil); err != nil {
			b.Fatal(err)
		}
		if _, err := splitInput(ctx, input, parts+".tmp", importFiles, nil); err != nil {
			b.Fatal(err)
		}
		if err := os.Rename(parts+".tmp", parts); err != nil {
			b.Fatal(err)
		}
	}
	partFiles, err := filepath.Glob(filepath.Join(parts, "*.parquet"))
	if err != nil {
		b.Fatal(err)
	}
	db, err := sql.Open("duckdb", "")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)

	// sleeperd runs one iteration of a sleeperd workload in a fresh store and engine.
	sleeperd := func(b *testing.B, name string, run func(eng *engine.Engine, conn engine.Conn, scratch string) (Figure, error)) {
		var peak int64
		var cpu time.Duration
		for i := range b.N {
			b.StopTimer()
			scratch, err := os.MkdirTemp(dir, "run-")
			if err != nil {
				b.Fatal(err)
			}
			store, err := objstore.NewLocal(filepath.Join(scratch, "store"))
			if err != nil {
				b.Fatal(err)
			}
			eng, err := engine.Open(ctx, engine.Options{Store: store, ImportMemory: budget, SpillDir: scratch})
			if err != nil {
				b.Fatal(err)
			}
			conn, err := eng.Connect(ctx, "bench", "bench")
			if err != nil {
				b.Fatal(err)
			}
			if err := exec(ctx, conn, createTable); err != nil {
				b.Fatal(err)
			}
			var prof *os.File
			if profDir != "" {
				if prof, err = os.Create(filepath.Join(profDir, fmt.Sprintf("%s-%d.pprof", name, i))); err != nil {
					b.Fatal(err)
				}
			}
			s := startSampler(MemGoHeap)
			if prof != nil {
				pprof.StartCPUProfile(prof)
			}
			cpu0 := processCPU(b)
			b.StartTimer()
			fig, err := run(eng, conn, scratch)
			b.StopTimer()
			cpu += processCPU(b) - cpu0
			if prof != nil {
				pprof.StopCPUProfile()
				prof.Close()
			}
			peak = max(peak, s.done())
			if err != nil {
				b.Fatal(err)
			}
			if fig.Rows != int64(rows) {
				b.Fatalf("wrote %d rows, want %d", fig.Rows, rows)
			}
			tt, err := eng.Catalog().Table(ctx, "t")
			if err != nil {
				b.Fatal(err)
			}
			got, err := duckChecksum(ctx, db, filepath.Join(scratch, "store", filepath.FromSlash(tt.FilePrefix()), "*.parquet"))
			if err != nil {
				b.Fatal(err)
			}
			want, err := duckChecksum(ctx, db, input)
			if err != nil {
				b.Fatal(err)
			}
			if got != want {
				b.Fatalf("table checksum %s, input %s", got, want)
			}
			conn.Close()
			eng.Close()
			os.RemoveAll(scratch)
			b.StartTimer()
		}
		b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(rows)/float64(b.N), "cpu-ns/row")
		b.ReportMetric(float64(peak)/(1<<20), "MiB-heap-peak")
	}
	duck := func(b *testing.B, text func(out string) string) {
		cpu0 := processCPU(b)
		for range b.N {
			out := filepath.Join(dir, "duckdb-out.parquet")
			if _, err := duckCopy(ctx, db, text(out)); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64((processCPU(b)-cpu0).Nanoseconds())/float64(rows)/float64(b.N), "cpu-ns/row")
		b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	}
	b.Run("ingest/sleeperd", func(b *testing.B) {
		sleeperd(b, "ingest", func(eng *engine.Engine, _ engine.Conn, scratch string) (Figure, error) {
			return sleeperdIngest(ctx, eng, input, nil, ingest.WriterOptions{Memory: budget, SpillDir: scratch})
		})
	})
	b.Run("ingest/duckdb", func(b *testing.B) {
		duck(b, func(out string) string {
			return fmt.Sprintf(`COPY (SELECT * FROM read_parquet(%s) ORDER BY key, sort) TO %s (FORMAT parquet, COMPRESSION zstd)`, quote(input), quote(out))
		})
	})
	b.Run("import/sleeperd", func(b *testing.B) {
		sleeperd(b, "import", func(_ *engine.Engine, conn engine.Conn, _ string) (Figure, error) {
			return sleeperdCopyFrom(ctx, conn, "t", filepath.Join(parts, "*.parquet"))
		})
	})
	b.Run("import/duckdb", func(b *testing.B) {
		duck(b, func(out string) string {
			return fmt.Sprintf(`COPY (SELECT * FROM read_parquet(%s) ORDER BY key, sort) TO %s (FORMAT parquet, COMPRESSION zstd)`, listOf(partFiles), quote(out))
		})
	})
}

// processCPU returns the user and system CPU time of the process so far.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// envInt returns the integer environment variable name, or def when it is unset.
func envInt(b *testing.B, name string, def int) int {
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		b.Fatalf("%s=%q: want a positive integer", name, s)
	}
	return n
}
