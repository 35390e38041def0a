package engine

import (
	"context"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/catalog"
	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/storage/keys"
	"github.com/sleeperd/sleeperd/storage/objstore"
)

// run executes one statement and returns its rows formatted with arrow's ValueStr, and its tag.
func run(t *testing.T, c Conn, q string, params ...any) ([][]string, string) {
	t.Helper()
	rows, tag, err := tryRun(c, q, params...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return rows, tag
}

func tryRun(c Conn, q string, params ...any) ([][]string, string, error) {
	return tryRunCells(c, q, params, func(b arrow.RecordBatch, i, j int) string { return b.Column(j).ValueStr(i) })
}

// tryRunCells executes one statement and returns its rows, each value formatted by cell (row
// i, column j of batch b), and its tag.
func tryRunCells(c Conn, q string, params []any, cell func(b arrow.RecordBatch, i, j int) string) ([][]string, string, error) {
	ctx := context.Background()
	st, err := c.Prepare(ctx, q, nil)
	if err != nil {
		return nil, "", err
	}
	defer st.Close()
	r, err := st.Execute(ctx, params)
	if err != nil {
		return nil, "", err
	}
	defer r.Close()
	var out [][]string
	for {
		b, err := r.Next(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, "", err
		}
		for i := 0; i < int(b.NumRows()); i++ {
			row := make([]string, b.NumCols())
			for j := range row {
				row[j] = cell(b, i, j)
			}
			out = append(out, row)
		}
		b.Release()
	}
	return out, r.Tag(), nil
}

func open(t *testing.T, store objstore.Store, mem memory.Allocator) (*Engine, Conn) {
	t.Helper()
	return openWith(t, Options{Store: store, Alloc: mem})
}

// openWith opens an engine with opts and connects to it as user test.
func openWith(t *testing.T, opts Options) (*Engine, Conn) {
	t.Helper()
	e, err := Open(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	c, err := e.Connect(context.Background(), "test", "test")
	if err != nil {
		e.Close()
		t.Fatal(err)
	}
	return e, c
}

// reopen closes c and e and opens the engine kept in store again, as after a restart.
func reopen(t *testing.T, e *Engine, c Conn, store objstore.Store, mem memory.Allocator) (*Engine, Conn) {
	t.Helper()
	c.Close()
	e.Close()
	return open(t, store, mem)
}

// localStore opens the store kept in directory dir.
func localStore(t *testing.T, dir string) objstore.Store {
	t.Helper()
	store, err := objstore.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	return store
}

func TestQueries(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	_, c := open(t, objstore.NewMem(), mem)
	run(t, c, "CREATE TABLE t (k bigint, v text, n numeric(10,2)) WITH (row_keys = 'k', split_points = '10,20,30')")
	_, tag := run(t, c, "INSERT INTO t VALUES (1, 'a', 1.5), (15, 'b', 2.25), (25, NULL, NULL), (35, 'd', 4)")
	if tag != "INSERT 0 4" {
		t.Errorf("tag %q", tag)
	}
	for _, tc := range []struct {
		q    string
		want string
	}{
		{"SELECT * FROM t ORDER BY k", "1 a 1.5|15 b 2.25|25 (null) (null)|35 d 4"},
		{"SELECT k, v FROM t WHERE k = 15", "15 b"},
		{"SELECT k FROM t WHERE k IN (1, 35, 36) ORDER BY k DESC", "35|1"},
		{"SELECT k FROM t WHERE k BETWEEN 10 AND 30 AND NOT v IS NULL", "15"},
		{"SELECT count(*), sum(k), min(v), max(n) FROM t", "4 76 a 4"},
		{"SELECT v IS NULL AS isn, count(*) FROM t GROUP BY 1 ORDER BY 1", "false 3|true 1"},
		{"SELECT k FROM t ORDER BY k LIMIT 2 OFFSET 1", "15|25"},
		{"SELECT 1 + 2, 'x' || 'y', 10 / 3", "3 xy 3"},
		{"SELECT count(*) FROM t WHERE k > 1000", "0"},
	} {
		rows, _ := run(t, c, tc.q)
		var got []string
		for _, r := range rows {
			got = append(got, strings.Join(r, " "))
		}
		if g := strings.Join(got, "|"); g != tc.want {
			t.Errorf("%s\n got %s\nwant %s", tc.q, g, tc.want)
		}
	}
}

// TestPointLookupReadsOneLeaf proves through the scan counters that a point lookup on the row
// key reads only the files of the one leaf that can hold the key.
func TestPointLookupReadsOneLeaf(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	e, c := open(t, objstore.NewMem(), mem)
	run(t, c, "CREATE TABLE t (k int, v text) WITH (row_keys = 'k', split_points = '100,200,300')")
	// Two inserts, so every leaf has two files.
	run(t, c, "INSERT INTO t VALUES (1, 'a'), (150, 'b'), (250, 'c'), (350, 'd')")
	run(t, c, "INSERT INTO t VALUES (2, 'e'), (151, 'f'), (251, 'g'), (351, 'h')")

	plan, _ := run(t, c, "EXPLAIN SELECT * FROM t WHERE k = 151")
	if !strings.Contains(plan[len(plan)-1][0], "partitions=1/4") {
		t.Fatalf("plan does not prune to one leaf:\n%v", plan)
	}
	state, err := e.ss.Snapshot(context.Background(), mustTable(t, e, "t").StateID())
	if err != nil {
		t.Fatal(err)
	}
	leaf := state.LeafFor(keyOf(t, int32(151)))
	var leafFiles []string
	for _, r := range state.ReadFiles(leaf.ID) {
		leafFiles = append(leafFiles, r.File)
	}
	if len(leafFiles) != 2 || len(state.Files()) != 8 {
		t.Fatalf("expected 2 files in the leaf and 8 in all, got %d and %d", len(leafFiles), len(state.Files()))
	}

	before := e.Metrics().Files()
	rows, _ := run(t, c, "SELECT v FROM t WHERE k = 151")
	if len(rows) != 1 || rows[0][0] != "f" {
		t.Fatalf("got %v", rows)
	}
	var read []string
	for _, f := range e.Metrics().Files() {
		if !slices.Contains(before, f) {
			read = append(read, f)
		}
	}
	// The scan may skip a file of the leaf whose key range misses the key, never read one of
	// another leaf.
	if len(read) == 0 {
		t.Errorf("point lookup read no file")
	}
	for _, f := range read {
		if !slices.Contains(leafFiles, f) {
			t.Errorf("point lookup read %s, which is not among the leaf's files %v", f, leafFiles)
		}
	}

	// A full scan reads every file.
	rows, _ = run(t, c, "SELECT count(*) FROM t")
	if rows[0][0] != "8" {
		t.Errorf("count %v", rows)
	}
	if got := len(e.Metrics().Files()); got != 8 {
		t.Errorf("full scan read %d distinct files, want 8", got)
	}
}

func TestPreparedParameters(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	_, c := open(t, objstore.NewMem(), mem)
	run(t, c, "CREATE TABLE t (k bigint, v text, d date) WITH (row_keys = 'k', split_points = '10')")
	run(t, c, "INSERT INTO t VALUES ($1, $2, $3), (20, 'y', '2024-02-29')", int64(5), "x", "2024-01-01")
	st, err := c.Prepare(context.Background(), "SELECT v, d FROM t WHERE k = $1", nil)
	if err != nil {
		t.Fatal(err)
	}
	if pt := st.ParamTypes(); len(pt) != 1 || pt[0].ID() != arrow.INT64 {
		t.Fatalf("param types %v", pt)
	}
	for _, tc := range []struct {
		param any
		want  string
	}{{int64(5), "x 2024-01-01"}, {"20", "y 2024-02-29"}, {int64(6), ""}} {
		rows, _ := run(t, c, "SELECT v, d FROM t WHERE k = $1", tc.param)
		got := ""
		if len(rows) > 0 {
			got = strings.Join(rows[0], " ")
		}
		if got != tc.want {
			t.Errorf("k = %v: got %q want %q", tc.param, got, tc.want)
		}
	}
}

func TestErrorKinds(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	_, c := open(t, objstore.NewMem(), mem)
	run(t, c, "CREATE TABLE t (k int, v text) WITH (row_keys = 'k')")
	run(t, c, "INSERT INTO t VALUES (1, 'a')")
	for _, tc := range []struct {
		q    string
		kind error
	}{
		{"SELECT * FROM nope", errs.UndefinedTable},
		{"SELECT nope FROM t", errs.UndefinedColumn},
		{"SELEC 1", errs.Syntax},
		{"SELECT k / 0 FROM t", errs.DivisionByZero},
		{"SELECT 2147483647 + k FROM t", errs.NumericRange},
		{"SELECT 'abc'::int", errs.InvalidText},
		{"CREATE TABLE t (k int)", errs.DuplicateTable},
		{"INSERT INTO t VALUES (NULL, 'x')", errs.NotNullViolation},
		{"SELECT v, count(*) FROM t", errs.Grouping},
		{"SELECT k FROM t WHERE v", errs.DatatypeMismatch},
	} {
		_, _, err := tryRun(c, tc.q)
		if !errors.Is(err, tc.kind) {
			t.Errorf("%s: got %v (kind %v), want kind %v", tc.q, err, errs.KindOf(err), tc.kind)
		}
	}
	// The connection still works, and the failed insert left nothing behind.
	rows, _ := run(t, c, "SELECT count(*) FROM t")
	if rows[0][0] != "1" {
		t.Errorf("count after errors: %v", rows)
	}
}

func TestTablesSurviveReopen(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	dir := t.TempDir()
	store := localStore(t, dir)
	_, c := open(t, store, mem)
	run(t, c, "CREATE TABLE t (k text, v double precision) WITH (row_keys = 'k', split_points = 'm')")
	run(t, c, "INSERT INTO t VALUES ('a', 1.5), ('z', -2)")
	run(t, c, "CREATE TABLE gone (k int PRIMARY KEY)")
	run(t, c, "DROP TABLE gone")

	store2 := localStore(t, dir)
	_, c2 := open(t, store2, mem)
	rows, _ := run(t, c2, "SELECT k, v FROM t ORDER BY k")
	if len(rows) != 2 || strings.Join(rows[0], " ") != "a 1.5" || strings.Join(rows[1], " ") != "z -2" {
		t.Errorf("after reopen: %v", rows)
	}
	tables, _ := run(t, c2, "SHOW TABLES")
	if len(tables) != 1 || tables[0][0] != "t" {
		t.Errorf("tables after reopen: %v", tables)
	}
}

func TestDemo(t *testing.T) {
	e, c := open(t, objstore.NewMem(), nil)
	if err := e.EnsureDemo(context.Background(), 20_000); err != nil {
		t.Fatal(err)
	}
	if err := e.EnsureDemo(context.Background(), 20_000); err != nil {
		t.Fatal(err)
	}
	rows, _ := run(t, c, "SELECT count(*), count(value2) < count(*) FROM demo")
	if rows[0][0] != "20000" || rows[0][1] != "true" {
		t.Errorf("demo: %v", rows)
	}
	plan, _ := run(t, c, "EXPLAIN SELECT * FROM demo WHERE key = 'abc'")
	if !strings.Contains(plan[len(plan)-1][0], "partitions=1/4") {
		t.Errorf("demo plan: %v", plan)
	}
}

func mustTable(t *testing.T, e *Engine, name string) *catalog.Table {
	t.Helper()
	tb, err := e.cat.Table(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return tb
}

func keyOf(t *testing.T, v any) []byte {
	t.Helper()
	k, err := keys.AppendGo(nil, arrow.PrimitiveTypes.Int32, v)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestDistinctAndILike(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	_, c := open(t, objstore.NewMem(), mem)
	run(t, c, "CREATE TABLE t (k int PRIMARY KEY, v text)")
	run(t, c, "INSERT INTO t VALUES (1, 'Apple'), (2, 'apple'), (3, 'Pear'), (4, 'apple')")
	rows, _ := run(t, c, "SELECT DISTINCT v FROM t ORDER BY v")
	if len(rows) != 3 || rows[0][0] != "Apple" || rows[1][0] != "Pear" || rows[2][0] != "apple" {
		t.Errorf("DISTINCT: %v", rows)
	}
	rows, _ = run(t, c, "SELECT count(*) FROM t WHERE v ILIKE 'a%'")
	if rows[0][0] != "3" {
		t.Errorf("ILIKE: %v", rows)
	}
	rows, _ = run(t, c, "SELECT count(*) FROM t WHERE v NOT ILIKE 'A%'")
	if rows[0][0] != "1" {
		t.Errorf("NOT ILIKE: %v", rows)
	}
}
