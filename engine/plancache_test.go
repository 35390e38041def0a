package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/catalog"
	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/exec"
	"github.com/sleeperd/sleeperd/storage/objstore"
)

// prepared is a statement prepared once and executed many times, as pgwire's extended
// protocol does.
type prepared struct {
	t  *testing.T
	st Statement
}

func prepare(t *testing.T, c Conn, q string) *prepared {
	t.Helper()
	st, err := c.Prepare(context.Background(), q, nil)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	t.Cleanup(func() { st.Close() })
	return &prepared{t: t, st: st}
}

// rows executes the statement with params and returns its rows as in run, joined by "|".
func (p *prepared) rows(params ...any) string {
	p.t.Helper()
	out, err := p.try(params...)
	if err != nil {
		p.t.Fatalf("execute %v: %v", params, err)
	}
	return out
}

func (p *prepared) try(params ...any) (string, error) {
	ctx := context.Background()
	r, err := p.st.Execute(ctx, params)
	if err != nil {
		return "", err
	}
	defer r.Close()
	var rows []string
	for {
		b, err := r.Next(ctx)
		if err != nil {
			if err.Error() == "EOF" {
				break
			}
			return "", err
		}
		for i := 0; i < int(b.NumRows()); i++ {
			var cells []string
			for j := 0; j < int(b.NumCols()); j++ {
				cells = append(cells, b.Column(j).ValueStr(i))
			}
			rows = append(rows, strings.Join(cells, " "))
		}
		b.Release()
	}
	return strings.Join(rows, "|"), nil
}

// kept is the statement's kept plan, failing the test when it has none.
func (p *prepared) kept() *keptPlan {
	p.t.Helper()
	k := p.st.(*statement).kept
	if k == nil {
		p.t.Fatal("the statement's plan was not kept")
	}
	return k
}

// scanOf plans the kept plan's one deferred scan for an execution with params, as an
// execution would, and returns the table scan it reads with.
func scanOf(t *testing.T, e *Engine, k *keptPlan, params ...any) *catalog.Scan {
	t.Helper()
	var find func(op exec.Operator) *deferredScan
	find = func(op exec.Operator) *deferredScan {
		if d, ok := op.(*deferredScan); ok {
			return d
		}
		for _, c := range op.Children() {
			if d := find(c); d != nil {
				return d
			}
		}
		return nil
	}
	d := find(k.op)
	if d == nil {
		t.Fatal("no deferred scan in the kept plan")
	}
	x := &execution{e: e, params: params}
	defer x.release()
	op, err := d.plan(context.WithValue(context.Background(), executionKey{}, x))
	if err != nil {
		t.Fatal(err)
	}
	for op != nil {
		if s, ok := op.(*catalog.Scan); ok {
			return s
		}
		cs := op.Children()
		if len(cs) != 1 {
			break
		}
		op = cs[0]
	}
	t.Fatalf("no table scan under %s", op)
	return nil
}

func TestKeptPlanSeesNewData(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	_, c := open(t, objstore.NewMem(), mem)
	run(t, c, "CREATE TABLE t (id bigint PRIMARY KEY, v bigint, s text) WITH (split_points = '100,200')")
	run(t, c, "INSERT INTO t VALUES (1, 10, 'a'), (150, 20, 'b'), (250, 30, 'c')")
	point := prepare(t, c, "SELECT v, s FROM t WHERE id = $1")
	rng := prepare(t, c, "SELECT count(*), sum(v) FROM t WHERE id BETWEEN $1 AND $2 + 99")
	for _, want := range []struct {
		p      *prepared
		params []any
		rows   string
	}{
		{point, []any{int64(1)}, "10 a"},
		{point, []any{int64(150)}, "20 b"},
		{point, []any{"250"}, "30 c"}, // text converted to the parameter's type
		{point, []any{int64(2)}, ""},
		{rng, []any{int64(100), int64(100)}, "1 20"},
		{rng, []any{int64(0), int64(200)}, "3 60"},
	} {
		if got := want.p.rows(want.params...); got != want.rows {
			t.Errorf("%v: got %q, want %q", want.params, got, want.rows)
		}
	}
	point.kept()
	rng.kept()
	run(t, c, "INSERT INTO t VALUES (2, 40, 'd'), (150, 50, 'e') ON CONFLICT (id) DO UPDATE SET v = excluded.v, s = excluded.s")
	if got := point.rows(int64(2)); got != "40 d" {
		t.Errorf("new row: got %q", got)
	}
	if got := point.rows(int64(150)); got != "50 e" {
		t.Errorf("replaced row: got %q", got)
	}
	if got := rng.rows(int64(0), int64(200)); got != "4 130" {
		t.Errorf("range after insert: got %q", got)
	}
	// Each execution prunes by its own parameters.
	e := c.(*conn).e
	if s := scanOf(t, e, point.kept(), int64(150)).String(); !strings.Contains(s, "partitions=1/3") {
		t.Errorf("point lookup scan: %s", s)
	}
	if s := scanOf(t, e, rng.kept(), int64(50), int64(200)).String(); !strings.Contains(s, "partitions=3/3") {
		t.Errorf("range scan: %s", s)
	}
	if s := scanOf(t, e, rng.kept(), int64(100), int64(100)).String(); !strings.Contains(s, "partitions=1/3") {
		t.Errorf("range scan: %s", s)
	}
	// A parameter that does not convert fails the execution, not the plan.
	if _, err := point.try("x"); !errors.Is(err, errs.InvalidText) {
		t.Errorf("bad parameter: %v", err)
	}
	if got := point.rows(int64(1)); got != "10 a" {
		t.Errorf("after a failed execution: got %q", got)
	}
}

func TestKeptPlanSeesSplitPartitions(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	e, c := open(t, objstore.NewMem(), mem)
	run(t, c, "CREATE TABLE s (k bigint PRIMARY KEY, v text) WITH (split_threshold = 100, gc_delay = '0s')")
	var vals []string
	for i := 0; i < 400; i++ {
		vals = append(vals, "("+itoa(i)+", 'v"+itoa(i)+"')")
	}
	run(t, c, "INSERT INTO s VALUES "+strings.Join(vals, ","))
	p := prepare(t, c, "SELECT v FROM s WHERE k = $1")
	if got := p.rows(int64(123)); got != "v123" {
		t.Fatalf("got %q", got)
	}
	if got := p.rows(int64(321)); got != "v321" {
		t.Fatalf("got %q", got)
	}
	if s := scanOf(t, e, p.kept(), int64(123)).String(); !strings.Contains(s, "partitions=1/1") {
		t.Fatalf("before the split: %s", s)
	}
	for i := 0; i < 4; i++ {
		run(t, c, "VACUUM s")
	}
	leaves, _ := run(t, c, "SELECT count(*) FROM sleeper.partitions WHERE table_name = 's' AND leaf")
	if leaves[0][0] == "1" {
		t.Fatal("no split happened")
	}
	run(t, c, "INSERT INTO s VALUES (1000, 'new'), (123, 'w123') ON CONFLICT (k) DO UPDATE SET v = excluded.v")
	for k, want := range map[int64]string{123: "w123", 321: "v321", 1000: "new", 0: "v0", 399: "v399"} {
		if got := p.rows(k); got != want {
			t.Errorf("k = %d: got %q, want %q", k, got, want)
		}
	}
	if s := scanOf(t, e, p.kept(), int64(123)).String(); !strings.Contains(s, "partitions=1/"+leaves[0][0]) {
		t.Errorf("after the split: %s", s)
	}
}

func TestKeptPlanDroppedTable(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	_, c := open(t, objstore.NewMem(), mem)
	run(t, c, "CREATE TABLE t (id bigint PRIMARY KEY, v text)")
	run(t, c, "INSERT INTO t VALUES (1, 'old')")
	p := prepare(t, c, "SELECT v FROM t WHERE id = $1")
	p.rows(int64(1))
	if got := p.rows(int64(1)); got != "old" {
		t.Fatalf("got %q", got)
	}
	p.kept()

	run(t, c, "DROP TABLE t")
	if _, err := p.try(int64(1)); !errors.Is(err, errs.UndefinedTable) {
		t.Errorf("dropped table: %v", err)
	}
	run(t, c, "CREATE TABLE t (id bigint PRIMARY KEY, v text) WITH (split_points = '5')")
	run(t, c, "INSERT INTO t VALUES (1, 'new'), (7, 'seven')")
	if got := p.rows(int64(1)); got != "new" {
		t.Errorf("recreated table: got %q", got)
	}
	if got := p.rows(int64(7)); got != "seven" {
		t.Errorf("recreated table: got %q", got)
	}
	p.kept()
	// Any change to the catalog binds the statement again, even one that leaves its table.
	run(t, c, "CREATE TABLE other (id int PRIMARY KEY)")
	if got := p.rows(int64(7)); got != "seven" {
		t.Errorf("after another table's creation: got %q", got)
	}

	run(t, c, "DROP TABLE t")
	run(t, c, "CREATE TABLE t (id bigint PRIMARY KEY, v bigint)")
	if _, err := p.try(int64(1)); !errors.Is(err, errs.NotImplemented) || !strings.Contains(err.Error(), "cached plan must not change result type") {
		t.Errorf("changed result type: %v", err)
	}
}

// TestKeptPlanEvaluatesPerExecution checks that a kept plan does not freeze what depends on
// when and where it runs: the session's time zone here.
func TestKeptPlanEvaluatesPerExecution(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	_, c := open(t, objstore.NewMem(), mem)
	run(t, c, "CREATE TABLE t (id bigint PRIMARY KEY)")
	run(t, c, "INSERT INTO t VALUES (1)")
	p := prepare(t, c, "SELECT CAST(CAST('2024-01-01 12:00:00+00' AS timestamptz) AS text) FROM t WHERE id = $1")
	run(t, c, "SET TIME ZONE 'UTC'")
	p.rows(int64(1))
	if got := p.rows(int64(1)); got != "2024-01-01 12:00:00+00" {
		t.Errorf("UTC: got %q", got)
	}
	p.kept()
	run(t, c, "SET TIME ZONE 'Asia/Tokyo'")
	if got := p.rows(int64(1)); got != "2024-01-01 21:00:00+09" {
		t.Errorf("Tokyo: got %q", got)
	}
}

// TestKeptPlanOtherProcess checks that a kept plan sees a table another engine on the same
// store dropped and created again, once the catalog is read again (catalogRecheck).
func TestKeptPlanOtherProcess(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	store := objstore.NewMem()
	e, c := open(t, store, mem)
	run(t, c, "CREATE TABLE t (id bigint PRIMARY KEY, v text)")
	run(t, c, "INSERT INTO t VALUES (1, 'old')")
	p := prepare(t, c, "SELECT v FROM t WHERE id = $1")
	p.rows(int64(1))
	if got := p.rows(int64(1)); got != "old" {
		t.Fatalf("got %q", got)
	}
	p.kept()

	e2, c2 := open(t, store, mem)
	defer e2.Close()
	run(t, c2, "DROP TABLE t")
	run(t, c2, "CREATE TABLE t (id bigint PRIMARY KEY, v text)")
	run(t, c2, "INSERT INTO t VALUES (1, 'new')")
	e.catalogRead.Store(0) // as if catalogRecheck had passed
	if got := p.rows(int64(1)); got != "new" {
		t.Errorf("after the other engine recreated t: got %q", got)
	}
}

// twoLocalEngines opens an engine over a local store in a new folder, runs setup on it, and
// opens a second engine over the same store; it returns the first with a connection to each.
// Both close when the test ends, after which no Arrow memory may be left.
func twoLocalEngines(t *testing.T, setup ...string) (*Engine, Conn, Conn) {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	t.Cleanup(func() { mem.AssertSize(t, 0) })
	store := localStore(t, t.TempDir())
	e, c := open(t, store, mem)
	t.Cleanup(func() { e.Close() })
	for _, q := range setup {
		run(t, c, q)
	}
	e2, c2 := open(t, store, mem)
	t.Cleanup(func() { e2.Close() })
	return e, c, c2
}

// TestKeptPlanSeesOtherEngineCommits checks that each execution of a kept plan sees every
// row another engine on the same local store committed before it, also once the table's
// log has settled and a refresh may answer from the log's unchanged stamp: the commit
// changes the stamp, so the next execution reads the log.
func TestKeptPlanSeesOtherEngineCommits(t *testing.T) {
	_, c, c2 := twoLocalEngines(t,
		"CREATE TABLE t (id bigint PRIMARY KEY, v text)",
		"INSERT INTO t VALUES (1, 'v0')")
	p := prepare(t, c, "SELECT v FROM t WHERE id = $1")
	for i := 1; i <= 3; i++ {
		// Past the stamp's settling time (objstore's stampSettle), so that the previous
		// execution's refresh could keep its state by the log's stamp.
		time.Sleep(1100 * time.Millisecond)
		p.rows(int64(1))
		p.rows(int64(1))
		want := fmt.Sprintf("v%d", i)
		run(t, c2, fmt.Sprintf("UPDATE t SET v = '%s' WHERE id = 1", want))
		if got := p.rows(int64(1)); got != want {
			t.Fatalf("after the other engine's commit %d: got %q, want %q", i, got, want)
		}
	}
	p.kept()
}

// TestKeptPlanPrunedScanReuse checks the scans a deferred scan keeps: an execution with the
// same parameter values over the same table state reuses the scan planned before, and any
// other parameter value, and any change of the table's state (a write, a compaction, a
// split, an ALTER TABLE) plans a new one, so that no execution reads by a stale plan.
func TestKeptPlanPrunedScanReuse(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	e, c := open(t, objstore.NewMem(), mem)
	run(t, c, "CREATE TABLE s (k bigint PRIMARY KEY, v text) WITH (split_threshold = 100, gc_delay = '0s')")
	var vals []string
	for i := 0; i < 400; i++ {
		vals = append(vals, "("+itoa(i)+", 'v"+itoa(i)+"')")
	}
	run(t, c, "INSERT INTO s VALUES "+strings.Join(vals, ","))
	p := prepare(t, c, "SELECT v FROM s WHERE k = $1")
	p.rows(int64(1))
	p.rows(int64(1))
	k := p.kept()

	// Same state and parameter: the same scan. Another parameter: another scan, of its key.
	first := scanOf(t, e, k, int64(123))
	if again := scanOf(t, e, k, int64(123)); again != first {
		t.Errorf("same state and parameter planned again: %s", again)
	}
	if other := scanOf(t, e, k, int64(321)); other == first {
		t.Errorf("parameter 321 served the scan planned for 123: %s", other)
	}
	if other := scanOf(t, e, k, "123"); other == first {
		t.Errorf("parameter '123' (text) served the scan planned for int64 123: %s", other)
	}
	// Executions alternating between a few parameters each get their own row.
	for i := 0; i < 3; i++ {
		for _, key := range []int64{123, 321, 7, 123, 399} {
			if got, want := p.rows(key), "v"+itoa(int(key)); got != want {
				t.Fatalf("k = %d: got %q, want %q", key, got, want)
			}
		}
	}

	// A write is a new state.
	run(t, c, "INSERT INTO s VALUES (123, 'w123') ON CONFLICT (k) DO UPDATE SET v = excluded.v")
	if got := p.rows(int64(123)); got != "w123" {
		t.Errorf("after the write: got %q", got)
	}
	if s := scanOf(t, e, k, int64(123)); s == first {
		t.Errorf("after the write the scan planned before it served: %s", s)
	}

	// Compaction and splitting: new states, the old files collected (gc_delay 0s), and a
	// new partitioning the same parameter must prune by.
	before := scanOf(t, e, k, int64(123))
	if !strings.Contains(before.String(), "partitions=1/1") {
		t.Fatalf("before the split: %s", before)
	}
	for i := 0; i < 4; i++ {
		run(t, c, "VACUUM s")
	}
	leaves, _ := run(t, c, "SELECT count(*) FROM sleeper.partitions WHERE table_name = 's' AND leaf")
	if leaves[0][0] == "1" {
		t.Fatal("no split happened")
	}
	for _, key := range []int64{123, 321, 0, 399} {
		want := "v" + itoa(int(key))
		if key == 123 {
			want = "w123"
		}
		if got := p.rows(key); got != want {
			t.Errorf("after compaction and split, k = %d: got %q, want %q", key, got, want)
		}
	}
	after := scanOf(t, e, k, int64(123))
	if after == before || !strings.Contains(after.String(), "partitions=1/"+leaves[0][0]) {
		t.Errorf("after the split: %s", after)
	}

	// ALTER TABLE: the statement is bound again with a new plan, over the new state.
	run(t, c, "ALTER TABLE s ADD COLUMN w bigint")
	run(t, c, "UPDATE s SET w = 5, v = 'altered' WHERE k = 123")
	if got := p.rows(int64(123)); got != "altered" {
		t.Errorf("after ALTER TABLE: got %q", got)
	}
	if got := p.rows(int64(123)); got != "altered" {
		t.Errorf("after ALTER TABLE, again: got %q", got)
	}
}

// TestKeptPlanConstantFilterSeesWrites checks a prepared query without parameters, whose
// every execution would reuse the scan planned for the table's state: each still sees the
// writes before it, its own engine's and another's on the same store.
func TestKeptPlanConstantFilterSeesWrites(t *testing.T) {
	e, c, c2 := twoLocalEngines(t,
		"CREATE TABLE t (id bigint PRIMARY KEY, v text) WITH (split_points = '10')",
		"INSERT INTO t VALUES (5, 'a'), (15, 'b')")
	p := prepare(t, c, "SELECT v FROM t WHERE id = 5")
	for i := 0; i < 3; i++ {
		if got := p.rows(); got != "a" {
			t.Fatalf("got %q", got)
		}
	}
	k := p.kept()
	if a, b := scanOf(t, e, k), scanOf(t, e, k); a != b {
		t.Errorf("same state planned again: %s", b)
	}
	run(t, c, "UPDATE t SET v = 'mine' WHERE id = 5")
	if got := p.rows(); got != "mine" {
		t.Errorf("after this engine's update: got %q", got)
	}
	run(t, c2, "UPDATE t SET v = 'theirs' WHERE id = 5")
	if got := p.rows(); got != "theirs" {
		t.Errorf("after the other engine's update: got %q", got)
	}
	run(t, c2, "DELETE FROM t WHERE id = 5")
	if got := p.rows(); got != "" {
		t.Errorf("after the other engine's delete: got %q", got)
	}
}

// TestKeptPlanConcurrentExecutions runs a kept self-join (two deferred scans of one table,
// each keeping its planned scans) from several connections at once while another writes:
// each execution returns the row of its own parameter as of a state at least as new as the
// last write before it began (run it with -race).
func TestKeptPlanConcurrentExecutions(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	e, c := open(t, objstore.NewMem(), mem)
	run(t, c, "CREATE TABLE t (id bigint PRIMARY KEY, v bigint) WITH (split_points = '10,20')")
	run(t, c, "INSERT INTO t SELECT i, 0 FROM generate_series(0, 29) i")
	const readers, rounds = 3, 40
	var written atomic.Int64 // the last v committed for every row
	errc := make(chan error, readers+1)
	var wg sync.WaitGroup
	for r := range readers {
		rc, err := e.Connect(context.Background(), "test", "test")
		if err != nil {
			t.Fatal(err)
		}
		defer rc.Close()
		p := prepare(t, rc, "SELECT a.id, b.v FROM t a JOIN t b ON a.id = b.id WHERE a.id = $1 AND b.id = $1")
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range rounds {
				id := int64((r*7 + i%3) % 30) // a few ids, each again and again
				floor := written.Load()
				got, err := p.try(id)
				if err != nil {
					errc <- err
					return
				}
				var gid, v int64
				if _, err := fmt.Sscanf(got, "%d %d", &gid, &v); err != nil || gid != id || v < floor {
					errc <- fmt.Errorf("id %d: got %q, want v >= %d", id, got, floor)
					return
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for v := int64(1); v <= 10; v++ {
			if _, _, err := tryRun(c, fmt.Sprintf("UPDATE t SET v = %d", v)); err != nil {
				errc <- err
				return
			}
			written.Store(v)
		}
	}()
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Error(err)
	}
}

// TestPreparedExecutionsEndInQueryLog executes a prepared point lookup many times, with
// different parameter values: each execution's entry in the query log ends when its result
// closes (Close ends it, after the statement's own closing work), with its rows, once, and
// the session is idle again between executions.
func TestPreparedExecutionsEndInQueryLog(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	e, c := open(t, objstore.NewMem(), mem)
	run(t, c, "CREATE TABLE t (id bigint PRIMARY KEY, v bigint, s text) WITH (split_points = '100,200')")
	run(t, c, "INSERT INTO t VALUES (1, 10, 'a'), (150, 20, 'b'), (250, 30, 'c')")
	var mu sync.Mutex
	var ended []QueryInfo
	e.ObserveQueries(func(q QueryInfo) {
		mu.Lock()
		ended = append(ended, q)
		mu.Unlock()
	})
	point := prepare(t, c, "SELECT v, s FROM t WHERE id = $1")
	want := map[int64]string{1: "10 a", 150: "20 b", 250: "30 c", 7: ""}
	keys := []int64{1, 150, 250, 7}
	for i := range 60 {
		id := keys[i%len(keys)]
		if got := point.rows(id); got != want[id] {
			t.Fatalf("execution %d, id %d: got %q, want %q", i, id, got, want[id])
		}
		mu.Lock()
		n := len(ended)
		last := ended[n-1]
		mu.Unlock()
		if n != i+1 {
			t.Fatalf("execution %d: %d query log ends, want %d", i, n, i+1)
		}
		rows := int64(1)
		if want[id] == "" {
			rows = 0
		}
		if last.Status != "ok" || last.Rows != rows || last.Text != "SELECT v, s FROM t WHERE id = $1" {
			t.Fatalf("execution %d: query log entry %+v, want status ok and %d rows", i, last, rows)
		}
		for _, s := range e.Sessions() {
			if s.PID == last.PID && s.State != "idle" {
				t.Fatalf("execution %d: session state %q after the result closed", i, s.State)
			}
		}
	}
}
