package e2e

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"

	"github.com/sleeperd/sleeperd/internal/slt"
)

// The client tests run real client libraries against a sleeperd server and against a
// throwaway PostgreSQL server (the oracle), each case on both: a case must pass on
// PostgreSQL, and on sleeperd it must pass and read back the same values, unless it is
// listed below.

// needsPGCatalog lists the client cases (client/case) that fail on sleeperd for want of
// more of pg_catalog: the clients' own introspection queries. The test fails when a listed
// case passes, so the list shrinks as they land, and when an unlisted case fails.
var needsPGCatalog = map[string]bool{}

// requireClients is set by make test: a missing client (Debian's python3-pandas,
// python3-sqlalchemy, python3-psycopg2, libpostgresql-jdbc-java, a JDK, node and npm) fails
// the test rather than skipping it.
var requireClients = os.Getenv("SLT_REQUIRE_CLIENTS") == "1"

// Pinned node-postgres versions, installed with npm into the user's cache directory.
const (
	nodePG       = "pg@8.13.1"
	nodePGCursor = "pg-cursor@2.12.1"
)

// jdbcJar is Debian's PostgreSQL JDBC driver (libpostgresql-jdbc-java).
const jdbcJar = "/usr/share/java/postgresql.jar"

// endpoint is where a client connects: a TCP host and port, a user and a database.
type endpoint struct {
	name                 string // sleeperd or postgres
	host, port, user, db string
}

// caseResult is one line a client program prints.
type caseResult struct {
	Case  string          `json:"case"`
	OK    bool            `json:"ok"`
	Error string          `json:"error"`
	Value json.RawMessage `json:"value"`
}

// client is a client library driven by a program that runs its cases against an endpoint.
type client struct {
	name  string
	cases []string // the cases it prints, in order
	// prepare checks the client is installed (skipping or failing the test) and returns the
	// command that runs it against an endpoint.
	prepare func(ctx context.Context, t *testing.T) func(ctx context.Context, e endpoint) *exec.Cmd
	// run runs the cases in process instead of a command.
	run func(ctx context.Context, e endpoint) []caseResult
}

func TestClients(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*testTimeout)
	defer cancel()
	pg := startOracle(ctx, t)
	s := start(ctx, t, t.TempDir())
	defer s.stop(ctx, t)
	ends := []endpoint{
		{name: "postgres", host: pg.host, port: pg.port, user: "postgres", db: "postgres"},
		{name: "sleeperd", host: s.host, port: s.port, user: "clients", db: "sleeperd"},
	}
	known := map[string]bool{}
	for _, c := range clients() {
		for _, name := range c.cases {
			known[c.name+"/"+name] = true
		}
	}
	for key := range needsPGCatalog {
		if !known[key] {
			t.Errorf("needsPGCatalog lists %s, which is no client's case", key)
		}
	}
	for _, c := range clients() {
		t.Run(c.name, func(t *testing.T) {
			var runOn func(ctx context.Context, e endpoint) []caseResult
			if c.run != nil {
				runOn = c.run
			} else {
				cmd := c.prepare(ctx, t)
				runOn = func(ctx context.Context, e endpoint) []caseResult { return runClient(ctx, t, cmd(ctx, e)) }
			}
			results := map[string]map[string]caseResult{}
			for _, e := range ends {
				got := runOn(ctx, e)
				byCase := map[string]caseResult{}
				var names []string
				for _, r := range got {
					byCase[r.Case] = r
					names = append(names, r.Case)
				}
				if !slices.Equal(names, c.cases) {
					t.Fatalf("%s on %s printed cases %v, want %v", c.name, e.name, names, c.cases)
				}
				results[e.name] = byCase
			}
			for _, name := range c.cases {
				key := c.name + "/" + name
				want, got := results["postgres"][name], results["sleeperd"][name]
				if !want.OK {
					t.Errorf("%s fails on PostgreSQL: %s", key, want.Error)
					continue
				}
				switch {
				case needsPGCatalog[key] && got.OK:
					t.Errorf("%s passes on sleeperd: remove it from needsPGCatalog", key)
				case needsPGCatalog[key]:
					t.Logf("%s waits for pg_catalog: %s", key, firstLine(got.Error))
				case !got.OK:
					t.Errorf("%s fails on sleeperd: %s", key, got.Error)
				case !sameJSON(want.Value, got.Value):
					t.Errorf("%s read different values:\nsleeperd:   %s\nPostgreSQL: %s", key, got.Value, want.Value)
				}
			}
		})
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

func sameJSON(a, b json.RawMessage) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return bytes.Equal(a, b)
	}
	return reflect.DeepEqual(x, y)
}

// runClient runs a client program and parses the lines it prints.
func runClient(ctx context.Context, t *testing.T, cmd *exec.Cmd) []caseResult {
	t.Helper()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v\n%s\n%s", strings.Join(cmd.Args, " "), err, out, stderr.Bytes())
	}
	var res []caseResult
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var r caseResult
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("%s printed %q: %v\n%s", cmd.Args[0], sc.Text(), err, stderr.Bytes())
		}
		res = append(res, r)
	}
	return res
}

// missing skips the test, or fails it under make test.
func missing(t *testing.T, what string) {
	t.Helper()
	if requireClients {
		t.Fatalf("%s (make test installs it)", what)
	}
	t.Skipf("skipping: %s (SLT_REQUIRE_CLIENTS=1 makes this a failure)", what)
}

// clientScript returns the absolute path of a client program in testdata/clients. It stats
// the file, so that go test's cached result is keyed by it.
func clientScript(t *testing.T, name string) string {
	t.Helper()
	path, err := filepath.Abs(filepath.Join("testdata", "clients", name))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatal(err)
	}
	return path
}

func clients() []client {
	return []client{
		{
			name: "pandas",
			cases: []string{"setup", "read_sql_dbapi", "read_sql_dbapi_params", "sqlalchemy_connect", "sqlalchemy_read_sql",
				"to_sql", "inspect_schemas", "inspect_tables", "inspect_columns", "inspect_primary_key", "has_table",
				"psycopg2_transaction", "sqlalchemy_begin", "sqlalchemy_session_rollback", "psycopg2_arrays", "json_uuid"},
			prepare: func(ctx context.Context, t *testing.T) func(context.Context, endpoint) *exec.Cmd {
				if out, err := exec.CommandContext(ctx, python, "-c", "import pandas, sqlalchemy, psycopg2").CombinedOutput(); err != nil {
					missing(t, fmt.Sprintf("%s cannot import pandas, sqlalchemy and psycopg2 (Debian's python3-pandas, python3-sqlalchemy, python3-psycopg2): %v %s",
						python, err, bytes.TrimSpace(out)))
				}
				script := clientScript(t, "clients.py")
				return func(ctx context.Context, e endpoint) *exec.Cmd {
					return exec.CommandContext(ctx, python, script, e.host, e.port, e.user, e.db)
				}
			},
		},
		{
			name: "jdbc",
			cases: []string{"setup", "query_values", "prepared_params", "prepared_fetch_size", "metadata_product",
				"metadata_schemas", "metadata_tables", "metadata_columns", "metadata_primary_keys", "metadata_index_info",
				"transactions", "arrays", "json_uuid", "reg_type_names", "reg_type_arrays"},
			prepare: prepareJDBC,
		},
		{
			name:    "node-postgres",
			cases:   []string{"setup", "query_params", "named_prepared", "row_mode_array", "cursor", "error_then_query"},
			prepare: prepareNode,
		},
		{
			name:  "database-sql",
			cases: goCaseNames(),
			run:   runGoCases,
		},
	}
}

// prepareJDBC compiles the JDBC program with javac, or runs it as a single source file when
// only a runtime is installed.
func prepareJDBC(ctx context.Context, t *testing.T) func(context.Context, endpoint) *exec.Cmd {
	if _, err := os.Stat(jdbcJar); err != nil {
		missing(t, "the PostgreSQL JDBC driver (Debian's libpostgresql-jdbc-java) is not installed: "+err.Error())
	}
	java, err := exec.LookPath("java")
	if err != nil {
		missing(t, "java is not installed (Debian's default-jdk-headless)")
	}
	src := clientScript(t, "Clients.java")
	javac, err := exec.LookPath("javac")
	if err != nil {
		return func(ctx context.Context, e endpoint) *exec.Cmd {
			return exec.CommandContext(ctx, java, "-cp", jdbcJar, src, e.host, e.port, e.user, e.db)
		}
	}
	classes := t.TempDir()
	if out, err := exec.CommandContext(ctx, javac, "-d", classes, "-cp", jdbcJar, src).CombinedOutput(); err != nil {
		t.Fatalf("javac: %v\n%s", err, out)
	}
	return func(ctx context.Context, e endpoint) *exec.Cmd {
		return exec.CommandContext(ctx, java, "-cp", classes+string(os.PathListSeparator)+jdbcJar, "Clients", e.host, e.port, e.user, e.db)
	}
}

// prepareNode installs the pinned pg and pg-cursor with npm into the user's cache directory
// once, and runs the node program with them.
func prepareNode(ctx context.Context, t *testing.T) func(context.Context, endpoint) *exec.Cmd {
	node, err := exec.LookPath("node")
	if err != nil {
		missing(t, "node is not installed (Debian's nodejs)")
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		missing(t, "npm is not installed (Debian's npm)")
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		t.Fatal(err)
	}
	prefix := filepath.Join(cache, "sleeperd-tests", "node", nodePG+"_"+nodePGCursor)
	modules := filepath.Join(prefix, "node_modules")
	if _, err := os.Stat(filepath.Join(modules, "pg-cursor", "package.json")); err != nil {
		cmd := exec.CommandContext(ctx, npm, "install", "--prefix", prefix, "--no-save", "--no-package-lock",
			"--no-audit", "--no-fund", "--loglevel=error", nodePG, nodePGCursor)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("npm install %s %s: %v\n%s", nodePG, nodePGCursor, err, out)
		}
	}
	script := clientScript(t, "clients.js")
	return func(ctx context.Context, e endpoint) *exec.Cmd {
		cmd := exec.CommandContext(ctx, node, script, e.host, e.port, e.user, e.db)
		cmd.Env = append(os.Environ(), "NODE_PATH="+modules)
		return cmd
	}
}

// oracle is the throwaway PostgreSQL server, reached on a loopback TCP port that forwards
// to its unix socket (the JDBC driver has no unix sockets).
type oracle struct {
	host, port string
}

func startOracle(ctx context.Context, t *testing.T) *oracle {
	t.Helper()
	bin, err := slt.FindPostgres()
	if err != nil {
		if os.Getenv("SLT_REQUIRE_POSTGRES") == "1" {
			t.Fatalf("%v (make test installs postgresql)", err)
		}
		t.Skipf("skipping: %v (SLT_REQUIRE_POSTGRES=1 makes this a failure)", err)
	}
	pg, err := slt.StartPostgres(ctx, bin)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := pg.Stop(); err != nil {
			t.Error(err)
		}
	})
	cfg, err := pgconn.ParseConfig(pg.DSN(""))
	if err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(cfg.Host, fmt.Sprintf(".s.PGSQL.%d", cfg.Port))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				forward(c, sock)
			}()
		}
	}()
	host, port, _ := net.SplitHostPort(ln.Addr().String())
	return &oracle{host: host, port: port}
}

// forward copies between c and a new connection to the unix socket until either side
// closes.
func forward(c net.Conn, sock string) {
	defer c.Close()
	u, err := net.DialTimeout("unix", sock, 10*time.Second)
	if err != nil {
		return
	}
	defer u.Close()
	done := make(chan struct{}, 2)
	go func() { io.Copy(u, c); u.(*net.UnixConn).CloseWrite(); done <- struct{}{} }()
	go func() { io.Copy(c, u); c.(*net.TCPConn).CloseWrite(); done <- struct{}{} }()
	<-done
	<-done
}

// goCases are the database/sql cases, run through pgx's stdlib driver.
var goCases = []struct {
	name string
	run  func(ctx context.Context, db *sql.DB) (any, error)
}{
	{"setup", goSetup},
	{"params_and_nulls", goParamsAndNulls},
	{"types", goTypes},
	{"prepared", goPrepared},
	{"transaction", goTransaction},
	{"error_then_query", goErrorThenQuery},
}

func goCaseNames() []string {
	var names []string
	for _, c := range goCases {
		names = append(names, c.name)
	}
	return names
}

func runGoCases(ctx context.Context, e endpoint) []caseResult {
	dsn := fmt.Sprintf("host=%s port=%s user=%s dbname=%s sslmode=disable", e.host, e.port, e.user, e.db)
	var res []caseResult
	for _, c := range goCases {
		r := caseResult{Case: c.name, OK: true, Value: json.RawMessage("null")}
		v, err := func() (any, error) {
			db, err := sql.Open("pgx", dsn)
			if err != nil {
				return nil, err
			}
			defer db.Close()
			return c.run(ctx, db)
		}()
		if err == nil {
			var b []byte
			if b, err = json.Marshal(v); err == nil {
				r.Value = b
			}
		}
		if err != nil {
			r.OK, r.Error = false, err.Error()
		}
		res = append(res, r)
	}
	return res
}

func expectEq(got, want any, what string) error {
	if !reflect.DeepEqual(got, want) {
		return fmt.Errorf("%s: got %#v, want %#v", what, got, want)
	}
	return nil
}

func goSetup(ctx context.Context, db *sql.DB) (any, error) {
	if _, err := db.ExecContext(ctx, `CREATE TABLE go_t (id bigint PRIMARY KEY, name text, score double precision,
		n integer, ok boolean, data bytea, born date, ts timestamptz, amount numeric(10,2))`); err != nil {
		return nil, err
	}
	ts := time.Date(2024, 1, 2, 3, 4, 5, 678000000, time.UTC)
	res, err := db.ExecContext(ctx, "INSERT INTO go_t VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9), ($10, $11, $12, $13, $14, $15, $16, $17, $18)",
		int64(1), "one", 1.5, int32(10), true, []byte{0, 1, 255}, time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC), ts, "12.34",
		int64(2), nil, nil, nil, nil, nil, nil, nil, nil)
	if err != nil {
		return nil, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return nil, err
	}
	return n, expectEq(n, int64(2), "rows affected")
}

func goParamsAndNulls(ctx context.Context, db *sql.DB) (any, error) {
	rows, err := db.QueryContext(ctx, "SELECT id, name, score, n, ok FROM go_t WHERE id >= $1 ORDER BY id", 1)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var (
			id    int64
			name  sql.NullString
			score sql.NullFloat64
			n     sql.NullInt32
			ok    sql.NullBool
		)
		if err := rows.Scan(&id, &name, &score, &n, &ok); err != nil {
			return nil, err
		}
		got = append(got, fmt.Sprintf("%d|%v|%v|%v|%v", id, name, score, n, ok))
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return got, expectEq(got, []string{"1|{one true}|{1.5 true}|{10 true}|{true true}", "2|{ false}|{0 false}|{0 false}|{false false}"}, "rows")
}

func goTypes(ctx context.Context, db *sql.DB) (any, error) {
	var (
		data   []byte
		born   time.Time
		ts     time.Time
		amount string
	)
	if err := db.QueryRowContext(ctx, "SELECT data, born, ts, amount FROM go_t WHERE id = $1", int64(1)).Scan(&data, &born, &ts, &amount); err != nil {
		return nil, err
	}
	got := []any{fmt.Sprintf("%x", data), born.Format(time.DateOnly), ts.UTC().Format(time.RFC3339Nano), amount}
	if err := expectEq(got, []any{"0001ff", "2024-01-02", "2024-01-02T03:04:05.678Z", "12.34"}, "values"); err != nil {
		return nil, err
	}
	// Column types as the driver reports them.
	rows, err := db.QueryContext(ctx, "SELECT id, name, score, n, ok, data, born, ts, amount FROM go_t WHERE false")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cts, err := rows.ColumnTypes()
	if err != nil {
		return nil, err
	}
	var names []string
	for _, ct := range cts {
		names = append(names, ct.DatabaseTypeName())
	}
	if err := expectEq(names, []string{"INT8", "TEXT", "FLOAT8", "INT4", "BOOL", "BYTEA", "DATE", "TIMESTAMPTZ", "NUMERIC"}, "column types"); err != nil {
		return nil, err
	}
	return append(got, names), rows.Err()
}

func goPrepared(ctx context.Context, db *sql.DB) (any, error) {
	st, err := db.PrepareContext(ctx, "SELECT coalesce(name, $2) FROM go_t WHERE id = $1")
	if err != nil {
		return nil, err
	}
	defer st.Close()
	var got []string
	for _, id := range []int64{2, 1, 2} {
		var s string
		if err := st.QueryRowContext(ctx, id, "none").Scan(&s); err != nil {
			return nil, err
		}
		got = append(got, s)
	}
	var s string
	if err := st.QueryRowContext(ctx, int64(99), "none").Scan(&s); !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("a missing row: got %v, want sql.ErrNoRows", err)
	}
	return got, expectEq(got, []string{"none", "one", "none"}, "values")
}

func goTransaction(ctx context.Context, db *sql.DB) (any, error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO go_t (id, name) VALUES ($1, $2)", int64(3), "three"); err != nil {
		tx.Rollback()
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	var name string
	if err := db.QueryRowContext(ctx, "SELECT name FROM go_t WHERE id = 3").Scan(&name); err != nil {
		return nil, err
	}
	return name, expectEq(name, "three", "committed row")
}

func goErrorThenQuery(ctx context.Context, db *sql.DB) (any, error) {
	db.SetMaxOpenConns(1)
	_, err := db.ExecContext(ctx, "SELECT 1 / $1::int", 0)
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "22012" {
		return nil, fmt.Errorf("1/0: got %v, want SQLSTATE 22012", err)
	}
	var n int64
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM go_t WHERE id < $1", 10).Scan(&n); err != nil {
		return nil, err
	}
	return []any{pe.Code, n}, expectEq(n, int64(3), "count")
}
