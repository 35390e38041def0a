package statestore

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sleeperd/sleeperd/storage/keys"
	"github.com/sleeperd/sleeperd/storage/objstore"
)

func ids(ps []*Partition) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.ID)
	}
	return out
}

func TestStateQueries(t *testing.T) {
	s := New(objstore.NewMem(), Options{})
	st := mustCreate(t, s, "t", 10, 20, 30)
	// root [-inf,+inf) -> p1 [-inf,20) -> p2 [-inf,10), p3 [10,20); p4 [20,+inf) -> p5 [20,30), p6 [30,+inf)
	if got, want := ids(st.Partitions()), []string{"root", "p1", "p2", "p3", "p4", "p5", "p6"}; !slices.Equal(got, want) {
		t.Errorf("Partitions = %v, want %v", got, want)
	}
	if got, want := ids(st.Leaves()), []string{"p2", "p3", "p5", "p6"}; !slices.Equal(got, want) {
		t.Errorf("Leaves = %v, want %v", got, want)
	}
	if got, want := ids(st.Ancestors("p5")), []string{"p4", "root"}; !slices.Equal(got, want) {
		t.Errorf("Ancestors(p5) = %v, want %v", got, want)
	}
	if st.Root().ID != RootID {
		t.Errorf("Root = %s", st.Root().ID)
	}
	for _, tc := range []struct {
		key  []byte
		want string
	}{
		{nil, "p2"}, {k(-1 << 62), "p2"}, {k(9), "p2"}, {k(10), "p3"}, {k(19), "p3"},
		{k(20), "p5"}, {k(30), "p6"}, {k(1 << 62), "p6"},
	} {
		if got := st.LeafFor(tc.key); got == nil || got.ID != tc.want {
			t.Errorf("LeafFor(%s) = %v, want %s", formatKey(tc.key, false), got, tc.want)
		}
	}
	for _, tc := range []struct {
		r    keys.Range
		want []string
	}{
		{keys.Full, []string{"p2", "p3", "p5", "p6"}},
		{keys.Range{Min: k(10), Max: k(20)}, []string{"p3"}},
		{keys.Range{Min: k(9), Max: k(11)}, []string{"p2", "p3"}},
		{keys.Range{Min: k(19), Max: k(21)}, []string{"p3", "p5"}},
		{keys.Range{Min: k(25)}, []string{"p5", "p6"}},
		{keys.Range{Max: k(10)}, []string{"p2"}},
		{keys.Range{Max: k(11)}, []string{"p2", "p3"}},
		{keys.Range{Min: k(15), Max: k(15)}, nil},
		{keys.Range{Min: k(16), Max: k(15)}, nil},
	} {
		if got := ids(st.LeavesOverlapping(tc.r)); !slices.Equal(got, tc.want) {
			t.Errorf("LeavesOverlapping([%s, %s)) = %v, want %v", formatKey(tc.r.Min, false), formatKey(tc.r.Max, true), got, tc.want)
		}
	}
	// Slices returned are the caller's.
	leaves := st.Leaves()
	leaves[0] = nil
	if st.Leaves()[0] == nil {
		t.Error("Leaves shares its slice")
	}
	// Before initialisation: nothing, and no panic.
	empty := emptyState("x")
	if empty.LeafFor(k(1)) != nil || empty.LeavesOverlapping(keys.Full) != nil || empty.Root() != nil {
		t.Error("empty state has partitions")
	}
}

// TestStatesAreImmutable checks copy-on-write: a State handed out never changes, whatever
// is committed after it.
func TestStatesAreImmutable(t *testing.T) {
	ctx := context.Background()
	s := New(objstore.NewMem(), Options{Now: fixedClock()})
	st := mustCreate(t, s, "t", 0)
	st, err := s.Commit(ctx, "t", addFile(st, "a", 10, k(-5), k(5)))
	if err != nil {
		t.Fatal(err)
	}
	before := st.String()
	refs := st.References("p1")
	later := st
	for _, name := range []string{"b", "c", "d"} {
		if later, err = s.Commit(ctx, "t", addFile(later, name, 10, k(-5), k(5))); err != nil {
			t.Fatal(err)
		}
	}
	if st.String() != before {
		t.Errorf("an earlier state changed:\nbefore:\n%s\nafter:\n%s", before, st.String())
	}
	if !slices.Equal(st.References("p1"), refs) || len(later.References("p1")) != 4 {
		t.Errorf("references: earlier %v, later %v", st.References("p1"), later.References("p1"))
	}
}

func TestTransactionEncoding(t *testing.T) {
	at := time.Date(2026, 5, 6, 7, 8, 9, 123456789, time.UTC)
	for _, txn := range []Transaction{
		InitialisePartitions{},
		InitialisePartitions{SplitPoints: [][]byte{k(1), k(2)}},
		AddFiles{Files: []NewFile{{
			File:       File{Name: "f", Rows: 3, Bytes: 4, MinKey: k(-1), MaxKey: k(1)},
			References: []FileReference{{File: "f", PartitionID: "p1", Rows: 3, Exact: true}},
		}}},
		AssignJobIds{Jobs: []JobAssignment{{JobID: "j", PartitionID: "p1", Files: []string{"a", "b"}}}},
		ReplaceFileReferences{Jobs: []JobResult{
			{JobID: "j", PartitionID: "p1", InputFiles: []string{"a"}, AppliedTxn: 7, Output: &NewFile{File: File{Name: "o", Rows: 1, MinKey: k(1), MaxKey: k(1)}}},
			{JobID: "k", PartitionID: "p2", InputFiles: []string{"b"}},
		}},
		SplitPartition{ParentID: "p1", LeftID: "l", RightID: "r", SplitKey: k(5)},
		SplitFileReferences{Splits: []FileSplit{{File: "a", FromPartition: "p1", ToPartitions: []string{"l", "r"}, Rows: []int64{1, 2}, Exact: true}}},
		DeleteFiles{Files: []string{"a"}},
		AddDeletePredicate{ID: "d", Predicate: []byte("x > 1")},
		RetireDeletePredicates{IDs: []string{"d"}},
	} {
		data, err := MarshalTransaction(txn, at)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(data), `"kind":"`+txn.Kind()+`"`) {
			t.Errorf("envelope %s lacks its kind", data)
		}
		got, gotAt, err := UnmarshalTransaction(data)
		if err != nil {
			t.Fatal(err)
		}
		again, _ := MarshalTransaction(got, gotAt)
		if string(again) != string(data) || !gotAt.Equal(at) || got.Kind() != txn.Kind() || got.Summary() != txn.Summary() {
			t.Errorf("round trip of %s:\n%s\n%s", txn.Kind(), data, again)
		}
	}
	for _, tc := range []struct {
		data string
		want error
	}{
		{`{"kind":"DROP_EVERYTHING","time":"2026-01-01T00:00:00Z","body":{}}`, ErrUnknownKind},
		{`{"kind":"ADD_FILES","time":"2026-01-01T00:00:00Z","body":{"files":7}}`, ErrCorrupt},
		{`{"kind":`, ErrCorrupt},
	} {
		if _, _, err := UnmarshalTransaction([]byte(tc.data)); !errors.Is(err, tc.want) {
			t.Errorf("UnmarshalTransaction(%s) error = %v, want %v", tc.data, err, tc.want)
		}
	}
}

func TestSnapshotDecodingChecks(t *testing.T) {
	s := New(objstore.NewMem(), Options{})
	st := mustCreate(t, s, "t", 0)
	data, err := marshalSnapshot(st)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := unmarshalSnapshot("other", data); !errors.Is(err, ErrCorrupt) {
		t.Errorf("snapshot of another table: %v, want ErrCorrupt", err)
	}
	for _, bad := range []string{
		`{"table":"t","txn":1,"partitions":[{"id":"p1","parent":"root"}]}`,
		`{"table":"t","txn":1,"partitions":[{"id":"root","children":["x"]}]}`,
		`{"table":"t","txn":1,"partitions":[{"id":"root"}],"files":[{"file":{"name":"f"},"references":[{"file":"f","partition":"zz"}]}]}`,
		`{"table":"t","txn":1,"partitions":[{"id":"root"}],"files":[{"file":{"name":""}}]}`,
	} {
		if _, err := unmarshalSnapshot("t", []byte(bad)); !errors.Is(err, ErrCorrupt) {
			t.Errorf("unmarshalSnapshot(%s) error = %v, want ErrCorrupt", bad, err)
		}
	}
}

func TestLog(t *testing.T) {
	ctx := context.Background()
	mem := objstore.NewMem()
	for _, prefix := range []string{"", "no-slash", "/abs/", "a/../b/"} {
		if _, err := NewLog(mem, prefix); err == nil {
			t.Errorf("NewLog(%q) succeeded", prefix)
		}
	}
	l, err := NewLog(mem, "catalog/log/")
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Append(ctx, 0, nil); err == nil {
		t.Error("Append(0) succeeded")
	}
	for _, n := range []uint64{1, 2, 10} {
		if err := l.Append(ctx, n, []byte{byte(n)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Append(ctx, 2, []byte("x")); !errors.Is(err, objstore.ErrExists) {
		t.Errorf("Append over an entry: %v, want ErrExists", err)
	}
	if _, err := l.Read(ctx, 3); !errors.Is(err, objstore.ErrNotExist) {
		t.Errorf("Read(3): %v, want ErrNotExist", err)
	}
	if b, err := l.Read(ctx, 10); err != nil || len(b) != 1 || b[0] != 10 {
		t.Errorf("Read(10) = %v, %v", b, err)
	}
	// Objects that are not entries are ignored.
	for _, junk := range []string{"catalog/log/README", "catalog/log/123.json", "catalog/log/0000000000000000000x.json"} {
		if err := mem.PutIfAbsent(ctx, junk, nil); err != nil {
			t.Fatal(err)
		}
	}
	got, err := l.Entries(ctx)
	if err != nil || !slices.Equal(got, []uint64{1, 2, 10}) {
		t.Errorf("Entries = %v, %v; want [1 2 10]", got, err)
	}
	if err := l.Delete(ctx, 2); err != nil {
		t.Fatal(err)
	}
	if got, _ := l.Entries(ctx); !slices.Equal(got, []uint64{1, 10}) {
		t.Errorf("Entries after Delete = %v", got)
	}
}

func TestBackoff(t *testing.T) {
	b := DefaultBackoff
	for _, tc := range []struct {
		retry int
		want  time.Duration
	}{
		{0, 200 * time.Millisecond}, {1, 400 * time.Millisecond}, {2, 800 * time.Millisecond},
		{7, 25600 * time.Millisecond}, {8, 30 * time.Second}, {9, 30 * time.Second}, {1000, 30 * time.Second},
	} {
		if got := b.Ceiling(tc.retry); got != tc.want {
			t.Errorf("Ceiling(%d) = %v, want %v", tc.retry, got, tc.want)
		}
	}
	if got := (Backoff{}).withDefaults(); got != DefaultBackoff {
		t.Errorf("zero Backoff with defaults = %+v", got)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := (Backoff{Attempts: 1, First: time.Hour, Max: time.Hour}).Wait(ctx, 0); !errors.Is(err, context.Canceled) {
		t.Errorf("Wait with a cancelled context: %v", err)
	}
}
