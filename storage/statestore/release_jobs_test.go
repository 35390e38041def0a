package statestore

import (
	"context"
	"errors"
	"testing"

	"github.com/sleeperd/sleeperd/storage/objstore"
)

func TestReleaseJobs(t *testing.T) {
	ctx := context.Background()
	st := New(objstore.NewMem(), Options{Now: fixedClock()})
	s, err := st.Create(ctx, "t", InitialisePartitions{})
	if err != nil {
		t.Fatal(err)
	}
	if s, err = st.Commit(ctx, "t", addFile(s, "f1", 10, k(1), k(5))); err != nil {
		t.Fatal(err)
	}
	if s, err = st.Commit(ctx, "t", addFile(s, "f2", 10, k(6), k(9))); err != nil {
		t.Fatal(err)
	}
	root := s.Root().ID
	claim := AssignJobIds{Jobs: []JobAssignment{{JobID: "j1", PartitionID: root, Files: []string{"f1", "f2"}}}}
	if s, err = st.Commit(ctx, "t", claim); err != nil {
		t.Fatal(err)
	}
	jobs := s.Jobs()
	if len(jobs) != 1 || jobs[0].AssignedAt.IsZero() {
		t.Fatalf("jobs after claim: %+v", jobs)
	}
	if _, err := st.Commit(ctx, "t", ReleaseJobs{JobIDs: []string{"nope"}}); !errors.Is(err, ErrNotAssigned) {
		t.Errorf("releasing an unknown job: %v", err)
	}
	if s, err = st.Commit(ctx, "t", ReleaseJobs{JobIDs: []string{"j1"}}); err != nil {
		t.Fatal(err)
	}
	if len(s.Jobs()) != 0 {
		t.Errorf("jobs after release: %+v", s.Jobs())
	}
	// The released job can no longer commit, and the files can be claimed again.
	done := ReplaceFileReferences{Jobs: []JobResult{{JobID: "j1", PartitionID: root, InputFiles: []string{"f1", "f2"}}}}
	if _, err := st.Commit(ctx, "t", done); !errors.Is(err, ErrInvalidTransaction) {
		t.Errorf("released job committed: %v", err)
	}
	claim.Jobs[0].JobID = "j2"
	if _, err := st.Commit(ctx, "t", claim); err != nil {
		t.Errorf("claim after release: %v", err)
	}
	// A fresh store replays the log to the same state.
	assertSameState(t, "replay", replayAll(t, st.os, "t"), mustSnapshot(t, st, "t"))
}
