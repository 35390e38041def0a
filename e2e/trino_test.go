package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sleeperd/sleeperd/internal/s3test"
)

// python is Debian's interpreter, which has Debian's python3-thrift (a python3 first on
// PATH may be another installation without it).
const python = "/usr/bin/python3"

// requirePythonThrift is set by make test: without python3-thrift the tests fail rather than
// skip.
var requirePythonThrift = os.Getenv("SLT_REQUIRE_PYTHON_THRIFT") == "1"

func needPythonThrift(t *testing.T) {
	t.Helper()
	if out, err := exec.Command(python, "-c", "import thrift").CombinedOutput(); err != nil {
		msg := fmt.Sprintf("%s cannot import thrift (Debian's python3-thrift): %v %s", python, err, bytes.TrimSpace(out))
		if requirePythonThrift {
			t.Fatal(msg + " (make test installs it)")
		}
		t.Skip("skipping: " + msg + " (SLT_REQUIRE_PYTHON_THRIFT=1 makes this a failure)")
	}
}

var trinoListen = regexp.MustCompile(`msg=listening protocol=trino-thrift addr=(\S+)`)

// trinoAddr waits for the server's Trino listen line and returns its address.
func (s *server) trinoAddr(ctx context.Context, t *testing.T) string {
	t.Helper()
	for {
		if m := trinoListen.FindStringSubmatch(s.logs.String()); m != nil {
			return strings.Trim(m[1], `"`)
		}
		select {
		case <-ctx.Done():
			t.Fatalf("no trino listen line: %v\n%s", ctx.Err(), s.logs)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// TestTrinoPythonClient reads a table through two sleeperd nodes on one data directory with
// Python's Thrift library and code generated from our IDL: splits listed by one node are
// read from the other, pages alternate between nodes, and the rows equal SELECT * over
// pgwire.
func TestTrinoPythonClient(t *testing.T) {
	needPythonThrift(t)
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	data := t.TempDir()
	a := start(ctx, t, data)
	defer a.stop(ctx, t)
	b := start(ctx, t, data)
	defer b.stop(ctx, t)
	trinoThroughTwoNodes(ctx, t, a, b)
}

// TestTrinoPythonClientS3 is TestTrinoPythonClient with both nodes on one S3 bucket.
func TestTrinoPythonClientS3(t *testing.T) {
	if testing.Short() {
		t.Skip("runs two servers on versitygw")
	}
	needPythonThrift(t)
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	endpoint := s3test.VersityGW(t)
	bucket := s3test.NewBucket(t, endpoint)
	s3test.SetEnv(t)
	data := "s3://" + bucket + "/db"
	args := []string{"--s3-endpoint", endpoint, "--s3-path-style"}
	a := start(ctx, t, data, args...)
	defer a.stop(ctx, t)
	b := start(ctx, t, data, args...)
	defer b.stop(ctx, t)
	trinoThroughTwoNodes(ctx, t, a, b)
}

func trinoThroughTwoNodes(ctx context.Context, t *testing.T, a, b *server) {
	t.Helper()
	conn := a.connect(ctx, t, pgx.QueryExecModeSimpleProtocol)
	for _, s := range []string{
		`CREATE TABLE tt (k bigint, i2 smallint, i4 integer, f4 real, f8 double precision, s text,
			vc varchar(8), ch char(4), ok boolean, d date, ts timestamp, tz timestamptz, by bytea,
			n numeric(12,3), nothing text) WITH (row_keys = 'k', split_points = '250,500,750')`,
		`INSERT INTO tt SELECT g, (g % 300)::smallint, g * 1000, g / 7.0, g / 3.0, 'row ' || g,
			'v' || (g % 100), 'c' || (g % 10), g % 3 = 0, DATE '2020-01-01' + (g % 1000)::integer,
			TIMESTAMP '2024-01-01 00:00:00' + g * INTERVAL '1.0015 seconds',
			TIMESTAMPTZ '2024-06-01 12:00:00+02' + g * INTERVAL '1 minute',
			('\x' || lpad(g::text, 4, '0'))::bytea, g / 8.0, NULL
			FROM generate_series(1, 1000) g`,
		`INSERT INTO tt (k) VALUES (1001), (-5)`,
		`INSERT INTO tt (k, s, ch) VALUES (1002, 'naïve ☃', 'é')`,
	} {
		if _, err := conn.Exec(ctx, s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	addrs := a.trinoAddr(ctx, t) + "," + b.trinoAddr(ctx, t)
	script, err := filepath.Abs("../connectors/trino/testdata/trino_client.py")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, python, script, addrs, "public", "tt", "2", "8192")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("python client: %v\n%s", err, stderr.String())
	}
	var res struct {
		Tables        []string
		Columns       [][2]string
		IndexableKeys [][]string
		Splits, Pages int
		Rows          [][]any
		Error         *string
	}
	dec := json.NewDecoder(bytes.NewReader(out))
	dec.UseNumber()
	if err := dec.Decode(&res); err != nil {
		t.Fatalf("python client output: %v\n%s", err, out)
	}
	if !slices.Contains(res.Tables, "tt") {
		t.Errorf("tables %v do not list tt", res.Tables)
	}
	if res.Splits != 4 {
		t.Errorf("%d splits, want 4 (one per leaf)", res.Splits)
	}
	if res.Pages <= res.Splits {
		t.Errorf("%d pages for %d splits: maxBytes did not page", res.Pages, res.Splits)
	}
	if res.Error == nil || !strings.Contains(*res.Error, "no_such_table") {
		t.Errorf("error for a missing table: %v", res.Error)
	}
	if want := [][]string{{"k"}}; !slices.EqualFunc(res.IndexableKeys, want, slices.Equal) {
		t.Errorf("indexable keys %v, want %v", res.IndexableKeys, want)
	}

	// SELECT * over pgwire, in PostgreSQL's text format.
	rows, err := conn.Query(ctx, "SELECT * FROM tt ORDER BY k")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range rows.FieldDescriptions() {
		names = append(names, f.Name)
	}
	var want [][]*string
	for rows.Next() {
		var row []*string
		for _, v := range rows.RawValues() {
			if v == nil {
				row = append(row, nil)
			} else {
				s := string(v)
				row = append(row, &s)
			}
		}
		want = append(want, row)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	var cols []string
	for _, c := range res.Columns {
		cols = append(cols, c[0])
	}
	if !slices.Equal(cols, names) {
		t.Fatalf("columns %v over Thrift, %v over pgwire", cols, names)
	}
	got := res.Rows
	slices.SortFunc(got, func(x, y []any) int {
		i, _ := x[0].(json.Number).Int64()
		j, _ := y[0].(json.Number).Int64()
		return int(i - j)
	})
	if len(got) != len(want) {
		t.Fatalf("%d rows over Thrift, %d over pgwire", len(got), len(want))
	}
	for r := range want {
		for c, typ := range res.Columns {
			if err := sameValue(typ[1], names[c], got[r][c], want[r][c]); err != nil {
				t.Fatalf("row %d column %s: %v", r, names[c], err)
			}
		}
	}
}

// sameValue compares a value of Trino type typ as the Python client decoded it with
// PostgreSQL's text of the same value.
func sameValue(typ, col string, got any, want *string) error {
	if got == nil || want == nil {
		if got == nil && want == nil {
			return nil
		}
		return fmt.Errorf("%v over Thrift, %v over pgwire", got, deref(want))
	}
	w := *want
	switch typ {
	case "integer", "bigint":
		if got.(json.Number).String() != w {
			return fmt.Errorf("%v over Thrift, %s over pgwire", got, w)
		}
	case "double":
		g, _ := got.(json.Number).Float64()
		p, err := strconv.ParseFloat(w, 64)
		if err != nil {
			return err
		}
		if col == "f4" { // real: Trino's double holds the float32 exactly; PostgreSQL shows its shortest text
			if float32(g) != float32(p) {
				return fmt.Errorf("%v over Thrift, %s over pgwire", g, w)
			}
		} else if g != p && !(math.IsNaN(g) && math.IsNaN(p)) {
			return fmt.Errorf("%v over Thrift, %s over pgwire", g, w)
		}
	case "boolean":
		if fmt.Sprint(got) != map[string]string{"t": "true", "f": "false"}[w] {
			return fmt.Errorf("%v over Thrift, %s over pgwire", got, w)
		}
	case "date":
		days, _ := got.(json.Number).Int64()
		if d := time.Unix(days*86400, 0).UTC().Format("2006-01-02"); d != w {
			return fmt.Errorf("%s over Thrift, %s over pgwire", d, w)
		}
	case "timestamp(3)":
		ms, _ := got.(json.Number).Int64()
		var p time.Time
		var err error
		for _, layout := range []string{"2006-01-02 15:04:05.999999-07", "2006-01-02 15:04:05.999999"} {
			if p, err = time.Parse(layout, w); err == nil {
				break
			}
		}
		if err != nil {
			return err
		}
		if p.UnixMilli() != ms {
			return fmt.Errorf("%d ms over Thrift, %s (%d ms) over pgwire", ms, w, p.UnixMilli())
		}
	default: // varchar: PostgreSQL's text
		if got.(string) != w {
			return fmt.Errorf("%q over Thrift, %q over pgwire", got, w)
		}
	}
	return nil
}

func deref(s *string) any {
	if s == nil {
		return nil
	}
	return *s
}
