package statestore

import (
	"context"
	"errors"
	"testing"

	"github.com/sleeperd/sleeperd/storage/objstore"
)

// Overlay applies transactions to a state without committing them; Entries reads the
// transactions committed after a state, batches flattened; CommitIf commits only after a
// state its check accepts, checking again when another Store won the race.
func TestOverlayEntriesCommitIf(t *testing.T) {
	ctx := context.Background()
	os := objstore.NewMem()
	a := New(os, Options{Now: fixedClock()})
	b := New(os, Options{Now: fixedClock()})
	st, err := a.Create(ctx, "t", InitialisePartitions{})
	if err != nil {
		t.Fatal(err)
	}
	over, err := Overlay(st, addFile(st, "f1", 10, k(1), k(5)), AddDeletePredicate{ID: "d", Predicate: []byte("p")})
	if err != nil {
		t.Fatal(err)
	}
	if f, ok := over.File("f1"); !ok || f.AddedTxn != 2 || over.TxnNumber() != 3 || len(over.DeletePredicates()) != 1 {
		t.Fatalf("overlay: %v", over)
	}
	if cur, _ := a.Snapshot(ctx, "t"); len(cur.Files()) != 0 || cur.TxnNumber() != 1 {
		t.Fatalf("overlay committed: %v", cur)
	}
	if _, err := Overlay(st, addFile(st, "f1", 10, k(1), k(5)), addFile(st, "f1", 10, k(1), k(5))); !errors.Is(err, ErrInvalidTransaction) {
		t.Errorf("overlay of a file added twice: %v", err)
	}

	st2, err := b.Commit(ctx, "t", Batch{Txns: []Transaction{AddDeletePredicate{ID: "x", Predicate: []byte("p")}, addFile(st, "f2", 10, k(1), k(5))}})
	if err != nil {
		t.Fatal(err)
	}
	es, err := a.Entries(ctx, "t", 1, st2.TxnNumber())
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 2 || es[0].Kind() != "ADD_DELETE_PREDICATE" || es[1].Kind() != "ADD_FILES" {
		t.Fatalf("entries %v", es)
	}

	// a's cached state is 1; the check sees the latest one, 2, and refuses it.
	refuse := errors.New("moved")
	var seen []uint64
	_, err = a.CommitIf(ctx, "t", addFile(st2, "f3", 1, k(1), k(1)), func(s *State) error {
		seen = append(seen, s.TxnNumber())
		if s.TxnNumber() != 1 {
			return refuse
		}
		return nil
	})
	if !errors.Is(err, refuse) || len(seen) != 1 || seen[0] != 2 {
		t.Fatalf("CommitIf after a commit of another Store: %v, checked %v", err, seen)
	}
	if _, ok := mustSnapshot(t, b, "t").File("f3"); ok {
		t.Fatal("refused commit committed")
	}
	st3, err := a.CommitIf(ctx, "t", addFile(st2, "f3", 1, k(1), k(1)), func(s *State) error {
		if s.TxnNumber() != 2 {
			return refuse
		}
		return nil
	})
	if err != nil || st3.TxnNumber() != 3 {
		t.Fatalf("CommitIf: %v", err)
	}
}
