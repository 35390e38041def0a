package compaction

import (
	"context"
	"math/rand/v2"
	"syscall"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/storage/parquet"
)

// BenchmarkRun compacts 11 files of 100,000 rows each in one leaf into one file, with the
// default compression (zstd) and with snappy; it reports the output's bytes per row.
func BenchmarkRun(b *testing.B) {
	for _, codec := range []string{parquet.Zstd, parquet.Snappy} {
		b.Run(codec, func(b *testing.B) { benchmarkRun(b, codec) })
	}
}

func benchmarkRun(b *testing.B, codec string) {
	const files, rows = 11, 100_000
	ctx := context.Background()
	var total, bytes, cpu int64
	var wall time.Duration
	for b.Loop() {
		b.StopTimer()
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		f := newFixture(b, mem)
		r := rand.New(rand.NewPCG(1, 2))
		for range files {
			f.ingest(b, randomRows(r, rows, 1<<40), false)
		}
		jobs := Plan(f.state(b), Config{})
		if len(jobs) != 1 || len(jobs[0].Files) != files {
			b.Fatalf("jobs %q", describe(jobs))
		}
		env := f.env()
		env.Table.Props.RowGroupRows = 100_000
		env.Table.Props.Compression = codec
		b.StartTimer()
		cpu0, t0 := processCPU(b), time.Now()
		res, err := Run(ctx, env, jobs[0])
		if err != nil {
			b.Fatal(err)
		}
		cpu += processCPU(b) - cpu0
		wall += time.Since(t0)
		b.StopTimer()
		total += res.RowsWritten
		bytes += res.Output.Bytes
		mem.AssertSize(b, 0)
		b.StartTimer()
	}
	b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(bytes)/float64(total), "bytes/row")
	// CPU time (every thread of the process) per row: unlike rows/s, it does not move with
	// the other load on the machine.
	b.ReportMetric(float64(cpu)/float64(total), "cpu-ns/row")
	// How many cores the job kept busy on average.
	b.ReportMetric(float64(cpu)/float64(wall.Nanoseconds()), "cores")
}

// processCPU returns the user and system CPU time of the process so far, in nanoseconds.
func processCPU(tb testing.TB) int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
