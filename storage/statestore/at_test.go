package statestore

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/sleeperd/sleeperd/storage/objstore"
)

// TestStateAt rebuilds every past state of a table, through snapshots and the log, from a
// Store that never saw them committed; states whose log entries were trimmed are gone.
func TestStateAt(t *testing.T) {
	ctx := context.Background()
	os := objstore.NewMem()
	w := New(os, Options{SnapshotEvery: 3, KeepBehindSnapshot: -1, Now: fixedClock()})
	st, err := w.Create(ctx, "t", InitialisePartitions{SplitPoints: [][]byte{k(10)}})
	if err != nil {
		t.Fatal(err)
	}
	states := []*State{st}
	for i := 0; i < 6; i++ {
		if st, err = w.Commit(ctx, "t", addFile(st, fmt.Sprintf("f%d", i), 100, k(int64(i)), k(int64(i+10)))); err != nil {
			t.Fatal(err)
		}
		states = append(states, st)
	}
	r := New(os, Options{})
	for _, want := range states {
		got, err := r.StateAt(ctx, "t", want.TxnNumber())
		if err != nil {
			t.Fatalf("state %d: %v", want.TxnNumber(), err)
		}
		assertSameState(t, fmt.Sprintf("state %d", want.TxnNumber()), got, want)
	}
	if _, err := r.StateAt(ctx, "t", 8); !errors.Is(err, ErrTableNotFound) {
		t.Errorf("a state after the last entry: %v", err)
	}
	// Commit past more snapshots with a writer that trims the oldest entries.
	w = New(os, Options{SnapshotEvery: 3, KeepBehindSnapshot: 4, Now: fixedClock()})
	for i := 6; i < 20; i++ {
		if st, err = w.Commit(ctx, "t", addFile(st, fmt.Sprintf("f%d", i), 100, k(int64(i)), k(int64(i+10)))); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := r.StateAt(ctx, "t", 1); !errors.Is(err, ErrStateGone) {
		t.Errorf("state 1 after trimming: %v, want ErrStateGone", err)
	}
	got, err := r.StateAt(ctx, "t", st.TxnNumber()-1)
	if err != nil {
		t.Fatal(err)
	}
	if got.TxnNumber() != st.TxnNumber()-1 || len(got.Files()) != len(st.Files())-1 {
		t.Errorf("state %d has %d files", got.TxnNumber(), len(got.Files()))
	}
}
