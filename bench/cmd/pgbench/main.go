// Command pgbench compares sleeperd with PostgreSQL over the PostgreSQL wire protocol, using
// PostgreSQL's own pgbench as the client: prepared point lookups by primary key and short
// range aggregates on the same table in both servers.
//
// It starts a throwaway PostgreSQL server (a fresh cluster in a temporary directory) and one
// sleeperd server per -sleeperd binary (each on its own temporary data directory), both
// reached over the same transport (-transport): unix-domain sockets by default (sleeperd's
// --pg-socket-dir), or TCP on 127.0.0.1 (for sleeperd builds without that flag). It loads
// the same rows into each with COPY, and runs pgbench against each target
// in turn for every workload, so the targets of one workload run back to back under the same
// machine load. It prints tps and latency percentiles (from pgbench's per-transaction logs)
// as a markdown table.
//
//	go run ./cmd/pgbench -sleeperd ../bin/sleeperd
//	go run ./cmd/pgbench -sleeperd before=/path/old,after=/path/new -T 10s
package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/sleeperd/sleeperd/internal/slt"
)

// config is the run's configuration, from the flags.
type config struct {
	rows          int
	partitions    int
	duration      time.Duration
	warmup        time.Duration
	lookupClients []int
	rangeClients  []int
	rangeRows     int
	sleeperd      []binary
	postgres      bool
	profileDir    string
	dir           string
	md            string
	transport     string // "unix" or "tcp"
	clientCPUs    string // with serverCPUs, CPU lists (taskset's syntax) pgbench and the servers run on; empty: unpinned
	serverCPUs    string
	log           io.Writer
}

// binary is a sleeperd executable under a label.
type binary struct{ label, path string }

func main() {
	var cfg config
	var lookups, ranges, bins string
	flag.IntVar(&cfg.rows, "rows", 1_000_000, "rows of the table t (id bigint PRIMARY KEY, v bigint, s text)")
	flag.IntVar(&cfg.partitions, "partitions", 8, "sleeperd partitions (initial split points at equal steps of id)")
	flag.DurationVar(&cfg.duration, "T", 10*time.Second, "how long pgbench runs per workload and target")
	flag.DurationVar(&cfg.warmup, "warmup", 2*time.Second, "an unmeasured run of the lookups on each target before the first workload")
	flag.StringVar(&lookups, "lookup-clients", "1,8", "client counts of the point lookup workload")
	flag.StringVar(&ranges, "range-clients", "2", "client counts of the range aggregate workload")
	flag.IntVar(&cfg.rangeRows, "range-rows", 10_000, "rows each range aggregate covers")
	flag.StringVar(&bins, "sleeperd", "", "sleeperd binaries: PATH, or LABEL=PATH,LABEL=PATH to compare builds")
	flag.BoolVar(&cfg.postgres, "postgres", true, "include PostgreSQL")
	flag.StringVar(&cfg.profileDir, "cpuprofile", "", "directory for a CPU profile of each sleeperd run (needs serve --pprof)")
	flag.StringVar(&cfg.dir, "dir", "", "scratch directory; empty makes and removes a temporary one")
	flag.StringVar(&cfg.md, "md", "", "also write the markdown table to this file")
	flag.StringVar(&cfg.transport, "transport", "unix", "how pgbench reaches every target: unix (PostgreSQL's and sleeperd's unix-domain sockets; sleeperd needs --pg-socket-dir) or tcp (127.0.0.1 for both)")
	pin := flag.String("pin", "", "CLIENT/SERVER: run pgbench on the CPUs of the list CLIENT and every server on those of SERVER (taskset's lists, e.g. 0/1), so that the client does not take the servers' cores; sleeperd's Go runtime then sizes itself to SERVER's CPUs, as PostgreSQL's backends are confined to them")
	quiet := flag.Bool("q", false, "no progress lines on standard error")
	flag.Parse()
	if *pin != "" {
		var ok bool
		cfg.clientCPUs, cfg.serverCPUs, ok = strings.Cut(*pin, "/")
		if !ok || cfg.clientCPUs == "" || cfg.serverCPUs == "" {
			fmt.Fprintf(os.Stderr, "pgbench: -pin must be CLIENT/SERVER CPU lists, not %q\n", *pin)
			os.Exit(2)
		}
		if _, err := exec.LookPath("taskset"); err != nil {
			fmt.Fprintln(os.Stderr, "pgbench: -pin needs taskset (util-linux)")
			os.Exit(2)
		}
	}
	if cfg.transport != "unix" && cfg.transport != "tcp" {
		fmt.Fprintf(os.Stderr, "pgbench: -transport must be unix or tcp, not %q\n", cfg.transport)
		os.Exit(2)
	}
	var err error
	if cfg.lookupClients, err = ints(lookups); err == nil {
		cfg.rangeClients, err = ints(ranges)
	}
	if err == nil {
		cfg.sleeperd, err = binaries(bins)
	}
	if err == nil && len(cfg.sleeperd) == 0 && !cfg.postgres {
		err = errors.New("nothing to measure: no -sleeperd and -postgres=false")
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "pgbench:", err)
		os.Exit(2)
	}
	cfg.log = os.Stderr
	if *quiet {
		cfg.log = io.Discard
	}
	ctx, stop := signalContext()
	defer stop()
	table, err := run(ctx, cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "pgbench:", err)
		os.Exit(1)
	}
	fmt.Print(table)
	if cfg.md != "" {
		if err := os.WriteFile(cfg.md, []byte(table), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "pgbench:", err)
			os.Exit(1)
		}
	}
}

// signalContext is cancelled by SIGINT or SIGTERM.
func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

func ints(s string) ([]int, error) {
	var out []int
	for f := range strings.SplitSeq(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("bad client count %q", f)
		}
		out = append(out, n)
	}
	return out, nil
}

func binaries(s string) ([]binary, error) {
	var out []binary
	for f := range strings.SplitSeq(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		b := binary{label: "sleeperd", path: f}
		if l, p, ok := strings.Cut(f, "="); ok {
			b = binary{label: "sleeperd " + l, path: p}
		}
		if _, err := os.Stat(b.path); err != nil {
			return nil, fmt.Errorf("sleeperd binary: %w", err)
		}
		out = append(out, b)
	}
	return out, nil
}

// target is one server pgbench runs against.
type target struct {
	name  string
	dsn   string   // for loading
	args  []string // pgbench connection arguments
	pprof string   // address of sleeperd's pprof server, or ""
	split bool     // sleeperd: the table gets split points
	stop  func() error
	pid   int // sleeperd's process, whose CPU time each run reports; 0 for none
}

// workload is one pgbench script at one client count.
type workload struct {
	name    string
	script  string
	clients int
}

// result is one pgbench run.
type result struct {
	target, workload string
	clients          int
	tps              float64
	txns             int
	mean, p50, p99   time.Duration
	max              time.Duration
	cpu              time.Duration // the server's CPU time during the run, or 0 if not known
	gcs              int           // the server's garbage collections during the run, or -1
	err              error
}

func run(ctx context.Context, cfg config) (string, error) {
	dir := cfg.dir
	if dir == "" {
		tmp, err := os.MkdirTemp("", "sleeperd-pgbench-")
		if err != nil {
			return "", err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	bin, err := slt.FindPostgres()
	if err != nil {
		return "", err
	}
	pgbench := filepath.Join(bin, "pgbench")
	if _, err := os.Stat(pgbench); err != nil {
		if pgbench, err = exec.LookPath("pgbench"); err != nil {
			return "", errors.New("pgbench not found")
		}
	}
	scripts, err := writeScripts(dir, cfg)
	if err != nil {
		return "", err
	}
	var targets []*target
	defer func() {
		for _, t := range targets {
			if err := t.stop(); err != nil {
				fmt.Fprintf(cfg.log, "stopping %s: %v\n", t.name, err)
			}
		}
	}()
	if cfg.postgres {
		fmt.Fprintln(cfg.log, "starting PostgreSQL")
		var settings []string
		if cfg.transport == "tcp" {
			port, err := freePort()
			if err != nil {
				return "", err
			}
			settings = []string{"listen_addresses=127.0.0.1", "port=" + strconv.Itoa(port)}
		}
		srv, err := slt.StartPostgres(ctx, bin, settings...)
		if err != nil {
			return "", err
		}
		if cfg.serverCPUs != "" {
			// Backends are forked by the postmaster and inherit its CPUs; the processes
			// it has started already are pinned with it.
			if err := pinTree(ctx, srv.Pid(), cfg.serverCPUs); err != nil {
				srv.Stop()
				return "", fmt.Errorf("pinning PostgreSQL: %w", err)
			}
		}
		dsn := srv.DSN("")
		host := dsnField(dsn, "host")
		if cfg.transport == "tcp" {
			host = "127.0.0.1"
			dsn = fmt.Sprintf("host=%s port=%d user=postgres dbname=postgres sslmode=disable", host, srv.ListenPort())
		}
		targets = append(targets, &target{name: "postgresql", dsn: dsn, stop: srv.Stop,
			args: []string{"-h", host, "-p", strconv.Itoa(srv.ListenPort()), "-U", "postgres", "postgres"}})
	}
	for i, b := range cfg.sleeperd {
		fmt.Fprintf(cfg.log, "starting %s (%s)\n", b.label, b.path)
		// Always with its pprof server, which counts its garbage collections for the
		// report; profiles are fetched only with -cpuprofile.
		t, err := startSleeperd(ctx, b, filepath.Join(dir, fmt.Sprintf("sleeperd-%d", i)), true, cfg.transport, cfg.serverCPUs)
		if err != nil {
			return "", err
		}
		targets = append(targets, t)
	}
	for _, t := range targets {
		start := time.Now()
		if err := load(ctx, t, cfg); err != nil {
			return "", fmt.Errorf("loading %s: %w", t.name, err)
		}
		fmt.Fprintf(cfg.log, "loaded %d rows into %s in %s\n", cfg.rows, t.name, time.Since(start).Round(time.Millisecond))
	}
	if cfg.profileDir != "" {
		if err := os.MkdirAll(cfg.profileDir, 0o755); err != nil {
			return "", err
		}
	}
	var works []workload
	for _, c := range cfg.lookupClients {
		works = append(works, workload{name: "lookup", script: scripts["lookup"], clients: c})
	}
	for _, c := range cfg.rangeClients {
		works = append(works, workload{name: fmt.Sprintf("range %d", cfg.rangeRows), script: scripts["range"], clients: c})
	}
	if cfg.warmup > 0 {
		for _, t := range targets {
			w := workload{name: "warmup", script: scripts["lookup"], clients: 1}
			r := runPgbench(ctx, pgbench, dir, t, w, cfg, cfg.warmup, "")
			if r.err != nil {
				return "", fmt.Errorf("warming up %s: %w", t.name, r.err)
			}
		}
	}
	load0 := loadavg()
	var results []result
	for _, w := range works {
		for _, t := range targets {
			prof := ""
			if t.pprof != "" && cfg.profileDir != "" {
				prof = filepath.Join(cfg.profileDir, slug(fmt.Sprintf("%s-%s-c%d", t.name, w.name, w.clients))+".pprof")
			}
			r := runPgbench(ctx, pgbench, dir, t, w, cfg, cfg.duration, prof)
			if r.err != nil {
				fmt.Fprintf(cfg.log, "%s %s c=%d: %v\n", t.name, w.name, w.clients, r.err)
			} else {
				fmt.Fprintf(cfg.log, "%s %s c=%d: %.0f tps, p99 %s\n", t.name, w.name, w.clients, r.tps, ms(r.p99))
			}
			results = append(results, r)
			if ctx.Err() != nil {
				return "", ctx.Err()
			}
		}
	}
	return report(cfg, results, load0, loadavg()), nil
}

// writeScripts writes the pgbench scripts into dir.
func writeScripts(dir string, cfg config) (map[string]string, error) {
	span := cfg.rangeRows
	if span > cfg.rows {
		span = cfg.rows
	}
	texts := map[string]string{
		"lookup": fmt.Sprintf("\\set id random(0, %d)\nSELECT * FROM t WHERE id = :id;\n", cfg.rows-1),
		"range": fmt.Sprintf("\\set a random(0, %d)\nSELECT count(*), sum(v) FROM t WHERE id BETWEEN :a AND :a + %d;\n",
			cfg.rows-span, span-1),
	}
	out := map[string]string{}
	for name, text := range texts {
		p := filepath.Join(dir, name+".sql")
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			return nil, err
		}
		out[name] = p
	}
	return out, nil
}

func dsnField(dsn, key string) string {
	for f := range strings.FieldsSeq(dsn) {
		if k, v, ok := strings.Cut(f, "="); ok && k == key {
			return v
		}
	}
	return ""
}

// startSleeperd starts a sleeperd server of b on data directory dir and a free loopback port,
// reached over that port (transport tcp) or its unix-domain socket in dir (unix).
func startSleeperd(ctx context.Context, b binary, dir string, pprof bool, transport, cpus string) (*target, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	args := []string{"serve", "--data", filepath.Join(dir, "data"), "--pg-addr", addr, "--flight-addr", "", "--trino-addr", "", "--http-addr", "", "--log-level", "warn"}
	host := "127.0.0.1"
	if transport == "unix" {
		host = dir
		args = append(args, "--pg-socket-dir", dir)
	}
	t := &target{name: b.label, split: true,
		dsn:  fmt.Sprintf("host=%s port=%d user=bench dbname=bench sslmode=disable", host, port),
		args: []string{"-h", host, "-p", strconv.Itoa(port), "-U", "bench", "bench"}}
	if pprof {
		pp, err := freePort()
		if err != nil {
			return nil, err
		}
		t.pprof = fmt.Sprintf("127.0.0.1:%d", pp)
		args = append(args, "--pprof", t.pprof)
	}
	logf, err := os.Create(filepath.Join(dir, "server.log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(b.path, args...)
	if cpus != "" {
		// taskset execs sleeperd in its own process, which keeps its pid; the Go runtime
		// sizes GOMAXPROCS to the CPUs it may run on.
		cmd = exec.Command("taskset", append([]string{"-c", cpus, b.path}, args...)...)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, err
	}
	t.pid = cmd.Process.Pid
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait(); logf.Close() }()
	t.stop = func() error {
		cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(15 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
		return nil
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		c, err := pgconn.Connect(cctx, t.dsn)
		cancel()
		if err == nil {
			c.Close(ctx)
			return t, nil
		}
		select {
		case err := <-exited:
			text, _ := os.ReadFile(filepath.Join(dir, "server.log"))
			return nil, fmt.Errorf("%s exited on start: %v\n%s", b.path, err, text)
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			t.stop()
			return nil, fmt.Errorf("%s did not accept connections: %v", b.path, err)
		}
	}
}

// pinTree confines process pid and its descendants, all their threads, to the CPU list cpus.
func pinTree(ctx context.Context, pid int, cpus string) error {
	pids := []int{pid}
	for i := 0; i < len(pids); i++ {
		kids, err := children(pids[i])
		if err != nil {
			return err
		}
		pids = append(pids, kids...)
	}
	for _, p := range pids {
		out, err := exec.CommandContext(ctx, "taskset", "-a", "-p", "-c", cpus, strconv.Itoa(p)).CombinedOutput()
		if err != nil {
			return fmt.Errorf("taskset -p %d: %w\n%s", p, err, out)
		}
	}
	return nil
}

// children lists the processes whose parent is pid, from /proc.
func children(pid int) ([]int, error) {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	var kids []int
	for _, e := range ents {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue // gone since the listing
		}
		// pid (comm) state ppid ...: comm may hold spaces and parentheses, so the fields
		// after it are found from the last ')'.
		i := bytes.LastIndexByte(stat, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(stat[i+1:]))
		if len(f) > 1 && f[1] == strconv.Itoa(pid) {
			kids = append(kids, p)
		}
	}
	return kids, nil
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// load creates t and copies the rows into it: id 0..rows-1 in order, v a scramble of id, s a
// short text. sleeperd's table gets partitions-1 split points at equal steps of id.
func load(ctx context.Context, t *target, cfg config) error {
	c, err := pgconn.Connect(ctx, t.dsn)
	if err != nil {
		return err
	}
	defer c.Close(ctx)
	ddl := "CREATE TABLE t (id bigint PRIMARY KEY, v bigint, s text)"
	if t.split && cfg.partitions > 1 {
		var points []string
		for i := 1; i < cfg.partitions; i++ {
			points = append(points, strconv.Itoa(i*cfg.rows/cfg.partitions))
		}
		ddl += fmt.Sprintf(" WITH (split_points = '%s')", strings.Join(points, ","))
	}
	if err := c.Exec(ctx, ddl).Close(); err != nil {
		return fmt.Errorf("%s: %w", ddl, err)
	}
	pr, pw := io.Pipe()
	go func() {
		w := bufio.NewWriterSize(pw, 1<<16)
		var line []byte
		for i := range cfg.rows {
			line = line[:0]
			line = strconv.AppendInt(line, int64(i), 10)
			line = append(line, '\t')
			line = strconv.AppendInt(line, int64((uint64(i)*0x9E3779B97F4A7C15)>>44), 10)
			line = append(line, "\trow-"...)
			line = strconv.AppendInt(line, int64(i), 36)
			line = append(line, '\n')
			if _, err := w.Write(line); err != nil {
				pw.CloseWithError(err)
				return
			}
		}
		pw.CloseWithError(w.Flush())
	}()
	if _, err := c.CopyFrom(ctx, pr, "COPY t FROM STDIN"); err != nil {
		pr.CloseWithError(err)
		return err
	}
	if !t.split {
		return c.Exec(ctx, "VACUUM ANALYZE t").Close()
	}
	return nil
}

var tpsRE = regexp.MustCompile(`tps = ([0-9.]+) \(without initial connection time\)`)

// runPgbench runs pgbench with w's script against t for d, reading latencies from its
// per-transaction logs. With prof set it fetches a CPU profile of sleeperd during the run.
func runPgbench(ctx context.Context, pgbench, dir string, t *target, w workload, cfg config, d time.Duration, prof string) result {
	r := result{target: t.name, workload: w.name, clients: w.clients}
	logDir, err := os.MkdirTemp(dir, "log-")
	if err != nil {
		r.err = err
		return r
	}
	defer os.RemoveAll(logDir)
	secs := max(1, int(d.Round(time.Second)/time.Second))
	args := []string{"-n", "-M", "prepared", "-f", w.script, "-c", strconv.Itoa(w.clients),
		"-j", strconv.Itoa(min(w.clients, 2)), "-T", strconv.Itoa(secs),
		"--log", "--log-prefix", filepath.Join(logDir, "txn")}
	args = append(args, t.args...)
	cmd := exec.CommandContext(ctx, pgbench, args...)
	if cfg.clientCPUs != "" {
		cmd = exec.CommandContext(ctx, "taskset", append([]string{"-c", cfg.clientCPUs, pgbench}, args...)...)
	}
	cmd.Env = append(os.Environ(), "PGCONNECT_TIMEOUT=10")
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	profDone := make(chan error, 1)
	if prof != "" {
		go func() {
			// The CPU profile, and the contention (mutex), blocking and allocation profiles
			// over the same seconds beside it: prof with ".mutex", ".block" and ".allocs"
			// before its extension.
			kinds := []string{"mutex", "block", "allocs"}
			errs := make(chan error, len(kinds))
			for _, kind := range kinds {
				go func() {
					errs <- fetchProfile(t.pprof, kind, strings.TrimSuffix(prof, ".pprof")+"."+kind+".pprof", max(1, secs-1))
				}()
			}
			err := fetchProfile(t.pprof, "profile", prof, max(1, secs-1))
			for range kinds {
				err = errors.Join(err, <-errs)
			}
			profDone <- err
		}()
	} else {
		profDone <- nil
	}
	r.gcs = -1
	gc0, gcErr := numGC(t.pprof)
	cpu0, cpuErr := processCPU(t.pid)
	err = cmd.Run()
	if cpu1, err1 := processCPU(t.pid); cpuErr == nil && err1 == nil {
		r.cpu = cpu1 - cpu0
	}
	if gc1, err1 := numGC(t.pprof); gcErr == nil && err1 == nil {
		r.gcs = gc1 - gc0
	}
	if perr := <-profDone; perr != nil {
		fmt.Fprintf(cfg.log, "profile of %s: %v\n", t.name, perr)
	}
	if err != nil {
		r.err = fmt.Errorf("pgbench: %w\n%s", err, out.String())
		return r
	}
	m := tpsRE.FindStringSubmatch(out.String())
	if m == nil {
		r.err = fmt.Errorf("pgbench printed no tps:\n%s", out.String())
		return r
	}
	r.tps, _ = strconv.ParseFloat(m[1], 64)
	lats, err := readLogs(logDir)
	if err != nil {
		r.err = err
		return r
	}
	if len(lats) == 0 {
		r.err = fmt.Errorf("no transactions logged:\n%s", out.String())
		return r
	}
	slices.Sort(lats)
	var sum time.Duration
	for _, l := range lats {
		sum += l
	}
	r.txns = len(lats)
	r.mean = sum / time.Duration(len(lats))
	r.p50 = pct(lats, 0.50)
	r.p99 = pct(lats, 0.99)
	r.max = lats[len(lats)-1]
	return r
}

// readLogs reads the latencies of pgbench's per-transaction logs in dir: lines of
// "client_id transaction_no time script_no time_epoch time_us ...", time in microseconds.
func readLogs(dir string) ([]time.Duration, error) {
	files, err := filepath.Glob(filepath.Join(dir, "txn*"))
	if err != nil {
		return nil, err
	}
	var out []time.Duration
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			return nil, err
		}
		sc := bufio.NewScanner(fh)
		for sc.Scan() {
			fs := strings.Fields(sc.Text())
			if len(fs) < 3 {
				continue
			}
			us, err := strconv.ParseInt(fs[2], 10, 64)
			if err != nil {
				continue // "skipped" or "failed" transactions
			}
			out = append(out, time.Duration(us)*time.Microsecond)
		}
		err = sc.Err()
		fh.Close()
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// processCPU returns the user and system CPU time of process pid so far, from
// /proc/PID/stat (in clock ticks of 1/100 s, Linux's USER_HZ); an error for pid 0 or
// without /proc.
func processCPU(pid int) (time.Duration, error) {
	if pid == 0 {
		return 0, errors.New("no process")
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The fields after the command name in parentheses (which may hold spaces): state is
	// field 3, utime 14 and stime 15.
	i := strings.LastIndexByte(string(b), ')')
	f := strings.Fields(string(b[i+1:]))
	if i < 0 || len(f) < 13 {
		return 0, fmt.Errorf("unexpected /proc/%d/stat", pid)
	}
	var ticks int64
	for _, s := range f[11:13] {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, err
		}
		ticks += n
	}
	return time.Duration(ticks) * 10 * time.Millisecond, nil
}

// numGCRE finds the count of garbage collections in the runtime's memory statistics that
// the heap profile's text form ends with.
var numGCRE = regexp.MustCompile(`(?m)^# NumGC = ([0-9]+)$`)

// numGC returns how many garbage collections the server whose pprof server is at addr has
// run; an error for addr "".
func numGC(addr string) (int, error) {
	if addr == "" {
		return 0, errors.New("no pprof server")
	}
	resp, err := http.Get(fmt.Sprintf("http://%s/debug/pprof/heap?debug=1", addr))
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err
	}
	m := numGCRE.FindSubmatch(b)
	if m == nil {
		return 0, errors.New("no NumGC in the heap profile")
	}
	return strconv.Atoi(string(m[1]))
}

func pct(sorted []time.Duration, p float64) time.Duration {
	i := int(float64(len(sorted))*p+0.5) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// fetchProfile saves a profile of kind (profile for CPU, mutex, block) over secs seconds from
// the pprof server at addr to path.
func fetchProfile(addr, kind, path string, secs int) error {
	resp, err := http.Get(fmt.Sprintf("http://%s/debug/pprof/%s?seconds=%d", addr, kind, secs))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("pprof: %s", resp.Status)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func slug(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' {
			return r
		}
		return '-'
	}, strings.ToLower(s))
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f", float64(d)/float64(time.Millisecond)) }

// report formats the results as a markdown table; the ratio column compares each sleeperd
// run with PostgreSQL's run of the same workload.
func report(cfg config, rs []result, load0, load1 string) string {
	var b strings.Builder
	pinned := ""
	if cfg.serverCPUs != "" {
		pinned = fmt.Sprintf(", pgbench on CPUs %s and the servers on CPUs %s", cfg.clientCPUs, cfg.serverCPUs)
	}
	fmt.Fprintf(&b, "%d rows, %d sleeperd partitions, pgbench -n -M prepared -T %s over %s%s; load average %s before, %s after\n\n",
		cfg.rows, cfg.partitions, cfg.duration, map[string]string{"unix": "unix-domain sockets", "tcp": "TCP on 127.0.0.1"}[cfg.transport], pinned, load0, load1)
	b.WriteString("| workload | clients | server | tps | x PostgreSQL | mean ms | p50 ms | p99 ms | max ms | server CPU µs/txn | server GCs |\n")
	b.WriteString("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	// Each row's ratio is to PostgreSQL's run of the same workload that preceded it (runs
	// are in order, PostgreSQL first), so a workload given twice compares within each round.
	base := map[string]float64{}
	for _, r := range rs {
		if r.target == "postgresql" && r.err == nil {
			base[fmt.Sprintf("%s/%d", r.workload, r.clients)] = r.tps
		}
		if r.err != nil {
			fmt.Fprintf(&b, "| %s | %d | %s | failed | | | | | | | |\n", r.workload, r.clients, r.target)
			continue
		}
		ratio := ""
		if pg, ok := base[fmt.Sprintf("%s/%d", r.workload, r.clients)]; ok && pg > 0 && r.target != "postgresql" {
			ratio = fmt.Sprintf("%.3f", r.tps/pg)
		}
		cpu := ""
		if r.cpu > 0 && r.txns > 0 {
			cpu = fmt.Sprintf("%.1f", float64(r.cpu)/float64(time.Microsecond)/float64(r.txns))
		}
		gcs := ""
		if r.gcs >= 0 {
			gcs = strconv.Itoa(r.gcs)
		}
		fmt.Fprintf(&b, "| %s | %d | %s | %.0f | %s | %s | %s | %s | %s | %s | %s |\n",
			r.workload, r.clients, r.target, r.tps, ratio, ms(r.mean), ms(r.p50), ms(r.p99), ms(r.max), cpu, gcs)
	}
	return b.String()
}
