package statestore

import (
	"bytes"
	"fmt"

	"github.com/sleeperd/sleeperd/storage/keys"
)

// InitialisePartitions creates the partition tree of a new table: len(SplitPoints)+1 leaves
// whose ranges are cut at the split points, under a balanced binary tree of parents. The
// root is "root"; the other partitions are numbered "p1", "p2", ... in depth-first order.
// It is valid only on a table without partitions.
//
// The tree's shape is computed on Apply, so the shape algorithm is part of the log format:
// changing it needs a new kind of transaction.
type InitialisePartitions struct {
	// SplitPoints are encoded row keys, strictly increasing and non-empty.
	SplitPoints [][]byte `json:"splitPoints,omitempty"`
}

var _ Transaction = InitialisePartitions{}

func init() {
	register(InitialisePartitions{}.Kind(), func() Transaction { return new(InitialisePartitions) })
}

// RootID is the ID of the root partition of every table.
const RootID = "root"

// Kind implements Transaction.
func (InitialisePartitions) Kind() string { return "INITIALISE_PARTITIONS" }

// Summary implements Transaction.
func (t InitialisePartitions) Summary() string {
	return fmt.Sprintf("initialise %s", plural(len(t.SplitPoints)+1, "leaf partition"))
}

// Validate implements Transaction.
func (t InitialisePartitions) Validate(s *State) error {
	if s.Initialised() {
		return invalid(ErrAlreadyInitialised, "table %s has %d partitions", s.Table(), len(s.parts))
	}
	for i, sp := range t.SplitPoints {
		if len(sp) == 0 {
			return invalid(ErrInvalidTransaction, "split point %d is empty", i)
		}
		if i > 0 && bytes.Compare(t.SplitPoints[i-1], sp) >= 0 {
			return invalid(ErrInvalidTransaction, "split point %d is not greater than split point %d", i, i-1)
		}
	}
	return nil
}

// Apply implements Transaction.
func (t InitialisePartitions) Apply(m *mutableState) {
	// Leaf i covers [bound(i), bound(i+1)).
	bound := func(i int) []byte {
		if i == 0 || i == len(t.SplitPoints)+1 {
			return nil
		}
		return bytes.Clone(t.SplitPoints[i-1])
	}
	next := 0
	var build func(id, parent string, lo, hi int) string
	build = func(id, parent string, lo, hi int) string {
		p := &Partition{ID: id, ParentID: parent, Range: keys.Range{Min: bound(lo), Max: bound(hi)}}
		if hi-lo > 1 {
			mid := lo + (hi-lo+1)/2
			next++
			left := build(fmt.Sprintf("p%d", next), id, lo, mid)
			next++
			right := build(fmt.Sprintf("p%d", next), id, mid, hi)
			p.ChildIDs = []string{left, right}
		}
		m.putPartition(p)
		return id
	}
	build(RootID, "", 0, len(t.SplitPoints)+1)
}
