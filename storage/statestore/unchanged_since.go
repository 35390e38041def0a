package statestore

import (
	"bytes"
	"fmt"
)

// UnchangedSince changes nothing; it is valid only while no transaction numbered above Since
// has added rows to the table or deleted rows by predicate. A statement that read the
// table's state Since and rewrites rows from it puts it first in a Batch: the batch then
// commits only if the rows it read are still all there are, else it fails with
// ErrRowsChanged and the statement reads again.
//
// With MaxKey set, only files whose row keys may fall in [MinKey, MaxKey] (encoded row keys,
// both inclusive) count: an INSERT that checked its keys are new at Since needs no more.
// Delete predicates count whatever their keys.
//
// A file counts by the newest rows it may hold (File.RowsThrough), not by when it was
// added: the output of a compaction committed after Since counts only if one of its inputs
// was added after Since. Splits, job assignments and the retirement of delete predicates do
// not count.
type UnchangedSince struct {
	Since  uint64 `json:"since"`
	MinKey []byte `json:"minKey,omitempty"`
	MaxKey []byte `json:"maxKey,omitempty"`
}

var _ Transaction = UnchangedSince{}

func init() { register(UnchangedSince{}.Kind(), func() Transaction { return new(UnchangedSince) }) }

// Kind implements Transaction.
func (UnchangedSince) Kind() string { return "UNCHANGED_SINCE" }

// Summary implements Transaction.
func (t UnchangedSince) Summary() string {
	if t.MaxKey != nil {
		return fmt.Sprintf("no rows added in keys [%x, %x] or deleted since transaction %d", t.MinKey, t.MaxKey, t.Since)
	}
	return fmt.Sprintf("no rows added or deleted since transaction %d", t.Since)
}

// Validate implements Transaction.
func (t UnchangedSince) Validate(s *State) error {
	if !s.Initialised() {
		return invalid(ErrNotInitialised, "checking table %s", s.Table())
	}
	if t.Since > s.txn {
		return invalid(ErrInvalidTransaction, "state %d read is newer than the table's state %d", t.Since, s.txn)
	}
	for _, f := range s.fileList {
		if t.MaxKey != nil && (f.MaxKey == nil || bytes.Compare(f.MaxKey, t.MinKey) < 0 || bytes.Compare(t.MaxKey, f.MinKey) < 0) {
			continue
		}
		if f.RowsThrough() > t.Since {
			return invalid(ErrRowsChanged, "file %s holds rows of transaction %d, after %d", f.Name, f.RowsThrough(), t.Since)
		}
	}
	for _, d := range s.dels {
		if d.Txn > t.Since {
			return invalid(ErrRowsChanged, "delete predicate %s added by transaction %d, after %d", d.ID, d.Txn, t.Since)
		}
	}
	return nil
}

// Apply implements Transaction.
func (UnchangedSince) Apply(*mutableState) {}
