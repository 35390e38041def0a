package slt

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// The import tests run COPY ... FROM a server file on PostgreSQL (a superuser there) and on
// sleeperd, both reading the same file, and compare the tables and errors.

// readableDir makes a directory every user can read, since PostgreSQL runs as another user
// when the tests run as root, and removes it when the test ends.
func readableDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "slt-import-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func writeReadable(t *testing.T, name, data string) {
	t.Helper()
	if err := os.WriteFile(name, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestCopyFromFileMatchesPostgres loads the COPY FROM STDIN cases from server files into
// both servers, which must then hold the same rows.
func TestCopyFromFileMatchesPostgres(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx, cancel := context.WithTimeout(context.Background(), fileTimeout)
	defer cancel()
	func() {
		s := newCopyServers(ctx, t, mem, t.Name())
		dir := readableDir(t)
		for i, c := range copyFromCases {
			name := filepath.Join(dir, fmt.Sprintf("case%d.dat", i))
			writeReadable(t, name, c.data)
			sql := strings.Replace(c.sql, "FROM STDIN", fmt.Sprintf("FROM '%s'", name), 1)
			want, err := s.pg.Exec(ctx, sql)
			if err != nil {
				t.Fatalf("PostgreSQL: %s: %v", sql, err)
			}
			got, err := s.sd.Exec(ctx, sql)
			if err != nil || got.String() != want.String() {
				t.Errorf("%s: %s, %v; want %s", sql, got, err, want)
			}
		}
		s.sameTable(ctx, t)

		// In the extended protocol too.
		name := filepath.Join(dir, "extended.dat")
		writeReadable(t, name, "1\ta\n2\tb\n")
		for _, c := range []*pgx.Conn{s.pg, s.sd} {
			if _, err := c.Exec(ctx, "CREATE TABLE x (k int, s text)"); err != nil {
				t.Fatal(err)
			}
			res := c.PgConn().ExecParams(ctx, fmt.Sprintf("COPY x FROM '%s'", name), nil, nil, nil, nil).Read()
			if res.Err != nil || res.CommandTag.String() != "COPY 2" {
				t.Errorf("extended protocol: %s, %v", res.CommandTag, res.Err)
			}
		}
	}()
}

// importErrors fail on both servers with the same SQLSTATE and message; sleeperd's context
// is PostgreSQL's followed by a line naming the file.
var importErrors = []struct{ sql, data string }{
	{`COPY t (k, i) FROM '%s'`, "100\t1\n101\t2\nx\t3\n"},
	{`COPY t (k, i) FROM '%s'`, "100\t1\n101\t2\textra\n"},
	{`COPY t (k, s) FROM '%s' (FORMAT csv)`, "100,a\n101,\"unterminated\n"},
	{`COPY t (k, s) FROM '%s' (FORMAT csv, HEADER MATCH)`, "k,x\n100,a\n"},
	{`COPY t (k, v) FROM '%s'`, "100\tfits\n101\tdoes not fit\n"},
}

func TestCopyFromFileErrorsMatchPostgres(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx, cancel := context.WithTimeout(context.Background(), fileTimeout)
	defer cancel()
	func() {
		s := newCopyServers(ctx, t, mem, t.Name())
		s.insert(ctx, t, copyRows[:3])
		dir := readableDir(t)
		run := func(conn *pgx.Conn, sql string) *pgconn.PgError {
			_, err := conn.Exec(ctx, sql)
			var pe *pgconn.PgError
			if !errors.As(err, &pe) {
				t.Fatalf("%s: got %v, want an error", sql, err)
			}
			return pe
		}
		for i, c := range importErrors {
			name := filepath.Join(dir, fmt.Sprintf("bad%d.dat", i))
			writeReadable(t, name, c.data)
			sql := fmt.Sprintf(c.sql, name)
			want, got := run(s.pg, sql), run(s.sd, sql)
			wantWhere := want.Where + "\n" + fmt.Sprintf("file \"%s\"", name)
			if got.Code != want.Code || got.Message != want.Message || got.Where != wantWhere {
				t.Errorf("%s with %q:\n got %s %q (%q)\nwant %s %q (%q)", sql, c.data, got.Code, got.Message, got.Where, want.Code, want.Message, wantWhere)
			}
			if n := count(ctx, t, s.sd, "t"); n != 3 {
				t.Errorf("%s: %d rows after the failed COPY, want 3", sql, n)
			}
		}
		// A missing file.
		sql := fmt.Sprintf("COPY t FROM '%s'", filepath.Join(dir, "missing.dat"))
		want, got := run(s.pg, sql), run(s.sd, sql)
		if got.Code != want.Code || got.Message != want.Message {
			t.Errorf("%s:\n got %s %q\nwant %s %q", sql, got.Code, got.Message, want.Code, want.Message)
		}
		// A relative path: PostgreSQL reads it relative to its data directory; sleeperd
		// refuses it as PostgreSQL refuses one for COPY TO.
		if got := run(s.sd, "COPY t FROM 'relative.dat'"); got.Code != "42602" {
			t.Errorf("COPY FROM a relative path: %s %q, want 42602", got.Code, got.Message)
		}
		// Files a glob matches, one with a bad row: nothing is committed.
		writeReadable(t, filepath.Join(dir, "g1.dat"), "200\t1\n201\t2\n")
		writeReadable(t, filepath.Join(dir, "g2.dat"), "202\t1\n203\tx\n")
		if got := run(s.sd, fmt.Sprintf("COPY t (k, i) FROM '%s/g?.dat'", dir)); got.Code != "22P02" ||
			got.Where != fmt.Sprintf("COPY t, line 2, column i: \"x\"\nfile \"%s/g2.dat\"", dir) {
			t.Errorf("glob with a bad row: %s %q (%q)", got.Code, got.Message, got.Where)
		}
		if n := count(ctx, t, s.sd, "t"); n != 3 {
			t.Errorf("%d rows after the failed COPY, want 3", n)
		}
	}()
}

// TestCopyParquetRoundTrip exports the COPY table, every type of it, to a Parquet directory
// and imports it into an empty copy through a glob: both copy out the same.
func TestCopyParquetRoundTrip(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx, cancel := context.WithTimeout(context.Background(), fileTimeout)
	defer cancel()
	func() {
		c := exportServer(ctx, t, mem)
		mustExec(ctx, t, c, copyTable)
		for _, r := range copyRows {
			mustExec(ctx, t, c, "INSERT INTO t VALUES "+r)
		}
		dir := filepath.Join(t.TempDir(), "t")
		mustExec(ctx, t, c, fmt.Sprintf("COPY t TO '%s' (FORMAT parquet)", dir))
		mustExec(ctx, t, c, strings.Replace(copyTable, "CREATE TABLE t ", "CREATE TABLE t2 ", 1))
		if tag := mustExec(ctx, t, c, fmt.Sprintf("COPY t2 FROM '%s/*.parquet' (FORMAT parquet)", dir)); tag != fmt.Sprintf("COPY %d", len(copyRows)) {
			t.Errorf("tag %q", tag)
		}
		for _, format := range []string{"", " (FORMAT binary)"} {
			want, _, err := copyTo(ctx, c, "COPY t TO STDOUT"+format)
			if err != nil {
				t.Fatal(err)
			}
			got, _, err := copyTo(ctx, c, "COPY t2 TO STDOUT"+format)
			if err != nil || got != want {
				t.Errorf("COPY t2 TO STDOUT%s:\n got %q, %v\nwant %q", format, got, err, want)
			}
		}
	}()
}
