package engine

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/storage/objstore"
	"github.com/sleeperd/sleeperd/storage/statestore"
)

// syncBuffer is a log destination safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// armPanics sets the test hook so that each of sites panics the first time it is reached
// (and the ones armed later with the returned function), until the test ends.
func armPanics(t *testing.T, sites ...string) func(site string) {
	var armed sync.Map
	for _, s := range sites {
		armed.Store(s, true)
	}
	hook := func(site string) {
		if _, ok := armed.LoadAndDelete(site); ok {
			panic("injected at " + site)
		}
	}
	testPanic.Store(&hook)
	t.Cleanup(func() { testPanic.Store(nil) })
	return func(site string) { armed.Store(site, true) }
}

// A panic at any entry point of the engine API fails that call with an internal error, logs
// the stack, leaks nothing, and the engine goes on serving.
func TestEntryPointPanics(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx := context.Background()
	var logs syncBuffer
	e, err := Open(ctx, Options{Store: objstore.NewMem(), Alloc: mem, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	c, _ := e.Connect(ctx, "u", "d")
	run(t, c, "CREATE TABLE t (k bigint, v text) WITH (row_keys = 'k')")
	run(t, c, "INSERT INTO t VALUES (1, 'a'), (2, 'b')")
	arm := armPanics(t)

	check := func(site string, err error) {
		t.Helper()
		if !errors.Is(err, errs.Internal) || !strings.Contains(err.Error(), "injected at "+site) {
			t.Errorf("%s: got %v, want an internal error with the panic", site, err)
		}
		if l := logs.String(); !strings.Contains(l, "injected at "+site) || !strings.Contains(l, "panics_test.go") {
			t.Errorf("%s: panic and stack not logged:\n%s", site, l)
		}
		expect(t, c, "SELECT k, v FROM t ORDER BY k", "1 a|2 b")
	}

	arm("split")
	_, err = c.Split("SELECT 1; SELECT 2")
	check("split", err)

	arm("prepare")
	_, err = c.Prepare(ctx, "SELECT k FROM t", nil)
	check("prepare", err)

	arm("execute")
	_, _, err = tryRun(c, "SELECT k FROM t")
	check("execute", err)

	arm("next")
	_, _, err = tryRun(c, "SELECT k FROM t")
	check("next", err)

	arm("close")
	st, err := c.Prepare(ctx, "SELECT k FROM t", nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := st.Execute(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	for {
		b, err := r.Next(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b.Release()
	}
	check("close", r.Close())
	// The statement's snapshots were released with it.
	if n := e.readers.oldest(mustTable(t, e, "t").StateID()); n != 0 {
		t.Errorf("a closed result still protects transaction %d from garbage collection", n)
	}

	arm("append")
	bld := array.NewRecordBuilder(mem, arrow.NewSchema([]arrow.Field{{Name: "k", Type: arrow.PrimitiveTypes.Int64}}, nil))
	bld.Field(0).(*array.Int64Builder).Append(3)
	b := bld.NewRecordBatch()
	bld.Release()
	_, err = e.Append(ctx, "t", []arrow.RecordBatch{b})
	check("append", err)

	// The streaming entry points: an Appender's batches and commit, a COPY's.
	for _, site := range []string{"open append", "append batch", "append commit"} {
		arm(site)
		a, err := e.OpenAppend(ctx, "t", b.Schema())
		if err == nil {
			err = a.Append(ctx, b)
			if err == nil {
				_, err = a.Commit(ctx)
			}
			a.Abort()
		}
		check(site, err)
	}
	for _, site := range []string{"copy batch", "copy"} {
		arm(site)
		st, err := c.Prepare(ctx, "COPY t (k) FROM STDIN", nil)
		if err != nil {
			t.Fatal(err)
		}
		r, err := st.Execute(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		ci := r.(CopyIn)
		err = ci.CopyBatch(ctx, b)
		if err == nil {
			err = ci.CopyCommit(ctx)
		}
		r.Close()
		check(site, err)
	}
	b.Release()
	if rows, _ := run(t, c, "SELECT count(*) FROM t"); rows[0][0] != "2" {
		t.Errorf("writes that panicked left %s rows, want 2", rows[0][0])
	}
}

// A background worker that panics once at each stage (the table's pass, splitting, a
// compaction job, garbage collection) does not stop the process: queries go on, the job
// shows as failed with the panic in sleeper.compaction_jobs, its claim is released, and a
// later pass compacts the table.
func TestBackgroundPanicOnce(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx := context.Background()
	var logs syncBuffer
	e, err := Open(ctx, Options{Store: objstore.NewMem(), Alloc: mem, MaintenanceInterval: 10 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	c, _ := e.Connect(ctx, "u", "d")
	run(t, c, "CREATE TABLE t (k int, v int) WITH (row_keys = 'k', online = false, compaction_files = 4, gc_delay = '0s')")
	for i := 0; i < 6; i++ {
		run(t, c, "INSERT INTO t VALUES ("+itoa(i)+", 1)")
	}
	armPanics(t, "maintenance", "split", "compaction", "gc")
	run(t, c, "ALTER TABLE t SET (online = true)")
	files := func() string {
		rows, _ := run(t, c, "SELECT count(*) FROM sleeper.files WHERE table_name = 't'")
		return rows[0][0]
	}
	deadline := time.Now().Add(20 * time.Second)
	for files() == "6" {
		if time.Now().After(deadline) {
			t.Fatalf("background compaction never succeeded; log:\n%s", logs.String())
		}
		expect(t, c, "SELECT count(*), sum(k) FROM t", "6 15")
		time.Sleep(10 * time.Millisecond)
	}
	expect(t, c, "SELECT count(*), sum(k) FROM t", "6 15")
	expect(t, c, "SELECT status, error LIKE '%injected at compaction%' FROM sleeper.compaction_jobs WHERE status = 'failed'", "failed true")
	rows, _ := run(t, c, "SELECT count(*) FROM sleeper.compaction_jobs WHERE status = 'finished'")
	if rows[0][0] == "0" {
		t.Error("no finished job after the failed one")
	}
	// Wait for one more pass, so garbage collection has run after its panic too.
	deadline = time.Now().Add(20 * time.Second)
	for !strings.Contains(logs.String(), "injected at gc") {
		if time.Now().After(deadline) {
			t.Fatalf("garbage collection never reached; log:\n%s", logs.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	for _, site := range []string{"maintenance", "split", "compaction", "gc"} {
		if !strings.Contains(logs.String(), "injected at "+site) {
			t.Errorf("panic at %s not logged", site)
		}
	}
	if !strings.Contains(logs.String(), "stack=") {
		t.Errorf("no stack logged:\n%s", logs.String())
	}
}

// A persisted delete predicate that panics whenever it is compiled fails the statements that
// read its table and that table's compaction jobs, after a restart too: the engine opens,
// other tables are read and compacted, and maintenance goes on.
func TestPersistedBadDeletePredicate(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx := context.Background()
	store := objstore.NewMem()
	e, c := open(t, store, mem)
	for _, name := range []string{"good", "bad"} {
		run(t, c, "CREATE TABLE "+name+" (k int, v int) WITH (row_keys = 'k', compaction_files = 4, gc_delay = '0s')")
		for i := 0; i < 6; i++ {
			run(t, c, "INSERT INTO "+name+" VALUES ("+itoa(i)+", 1)")
		}
	}
	// A CASE that claims more branches than it has: decoding it slices out of range.
	bad := statestore.AddDeletePredicate{ID: "broken", Predicate: []byte(`{"k":"case","n":3,"type":"boolean"}`)}
	if _, err := e.ss.Commit(ctx, mustTable(t, e, "bad").StateID(), bad); err != nil {
		t.Fatal(err)
	}
	if _, _, err := tryRun(c, "SELECT count(*) FROM bad"); !errors.Is(err, errs.Internal) {
		t.Fatalf("reading the table with the broken predicate: %v, want an internal error", err)
	}
	e.Close()

	var logs syncBuffer
	e, err := Open(ctx, Options{Store: store, Alloc: mem, MaintenanceInterval: 10 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatalf("reopening: %v", err)
	}
	defer e.Close()
	c, _ = e.Connect(ctx, "u", "d")
	count := func(q string) string {
		rows, _ := run(t, c, q)
		return rows[0][0]
	}
	deadline := time.Now().Add(20 * time.Second)
	for count("SELECT count(*) FROM sleeper.files WHERE table_name = 'good'") == "6" ||
		count("SELECT count(*) FROM sleeper.compaction_jobs WHERE table_name = 'bad' AND status = 'failed'") == "0" {
		if time.Now().After(deadline) {
			t.Fatalf("maintenance did not compact good and fail bad's jobs; log:\n%s", logs.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	expect(t, c, "SELECT count(*), sum(k) FROM good", "6 15")
	if _, _, err := tryRun(c, "SELECT count(*) FROM bad"); !errors.Is(err, errs.Internal) {
		t.Errorf("reading bad after the restart: %v, want an internal error", err)
	}
	// With maintenance stopped, no file stays claimed by a failed job.
	e.Close()
	e, c = open(t, store, mem)
	defer e.Close()
	expect(t, c, "SELECT count(*), count(job_id) FROM sleeper.files WHERE table_name = 'bad'", "6 0")
	if _, _, err := tryRun(c, "VACUUM bad"); !errors.Is(err, errs.Internal) {
		t.Errorf("VACUUM bad: %v, want an internal error", err)
	}
	expect(t, c, "SELECT count(*), count(job_id) FROM sleeper.files WHERE table_name = 'bad'", "6 0")
	expect(t, c, "SELECT count(*), sum(k) FROM good", "6 15")
}
