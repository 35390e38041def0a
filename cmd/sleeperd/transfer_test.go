package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/sleeperd/sleeperd/engine"
	"github.com/sleeperd/sleeperd/internal/s3test"
	"github.com/sleeperd/sleeperd/pgwire"
	"github.com/sleeperd/sleeperd/storage/objstore"
)

const transferTable = `CREATE TABLE %s (key text, sort bigint, value text, f double precision) WITH (row_keys='key', sort_keys='sort', split_points='4,8,c')`

// testServer serves the database in dir on a loopback port until the test ends and returns
// its URL.
func testServer(t *testing.T, dir string) string {
	t.Helper()
	store, err := objstore.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	return testServerOn(t, store)
}

// testServerOn is testServer on a store.
func testServerOn(t *testing.T, store objstore.Store) string {
	t.Helper()
	eng, err := engine.Open(context.Background(), engine.Options{Store: store})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := pgwire.NewServer(pgwire.Config{Connect: eng.Connect})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Error(err)
		}
		if err := <-done; err != nil && !errors.Is(err, pgwire.ErrClosed) {
			t.Error(err)
		}
		if err := eng.Close(); err != nil {
			t.Error(err)
		}
	})
	return "postgres://test@" + ln.Addr().String() + "/sleeperd?sslmode=disable"
}

// sqlAt runs sql on the server at url and returns its rows, one string per row with
// columns joined by "|".
func sqlAt(t *testing.T, url, sql string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgconn.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	res, err := conn.Exec(ctx, sql).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	var out []string
	for _, r := range res {
		for _, row := range r.Rows {
			cols := make([]string, len(row))
			for i, c := range row {
				cols[i] = string(c)
			}
			out = append(out, strings.Join(cols, "|"))
		}
	}
	return out
}

// sqlDirect runs sql on the database in dir, opened for the call.
func sqlDirect(t *testing.T, dir, sql string) []string {
	t.Helper()
	return sqlAt(t, testServer(t, dir), sql)
}

// testCSV is a CSV file with a header of n rows of the transfer table, in key order, as
// sleeperd's COPY TO writes them.
func testCSV(n int) string {
	var b strings.Builder
	b.WriteString("key,sort,value,f\n")
	// Keys in sorted order: the first hex digit, then the number.
	for d := 0; d < 16; d++ {
		for i := d; i < n; i += 16 {
			value := fmt.Sprintf(`"v%d, ""q"""`, i)
			if i%5 == 0 {
				value = ""
			}
			fmt.Fprintf(&b, "%x%07d,%d,%s,%g\n", d, i, i%1000, value, float64(i)/4)
		}
	}
	return b.String()
}

// sortedLines is text with its lines after the first (the header) sorted: COPY TO does not
// promise an order, and the test's files are in key order.
func sortedLines(text string) string {
	lines := strings.SplitAfter(text, "\n")
	if len(lines) > 1 {
		slices.Sort(lines[1:])
	}
	return strings.Join(lines, "")
}

func runCmd(t *testing.T, args ...string) (int, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return code, out.String() + errb.String()
}

func writeFile(t *testing.T, name, data string) string {
	t.Helper()
	if err := os.WriteFile(name, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	return name
}

func readFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestImportExportServer imports CSV into a running server, exports it as CSV and Parquet,
// imports the Parquet file into a second table and exports that: all the same rows.
func TestImportExportServer(t *testing.T) {
	data, dir := t.TempDir(), t.TempDir()
	url := testServer(t, data)
	sqlAt(t, url, fmt.Sprintf(transferTable, "t"))
	sqlAt(t, url, fmt.Sprintf(transferTable, "t2"))
	const n = 20_000
	in := writeFile(t, filepath.Join(dir, "in.csv"), testCSV(n))

	code, out := runCmd(t, "import", "--url", url, "--header", "--progress", "lines", "--progress-interval", "1ms", "t", in)
	if code != 0 {
		t.Fatalf("import: exit %d\n%s", code, out)
	}
	if !strings.Contains(out, fmt.Sprintf("import t: %d rows from %s", n, in)) {
		t.Errorf("import output lacks the summary:\n%s", out)
	}
	if got := sqlAt(t, url, "SELECT count(*), count(value) FROM t"); got[0] != fmt.Sprintf("%d|%d", n, n-n/5) {
		t.Errorf("imported %v", got)
	}

	csvOut := filepath.Join(dir, "out.csv")
	if code, out := runCmd(t, "export", "--url", url, "--header", "--progress", "none", "t", csvOut); code != 0 {
		t.Fatalf("export csv: exit %d\n%s", code, out)
	}
	if got := readFile(t, csvOut); sortedLines(got) != readFile(t, in) {
		t.Errorf("exported CSV differs from the imported: %d bytes, want %d", len(got), len(readFile(t, in)))
	}

	pq := filepath.Join(dir, "out.parquet")
	if code, out := runCmd(t, "export", "--url", url, "--progress", "none", "t", pq); code != 0 {
		t.Fatalf("export parquet: exit %d\n%s", code, out)
	}
	if code, out := runCmd(t, "import", "--url", url, "--progress", "none", "t2", pq); code != 0 {
		t.Fatalf("import parquet: exit %d\n%s", code, out)
	}
	csv2 := filepath.Join(dir, "out2.csv")
	if code, out := runCmd(t, "export", "--url", url, "--header", "--progress", "none", "t2", csv2); code != 0 {
		t.Fatalf("export csv: exit %d\n%s", code, out)
	}
	if sortedLines(readFile(t, csv2)) != readFile(t, in) {
		t.Errorf("the table imported from Parquet differs")
	}

	// The server writes a directory of one file per leaf.
	leaves := filepath.Join(dir, "leaves")
	if code, out := runCmd(t, "export", "--url", url, "--server-side", "--format", "parquet", "t", leaves); code != 0 || !strings.Contains(out, fmt.Sprintf("%d rows to %s", n, leaves)) {
		t.Fatalf("export --server-side: exit %d\n%s", code, out)
	}
	if files, _ := filepath.Glob(filepath.Join(leaves, "*.parquet")); len(files) != 4 {
		t.Errorf("export --server-side wrote %v, want 4 files", files)
	}

	// A query, in text format.
	txt := filepath.Join(dir, "q.txt")
	if code, out := runCmd(t, "export", "--url", url, "--progress", "none", "--query", "SELECT sort, value FROM t WHERE key = '00000000'", txt); code != 0 {
		t.Fatalf("export query: exit %d\n%s", code, out)
	}
	if got := readFile(t, txt); got != "0\t\\N\n" {
		t.Errorf("query export: %q", got)
	}
}

// TestImportBadRow: a bad row fails the import with its line and SQLSTATE, exit 1, and
// nothing of the file is committed.
func TestImportBadRow(t *testing.T) {
	data, dir := t.TempDir(), t.TempDir()
	url := testServer(t, data)
	sqlAt(t, url, fmt.Sprintf(transferTable, "t"))
	bad := writeFile(t, filepath.Join(dir, "bad.csv"), "key,sort,value,f\na,1,x,1\nb,oops,y,2\nc,3,z,3\n")
	code, out := runCmd(t, "import", "--url", url, "--header", "--progress", "none", "t", bad)
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	for _, want := range []string{`invalid input syntax for type bigint: "oops"`, "SQLSTATE 22P02", `COPY t, line 3, column sort: "oops"`} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if got := sqlAt(t, url, "SELECT count(*) FROM t"); got[0] != "0" {
		t.Errorf("%s rows committed, want 0", got[0])
	}
}

// TestImportFiles: files are imported in order, one commit each; a failure names the file
// and what was imported before it. A Parquet column the table lacks fails with 42703.
func TestImportFiles(t *testing.T) {
	data, dir := t.TempDir(), t.TempDir()
	url := testServer(t, data)
	sqlAt(t, url, fmt.Sprintf(transferTable, "t")+"; CREATE TABLE u (key text, other bigint) WITH (row_keys='key')")
	a := writeFile(t, filepath.Join(dir, "a.tsv"), "a\t1\t\\N\t0.5\nb\t2\tx\t1.5\n")
	b := writeFile(t, filepath.Join(dir, "b.txt"), "c\t3\ty\t2\nd\tnope\tz\t3\n")
	code, out := runCmd(t, "import", "--url", url, "t", a, b)
	if code != 1 || !strings.Contains(out, b+" (1 of 2 files imported before it, 2 rows)") || !strings.Contains(out, "line 2, column sort") {
		t.Errorf("exit %d:\n%s", code, out)
	}
	if got := sqlAt(t, url, "SELECT count(*), count(value), sum(f) FROM t"); got[0] != "2|1|2" {
		t.Errorf("after the failure: %v", got)
	}
	pq := filepath.Join(dir, "t.parquet")
	if code, out := runCmd(t, "export", "--url", url, "t", pq); code != 0 {
		t.Fatalf("export: exit %d\n%s", code, out)
	}
	code, out = runCmd(t, "import", "--url", url, "u", pq)
	if code != 1 || !strings.Contains(out, "SQLSTATE 42703") {
		t.Errorf("import of Parquet columns the table lacks: exit %d\n%s", code, out)
	}
}

// TestParquetTypes: values of many types survive export to Parquet over the wire and import
// of that file.
func TestParquetTypes(t *testing.T) {
	data, dir := t.TempDir(), t.TempDir()
	url := testServer(t, data)
	const cols = `(k bigint, b boolean, i integer, s smallint, r real, d double precision, n numeric(12,3), tx text, vc varchar(10), by bytea, dt date, ts timestamp, tz timestamptz)`
	sqlAt(t, url, "CREATE TABLE a "+cols+" WITH (row_keys='k'); CREATE TABLE b "+cols+" WITH (row_keys='k')")
	sqlAt(t, url, `INSERT INTO a VALUES
		(1, true, -5, 7, 1.5, 0.1, 12345.678, 'tab	here', 'v', '\x00ff', '2024-02-29', '2024-05-01 12:00:00.123456', '2024-05-01 12:00:00+02'),
		(2, false, 2147483647, -32768, 'NaN', '-Infinity', -0.001, 'quote "q" \ back', '', '\x', '1970-01-01', '1999-12-31 23:59:59', '2000-01-01 00:00:00+00'),
		(3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)`)
	pq := filepath.Join(dir, "a.parquet")
	if code, out := runCmd(t, "export", "--url", url, "--progress", "none", "a", pq); code != 0 {
		t.Fatalf("export: exit %d\n%s", code, out)
	}
	if code, out := runCmd(t, "import", "--url", url, "--progress", "none", "b", pq); code != 0 {
		t.Fatalf("import: exit %d\n%s", code, out)
	}
	want := sqlAt(t, url, "SELECT * FROM a ORDER BY k")
	got := sqlAt(t, url, "SELECT * FROM b ORDER BY k")
	if len(want) != 3 || !slices.Equal(got, want) {
		t.Errorf("after the Parquet round trip:\n%q\nwant\n%q", got, want)
	}
}

// TestImportExportDirect imports into and exports out of a database directory opened in the
// process: a table's Parquet export is one sorted file per leaf, which imports back.
func TestImportExportDirect(t *testing.T) {
	data, dir := t.TempDir(), t.TempDir()
	sqlDirect(t, data, fmt.Sprintf(transferTable, "t")+"; "+fmt.Sprintf(transferTable, "t2"))
	const n = 50_000
	in := writeFile(t, filepath.Join(dir, "in.csv"), testCSV(n))
	code, out := runCmd(t, "import", "--data", data, "--header", "--progress", "lines", "--progress-interval", "1ms", "t", in)
	if code != 0 {
		t.Fatalf("import: exit %d\n%s", code, out)
	}
	if !regexp.MustCompile(`(?m)^import t: \d+ rows, [\d.]+ MiB, \d+ rows/s, (eta \d|all read, writing)`).MatchString(out) {
		t.Errorf("no periodic progress line:\n%s", out)
	}
	exp := filepath.Join(dir, "exp")
	code, out = runCmd(t, "export", "--data", data, "--format", "parquet", "t", exp)
	if code != 0 {
		t.Fatalf("export: exit %d\n%s", code, out)
	}
	if !strings.Contains(out, fmt.Sprintf("export t: %d rows to %s", n, exp)) {
		t.Errorf("export output:\n%s", out)
	}
	files, err := filepath.Glob(filepath.Join(exp, "*.parquet"))
	if err != nil || len(files) != 4 {
		t.Fatalf("export wrote %v (%v), want one file per leaf, 4", files, err)
	}
	code, out = runCmd(t, append([]string{"import", "--data", data, "t2"}, files...)...)
	if code != 0 {
		t.Fatalf("import parquet: exit %d\n%s", code, out)
	}
	if !strings.Contains(out, fmt.Sprintf("import t2: %d rows from 4 files", n)) {
		t.Errorf("import output:\n%s", out)
	}
	// A DEST named *.parquet is one file.
	one := filepath.Join(dir, "one.parquet")
	if code, out := runCmd(t, "export", "--data", data, "t2", one); code != 0 {
		t.Fatalf("export to one file: exit %d\n%s", code, out)
	}
	if st, err := os.Stat(one); err != nil || !st.Mode().IsRegular() {
		t.Errorf("export to %s: %v, %v; want a file", one, st, err)
	}
	csvOut := filepath.Join(dir, "out.csv")
	if code, out := runCmd(t, "export", "--data", data, "--header", "t2", csvOut); code != 0 {
		t.Fatalf("export csv: exit %d\n%s", code, out)
	}
	if sortedLines(readFile(t, csvOut)) != readFile(t, in) {
		t.Errorf("the round trip changed the rows")
	}
}

// TestImportExportS3 imports into and exports out of a database in a bucket, opened in the
// process with --data s3://... --s3-endpoint --s3-path-style.
func TestImportExportS3(t *testing.T) {
	endpoint := s3test.FakeS3(t)
	s3test.SetEnv(t)
	bucket := s3test.NewBucket(t, endpoint)
	store, err := objstore.NewS3(context.Background(), objstore.S3Options{Bucket: bucket, Prefix: "db", Endpoint: endpoint, PathStyle: true})
	if err != nil {
		t.Fatal(err)
	}
	url := testServerOn(t, store)
	sqlAt(t, url, fmt.Sprintf(transferTable, "t"))
	dir := t.TempDir()
	const n = 2000
	in := writeFile(t, filepath.Join(dir, "in.csv"), testCSV(n))
	flags := []string{"--data", "s3://" + bucket + "/db", "--s3-endpoint", endpoint, "--s3-path-style", "--progress", "none"}
	if code, out := runCmd(t, append(append([]string{"import"}, flags...), "--header", "t", in)...); code != 0 {
		t.Fatalf("import: exit %d\n%s", code, out)
	}
	if got := sqlAt(t, url, "SELECT count(*) FROM t"); got[0] != fmt.Sprint(n) {
		t.Errorf("the server sees %s rows, want %d", got[0], n)
	}
	out := filepath.Join(dir, "out.csv")
	if code, msg := runCmd(t, append(append([]string{"export"}, flags...), "--header", "t", out)...); code != 0 {
		t.Fatalf("export: exit %d\n%s", code, msg)
	}
	if sortedLines(readFile(t, out)) != readFile(t, in) {
		t.Errorf("the round trip through the bucket changed the rows")
	}
}

func TestTransferUsage(t *testing.T) {
	tests := []struct {
		args []string
		err  string
	}{
		{[]string{"import", "t", "a.csv"}, "exactly one of --url and --data"},
		{[]string{"import", "--url", "postgres://x", "--data", "d", "t", "a.csv"}, "exactly one of --url and --data"},
		{[]string{"import", "--data", "d", "t"}, "at least one file"},
		{[]string{"import", "--data", "d", "t", "a.json"}, "use --format"},
		{[]string{"import", "--data", "d", "--format", "xml", "t", "a"}, "--format must be"},
		{[]string{"import", "--data", "d", "--delimiter", "ab", "t", "a.csv"}, "one character"},
		{[]string{"import", "--data", "d", "--header", "t", "a.parquet"}, "do not apply to Parquet"},
		{[]string{"export", "--data", "d", "t"}, "two arguments"},
		{[]string{"export", "--data", "d", "--query", "SELECT 1", "t", "x.csv"}, "one argument"},
		{[]string{"export", "--url", "postgres://x", "--server-side", "t", "x.csv"}, "only to Parquet export of a table"},
		{[]string{"export", "--url", "postgres://x", "--server-side", "--format", "parquet", "t", "rel/dir"}, "absolute DEST"},
		{[]string{"export", "--url", "postgres://x", "--server-side", "t", "/abs/file.parquet"}, "without the .parquet extension"},
		{[]string{"export", "--url", "postgres://x", "--format", "parquet", "t", "dir"}, "add --server-side"},
		{[]string{"export", "--data", "d", "--s3-endpoint", "http://127.0.0.1:1", "t", "x.csv"}, "apply only to an s3://"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, out := runCmd(t, tt.args...)
			if code != 2 || !strings.Contains(out, tt.err) {
				t.Errorf("exit %d, output %q; want 2 and %q", code, out, tt.err)
			}
		})
	}
	if code, _ := runCmd(t, "import", "--data", filepath.Join(t.TempDir(), "none"), "t", writeFile(t, filepath.Join(t.TempDir(), "a.csv"), "")); code != 1 {
		t.Errorf("import into a missing directory: exit %d, want 1", code)
	}
	var out bytes.Buffer
	if code := run([]string{"export", "-h"}, io.Discard, &out); code != 0 || !strings.Contains(out.String(), "--query") && !strings.Contains(out.String(), "-query") {
		t.Errorf("export -h: exit %d\n%s", code, out.String())
	}
}
