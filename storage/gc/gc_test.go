package gc

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sleeperd/sleeperd/storage/keys"
	"github.com/sleeperd/sleeperd/storage/objstore"
	"github.com/sleeperd/sleeperd/storage/statestore"
)

func key(v int64) []byte {
	k, _ := keys.AppendGo(nil, arrow.PrimitiveTypes.Int64, v)
	return k
}

// setup creates table "t" with files a, b (objects too), then replaces them by c at time
// t0+1m. It returns the txn of the state before the replacement.
func setup(t *testing.T, clock *time.Time) (objstore.Store, *statestore.Store, uint64) {
	t.Helper()
	ctx := context.Background()
	store := objstore.NewMem()
	ss := statestore.New(store, statestore.Options{Now: func() time.Time { return *clock }})
	if _, err := ss.Create(ctx, "t", statestore.InitialisePartitions{}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"a", "b", "c"} {
		if err := store.Put(ctx, "files/"+name, bytes.NewReader([]byte(name))); err != nil {
			t.Fatal(err)
		}
	}
	file := func(name string) statestore.NewFile {
		return statestore.NewFile{
			File:       statestore.File{Name: "files/" + name, Rows: 1, MinKey: key(1), MaxKey: key(1)},
			References: []statestore.FileReference{{File: "files/" + name, PartitionID: statestore.RootID, Rows: 1, Exact: true}},
		}
	}
	st, err := ss.Commit(ctx, "t", statestore.AddFiles{Files: []statestore.NewFile{file("a"), file("b")}})
	if err != nil {
		t.Fatal(err)
	}
	before := st.TxnNumber()
	if _, err := ss.Commit(ctx, "t", statestore.AssignJobIds{Jobs: []statestore.JobAssignment{{JobID: "j", PartitionID: statestore.RootID, Files: []string{"files/a", "files/b"}}}}); err != nil {
		t.Fatal(err)
	}
	*clock = clock.Add(time.Minute)
	out := file("c")
	out.References = nil
	out.File.Rows = 2
	if _, err := ss.Commit(ctx, "t", statestore.ReplaceFileReferences{Jobs: []statestore.JobResult{{JobID: "j", PartitionID: statestore.RootID, InputFiles: []string{"files/a", "files/b"}, Output: &out}}}); err != nil {
		t.Fatal(err)
	}
	return store, ss, before
}

func TestRun(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	const delay = 10 * time.Minute
	for _, tc := range []struct {
		name    string
		now     time.Duration // after t0
		protect string        // "": none; "before": the snapshot before the replacement; "after": the latest
		want    []string
	}{
		{"within the delay", 5 * time.Minute, "", nil},
		{"just before the delay", time.Minute + delay - time.Second, "", nil},
		{"at the delay", time.Minute + delay, "", []string{"files/a", "files/b"}},
		{"protected by a running query", time.Hour, "before", nil},
		{"a query on a newer snapshot", time.Hour, "after", []string{"files/a", "files/b"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			clock := t0
			store, ss, before := setup(t, &clock)
			var protect func() uint64
			switch tc.protect {
			case "before":
				protect = func() uint64 { return before }
			case "after":
				st, _ := ss.Snapshot(ctx, "t")
				latest := st.TxnNumber()
				protect = func() uint64 { return latest }
			}
			got, err := Run(ctx, store, ss, "t", delay, t0.Add(tc.now), protect)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("deleted %q, want %q", got, tc.want)
			}
			names, _ := store.List(ctx, "files/")
			st, _ := ss.Snapshot(ctx, "t")
			for _, name := range []string{"files/a", "files/b"} {
				gone := slices.Contains(tc.want, name)
				_, inState := st.File(name)
				if slices.Contains(names, name) == gone || inState == gone {
					t.Errorf("%s: object present %v, in state %v; want deleted %v", name, slices.Contains(names, name), inState, gone)
				}
			}
			if !slices.Contains(names, "files/c") {
				t.Errorf("the referenced file's object was deleted")
			}
			// A second run finds nothing more to do.
			if again, err := Run(ctx, store, ss, "t", delay, t0.Add(tc.now), protect); err != nil || len(again) != 0 {
				t.Fatalf("second run: %q, %v", again, err)
			}
		})
	}
}

// TestOverlappingRuns checks that two collectors that picked the same files from their own
// snapshots both succeed: the second finds the files already forgotten.
func TestOverlappingRuns(t *testing.T) {
	ctx := context.Background()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := t0
	store, ss, _ := setup(t, &clock)
	// Another process's store, whose cached state still lists a and b as unreferenced.
	other := statestore.New(store, statestore.Options{})
	if _, err := other.Snapshot(ctx, "t"); err != nil {
		t.Fatal(err)
	}
	later := t0.Add(time.Hour)
	first, err := Run(ctx, store, ss, "t", time.Minute, later, nil)
	if err != nil || len(first) != 2 {
		t.Fatalf("first run: %q, %v", first, err)
	}
	// The second store commits against a state that is behind: its DeleteFiles no longer
	// validates once it has caught up, and it must not fail.
	second, err := forget(ctx, other, "t", []string{"files/a", "files/b"})
	if err != nil || len(second) != 0 {
		t.Fatalf("second run: %q, %v", second, err)
	}
	st, _ := ss.Snapshot(ctx, "t")
	if _, ok := st.File("files/a"); ok {
		t.Error("files/a still in the state")
	}
}

// listHook runs after, if set, once ListInfo has listed: a writer acting between the
// collector's listing and its reading of the state.
type listHook struct {
	objstore.Store
	after func()
}

func (h *listHook) ListInfo(ctx context.Context, prefix string) ([]objstore.ObjectInfo, error) {
	out, err := h.Store.ListInfo(ctx, prefix)
	if h.after != nil {
		h.after()
		h.after = nil
	}
	return out, err
}

// orphanSetup creates table t in a store with a committed file, a committed and since
// unreferenced file, an orphan data file and a stray object, all under the table's prefix.
func orphanSetup(t *testing.T) (*listHook, *statestore.Store) {
	t.Helper()
	ctx := context.Background()
	store := &listHook{Store: objstore.NewMem()}
	ss := statestore.New(store, statestore.Options{SnapshotEvery: 2})
	if _, err := ss.Create(ctx, "t", statestore.InitialisePartitions{}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"committed", "replaced", "out", "orphan"} {
		if err := store.Put(ctx, "tables/t/files/"+name, bytes.NewReader([]byte(name))); err != nil {
			t.Fatal(err)
		}
	}
	if err := store.Put(ctx, "tables/t/stray", bytes.NewReader([]byte("x"))); err != nil {
		t.Fatal(err)
	}
	// Another table whose name extends this one's: never this table's business.
	if err := store.Put(ctx, "tables/t2/files/other", bytes.NewReader([]byte("x"))); err != nil {
		t.Fatal(err)
	}
	file := func(name string) statestore.NewFile {
		n := "tables/t/files/" + name
		return statestore.NewFile{
			File:       statestore.File{Name: n, Rows: 1, MinKey: key(1), MaxKey: key(1)},
			References: []statestore.FileReference{{File: n, PartitionID: statestore.RootID, Rows: 1, Exact: true}},
		}
	}
	commit := func(txn statestore.Transaction) {
		t.Helper()
		if _, err := ss.Commit(ctx, "t", txn); err != nil {
			t.Fatal(err)
		}
	}
	commit(statestore.AddFiles{Files: []statestore.NewFile{file("committed"), file("replaced")}})
	commit(statestore.AssignJobIds{Jobs: []statestore.JobAssignment{{JobID: "j", PartitionID: statestore.RootID, Files: []string{"tables/t/files/replaced"}}}})
	out := file("out")
	out.References = nil
	commit(statestore.ReplaceFileReferences{Jobs: []statestore.JobResult{{JobID: "j", PartitionID: statestore.RootID, InputFiles: []string{"tables/t/files/replaced"}, Output: &out}}})
	return store, ss
}

// TestSweepOrphans checks that the orphan sweep deletes exactly the objects under the
// table's prefix that the state does not name and that are older than the age: never a
// committed file, an unreferenced file still in the state, the log or the snapshots.
func TestSweepOrphans(t *testing.T) {
	ctx := context.Background()
	store, ss := orphanSetup(t)
	before, err := store.List(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	const age = time.Hour
	// Younger than the age: kept, whatever they are.
	got, err := SweepOrphans(ctx, store, ss, "t", age, time.Now().Add(age/2))
	if err != nil || len(got) != 0 {
		t.Fatalf("sweep of young objects deleted %q, %v", got, err)
	}
	got, err = SweepOrphans(ctx, store, ss, "t", age, time.Now().Add(2*age))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"tables/t/files/orphan", "tables/t/stray"}
	if !slices.Equal(got, want) {
		t.Fatalf("swept %q, want %q", got, want)
	}
	after, err := store.List(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range before {
		if slices.Contains(want, name) == slices.Contains(after, name) {
			t.Errorf("%s: present after the sweep %v", name, slices.Contains(after, name))
		}
	}
	for _, p := range []string{"tables/t/log/", "tables/t/snapshots/"} {
		if !slices.ContainsFunc(before, func(n string) bool { return strings.HasPrefix(n, p) }) {
			t.Fatalf("the setup wrote nothing under %s", p)
		}
	}
	// The state still reads, and a second sweep has nothing to do.
	if _, err := statestore.New(store, statestore.Options{}).Snapshot(ctx, "t"); err != nil {
		t.Fatalf("state after the sweep: %v", err)
	}
	if again, err := SweepOrphans(ctx, store, ss, "t", age, time.Now().Add(2*age)); err != nil || len(again) != 0 {
		t.Fatalf("second sweep: %q, %v", again, err)
	}
}

// TestSweepOrphansLateCommit checks that a file committed after the collector listed it,
// but before it read the state, is kept: the state is read after the listing.
func TestSweepOrphansLateCommit(t *testing.T) {
	ctx := context.Background()
	store, ss := orphanSetup(t)
	name := "tables/t/files/orphan"
	store.after = func() {
		other := statestore.New(store.Store, statestore.Options{})
		f := statestore.NewFile{
			File:       statestore.File{Name: name, Rows: 1, MinKey: key(1), MaxKey: key(1)},
			References: []statestore.FileReference{{File: name, PartitionID: statestore.RootID, Rows: 1, Exact: true}},
		}
		if _, err := other.Commit(ctx, "t", statestore.AddFiles{Files: []statestore.NewFile{f}}); err != nil {
			t.Error(err)
		}
	}
	got, err := SweepOrphans(ctx, store, ss, "t", time.Hour, time.Now().Add(2*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if slices.Contains(got, name) {
		t.Fatalf("swept %q, a file committed during the sweep", got)
	}
	if _, err := store.Size(ctx, name); err != nil {
		t.Fatalf("the committed file is gone: %v", err)
	}
}

// TestPurge checks that purging a table deletes everything under its prefix and nothing
// else, and that purging twice, or from two collectors at once, succeeds.
func TestPurge(t *testing.T) {
	ctx := context.Background()
	store, ss := orphanSetup(t)
	if _, err := ss.Snapshot(ctx, "t"); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var errs [2]error
	for i := range errs {
		wg.Go(func() { _, errs[i] = Purge(ctx, store, "t") })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatalf("concurrent purge: %v", err)
		}
	}
	if left, err := store.List(ctx, "tables/t/"); err != nil || len(left) != 0 {
		t.Fatalf("left after the purge: %q, %v", left, err)
	}
	if n, err := Purge(ctx, store, "t"); err != nil || n != 0 {
		t.Fatalf("second purge: %d, %v", n, err)
	}
	if other, err := store.List(ctx, "tables/t2/"); err != nil || len(other) != 1 {
		t.Fatalf("another table's objects: %q, %v", other, err)
	}
}
