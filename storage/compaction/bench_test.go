package compaction

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime/pprof"
	"syscall"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/storage/ingest"
	"github.com/sleeperd/sleeperd/storage/objstore"
	"github.com/sleeperd/sleeperd/storage/parquet"
	"github.com/sleeperd/sleeperd/storage/statestore"
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
	benchmarkJob(b, func(mem memory.Allocator) (Env, Job) {
		f := newFixture(b, mem)
		r := rand.New(rand.NewPCG(1, 2))
		for range files {
			f.ingest(b, randomRows(r, rows, 1<<40), false)
		}
		job := onlyJob(b, f.state(b), files)
		env := f.env()
		env.Table.Props.RowGroupRows = 100_000
		env.Table.Props.Compression = codec
		return env, job
	})
}

// benchmarkJob runs, in each iteration, the one compaction job prepare sets up over a fresh
// checked allocator (the set-up is not timed), fails if it leaves memory allocated, and
// reports rows/s, the output's bytes a row, the CPU time (every thread of the process) a
// row and the cores it kept busy on average.
func benchmarkJob(b *testing.B, prepare func(mem memory.Allocator) (Env, Job)) {
	ctx := context.Background()
	var total, bytes, cpu int64
	var wall time.Duration
	for b.Loop() {
		b.StopTimer()
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		env, job := prepare(mem)
		b.StartTimer()
		cpu0, t0 := processCPU(b), time.Now()
		res, err := runLabelled(ctx, env, job)
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

// onlyJob plans state and returns its one job, which must compact files files.
func onlyJob(b *testing.B, state *statestore.State, files int) Job {
	b.Helper()
	jobs := Plan(state, Config{})
	if len(jobs) != 1 || len(jobs[0].Files) != files {
		b.Fatalf("jobs %q", describe(jobs))
	}
	return jobs[0]
}

// processCPU returns the user and system CPU time of the process so far, in nanoseconds.
func processCPU(tb testing.TB) int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// runLabelled runs job with the profiler label phase=run (on every goroutine it starts), so
// that a CPU profile of a benchmark can be narrowed to the timed job with -tagfocus=phase=run.
func runLabelled(ctx context.Context, env Env, job Job) (res Result, err error) {
	pprof.Do(ctx, pprof.Labels("phase", "run"), func(ctx context.Context) {
		res, err = Run(ctx, env, job)
	})
	return res, err
}

// textSchema is the schema of the bench workloads (Sleeper's system-test schema): a text row
// key, a bigint sort key, a text value and a nullable text value.
var textSchema = arrow.NewSchema([]arrow.Field{
	{Name: "key", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "sort", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "value", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "value2", Type: arrow.BinaryTypes.String, Nullable: true},
}, nil)

// textBatch returns n rows of textSchema made the way the bench's generator makes them: keys
// of 12 random hex characters, sort values below 10^9, "value-<n>-<hex>" values and
// "v2-<n>" values of which a tenth are NULL.
func textBatch(mem memory.Allocator, r *rand.Rand, n int) arrow.RecordBatch {
	const hex = "0123456789abcdef"
	b := array.NewRecordBuilder(mem, textSchema)
	defer b.Release()
	kb := b.Field(0).(*array.StringBuilder)
	sb := b.Field(1).(*array.Int64Builder)
	vb := b.Field(2).(*array.StringBuilder)
	v2b := b.Field(3).(*array.StringBuilder)
	var k [12]byte
	for range n {
		for i := range k {
			k[i] = hex[r.IntN(16)]
		}
		kb.Append(string(k[:]))
		sb.Append(r.Int64N(1_000_000_000))
		vb.Append(fmt.Sprintf("value-%d-%x", r.IntN(1000), r.Uint64()>>uint(r.IntN(48))))
		if r.IntN(10) == 0 {
			v2b.AppendNull()
		} else {
			v2b.Append(fmt.Sprintf("v2-%d", r.IntN(100_000)))
		}
	}
	return b.NewRecordBatch()
}

// BenchmarkRunText compacts 11 files of 100,000 rows of the bench's schema (text row key,
// bigint sort key, two text values) in one leaf into one file, with the default properties,
// without and with Env.ReadAhead.
func BenchmarkRunText(b *testing.B) {
	b.Run("plain", func(b *testing.B) { benchmarkRunText(b, false) })
	b.Run("read_ahead", func(b *testing.B) { benchmarkRunText(b, true) })
	// The merge's batches copied before they are written, as before gathered writes.
	b.Run("read_ahead_copied", func(b *testing.B) {
		gatheredWrites = false
		defer func() { gatheredWrites = true }()
		benchmarkRunText(b, true)
	})
}

func benchmarkRunText(b *testing.B, readAhead bool) {
	const files, rows = 11, 100_000
	ctx := context.Background()
	benchmarkJob(b, func(mem memory.Allocator) (Env, Job) {
		store := objstore.NewMem()
		states := statestore.New(store, statestore.Options{})
		if _, err := states.Create(ctx, "t", statestore.InitialisePartitions{}); err != nil {
			b.Fatal(err)
		}
		spec := ingest.Spec{Table: "t", Schema: textSchema, RowKeys: []int{0}, SortKeys: []int{1}, FilePrefix: "tables/t/files/", Alloc: mem}
		r := rand.New(rand.NewPCG(1, 2))
		for range files {
			batch := textBatch(mem, r, rows)
			_, err := ingest.Write(ctx, store, states, spec, []arrow.RecordBatch{batch})
			batch.Release()
			if err != nil {
				b.Fatal(err)
			}
		}
		st, err := states.Snapshot(ctx, "t")
		if err != nil {
			b.Fatal(err)
		}
		env := Env{Store: store, States: states, Alloc: mem, ReadAhead: readAhead, Table: TableSpec{
			ID: "t", Schema: textSchema, RowKeys: []int{0}, SortKeys: []int{1}, FilePrefix: "tables/t/files/",
		}}
		return env, onlyJob(b, st, files)
	})
}
