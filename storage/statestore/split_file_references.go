package statestore

import (
	"bytes"
	"fmt"
	"slices"
	"strings"

	"github.com/sleeperd/sleeperd/storage/keys"
)

// SplitFileReferences pushes file references from partitions that have been split down to
// their children, so that compaction of the children can take them. Splits apply in order:
// a later split may push down a reference an earlier one created.
//
// A split's file must be referenced by FromPartition, which must not be a leaf, and the
// reference must not be assigned to a job. ToPartitions are distinct children of
// FromPartition that do not reference the file yet; for a file with rows they must be
// exactly the children that share keys with the file.
type SplitFileReferences struct {
	Splits []FileSplit `json:"splits"`
}

// FileSplit moves the reference of File in FromPartition to ToPartitions.
//
// Without Rows, the reference's rows are spread evenly over the new references (the first
// take the remainder), which are estimates (Exact false) however exact the old one was.
// Rows, when given, holds one count per partition of ToPartitions, each at most the file's
// rows; with Exact they are exact counts, which must sum to an exact old reference's rows.
type FileSplit struct {
	File          string   `json:"file"`
	FromPartition string   `json:"from"`
	ToPartitions  []string `json:"to"`
	Rows          []int64  `json:"rows,omitempty"`
	Exact         bool     `json:"exact,omitempty"`
}

// references returns the references that replace old.
func (sp FileSplit) references(old FileReference) []FileReference {
	out := make([]FileReference, len(sp.ToPartitions))
	n := int64(len(sp.ToPartitions))
	for i, id := range sp.ToPartitions {
		r := FileReference{File: sp.File, PartitionID: id}
		if sp.Rows != nil {
			r.Rows, r.Exact = sp.Rows[i], sp.Exact
		} else {
			r.Rows = old.Rows / n
			if int64(i) < old.Rows%n {
				r.Rows++
			}
		}
		out[i] = r
	}
	return out
}

var _ Transaction = SplitFileReferences{}

func init() {
	register(SplitFileReferences{}.Kind(), func() Transaction { return new(SplitFileReferences) })
}

// Kind implements Transaction.
func (SplitFileReferences) Kind() string { return "SPLIT_FILE_REFERENCES" }

// Summary implements Transaction.
func (t SplitFileReferences) Summary() string {
	parts := make([]string, len(t.Splits))
	for i, sp := range t.Splits {
		parts[i] = fmt.Sprintf("%s %s -> %s", sp.File, sp.FromPartition, strings.Join(sp.ToPartitions, "+"))
	}
	return fmt.Sprintf("push down %s: %s", plural(len(t.Splits), "reference"), nameList(parts))
}

// Validate implements Transaction.
func (t SplitFileReferences) Validate(s *State) error {
	if !s.Initialised() {
		return invalid(ErrNotInitialised, "splitting file references of table %s", s.Table())
	}
	if len(t.Splits) == 0 {
		return invalid(ErrInvalidTransaction, "no file references to split")
	}
	// Validate each split against the state the earlier ones leave, in a private copy.
	m := s.mutate()
	for _, sp := range t.Splits {
		if err := sp.validate(m.State); err != nil {
			return err
		}
		sp.apply(m)
	}
	return nil
}

func (sp FileSplit) validate(s *State) error {
	from, ok := s.parts[sp.FromPartition]
	if !ok {
		return invalid(ErrPartitionNotFound, "partition %q to split file %s from", sp.FromPartition, sp.File)
	}
	if from.Leaf() {
		return invalid(ErrNotLeaf, "partition %s holding file %s is a leaf", sp.FromPartition, sp.File)
	}
	f, ok := s.files[sp.File]
	if !ok {
		return invalid(ErrFileNotFound, "file %s to split", sp.File)
	}
	old, ok := s.ref(sp.FromPartition, sp.File)
	if !ok {
		return invalid(ErrReferenceNotFound, "file %s in partition %s", sp.File, sp.FromPartition)
	}
	if old.JobID != "" {
		return invalid(ErrAssigned, "file %s in partition %s is assigned to job %s", sp.File, sp.FromPartition, old.JobID)
	}
	if len(sp.ToPartitions) == 0 {
		return invalid(ErrBadReferences, "file %s in partition %s is split into no partitions", sp.File, sp.FromPartition)
	}
	if sp.Rows != nil && len(sp.Rows) != len(sp.ToPartitions) {
		return invalid(ErrBadReferences, "file %s split into %d partitions with %d row counts", sp.File, len(sp.ToPartitions), len(sp.Rows))
	}
	// [MinKey, MaxKey] as a half-open range, as in AddFiles.
	fileRange := keys.Range{Min: f.MinKey, Max: append(bytes.Clone(f.MaxKey), 0)}
	var sum int64
	for i, id := range sp.ToPartitions {
		switch {
		case !slices.Contains(from.ChildIDs, id):
			return invalid(ErrBadReferences, "partition %q is not a child of %s", id, sp.FromPartition)
		case slices.Contains(sp.ToPartitions[:i], id):
			return invalid(ErrBadReferences, "file %s is split into partition %s twice", sp.File, id)
		case f.Rows > 0 && !s.parts[id].Range.Overlaps(fileRange):
			return invalid(ErrBadReferences, "file %s has no keys in partition %s", sp.File, id)
		}
		if _, ok := s.ref(id, sp.File); ok {
			return invalid(ErrBadReferences, "file %s is referenced by %s already", sp.File, id)
		}
		if sp.Rows != nil {
			if sp.Rows[i] < 0 || sp.Rows[i] > f.Rows {
				return invalid(ErrBadReferences, "file %s has %d rows, its reference in %s %d", sp.File, f.Rows, id, sp.Rows[i])
			}
			sum += sp.Rows[i]
		}
	}
	if sp.Exact && sp.Rows == nil {
		return invalid(ErrBadReferences, "exact split of file %s without row counts", sp.File)
	}
	if sp.Exact && old.Exact && sum != old.Rows {
		return invalid(ErrBadReferences, "file %s has %d rows in %s, its exact split %d", sp.File, old.Rows, sp.FromPartition, sum)
	}
	if f.Rows == 0 {
		return nil
	}
	for _, c := range from.ChildIDs {
		if s.parts[c].Range.Overlaps(fileRange) && !slices.Contains(sp.ToPartitions, c) {
			return invalid(ErrBadReferences, "file %s has keys in partition %s, which the split leaves out", sp.File, c)
		}
	}
	return nil
}

func (sp FileSplit) apply(m *mutableState) {
	old, _ := m.ref(sp.FromPartition, sp.File)
	m.removeReference(sp.File, sp.FromPartition)
	for _, r := range sp.references(old) {
		m.putReference(r)
	}
}

// Apply implements Transaction.
func (t SplitFileReferences) Apply(m *mutableState) {
	for _, sp := range t.Splits {
		sp.apply(m)
	}
}
