package bench

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	_ "github.com/duckdb/duckdb-go/v2" // registers the "duckdb" database/sql driver

	"github.com/sleeperd/sleeperd/engine"
	"github.com/sleeperd/sleeperd/storage/ingest"
	"github.com/sleeperd/sleeperd/storage/objstore"
	"github.com/sleeperd/sleeperd/storage/parquet"
)

// ErrMismatch is returned, wrapped, when the two engines disagree on a workload's result.
var ErrMismatch = errors.New("results differ")

// Config chooses the size of a run. Zero fields take the defaults given.
type Config struct {
	Rows      int           // rows generated and ingested
	Seed      uint64        // seed of the generated data, the lookup keys and the ranges
	Lookups   int           // point lookups per engine and path; default 1000
	Ranges    int           // range scans per engine; default 5
	RangeRows int           // rows a range scan aims at; default the lesser of 100,000 and Rows/10
	Conns     int           // connections of the concurrent lookups; default 32
	Duration  time.Duration // how long the concurrent lookups run per engine; default 20s
	Commits   time.Duration // how long each state-store commit workload runs; default 5s
	// ImportRows is about how many rows the bounded-memory import writes, in whole passes
	// over the generated input; default Rows.
	ImportRows int
	// ImportMemory is the engine's import memory (engine.Options.ImportMemory) in the
	// bounded-memory import; default 256 MiB.
	ImportMemory int64
	Dir          string           // scratch directory, which Run fills; must exist
	Alloc        memory.Allocator // allocator of sleeperd's Arrow memory; nil is the default
	// ProfileDir, if set, receives a CPU profile of sleeperd's side of each workload, named
	// after the workload (see Figure.Profile). It must exist.
	ProfileDir string
	// Log, if set, receives a line as each workload starts.
	Log io.Writer
	// CompactionOnly runs the compaction workload alone (no ingest of table t, nothing after).
	CompactionOnly bool
	// CompactionReadAhead sets compaction.Env.ReadAhead in the compaction workload.
	CompactionReadAhead bool
}

func (c *Config) defaults() {
	if c.Lookups == 0 {
		c.Lookups = 1000
	}
	if c.Ranges == 0 {
		c.Ranges = 5
	}
	if c.RangeRows == 0 {
		c.RangeRows = min(100_000, max(1, c.Rows/10))
	}
	if c.Conns == 0 {
		c.Conns = 32
	}
	if c.Duration == 0 {
		c.Duration = 20 * time.Second
	}
	if c.Commits == 0 {
		c.Commits = 5 * time.Second
	}
	if c.Alloc == nil {
		c.Alloc = memory.DefaultAllocator
	}
	if c.ImportRows == 0 {
		c.ImportRows = c.Rows
	}
	if c.ImportMemory == 0 {
		c.ImportMemory = 256 << 20
	}
}

// Figure is one engine's measurement of one workload.
type Figure struct {
	Seconds    float64 `json:"seconds"`
	RowsPerSec float64 `json:"rows_per_sec"`
	P50Micros  float64 `json:"p50_us,omitempty"`
	P99Micros  float64 `json:"p99_us,omitempty"`
	// Ops and OpsPerSec count queries or commits of the workloads that run for a time.
	Ops       int64   `json:"ops,omitempty"`
	OpsPerSec float64 `json:"ops_per_sec,omitempty"`
	Failed    int64   `json:"failed,omitempty"` // commits given up after too many lost races
	Rows      int64   `json:"result_rows"`      // rows the workload returned or wrote
	Checksum  string  `json:"checksum"`
	// PeakMemBytes is the peak memory of the workload as measured by MemMethod.
	PeakMemBytes int64  `json:"peak_mem_bytes"`
	MemMethod    string `json:"mem_method"`
	Profile      string `json:"cpu_profile,omitempty"` // file name of the CPU profile in Config.ProfileDir, if any
}

// Result is one workload measured on both engines. DuckDB is nil for a workload it has no
// counterpart of; Speedup is then 0. Speedup is DuckDB's time over sleeperd's (above 1
// sleeperd is faster); for workloads that run for a time, DuckDB's time per query over
// sleeperd's.
type Result struct {
	Workload string  `json:"workload"`
	Rows     int64   `json:"rows"` // input rows, or lookups, the workload covers
	Unit     string  `json:"unit"` // of the rate: "rows/s", "lookups/s", "queries/s" or "commits/s"
	Sleeperd Figure  `json:"sleeperd"`
	DuckDB   *Figure `json:"duckdb"`
	Speedup  float64 `json:"speedup"`
	Agree    bool    `json:"agree"`
	Note     string  `json:"note,omitempty"`
	// Bounded describes the memory of the bounded-memory import.
	Bounded *Bounded `json:"bounded,omitempty"`
}

// Bounded is what the bounded-memory import measured of sleeperd's writer: its budget, the
// peaks of the Go heap and of the process RSS over their values at the start, and whether
// (and how much) it spilled to local disk.
type Bounded struct {
	BudgetBytes    int64 `json:"budget_bytes"`
	HeapPeakBytes  int64 `json:"heap_peak_bytes"`
	RSSPeakBytes   int64 `json:"rss_peak_bytes"`
	Spilled        bool  `json:"spilled"`
	SpillPeakBytes int64 `json:"spill_peak_bytes"`
	// From engine.SpillStats: sorted runs spilled, intermediate merge passes, bytes written
	// to spill files, and the most memory the writer accounted at once.
	Runs            int64 `json:"runs"`
	MergePasses     int64 `json:"merge_passes"`
	BytesSpilled    int64 `json:"bytes_spilled"`
	WriterPeakBytes int64 `json:"writer_peak_bytes"`
}

// Machine describes where a run happened. LoadStart and LoadEnd are the 1-minute load
// averages when the run started and ended: other work on the machine slows both engines.
type Machine struct {
	Cores      int     `json:"cores"`
	MemoryMiB  int64   `json:"memory_mib"`
	GOOS       string  `json:"goos"`
	GOARCH     string  `json:"goarch"`
	GoVersion  string  `json:"go_version"`
	DuckDB     string  `json:"duckdb_version"`
	StartedUTC string  `json:"started_utc"`
	Seconds    float64 `json:"seconds"` // wall time of the whole run
	LoadStart  float64 `json:"load_avg_start"`
	LoadEnd    float64 `json:"load_avg_end"`
}

// Report is the outcome of a run.
type Report struct {
	Rows    int      `json:"rows"`
	Seed    uint64   `json:"seed"`
	Machine Machine  `json:"machine"`
	Results []Result `json:"results"`
}

// Failed reports whether any workload's results disagreed.
func (r *Report) Failed() bool {
	for _, x := range r.Results {
		if !x.Agree {
			return true
		}
	}
	return false
}

// Markdown renders the results as a markdown table.
func (r *Report) Markdown() string {
	var b strings.Builder
	m := r.Machine
	fmt.Fprintf(&b, "rows %d, %d cores, %d MiB, %s, DuckDB %s, load average %.2f at start, %.2f at end, %.0f s in all\n\n",
		r.Rows, m.Cores, m.MemoryMiB, m.GoVersion, m.DuckDB, m.LoadStart, m.LoadEnd, m.Seconds)
	b.WriteString("| workload | sleeperd | DuckDB | sleeperd rate | DuckDB rate | speedup | sleeperd peak mem | DuckDB peak mem | agree |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|---|\n")
	for _, x := range r.Results {
		dd, ddRate, ddMem, speedup := "n/a", "n/a", "n/a", "n/a"
		if x.DuckDB != nil {
			dd, ddRate, ddMem = figure(*x.DuckDB), rate(*x.DuckDB, x.Unit), mib(x.DuckDB.PeakMemBytes)
			speedup = fmt.Sprintf("%.2f", x.Speedup)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s | %v |\n", x.Workload,
			figure(x.Sleeperd), dd, rate(x.Sleeperd, x.Unit), ddRate, speedup, mib(x.Sleeperd.PeakMemBytes), ddMem, x.Agree)
	}
	for _, x := range r.Results {
		if x.Note != "" {
			fmt.Fprintf(&b, "\n- %s: %s", x.Workload, x.Note)
		}
	}
	b.WriteString("\n\nPeak memory: sleeperd " + MemGoHeap + "; DuckDB " + MemRSS + ".\n")
	return b.String()
}

func figure(f Figure) string {
	if f.P50Micros > 0 {
		return fmt.Sprintf("%.3fs (p50 %s, p99 %s)", f.Seconds, micros(f.P50Micros), micros(f.P99Micros))
	}
	return fmt.Sprintf("%.3fs", f.Seconds)
}

func micros(us float64) string {
	if us >= 1000 {
		return fmt.Sprintf("%.2fms", us/1000)
	}
	return fmt.Sprintf("%.0fµs", us)
}

func rate(f Figure, unit string) string {
	v := f.RowsPerSec
	if unit != "rows/s" {
		v = f.OpsPerSec
	}
	s := fmt.Sprintf("%.0f %s", v, unit)
	if f.Failed > 0 {
		s += fmt.Sprintf(" (%d failed)", f.Failed)
	}
	return s
}

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

// createTable is the sleeperd table: 16 leaf partitions split on the first hex digit of key.
const createTable = `CREATE TABLE t (key text, sort bigint, value text, value2 text) WITH (row_keys='key', sort_keys='sort', split_points='1,2,3,4,5,6,7,8,9,a,b,c,d,e,f')`

// scans are the full-scan aggregate workloads; {t} is the table (sleeperd) or its files (DuckDB).
var scans = []struct{ name, sql string }{
	{"scan: count, sum(length), count(value2)", `SELECT count(*), sum(length(value)), count(value2) FROM {t}`},
	{"scan: group by substr(key,1,4)", `SELECT substr(key, 1, 4) p, count(*), max(sort) FROM {t} GROUP BY p ORDER BY p`},
}

// runner holds what the workloads of one run share.
type runner struct {
	cfg  Config
	rep  *Report
	db   *sql.DB
	eng  *engine.Engine
	conn engine.Conn
}

func (r *runner) logf(format string, args ...any) {
	if r.cfg.Log != nil {
		fmt.Fprintf(r.cfg.Log, "%s "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
	}
}

// pair measures a workload on both engines, sleeperd first.
func (r *runner) pair(name string, sd, dd func() (Figure, error)) (Figure, Figure, error) {
	r.logf("%s: sleeperd", name)
	s, err := measure(name, MemGoHeap, r.cfg.ProfileDir, sd)
	if err != nil {
		return Figure{}, Figure{}, fmt.Errorf("bench: %s: sleeperd: %w", name, err)
	}
	r.logf("%s: duckdb", name)
	d, err := measure(name, MemRSS, "", dd)
	if err != nil {
		return Figure{}, Figure{}, fmt.Errorf("bench: %s: duckdb: %w", name, err)
	}
	return s, d, nil
}

// Run generates the data in cfg.Dir and measures every workload on sleeperd and DuckDB. A
// disagreement between the engines is recorded in the report (Agree false) and returned as an
// error wrapping ErrMismatch after all workloads ran.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if cfg.Rows <= 0 {
		return nil, fmt.Errorf("bench: %d rows, want > 0", cfg.Rows)
	}
	if cfg.Lookups < 0 || cfg.Ranges < 0 || cfg.ImportRows < 0 || cfg.ImportMemory < 0 || cfg.RangeRows < 0 || cfg.Conns < 0 || cfg.Duration < 0 || cfg.Commits < 0 {
		return nil, fmt.Errorf("bench: negative size in %+v", cfg)
	}
	cfg.defaults()
	began := time.Now()
	rep := &Report{Rows: cfg.Rows, Seed: cfg.Seed, Machine: machine()}
	r := &runner{cfg: cfg, rep: rep}
	input := filepath.Join(cfg.Dir, "input.parquet")
	r.logf("generating %d rows", cfg.Rows)
	keys, err := Generate(ctx, input, cfg.Rows, cfg.Seed, cfg.Alloc)
	if err != nil {
		return nil, err
	}
	// The lookup keys, then the ranges from the keys in order; then the keys can go.
	rng := rand.New(rand.NewPCG(cfg.Seed+1, cfg.Seed^0x5851f42d4c957f2d))
	probe := make([]string, cfg.Lookups)
	for i := range probe {
		probe[i] = keys[rng.IntN(len(keys))]
	}
	pool := make([]string, min(len(keys), 100_000)) // keys of the concurrent lookups
	for i := range pool {
		pool[i] = keys[rng.IntN(len(keys))]
	}
	slices.Sort(keys)
	ranges := keyRanges(keys, cfg.Ranges, cfg.RangeRows, cfg.Seed)
	keys = nil

	r.db, err = sql.Open("duckdb", "")
	if err != nil {
		return nil, fmt.Errorf("bench: open duckdb: %w", err)
	}
	defer r.db.Close()
	r.db.SetMaxOpenConns(1)
	if err := r.db.QueryRowContext(ctx, "SELECT version()").Scan(&rep.Machine.DuckDB); err != nil {
		return nil, fmt.Errorf("bench: duckdb version: %w", err)
	}

	storeDir := filepath.Join(cfg.Dir, "store")
	if err := os.MkdirAll(storeDir, 0o755); err != nil {
		return nil, err
	}
	store, err := objstore.NewLocal(storeDir)
	if err != nil {
		return nil, err
	}
	r.eng, err = engine.Open(ctx, engine.Options{Store: store, Alloc: cfg.Alloc})
	if err != nil {
		return nil, fmt.Errorf("bench: open engine: %w", err)
	}
	defer r.eng.Close()
	r.conn, err = r.eng.Connect(ctx, "bench", "bench")
	if err != nil {
		return nil, err
	}
	defer r.conn.Close()
	if err := exec(ctx, r.conn, createTable); err != nil {
		return nil, fmt.Errorf("bench: create table: %w", err)
	}

	if cfg.CompactionOnly {
		if err := r.compaction(ctx, storeDir, input); err != nil {
			return nil, err
		}
		return rep, r.finish(began)
	}

	// Ingest.
	tt, err := r.eng.Catalog().Table(ctx, "t")
	if err != nil {
		return nil, fmt.Errorf("bench: table t: %w", err)
	}
	files := filepath.Join(storeDir, filepath.FromSlash(tt.FilePrefix()), "*.parquet") // t's files only
	duckOut := filepath.Join(cfg.Dir, "duckdb-sorted.parquet")
	const ingestName = "ingest (sort + write, 16 partitions)"
	sdIngest, ddIngest, err := r.pair(ingestName,
		func() (Figure, error) {
			return sleeperdIngest(ctx, r.eng, input, cfg.Alloc, ingest.WriterOptions{Memory: cfg.ImportMemory, SpillDir: cfg.Dir})
		},
		func() (Figure, error) { return duckIngest(ctx, r.db, input, duckOut) })
	if err != nil {
		return nil, err
	}
	// Both outputs must hold the same rows: DuckDB checksums sleeperd's files and its own.
	if sdIngest.Checksum, err = duckChecksum(ctx, r.db, files); err != nil {
		return nil, err
	}
	if ddIngest.Checksum, err = duckChecksum(ctx, r.db, duckOut); err != nil {
		return nil, err
	}
	rep.add(ingestName, int64(cfg.Rows), sdIngest, &ddIngest)

	if err := r.compaction(ctx, storeDir, input); err != nil {
		return nil, err
	}

	// Point lookups, in process and over the wire; DuckDB prepared, the same figure twice.
	wire, err := startWire(r.eng)
	if err != nil {
		return nil, err
	}
	defer wire.close()
	name := fmt.Sprintf("point lookups (%d, prepared, in process)", cfg.Lookups)
	sd, dd, err := r.pair(name,
		func() (Figure, error) { return sleeperdLookups(ctx, r.conn, probe) },
		func() (Figure, error) { return duckLookups(ctx, r.db, files, probe) })
	if err != nil {
		return nil, err
	}
	rep.add(name, int64(cfg.Lookups), sd, &dd)
	rep.Results[len(rep.Results)-1].Unit = "lookups/s"
	name = fmt.Sprintf("point lookups (%d, prepared, pgwire + pgx)", cfg.Lookups)
	r.logf("%s: sleeperd", name)
	sd, err = measure(name, MemGoHeap, cfg.ProfileDir, func() (Figure, error) { return wireLookups(ctx, wire, probe) })
	if err != nil {
		return nil, fmt.Errorf("bench: %s: %w", name, err)
	}
	rep.add(name, int64(cfg.Lookups), sd, &dd)
	rep.Results[len(rep.Results)-1].Unit = "lookups/s"
	rep.Results[len(rep.Results)-1].Note = "DuckDB figure is its in-process lookups above: it has no wire server here"

	// Range scans.
	name = fmt.Sprintf("range scans (%d of ~%d rows)", len(ranges), cfg.RangeRows)
	sd, dd, err = r.pair(name,
		func() (Figure, error) { return sleeperdRanges(ctx, r.conn, ranges) },
		func() (Figure, error) { return duckRanges(ctx, r.db, files, ranges) })
	if err != nil {
		return nil, err
	}
	rep.add(name, sd.Rows, sd, &dd)

	// Full scans.
	for _, s := range scans {
		sd, dd, err := r.pair(s.name,
			func() (Figure, error) { return sleeperdQuery(ctx, r.conn, strings.ReplaceAll(s.sql, "{t}", "t")) },
			func() (Figure, error) {
				return duckQuery(ctx, r.db, strings.ReplaceAll(s.sql, "{t}", "read_parquet('"+files+"')"))
			})
		if err != nil {
			return nil, err
		}
		rep.add(s.name, int64(cfg.Rows), sd, &dd)
	}

	// Concurrent lookups.
	name = fmt.Sprintf("concurrent lookups (%d connections, %s)", cfg.Conns, cfg.Duration)
	var sdDigests, ddDigests [][]checksum
	sd, dd, err = r.pair(name,
		func() (Figure, error) {
			f, d, err := wireSustained(ctx, wire, cfg.Conns, pool, cfg.Seed, cfg.Duration)
			sdDigests = d
			return f, err
		},
		func() (Figure, error) {
			f, d, err := duckSustained(ctx, r.db, files, cfg.Conns, pool, cfg.Seed, cfg.Duration)
			ddDigests = d
			return f, err
		})
	if err != nil {
		return nil, err
	}
	x, y := commonDigest(sdDigests, ddDigests)
	sd.Rows, sd.Checksum = x.rows, x.String()
	dd.Rows, dd.Checksum = y.rows, y.String()
	rep.addOps(name, "queries/s", sd, &dd)
	rep.Results[len(rep.Results)-1].Note = "sleeperd over pgwire + pgx, DuckDB one connection per goroutine in process; " +
		"results compared over the queries both ran (each worker asks the same keys in the same order)"
	if err := wire.close(); err != nil {
		return nil, fmt.Errorf("bench: pgwire shutdown: %w", err)
	}

	// State-store commits: DuckDB has no counterpart.
	for i, setup := range commitSetups {
		r.logf("%s", setup.name)
		dir := filepath.Join(cfg.Dir, fmt.Sprintf("commits-%d", i))
		sd, err := measure(setup.name, MemGoHeap, cfg.ProfileDir, func() (Figure, error) {
			return commits(ctx, dir, setup, cfg.Commits)
		})
		if err != nil {
			return nil, fmt.Errorf("bench: %s: %w", setup.name, err)
		}
		rep.addOps(setup.name, "commits/s", sd, nil)
		res := &rep.Results[len(rep.Results)-1]
		res.Agree = sd.Rows == sd.Ops // every commit read back, none twice
		res.Note = "AddFiles of one file each on a local-disk object store (put-if-absent, fsync); DuckDB: n/a"
	}

	// Export and import.
	if err := r.transferWorkloads(ctx, input, storeDir, files, sdIngest.Checksum); err != nil {
		return nil, err
	}

	return rep, r.finish(began)
}

// compaction measures the compaction workload: the files of separate ingests of input into
// one leaf of table c, merged into one file, beside DuckDB's COPY of the same files sorted.
func (r *runner) compaction(ctx context.Context, storeDir, input string) error {
	// Compaction: the files of separate ingests into one leaf, merged into one file.
	r.logf("compaction: setting up table c")
	cj, err := setupCompaction(ctx, r.eng, r.conn, storeDir, input, r.cfg.Alloc)
	if err != nil {
		return err
	}
	cj.env.ReadAhead = r.cfg.CompactionReadAhead
	name := fmt.Sprintf("compaction (%d files, 1 leaf, into 1)", len(cj.paths))
	duckCompacted := filepath.Join(r.cfg.Dir, "duckdb-compacted.parquet")
	sd, dd, err := r.pair(name,
		func() (Figure, error) { return sleeperdCompact(ctx, cj) },
		func() (Figure, error) { return duckCompact(ctx, r.db, cj.paths, duckCompacted) })
	if err != nil {
		return err
	}
	// Read both outputs back: sleeperd's through a query of the table, DuckDB's file with read_parquet.
	x, err := compactedChecksum(ctx, r.conn)
	if err != nil {
		return err
	}
	y, err := duckFileChecksum(ctx, r.db, duckCompacted)
	if err != nil {
		return err
	}
	sd.Rows, sd.Checksum = x.rows, x.String()
	dd.Rows, dd.Checksum = y.rows, y.String()
	r.rep.add(name, cj.rows, sd, &dd)
	r.rep.Results[len(r.rep.Results)-1].Note = "sleeperd: compaction.Run of the leaf's full job (claim, merge, write, commit; " +
		"setup untimed); DuckDB: COPY of read_parquet of the same files ORDER BY key, sort; outputs read back and compared"
	return nil
}

// finish records the run's time and end load, and fails with ErrMismatch if the engines
// disagreed on a workload.
func (r *runner) finish(began time.Time) error {
	rep := r.rep
	rep.Machine.Seconds = time.Since(began).Seconds()
	rep.Machine.LoadEnd = LoadAvg()
	for _, x := range rep.Results {
		if !x.Agree {
			got := "n/a"
			if x.DuckDB != nil {
				got = fmt.Sprintf("%d rows %s", x.DuckDB.Rows, x.DuckDB.Checksum)
			}
			return fmt.Errorf("bench: %s: %w: sleeperd %d rows %s, duckdb %s", x.Workload, ErrMismatch,
				x.Sleeperd.Rows, x.Sleeperd.Checksum, got)
		}
	}
	return nil
}

// add records a workload measured in rows: rows/s are rows over each engine's time.
func (r *Report) add(name string, rows int64, sd Figure, dd *Figure) {
	sd.RowsPerSec = float64(rows) / sd.Seconds
	res := Result{Workload: name, Rows: rows, Unit: "rows/s", Sleeperd: sd}
	if dd != nil {
		d := *dd
		d.RowsPerSec = float64(rows) / d.Seconds
		res.DuckDB = &d
		res.Speedup = d.Seconds / sd.Seconds
		res.Agree = sd.Rows == d.Rows && sd.Checksum == d.Checksum
	}
	r.Results = append(r.Results, res)
}

// addOps records a workload that runs for a time: the speedup compares time per operation.
func (r *Report) addOps(name, unit string, sd Figure, dd *Figure) {
	sd.RowsPerSec = float64(sd.Rows) / sd.Seconds
	res := Result{Workload: name, Rows: sd.Ops, Unit: unit, Sleeperd: sd}
	if dd != nil {
		d := *dd
		d.RowsPerSec = float64(d.Rows) / d.Seconds
		res.DuckDB = &d
		res.Speedup = sd.OpsPerSec / d.OpsPerSec
		res.Agree = sd.Rows == d.Rows && sd.Checksum == d.Checksum
	}
	r.Results = append(r.Results, res)
}

func machine() Machine {
	m := Machine{Cores: runtime.NumCPU(), GOOS: runtime.GOOS, GOARCH: runtime.GOARCH,
		GoVersion: runtime.Version(), StartedUTC: time.Now().UTC().Format(time.RFC3339), LoadStart: LoadAvg()}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb int64
		for _, line := range strings.Split(string(b), "\n") {
			if _, err := fmt.Sscanf(line, "MemTotal: %d kB", &kb); err == nil {
				m.MemoryMiB = kb >> 10
				break
			}
		}
	}
	return m
}

// exec runs one statement of sleeperd and discards its rows.
func exec(ctx context.Context, conn engine.Conn, text string) error {
	st, err := conn.Prepare(ctx, text, nil)
	if err != nil {
		return err
	}
	defer st.Close()
	_, _, err = drain(ctx, st, nil)
	return err
}

// sleeperdIngest reads the input file with sleeperd's reader and streams it into table t
// through ingest.Writer within opts.Memory, spilling sorted runs past it: memory stays
// bounded however big the input.
func sleeperdIngest(ctx context.Context, eng *engine.Engine, input string, mem memory.Allocator, opts ingest.WriterOptions) (Figure, error) {
	start := time.Now()
	t, err := eng.Catalog().Table(ctx, "t")
	if err != nil {
		return Figure{}, fmt.Errorf("bench: sleeperd table: %w", err)
	}
	spec := t.IngestSpec()
	spec.Alloc = mem
	f, err := os.Open(input)
	if err != nil {
		return Figure{}, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return Figure{}, err
	}
	pf, err := parquet.Open(f, fi.Size())
	if err != nil {
		return Figure{}, fmt.Errorf("bench: open input: %w", err)
	}
	r, err := pf.Read(ctx, parquet.ReadOptions{Alloc: mem, BatchRows: 64 << 10})
	if err != nil {
		return Figure{}, err
	}
	defer r.Close()
	w, err := ingest.NewWriter(ctx, eng.Catalog().Store(), eng.Catalog().StateStore(), spec, opts)
	if err != nil {
		return Figure{}, fmt.Errorf("bench: sleeperd ingest: %w", err)
	}
	defer w.Abort()
	for {
		b, err := r.Next(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			return Figure{}, fmt.Errorf("bench: read input: %w", err)
		}
		// Rebind the columns to the table's schema (same types, the table's nullability).
		rb := array.NewRecordBatch(spec.Schema, b.Columns(), b.NumRows())
		b.Release()
		err = w.Append(rb)
		rb.Release()
		if err != nil {
			return Figure{}, fmt.Errorf("bench: sleeperd ingest: %w", err)
		}
	}
	n, err := w.Commit(ctx)
	if err != nil {
		return Figure{}, fmt.Errorf("bench: sleeperd ingest: %w", err)
	}
	return Figure{Seconds: time.Since(start).Seconds(), Rows: n}, nil
}

func duckIngest(ctx context.Context, db *sql.DB, input, out string) (Figure, error) {
	start := time.Now()
	res, err := db.ExecContext(ctx, fmt.Sprintf(`COPY (SELECT * FROM read_parquet('%s') ORDER BY key, sort) TO '%s' (FORMAT parquet, COMPRESSION zstd)`, input, out))
	if err != nil {
		return Figure{}, fmt.Errorf("bench: duckdb ingest: %w", err)
	}
	d := time.Since(start)
	n, err := res.RowsAffected()
	if err != nil {
		return Figure{}, err
	}
	return Figure{Seconds: d.Seconds(), Rows: n}, nil
}

// duckChecksum is DuckDB's order-independent checksum of every row in the files.
func duckChecksum(ctx context.Context, db *sql.DB, files string) (string, error) {
	var n int64
	var sum string
	q := fmt.Sprintf(`SELECT count(*), CAST(sum(hash(key, sort, value, value2)) AS VARCHAR) FROM read_parquet('%s')`, files)
	if err := db.QueryRowContext(ctx, q).Scan(&n, &sum); err != nil {
		return "", fmt.Errorf("bench: duckdb checksum: %w", err)
	}
	return fmt.Sprintf("%d/%s", n, sum), nil
}

func sleeperdLookups(ctx context.Context, conn engine.Conn, probe []string) (Figure, error) {
	st, err := conn.Prepare(ctx, `SELECT * FROM t WHERE key = $1`, []arrow.DataType{arrow.BinaryTypes.String})
	if err != nil {
		return Figure{}, fmt.Errorf("bench: sleeperd prepare lookup: %w", err)
	}
	defer st.Close()
	var sum checksum
	lat := make([]time.Duration, len(probe))
	start := time.Now()
	for i, k := range probe {
		t0 := time.Now()
		if _, _, err := drain(ctx, st, []any{k}, &sum); err != nil {
			return Figure{}, fmt.Errorf("bench: sleeperd lookup %q: %w", k, err)
		}
		lat[i] = time.Since(t0)
	}
	return latencies(time.Since(start), lat, sum), nil
}

func duckLookups(ctx context.Context, db *sql.DB, files string, probe []string) (Figure, error) {
	st, err := db.PrepareContext(ctx, fmt.Sprintf(`SELECT * FROM read_parquet('%s') WHERE key = ?`, files))
	if err != nil {
		return Figure{}, fmt.Errorf("bench: duckdb prepare lookup: %w", err)
	}
	defer st.Close()
	var sum checksum
	lat := make([]time.Duration, len(probe))
	start := time.Now()
	for i, k := range probe {
		t0 := time.Now()
		rows, err := st.QueryContext(ctx, k)
		if err != nil {
			return Figure{}, fmt.Errorf("bench: duckdb lookup %q: %w", k, err)
		}
		if err := scanRows(rows, &sum); err != nil {
			return Figure{}, fmt.Errorf("bench: duckdb lookup %q: %w", k, err)
		}
		lat[i] = time.Since(t0)
	}
	return latencies(time.Since(start), lat, sum), nil
}

func latencies(total time.Duration, lat []time.Duration, sum checksum) Figure {
	slices.Sort(lat)
	pct := func(p float64) float64 {
		return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Nanoseconds()) / 1e3
	}
	return Figure{Seconds: total.Seconds(), P50Micros: pct(0.50), P99Micros: pct(0.99), Rows: sum.rows, Checksum: sum.String(),
		Ops: int64(len(lat)), OpsPerSec: float64(len(lat)) / total.Seconds()}
}

func sleeperdQuery(ctx context.Context, conn engine.Conn, text string) (Figure, error) {
	start := time.Now()
	st, err := conn.Prepare(ctx, text, nil)
	if err != nil {
		return Figure{}, err
	}
	defer st.Close()
	var sum checksum
	if _, _, err := drain(ctx, st, nil, &sum); err != nil {
		return Figure{}, err
	}
	return Figure{Seconds: time.Since(start).Seconds(), Rows: sum.rows, Checksum: sum.String()}, nil
}

func duckQuery(ctx context.Context, db *sql.DB, text string) (Figure, error) {
	start := time.Now()
	rows, err := db.QueryContext(ctx, text)
	if err != nil {
		return Figure{}, err
	}
	var sum checksum
	if err := scanRows(rows, &sum); err != nil {
		return Figure{}, err
	}
	return Figure{Seconds: time.Since(start).Seconds(), Rows: sum.rows, Checksum: sum.String()}, nil
}

// drain executes st and reads every batch, adding the rows to the checksums given.
func drain(ctx context.Context, st engine.Statement, params []any, sums ...*checksum) (int64, string, error) {
	res, err := st.Execute(ctx, params)
	if err != nil {
		return 0, "", err
	}
	defer res.Close()
	var n int64
	cells := []string{}
	for {
		b, err := res.Next(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			return n, "", err
		}
		for r := range int(b.NumRows()) {
			cells = cells[:0]
			for c := range int(b.NumCols()) {
				cells = append(cells, arrowCell(b.Column(c), r))
			}
			for _, s := range sums {
				s.add(cells)
			}
		}
		n += b.NumRows()
		b.Release()
	}
	return n, res.Tag(), nil
}

func scanRows(rows *sql.Rows, sum *checksum) error {
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	cells := make([]string, len(cols))
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		for i, v := range vals {
			cells[i] = duckCell(v)
		}
		sum.add(cells)
	}
	return rows.Err()
}

// duckCell renders one value scanned from DuckDB the way arrowCell renders sleeperd's.
func duckCell(v any) string {
	switch v := v.(type) {
	case nil:
		return "NULL"
	case string:
		return v
	case int64:
		return strconv.FormatInt(v, 10)
	}
	return fmt.Sprint(v)
}

// arrowCell renders one value the way scanRows renders DuckDB's.
func arrowCell(a arrow.Array, i int) string {
	if a.IsNull(i) {
		return "NULL"
	}
	switch a := a.(type) {
	case *array.String:
		return a.Value(i)
	case *array.Int64:
		return strconv.FormatInt(a.Value(i), 10)
	}
	return a.ValueStr(i)
}

// checksum is an order-independent digest of rows: their count and the sum of their hashes.
type checksum struct {
	rows int64
	sum  uint64
}

func (c *checksum) add(cells []string) {
	// FNV-1a of the cells, each followed by 0x1f (hash/fnv's New64a, without allocating).
	const offset, prime = 14695981039346656037, 1099511628211
	h := uint64(offset)
	for _, s := range cells {
		for i := 0; i < len(s); i++ {
			h = (h ^ uint64(s[i])) * prime
		}
		h = (h ^ 0x1f) * prime
	}
	c.rows++
	c.sum += h
}

func (c checksum) String() string { return fmt.Sprintf("%d/%016x", c.rows, c.sum) }
