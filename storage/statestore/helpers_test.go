package statestore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sleeperd/sleeperd/storage/keys"
	"github.com/sleeperd/sleeperd/storage/objstore"
)

var int64Key = []arrow.DataType{arrow.PrimitiveTypes.Int64}

// k encodes an int64 row key.
func k(v int64) []byte {
	b, err := keys.AppendGo(nil, arrow.PrimitiveTypes.Int64, v)
	if err != nil {
		panic(err)
	}
	return b
}

// parseKey parses an int64 key, "-inf" or "+inf" (as nil).
func parseKey(t *testing.T, s string) []byte {
	t.Helper()
	if s == "-inf" || s == "+inf" {
		return nil
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatalf("bad key %q: %v", s, err)
	}
	return k(v)
}

func formatKey(b []byte, max bool) string { return keys.Format(int64Key, b, max) }

// fixedClock returns a clock that advances by a second per call.
func fixedClock() func() time.Time {
	var n atomic.Int64
	base := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	return func() time.Time { return base.Add(time.Duration(n.Add(1)) * time.Second) }
}

// fastBackoff retries often and quickly: tests assert outcomes, not timings.
var fastBackoff = Backoff{Attempts: 10000, First: time.Millisecond, Max: 20 * time.Millisecond}

// replayAll folds every log entry of a table from an empty state, ignoring snapshots.
func replayAll(t *testing.T, os objstore.Store, id TableID) *State {
	t.Helper()
	ctx := context.Background()
	log, err := NewLog(os, LogPrefix(id))
	if err != nil {
		t.Fatal(err)
	}
	entries, err := log.Entries(ctx)
	if err != nil {
		t.Fatal(err)
	}
	st := emptyState(id)
	for i, n := range entries {
		if n != uint64(i+1) {
			t.Fatalf("log entries are not contiguous: %v", entries)
		}
		data, err := log.Read(ctx, n)
		if err != nil {
			t.Fatal(err)
		}
		txn, at, err := UnmarshalTransaction(data)
		if err != nil {
			t.Fatalf("entry %d: %v", n, err)
		}
		if err := txn.Validate(st); err != nil {
			t.Fatalf("entry %d does not validate against its predecessor: %v", n, err)
		}
		st = apply(st, txn, n, at)
	}
	return st
}

// assertSameState fails unless a and b encode identically.
func assertSameState(t *testing.T, what string, a, b *State) {
	t.Helper()
	ea, err := marshalSnapshot(a)
	if err != nil {
		t.Fatal(err)
	}
	eb, err := marshalSnapshot(b)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(ea, eb) {
		t.Errorf("%s: states differ:\n%s\nvs\n%s", what, a.Format(formatKey), b.Format(formatKey))
	}
}

// assertReplayedAndSnapshotted fails unless st is the state that replaying the log of its
// table in os gives, and the one its snapshot decodes to.
func assertReplayedAndSnapshotted(t *testing.T, os objstore.Store, st *State) {
	t.Helper()
	assertSameState(t, "replay", st, replayAll(t, os, st.Table()))
	data, err := marshalSnapshot(st)
	if err != nil {
		t.Fatal(err)
	}
	back, err := unmarshalSnapshot(st.Table(), data)
	if err != nil {
		t.Fatal(err)
	}
	assertSameState(t, "snapshot", st, back)
}

// checkInvariants asserts what every State must satisfy.
func checkInvariants(t *testing.T, s *State) {
	t.Helper()
	if !s.Initialised() {
		return
	}
	leaves := s.Leaves()
	if len(leaves[0].Range.Min) != 0 || leaves[len(leaves)-1].Range.Max != nil {
		t.Errorf("leaves do not cover every key")
	}
	for i := 1; i < len(leaves); i++ {
		if !bytes.Equal(leaves[i-1].Range.Max, leaves[i].Range.Min) {
			t.Errorf("leaves %s and %s are not contiguous", leaves[i-1].ID, leaves[i].ID)
		}
	}
	for _, p := range s.Partitions() {
		if p.Leaf() {
			continue
		}
		first, _ := s.Partition(p.ChildIDs[0])
		last, _ := s.Partition(p.ChildIDs[len(p.ChildIDs)-1])
		if !bytes.Equal(first.Range.Min, p.Range.Min) || !bytes.Equal(last.Range.Max, p.Range.Max) {
			t.Errorf("children of %s do not span its range", p.ID)
		}
	}
	for _, f := range s.Files() {
		for _, r := range s.FileReferences(f.Name) {
			if _, ok := s.Partition(r.PartitionID); !ok {
				t.Errorf("file %s referenced by missing partition %s", f.Name, r.PartitionID)
			}
		}
	}
}

// hookStore calls before, if set, ahead of each PutIfAbsent whose name has the prefix, and
// counts reads of names with the prefix.
type hookStore struct {
	objstore.Store
	prefix string
	mu     sync.Mutex
	before func(name string)
	reads  []string
}

func (h *hookStore) PutIfAbsent(ctx context.Context, name string, data []byte) error {
	h.mu.Lock()
	before := h.before
	h.mu.Unlock()
	if before != nil && strings.HasPrefix(name, h.prefix) {
		before(name)
	}
	return h.Store.PutIfAbsent(ctx, name, data)
}

func (h *hookStore) ReadAll(ctx context.Context, name string) ([]byte, error) {
	h.mu.Lock()
	if strings.HasPrefix(name, h.prefix) {
		h.reads = append(h.reads, name[len(h.prefix):])
	}
	h.mu.Unlock()
	return objstore.ReadAll(ctx, h.Store, name)
}

func (h *hookStore) setBefore(f func(string)) {
	h.mu.Lock()
	h.before = f
	h.mu.Unlock()
}

func (h *hookStore) takeReads() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	r := h.reads
	h.reads = nil
	return r
}

// addFile returns an AddFiles of one file with keys [min, max] referenced by the leaves
// it overlaps, rows spread evenly (the last leaf takes the remainder).
func addFile(s *State, name string, rows int64, min, max []byte) AddFiles {
	leaves := s.LeavesOverlapping(keys.Range{Min: min, Max: append(bytes.Clone(max), 0)})
	nf := NewFile{File: File{Name: name, Rows: rows, Bytes: rows * 10, MinKey: min, MaxKey: max}}
	for i, l := range leaves {
		r := rows / int64(len(leaves))
		if i == len(leaves)-1 {
			r = rows - r*int64(len(leaves)-1)
		}
		nf.References = append(nf.References, FileReference{File: name, PartitionID: l.ID, Rows: r, Exact: true})
	}
	return AddFiles{Files: []NewFile{nf}}
}

// sentinelName names the most specific sentinel err wraps.
func sentinelName(err error) string {
	for _, s := range []struct {
		name string
		err  error
	}{
		{"ErrAlreadyInitialised", ErrAlreadyInitialised},
		{"ErrNotInitialised", ErrNotInitialised},
		{"ErrPartitionNotFound", ErrPartitionNotFound},
		{"ErrFileExists", ErrFileExists},
		{"ErrFileNotFound", ErrFileNotFound},
		{"ErrBadReferences", ErrBadReferences},
		{"ErrReferenceNotFound", ErrReferenceNotFound},
		{"ErrAssigned", ErrAssigned},
		{"ErrNotAssigned", ErrNotAssigned},
		{"ErrNotLeaf", ErrNotLeaf},
		{"ErrPartitionExists", ErrPartitionExists},
		{"ErrBadSplit", ErrBadSplit},
		{"ErrFileReferenced", ErrFileReferenced},
		{"ErrDeleteExists", ErrDeleteExists},
		{"ErrRowsChanged", ErrRowsChanged},
		{"ErrDeleteNotFound", ErrDeleteNotFound},
		{"ErrDeleteInUse", ErrDeleteInUse},
		{"ErrCorrupt", ErrCorrupt},
		{"ErrInvalidTransaction", ErrInvalidTransaction},
		{"ErrTableExists", ErrTableExists},
		{"ErrTableNotFound", ErrTableNotFound},
		{"ErrConflict", ErrConflict},
		{"ErrUnknownOutcome", ErrUnknownOutcome},
	} {
		if errors.Is(err, s.err) {
			return s.name
		}
	}
	return fmt.Sprintf("unexpected error kind: %v", err)
}
