package statestore

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/storage/objstore"
)

// A write prepared before RetireColumns, naming a retired column, fails to commit with
// ErrColumnRetired, a serialization conflict, also when another Store on the same objects
// (another process) retired it, and also inside a Batch; one naming only the new name, or
// none, commits; a replay and a snapshot reach the same state; Revive takes a name back.
func TestRetireColumnsFencesWrites(t *testing.T) {
	ctx := context.Background()
	os := objstore.NewMem()
	writer := New(os, Options{Now: fixedClock(), SnapshotEvery: 4})
	alter := New(os, Options{Now: fixedClock()})
	st, err := writer.Create(ctx, "t", InitialisePartitions{SplitPoints: [][]byte{k(100)}})
	if err != nil {
		t.Fatal(err)
	}
	old := addFile(st, "old", 10, k(1), k(200))
	old.Columns = []string{"id", "v"}
	if _, err := alter.Commit(ctx, "t", RetireColumns{Names: []string{"v", "w"}}); err != nil {
		t.Fatal(err)
	}
	_, err = writer.Commit(ctx, "t", old)
	if !errors.Is(err, ErrColumnRetired) || !errors.Is(err, ErrInvalidTransaction) || errs.KindOf(err) != errs.Conflict {
		t.Fatalf("commit of a write naming a retired column: %v (kind %v), want ErrColumnRetired, a conflict", err, errs.KindOf(err))
	}
	_, err = writer.Commit(ctx, "t", Batch{Txns: []Transaction{UnchangedSince{Since: 1}, old}})
	if !errors.Is(err, ErrColumnRetired) {
		t.Fatalf("batch holding a write naming a retired column: %v, want ErrColumnRetired", err)
	}
	st, err = writer.Snapshot(ctx, "t")
	if err != nil {
		t.Fatal(err)
	}
	if got := st.RetiredColumns(); !slices.Equal(got, []string{"v", "w"}) {
		t.Fatalf("retired %v, want [v w]", got)
	}
	if len(st.Files()) != 0 {
		t.Fatalf("refused writes left files %v", st.Files())
	}
	fresh := addFile(st, "new", 10, k(1), k(200))
	fresh.Columns = []string{"id", "v#2"}
	if _, err := writer.Commit(ctx, "t", fresh); err != nil {
		t.Fatalf("write under the new name: %v", err)
	}
	unnamed := addFile(st, "unnamed", 1, k(5), k(5))
	if _, err := writer.Commit(ctx, "t", unnamed); err != nil {
		t.Fatalf("write naming no columns: %v", err)
	}
	if st, err = alter.Commit(ctx, "t", RetireColumns{Names: []string{"w", "x"}, Revive: true}); err != nil {
		t.Fatal(err)
	}
	if got := st.RetiredColumns(); !slices.Equal(got, []string{"v"}) {
		t.Fatalf("retired after revive %v, want [v]", got)
	}
	if _, err := alter.Commit(ctx, "t", RetireColumns{}); !errors.Is(err, ErrInvalidTransaction) {
		t.Fatalf("empty RetireColumns: %v, want ErrInvalidTransaction", err)
	}
	checkInvariants(t, st)
	assertReplayedAndSnapshotted(t, os, st)
	// A third store opening the table from its snapshot still refuses the retired name.
	third := New(os, Options{Now: fixedClock()})
	again := addFile(st, "again", 1, k(7), k(7))
	again.Columns = []string{"v"}
	if _, err := third.Commit(ctx, "t", again); !errors.Is(err, ErrColumnRetired) {
		t.Fatalf("reopened store: %v, want ErrColumnRetired", err)
	}
}

// Writes racing a RetireColumns from another Store either commit before it (and are in
// the state it follows) or are refused: none commits after it.
func TestRetireColumnsRace(t *testing.T) {
	ctx := context.Background()
	os := objstore.NewMem()
	alter := New(os, Options{Now: fixedClock()})
	st, err := alter.Create(ctx, "t", InitialisePartitions{})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	const writers = 8
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := New(os, Options{Now: fixedClock()})
			txn := addFile(st, "f"+string(rune('a'+i)), 1, k(int64(i)), k(int64(i)))
			txn.Columns = []string{"v"}
			if _, err := w.Commit(ctx, "t", txn); err != nil && !errors.Is(err, ErrColumnRetired) {
				t.Errorf("writer %d: %v", i, err)
			}
		}()
	}
	fenced, err := alter.Commit(ctx, "t", RetireColumns{Names: []string{"v"}})
	if err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	final, err := alter.Snapshot(ctx, "t")
	if err != nil {
		t.Fatal(err)
	}
	if len(final.Files()) != len(fenced.Files()) {
		t.Fatalf("%d files after the fence, %d at it: a write committed after the fence", len(final.Files()), len(fenced.Files()))
	}
}

// A fence (RetireColumns with a token) retires a name while any token holds it: lifting one
// token's fence leaves another's, so a holder never lifts the fence of another; Renew moves
// the lease of a fence that stands and sets none that was lifted; Keep retires the name for
// good. A delete predicate made under a retired name is refused as a write of files is. A
// replay and a snapshot reach the same state.
func TestRetireColumnsFenceTokens(t *testing.T) {
	ctx := context.Background()
	os := objstore.NewMem()
	s := New(os, Options{Now: fixedClock(), SnapshotEvery: 3})
	if _, err := s.Create(ctx, "t", InitialisePartitions{}); err != nil {
		t.Fatal(err)
	}
	lease := time.Date(2026, 1, 2, 4, 0, 0, 0, time.UTC)
	commit := func(txn Transaction) *State {
		t.Helper()
		st, err := s.Commit(ctx, "t", txn)
		if err != nil {
			t.Fatalf("%s: %v", txn.Summary(), err)
		}
		return st
	}
	refused := func(st *State, name string, want bool) {
		t.Helper()
		if got := st.ColumnRetired(name); got != want {
			t.Fatalf("ColumnRetired(%q) = %v, want %v (fences %v, retired %v)", name, got, want, st.Fences(), st.RetiredColumns())
		}
		del := AddDeletePredicate{ID: "d-" + name, Predicate: []byte("x"), Columns: []string{"id", name}}
		_, err := s.Commit(ctx, "t", del)
		if want && !errors.Is(err, ErrColumnRetired) {
			t.Fatalf("delete predicate naming %q: %v, want ErrColumnRetired", name, err)
		}
		if !want && err != nil {
			t.Fatalf("delete predicate naming %q: %v", name, err)
		}
	}
	commit(RetireColumns{Names: []string{"v"}, Token: "a", Owner: "host:1", Until: lease})
	st := commit(RetireColumns{Names: []string{"v"}, Token: "b", Owner: "host:2", Until: lease})
	if got := st.Fences(); len(got) != 2 || got[0].Token != "a" || got[1].Token != "b" || got[0].Owner != "host:1" {
		t.Fatalf("fences %v, want a and b on v", got)
	}
	refused(st, "v", true)
	// b's ALTER fails: a's fence stays.
	st = commit(RetireColumns{Names: []string{"v"}, Token: "b", Revive: true})
	refused(st, "v", true)
	// A legacy revive (no token) does not lift a fence either.
	st = commit(RetireColumns{Names: []string{"v"}, Revive: true})
	refused(st, "v", true)
	later := lease.Add(time.Minute)
	st = commit(RetireColumns{Names: []string{"v"}, Token: "a", Until: later, Renew: true})
	if got := st.Fences(); len(got) != 1 || !got[0].Until.Equal(later) || got[0].Owner != "host:1" {
		t.Fatalf("fences after renewal %v, want a until %v", got, later)
	}
	// Renewing a lifted fence sets nothing.
	st = commit(RetireColumns{Names: []string{"v"}, Token: "b", Until: later, Renew: true})
	if got := st.Fences(); len(got) != 1 || got[0].Token != "a" {
		t.Fatalf("fences after renewing a lifted one %v, want only a", got)
	}
	checkInvariants(t, st)
	assertSameState(t, "replay with fences", st, replayAll(t, os, "t"))
	// a's ALTER committed: v is retired for good.
	st = commit(RetireColumns{Names: []string{"v"}, Token: "a", Keep: true})
	if len(st.Fences()) != 0 || !slices.Equal(st.RetiredColumns(), []string{"v"}) {
		t.Fatalf("after keep: fences %v, retired %v; want none and [v]", st.Fences(), st.RetiredColumns())
	}
	refused(st, "v", true)
	refused(st, "w", false)
	// a's own revive, were it to run now, lifts no fence and revives nothing.
	st = commit(RetireColumns{Names: []string{"v"}, Token: "a", Revive: true})
	refused(st, "v", true)
	assertReplayedAndSnapshotted(t, os, st)
	for _, bad := range []RetireColumns{
		{Names: []string{"v"}, Token: "c"},                           // no lease
		{Names: []string{"v"}, Until: lease},                         // a lease without a token
		{Names: []string{"v"}, Keep: true},                           // keep without a token
		{Names: []string{"v"}, Token: "c", Revive: true, Keep: true}, // two actions
		{Names: []string{"v"}, Token: "c", Until: lease, Renew: true, Revive: true},
	} {
		if _, err := s.Commit(ctx, "t", bad); !errors.Is(err, ErrInvalidTransaction) {
			t.Errorf("%+v: %v, want ErrInvalidTransaction", bad, err)
		}
	}
}

// RetiredAt gives the commit time of the transaction that retired a name for good (one
// without a token, as older builds fenced, or a fence kept), through a replay and a snapshot;
// a snapshot written before the times were recorded gives its own time, which is later.
func TestRetiredAtRecordsCommitTime(t *testing.T) {
	ctx := context.Background()
	os := objstore.NewMem()
	s := New(os, Options{Now: fixedClock()})
	if _, err := s.Create(ctx, "t", InitialisePartitions{}); err != nil {
		t.Fatal(err)
	}
	older, err := s.Commit(ctx, "t", RetireColumns{Names: []string{"v"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Commit(ctx, "t", RetireColumns{Names: []string{"w"}, Token: "a", Owner: "h:1", Until: older.Time().Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.mustSnapshot(t, ctx).RetiredAt("w"); ok {
		t.Fatal("a name a fence holds is not retired for good")
	}
	kept, err := s.Commit(ctx, "t", RetireColumns{Names: []string{"w"}, Token: "a", Keep: true})
	if err != nil {
		t.Fatal(err)
	}
	// Retiring a name again leaves its time as it was.
	st, err := s.Commit(ctx, "t", RetireColumns{Names: []string{"v"}})
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]time.Time{"v": older.Time(), "w": kept.Time()} {
		if at, ok := st.RetiredAt(name); !ok || !at.Equal(want) {
			t.Errorf("RetiredAt(%q) = %v, %v; want %v", name, at, ok, want)
		}
	}
	if _, ok := st.RetiredAt("x"); ok {
		t.Error("RetiredAt of a name never retired")
	}
	assertReplayedAndSnapshotted(t, os, st)
	// A snapshot of an older build records no times.
	data, err := marshalSnapshot(st)
	if err != nil {
		t.Fatal(err)
	}
	var in snapshotJSON
	if err := json.Unmarshal(data, &in); err != nil {
		t.Fatal(err)
	}
	in.RetiredAt = nil
	if data, err = json.Marshal(in); err != nil {
		t.Fatal(err)
	}
	back, err := unmarshalSnapshot("t", data)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"v", "w"} {
		if at, ok := back.RetiredAt(name); !ok || !at.Equal(st.Time()) {
			t.Errorf("from an older snapshot, RetiredAt(%q) = %v, %v; want the snapshot's time %v", name, at, ok, st.Time())
		}
	}
	in.RetiredAt = in.RetiredAt[:0]
	in.RetiredAt = append(in.RetiredAt, st.Time())
	if data, err = json.Marshal(in); err != nil {
		t.Fatal(err)
	}
	if _, err := unmarshalSnapshot("t", data); !errors.Is(err, ErrCorrupt) {
		t.Errorf("a snapshot with fewer times than retired names: %v, want ErrCorrupt", err)
	}
}

func (s *Store) mustSnapshot(t *testing.T, ctx context.Context) *State {
	t.Helper()
	st, err := s.Snapshot(ctx, "t")
	if err != nil {
		t.Fatal(err)
	}
	return st
}
