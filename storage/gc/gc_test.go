package gc

import (
	"bytes"
	"context"
	"slices"
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
