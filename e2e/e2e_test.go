// Package e2e tests the built sleeperd binary end to end: it starts the server on a
// temporary data directory and drives it with psql and pgx, as a user would.
package e2e

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// testTimeout bounds each test, server starts included.
const testTimeout = 3 * time.Minute

var (
	buildOnce sync.Once
	binary    string
	buildErr  error
	buildDir  string
)

// TestMain removes the binary built by the tests.
func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// build builds sleeperd once for all tests.
func build(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		if buildErr = statSources(".."); buildErr != nil {
			return
		}
		buildDir, buildErr = os.MkdirTemp("", "sleeperd-e2e-")
		if buildErr != nil {
			return
		}
		binary = filepath.Join(buildDir, "sleeperd")
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "go", "build", "-o", binary, "../cmd/sleeperd")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binary
}

// statSources stats every Go source and module file under root. go test caches a test's
// result keyed by the files the test opened or statted; the binary's sources are read by a
// separate go build, so without this a cached pass would survive changes to them.
func statSources(root string) error {
	return filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case ".git", "data", "bin", "testdata", "node_modules":
				if path != root {
					return filepath.SkipDir
				}
			}
			return nil
		}
		if strings.HasSuffix(path, ".go") || d.Name() == "go.mod" || d.Name() == "go.sum" {
			_, err := os.Stat(path)
			return err
		}
		return nil
	})
}

// server is a running sleeperd process.
type server struct {
	cmd  *exec.Cmd
	addr string // host:port the server listens on
	host string
	port string
	logs *logBuffer
	// exited is closed when the process has exited, with its exit error in exitErr.
	exited  chan struct{}
	exitErr error
}

// logBuffer collects the server's stderr for test failure messages.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

var listenLine = regexp.MustCompile(`msg=listening .*addr=(\S+)`)

// start starts sleeperd serve on dataDir and a free loopback port, waits for its listen log
// line, and kills it when the test ends if it is still running.
func start(ctx context.Context, t *testing.T, dataDir string, args ...string) *server {
	t.Helper()
	return startEnv(ctx, t, dataDir, nil, args...)
}

// startEnv is start with extra environment variables (NAME=value) for the server.
func startEnv(ctx context.Context, t *testing.T, dataDir string, env []string, args ...string) *server {
	t.Helper()
	bin := build(t)
	args = append([]string{"serve", "--data", dataDir, "--pg-addr", "127.0.0.1:0", "--flight-addr", "127.0.0.1:0", "--trino-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0"}, args...)
	cmd := exec.Command(bin, args...)
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &server{cmd: cmd, logs: &logBuffer{}, exited: make(chan struct{})}
	addrc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintln(s.logs, line)
			if m := listenLine.FindStringSubmatch(line); m != nil {
				select {
				case addrc <- strings.Trim(m[1], `"`):
				default:
				}
			}
		}
		io.Copy(s.logs, stderr)
		s.exitErr = cmd.Wait()
		close(s.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-s.exited:
		default:
			cmd.Process.Kill()
			<-s.exited
		}
		if t.Failed() {
			t.Logf("sleeperd logs:\n%s", s.logs)
		}
	})
	select {
	case s.addr = <-addrc:
	case <-s.exited:
		t.Fatalf("sleeperd exited before listening: %v\n%s", s.exitErr, s.logs)
	case <-ctx.Done():
		t.Fatalf("sleeperd did not log its listen address: %v\n%s", ctx.Err(), s.logs)
	}
	var ok bool
	s.host, s.port, ok = strings.Cut(s.addr, ":")
	if !ok {
		t.Fatalf("bad listen address %q", s.addr)
	}
	return s
}

// stop sends SIGTERM and checks that the server exits with status 0 before ctx is done.
func (s *server) stop(ctx context.Context, t *testing.T) {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-s.exited:
		if s.exitErr != nil {
			t.Fatalf("sleeperd exited with %v after SIGTERM\n%s", s.exitErr, s.logs)
		}
	case <-ctx.Done():
		t.Fatalf("sleeperd did not exit after SIGTERM: %v", ctx.Err())
	}
}

// psql runs one command with the real psql client and returns its unaligned, tuples-only
// output.
func (s *server) psql(ctx context.Context, t *testing.T, sql string) string {
	t.Helper()
	out, err := s.psqlErr(ctx, sql)
	if err != nil {
		t.Fatalf("psql -c %q: %v\n%s", sql, err, out)
	}
	return strings.TrimRight(out, "\n")
}

func (s *server) psqlErr(ctx context.Context, sql string) (string, error) {
	cmd := exec.CommandContext(ctx, "psql", "-h", s.host, "-p", s.port, "-U", "e2e", "-d", "e2e",
		"-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql)
	cmd.Env = append(os.Environ(), "PGCONNECT_TIMEOUT=10", "PGSSLMODE=disable")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// connect connects with pgx; the connection is closed when the test ends.
func (s *server) connect(ctx context.Context, t *testing.T, mode pgx.QueryExecMode) *pgx.Conn {
	t.Helper()
	cfg, err := pgx.ParseConfig(fmt.Sprintf("postgres://e2e@%s/e2e?sslmode=disable", s.addr))
	if err != nil {
		t.Fatal(err)
	}
	cfg.DefaultQueryExecMode = mode
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatalf("connecting with pgx: %v", err)
	}
	t.Cleanup(func() {
		cctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		conn.Close(cctx)
	})
	return conn
}

func needPsql(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("psql"); err != nil {
		t.Fatal("psql is not installed (make test installs postgresql-client)")
	}
}

func TestServeRestart(t *testing.T) {
	needPsql(t)
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	data := t.TempDir()
	s := start(ctx, t, data)

	s.psql(ctx, t, "CREATE TABLE t (k bigint, v text) WITH (row_keys = 'k', split_points = '10,20,30')")
	if got := s.psql(ctx, t, "INSERT INTO t VALUES (5, 'five'), (15, 'fifteen'), (25, 'twenty-five'), (35, 'thirty-five')"); got != "INSERT 0 4" {
		t.Errorf("INSERT printed %q, want INSERT 0 4", got)
	}
	if got, want := s.psql(ctx, t, "SELECT k, v FROM t ORDER BY k"), "5|five\n15|fifteen\n25|twenty-five\n35|thirty-five"; got != want {
		t.Errorf("SELECT printed %q, want %q", got, want)
	}
	if got := s.psql(ctx, t, "EXPLAIN SELECT * FROM t WHERE k = 15"); !strings.Contains(got, "partitions=1/4") {
		t.Errorf("EXPLAIN printed %q, want partitions=1/4", got)
	}
	if got := s.psql(ctx, t, "EXPLAIN SELECT * FROM t"); !strings.Contains(got, "partitions=4/4") {
		t.Errorf("EXPLAIN printed %q, want partitions=4/4", got)
	}
	if out, err := s.psqlErr(ctx, "SELECT * FROM nope"); err == nil || !strings.Contains(out, `relation "nope" does not exist`) {
		t.Errorf("psql on a missing table: %v, %q", err, out)
	}

	for _, mode := range []struct {
		name string
		mode pgx.QueryExecMode
	}{{"simple", pgx.QueryExecModeSimpleProtocol}, {"extended", pgx.QueryExecModeCacheStatement}} {
		t.Run(mode.name, func(t *testing.T) {
			conn := s.connect(ctx, t, mode.mode)
			var v string
			if err := conn.QueryRow(ctx, "SELECT v FROM t WHERE k = $1", int64(25)).Scan(&v); err != nil {
				t.Fatal(err)
			}
			if v != "twenty-five" {
				t.Errorf("got %q, want twenty-five", v)
			}
			// An error, then a good query on the same connection.
			_, err := conn.Exec(ctx, "SELECT 1 / 0")
			var pe *pgconn.PgError
			if !errors.As(err, &pe) || pe.Code != "22012" {
				t.Errorf("1/0 failed with %v, want SQLSTATE 22012", err)
			}
			var n int64
			if err := conn.QueryRow(ctx, "SELECT count(*) FROM t WHERE k > $1", int64(10)).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n != 3 {
				t.Errorf("count = %d, want 3", n)
			}
		})
	}
	conn := s.connect(ctx, t, pgx.QueryExecModeCacheStatement)
	if _, err := conn.Exec(ctx, "INSERT INTO t VALUES ($1, $2)", int64(45), "forty-five"); err != nil {
		t.Fatal(err)
	}
	conn.Close(ctx)

	// Arrays, session time zones and notices as psql shows them.
	if got, want := s.psql(ctx, t, `SELECT ARRAY[1, NULL, 3], '{a,"b c"}'::text[], array_agg(k ORDER BY k DESC) FROM t WHERE k < 20`), `{1,NULL,3}|{a,"b c"}|{15,5}`; got != want {
		t.Errorf("arrays: psql printed %q, want %q", got, want)
	}
	if got := s.psql(ctx, t, "SET TIME ZONE 'Asia/Tokyo'; SELECT '2024-01-01 00:00Z'::timestamptz"); !strings.HasSuffix(got, "2024-01-01 09:00:00+09") {
		t.Errorf("timestamptz in Asia/Tokyo: psql printed %q", got)
	}
	if got := s.psql(ctx, t, "CREATE INDEX t_v ON t (v)"); !strings.Contains(got, "NOTICE:  CREATE INDEX has no effect") {
		t.Errorf("CREATE INDEX: psql printed %q, want its NOTICE", got)
	}
	s.psql(ctx, t, "CREATE TABLE vc (k int PRIMARY KEY, code varchar(3))")
	if out, err := s.psqlErr(ctx, "INSERT INTO vc VALUES (1, 'abcd')"); err == nil || !strings.Contains(out, "value too long for type character varying(3)") {
		t.Errorf("a value too long for varchar(3): %v, %q", err, out)
	}

	s.stop(ctx, t)

	// The tables and rows survive a restart on the same directory.
	s = start(ctx, t, data)
	if got, want := s.psql(ctx, t, "SELECT count(*), min(k), max(k) FROM t"), "5|5|45"; got != want {
		t.Errorf("after restart got %q, want %q", got, want)
	}
	if got := s.psql(ctx, t, "SELECT v FROM t WHERE k = 45"); got != "forty-five" {
		t.Errorf("after restart got %q, want forty-five", got)
	}
	if got := s.psql(ctx, t, "SHOW TABLES"); got != "t\nvc" {
		t.Errorf("after restart SHOW TABLES printed %q, want t and vc", got)
	}
	// The column's length survives the restart.
	if out, err := s.psqlErr(ctx, "INSERT INTO vc VALUES (1, 'abcd')"); err == nil || !strings.Contains(out, "value too long for type character varying(3)") {
		t.Errorf("after restart, a value too long for varchar(3): %v, %q", err, out)
	}
	if got := s.psql(ctx, t, "EXPLAIN SELECT * FROM t WHERE k = 15"); !strings.Contains(got, "partitions=1/4") {
		t.Errorf("after restart EXPLAIN printed %q, want partitions=1/4", got)
	}
	s.stop(ctx, t)
}

func TestDemo(t *testing.T) {
	needPsql(t)
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	data := t.TempDir()
	const rows = "200000"
	s := start(ctx, t, data, "--demo", "--demo-rows", rows)
	if got := s.psql(ctx, t, "SELECT count(*) FROM demo"); got != rows {
		t.Errorf("demo has %s rows, want %s", got, rows)
	}
	s.stop(ctx, t)

	// A second start with --demo keeps the existing table.
	s = start(ctx, t, data, "--demo", "--demo-rows", "1000")
	if got := s.psql(ctx, t, "SELECT count(*) FROM demo"); got != rows {
		t.Errorf("after restart demo has %s rows, want %s", got, rows)
	}
	s.stop(ctx, t)
}

func TestVersion(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, build(t), "version").CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "sleeperd ") {
		t.Errorf("sleeperd version: %v, %q", err, out)
	}
	out, err = exec.CommandContext(ctx, build(t), "frobnicate").CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 2 || !strings.Contains(string(out), "unknown command") {
		t.Errorf("sleeperd frobnicate: %v, %q", err, out)
	}
}
