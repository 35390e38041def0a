package slt

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/sleeperd/sleeperd/engine"
	"github.com/sleeperd/sleeperd/storage/objstore"
)

// The COPY tests run the same statements on a throwaway PostgreSQL and on sleeperd over
// pgwire, and compare the bytes COPY writes and the errors it raises.

// copyTable is created on both servers. Its rows are inserted in key order, so PostgreSQL's
// heap order is sleeperd's key order.
const copyTable = `CREATE TABLE t (k int PRIMARY KEY, i bigint, s text, f float8, r real, n numeric(12,3),
	b bool, d date, ts timestamp, tz timestamptz, by bytea, v varchar(8))`

var copyRows = []string{
	`(1, 10, 'plain', 1.5, 2.5, 1.250, true, '2024-01-02', '2024-01-02 03:04:05', '2024-01-02 03:04:05.123456+00', '\x00ff', 'v1')`,
	`(2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)`,
	`(3, -9223372036854775808, '', 'NaN', 'Infinity', -0.001, false, '0044-03-15 BC', '1999-12-31 23:59:59.5', '1970-01-01 00:00:00+00', '\x', '')`,
	`(4, 9223372036854775807, E'tab\there, comma, "quote" and \\backslash', '-Infinity', '-Infinity', 123456789.123, true, '2000-02-29', '2000-02-29 12:00:00', '2000-02-29 12:00:00-05', '\x5c0a', 'a,b')`,
	`(5, 0, E'line1\nline2\r\nline3', 1e300, 1e-30, 0, false, '1970-01-01', '1970-01-01 00:00:00', '2038-01-19 03:14:08+00', '\x2c22', E'q"q')`,
	`(6, 1, '\N', 0.1, 0.1, 0.5, true, '2024-12-31', '2024-12-31 00:00:00.000001', '2024-12-31 00:00:00.000001+00', '\x', '\.')`,
	`(7, 2, '\.', 3.25, 3.25, 1, true, '2024-01-01', '2024-01-01 00:00:00', '2024-01-01 00:00:00+00', '\x01', 'NULL')`,
	`(8, 3, 'héllo wörld ✓', -3.25, 1.5, -2.5, false, '2024-06-01', '2024-06-01 00:00:00', '2024-06-01 00:00:00+00', '\xdeadbeef', 'é')`,
	`(9, 4, 'NULL', 2, 2, 2, true, '2024-06-02', '2024-06-02 00:00:00', '2024-06-02 00:00:00+00', '\x', '|')`,
}

// copyServers are a PostgreSQL database and a sleeperd server, each holding copyTable with
// copyRows.
type copyServers struct {
	pg, sd       *pgx.Conn
	pgDSN, sdDSN string
}

// sameTable checks that table t copies out the same from both servers, in text and binary.
func (s *copyServers) sameTable(ctx context.Context, t *testing.T) {
	t.Helper()
	for _, sql := range []string{`COPY t TO STDOUT`, `COPY t TO STDOUT (FORMAT binary)`} {
		want, _, err := copyTo(ctx, s.pg, sql)
		if err != nil {
			t.Fatal(err)
		}
		got, _, err := copyTo(ctx, s.sd, sql)
		if err != nil || got != want {
			t.Errorf("%s:\n got %q, %v\nwant %q", sql, got, err, want)
		}
	}
}

func newCopyServers(ctx context.Context, t *testing.T, mem memory.Allocator, name string) *copyServers {
	t.Helper()
	pg := freshDatabase(ctx, t, name)
	addr := serve(ctx, t, openEngine(ctx, t, mem))
	sdDSN := fmt.Sprintf("postgres://slt@%s/slt?sslmode=disable", addr)
	sd := dial(ctx, t, sdDSN)
	cfg := pg.Config()
	pgDSN := fmt.Sprintf("host=%s port=%d user=%s dbname=%s sslmode=disable", cfg.Host, cfg.Port, cfg.User, cfg.Database)
	s := &copyServers{pg: pg, sd: sd, pgDSN: pgDSN, sdDSN: sdDSN}
	for _, c := range []*pgx.Conn{pg, sd} {
		if _, err := c.Exec(ctx, copyTable); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

func (s *copyServers) insert(ctx context.Context, t *testing.T, rows []string) {
	t.Helper()
	for _, c := range []*pgx.Conn{s.pg, s.sd} {
		for _, r := range rows {
			if _, err := c.Exec(ctx, "INSERT INTO t VALUES "+r); err != nil {
				t.Fatalf("%s: %v", r, err)
			}
		}
	}
}

// copyTo runs a COPY ... TO STDOUT and returns what it wrote and its tag.
func copyTo(ctx context.Context, c *pgx.Conn, sql string) (string, string, error) {
	var buf bytes.Buffer
	tag, err := c.PgConn().CopyTo(ctx, &buf, sql)
	return buf.String(), tag.String(), err
}

func copyFrom(ctx context.Context, c *pgx.Conn, sql, data string) (string, error) {
	tag, err := c.PgConn().CopyFrom(ctx, strings.NewReader(data), sql)
	return tag.String(), err
}

func count(ctx context.Context, t *testing.T, c *pgx.Conn, table string) int64 {
	t.Helper()
	var n int64
	if err := c.QueryRow(ctx, "SELECT count(*) FROM "+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// copyToStatements are compared byte for byte.
var copyToStatements = []string{
	`COPY t TO STDOUT`,
	`COPY t TO STDOUT (FORMAT text, HEADER)`,
	`COPY t TO STDOUT WITH (FORMAT csv)`,
	`COPY t TO STDOUT WITH (FORMAT csv, HEADER true)`,
	`COPY t TO STDOUT CSV HEADER`,
	`COPY t TO STDOUT WITH CSV HEADER FORCE QUOTE *`,
	`COPY t TO STDOUT (FORMAT csv, FORCE_QUOTE (s, v))`,
	`COPY t TO STDOUT (FORMAT csv, DELIMITER '|', NULL 'NULL', HEADER)`,
	`COPY t TO STDOUT (FORMAT csv, QUOTE '''', ESCAPE '\')`,
	`COPY t TO STDOUT (DELIMITER '|', NULL '<null>')`,
	`COPY t (v, k, s) TO STDOUT (FORMAT csv)`,
	`COPY t (s) TO STDOUT (FORMAT csv)`,
	`COPY t (v) TO STDOUT`,
	`COPY (SELECT k, s, k * 2 AS double FROM t WHERE k > 2 ORDER BY k DESC) TO STDOUT (FORMAT csv, HEADER)`,
	`COPY (SELECT 1 AS "a,b", 'x' AS "q""q") TO STDOUT CSV HEADER`,
	`COPY t TO STDOUT (FORMAT binary)`,
	`COPY t TO STDOUT BINARY`,
	`COPY (SELECT k, s FROM t WHERE k > 100) TO STDOUT`,
	`COPY (SELECT ARRAY[1, 2, NULL] AS a, ARRAY['x,y', 'q"q', NULL, '', 'back\slash'] AS b, ARRAY[1.5, 'NaN']::float8[] AS c) TO STDOUT`,
	`COPY (SELECT ARRAY[1, 2, NULL] AS a, ARRAY['x,y', 'q"q', NULL, '', 'back\slash'] AS b) TO STDOUT (FORMAT csv)`,
	`COPY (SELECT ARRAY[1, 2, NULL] AS a, ARRAY['x,y', 'q"q', NULL, ''] AS b, ARRAY[]::int[] AS c) TO STDOUT (FORMAT binary)`,
	`COPY (SELECT 'ab'::char(4) AS c, 'x'::varchar(3) AS v, 7::smallint AS i, interval '1 day 02:03:04' AS d) TO STDOUT (FORMAT csv, FORCE_QUOTE *)`,
	`COPY (SELECT 'ab'::char(4) AS c, 7::smallint AS i) TO STDOUT (FORMAT binary)`,
}

func TestCopyToMatchesPostgres(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx, cancel := context.WithTimeout(context.Background(), fileTimeout)
	defer cancel()
	func() {
		s := newCopyServers(ctx, t, mem, t.Name())
		s.insert(ctx, t, copyRows)
		for _, sql := range copyToStatements {
			want, wantTag, err := copyTo(ctx, s.pg, sql)
			if err != nil {
				t.Fatalf("PostgreSQL: %s: %v", sql, err)
			}
			got, tag, err := copyTo(ctx, s.sd, sql)
			if err != nil {
				t.Errorf("%s: %v", sql, err)
				continue
			}
			if got != want || tag != wantTag {
				t.Errorf("%s:\n got %q (%s)\nwant %q (%s)", sql, got, tag, want, wantTag)
			}
		}
	}()
}

// copyErrors are COPY statements with their input that PostgreSQL rejects; sleeperd must
// reject them with the same SQLSTATE, message and context, and commit nothing.
var copyErrors = []struct{ sql, data string }{
	{`COPY t (k, s) FROM STDIN`, "100\ta\n101\n"},
	{`COPY t (k, s) FROM STDIN`, "100\ta\n101\tb\textra\n"},
	{`COPY t (k, s) FROM STDIN`, "100\ta\nxyz\tb\n"},
	{`COPY t (k, i) FROM STDIN`, "100\t1\n101\t99999999999999999999\n"},
	{`COPY t (k, f) FROM STDIN`, "100\t1\n101\tone\n"},
	{`COPY t (k, d) FROM STDIN`, "100\t2024-01-01\n101\t2024-02-30\n"},
	{`COPY t (k, s) FROM STDIN`, "100\ta\n\\N\tb\n"},
	{`COPY t (k, s) FROM STDIN (FORMAT csv)`, "100,a\n101,\"unterminated\n"},
	{`COPY t (k, s) FROM STDIN (FORMAT csv, HEADER)`, "k,s\n100,a\n101,b,c\n"},
	{`COPY t (k, s) FROM STDIN (FORMAT csv)`, "100,\"a\nb\"\n,c\n"},
	{`COPY t (k, b) FROM STDIN (FORMAT csv)`, "100,t\n101,maybe\n"},
	{`COPY t (k, v) FROM STDIN`, "100\tshort\n101\tmuch too long\n"},
	{`COPY t (k, s) FROM STDIN`, "100\ta\n101\t\\.\tb\n"},
	{`COPY t (k, s) FROM STDIN`, "100\ta\r\n101\tb\n"},
	{`COPY t (k, s) FROM STDIN`, "100\ta\n101\tb\r\n"},
	{`COPY t (k, s) FROM STDIN`, "100\ta\rb\n"},
	{`COPY t (k, s) FROM STDIN`, "100\ta\r\n101\tb\rc\r\n"},
	{`COPY t (k, s) FROM STDIN (FORMAT csv)`, "100,a\n101,b\r\n"},
	{`COPY t (k, s) FROM STDIN (FORMAT csv)`, "100,a\r\n101,b\n"},
	{`COPY t (k, s) FROM STDIN`, "100\ta\r\n\\.\n"},
	{`COPY t (k, s) FROM STDIN`, "100\ta\n\\.\r\n"},
	{`COPY t (k, s) FROM STDIN`, "100\ta\n\\."},
	{`COPY t (k, s) FROM STDIN`, "100\ta\n\\.x\n"},
	{`COPY t (k, s) FROM STDIN (FORMAT csv)`, "100,a\r\n101,\"two\r\nlines\"\r\n102,\"open\r\n"},
	{`COPY t (k, s) FROM STDIN (FORMAT binary)`, "not a copy file"},
	{`COPY t (k, s) FROM STDIN (FORMAT binary)`, ""},
	{`COPY t (k, s) FROM STDIN (FORMAT binary)`, "PGCOPY\n\xff\r\n\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x00\x00\x08\x00\x00\x00\x00\x00\x00\x00\x64\xff\xff\xff\xff\xff\xff"},
	{`COPY t (k, s) FROM STDIN (FORMAT binary)`, "PGCOPY\n\xff\r\n\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x03\x00\x00\x00\x04\x00\x00\x00\x64\xff\xff\xff\xff\xff\xff"},
	{`COPY t (k, s) FROM STDIN (FORMAT binary)`, "PGCOPY\n\xff\r\n\x00\x00\x00\x00\x00\x00\x00\x00\x00\xff\xffx"},
	{`COPY t (k, s) FROM STDIN (FORMAT binary)`, "PGCOPY\n\xff\r\n\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x00\x00\x04\x00\x00\x00\x64\xff\xff\xff\xff\x00\x02\x00\x00\x00\x02\x00\x01"},
	{`COPY t (k, s) FROM STDIN (FORMAT binary)`, "PGCOPY\n\xff\r\n\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x04\x00\x00\x00\x64"},
	{`COPY t (k, s) FROM STDIN (FORMAT binary)`, "PGCOPY\n\xff\r\n\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x00\x00\x04\x00\x00\x00\x64\x00\x00\x00\x03ab"},
	{`COPY t (k, s) FROM STDIN (FORMAT csv, HEADER match)`, "k,x\n1,a\n"},
	{`COPY t (k, s) FROM STDIN (FORMAT csv, HEADER match)`, "k\n1,a\n"},
	{`COPY t (k, s) FROM STDIN (HEADER match)`, "k\t\\N\n1\ta\n"},
	{`COPY t TO STDOUT (HEADER match)`, ""},
	{`COPY t FROM STDIN (FORMAT csv, FORCE_QUOTE (s))`, ""},
	{`COPY t TO STDOUT (FORMAT csv, FORCE_NOT_NULL (s))`, ""},
	{`COPY t FROM STDIN (FORMAT text, QUOTE '"')`, ""},
	{`COPY t FROM STDIN (FORMAT binary, DELIMITER ',')`, ""},
	{`COPY t FROM STDIN (DELIMITER 'ab')`, ""},
	{`COPY t FROM STDIN (FORMAT csv, DELIMITER ',', QUOTE ',')`, ""},
	{`COPY t FROM STDIN (FORMAT xml)`, ""},
	{`COPY t FROM STDIN (FORMAT csv, FORMAT text)`, ""},
	{`COPY t FROM STDIN (bogus true)`, ""},
	{`COPY t (nope) FROM STDIN`, ""},
	{`COPY t (k, k) FROM STDIN`, ""},
	{`COPY nosuch FROM STDIN`, ""},
	{`COPY t TO STDOUT (FORMAT csv, FORCE_QUOTE (nope))`, ""},
	{`COPY v FROM STDIN`, ""},
	{`COPY v TO STDOUT`, ""},
}

func TestCopyErrorsMatchPostgres(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx, cancel := context.WithTimeout(context.Background(), fileTimeout)
	defer cancel()
	func() {
		s := newCopyServers(ctx, t, mem, t.Name())
		s.insert(ctx, t, copyRows[:3])
		for _, c := range []*pgx.Conn{s.pg, s.sd} {
			if _, err := c.Exec(ctx, "CREATE VIEW v AS SELECT k, s FROM t"); err != nil {
				t.Fatal(err)
			}
		}
		for _, c := range copyErrors {
			run := func(conn *pgx.Conn) *pgconn.PgError {
				var err error
				if strings.Contains(c.sql, "TO STDOUT") {
					_, _, err = copyTo(ctx, conn, c.sql)
				} else {
					_, err = copyFrom(ctx, conn, c.sql, c.data)
				}
				var pe *pgconn.PgError
				if !errors.As(err, &pe) {
					t.Fatalf("%s with %q: got %v, want an error", c.sql, c.data, err)
				}
				return pe
			}
			want, got := run(s.pg), run(s.sd)
			if got.Code != want.Code || got.Message != want.Message || got.Where != want.Where {
				t.Errorf("%s with %q:\n got %s %q (%q)\nwant %s %q (%q)", c.sql, c.data, got.Code, got.Message, got.Where, want.Code, want.Message, want.Where)
			}
			// Nothing was committed, and the connection goes on serving.
			if n := count(ctx, t, s.sd, "t"); n != 3 {
				t.Errorf("%s with %q: %d rows after the failed COPY, want 3", c.sql, c.data, n)
			}
		}
	}()
}

// copyFromCases load the same data into both servers, which must then hold the same rows.
var copyFromCases = []struct{ sql, data string }{
	{`COPY t (k, s, v) FROM STDIN`, "10\ttab\\there\\\\back\\nnl\tx\n11\t\\N\t\\N\n12\t\t\n13\t\\101\\x42\\u\tq\\\tw\n"},
	{`COPY t FROM STDIN`, "14\t5\tall\t1.5\t2.5\t1.2345\tyes\t2024-01-02\t2024-01-02 03:04:05.5\t2024-01-02 03:04:05+02\t\\\\x0102\tz\r\n15\t\\N\t\\N\tNaN\t-Infinity\t-0.0005\toff\t0044-03-15 BC\t\\N\t\\N\t\\N\t\\N\r\n\\.\r\nignored after the end marker\r\n"},
	{`COPY t (k, s, v) FROM STDIN (FORMAT csv, HEADER)`, "k,s,v\n20,\"a,b\",\"mu\nlti\"\n21,,\"\"\n22,\"q\"\"q\",NULL\n"},
	{`COPY t (k, s, v) FROM STDIN (FORMAT csv, NULL 'NULL', FORCE_NOT_NULL (s), FORCE_NULL (v))`, "23,NULL,\"NULL\"\n24,,\n"},
	{`COPY t (k, s) FROM STDIN (FORMAT csv, DELIMITER ';', QUOTE '''', ESCAPE '\')`, "25;'it\\'s; here'\n26;'\\\\'\n"},
	{`COPY t (k, s) FROM STDIN WITH CSV`, "27,last line without newline"},
	{`COPY t (k, s) FROM STDIN (DELIMITER '|', NULL '')`, "28|\n29|x\\|y\n"},
	{`COPY t (k, s, v) FROM STDIN`, "30\tx\tabcdefgh   \n31\tx\t\\\\.\n"},
	{`COPY t (k, s) FROM STDIN (FORMAT csv, HEADER MATCH)`, "k,s\n32,matched\n"},
}

func TestCopyFromMatchesPostgres(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx, cancel := context.WithTimeout(context.Background(), fileTimeout)
	defer cancel()
	func() {
		s := newCopyServers(ctx, t, mem, t.Name())
		for _, c := range copyFromCases {
			wantTag, err := copyFrom(ctx, s.pg, c.sql, c.data)
			if err != nil {
				t.Fatalf("PostgreSQL: %s: %v", c.sql, err)
			}
			tag, err := copyFrom(ctx, s.sd, c.sql, c.data)
			if err != nil || tag != wantTag {
				t.Errorf("%s with %q: %s, %v; want %s", c.sql, c.data, tag, err, wantTag)
			}
		}
		s.sameTable(ctx, t)
	}()
}

// TestCopyBinaryRoundTrip copies a table out in binary and back into an empty copy of it,
// on sleeperd, and compares the two in text.
func TestCopyBinaryRoundTrip(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx, cancel := context.WithTimeout(context.Background(), fileTimeout)
	defer cancel()
	func() {
		s := newCopyServers(ctx, t, mem, t.Name())
		s.insert(ctx, t, copyRows)
		bin, _, err := copyTo(ctx, s.sd, "COPY t TO STDOUT (FORMAT binary)")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.sd.Exec(ctx, strings.Replace(copyTable, "TABLE t", "TABLE t2", 1)); err != nil {
			t.Fatal(err)
		}
		if tag, err := copyFrom(ctx, s.sd, "COPY t2 FROM STDIN (FORMAT binary)", bin); err != nil || tag != fmt.Sprintf("COPY %d", len(copyRows)) {
			t.Fatalf("copying back: %s, %v", tag, err)
		}
		a, _, err := copyTo(ctx, s.sd, "COPY t TO STDOUT")
		if err != nil {
			t.Fatal(err)
		}
		b, _, err := copyTo(ctx, s.sd, "COPY t2 TO STDOUT")
		if err != nil || a != b {
			t.Errorf("after a binary round trip:\n got %q, %v\nwant %q", b, err, a)
		}
	}()
}

// TestCopyPgxCopyFrom loads rows with pgx's CopyFrom, which sends binary COPY FROM STDIN,
// and checks them by count and sums; a million rows unless -short.
func TestCopyPgxCopyFrom(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx, cancel := context.WithTimeout(context.Background(), fileTimeout)
	defer cancel()
	n := 1_000_000
	if testing.Short() {
		n = 20_000
	}
	func() {
		addr := serve(ctx, t, openEngine(ctx, t, mem))
		c := dial(ctx, t, fmt.Sprintf("postgres://slt@%s/slt?sslmode=disable", addr))
		if _, err := c.Exec(ctx, "CREATE TABLE big (k bigint PRIMARY KEY, v int, s text, f float8, ts timestamptz)"); err != nil {
			t.Fatal(err)
		}
		base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
		src := pgx.CopyFromSlice(n, func(i int) ([]any, error) {
			var s any = fmt.Sprintf("row %d", i)
			if i%10 == 0 {
				s = nil
			}
			return []any{int64(i), int32(i % 1000), s, float64(i) / 2, base.Add(time.Duration(i) * time.Second)}, nil
		})
		got, err := c.CopyFrom(ctx, pgx.Identifier{"big"}, []string{"k", "v", "s", "f", "ts"}, src)
		if err != nil || got != int64(n) {
			t.Fatalf("CopyFrom: %d, %v", got, err)
		}
		var cnt, sumK, sumV, nulls int64
		var sumF float64
		var maxTS time.Time
		err = c.QueryRow(ctx, "SELECT count(*), sum(k), sum(v), count(*) - count(s), sum(f), max(ts) FROM big").Scan(&cnt, &sumK, &sumV, &nulls, &sumF, &maxTS)
		if err != nil {
			t.Fatal(err)
		}
		var wantV int64
		for i := 0; i < n; i++ {
			wantV += int64(i % 1000)
		}
		N := int64(n)
		if cnt != N || sumK != N*(N-1)/2 || sumV != wantV || nulls != N/10 || sumF != float64(N*(N-1)/2)/2 ||
			!maxTS.Equal(base.Add(time.Duration(n-1)*time.Second)) {
			t.Errorf("got count %d, sum(k) %d, sum(v) %d, nulls %d, sum(f) %v, max(ts) %v", cnt, sumK, sumV, nulls, sumF, maxTS)
		}
		var s string
		if err := c.QueryRow(ctx, "SELECT s FROM big WHERE k = 12345").Scan(&s); err != nil || s != "row 12345" {
			t.Errorf("row 12345: %q, %v", s, err)
		}
		// A bad row fails the whole copy; the connection goes on serving.
		bad := pgx.CopyFromRows([][]any{{int64(-1), int32(1), "x", 1.0, base}, {nil, int32(2), "y", 2.0, base}})
		if _, err := c.CopyFrom(ctx, pgx.Identifier{"big"}, []string{"k", "v", "s", "f", "ts"}, bad); err == nil {
			t.Error("CopyFrom with a NULL key succeeded")
		} else if pe := (*pgconn.PgError)(nil); !errors.As(err, &pe) || pe.Code != "23502" || pe.Where != "COPY big, line 2" {
			t.Errorf("CopyFrom with a NULL key: %v (%+v)", err, pe)
		}
		// The same with much more data after the bad row, which the server ignores while the
		// client is still sending it.
		long := pgx.CopyFromFunc(func() func() ([]any, error) {
			i := 0
			return func() ([]any, error) {
				i++
				if i > 200_000 {
					return nil, nil
				}
				var k any = int64(-i)
				if i == 3 {
					k = nil
				}
				return []any{k, int32(i), "z", 0.0, base}, nil
			}
		}())
		if _, err := c.CopyFrom(ctx, pgx.Identifier{"big"}, []string{"k", "v", "s", "f", "ts"}, long); err == nil {
			t.Error("long CopyFrom with a NULL key succeeded")
		} else if pe := (*pgconn.PgError)(nil); !errors.As(err, &pe) || pe.Code != "23502" || pe.Where != "COPY big, line 3" {
			t.Errorf("long CopyFrom with a NULL key: %v (%+v)", err, pe)
		}
		if err := c.QueryRow(ctx, "SELECT count(*) FROM big").Scan(&cnt); err != nil || cnt != N {
			t.Errorf("after the failed CopyFrom: %d rows, %v", cnt, err)
		}
	}()
}

// TestCopyPsql runs psql's \copy to and from files against both servers and compares the
// files it writes and the rows it loads.
func TestCopyPsql(t *testing.T) {
	bin, err := exec.LookPath("psql")
	if err != nil {
		t.Skip("psql not installed")
	}
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx, cancel := context.WithTimeout(context.Background(), fileTimeout)
	defer cancel()
	func() {
		s := newCopyServers(ctx, t, mem, t.Name())
		dir := t.TempDir()
		in := filepath.Join(dir, "in.csv")
		if err := os.WriteFile(in, []byte("k,s,v\n1,\"hello, world\",a\n2,,\"\"\n3,\"two\nlines\",\"x\"\"y\"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		psql := func(dsn, name string, cmds ...string) string {
			args := []string{"-X", "-v", "ON_ERROR_STOP=1", "-d", dsn}
			for _, c := range cmds {
				args = append(args, "-c", strings.ReplaceAll(c, "OUT", filepath.Join(dir, name)))
			}
			cmd := exec.CommandContext(ctx, bin, args...)
			cmd.Env = []string{"HOME=" + dir, "LC_ALL=C.UTF-8", "PGCONNECT_TIMEOUT=10", "PATH=" + os.Getenv("PATH")}
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("psql %s: %v\n%s", name, err, out)
			}
			return string(out)
		}
		cmds := []string{
			`\copy t (k, s, v) FROM '` + in + `' CSV HEADER`,
			`\copy t TO 'OUT.txt'`,
			`\copy t (k, s, v) TO 'OUT.csv' WITH (FORMAT csv, HEADER, FORCE_QUOTE (v))`,
			`\copy (SELECT k, s FROM t ORDER BY k DESC) TO 'OUT.q'`,
		}
		pgOut := psql(s.pgDSN, "pg", cmds...)
		sdOut := psql(s.sdDSN, "sd", cmds...)
		if pgOut != sdOut {
			t.Errorf("psql output:\n got %q\nwant %q", sdOut, pgOut)
		}
		// A bad row: psql reports PostgreSQL's error and context, nothing is loaded, and the
		// session goes on to the next command.
		bad := filepath.Join(dir, "bad.csv")
		if err := os.WriteFile(bad, []byte("10,a,x\n11,b\n12,c,y\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		run := func(dsn string) string {
			cmd := exec.CommandContext(ctx, bin, "-X", "-d", dsn, "-c", `\copy t (k, s, v) FROM '`+bad+`' CSV`, "-c", "SELECT count(*) FROM t")
			cmd.Env = []string{"HOME=" + dir, "LC_ALL=C.UTF-8", "PGCONNECT_TIMEOUT=10", "PATH=" + os.Getenv("PATH")}
			out, _ := cmd.CombinedOutput()
			return string(out)
		}
		if got, want := run(s.sdDSN), run(s.pgDSN); got != want || !strings.Contains(want, "line 2") {
			t.Errorf("psql with a bad row:\n got %q\nwant %q", got, want)
		}
		for _, ext := range []string{".txt", ".csv", ".q"} {
			want, err1 := os.ReadFile(filepath.Join(dir, "pg"+ext))
			got, err2 := os.ReadFile(filepath.Join(dir, "sd"+ext))
			if err1 != nil || err2 != nil || string(got) != string(want) || len(want) == 0 {
				t.Errorf("%s: got %q (%v), want %q (%v)", ext, got, err2, want, err1)
			}
		}
	}()
}

// exchange sends msgs on c's connection, then reads until ReadyForQuery or CopyInResponse,
// and returns what it received, one line per message.
func exchange(ctx context.Context, t *testing.T, c *pgx.Conn, msgs ...pgproto3.FrontendMessage) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	pc := c.PgConn()
	fe := pc.Frontend()
	for _, m := range msgs {
		fe.Send(m)
	}
	if err := fe.Flush(); err != nil {
		t.Fatal(err)
	}
	var got []string
	for {
		m, err := pc.ReceiveMessage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		switch m := m.(type) {
		case *pgproto3.CopyInResponse:
			return append(got, fmt.Sprintf("CopyInResponse %d %v", m.OverallFormat, m.ColumnFormatCodes))
		case *pgproto3.CopyOutResponse:
			got = append(got, fmt.Sprintf("CopyOutResponse %d %v", m.OverallFormat, m.ColumnFormatCodes))
		case *pgproto3.CopyData:
			got = append(got, fmt.Sprintf("CopyData %q", m.Data))
		case *pgproto3.CommandComplete:
			got = append(got, "CommandComplete "+string(m.CommandTag))
		case *pgproto3.ErrorResponse:
			got = append(got, fmt.Sprintf("ErrorResponse %s %s (%s)", m.Code, m.Message, m.Where))
		case *pgproto3.ReadyForQuery:
			return append(got, fmt.Sprintf("ReadyForQuery %c", m.TxStatus))
		case *pgproto3.ParameterStatus, *pgproto3.NoticeResponse:
		default:
			got = append(got, fmt.Sprintf("%T", m))
		}
	}
}

// TestCopyExtendedProtocol runs COPY through Parse, Bind, Execute and Sync, as JDBC's
// CopyManager and other drivers may, and compares every message with PostgreSQL's: copy-in
// with data sent after the Sync, a bad row whose remaining data is ignored, CopyFail, and
// copy-out.
func TestCopyExtendedProtocol(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx, cancel := context.WithTimeout(context.Background(), fileTimeout)
	defer cancel()
	run := func(sql string) []pgproto3.FrontendMessage {
		return []pgproto3.FrontendMessage{&pgproto3.Parse{Query: sql}, &pgproto3.Bind{}, &pgproto3.Describe{ObjectType: 'P'}, &pgproto3.Execute{}, &pgproto3.Sync{}}
	}
	steps := [][]pgproto3.FrontendMessage{
		run("COPY t (k, s) FROM STDIN"),
		{&pgproto3.CopyData{Data: []byte("50\tfif")}, &pgproto3.CopyData{Data: []byte("ty\n51\t\\N\n")}, &pgproto3.CopyDone{}, &pgproto3.Sync{}},
		run("COPY t (k, s) FROM STDIN (FORMAT csv)"),
		{&pgproto3.CopyData{Data: []byte("52,x\n53\n")}, &pgproto3.CopyData{Data: []byte("54,more\n")}, &pgproto3.CopyDone{}, &pgproto3.Sync{}},
		run("COPY t (k, s) FROM STDIN"),
		{&pgproto3.CopyData{Data: []byte("55\tx\n")}, &pgproto3.CopyFail{Message: "client gave up"}, &pgproto3.Sync{}},
		{&pgproto3.Query{String: "COPY t (k, s) FROM STDIN"}},
		{&pgproto3.CopyData{Data: []byte("56\tsimple\n")}, &pgproto3.CopyDone{}},
		run("COPY t (k, s) TO STDOUT (FORMAT csv, HEADER)"),
		{&pgproto3.Query{String: "COPY (SELECT count(*) FROM t) TO STDOUT; SELECT 1"}},
	}
	var results [2][][]string
	func() {
		s := newCopyServers(ctx, t, mem, t.Name())
		for i, c := range []*pgx.Conn{s.pg, s.sd} {
			for _, st := range steps {
				results[i] = append(results[i], exchange(ctx, t, c, st...))
			}
		}
	}()
	for i := range steps {
		if want, got := strings.Join(results[0][i], "\n"), strings.Join(results[1][i], "\n"); got != want {
			t.Errorf("step %d:\n got %s\nwant %s", i, got, want)
		}
	}
}

// TestCopyPgxBinaryTypesMatchPostgres loads the same rows of every column type with pgx's
// CopyFrom (binary COPY) into both servers and compares the tables as COPY writes them.
func TestCopyPgxBinaryTypesMatchPostgres(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx, cancel := context.WithTimeout(context.Background(), fileTimeout)
	defer cancel()
	num := func(s string) pgtype.Numeric {
		var n pgtype.Numeric
		if err := n.Scan(s); err != nil {
			t.Fatal(err)
		}
		return n
	}
	ts := func(y, mo, d, h, mi, s, us int) time.Time {
		return time.Date(y, time.Month(mo), d, h, mi, s, us*1000, time.UTC)
	}
	// PostgreSQL keeps the bits of a NaN sent in binary; sleeperd sends every NaN as
	// PostgreSQL's own (what 'NaN' reads as), so the NaN sent here is that one.
	nan := math.Float64frombits(0x7ff8000000000000)
	rows := [][]any{
		{int32(1), int64(10), "plain", 1.5, float32(2.5), num("1.25"), true, ts(2024, 1, 2, 0, 0, 0, 0), ts(2024, 1, 2, 3, 4, 5, 0), ts(2024, 1, 2, 3, 4, 5, 123456), []byte{0, 0xff}, "v1"},
		{int32(2), nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil},
		{int32(3), int64(-9223372036854775808), "", nan, float32(math.Inf(1)), num("-0.001"), false, ts(-43, 3, 15, 0, 0, 0, 0), ts(1999, 12, 31, 23, 59, 59, 500000), ts(1970, 1, 1, 0, 0, 0, 0), []byte{}, ""},
		{int32(4), int64(9223372036854775807), "tab\there\nnewline é✓", math.Inf(-1), float32(1e-30), num("123456789.123"), true, ts(2000, 2, 29, 0, 0, 0, 0), ts(2000, 2, 29, 12, 0, 0, 0), ts(2038, 1, 19, 3, 14, 8, 0), []byte("\\\n"), "a,b"},
	}
	cols := []string{"k", "i", "s", "f", "r", "n", "b", "d", "ts", "tz", "by", "v"}
	func() {
		s := newCopyServers(ctx, t, mem, t.Name())
		for _, c := range []*pgx.Conn{s.pg, s.sd} {
			n, err := c.CopyFrom(ctx, pgx.Identifier{"t"}, cols, pgx.CopyFromRows(rows))
			if err != nil || n != int64(len(rows)) {
				t.Fatalf("CopyFrom: %d, %v", n, err)
			}
		}
		s.sameTable(ctx, t)
	}()
}

// TestCopyFromTimeZone checks COPY FROM reads timestamptz values without an offset in the
// session's TimeZone, and COPY TO shows them there, as PostgreSQL does.
func TestCopyFromTimeZone(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx, cancel := context.WithTimeout(context.Background(), fileTimeout)
	defer cancel()
	func() {
		s := newCopyServers(ctx, t, mem, t.Name())
		var out [2][]string
		for i, c := range []*pgx.Conn{s.pg, s.sd} {
			if _, err := c.Exec(ctx, "SET TimeZone = 'America/New_York'"); err != nil {
				t.Fatal(err)
			}
			if _, err := copyFrom(ctx, c, "COPY t (k, tz) FROM STDIN", "40\t2024-07-01 12:00:00\n41\t2024-01-01 00:00:00\n42\t2024-07-01 12:00:00+02\n43\t2024-07-01 12:00:00Z\n"); err != nil {
				t.Fatal(err)
			}
			for _, tz := range []string{"America/New_York", "UTC"} {
				if _, err := c.Exec(ctx, "SET TimeZone = '"+tz+"'"); err != nil {
					t.Fatal(err)
				}
				text, _, err := copyTo(ctx, c, "COPY (SELECT k, tz FROM t ORDER BY k) TO STDOUT (FORMAT csv)")
				if err != nil {
					t.Fatal(err)
				}
				out[i] = append(out[i], text)
			}
		}
		if got, want := strings.Join(out[1], "\n"), strings.Join(out[0], "\n"); got != want {
			t.Errorf("got\n%s\nwant\n%s", got, want)
		}
	}()
}

// TestCopyRefused checks what sleeperd refuses where PostgreSQL (run as a superuser) would
// act: files and programs on the server, and copying into a system table.
func TestCopyRefused(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx, cancel := context.WithTimeout(context.Background(), fileTimeout)
	defer cancel()
	func() {
		addr := serve(ctx, t, openEngine(ctx, t, mem))
		c := dial(ctx, t, fmt.Sprintf("postgres://slt@%s/slt?sslmode=disable", addr))
		if _, err := c.Exec(ctx, "CREATE TABLE t (k int PRIMARY KEY)"); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct{ sql, code string }{
			{"COPY t FROM PROGRAM 'cat'", "0A000"},
			{"COPY t FROM '/tmp/in.bin' (FORMAT binary)", "0A000"},
			{"COPY t FROM 'in.csv' CSV", "42602"},
			{"COPY t TO 'out.csv' CSV", "42602"},
			{"COPY t TO 'ftp://host/out' (FORMAT parquet)", "0A000"},
			{"COPY t TO STDOUT (FORMAT parquet)", "0A000"},
			{"COPY t TO '/tmp/out.bin' (FORMAT binary)", "0A000"},
			{"COPY t TO PROGRAM 'cat'", "0A000"},
			{"COPY t FROM STDIN WHERE k > 1", "0A000"},
			{"COPY sleeper.partitions FROM STDIN", "42501"},
		} {
			_, err := c.Exec(ctx, tc.sql)
			var pe *pgconn.PgError
			if !errors.As(err, &pe) || pe.Code != tc.code {
				t.Errorf("%s: %v, want SQLSTATE %s", tc.sql, err, tc.code)
			}
		}
		// A table keyed by insertion order: its hidden row id is neither read nor written.
		if _, err := c.Exec(ctx, "CREATE TABLE h (a int, b text)"); err != nil {
			t.Fatal(err)
		}
		in := "3\tc\n1\t\\N\n2\tb\n"
		if tag, err := copyFrom(ctx, c, "COPY h FROM STDIN", in); err != nil || tag != "COPY 3" {
			t.Fatalf("COPY h FROM STDIN: %s, %v", tag, err)
		}
		if out, _, err := copyTo(ctx, c, "COPY h TO STDOUT"); err != nil || out != in {
			t.Errorf("COPY h TO STDOUT: %q, %v; want %q", out, err, in)
		}
		if _, _, err := copyTo(ctx, c, "COPY h (_rowid) TO STDOUT"); err == nil {
			t.Error("COPY of the hidden row id succeeded")
		}
		// COPY takes no parameters, as in PostgreSQL.
		if _, err := c.Exec(ctx, "COPY (SELECT $1::int) TO STDOUT", 1); err == nil {
			t.Error("COPY with a parameter succeeded")
		}
		// A system table can be copied out.
		if _, _, err := copyTo(ctx, c, "COPY sleeper.partitions TO STDOUT"); err != nil {
			t.Errorf("COPY sleeper.partitions TO STDOUT: %v", err)
		}
	}()
}

// TestCopyMemoryLimit checks a COPY FROM whose rows go over the statement memory limit
// fails with 53200 as it reads them, commits nothing, frees what it held, and leaves the
// connection serving.
func TestCopyMemoryLimit(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx, cancel := context.WithTimeout(context.Background(), fileTimeout)
	defer cancel()
	func() {
		eng, err := engine.Open(ctx, engine.Options{Store: objstore.NewMem(), Alloc: mem, QueryMemoryLimit: 4 << 20})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { eng.Close() })
		c := dial(ctx, t, fmt.Sprintf("postgres://slt@%s/slt?sslmode=disable", serve(ctx, t, eng)))
		if _, err := c.Exec(ctx, "CREATE TABLE t (k bigint PRIMARY KEY, s text)"); err != nil {
			t.Fatal(err)
		}
		var data strings.Builder
		pad := strings.Repeat("x", 200)
		for i := 0; i < 100_000; i++ {
			fmt.Fprintf(&data, "%d\t%s\n", i, pad)
		}
		_, err = copyFrom(ctx, c, "COPY t FROM STDIN", data.String())
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != "53200" {
			t.Errorf("COPY over the memory limit: %v, want SQLSTATE 53200", err)
		}
		if tag, err := copyFrom(ctx, c, "COPY t FROM STDIN", "1\tsmall\n2\t\\N\n"); err != nil || tag != "COPY 2" {
			t.Errorf("COPY within the limit: %s, %v", tag, err)
		}
		if n := count(ctx, t, c, "t"); n != 2 {
			t.Errorf("%d rows, want 2", n)
		}
	}()
}
