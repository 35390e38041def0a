package statestore

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/storage/objstore"
)

func mustCreate(t *testing.T, s *Store, id TableID, splits ...int64) *State {
	t.Helper()
	var sp [][]byte
	for _, v := range splits {
		sp = append(sp, k(v))
	}
	st, err := s.Create(context.Background(), id, InitialisePartitions{SplitPoints: sp})
	if err != nil {
		t.Fatalf("Create(%s): %v", id, err)
	}
	return st
}

func TestTableLifecycle(t *testing.T) {
	ctx := context.Background()
	obj := objstore.NewMem()
	a, b := New(obj, Options{}), New(obj, Options{})

	if _, err := a.Snapshot(ctx, "t"); !errors.Is(err, ErrTableNotFound) {
		t.Errorf("Snapshot of a missing table: %v, want ErrTableNotFound", err)
	}
	if _, err := a.Commit(ctx, "t", AddFiles{}); !errors.Is(err, ErrTableNotFound) {
		t.Errorf("Commit to a missing table: %v, want ErrTableNotFound", err)
	}
	if err := a.Delete(ctx, "t"); !errors.Is(err, ErrTableNotFound) {
		t.Errorf("Delete of a missing table: %v, want ErrTableNotFound", err)
	}
	for _, id := range []TableID{"", "a/b", "..", "."} {
		if _, err := a.Snapshot(ctx, id); !errors.Is(err, ErrInvalidTable) {
			t.Errorf("Snapshot(%q): %v, want ErrInvalidTable", id, err)
		}
	}

	mustCreate(t, a, "t", 0)
	// Another Store, with the missing table cached as empty, finds it taken.
	if _, err := b.Create(ctx, "t", InitialisePartitions{}); !errors.Is(err, ErrTableExists) {
		t.Errorf("second Create: %v, want ErrTableExists", err)
	}
	st, err := b.Commit(ctx, "t", addFile(mustSnapshot(t, b, "t"), "f1", 10, k(-5), k(5)))
	if err != nil {
		t.Fatal(err)
	}
	if st.TxnNumber() != 2 {
		t.Errorf("TxnNumber = %d, want 2", st.TxnNumber())
	}
	if got := mustSnapshot(t, a, "t"); got.TxnNumber() != 2 || len(got.Files()) != 1 {
		t.Errorf("a sees txn %d with %d files, want 2 and 1", got.TxnNumber(), len(got.Files()))
	}
	mustCreate(t, a, "other")

	if err := a.Delete(ctx, "t"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Snapshot(ctx, "t"); !errors.Is(err, ErrTableNotFound) {
		t.Errorf("Snapshot after Delete: %v, want ErrTableNotFound", err)
	}
	left, err := obj.List(ctx, "tables/t/")
	if err != nil || len(left) != 0 {
		t.Errorf("Delete left %q (%v)", left, err)
	}
	if got := mustSnapshot(t, New(obj, Options{}), "other"); got.TxnNumber() != 1 {
		t.Errorf("the other table is at txn %d", got.TxnNumber())
	}
	// The name can be used again.
	if st := mustCreate(t, New(obj, Options{}), "t"); len(st.Files()) != 0 {
		t.Errorf("recreated table has files")
	}
}

func mustSnapshot(t *testing.T, s *Store, id TableID) *State {
	t.Helper()
	st, err := s.Snapshot(context.Background(), id)
	if err != nil {
		t.Fatalf("Snapshot(%s): %v", id, err)
	}
	return st
}

// TestSnapshots checks that snapshots are written every SnapshotEvery transactions, that a
// new Store loads the newest and replays only the entries after it, and that the result
// equals a full replay of the log.
func TestSnapshots(t *testing.T) {
	ctx := context.Background()
	mem := objstore.NewMem()
	w := New(mem, Options{SnapshotEvery: 7, Now: fixedClock()})
	st := mustCreate(t, w, "t", -100, 0, 100)
	for i := range 29 {
		v := int64(i*10 - 150)
		var err error
		if st, err = w.Commit(ctx, "t", addFile(st, fmt.Sprintf("f%02d", i), 100, k(v), k(v+60))); err != nil {
			t.Fatal(err)
		}
	}
	if st.TxnNumber() != 30 {
		t.Fatalf("TxnNumber = %d", st.TxnNumber())
	}
	snaps, err := mem.List(ctx, SnapshotPrefix("t"))
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, n := range []uint64{7, 14, 21, 28} {
		want = append(want, fmt.Sprintf("%s%020d.json", SnapshotPrefix("t"), n))
	}
	if !slices.Equal(snaps, want) {
		t.Errorf("snapshots = %q, want %q", snaps, want)
	}

	full := replayAll(t, mem, "t")
	assertSameState(t, "committer vs full replay", st, full)

	hook := &hookStore{Store: mem, prefix: LogPrefix("t")}
	opened := mustSnapshot(t, New(hook, Options{}), "t")
	assertSameState(t, "snapshot + replay vs full replay", opened, full)
	if got, want := hook.takeReads(), []string{"00000000000000000029.json", "00000000000000000030.json", "00000000000000000031.json"}; !slices.Equal(got, want) {
		t.Errorf("opening read log entries %q, want only %q", got, want)
	}

	// A corrupt newest snapshot is skipped for the one before it.
	if err := mem.Delete(ctx, want[3]); err != nil {
		t.Fatal(err)
	}
	if err := mem.PutIfAbsent(ctx, want[3], []byte("{not json")); err != nil {
		t.Fatal(err)
	}
	opened = mustSnapshot(t, New(hook, Options{}), "t")
	assertSameState(t, "older snapshot + replay vs full replay", opened, full)
	if got := hook.takeReads(); len(got) != 10 || got[0] != "00000000000000000022.json" {
		t.Errorf("after a corrupt snapshot, opening read %q, want entries 22..31", got)
	}
}

// TestConflictRevalidates injects a competing commit just before a writer's put, as
// Sleeper's in-memory log store hooks do: the writer must re-read, re-validate and either
// land after the competitor or fail with the validation error.
func TestConflictRevalidates(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name      string
		competing string // file the competitor adds
		wantErr   error
		wantTxn   uint64
	}{
		{"compatible", "other", nil, 3},
		{"conflicting", "f", ErrFileExists, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hook := &hookStore{Store: objstore.NewMem(), prefix: LogPrefix("t")}
			a := New(hook, Options{Backoff: fastBackoff})
			b := New(hook, Options{})
			st := mustCreate(t, a, "t", 0)
			injected := 0
			hook.setBefore(func(string) {
				hook.setBefore(nil)
				injected++
				if _, err := b.Commit(ctx, "t", addFile(st, tc.competing, 1, k(1), k(1))); err != nil {
					t.Errorf("competing commit: %v", err)
				}
			})
			got, err := a.Commit(ctx, "t", addFile(st, "f", 10, k(-1), k(1)))
			if injected != 1 {
				t.Fatalf("hook ran %d times", injected)
			}
			if !errors.Is(err, tc.wantErr) || (err == nil) != (tc.wantErr == nil) {
				t.Fatalf("Commit error = %v, want %v", err, tc.wantErr)
			}
			if err == nil {
				if got.TxnNumber() != tc.wantTxn {
					t.Errorf("TxnNumber = %d, want %d", got.TxnNumber(), tc.wantTxn)
				}
				if f, _ := got.File("f"); f == nil || f.AddedTxn != 3 {
					t.Errorf("file f = %+v, want added by txn 3", f)
				}
			}
			assertSameState(t, "after conflict", mustSnapshot(t, a, "t"), replayAll(t, hook, "t"))
		})
	}
}

func TestConflictExhaustsAttempts(t *testing.T) {
	ctx := context.Background()
	hook := &hookStore{Store: objstore.NewMem(), prefix: LogPrefix("t")}
	a := New(hook, Options{Backoff: Backoff{Attempts: 3, First: time.Microsecond, Max: time.Microsecond}})
	b := New(hook, Options{})
	mustCreate(t, a, "t")
	i := 0
	// Re-arm the hook after every injection so that every attempt loses.
	var arm func(string)
	arm = func(name string) {
		hook.setBefore(nil)
		i++
		st := mustSnapshot(t, b, "t")
		if _, err := b.Commit(ctx, "t", addFile(st, fmt.Sprintf("b%d", i), 1, k(1), k(1))); err != nil {
			t.Errorf("competing commit: %v", err)
		}
		hook.setBefore(arm)
	}
	hook.setBefore(arm)
	_, err := a.Commit(ctx, "t", addFile(mustSnapshot(t, a, "t"), "a", 1, k(1), k(1)))
	if !errors.Is(err, ErrConflict) || !errors.Is(err, errs.Conflict) {
		t.Fatalf("Commit error = %v, want ErrConflict (an errs.Conflict)", err)
	}
	if i != 3 {
		t.Errorf("%d attempts, want 3", i)
	}
	hook.setBefore(nil)
	if st := mustSnapshot(t, b, "t"); st.TxnNumber() != 4 {
		t.Errorf("TxnNumber = %d, want 4 (create + 3 competitors)", st.TxnNumber())
	}
}

// commitMany commits n single-file AddFiles for writer w through its own Store.
func commitMany(ctx context.Context, obj objstore.Store, id TableID, w, n int) error {
	s := New(obj, Options{Backoff: fastBackoff, SnapshotEvery: 10})
	for i := range n {
		st, err := s.Snapshot(ctx, id)
		if err != nil {
			return err
		}
		v := int64(w*1000 + i)
		if _, err := s.Commit(ctx, id, addFile(st, fmt.Sprintf("w%d-f%03d", w, i), 10, k(v), k(v+500))); err != nil {
			return fmt.Errorf("writer %d commit %d: %w", w, i, err)
		}
	}
	return nil
}

// checkAllLanded asserts that writers x commits all landed exactly once, in a contiguous
// log whose full replay equals what a fresh Store sees.
func checkAllLanded(t *testing.T, obj objstore.Store, id TableID, writers, commits int) {
	t.Helper()
	ctx := context.Background()
	st := mustSnapshot(t, New(obj, Options{}), id)
	if want := uint64(1 + writers*commits); st.TxnNumber() != want {
		t.Errorf("TxnNumber = %d, want %d", st.TxnNumber(), want)
	}
	log, _ := NewLog(obj, LogPrefix(id))
	entries, err := log.Entries(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i, n := range entries {
		if n != uint64(i+1) {
			t.Fatalf("log entries not contiguous at %d: %d", i+1, n)
		}
	}
	if len(entries) != 1+writers*commits {
		t.Errorf("%d log entries, want %d", len(entries), 1+writers*commits)
	}
	files := st.Files()
	if len(files) != writers*commits {
		t.Errorf("%d files, want %d", len(files), writers*commits)
	}
	added := map[uint64]string{}
	for _, f := range files {
		if prev, dup := added[f.AddedTxn]; dup {
			t.Errorf("files %s and %s both added by txn %d", prev, f.Name, f.AddedTxn)
		}
		added[f.AddedTxn] = f.Name
	}
	for w := range writers {
		for i := range commits {
			if _, ok := st.File(fmt.Sprintf("w%d-f%03d", w, i)); !ok {
				t.Errorf("file w%d-f%03d missing", w, i)
			}
		}
	}
	checkInvariants(t, st)
	assertSameState(t, "fresh store vs full replay", st, replayAll(t, obj, id))
}

func TestConcurrentCommits(t *testing.T) {
	const writers, commits = 6, 15
	for _, tc := range []struct {
		name string
		open func(t *testing.T) objstore.Store
	}{
		{"Mem", func(*testing.T) objstore.Store { return objstore.NewMem() }},
		{"Local", func(t *testing.T) objstore.Store {
			s, err := objstore.NewLocal(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			return s
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			obj := tc.open(t)
			mustCreate(t, New(obj, Options{}), "t", 2000, 4000)
			var wg sync.WaitGroup
			for w := range writers {
				wg.Go(func() {
					if err := commitMany(ctx, obj, "t", w, commits); err != nil {
						t.Error(err)
					}
				})
			}
			wg.Wait()
			checkAllLanded(t, obj, "t", writers, commits)
		})
	}
}

// TestConcurrentReaders has goroutines of one Store read snapshots while others commit:
// each reader sees transaction numbers that never go back and states that hold together.
func TestConcurrentReaders(t *testing.T) {
	ctx := context.Background()
	mem := objstore.NewMem()
	s := New(mem, Options{Backoff: fastBackoff, SnapshotEvery: 5})
	mustCreate(t, s, "t", 100)
	var wg sync.WaitGroup
	for w := range 2 {
		wg.Go(func() {
			for i := range 20 {
				st, err := s.Snapshot(ctx, "t")
				if err == nil {
					_, err = s.Commit(ctx, "t", addFile(st, fmt.Sprintf("w%d-f%03d", w, i), 10, k(int64(i)), k(int64(i+200))))
				}
				if err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	for range 3 {
		wg.Go(func() {
			var last uint64
			for range 50 {
				st, err := s.Snapshot(ctx, "t")
				if err != nil {
					t.Error(err)
					return
				}
				if st.TxnNumber() < last {
					t.Errorf("txn went back from %d to %d", last, st.TxnNumber())
				}
				last = st.TxnNumber()
				if got := len(st.Files()); uint64(got) != st.TxnNumber()-1 {
					t.Errorf("txn %d has %d files", st.TxnNumber(), got)
				}
				checkInvariants(t, st)
			}
		})
	}
	wg.Wait()
	checkAllLanded(t, mem, "t", 2, 20)
}

const (
	helperDirEnv    = "STATESTORE_HELPER_DIR"
	helperWriterEnv = "STATESTORE_HELPER_WRITER"
	helperCommits   = 12
)

// TestHelperProcess is a child of TestMultiProcess: one writer committing to the table.
func TestHelperProcess(t *testing.T) {
	dir := os.Getenv(helperDirEnv)
	if dir == "" {
		t.Skip("run by TestMultiProcess")
	}
	w, err := strconv.Atoi(os.Getenv(helperWriterEnv))
	if err != nil {
		t.Fatal(err)
	}
	local, err := objstore.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	if err := commitMany(ctx, local, "t", w, helperCommits); err != nil {
		t.Fatal(err)
	}
}

// TestMultiProcess has several OS processes commit to one table in one local directory at
// once, coordinating only through link(2).
func TestMultiProcess(t *testing.T) {
	if os.Getenv(helperDirEnv) != "" {
		return
	}
	const procs = 4
	dir := filepath.Join(t.TempDir(), "store")
	local, err := objstore.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	mustCreate(t, New(local, Options{}), "t", 2000)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	for w := range procs {
		cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
		cmd.Env = append(os.Environ(), helperDirEnv+"="+dir, helperWriterEnv+"="+strconv.Itoa(w))
		wg.Go(func() {
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("writer process %d: %v\n%s", w, err, out)
			}
		})
	}
	wg.Wait()
	checkAllLanded(t, local, "t", procs, helperCommits)
}
