package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// cli runs the built sleeperd with args, its stderr a pipe (not a terminal), and returns its
// exit code and combined output.
func cli(ctx context.Context, t *testing.T, args ...string) (int, string) {
	t.Helper()
	cmd := exec.CommandContext(ctx, build(t), args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0, out.String()
	case errors.As(err, &ee):
		return ee.ExitCode(), out.String()
	}
	t.Fatalf("running sleeperd %v: %v", args, err)
	return 0, ""
}

// TestImportExportCLI runs sleeperd import and export as separate processes: into and out of
// a running server, and straight against its data directory while it runs.
func TestImportExportCLI(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	data, dir := t.TempDir(), t.TempDir()
	s := start(ctx, t, data, "--maintenance-interval", "0")
	conn := s.connect(ctx, t, pgx.QueryExecModeSimpleProtocol)
	for _, name := range []string{"t", "t2"} {
		if _, err := conn.Exec(ctx, fmt.Sprintf(`CREATE TABLE %s (k bigint, v text) WITH (row_keys='k', split_points='10000,20000,30000')`, name)); err != nil {
			t.Fatal(err)
		}
	}
	var in strings.Builder
	in.WriteString("k,v\n")
	const n = 40_000
	for i := range n {
		fmt.Fprintf(&in, "%d,\"row %d, \"\"q\"\"\"\n", i, i)
	}
	src := filepath.Join(dir, "in.csv")
	if err := os.WriteFile(src, []byte(in.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	url := fmt.Sprintf("postgres://e2e@%s/e2e?sslmode=disable", s.addr)

	code, out := cli(ctx, t, "import", "--url", url, "--header", "--progress-interval", "1ms", "t", src)
	if code != 0 || !strings.Contains(out, fmt.Sprintf("import t: %d rows from %s", n, src)) {
		t.Fatalf("import: exit %d\n%s", code, out)
	}
	if !regexp.MustCompile(`(?m)^import t: \d+ rows, [\d.]+ MiB, \d+ rows/s`).MatchString(out) {
		t.Errorf("no progress lines on a non-terminal stderr:\n%s", out)
	}

	pq := filepath.Join(dir, "t.parquet")
	if code, out := cli(ctx, t, "export", "--url", url, "t", pq); code != 0 {
		t.Fatalf("export: exit %d\n%s", code, out)
	}
	// Straight into the directory the server serves, while it runs.
	if code, out := cli(ctx, t, "import", "--data", data, "t2", pq); code != 0 {
		t.Fatalf("import --data: exit %d\n%s", code, out)
	}
	var count, sum int64
	if err := conn.QueryRow(ctx, "SELECT count(*), sum(k) FROM t2 WHERE v LIKE 'row %'").Scan(&count, &sum); err != nil || count != n || sum != n*(n-1)/2 {
		t.Errorf("the server sees t2 as %d rows, sum %d (%v)", count, sum, err)
	}
	exp := filepath.Join(dir, "exp")
	if code, out := cli(ctx, t, "export", "--data", data, "--format", "parquet", "t2", exp); code != 0 {
		t.Fatalf("export --data: exit %d\n%s", code, out)
	}
	if files, _ := filepath.Glob(filepath.Join(exp, "*.parquet")); len(files) != 4 {
		t.Errorf("export --data wrote %d files, want one per leaf, 4", len(files))
	}

	bad := filepath.Join(dir, "bad.csv")
	if err := os.WriteFile(bad, []byte("k,v\n1,a\nx,b\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out = cli(ctx, t, "import", "--url", url, "--header", "t", bad)
	if code != 1 || !strings.Contains(out, "SQLSTATE 22P02") || !strings.Contains(out, "COPY t, line 3, column k") {
		t.Errorf("bad row: exit %d\n%s", code, out)
	}
	if code, out := cli(ctx, t, "import", "t", src); code != 2 {
		t.Errorf("no --url or --data: exit %d\n%s", code, out)
	}
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM t").Scan(&count); err != nil || count != n {
		t.Errorf("t has %d rows after the failed import, want %d (%v)", count, n, err)
	}
	s.stop(ctx, t)
}
