package statestore

import (
	"bytes"
	"fmt"

	"github.com/sleeperd/sleeperd/storage/keys"
)

// SplitPartition splits a leaf partition in two at SplitKey: the children LeftID
// [Min, SplitKey) and RightID [SplitKey, Max) become leaves, and the parent keeps its file
// references (and their job assignments) until SplitFileReferences pushes them down.
//
// The parent must be a leaf, the children's IDs new and distinct, and SplitKey strictly
// inside the parent's range, so that neither child is empty.
type SplitPartition struct {
	ParentID string `json:"parent"`
	LeftID   string `json:"left"`
	RightID  string `json:"right"`
	SplitKey []byte `json:"splitKey"`
}

var _ Transaction = SplitPartition{}

func init() { register(SplitPartition{}.Kind(), func() Transaction { return new(SplitPartition) }) }

// Kind implements Transaction.
func (SplitPartition) Kind() string { return "SPLIT_PARTITION" }

// Summary implements Transaction.
func (t SplitPartition) Summary() string {
	return fmt.Sprintf("split %s at %x into %s, %s", t.ParentID, t.SplitKey, t.LeftID, t.RightID)
}

// Validate implements Transaction.
func (t SplitPartition) Validate(s *State) error {
	if !s.Initialised() {
		return invalid(ErrNotInitialised, "splitting a partition of table %s", s.Table())
	}
	p, ok := s.parts[t.ParentID]
	if !ok {
		return invalid(ErrPartitionNotFound, "partition %q to split", t.ParentID)
	}
	if !p.Leaf() {
		return invalid(ErrNotLeaf, "partition %s is split already", t.ParentID)
	}
	for _, id := range []string{t.LeftID, t.RightID} {
		if id == "" {
			return invalid(ErrInvalidTransaction, "child of %s without an ID", t.ParentID)
		}
		if _, ok := s.parts[id]; ok {
			return invalid(ErrPartitionExists, "partition %s", id)
		}
	}
	if t.LeftID == t.RightID {
		return invalid(ErrPartitionExists, "both children of %s are %s", t.ParentID, t.LeftID)
	}
	if bytes.Compare(t.SplitKey, p.Range.Min) <= 0 || (p.Range.Max != nil && bytes.Compare(t.SplitKey, p.Range.Max) >= 0) {
		return invalid(ErrBadSplit, "split key %x is not strictly inside the range of %s", t.SplitKey, t.ParentID)
	}
	return nil
}

// Apply implements Transaction.
func (t SplitPartition) Apply(m *mutableState) {
	p := *m.parts[t.ParentID]
	p.ChildIDs = []string{t.LeftID, t.RightID}
	m.putPartition(&p)
	m.putPartition(&Partition{ID: t.LeftID, ParentID: p.ID, Range: keys.Range{Min: p.Range.Min, Max: bytes.Clone(t.SplitKey)}})
	m.putPartition(&Partition{ID: t.RightID, ParentID: p.ID, Range: keys.Range{Min: bytes.Clone(t.SplitKey), Max: p.Range.Max}})
}
