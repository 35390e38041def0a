package bench

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
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

// Config chooses the size of a run.
type Config struct {
	Rows    int              // rows generated and ingested
	Seed    uint64           // seed of the generated data and of the lookup keys
	Lookups int              // point lookups per engine; default 1000
	Dir     string           // scratch directory, which Run fills; must exist
	Alloc   memory.Allocator // allocator of sleeperd's Arrow memory; nil is the default
}

// Figure is one engine's measurement of one workload.
type Figure struct {
	Seconds    float64 `json:"seconds"`
	RowsPerSec float64 `json:"rows_per_sec"`
	P50Micros  float64 `json:"p50_us,omitempty"`
	P99Micros  float64 `json:"p99_us,omitempty"`
	Rows       int64   `json:"result_rows"` // rows the workload returned or wrote
	Checksum   string  `json:"checksum"`
}

// Result is one workload measured on both engines. Speedup is DuckDB's time over sleeperd's:
// above 1 sleeperd is faster.
type Result struct {
	Workload string  `json:"workload"`
	Rows     int64   `json:"rows"` // input rows the workload covers
	Sleeperd Figure  `json:"sleeperd"`
	DuckDB   Figure  `json:"duckdb"`
	Speedup  float64 `json:"speedup"`
	Agree    bool    `json:"agree"`
}

// Machine describes where a run happened.
type Machine struct {
	Cores      int    `json:"cores"`
	MemoryMiB  int64  `json:"memory_mib"`
	GOOS       string `json:"goos"`
	GOARCH     string `json:"goarch"`
	GoVersion  string `json:"go_version"`
	DuckDB     string `json:"duckdb_version"`
	StartedUTC string `json:"started_utc"`
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
	fmt.Fprintf(&b, "rows %d, %d cores, %d MiB, %s, DuckDB %s\n\n", r.Rows, r.Machine.Cores, r.Machine.MemoryMiB, r.Machine.GoVersion, r.Machine.DuckDB)
	b.WriteString("| workload | rows | sleeperd | duckdb | sleeperd rows/s | duckdb rows/s | speedup | agree |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|---:|---|\n")
	for _, x := range r.Results {
		fmt.Fprintf(&b, "| %s | %d | %s | %s | %.0f | %.0f | %.2f | %v |\n", x.Workload, x.Rows,
			figure(x.Sleeperd), figure(x.DuckDB), x.Sleeperd.RowsPerSec, x.DuckDB.RowsPerSec, x.Speedup, x.Agree)
	}
	return b.String()
}

func figure(f Figure) string {
	if f.P50Micros > 0 {
		return fmt.Sprintf("%.3fs (p50 %.0fµs, p99 %.0fµs)", f.Seconds, f.P50Micros, f.P99Micros)
	}
	return fmt.Sprintf("%.3fs", f.Seconds)
}

// createTable is the sleeperd table: 16 leaf partitions split on the first hex digit of key.
const createTable = `CREATE TABLE t (key text, sort bigint, value text, value2 text) WITH (row_keys='key', sort_keys='sort', split_points='1,2,3,4,5,6,7,8,9,a,b,c,d,e,f')`

// scans are the full-scan aggregate workloads; {t} is the table (sleeperd) or its files (DuckDB).
var scans = []struct{ name, sql string }{
	{"scan: count, sum(length), count(value2)", `SELECT count(*), sum(length(value)), count(value2) FROM {t}`},
	{"scan: group by substr(key,1,4)", `SELECT substr(key, 1, 4) p, count(*), max(sort) FROM {t} GROUP BY p ORDER BY p`},
}

// Run generates the data in cfg.Dir and measures every workload on sleeperd and DuckDB. A
// disagreement between the engines is recorded in the report (Agree false) and returned as an
// error wrapping ErrMismatch after all workloads ran.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if cfg.Rows <= 0 {
		return nil, fmt.Errorf("bench: %d rows, want > 0", cfg.Rows)
	}
	if cfg.Lookups == 0 {
		cfg.Lookups = 1000
	}
	if cfg.Alloc == nil {
		cfg.Alloc = memory.DefaultAllocator
	}
	rep := &Report{Rows: cfg.Rows, Seed: cfg.Seed, Machine: machine()}
	input := filepath.Join(cfg.Dir, "input.parquet")
	keys, err := Generate(ctx, input, cfg.Rows, cfg.Seed, cfg.Alloc)
	if err != nil {
		return nil, err
	}

	db, err := sql.Open("duckdb", "")
	if err != nil {
		return nil, fmt.Errorf("bench: open duckdb: %w", err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if err := db.QueryRowContext(ctx, "SELECT version()").Scan(&rep.Machine.DuckDB); err != nil {
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
	eng, err := engine.Open(ctx, engine.Options{Store: store, Alloc: cfg.Alloc})
	if err != nil {
		return nil, fmt.Errorf("bench: open engine: %w", err)
	}
	defer eng.Close()
	conn, err := eng.Connect(ctx, "bench", "bench")
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	if err := exec(ctx, conn, createTable); err != nil {
		return nil, fmt.Errorf("bench: create table: %w", err)
	}

	// Ingest.
	sdIngest, err := sleeperdIngest(ctx, eng, input, cfg.Alloc)
	if err != nil {
		return nil, err
	}
	files := filepath.Join(storeDir, "tables", "*", "files", "*.parquet")
	duckOut := filepath.Join(cfg.Dir, "duckdb-sorted.parquet")
	ddIngest, err := duckIngest(ctx, db, input, duckOut)
	if err != nil {
		return nil, err
	}
	// Both outputs must hold the same rows: DuckDB checksums sleeperd's files and its own.
	if sdIngest.Checksum, err = duckChecksum(ctx, db, files); err != nil {
		return nil, err
	}
	if ddIngest.Checksum, err = duckChecksum(ctx, db, duckOut); err != nil {
		return nil, err
	}
	rep.add("ingest (sort + write, 16 partitions)", int64(cfg.Rows), sdIngest, ddIngest)

	// Point lookups.
	rng := rand.New(rand.NewPCG(cfg.Seed+1, cfg.Seed^0x5851f42d4c957f2d))
	probe := make([]string, cfg.Lookups)
	for i := range probe {
		probe[i] = keys[rng.IntN(len(keys))]
	}
	sdLook, err := sleeperdLookups(ctx, conn, probe)
	if err != nil {
		return nil, err
	}
	ddLook, err := duckLookups(ctx, db, files, probe)
	if err != nil {
		return nil, err
	}
	rep.add(fmt.Sprintf("point lookups (%d, prepared)", cfg.Lookups), int64(cfg.Lookups), sdLook, ddLook)

	// Full scans.
	for _, s := range scans {
		sd, err := sleeperdQuery(ctx, conn, strings.ReplaceAll(s.sql, "{t}", "t"))
		if err != nil {
			return nil, fmt.Errorf("bench: %s: sleeperd: %w", s.name, err)
		}
		dd, err := duckQuery(ctx, db, strings.ReplaceAll(s.sql, "{t}", "read_parquet('"+files+"')"))
		if err != nil {
			return nil, fmt.Errorf("bench: %s: duckdb: %w", s.name, err)
		}
		rep.add(s.name, int64(cfg.Rows), sd, dd)
	}

	for _, x := range rep.Results {
		if !x.Agree {
			return rep, fmt.Errorf("bench: %s: %w: sleeperd %d rows %s, duckdb %d rows %s", x.Workload, ErrMismatch,
				x.Sleeperd.Rows, x.Sleeperd.Checksum, x.DuckDB.Rows, x.DuckDB.Checksum)
		}
	}
	return rep, nil
}

func (r *Report) add(name string, rows int64, sd, dd Figure) {
	sd.RowsPerSec = float64(rows) / sd.Seconds
	dd.RowsPerSec = float64(rows) / dd.Seconds
	r.Results = append(r.Results, Result{
		Workload: name, Rows: rows, Sleeperd: sd, DuckDB: dd,
		Speedup: dd.Seconds / sd.Seconds,
		Agree:   sd.Rows == dd.Rows && sd.Checksum == dd.Checksum,
	})
}

func machine() Machine {
	m := Machine{Cores: runtime.NumCPU(), GOOS: runtime.GOOS, GOARCH: runtime.GOARCH,
		GoVersion: runtime.Version(), StartedUTC: time.Now().UTC().Format(time.RFC3339)}
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

// sleeperdIngest reads the input file with sleeperd's reader and writes it into table t.
func sleeperdIngest(ctx context.Context, eng *engine.Engine, input string, mem memory.Allocator) (Figure, error) {
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
	var batches []arrow.RecordBatch
	defer func() {
		for _, b := range batches {
			b.Release()
		}
	}()
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
		batches = append(batches, rb)
	}
	n, err := ingest.Write(ctx, eng.Catalog().Store(), eng.Catalog().StateStore(), spec, batches)
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
	return Figure{Seconds: total.Seconds(), P50Micros: pct(0.50), P99Micros: pct(0.99), Rows: sum.rows, Checksum: sum.String()}
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
			if v == nil {
				cells[i] = "NULL"
			} else {
				cells[i] = fmt.Sprint(v)
			}
		}
		sum.add(cells)
	}
	return rows.Err()
}

// arrowCell renders one value the way scanRows renders DuckDB's.
func arrowCell(a arrow.Array, i int) string {
	if a.IsNull(i) {
		return "NULL"
	}
	return a.ValueStr(i)
}

// checksum is an order-independent digest of rows: their count and the sum of their hashes.
type checksum struct {
	rows int64
	sum  uint64
}

func (c *checksum) add(cells []string) {
	h := fnv.New64a()
	for _, s := range cells {
		h.Write([]byte(s))
		h.Write([]byte{0x1f})
	}
	c.rows++
	c.sum += h.Sum64()
}

func (c checksum) String() string { return fmt.Sprintf("%d/%016x", c.rows, c.sum) }
