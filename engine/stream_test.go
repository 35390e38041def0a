package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/storage/objstore"
)

// watchStream records the events of testStream until the test ends.
func watchStream(t *testing.T) func() []string {
	var mu sync.Mutex
	var events []string
	f := func(ev string) {
		mu.Lock()
		events = append(events, ev)
		mu.Unlock()
	}
	testStream.Store(&f)
	t.Cleanup(func() { testStream.Store(nil) })
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		out := events
		events = nil
		return out
	}
}

// txns is how many transactions table has committed.
func txns(t *testing.T, c Conn, table string) int {
	t.Helper()
	rows, _ := run(t, c, "SELECT count(*) FROM sleeper.transactions WHERE table_name = '"+table+"'")
	n, err := strconv.Atoi(rows[0][0])
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// intBatches builds batches of (k bigint, s text) rows from..to-1, per rows each, with s a
// string of pad bytes.
func intBatches(mem memory.Allocator, from, to, per, pad int) []arrow.RecordBatch {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "k", Type: arrow.PrimitiveTypes.Int64},
		{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	s := strings.Repeat("x", pad)
	var out []arrow.RecordBatch
	for start := from; start < to; start += per {
		bld := array.NewRecordBuilder(mem, schema)
		for i := start; i < min(start+per, to); i++ {
			bld.Field(0).(*array.Int64Builder).Append(int64(i))
			bld.Field(1).(*array.StringBuilder).Append(s)
		}
		out = append(out, bld.NewRecordBatch())
		bld.Release()
	}
	return out
}

// The statements that write a query's rows stream them into the table: each source batch is
// appended as it comes, before the source is exhausted, and the statement commits once, at
// the end; INSERT INTO t SELECT ... FROM t does not see its own rows.
func TestWritesStream(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	e, c := open(t, objstore.NewMem(), mem)
	defer e.Close()
	run(t, c, "CREATE TABLE t (k bigint PRIMARY KEY, s text)")
	src := intBatches(mem, 0, 50_000, 10_000, 10)
	if n, err := e.Append(context.Background(), "t", src); err != nil || n != 50_000 {
		t.Fatalf("Append: %d, %v", n, err)
	}
	releaseAll(src)
	events := watchStream(t)
	for _, tc := range []struct {
		table, sql, tag string
		count           string
	}{
		{"t2", "CREATE TABLE t2 AS SELECT k, s FROM t", "SELECT 50000", "50000"},
		{"t2", "INSERT INTO t2 SELECT k + 50000, s FROM t2", "INSERT 0 50000", "100000"},
		{"t", "UPDATE t SET s = 'y' WHERE k % 2 = 0", "UPDATE 25000", "50000"},
		{"t", "DELETE FROM t WHERE k >= 10000", "DELETE 40000", "10000"},
	} {
		before := 0
		if tc.table == "t" || !strings.HasPrefix(tc.sql, "CREATE") {
			before = txns(t, c, tc.table)
		}
		events()
		if _, tag := run(t, c, tc.sql); tag != tc.tag {
			t.Errorf("%s: tag %q, want %q", tc.sql, tag, tc.tag)
		}
		ev := events()
		batches := 0
		for _, x := range ev {
			if x == "batch" {
				batches++
			}
		}
		// The source yields several batches; the first is appended before the source's end.
		if batches < 2 || ev[0] != "batch" || ev[len(ev)-2] != "eof" || ev[len(ev)-1] != "commit" {
			t.Errorf("%s: events %v, want batches appended, then eof, then one commit", tc.sql, ev)
		}
		after := txns(t, c, tc.table)
		if tc.table == "t" || !strings.HasPrefix(tc.sql, "CREATE") {
			if after != before+1 {
				t.Errorf("%s: %d transactions, want 1", tc.sql, after-before)
			}
		}
		if rows, _ := run(t, c, "SELECT count(*) FROM "+tc.table); rows[0][0] != tc.count {
			t.Errorf("after %s: %s rows in %s, want %s", tc.sql, rows[0][0], tc.table, tc.count)
		}
	}
	if rows, _ := run(t, c, "SELECT count(*), min(k), max(k), count(DISTINCT k) FROM t2"); fmt.Sprint(rows) != "[[100000 0 99999 100000]]" {
		t.Errorf("t2: %v", rows)
	}
	if rows, _ := run(t, c, "SELECT count(*) FROM t WHERE s = 'y'"); rows[0][0] != "5000" {
		t.Errorf("updated rows left: %v", rows)
	}
}

// A statement that fails part way through its source commits nothing, and a CREATE TABLE AS
// that fails drops its table.
func TestWriteFailsPartWay(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	e, c := open(t, objstore.NewMem(), mem)
	defer e.Close()
	run(t, c, "CREATE TABLE t (k bigint PRIMARY KEY, s text)")
	src := intBatches(mem, 0, 50_000, 10_000, 10)
	if _, err := e.Append(context.Background(), "t", src); err != nil {
		t.Fatal(err)
	}
	releaseAll(src)
	run(t, c, "CREATE TABLE u (k bigint PRIMARY KEY, s text NOT NULL)")
	before := txns(t, c, "u")
	events := watchStream(t)
	// The last rows have a NULL s, which u refuses: earlier batches were appended already.
	_, _, err := tryRun(c, "INSERT INTO u SELECT k, CASE WHEN k < 49000 THEN s END FROM t ORDER BY k")
	if !errors.Is(err, errs.NotNullViolation) {
		t.Fatalf("INSERT with NULLs at the end: %v, want not-null violation", err)
	}
	if ev := events(); len(ev) < 2 || ev[0] != "batch" {
		t.Errorf("events %v: want batches appended before the failure", ev)
	}
	if n := txns(t, c, "u"); n != before {
		t.Errorf("failed INSERT committed %d transactions", n-before)
	}
	if rows, _ := run(t, c, "SELECT count(*) FROM u"); rows[0][0] != "0" {
		t.Errorf("failed INSERT left %s rows", rows[0][0])
	}
	_, _, err = tryRun(c, "CREATE TABLE v AS SELECT k, 1 / (k - 49000) AS x FROM t ORDER BY k")
	if !errors.Is(err, errs.DivisionByZero) {
		t.Fatalf("CREATE TABLE AS dividing by zero: %v", err)
	}
	if _, _, err := tryRun(c, "SELECT * FROM v"); !errors.Is(err, errs.UndefinedTable) {
		t.Errorf("table of a failed CREATE TABLE AS: %v, want it dropped", err)
	}
}

// TestInsertSelectMemoryBounded copies a table of about 80 MiB with INSERT ... SELECT under
// a 32 MiB statement limit : the statement streams its rows, so it holds only what the ingest
// writer keeps before spilling (ImportMemory) plus a few batches; were the writer to keep
// every row, they would count against the statement's limit and the statement would fail
// with 53200.
func TestInsertSelectMemoryBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("loads 80 MiB")
	}
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	e, c := openWith(t, Options{Store: objstore.NewMem(), Alloc: mem,
		QueryMemoryLimit: 32 << 20, ImportMemory: 2 << 20, SpillDir: t.TempDir()})
	defer e.Close()
	// t1's row groups are small and it has no primary key, so a scan of it holds a few
	// thousand rows at a time, not one row group per file.
	run(t, c, "CREATE TABLE t1 (k bigint, s text) WITH (row_keys = 'k', row_group_rows = '4096')")
	run(t, c, "CREATE TABLE t2 (k bigint PRIMARY KEY, s text)")
	for start := 0; start < 200_000; start += 20_000 {
		// Engine.Append uses the engine's allocator, without the statement limit.
		src := intBatches(mem, start, start+20_000, 4_096, 400)
		_, err := e.Append(context.Background(), "t1", src)
		releaseAll(src)
		if err != nil {
			t.Fatal(err)
		}
	}
	_, tag, err := tryRun(c, "INSERT INTO t2 SELECT * FROM t1")
	if err != nil || tag != "INSERT 0 200000" {
		t.Fatalf("INSERT ... SELECT: %s, %v", tag, err)
	}
	if rows, _ := run(t, c, "SELECT count(*), sum(k), sum(length(s)) FROM t2"); fmt.Sprint(rows) != "[[200000 19999900000 80000000]]" {
		t.Errorf("t2: %v", rows)
	}
}

// TestSpillArea checks that a write spills into a directory of the engine's own under
// SpillDir, removed on Close, and that making one removes the directories of processes that
// died (whose lock nobody holds) but not those of live ones.
func TestSpillArea(t *testing.T) {
	parent := t.TempDir()
	dead := filepath.Join(parent, spillPrefix+"dead")
	if err := os.MkdirAll(dead, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"lock", "run-1"} {
		if err := os.WriteFile(filepath.Join(dead, f), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	other := &spillArea{parent: parent}
	live, err := other.path()
	if err != nil {
		t.Fatal(err)
	}
	defer other.close()
	if _, err := os.Stat(dead); !os.IsNotExist(err) {
		t.Fatalf("the spill directory of a dead process is still there: %v", err)
	}
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	e, c := openWith(t, Options{Store: objstore.NewMem(), Alloc: mem, ImportMemory: 1 << 20, SpillDir: parent})
	run(t, c, "CREATE TABLE s (k bigint PRIMARY KEY, v text)")
	if _, tag, err := tryRun(c, "INSERT INTO s SELECT g, repeat('x', 100) FROM generate_series(1, 50000) g"); err != nil || tag != "INSERT 0 50000" {
		t.Fatalf("INSERT: %s %v", tag, err)
	}
	if s := e.SpillStats(); s.Writes != 1 || s.SpilledWrites != 1 || s.Rows != 50000 || s.Runs < 2 || s.BytesSpilled <= 0 || s.PeakBytes <= 0 || s.PeakBytes > 1<<20 {
		t.Errorf("SpillStats after a 50,000-row INSERT under a 1 MiB budget: %+v", s)
	}
	own := e.spill.dir
	if own == "" || filepath.Dir(own) != parent || own == live {
		t.Fatalf("engine spill directory %q, want a new one under %s", own, parent)
	}
	if _, err := os.Stat(live); err != nil {
		t.Fatalf("the spill directory of a live process was removed: %v", err)
	}
	if rows, _ := run(t, c, "SELECT count(*), sum(k) FROM s"); fmt.Sprint(rows) != "[[50000 1250025000]]" {
		t.Errorf("s: %v", rows)
	}
	e.Close()
	if _, err := os.Stat(own); !os.IsNotExist(err) {
		t.Errorf("Close left the spill directory %s: %v", own, err)
	}
}
