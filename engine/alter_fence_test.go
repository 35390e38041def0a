package engine

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/catalog"
	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/storage/objstore"
	"github.com/sleeperd/sleeperd/storage/statestore"
)

// openShared opens two engines on one in-memory store, as two processes sharing it would;
// done closes them (the second's connection first).
func openShared(t *testing.T, mem memory.Allocator) (e *Engine, c Conn, e2 *Engine, c2 Conn, done func()) {
	t.Helper()
	store := objstore.NewMem()
	e, c = open(t, store, mem)
	e2, c2 = open(t, store, mem)
	return e, c, e2, c2, func() {
		c2.Close()
		e2.Close()
		e.Close()
	}
}

// atAlterStep runs f each time an ALTER COLUMN ... TYPE reaches step (testAlterHook), until
// stop is called or the test ends.
func atAlterStep(t *testing.T, step string, f func()) (stop func()) {
	hook := func(s string) {
		if s == step {
			f()
		}
	}
	testAlterHook.Store(&hook)
	stop = func() { testAlterHook.Store(nil) }
	t.Cleanup(stop)
	return stop
}

// tableState returns table name as the catalog of e has it and its current state.
func tableState(t *testing.T, e *Engine, name string) (*catalog.Table, *statestore.State) {
	t.Helper()
	ctx := context.Background()
	tb, err := e.cat.Table(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	st, err := e.ss.Snapshot(ctx, tb.StateID())
	if err != nil {
		t.Fatal(err)
	}
	return tb, st
}

// fences returns the fences standing on the stored names of table name.
func fences(t *testing.T, e *Engine, name string) []statestore.Fence {
	t.Helper()
	_, st := tableState(t, e, name)
	return st.Fences()
}

// A concurrent ALTER of the same column that fails lifts only its own fence: the first
// ALTER's fence still refuses writes under the old schema between its check and its catalog
// change, and the first ALTER commits with every value it converts checked.
func TestAlterTypeConcurrentFailureKeepsFence(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	e, c, e2, c2, done := openShared(t, mem)
	defer done()
	w := connect(t, e)
	run(t, c, "CREATE TABLE l (id integer PRIMARY KEY, s text)")
	run(t, c, "INSERT INTO l VALUES (1, '1')")
	expect(t, w, "SELECT count(*) FROM l", "1")
	ran := false
	stop := atAlterStep(t, "checked", func() {
		if ran {
			return
		}
		ran = true
		// The same column, to a type its values do not take: it fences, checks, fails and
		// lifts its fence.
		runErr(t, c2, "ALTER TABLE l ALTER COLUMN s TYPE date USING s::date", errs.InvalidDatetime)
		if f := fences(t, e2, "l"); len(f) != 1 {
			t.Errorf("fences after the other ALTER failed: %v, want the first one's", f)
		}
		runErr(t, w, "INSERT INTO l VALUES (2, 'x')", errs.Conflict)
		runErr(t, c2, "INSERT INTO l VALUES (3, 'y')", errs.Conflict)
	})
	run(t, c, "ALTER TABLE l ALTER COLUMN s TYPE integer USING s::integer")
	stop()
	if !ran {
		t.Fatal("the hook did not run")
	}
	if f := fences(t, e, "l"); len(f) != 0 {
		t.Fatalf("fences after the ALTER: %v", f)
	}
	runErr(t, w, "INSERT INTO l VALUES (2, 'x')", errs.InvalidText)
	run(t, c2, "INSERT INTO l VALUES (3, '3')")
	run(t, c, "VACUUM FULL l")
	expect(t, c, "SELECT id, s + 1 FROM l ORDER BY id", "1 2|3 4")
}

// alterLosesFence creates table on c by create and insert (one row), which c2 then reads,
// and sets the clock of e2, c2's engine, three leases ahead; it runs alter on c, during whose
// check write on c2 is refused once with 40001 as it lifts the fence found expired, and then
// commits; the ALTER fails with 40001.
func alterLosesFence(t *testing.T, c Conn, e2 *Engine, c2 Conn, table, create, insert, write, alter string) {
	t.Helper()
	e2.now = func() time.Time { return time.Now().Add(3 * DefaultFenceLease) }
	run(t, c, create)
	run(t, c, insert)
	expect(t, c2, "SELECT count(*) FROM "+table, "1")
	stop := atAlterStep(t, "checked", func() {
		runErr(t, c2, write, errs.Conflict)
		if f := fences(t, e2, table); len(f) != 0 {
			t.Errorf("expired fence not lifted: %v", f)
		}
		run(t, c2, write)
	})
	runErr(t, c, alter, errs.Conflict)
	stop()
}

// An ALTER COLUMN ... TYPE whose lease another process finds over (a clock far ahead, as if
// the ALTER had stalled) loses its fence while it checks: a write that other process tries
// is refused once, lifts the fence by moving the column to a new stored name of the same
// type, and its retry commits; the ALTER then fails with 40001 and changes nothing, and runs
// again against the values written meanwhile.
func TestAlterTypeFenceLiftedMeanwhile(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	_, c, e2, c2, done := openShared(t, mem)
	defer done()
	alterLosesFence(t, c, e2, c2, "l", "CREATE TABLE l (id integer PRIMARY KEY, s text)",
		"INSERT INTO l VALUES (1, '1')", "INSERT INTO l VALUES (2, 'x')",
		"ALTER TABLE l ALTER COLUMN s TYPE integer USING s::integer")
	expect(t, c, "SELECT id, s FROM l ORDER BY id", "1 1|2 x")
	runErr(t, c, "ALTER TABLE l ALTER COLUMN s TYPE integer USING s::integer", errs.InvalidText)
	run(t, c, "UPDATE l SET s = '2' WHERE id = 2")
	run(t, c, "ALTER TABLE l ALTER COLUMN s TYPE integer USING s::integer")
	run(t, c, "VACUUM FULL l")
	expect(t, c, "SELECT id, s * 10 FROM l ORDER BY id", "1 10|2 20")
}

// A long ALTER COLUMN ... TYPE renews its lease: another process whose clock is past the
// lease the ALTER first took neither lifts the fence (VACUUM) nor commits a write under the
// old schema, and the ALTER commits.
func TestAlterTypeLiveFenceRenewed(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	e, c, e2, c2, done := openShared(t, mem)
	defer done()
	e.opts.FenceLease = 150 * time.Millisecond
	run(t, c, "CREATE TABLE r (k bigint NOT NULL, s text) WITH (row_keys = 'k')")
	run(t, c, "INSERT INTO r VALUES (1, '1')")
	expect(t, c2, "SELECT count(*) FROM r", "1")
	ran := false
	stop := atAlterStep(t, "fenced", func() {
		ran = true
		f := fences(t, e, "r")
		if len(f) != 1 || f[0].Owner != fenceOwner() {
			t.Errorf("fences %v, want one of this process", f)
			return
		}
		first := f[0].Until
		// The clock of the other process is past the first lease.
		e2.now = func() time.Time { return first.Add(time.Millisecond) }
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			if f = fences(t, e, "r"); len(f) == 1 && f[0].Until.After(first.Add(time.Millisecond)) {
				break
			}
			if time.Now().After(deadline) {
				t.Errorf("the lease was not renewed: %v", f)
				return
			}
		}
		run(t, c2, "VACUUM r")
		runErr(t, c2, "INSERT INTO r VALUES (2, 'x')", errs.Conflict)
		if g := fences(t, e2, "r"); len(g) != 1 || g[0].Token != f[0].Token {
			t.Errorf("fences after the other process looked: %v, want %v", g, f)
		}
	})
	run(t, c, "ALTER TABLE r ALTER COLUMN s TYPE integer USING s::integer")
	stop()
	if !ran {
		t.Fatal("the hook did not run")
	}
	runErr(t, c2, "INSERT INTO r VALUES (2, 'x')", errs.InvalidText)
	run(t, c2, "INSERT INTO r VALUES (2, '2')")
	expect(t, c, "SELECT k, s + 1 FROM r ORDER BY k", "1 2|2 3")
}

// crashChildEnv names the store directory of the child process of TestAlterTypeCrashLiftsFence.
const crashChildEnv = "SLEEPERD_ALTER_CRASH_DIR"

// crashStepEnv names the step of the ALTER (testAlterHook) at which the child stops.
const crashStepEnv = "SLEEPERD_ALTER_CRASH_STEP"

// crashLeaseEnv is the fence lease of the child process (Options.FenceLease); an hour when
// it is not set.
const crashLeaseEnv = "SLEEPERD_ALTER_CRASH_LEASE"

// TestAlterTypeCrashChild is the child process of TestAlterTypeCrashLiftsFence: it runs an
// ALTER COLUMN ... TYPE and, at the step named, says so and waits to be killed.
func TestAlterTypeCrashChild(t *testing.T) {
	dir := os.Getenv(crashChildEnv)
	if dir == "" {
		t.Skip("the child process of TestAlterTypeCrashLiftsFence")
	}
	lease := time.Hour
	if l := os.Getenv(crashLeaseEnv); l != "" {
		var err error
		if lease, err = time.ParseDuration(l); err != nil {
			t.Fatal(err)
		}
	}
	e, err := Open(context.Background(), Options{Store: localStore(t, dir), Alloc: memory.NewGoAllocator(), FenceLease: lease})
	if err != nil {
		t.Fatal(err)
	}
	c := connect(t, e)
	atAlterStep(t, os.Getenv(crashStepEnv), func() {
		fmt.Println("REACHED")
		select {}
	})
	run(t, c, "ALTER TABLE cr ALTER COLUMN s TYPE integer USING s::integer")
	e.Close()
	t.Fatal("the ALTER ended")
}

// A process killed while its ALTER COLUMN ... TYPE holds the fence leaves writes refused
// (40001) while its lease lasts; once the lease is over the first write refused lifts the
// fence and its retry commits, or the next ALTER or VACUUM lifts it; every row committed
// before is still there, and the column's values read as before.
func TestAlterTypeCrashLiftsFence(t *testing.T) {
	for _, how := range []string{"write", "vacuum", "alter"} {
		t.Run(how, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			dir := t.TempDir()
			store := localStore(t, dir)
			var logs syncBuffer
			e, err := Open(context.Background(), Options{Store: store, Alloc: mem, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
			if err != nil {
				t.Fatal(err)
			}
			defer e.Close()
			c := connect(t, e)
			run(t, c, "CREATE TABLE cr (k bigint NOT NULL, s text, n integer) WITH (row_keys = 'k')")
			run(t, c, "INSERT INTO cr VALUES (1, '10', 1), (2, '20', 2)")
			run(t, c, "INSERT INTO cr VALUES (3, 'x', 3)")
			run(t, c, "DELETE FROM cr WHERE n = 2")

			killAlterAt(t, dir, "fenced")
			f := fences(t, e, "cr")
			if len(f) != 1 || f[0].Name != "s" || f[0].Owner == fenceOwner() || f[0].Owner == "" {
				t.Fatalf("fences left by the killed process: %v", f)
			}
			// The lease (an hour) lasts: writes are refused, and nothing lifts the fence.
			runErr(t, c, "INSERT INTO cr VALUES (4, '40', 4)", errs.Conflict)
			run(t, c, "VACUUM cr")
			runErr(t, c, "INSERT INTO cr VALUES (4, '40', 4)", errs.Conflict)
			if g := fences(t, e, "cr"); !slices.Equal(g, f) {
				t.Fatalf("fences %v during the lease, want %v", g, f)
			}
			// The lease is over.
			e.now = func() time.Time { return f[0].Until.Add(time.Second) }
			switch how {
			case "write":
				runErr(t, c, "INSERT INTO cr VALUES (4, '40', 4)", errs.Conflict)
			case "vacuum":
				run(t, c, "VACUUM cr")
			case "alter":
				runErr(t, c, "ALTER TABLE cr ALTER COLUMN s TYPE integer USING s::integer", errs.InvalidText)
			}
			if g := fences(t, e, "cr"); len(g) != 0 {
				t.Fatalf("fences after the lease: %v", g)
			}
			if l := logs.String(); !strings.Contains(l, "lifting the write fence of an ALTER COLUMN ... TYPE that did not finish") || !strings.Contains(l, f[0].Owner) {
				t.Errorf("no log line names the fence lifted and its owner %s:\n%s", f[0].Owner, l)
			}
			run(t, c, "INSERT INTO cr VALUES (4, '40', 4)")
			run(t, c, "DELETE FROM cr WHERE s = 'x'")
			expect(t, c, "SELECT k, s, n FROM cr ORDER BY k", "1 10 1|4 40 4")
			run(t, c, "ALTER TABLE cr ALTER COLUMN s TYPE integer USING s::integer")
			run(t, c, "VACUUM FULL cr")
			expect(t, c, "SELECT k, s + 1, n FROM cr ORDER BY k", "1 11 1|4 41 4")
		})
	}
}

// A DELETE whose predicate is on the column whose type changes, made under the old schema
// and committed while the ALTER checks the values, is refused (40001), in this engine or in
// another on the same store; retried under the new type it deletes the rows it names.
func TestAlterTypeRefusesDeletesDuringCheck(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	e, c, _, c2, done := openShared(t, mem)
	defer done()
	w := connect(t, e)
	run(t, c, "CREATE TABLE dp (k bigint NOT NULL, s text) WITH (row_keys = 'k')")
	run(t, c, "INSERT INTO dp VALUES (1, '10'), (2, '20'), (3, '030')")
	expect(t, w, "SELECT count(*) FROM dp", "3")
	expect(t, c2, "SELECT count(*) FROM dp", "3")
	ran := false
	stop := atAlterStep(t, "fenced", func() {
		ran = true
		runErr(t, w, "DELETE FROM dp WHERE s = '20'", errs.Conflict)
		runErr(t, c2, "DELETE FROM dp WHERE s = '030'", errs.Conflict)
		run(t, w, "BEGIN")
		run(t, w, "DELETE FROM dp WHERE k = 1")
		runErr(t, w, "COMMIT", errs.Conflict)
	})
	run(t, c, "ALTER TABLE dp ALTER COLUMN s TYPE integer USING s::integer")
	stop()
	if !ran {
		t.Fatal("the hook did not run")
	}
	expect(t, c, "SELECT k, s FROM dp ORDER BY k", "1 10|2 20|3 30")
	run(t, w, "DELETE FROM dp WHERE s = 20")
	run(t, c2, "DELETE FROM dp WHERE s = 30")
	expect(t, c, "SELECT k, s FROM dp ORDER BY k", "1 10")
	run(t, c, "VACUUM FULL dp")
	expect(t, c, "SELECT k, s FROM dp ORDER BY k", "1 10")
}

// A change to a shorter character varying is fenced like a conversion: a write under the
// old schema committed while the ALTER checks the values is refused (40001), whatever its
// values, and its retry goes through the new length (22001 for a longer value). Spaces past
// the new length are dropped as PostgreSQL's assignment drops them, and stay dropped when
// the length grows again. A column in the row key changes its length fenced too (see
// TestAlterTypeVarcharShorterKeyFenced).
func TestAlterTypeVarcharShorterFenced(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	e, c, _, c2, done := openShared(t, mem)
	defer done()
	w := connect(t, e)
	run(t, c, "CREATE TABLE v (k varchar(10) NOT NULL, s varchar(10)) WITH (row_keys = 'k')")
	run(t, c, "INSERT INTO v VALUES ('a', 'abc'), ('b', 'abcde   ')")
	expect(t, w, "SELECT count(*) FROM v", "2")
	expect(t, c2, "SELECT count(*) FROM v", "2")
	ran := 0
	stop := atAlterStep(t, "fenced", func() {
		ran++
		if ran < 3 {
			runErr(t, w, "INSERT INTO v VALUES ('c', 'abcdefgh')", errs.Conflict)
		}
		runErr(t, c2, "INSERT INTO v VALUES ('d', 'xy')", errs.Conflict)
		runErr(t, w, "DELETE FROM v WHERE s = 'abc'", errs.Conflict)
	})
	runErr(t, c, "ALTER TABLE v ALTER COLUMN s TYPE varchar(2)", errs.StringTooLong)
	if f := fences(t, e, "v"); len(f) != 0 {
		t.Fatalf("fences after a failed ALTER: %v", f)
	}
	run(t, c, "ALTER TABLE v ALTER COLUMN s TYPE varchar(5)")
	run(t, c, "ALTER TABLE v ALTER COLUMN k TYPE varchar(3)")
	stop()
	if ran != 3 {
		t.Fatalf("the hook ran %d times, want 3 (the two changes of s, the one of k)", ran)
	}
	runErr(t, w, "INSERT INTO v VALUES ('c', 'abcdefgh')", errs.StringTooLong)
	run(t, c2, "INSERT INTO v VALUES ('d', 'xy')")
	expect(t, c, "SELECT k, s, length(s) FROM v ORDER BY k", "a abc 3|b abcde 5|d xy 2")
	run(t, c, "ALTER TABLE v ALTER COLUMN s TYPE varchar(10)")
	expect(t, c, "SELECT k, s, length(s) FROM v ORDER BY k", "a abc 3|b abcde 5|d xy 2")
	run(t, c, "VACUUM FULL v")
	expect(t, c, "SELECT k, s, length(s) FROM v ORDER BY k", "a abc 3|b abcde 5|d xy 2")
	runErr(t, c, "INSERT INTO v VALUES ('long', 'x')", errs.StringTooLong)
}

// killAlterAt runs TestAlterTypeCrashChild on the store in dir and kills it once its ALTER
// reached step; env is more of the child's environment.
func killAlterAt(t *testing.T, dir, step string, env ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	child := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestAlterTypeCrashChild$", "-test.count=1")
	child.Env = append(append(os.Environ(), crashChildEnv+"="+dir, crashStepEnv+"="+step), env...)
	out, err := child.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	child.Stderr = os.Stderr
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	reached := false
	for sc := bufio.NewScanner(out); sc.Scan(); {
		if strings.TrimSpace(sc.Text()) == "REACHED" {
			reached = true
			break
		}
	}
	if err := child.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = child.Wait()
	if !reached {
		t.Fatalf("the child ended before its ALTER reached %q", step)
	}
}

// A process killed after its ALTER COLUMN ... TYPE changed the catalog, before it kept the
// retirement for good: writes under the new schema commit at once, writes prepared under
// the old one stay refused, and once the lease is over the fence becomes a retirement for
// good (the column keeps its new stored name: nothing moves).
func TestAlterTypeCrashAfterChange(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	dir := t.TempDir()
	store := localStore(t, dir)
	e, c := open(t, store, mem)
	defer e.Close()
	w := connect(t, e)
	run(t, c, "CREATE TABLE cr (k bigint NOT NULL, s text, n integer) WITH (row_keys = 'k')")
	run(t, c, "INSERT INTO cr VALUES (1, '10', 1), (2, '20', 2)")
	run(t, w, "BEGIN")
	run(t, w, "INSERT INTO cr VALUES (3, 'x', 3)")
	killAlterAt(t, dir, "changed")
	f := fences(t, e, "cr")
	if len(f) != 1 || f[0].Name != "s" {
		t.Fatalf("fences left by the killed process: %v", f)
	}
	runErr(t, w, "COMMIT", errs.Conflict)
	run(t, c, "INSERT INTO cr VALUES (3, '30', 3)")
	runErr(t, c, "INSERT INTO cr VALUES (4, 'y', 4)", errs.InvalidText)
	e.now = func() time.Time { return f[0].Until.Add(time.Second) }
	run(t, c, "VACUUM cr")
	tb, st := tableState(t, e, "cr")
	if len(st.Fences()) != 0 || !slices.Equal(st.RetiredColumns(), []string{"s"}) {
		t.Fatalf("after the lease: fences %v, retired %v; want none and [s]", st.Fences(), st.RetiredColumns())
	}
	if i := tb.ColumnIndex("s"); tb.Columns[i].StoredName() == "s" || len(tb.Columns[i].Former) != 1 {
		t.Fatalf("column s: stored as %q, formers %v; want the ALTER's change only", tb.Columns[i].StoredName(), tb.Columns[i].Former)
	}
	run(t, c, "VACUUM FULL cr")
	expect(t, c, "SELECT k, s + 1, n FROM cr ORDER BY k", "1 11 1|2 21 2|3 31 3")
}

// Lifting expired fences moves each column to a new stored name of the same type, whatever
// the type: files written under the old name read as they are (before and after
// compaction), writes under the new name commit, and a live fence on another column stays.
func TestLiftExpiredFencesKeepsValues(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx := context.Background()
	store := objstore.NewMem()
	e, c := open(t, store, mem)
	defer e.Close()
	run(t, c, "CREATE TABLE lx (k bigint NOT NULL, j jsonb, a integer[], s varchar(4), n numeric(10,2)) WITH (row_keys = 'k')")
	run(t, c, `INSERT INTO lx VALUES (1, '{"x": [1, 2]}', ARRAY[1, NULL, 3], 'ab', 1.5), (2, NULL, NULL, NULL, NULL)`)
	tb, err := e.cat.Table(ctx, "lx")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	dead := statestore.RetireColumns{Names: []string{"a", "j", "n", "s"}, Token: "dead", Owner: "elsewhere:1", Until: now.Add(-time.Second)}
	live := statestore.RetireColumns{Names: []string{"n"}, Token: "live", Owner: "elsewhere:2", Until: now.Add(time.Hour)}
	for _, txn := range []statestore.RetireColumns{dead, live} {
		if _, err := e.ss.Commit(ctx, tb.StateID(), txn); err != nil {
			t.Fatal(err)
		}
	}
	const q = "SELECT k, j, a, s, n, j->'x', a[3], length(s), n * 2 FROM lx ORDER BY k"
	before, _ := run(t, c, q)
	want := rowsText(before)
	if len(before) != 2 || !strings.Contains(want, "ab") {
		t.Fatalf("rows before: %s", want)
	}
	run(t, c, "VACUUM lx")
	f := fences(t, e, "lx")
	if len(f) != 2 || f[0].Name != "n" || f[1].Name != "n" {
		t.Fatalf("fences after lifting the expired ones: %v, want dead's and live's on n", f)
	}
	tb, err = e.cat.Table(ctx, "lx")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"j", "a", "s"} {
		col := tb.Columns[tb.ColumnIndex(name)]
		if col.StoredName() == name || len(col.Former) != 1 || col.Former[0].Stored != name {
			t.Errorf("column %s: stored as %q, formers %v; want moved off %q", name, col.StoredName(), col.Former, name)
		}
	}
	expect(t, c, q, want)
	runErr(t, c, "INSERT INTO lx VALUES (3, '[]', '{}', 'c', 2)", errs.Conflict) // n stays fenced
	if _, err := e.ss.Commit(ctx, tb.StateID(), statestore.RetireColumns{Names: []string{"n"}, Token: "live", Revive: true}); err != nil {
		t.Fatal(err)
	}
	e.now = func() time.Time { return now.Add(time.Minute) }
	run(t, c, "VACUUM lx")
	if f := fences(t, e, "lx"); len(f) != 0 {
		t.Fatalf("fences left: %v", f)
	}
	expect(t, c, q, want)
	run(t, c, "VACUUM FULL lx")
	expect(t, c, q, want)
	run(t, c, "INSERT INTO lx VALUES (3, '[]', '{}', 'c', 2)")
	expect(t, c, "SELECT count(*) FROM lx WHERE k = 3 AND n = 2 AND s = 'c'", "1")
}

// The fence lease is a setting (Options.FenceLease): a process killed while its ALTER
// COLUMN ... TYPE held the fence, with a lease of two seconds, leaves a fence that ends two
// seconds after it was taken, not a minute; once it ended (by the real clock) the first
// write refused lifts it and its retry commits.
func TestAlterTypeShortLeaseLiftsSooner(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	dir := t.TempDir()
	var logs syncBuffer
	e, err := Open(context.Background(), Options{Store: localStore(t, dir), Alloc: mem, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	c := connect(t, e)
	run(t, c, "CREATE TABLE cr (k bigint NOT NULL, s text, n integer) WITH (row_keys = 'k')")
	run(t, c, "INSERT INTO cr VALUES (1, '10', 1), (2, 'x', 2)")
	const lease = 2 * time.Second
	killAlterAt(t, dir, "fenced", crashLeaseEnv+"="+lease.String())
	killed := time.Now()
	f := fences(t, e, "cr")
	if len(f) != 1 || f[0].Name != "s" || f[0].Owner == fenceOwner() {
		t.Fatalf("fences left by the killed process: %v", f)
	}
	// The fence was taken before the child was killed, with the child's lease.
	if !f[0].Until.Before(killed.Add(lease)) {
		t.Fatalf("the fence ends at %v, not within %s of the kill at %v", f[0].Until, lease, killed)
	}
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(100 * time.Millisecond) {
		_, _, err := tryRun(c, "INSERT INTO cr VALUES (3, '30', 3)")
		if err == nil {
			break
		}
		if errs.KindOf(err) != errs.Conflict {
			t.Fatalf("write while fenced: %v, want 40001", err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("the fence of lease %s ending at %v still refuses writes at %v", lease, f[0].Until, time.Now())
		}
	}
	if g := fences(t, e, "cr"); len(g) != 0 {
		t.Fatalf("fences after the lease: %v", g)
	}
	if l := logs.String(); !strings.Contains(l, "lifting the write fence of an ALTER COLUMN ... TYPE that did not finish") || !strings.Contains(l, f[0].Owner) {
		t.Errorf("no log line names the fence lifted and its owner %s:\n%s", f[0].Owner, l)
	}
	expect(t, c, "SELECT k, s, n FROM cr ORDER BY k", "1 10 1|2 x 2|3 30 3")
}

// A fence an older build left (it retired the column's stored name with no token, owner or
// lease while it checked the values, and died) refuses writes while it is younger than the
// lease by its commit time; once older, the first write refused, VACUUM or the next ALTER
// lifts it: the column moves to a new stored name (the old one stays retired), and its
// values read as before. On a row key column (which an older build never fenced: it refused
// a change of a key column's values) the name is taken back instead. A name retired for good
// that no column has as its stored name is left retired.
func TestAlterTypeOlderBuildFenceLifted(t *testing.T) {
	for _, how := range []string{"write", "vacuum", "alter"} {
		t.Run(how, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			var logs syncBuffer
			e, err := Open(context.Background(), Options{Store: objstore.NewMem(), Alloc: mem, Logger: slog.New(slog.NewTextHandler(&logs, nil)), FenceLease: 10 * time.Minute})
			if err != nil {
				t.Fatal(err)
			}
			defer e.Close()
			c := connect(t, e)
			ctx := context.Background()
			run(t, c, "CREATE TABLE ob (k bigint NOT NULL, s text, n integer) WITH (row_keys = 'k')")
			run(t, c, "INSERT INTO ob VALUES (1, '10', 1), (2, 'x', 2)")
			run(t, c, "ALTER TABLE ob ALTER COLUMN n TYPE bigint")
			tb, st := tableState(t, e, "ob")
			former := tb.Columns[tb.ColumnIndex("n")].Former[0].Stored
			if !st.ColumnRetired(former) {
				t.Fatalf("former name %q of n not retired", former)
			}
			// The older build's fences, as it committed them: on s and on the row key k.
			fenced, err := e.ss.Commit(ctx, tb.StateID(), statestore.RetireColumns{Names: []string{"k", "s"}})
			if err != nil {
				t.Fatal(err)
			}
			runErr(t, c, "INSERT INTO ob VALUES (3, '30', 3)", errs.Conflict)
			run(t, c, "VACUUM ob")
			runErr(t, c, "INSERT INTO ob VALUES (3, '30', 3)", errs.Conflict)
			if _, st := tableState(t, e, "ob"); !slices.Equal(st.RetiredColumns(), []string{"k", former, "s"}) {
				t.Fatalf("retired during the lease: %v", st.RetiredColumns())
			}
			// The lease (ten minutes here, Options.FenceLease) is over.
			e.now = func() time.Time { return fenced.Time().Add(10*time.Minute + time.Second) }
			switch how {
			case "write":
				runErr(t, c, "INSERT INTO ob VALUES (3, '30', 3)", errs.Conflict)
			case "vacuum":
				run(t, c, "VACUUM ob")
			case "alter":
				runErr(t, c, "ALTER TABLE ob ALTER COLUMN s TYPE integer USING s::integer", errs.InvalidText)
			}
			tb, st = tableState(t, e, "ob")
			s := tb.Columns[tb.ColumnIndex("s")]
			if s.StoredName() == "s" || len(s.Former) != 1 || s.Former[0].Stored != "s" {
				t.Fatalf("column s: stored as %q, formers %v; want moved off s", s.StoredName(), s.Former)
			}
			if k := tb.Columns[tb.ColumnIndex("k")]; k.StoredName() != "k" || len(k.Former) != 0 {
				t.Fatalf("row key k: stored as %q, formers %v; want as it was", k.StoredName(), k.Former)
			}
			if got := st.RetiredColumns(); !slices.Equal(got, []string{former, "s"}) {
				t.Fatalf("retired after the lease: %v, want [%s s]", got, former)
			}
			if l := logs.String(); !strings.Contains(l, "of an older build that did not finish") {
				t.Errorf("no log line names the older build's fence lifted:\n%s", l)
			}
			run(t, c, "INSERT INTO ob VALUES (3, '30', 3)")
			expect(t, c, "SELECT k, s, n FROM ob ORDER BY k", "1 10 1|2 x 2|3 30 3")
			run(t, c, "UPDATE ob SET s = '20' WHERE k = 2")
			run(t, c, "ALTER TABLE ob ALTER COLUMN s TYPE integer USING s::integer")
			run(t, c, "VACUUM FULL ob")
			expect(t, c, "SELECT k, s + 1, n FROM ob ORDER BY k", "1 11 1|2 21 2|3 31 3")
		})
	}
}

// A shorter character varying of a column in the row key, the sort key, the primary key or
// an index, whose stored name stays (their stored order and encoding stay), is checked as
// PostgreSQL checks it, every row (22001 for a longer value, and nothing changes), and
// fenced: while the ALTER checks the values, a write under the old definition of the table
// is refused (40001), in this engine or another on the same store, a too-long value or not,
// and so is a transaction's write prepared before the check and committed after it. The
// retries go through the new length. The name of the definition fenced stays retired.
func TestAlterTypeVarcharShorterKeyFenced(t *testing.T) {
	for _, tc := range []struct{ role, create string }{
		{"row key", "CREATE TABLE kf (k varchar(10) NOT NULL, n integer) WITH (row_keys = 'k')"},
		{"sort key", "CREATE TABLE kf (n integer NOT NULL, k varchar(10)) WITH (row_keys = 'n', sort_keys = 'k')"},
		{"primary key", "CREATE TABLE kf (k varchar(10) PRIMARY KEY, n integer)"},
		{"index", "CREATE TABLE kf (n integer NOT NULL, k varchar(10)) WITH (row_keys = 'n'); CREATE INDEX kf_k ON kf (k)"},
	} {
		t.Run(tc.role, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			e, c, _, c2, done := openShared(t, mem)
			defer done()
			w := connect(t, e)
			for _, q := range strings.Split(tc.create, "; ") {
				run(t, c, q)
			}
			run(t, c, "INSERT INTO kf (k, n) VALUES ('abc', 1), ('abcdef', 2)")
			// Every row is checked: the longer value fails the change, which lifts its fence.
			runErr(t, c, "ALTER TABLE kf ALTER COLUMN k TYPE varchar(5)", errs.StringTooLong)
			if f := fences(t, e, "kf"); len(f) != 0 {
				t.Fatalf("fences after a failed ALTER: %v", f)
			}
			run(t, c2, "INSERT INTO kf (k, n) VALUES ('abcdefgh', 3)")
			run(t, c, "DELETE FROM kf WHERE n > 1")
			expect(t, w, "SELECT k, n FROM kf ORDER BY n", "abc 1")
			expect(t, c2, "SELECT k, n FROM kf ORDER BY n", "abc 1")
			// The transaction writes its files now, under the old definition.
			run(t, w, "BEGIN")
			run(t, w, "INSERT INTO kf (k, n) VALUES ('abcdefg', 4)")
			ran := 0
			stop := atAlterStep(t, "fenced", func() {
				ran++
				runErr(t, c2, "INSERT INTO kf (k, n) VALUES ('zzzzzzz', 5)", errs.Conflict)
				runErr(t, c2, "INSERT INTO kf (k, n) VALUES ('xy', 6)", errs.Conflict)
				runErr(t, c2, "DELETE FROM kf WHERE n = 1", errs.Conflict)
			})
			run(t, c, "ALTER TABLE kf ALTER COLUMN k TYPE varchar(5)")
			stop()
			if ran != 1 {
				t.Fatalf("the hook ran %d times, want 1", ran)
			}
			runErr(t, w, "COMMIT", errs.Conflict)
			runErr(t, c2, "INSERT INTO kf (k, n) VALUES ('zzzzzzz', 5)", errs.StringTooLong)
			runErr(t, w, "INSERT INTO kf (k, n) VALUES ('abcdefg', 4)", errs.StringTooLong)
			run(t, c2, "INSERT INTO kf (k, n) VALUES ('xy', 6)")
			run(t, w, "INSERT INTO kf (k, n) VALUES ('abcd ', 7)")
			expect(t, c, "SELECT k, n FROM kf ORDER BY n", "abc 1|xy 6|abcd  7")
			tb, st := tableState(t, e, "kf")
			if len(st.Fences()) != 0 || !slices.Contains(st.RetiredColumns(), "\x00version 0") || tb.Version != 1 || tb.FenceName() != "\x00version 1" {
				t.Fatalf("after the change: fences %v, retired %q, version %d", st.Fences(), st.RetiredColumns(), tb.Version)
			}
			if k := tb.Columns[tb.ColumnIndex("k")]; k.StoredName() != "k" || len(k.Former) != 0 {
				t.Fatalf("column k: stored as %q, formers %v; want as it was", k.StoredName(), k.Former)
			}
			run(t, c, "VACUUM FULL kf")
			expect(t, c2, "SELECT k, n FROM kf ORDER BY n", "abc 1|xy 6|abcd  7")
		})
	}
}

// The fence of a shorter length of a key column, on the table's definition, is lifted like
// any once its lease is over: the table moves to its next definition (the one fenced stays
// retired), so the owner, only slow, fails with 40001 rather than commit a change whose
// check missed the writes committed since.
func TestAlterTypeKeyFenceLiftedMeanwhile(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	e, c, e2, c2, done := openShared(t, mem)
	defer done()
	alterLosesFence(t, c, e2, c2, "kl", "CREATE TABLE kl (k varchar(10) PRIMARY KEY, n integer)",
		"INSERT INTO kl VALUES ('a', 1)", "INSERT INTO kl VALUES ('abcdefgh', 2)",
		"ALTER TABLE kl ALTER COLUMN k TYPE varchar(5)")
	tb, st := tableState(t, e, "kl")
	if tb.Version != 1 || len(st.Fences()) != 0 || !slices.Equal(st.RetiredColumns(), []string{"\x00version 0"}) {
		t.Fatalf("after the lifting: version %d, fences %v, retired %q", tb.Version, st.Fences(), st.RetiredColumns())
	}
	expect(t, c, "SELECT k, n FROM kl ORDER BY n", "a 1|abcdefgh 2")
	runErr(t, c, "ALTER TABLE kl ALTER COLUMN k TYPE varchar(5)", errs.StringTooLong)
	run(t, c, "DELETE FROM kl WHERE n = 2")
	run(t, c, "ALTER TABLE kl ALTER COLUMN k TYPE varchar(5)")
	runErr(t, c2, "INSERT INTO kl VALUES ('abcdefgh', 2)", errs.StringTooLong)
}
