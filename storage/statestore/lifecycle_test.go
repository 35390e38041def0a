package statestore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sleeperd/sleeperd/storage/objstore"
)

// archiveStore copies every log entry written through it to archive, so that a test can
// replay a log whose entries were trimmed. The first entry of each number stays archived:
// a later one re-created after trimming is not part of the log.
type archiveStore struct {
	objstore.Store
	archive objstore.Store
}

func (a *archiveStore) PutIfAbsent(ctx context.Context, name string, data []byte) error {
	err := a.Store.PutIfAbsent(ctx, name, data)
	if err == nil && strings.Contains(name, "/log/") {
		if err := a.archive.PutIfAbsent(ctx, name, data); err != nil && !errors.Is(err, objstore.ErrExists) {
			return fmt.Errorf("archiving %s: %w", name, err)
		}
	}
	return err
}

// commitUntilLanded commits txn, re-reading the state after ErrUnknownOutcome: landed says
// whether a state holds the transaction's effect.
func commitUntilLanded(ctx context.Context, s *Store, txn Transaction, landed func(*State) bool) (*State, error) {
	for {
		st, err := s.Commit(ctx, "t", txn)
		if !errors.Is(err, ErrUnknownOutcome) {
			return st, err
		}
		if st, err = s.Snapshot(ctx, "t"); err != nil || landed(st) {
			return st, err
		}
	}
}

func names(t *testing.T, os objstore.Store, prefix string) []string {
	t.Helper()
	got, err := os.List(context.Background(), prefix)
	if err != nil {
		t.Fatal(err)
	}
	for i, n := range got {
		got[i] = strings.TrimSuffix(strings.TrimLeft(n[len(prefix):], "0"), ".json")
	}
	return got
}

// TestTrimming checks that the writer of a snapshot trims the log behind it, and that
// Stores whose cached states the trimming left behind reload from the newest snapshot,
// whether they read or commit.
func TestTrimming(t *testing.T) {
	ctx := context.Background()
	mem := objstore.NewMem()
	archive := objstore.NewMem()
	w := New(&archiveStore{Store: mem, archive: archive}, Options{SnapshotEvery: 5, KeepBehindSnapshot: 3, Now: fixedClock()})
	reader := New(mem, Options{ReloadBehind: -1})
	committer := New(&archiveStore{Store: mem, archive: archive}, Options{ReloadBehind: -1, KeepBehindSnapshot: -1})
	empty := New(mem, Options{})
	if _, err := empty.Snapshot(ctx, "t"); !errors.Is(err, ErrTableNotFound) {
		t.Fatalf("Snapshot before Create: %v", err)
	}
	st := mustCreate(t, w, "t", 0)
	mustSnapshot(t, reader, "t")
	mustSnapshot(t, committer, "t")
	for i := range 30 {
		var err error
		if st, err = w.Commit(ctx, "t", addFile(st, fmt.Sprintf("f%02d", i), 10, k(int64(i)), k(int64(i+5)))); err != nil {
			t.Fatal(err)
		}
	}
	// Txn 31; the snapshot of txn 30 trimmed the entries below 27 and the snapshots that
	// only they could extend.
	if got, want := names(t, mem, LogPrefix("t")), []string{"27", "28", "29", "30", "31"}; !slices.Equal(got, want) {
		t.Errorf("log entries = %v, want %v", got, want)
	}
	if got, want := names(t, mem, SnapshotPrefix("t")), []string{"30"}; !slices.Equal(got, want) {
		t.Errorf("snapshots = %v, want %v", got, want)
	}
	full := replayAll(t, archive, "t")
	assertSameState(t, "writer vs full replay", st, full)
	assertSameState(t, "stale reader vs full replay", mustSnapshot(t, reader, "t"), full)
	assertSameState(t, "new store vs full replay", mustSnapshot(t, New(mem, Options{}), "t"), full)
	assertSameState(t, "store that found no table vs full replay", mustSnapshot(t, empty, "t"), full)
	if _, err := empty.Create(ctx, "t", InitialisePartitions{}); !errors.Is(err, ErrTableExists) {
		t.Errorf("Create over a trimmed log: %v, want ErrTableExists", err)
	}

	// A stale committer must not take a trimmed entry number.
	got, err := committer.Commit(ctx, "t", addFile(full, "late", 10, k(1), k(2)))
	if err != nil {
		t.Fatal(err)
	}
	if got.TxnNumber() != 32 {
		t.Errorf("stale committer landed at txn %d, want 32", got.TxnNumber())
	}
	if got := names(t, mem, LogPrefix("t")); got[0] != "27" {
		t.Errorf("log entries after the stale commit = %v", got)
	}
	assertSameState(t, "stale committer vs full replay", got, replayAll(t, archive, "t"))

	infos, err := w.Transactions(ctx, "t", 29)
	if err != nil {
		t.Fatal(err)
	}
	var nums []uint64
	for _, in := range infos {
		nums = append(nums, in.Number)
		if in.Kind != "ADD_FILES" || !strings.HasPrefix(in.Summary, "add 1 file (10 rows): ") {
			t.Errorf("entry %d: %s %q", in.Number, in.Kind, in.Summary)
		}
	}
	if !slices.Equal(nums, []uint64{29, 30, 31, 32}) {
		t.Errorf("Transactions from 29 = %v", nums)
	}
	if infos, err := w.Transactions(ctx, "t", 0); err != nil || infos[0].Number != 27 {
		t.Errorf("Transactions from 0 start at %v (%v), want 27", infos, err)
	}
	if _, err := w.Transactions(ctx, "nope", 0); !errors.Is(err, ErrTableNotFound) {
		t.Errorf("Transactions of a missing table: %v", err)
	}

	// A deleted table is gone for a Store that cached it, even with a trimmed log.
	if err := w.Delete(ctx, "t"); err != nil {
		t.Fatal(err)
	}
	if _, err := reader.Snapshot(ctx, "t"); !errors.Is(err, ErrTableNotFound) {
		t.Errorf("Snapshot of a deleted table by a Store that cached it: %v", err)
	}
}

// TestReloadBehind checks that a Store far behind the log loads a newer snapshot rather
// than replaying every entry.
func TestReloadBehind(t *testing.T) {
	ctx := context.Background()
	mem := objstore.NewMem()
	w := New(mem, Options{SnapshotEvery: 10, KeepBehindSnapshot: -1, Now: fixedClock()})
	hook := &hookStore{Store: mem, prefix: LogPrefix("t")}
	r := New(hook, Options{ReloadBehind: 5})
	st := mustCreate(t, w, "t", 0)
	mustSnapshot(t, r, "t")
	for i := range 30 {
		var err error
		if st, err = w.Commit(ctx, "t", addFile(st, fmt.Sprintf("f%02d", i), 10, k(int64(i)), k(int64(i+5)))); err != nil {
			t.Fatal(err)
		}
	}
	hook.takeReads()
	assertSameState(t, "reloaded vs full replay", mustSnapshot(t, r, "t"), replayAll(t, mem, "t"))
	// Entry 2 showed the state behind; entry 6 existing, it loaded snapshot 30.
	if got, want := hook.takeReads(), []string{"00000000000000000002.json", "00000000000000000031.json", "00000000000000000032.json"}; !slices.Equal(got, want) {
		t.Errorf("catching up read %q, want %q", got, want)
	}
	// A Store a few entries behind replays them.
	for i := range 3 {
		var err error
		if st, err = w.Commit(ctx, "t", addFile(st, fmt.Sprintf("g%02d", i), 10, k(int64(i)), k(int64(i+5)))); err != nil {
			t.Fatal(err)
		}
	}
	hook.takeReads()
	assertSameState(t, "replayed vs full replay", mustSnapshot(t, r, "t"), replayAll(t, mem, "t"))
	if got := hook.takeReads(); len(got) != 4 {
		t.Errorf("catching up three entries read %q", got)
	}
}

// TestTransactionSemanticsConflicts injects a competing commit just before a writer's put:
// the writer re-reads and re-validates, so of two jobs claiming one reference, or two
// splits of one leaf, the second fails with its validation error.
func TestTransactionSemanticsConflicts(t *testing.T) {
	ctx := context.Background()
	split := func(left string) Transaction {
		return SplitPartition{ParentID: "p2", LeftID: left + "l", RightID: left + "r", SplitKey: k(10)}
	}
	assign := func(job string) Transaction {
		return AssignJobIds{Jobs: []JobAssignment{{JobID: job, PartitionID: "p2", Files: []string{"f"}}}}
	}
	for _, tc := range []struct {
		name          string
		mine, theirs  Transaction
		wantErr       error
		wantTxn       uint64
		wantPartition string
	}{
		{"split same leaf", split("a"), split("b"), ErrNotLeaf, 0, "bl"},
		{"assign same reference", assign("a"), assign("b"), ErrAssigned, 0, ""},
		{"split under a job", split("a"), assign("b"), nil, 4, "al"},
		{"delete predicate twice", AddDeletePredicate{ID: "d", Predicate: []byte("x")}, AddDeletePredicate{ID: "d", Predicate: []byte("y")}, ErrDeleteExists, 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hook := &hookStore{Store: objstore.NewMem(), prefix: LogPrefix("t")}
			a := New(hook, Options{Backoff: fastBackoff})
			b := New(hook, Options{})
			st := mustCreate(t, a, "t", 0)
			if _, err := a.Commit(ctx, "t", addFile(st, "f", 10, k(1), k(20))); err != nil {
				t.Fatal(err)
			}
			hook.setBefore(func(string) {
				hook.setBefore(nil)
				if _, err := b.Commit(ctx, "t", tc.theirs); err != nil {
					t.Errorf("competing commit: %v", err)
				}
			})
			got, err := a.Commit(ctx, "t", tc.mine)
			if !errors.Is(err, tc.wantErr) || (err == nil) != (tc.wantErr == nil) {
				t.Fatalf("Commit error = %v, want %v", err, tc.wantErr)
			}
			if err != nil && !errors.Is(err, ErrInvalidTransaction) {
				t.Errorf("%v does not wrap ErrInvalidTransaction", err)
			}
			if err == nil && got.TxnNumber() != tc.wantTxn {
				t.Errorf("TxnNumber = %d, want %d", got.TxnNumber(), tc.wantTxn)
			}
			final := mustSnapshot(t, a, "t")
			if _, ok := final.Partition(tc.wantPartition); tc.wantPartition != "" && !ok {
				t.Errorf("partition %s missing:\n%s", tc.wantPartition, final.Format(formatKey))
			}
			assertSameState(t, "after conflict", final, replayAll(t, hook, "t"))
		})
	}
}

// TestConcurrentSplitRace has several Stores split the same leaf at once: exactly one wins,
// the others fail validation.
func TestConcurrentSplitRace(t *testing.T) {
	ctx := context.Background()
	mem := objstore.NewMem()
	mustCreate(t, New(mem, Options{}), "t", 0)
	const racers = 4
	start := make(chan struct{})
	errs := make([]error, racers)
	var wg sync.WaitGroup
	for i := range racers {
		s := New(mem, Options{Backoff: fastBackoff})
		mustSnapshot(t, s, "t")
		wg.Go(func() {
			<-start
			_, errs[i] = s.Commit(ctx, "t", SplitPartition{ParentID: "p2", LeftID: fmt.Sprintf("l%d", i), RightID: fmt.Sprintf("r%d", i), SplitKey: k(int64(100 + i))})
		})
	}
	close(start)
	wg.Wait()
	won := 0
	for i, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, ErrNotLeaf) || !errors.Is(err, ErrInvalidTransaction):
			t.Errorf("racer %d: %v, want ErrNotLeaf", i, err)
		}
	}
	if won != 1 {
		t.Errorf("%d racers split the leaf, want 1", won)
	}
	st := mustSnapshot(t, New(mem, Options{}), "t")
	if st.TxnNumber() != 2 || len(st.Leaves()) != 3 {
		t.Errorf("txn %d with %d leaves, want 2 and 3", st.TxnNumber(), len(st.Leaves()))
	}
	checkInvariants(t, st)
}

// lifecycleRig runs ingest, compaction and splitting concurrently, each worker with its
// own Store, on a log that is snapshotted and trimmed as it goes.
type lifecycleRig struct {
	ctx     context.Context
	t       *testing.T
	os      objstore.Store
	archive objstore.Store
	ingests atomic.Bool // all ingests landed
	rows    atomic.Int64
	splits  sync.Map // parent ID -> winning child
}

func (r *lifecycleRig) store() *Store {
	return New(&archiveStore{Store: r.os, archive: r.archive}, Options{Backoff: fastBackoff, SnapshotEvery: 10, KeepBehindSnapshot: 15})
}

// accept fails the test unless err is nil or a validation error: a worker that lost a race
// re-reads and tries something else.
func (r *lifecycleRig) accept(what string, err error) bool {
	if err != nil && !errors.Is(err, ErrInvalidTransaction) {
		r.t.Errorf("%s: %v", what, err)
	}
	return err == nil
}

// ingest adds files whose keys stay within [base, base+500) for a base in 0, 1000, 2000,
// so that no file spans a split point the splitters use.
func (r *lifecycleRig) ingest(w, n int) {
	s := r.store()
	for i := range n {
		st, err := s.Snapshot(r.ctx, "t")
		if err != nil {
			r.t.Error(err)
			return
		}
		v := int64((i%3)*1000 + (w*37+i*11)%390)
		txn := addFile(st, fmt.Sprintf("w%d-%03d", w, i), 10, k(v), k(v+100))
		name := txn.Files[0].File.Name
		if _, err := commitUntilLanded(r.ctx, s, txn, func(st *State) bool { _, ok := st.File(name); return ok }); err != nil {
			r.t.Errorf("ingest %d/%d: %v", w, i, err)
			return
		}
		r.rows.Add(10)
	}
}

// compact repeatedly claims up to 3 unassigned references of a partition and replaces
// them with one output, until ingest is over and nothing is left to compact.
func (r *lifecycleRig) compact(w int) {
	s := r.store()
	for job := 0; ; job++ {
		if r.ctx.Err() != nil {
			r.t.Error(r.ctx.Err())
			return
		}
		done := r.ingests.Load()
		st, err := s.Snapshot(r.ctx, "t")
		if err != nil {
			r.t.Error(err)
			return
		}
		var pick *JobAssignment
		for _, p := range st.Partitions() {
			var files []string
			for _, ref := range st.References(p.ID) {
				if ref.JobID == "" && len(files) < 3 {
					files = append(files, ref.File)
				}
			}
			if len(files) >= 2 {
				pick = &JobAssignment{JobID: fmt.Sprintf("c%d-%d", w, job), PartitionID: p.ID, Files: files}
				break
			}
		}
		if pick == nil {
			if done {
				return
			}
			time.Sleep(time.Millisecond)
			continue
		}
		st, err = commitUntilLanded(r.ctx, s, AssignJobIds{Jobs: []JobAssignment{*pick}}, func(st *State) bool {
			ref, _ := st.ref(pick.PartitionID, pick.Files[0])
			return ref.JobID == pick.JobID
		})
		if !r.accept("assign", err) {
			continue
		}
		out := File{Name: "out-" + pick.JobID}
		for _, name := range pick.Files {
			f, _ := st.File(name)
			ref, _ := st.ref(pick.PartitionID, name)
			out.Rows += ref.Rows
			if out.MinKey == nil || string(f.MinKey) < string(out.MinKey) {
				out.MinKey = f.MinKey
			}
			if string(f.MaxKey) > string(out.MaxKey) {
				out.MaxKey = f.MaxKey
			}
		}
		res := JobResult{JobID: pick.JobID, PartitionID: pick.PartitionID, InputFiles: pick.Files, Output: &NewFile{File: out}, AppliedTxn: st.TxnNumber()}
		// Only this job may take its references: the replace cannot lose.
		if _, err := commitUntilLanded(r.ctx, s, ReplaceFileReferences{Jobs: []JobResult{res}}, func(st *State) bool {
			_, ok := st.File(out.Name)
			return ok
		}); err != nil {
			r.t.Errorf("replace %s: %v", pick.JobID, err)
			return
		}
	}
}

// split races the other splitters to split leaves p2 at 500 and p4 at 2500, then pushes
// unassigned references of split partitions down until ingest is over and none is left.
func (r *lifecycleRig) split(w int) {
	s := r.store()
	for _, sp := range []SplitPartition{
		{ParentID: "p2", SplitKey: k(500)},
		{ParentID: "p4", SplitKey: k(2500)},
	} {
		sp.LeftID, sp.RightID = fmt.Sprintf("%s-l%d", sp.ParentID, w), fmt.Sprintf("%s-r%d", sp.ParentID, w)
		if _, err := commitUntilLanded(r.ctx, s, sp, func(st *State) bool {
			_, ok := st.Partition(sp.LeftID)
			return ok
		}); r.accept("split", err) {
			if prev, dup := r.splits.LoadOrStore(sp.ParentID, sp.LeftID); dup {
				r.t.Errorf("%s split twice: by %s and %s", sp.ParentID, prev, sp.LeftID)
			}
		}
	}
	for {
		if r.ctx.Err() != nil {
			r.t.Error(r.ctx.Err())
			return
		}
		done := r.ingests.Load()
		st, err := s.Snapshot(r.ctx, "t")
		if err != nil {
			r.t.Error(err)
			return
		}
		var txn SplitFileReferences
		for _, p := range st.Partitions() {
			if p.Leaf() {
				continue
			}
			for _, ref := range st.References(p.ID) {
				f, _ := st.File(ref.File)
				if ref.JobID == "" {
					for _, c := range p.ChildIDs {
						if cp, _ := st.Partition(c); cp.Range.Contains(f.MinKey) {
							txn.Splits = append(txn.Splits, FileSplit{File: ref.File, FromPartition: p.ID, ToPartitions: []string{c}})
						}
					}
				}
			}
		}
		if len(txn.Splits) == 0 {
			if done {
				return
			}
			time.Sleep(time.Millisecond)
			continue
		}
		// Another pass pushes down whatever an unknown outcome left.
		if _, err = s.Commit(r.ctx, "t", txn); !errors.Is(err, ErrUnknownOutcome) {
			r.accept("split references", err)
		}
	}
}

func TestConcurrentLifecycle(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	r := &lifecycleRig{ctx: ctx, t: t, os: objstore.NewMem(), archive: objstore.NewMem()}
	// root -> p1 [-inf, 2000) -> p2 [-inf, 1000), p3 [1000, 2000); p4 [2000, +inf)
	if _, err := r.store().Create(ctx, "t", InitialisePartitions{SplitPoints: [][]byte{k(1000), k(2000)}}); err != nil {
		t.Fatal(err)
	}
	const ingesters, files = 3, 20
	var ingest, others sync.WaitGroup
	for w := range ingesters {
		ingest.Go(func() { r.ingest(w, files) })
	}
	for w := range 2 {
		others.Go(func() { r.compact(w) })
		others.Go(func() { r.split(w) })
	}
	ingest.Wait()
	r.ingests.Store(true)
	others.Wait()

	st := mustSnapshot(t, New(r.os, Options{}), "t")
	checkInvariants(t, st)
	assertSameState(t, "fresh store vs full replay", st, replayAll(t, r.archive, "t"))
	if jobs := st.Jobs(); len(jobs) != 0 {
		t.Errorf("jobs left in flight: %v", jobs)
	}
	for _, parent := range []string{"p2", "p4"} {
		if p, _ := st.Partition(parent); p.Leaf() {
			t.Errorf("%s was not split", parent)
		}
	}
	var rows int64
	for _, f := range st.Files() {
		refs := st.FileReferences(f.Name)
		for _, ref := range refs {
			rows += ref.Rows
			for _, a := range st.Ancestors(ref.PartitionID) {
				if _, ok := st.ref(a.ID, f.Name); ok {
					t.Errorf("file %s referenced by %s and its ancestor %s", f.Name, ref.PartitionID, a.ID)
				}
			}
		}
		// Every ingested file was compacted or is still referenced, exactly once.
		if strings.HasPrefix(f.Name, "w") && len(refs) > 1 {
			t.Errorf("file %s has %d references", f.Name, len(refs))
		}
	}
	if want := r.rows.Load(); rows != want || want != ingesters*files*10 {
		t.Errorf("references hold %d rows, ingested %d", rows, want)
	}
	if len(st.UnreferencedFiles()) == 0 {
		t.Error("nothing was compacted")
	}
	infos, err := New(r.os, Options{}).Transactions(ctx, "t", 0)
	if err != nil {
		t.Fatal(err)
	}
	// The log was trimmed as it went.
	if len(infos) == 0 || infos[0].Number == 1 || infos[len(infos)-1].Number != st.TxnNumber() {
		t.Errorf("log holds %d entries up to %d, state is at txn %d", len(infos), infos[len(infos)-1].Number, st.TxnNumber())
	}
	t.Logf("txn %d, %d files, %d unreferenced, log from %d", st.TxnNumber(), len(st.Files()), len(st.UnreferencedFiles()), infos[0].Number)
}
