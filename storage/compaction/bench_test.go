package compaction

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

// BenchmarkRun compacts 11 files of 100,000 rows each in one leaf into one file.
func BenchmarkRun(b *testing.B) {
	const files, rows = 11, 100_000
	ctx := context.Background()
	var total int64
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
		b.StartTimer()
		res, err := Run(ctx, env, jobs[0])
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		total += res.RowsWritten
		mem.AssertSize(b, 0)
		b.StartTimer()
	}
	b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "rows/s")
}
