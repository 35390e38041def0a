// Command bigimport measures a bounded-memory import through the real server: it generates
// Parquet files of the benchmark schema, starts `sleeperd serve --import-memory BUDGET
// --spill-dir DIR` on a fresh database, runs COPY t FROM '<dir>/*.parquet' (FORMAT parquet)
// over the PostgreSQL wire protocol (pgx) while sampling the server's VmRSS and VmHWM
// (/proc/<pid>/status), its Go heap (GODEBUG=gctrace=1) and the size of its spill directory,
// and checks the table's row count and checksum against the input's (DuckDB's
// sum(hash(...)) of the files). Then it runs DuckDB's counterpart, a sorted COPY of the same
// files into one Parquet file under SET memory_limit = BUDGET, in a child process of its
// own, whose VmHWM it reports.
//
//	go build -o $TMPDIR/sleeperd ./cmd/sleeperd   # from the repository root
//	cd bench && go run ./cmd/bigimport -sleeperd $TMPDIR/sleeperd -rows 20000000
package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"
	"github.com/jackc/pgx/v5"

	"github.com/sleeperd/sleeperd/bench"
)

type config struct {
	sleeperd     string
	rows         int
	files        int
	seed         uint64
	importMemory string
	budget       int64
	dir          string
	keep         bool
	duckdb       bool
	gogc         string
	gomemlimit   string
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "duckdb-child" {
		if err := duckChild(os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "bigimport duckdb-child:", err)
			os.Exit(1)
		}
		return
	}
	var c config
	flag.StringVar(&c.sleeperd, "sleeperd", "", "the sleeperd binary (required)")
	flag.IntVar(&c.rows, "rows", 20_000_000, "rows to generate and import")
	flag.IntVar(&c.files, "files", 8, "Parquet files the rows are generated into")
	flag.Uint64Var(&c.seed, "seed", 1, "seed of the generated rows")
	flag.StringVar(&c.importMemory, "import-memory", "256MiB", "the server's --import-memory, and DuckDB's memory_limit")
	flag.StringVar(&c.dir, "dir", "", "scratch directory (empty: a temporary one, removed at the end); generated files found there are reused")
	flag.BoolVar(&c.keep, "keep", false, "keep the scratch directory")
	flag.BoolVar(&c.duckdb, "duckdb", true, "also run DuckDB's counterpart")
	flag.StringVar(&c.gogc, "server-gogc", "", "GOGC of the server process (empty: inherited)")
	flag.StringVar(&c.gomemlimit, "server-gomemlimit", "", "GOMEMLIMIT of the server process (empty: inherited)")
	flag.Parse()
	if c.sleeperd == "" || c.rows <= 0 || c.files <= 0 {
		flag.Usage()
		os.Exit(2)
	}
	b, err := parseMiB(c.importMemory)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bigimport:", err)
		os.Exit(2)
	}
	c.budget = b
	if err := run(c); err != nil {
		fmt.Fprintln(os.Stderr, "bigimport:", err)
		os.Exit(1)
	}
}

// parseMiB parses "<n>MiB" or "<n>GiB".
func parseMiB(s string) (int64, error) {
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"MiB", 1 << 20}, {"GiB", 1 << 30}} {
		if n, ok := strings.CutSuffix(s, u.suffix); ok {
			v, err := strconv.ParseInt(n, 10, 64)
			if err == nil && v > 0 {
				return v * u.mult, nil
			}
		}
	}
	return 0, fmt.Errorf("-import-memory %q: want <n>MiB or <n>GiB", s)
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
}

// Result is what a run measured.
type Result struct {
	Rows            int64   `json:"rows"`
	Files           int     `json:"files"`
	BudgetBytes     int64   `json:"budget_bytes"`
	InputBytes      int64   `json:"input_bytes"`
	InputChecksum   string  `json:"input_checksum"`
	TableChecksum   string  `json:"table_checksum"`
	CountOK         bool    `json:"count_ok"`
	ChecksumOK      bool    `json:"checksum_ok"`
	Seconds         float64 `json:"seconds"`
	RowsPerSec      float64 `json:"rows_per_sec"`
	RSSStartBytes   int64   `json:"rss_start_bytes"`
	RSSPeakBytes    int64   `json:"rss_peak_bytes"` // VmHWM at the end of the COPY
	HeapPeakBytes   int64   `json:"heap_peak_bytes"`
	HeapGoalPeak    int64   `json:"heap_goal_peak_bytes"`
	HeapLivePeak    int64   `json:"heap_live_peak_bytes"` // the most heap a GC found live
	GCs             int     `json:"gcs"`
	SpillPeakBytes  int64   `json:"spill_peak_bytes"`
	SpillFilesPeak  int     `json:"spill_files_peak"`
	ServerSpillLog  string  `json:"server_spill_log"`
	OutputFiles     int64   `json:"output_files"`
	LoadStart       float64 `json:"load_avg_start"`
	LoadEnd         float64 `json:"load_avg_end"`
	ServerEnv       string  `json:"server_env,omitempty"`
	DuckDBSeconds   float64 `json:"duckdb_seconds,omitempty"`
	DuckDBRows      int64   `json:"duckdb_rows,omitempty"`
	DuckDBHWMBytes  int64   `json:"duckdb_vmhwm_bytes,omitempty"`
	DuckDBTempPeak  int64   `json:"duckdb_temp_peak_bytes,omitempty"`
	DuckDBChecksum  string  `json:"duckdb_checksum,omitempty"`
	DuckDBVersion   string  `json:"duckdb_version,omitempty"`
	DuckDBLoadStart float64 `json:"duckdb_load_avg_start,omitempty"`
}

func run(c config) error {
	ctx := context.Background()
	if c.dir == "" {
		d, err := os.MkdirTemp("", "sleeperd-bigimport-")
		if err != nil {
			return err
		}
		c.dir = d
		if !c.keep {
			defer os.RemoveAll(d)
		}
	}
	in := filepath.Join(c.dir, "in")
	if err := os.MkdirAll(in, 0o755); err != nil {
		return err
	}
	res := Result{Rows: int64(c.rows), Files: c.files, BudgetBytes: c.budget}

	// The input: c.files files of consecutive shares of the rows, each generated with a seed
	// of its own; files already there (a rerun with -dir) are kept.
	per := (c.rows + c.files - 1) / c.files
	for i := range c.files {
		n := min(per, c.rows-i*per)
		p := filepath.Join(in, fmt.Sprintf("part-%02d-%d.parquet", i, n))
		if _, err := os.Stat(p); err == nil {
			continue
		}
		logf("generating %s (%d rows)", filepath.Base(p), n)
		if _, err := bench.Generate(ctx, p+".tmp", n, c.seed+uint64(i), nil); err != nil {
			return err
		}
		if err := os.Rename(p+".tmp", p); err != nil {
			return err
		}
	}
	glob := filepath.Join(in, "*.parquet")
	res.InputBytes, _ = dirSize(in)

	db, err := sql.Open("duckdb", "")
	if err != nil {
		return err
	}
	defer db.Close()
	logf("input checksum (DuckDB)")
	var inRows int64
	if inRows, res.InputChecksum, err = checksum(ctx, db, quote(glob)); err != nil {
		return err
	}
	if inRows != int64(c.rows) {
		return fmt.Errorf("the input holds %d rows, want %d (stale files in %s?)", inRows, c.rows, in)
	}

	// The server.
	data := filepath.Join(c.dir, "db")
	spill := filepath.Join(c.dir, "spill")
	os.RemoveAll(data)
	os.RemoveAll(spill)
	for _, d := range []string{data, spill} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	addr, err := freeAddr()
	if err != nil {
		return err
	}
	srv := exec.Command(c.sleeperd, "serve", "--data", data, "--pg-addr", addr, "--flight-addr", "", "--trino-addr", "", "--http-addr", "",
		"--import-memory", c.importMemory, "--spill-dir", spill, "--maintenance-interval", "0", "--log-level", "info")
	env := []string{"GODEBUG=gctrace=1"}
	if c.gogc != "" {
		env = append(env, "GOGC="+c.gogc)
	}
	if c.gomemlimit != "" {
		env = append(env, "GOMEMLIMIT="+c.gomemlimit)
	}
	res.ServerEnv = strings.Join(env[1:], " ")
	srv.Env = append(os.Environ(), env...)
	stderr, err := srv.StderrPipe()
	if err != nil {
		return err
	}
	gc := &gcTrace{}
	if err := srv.Start(); err != nil {
		return err
	}
	gcDone := make(chan struct{})
	go func() { defer close(gcDone); gc.read(stderr) }()
	defer func() {
		srv.Process.Signal(syscall.SIGTERM)
		srv.Wait()
		<-gcDone
	}()
	conn, err := dial(ctx, addr, 30*time.Second)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `CREATE TABLE t (key text, sort bigint, value text, value2 text) WITH (row_keys='key', sort_keys='sort', split_points='1,2,3,4,5,6,7,8,9,a,b,c,d,e,f')`); err != nil {
		return err
	}

	pid := srv.Process.Pid
	res.RSSStartBytes = bench.ProcStatus(pid, "VmRSS")
	gc.reset()
	res.LoadStart = bench.LoadAvg()
	sp := startSpillSampler(spill)
	logf("COPY t FROM %s (FORMAT parquet), server --import-memory %s", glob, c.importMemory)
	start := time.Now()
	tag, err := conn.Exec(ctx, fmt.Sprintf(`COPY t FROM %s (FORMAT parquet)`, quote(glob)))
	res.Seconds = time.Since(start).Seconds()
	res.RSSPeakBytes = bench.ProcStatus(pid, "VmHWM")
	sp.done()
	res.LoadEnd = bench.LoadAvg()
	if err != nil {
		return fmt.Errorf("COPY FROM: %w", err)
	}
	res.RowsPerSec = float64(res.Rows) / res.Seconds
	res.SpillPeakBytes, res.SpillFilesPeak = sp.peak, sp.files
	res.HeapPeakBytes, res.HeapGoalPeak, res.HeapLivePeak, res.GCs = gc.peaks()
	logf("%s in %.1fs; checking", tag, res.Seconds)
	time.Sleep(100 * time.Millisecond) // the server's log line of the write
	gc.mu.Lock()
	res.ServerSpillLog = gc.spilled
	gc.mu.Unlock()

	var count int64
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM t`).Scan(&count); err != nil {
		return err
	}
	res.CountOK = count == int64(c.rows) && tag.RowsAffected() == int64(c.rows)
	rows, err := conn.Query(ctx, `SELECT DISTINCT file_name FROM sleeper.files WHERE table_name = 't'`)
	if err != nil {
		return err
	}
	var files []string
	for rows.Next() {
		var f string
		if err := rows.Scan(&f); err != nil {
			return err
		}
		files = append(files, quote(filepath.Join(data, filepath.FromSlash(f))))
	}
	if err := rows.Err(); err != nil {
		return err
	}
	res.OutputFiles = int64(len(files))
	var outRows int64
	if outRows, res.TableChecksum, err = checksum(ctx, db, "["+strings.Join(files, ", ")+"]"); err != nil {
		return err
	}
	res.ChecksumOK = outRows == int64(c.rows) && res.TableChecksum == res.InputChecksum
	conn.Close(ctx)
	srv.Process.Signal(syscall.SIGTERM)
	srv.Wait()

	if c.duckdb {
		if err := db.QueryRowContext(ctx, "SELECT version()").Scan(&res.DuckDBVersion); err != nil {
			return err
		}
		db.Close()
		if err := runDuck(ctx, c, glob, &res); err != nil {
			return err
		}
	}
	report(c, res)
	b, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return err
	}
	fmt.Println(string(b))
	if !res.CountOK || !res.ChecksumOK {
		return errors.New("the table does not hold the input's rows")
	}
	return nil
}

// runDuck runs DuckDB's counterpart in a child process: a sorted COPY of the files into one
// zstd Parquet file under memory_limit, spilling to a temp directory in the scratch directory.
func runDuck(ctx context.Context, c config, glob string, res *Result) error {
	out := filepath.Join(c.dir, "duckdb-out.parquet")
	tmp := filepath.Join(c.dir, "duckdb-tmp")
	os.RemoveAll(tmp)
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	logf("DuckDB: COPY (SELECT * FROM read_parquet(...) ORDER BY key, sort) TO ... under memory_limit %d MiB", c.budget>>20)
	res.DuckDBLoadStart = bench.LoadAvg()
	cmd := exec.CommandContext(ctx, self, "duckdb-child", glob, out, tmp, strconv.FormatInt(c.budget>>20, 10))
	cmd.Stderr = os.Stderr
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	sp := startSpillSampler(tmp)
	err = cmd.Run()
	sp.done()
	if err != nil {
		return fmt.Errorf("duckdb child: %w", err)
	}
	var child struct {
		Seconds float64
		Rows    int64
		HWM     int64
	}
	if err := json.Unmarshal(stdout.Bytes(), &child); err != nil {
		return fmt.Errorf("duckdb child output %q: %w", stdout.String(), err)
	}
	res.DuckDBSeconds, res.DuckDBRows, res.DuckDBHWMBytes, res.DuckDBTempPeak = child.Seconds, child.Rows, child.HWM, sp.peak
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return err
	}
	defer db.Close()
	_, res.DuckDBChecksum, err = checksum(ctx, db, quote(out))
	return err
}

// duckChild is the child process of runDuck: args are the input glob, the output file, the
// temp directory and the memory limit in MiB. It prints the time, the rows and its VmHWM.
func duckChild(args []string) error {
	if len(args) != 4 {
		return errors.New("want GLOB OUT TMPDIR LIMIT_MIB")
	}
	ctx := context.Background()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	for _, s := range []string{
		fmt.Sprintf(`SET memory_limit = '%sMiB'`, args[3]),
		fmt.Sprintf(`SET temp_directory = %s`, quote(args[2])),
	} {
		if _, err := db.ExecContext(ctx, s); err != nil {
			return err
		}
	}
	start := time.Now()
	r, err := db.ExecContext(ctx, fmt.Sprintf(`COPY (SELECT * FROM read_parquet(%s) ORDER BY key, sort) TO %s (FORMAT parquet, COMPRESSION zstd)`, quote(args[0]), quote(args[1])))
	if err != nil {
		return err
	}
	secs := time.Since(start).Seconds()
	n, err := r.RowsAffected()
	if err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(map[string]any{"Seconds": secs, "Rows": n, "HWM": bench.ProcStatus(os.Getpid(), "VmHWM")})
}

func report(c config, r Result) {
	fmt.Printf("\nrows %d in %d Parquet files (%.1f MiB), --import-memory %s", r.Rows, r.Files, float64(r.InputBytes)/(1<<20), c.importMemory)
	if r.ServerEnv != "" {
		fmt.Printf(", server %s", r.ServerEnv)
	}
	fmt.Printf("\nload average %.2f at the start of the COPY, %.2f at its end\n\n", r.LoadStart, r.LoadEnd)
	dd := func(format string, v ...any) string {
		if r.DuckDBRows == 0 {
			return "n/a"
		}
		return fmt.Sprintf(format, v...)
	}
	fmt.Printf("| | sleeperd serve, COPY t FROM (FORMAT parquet) | DuckDB, sorted COPY to Parquet |\n|---|---:|---:|\n")
	fmt.Printf("| time | %.1f s | %s |\n", r.Seconds, dd("%.1f s", r.DuckDBSeconds))
	fmt.Printf("| rate | %.0f rows/s | %s |\n", r.RowsPerSec, dd("%.0f rows/s", float64(r.Rows)/r.DuckDBSeconds))
	fmt.Printf("| process peak RSS (VmHWM) | %.1f MiB (%.1f MiB at start) | %s |\n", mib(r.RSSPeakBytes), mib(r.RSSStartBytes), dd("%.1f MiB", mib(r.DuckDBHWMBytes)))
	fmt.Printf("| Go heap peak (gctrace, %d GCs) | %.1f MiB (goal peak %.1f MiB, live peak %.1f MiB) | n/a |\n", r.GCs, mib(r.HeapPeakBytes), mib(r.HeapGoalPeak), mib(r.HeapLivePeak))
	fmt.Printf("| spill on disk, peak | %.1f MiB (%d files) | %s |\n", mib(r.SpillPeakBytes), r.SpillFilesPeak, dd("%.1f MiB", mib(r.DuckDBTempPeak)))
	fmt.Printf("| output | %d files, count ok %v, checksum ok %v | %s |\n\n", r.OutputFiles, r.CountOK, r.ChecksumOK, dd("checksum equal %v", r.DuckDBChecksum == r.InputChecksum))
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// checksum is DuckDB's row count and order-independent digest of the rows of read_parquet(src).
func checksum(ctx context.Context, db *sql.DB, src string) (int64, string, error) {
	var n int64
	var sum string
	q := fmt.Sprintf(`SELECT count(*), CAST(sum(hash(key, sort, value, value2)) AS VARCHAR) FROM read_parquet(%s)`, src)
	if err := db.QueryRowContext(ctx, q).Scan(&n, &sum); err != nil {
		return 0, "", fmt.Errorf("duckdb checksum: %w", err)
	}
	return n, fmt.Sprintf("%d/%s", n, sum), nil
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func dial(ctx context.Context, addr string, wait time.Duration) (*pgx.Conn, error) {
	deadline := time.Now().Add(wait)
	for {
		conn, err := pgx.Connect(ctx, "postgres://bench@"+addr+"/sleeperd?sslmode=disable")
		if err == nil {
			return conn, nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("server at %s: %w", addr, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func dirSize(dir string) (int64, int) {
	var total int64
	n := 0
	filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		if fi, err := d.Info(); err == nil {
			total += fi.Size()
			n++
		}
		return nil
	})
	return total, n
}

// spillSampler records the peak total size and file count of a directory, every 50 ms.
type spillSampler struct {
	dir   string
	peak  int64
	files int
	stop  chan struct{}
	wg    sync.WaitGroup
}

func startSpillSampler(dir string) *spillSampler {
	s := &spillSampler{dir: dir, stop: make(chan struct{})}
	s.wg.Go(func() {
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			size, n := dirSize(s.dir)
			s.peak, s.files = max(s.peak, size), max(s.files, n)
			select {
			case <-s.stop:
				return
			case <-t.C:
			}
		}
	})
	return s
}

func (s *spillSampler) done() {
	close(s.stop)
	s.wg.Wait()
}

// gcTrace reads the server's GODEBUG=gctrace=1 lines: "gc N @T s P%: ..., A->B->C MB, G MB
// goal, ...", A the heap at the start of the GC, B at its end, G the goal.
type gcTrace struct {
	mu         sync.Mutex
	peak, goal int64
	live       int64 // the most heap a GC found live
	n          int
	spilled    string // the server's "write spilled" log line
}

var gcLine = regexp.MustCompile(`(\d+)->(\d+)->(\d+) MB, (\d+) MB goal`)

func (g *gcTrace) read(r interface{ Read([]byte) (int, error) }) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		m := gcLine.FindStringSubmatch(sc.Text())
		if m == nil {
			if !strings.HasPrefix(sc.Text(), "gc ") {
				fmt.Fprintln(os.Stderr, "server:", sc.Text())
			}
			if strings.Contains(sc.Text(), "write spilled") {
				g.mu.Lock()
				g.spilled = sc.Text()
				g.mu.Unlock()
			}
			continue
		}
		a, _ := strconv.ParseInt(m[1], 10, 64)
		b, _ := strconv.ParseInt(m[2], 10, 64)
		live, _ := strconv.ParseInt(m[3], 10, 64)
		goal, _ := strconv.ParseInt(m[4], 10, 64)
		g.mu.Lock()
		g.peak, g.goal, g.live = max(g.peak, a<<20, b<<20), max(g.goal, goal<<20), max(g.live, live<<20)
		g.n++
		g.mu.Unlock()
	}
}

func (g *gcTrace) reset() {
	g.mu.Lock()
	g.peak, g.goal, g.live, g.n = 0, 0, 0, 0
	g.mu.Unlock()
}

func (g *gcTrace) peaks() (peak, goal, live int64, n int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.peak, g.goal, g.live, g.n
}
