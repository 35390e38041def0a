package statestore

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// snapshotJSON is the stored form of a State: everything needed to rebuild it exactly.
type snapshotJSON struct {
	Table      TableID        `json:"table"`
	Txn        uint64         `json:"txn"`
	Time       time.Time      `json:"time"`
	Partitions []*Partition   `json:"partitions"`
	Files      []snapshotFile `json:"files"`
	// Deletes are the active delete predicates, oldest first.
	Deletes []DeletePredicate `json:"deletes,omitempty"`
	// Retired are the retired stored column names, sorted (RetireColumns).
	Retired []string `json:"retired,omitempty"`
	// RetiredAt are, in the order of Retired, the commit times of the transactions that
	// retired them; snapshots of older builds have none (the snapshot's Time stands in).
	RetiredAt []time.Time `json:"retiredAt,omitempty"`
	// Fences are the temporary retirements, by name then token (RetireColumns with a Token).
	Fences []Fence `json:"fences,omitempty"`
}

type snapshotFile struct {
	File       *File           `json:"file"`
	References []FileReference `json:"references,omitempty"`
}

// marshalSnapshot encodes s; equal states give equal bytes.
func marshalSnapshot(s *State) ([]byte, error) {
	out := snapshotJSON{Table: s.table, Txn: s.txn, Time: s.time, Partitions: s.sorted, Deletes: s.dels, Retired: s.retired, RetiredAt: s.retiredAt, Fences: s.fences}
	for _, f := range s.fileList {
		out.Files = append(out.Files, snapshotFile{File: f, References: s.FileReferences(f.Name)})
	}
	return json.Marshal(out)
}

// unmarshalSnapshot decodes a snapshot of table and checks that it is consistent.
func unmarshalSnapshot(table TableID, data []byte) (*State, error) {
	var in snapshotJSON
	if err := json.Unmarshal(data, &in); err != nil {
		return nil, fmt.Errorf("%w: snapshot: %v", ErrCorrupt, err)
	}
	if in.Table != table {
		return nil, fmt.Errorf("%w: snapshot of table %q found for table %q", ErrCorrupt, in.Table, table)
	}
	m := emptyState(table).mutate()
	m.begin(in.Txn, in.Time)
	for _, p := range in.Partitions {
		if p == nil || p.ID == "" {
			return nil, fmt.Errorf("%w: snapshot partition without an ID", ErrCorrupt)
		}
		m.putPartition(p)
	}
	for _, p := range in.Partitions {
		if _, ok := m.parts[p.ParentID]; p.ParentID != "" && !ok {
			return nil, fmt.Errorf("%w: snapshot partition %s has no parent %s", ErrCorrupt, p.ID, p.ParentID)
		}
		for _, c := range p.ChildIDs {
			if _, ok := m.parts[c]; !ok {
				return nil, fmt.Errorf("%w: snapshot partition %s has no child %s", ErrCorrupt, p.ID, c)
			}
		}
	}
	for _, sf := range in.Files {
		if sf.File == nil || sf.File.Name == "" {
			return nil, fmt.Errorf("%w: snapshot file without a name", ErrCorrupt)
		}
		m.putFile(sf.File)
		// Set the indexes directly: putReference would stamp the file as updated now.
		for _, r := range sf.References {
			if _, ok := m.parts[r.PartitionID]; !ok || r.File != sf.File.Name {
				return nil, fmt.Errorf("%w: snapshot reference of %s in %s", ErrCorrupt, r.File, r.PartitionID)
			}
			m.byPart[r.PartitionID] = append(m.byPart[r.PartitionID], r)
			m.byFile[r.File] = append(m.byFile[r.File], r.PartitionID)
		}
	}
	for i, d := range in.Deletes {
		if d.ID == "" || (i > 0 && d.Txn < in.Deletes[i-1].Txn) || d.Txn > in.Txn {
			return nil, fmt.Errorf("%w: snapshot delete predicate %q at txn %d", ErrCorrupt, d.ID, d.Txn)
		}
	}
	m.dels = in.Deletes
	if !slices.IsSorted(in.Retired) || len(slices.Compact(slices.Clone(in.Retired))) != len(in.Retired) {
		return nil, fmt.Errorf("%w: snapshot retired columns not sorted and distinct", ErrCorrupt)
	}
	m.retired = in.Retired
	switch {
	case len(in.RetiredAt) == len(in.Retired):
		m.retiredAt = in.RetiredAt
	case len(in.RetiredAt) == 0:
		// Written by a build that did not record when names were retired: they were
		// retired no later than the snapshot's transaction.
		m.retiredAt = make([]time.Time, len(in.Retired))
		for i := range m.retiredAt {
			m.retiredAt[i] = in.Time
		}
	default:
		return nil, fmt.Errorf("%w: snapshot has %d retired columns and %d times of retirement", ErrCorrupt, len(in.Retired), len(in.RetiredAt))
	}
	if !slices.IsSortedFunc(in.Fences, compareFences) || len(slices.CompactFunc(slices.Clone(in.Fences), func(a, b Fence) bool { return compareFences(a, b) == 0 })) != len(in.Fences) {
		return nil, fmt.Errorf("%w: snapshot fences not sorted and distinct", ErrCorrupt)
	}
	m.fences = in.Fences
	// References were written per file in partition order; byPart must be sorted by file.
	for id, refs := range m.byPart {
		sortRefs(refs)
		m.byPart[id] = refs
	}
	s := m.freeze()
	if len(s.parts) > 0 && s.root == nil {
		return nil, fmt.Errorf("%w: snapshot partitions have no root", ErrCorrupt)
	}
	return s, nil
}
