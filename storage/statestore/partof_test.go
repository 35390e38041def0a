package statestore

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sleeperd/sleeperd/storage/objstore"
)

// A commit of two tables through PartOf entries: invisible to every reader until its
// record is published, then visible in both tables at once; one whose committer never
// publishes (it died) is aborted by a reader after the grace period, in both tables, and
// the committer's late Publish fails.
func TestPartOf(t *testing.T) {
	ctx := context.Background()
	os := objstore.NewMem()
	var now atomic.Int64
	base := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	clock := func() time.Time { return base.Add(time.Duration(now.Load())) }
	w := New(os, Options{Now: clock, Backoff: fastBackoff})
	r := New(os, Options{Now: clock, CommitGrace: time.Minute})
	for _, id := range []TableID{"a", "b"} {
		if _, err := w.Create(ctx, id, InitialisePartitions{}); err != nil {
			t.Fatal(err)
		}
	}
	files := func(s *Store, id TableID) int {
		t.Helper()
		st, err := s.Snapshot(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return len(st.Files())
	}
	commit := func(id TableID, commit, file string) {
		t.Helper()
		st, err := w.Snapshot(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Commit(ctx, id, &PartOf{Commit: commit, Txns: []Transaction{addFile(st, file, 10, k(1), k(2))}}); err != nil {
			t.Fatal(err)
		}
	}

	commit("a", "c1", "a1")
	commit("b", "c1", "b1")
	for _, s := range []*Store{w, r} {
		if files(s, "a")+files(s, "b") != 0 {
			t.Fatal("an unpublished commit is visible")
		}
	}
	if err := w.Publish(ctx, "c1"); err != nil {
		t.Fatal(err)
	}
	for _, s := range []*Store{w, r, New(os, Options{})} {
		if files(s, "a") != 1 || files(s, "b") != 1 {
			t.Fatal("a published commit is not visible in both tables")
		}
	}
	if st, err := r.StateAt(ctx, "a", 2); err != nil || len(st.Files()) != 1 {
		t.Fatalf("StateAt of a published commit: %v", err)
	}

	// c2's committer dies after writing a's entry.
	commit("a", "c2", "a2")
	if files(r, "a") != 1 {
		t.Fatal("an undecided commit is visible")
	}
	now.Store(int64(2 * time.Minute))
	if files(r, "a") != 1 {
		t.Fatal("an aborted commit is visible")
	}
	if st, _ := r.Snapshot(ctx, "a"); st.TxnNumber() != 3 {
		t.Fatalf("the aborted entry was not passed: state %d", st.TxnNumber())
	}
	if err := w.Publish(ctx, "c2"); !errors.Is(err, ErrCommitAborted) {
		t.Fatalf("Publish after an abort: %v", err)
	}
	// The table goes on.
	commit("a", "c3", "a3")
	if err := w.Publish(ctx, "c3"); err != nil {
		t.Fatal(err)
	}
	if files(w, "a") != 2 || files(New(os, Options{}), "a") != 2 {
		t.Fatal("a commit after an aborted one is not visible")
	}
	if err := w.Abort(ctx, "c3"); err == nil {
		t.Fatal("Abort of a published commit succeeded")
	}
}
