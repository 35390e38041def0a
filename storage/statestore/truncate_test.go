package statestore

import (
	"context"
	"testing"

	"github.com/sleeperd/sleeperd/storage/objstore"
)

// Truncate removes every reference in one transaction; the files are left unreferenced for
// garbage collection, and a replay reaches the same state.
func TestTruncate(t *testing.T) {
	ctx := context.Background()
	os := objstore.NewMem()
	s := New(os, Options{Now: fixedClock()})
	st, err := s.Create(ctx, "t", InitialisePartitions{SplitPoints: [][]byte{k(100)}})
	if err != nil {
		t.Fatal(err)
	}
	if st, err = s.Commit(ctx, "t", addFile(st, "a", 10, k(1), k(200))); err != nil {
		t.Fatal(err)
	}
	if st, err = s.Commit(ctx, "t", addFile(st, "b", 5, k(150), k(160))); err != nil {
		t.Fatal(err)
	}
	st, err = s.Commit(ctx, "t", Truncate{})
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range st.Leaves() {
		if refs := st.References(l.ID); len(refs) != 0 {
			t.Errorf("leaf %s still references %v", l.ID, refs)
		}
	}
	if un := st.UnreferencedFiles(); len(un) != 2 {
		t.Errorf("unreferenced files: %d, want 2", len(un))
	}
	checkInvariants(t, st)
	assertSameState(t, "replay", st, replayAll(t, os, "t"))
	// A table with nothing in it can be truncated too.
	if _, err := s.Commit(ctx, "t", Truncate{}); err != nil {
		t.Fatal(err)
	}
}
