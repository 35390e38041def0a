package statestore

import (
	"bytes"
	"fmt"
	"slices"

	"github.com/sleeperd/sleeperd/storage/keys"
)

// AddFiles adds new files, each with its references to the partitions that own its rows:
// the commit of an ingest. All the files become visible at once.
//
// Each file must be new, and its references must name existing partitions whose ranges are
// disjoint (no partition together with one of its ancestors), each sharing keys with the
// file, and together covering the file's key range [MinKey, MaxKey]. A reference's row count
// is at most the file's; when all of a file's references are exact they sum to its rows.
// New references are not assigned to a job.
//
// Columns, when set, are the stored names of the columns the files hold: the transaction is
// refused (ErrColumnRetired) if one of them is retired (RetireColumns), because the files
// were written under a schema the table has left.
type AddFiles struct {
	Files   []NewFile `json:"files"`
	Columns []string  `json:"columns,omitempty"`
}

// NewFile is a file with the references that AddFiles creates for it. File.AddedTxn,
// File.Updated, File.DeletesApplied and File.NewestRows are ignored: the store sets them.
type NewFile struct {
	File       File            `json:"file"`
	References []FileReference `json:"references"`
}

var _ Transaction = AddFiles{}

func init() { register(AddFiles{}.Kind(), func() Transaction { return new(AddFiles) }) }

// Kind implements Transaction.
func (AddFiles) Kind() string { return "ADD_FILES" }

// Summary implements Transaction.
func (t AddFiles) Summary() string {
	var rows int64
	names := make([]string, len(t.Files))
	for i, nf := range t.Files {
		rows += nf.File.Rows
		names[i] = nf.File.Name
	}
	return fmt.Sprintf("add %s (%s): %s", plural(len(t.Files), "file"), plural(int(rows), "row"), nameList(names))
}

// Validate implements Transaction.
func (t AddFiles) Validate(s *State) error {
	if !s.Initialised() {
		return invalid(ErrNotInitialised, "adding files to table %s", s.Table())
	}
	if len(t.Files) == 0 {
		return invalid(ErrInvalidTransaction, "no files to add")
	}
	if err := refuseRetired(s, t.Columns); err != nil {
		return err
	}
	seen := make(map[string]bool, len(t.Files))
	for _, nf := range t.Files {
		f := nf.File
		switch {
		case f.Name == "":
			return invalid(ErrInvalidTransaction, "file without a name")
		case seen[f.Name]:
			return invalid(ErrFileExists, "file %s is added twice", f.Name)
		}
		seen[f.Name] = true
		if _, ok := s.files[f.Name]; ok {
			return invalid(ErrFileExists, "file %s", f.Name)
		}
		if err := validateNewFile(s, nf); err != nil {
			return err
		}
	}
	return nil
}

func validateNewFile(s *State, nf NewFile) error {
	f := nf.File
	if f.Rows < 0 || f.Bytes < 0 {
		return invalid(ErrInvalidTransaction, "file %s has %d rows and %d bytes", f.Name, f.Rows, f.Bytes)
	}
	if f.Rows > 0 && (f.MaxKey == nil || bytes.Compare(f.MinKey, f.MaxKey) > 0) {
		return invalid(ErrInvalidTransaction, "file %s has rows but key range [%x, %x]", f.Name, f.MinKey, f.MaxKey)
	}
	if len(nf.References) == 0 {
		return invalid(ErrBadReferences, "file %s has no references", f.Name)
	}
	// [MinKey, MaxKey] as a half-open range: the smallest key above MaxKey is MaxKey+0x00.
	fileRange := keys.Range{Min: f.MinKey, Max: append(bytes.Clone(f.MaxKey), 0)}
	ranges := make([]keys.Range, 0, len(nf.References))
	var sum int64
	exact := true
	for _, r := range nf.References {
		p, ok := s.parts[r.PartitionID]
		switch {
		case r.File != f.Name:
			return invalid(ErrBadReferences, "reference to %s listed under file %s", r.File, f.Name)
		case !ok:
			return invalid(ErrPartitionNotFound, "partition %q referenced by file %s", r.PartitionID, f.Name)
		case r.Rows < 0 || r.Rows > f.Rows:
			return invalid(ErrBadReferences, "file %s has %d rows, its reference in %s %d", f.Name, f.Rows, r.PartitionID, r.Rows)
		case r.JobID != "":
			return invalid(ErrBadReferences, "new reference of file %s in %s is assigned to job %s", f.Name, r.PartitionID, r.JobID)
		case f.Rows > 0 && !p.Range.Overlaps(fileRange):
			return invalid(ErrBadReferences, "file %s has no keys in partition %s", f.Name, r.PartitionID)
		}
		ranges = append(ranges, p.Range)
		sum += r.Rows
		exact = exact && r.Exact
	}
	if exact && sum != f.Rows {
		return invalid(ErrBadReferences, "file %s has %d rows, its exact references %d", f.Name, f.Rows, sum)
	}
	// Partition ranges are nested or disjoint, so sorted by minimum, disjoint ranges never
	// overlap their neighbours.
	slices.SortFunc(ranges, func(a, b keys.Range) int { return bytes.Compare(a.Min, b.Min) })
	for i := 1; i < len(ranges); i++ {
		if ranges[i-1].Overlaps(ranges[i]) {
			return invalid(ErrBadReferences, "file %s is referenced by overlapping partitions", f.Name)
		}
	}
	if f.Rows == 0 {
		return nil
	}
	cur := f.MinKey
	for _, r := range ranges {
		if bytes.Compare(r.Min, cur) > 0 {
			break
		}
		if r.Max == nil || bytes.Compare(f.MaxKey, r.Max) < 0 {
			return nil
		}
		cur = r.Max
	}
	return invalid(ErrBadReferences, "the partitions referencing file %s do not cover its keys from %x", f.Name, cur)
}

// Apply implements Transaction.
func (t AddFiles) Apply(m *mutableState) {
	for _, nf := range t.Files {
		f := nf.File
		f.MinKey, f.MaxKey = bytes.Clone(f.MinKey), bytes.Clone(f.MaxKey)
		f.AddedTxn = m.txn
		f.Updated = m.time
		f.DeletesApplied = 0
		f.NewestRows = m.txn
		m.putFile(&f)
		for _, r := range nf.References {
			m.putReference(r)
		}
	}
}
