package statestore

import (
	"bytes"
	"fmt"
	"slices"
)

// ReplaceFileReferences commits finished compaction jobs: each replaces the references of
// its input files in its partition with one reference to its output file. An input file
// left without references waits for garbage collection, its File.Updated set to the time
// of this transaction.
//
// Each job's inputs must be referenced by its partition and assigned to the job (by
// AssignJobIds); references of the job that are not among its inputs stay assigned. The
// output, when there is one, must be a new file whose keys lie in the partition.
type ReplaceFileReferences struct {
	Jobs []JobResult `json:"jobs"`
}

// JobResult is the outcome of one compaction job.
type JobResult struct {
	JobID       string   `json:"job"`
	PartitionID string   `json:"partition"`
	InputFiles  []string `json:"inputs"`
	// Output is the file the job wrote, or nil when it holds no rows. Its References may be
	// empty, meaning one exact reference of all its rows in PartitionID; otherwise they
	// must be that single reference. The store sets File.AddedTxn, File.Updated,
	// File.DeletesApplied and File.NewestRows.
	Output *NewFile `json:"output,omitempty"`
	// AppliedTxn is the number of the transaction whose state's delete predicates the job
	// applied to the rows it wrote (normally the snapshot it planned from), or 0 if unknown.
	// The output's DeletesApplied is the greater of AppliedTxn and the least ClearThrough
	// of the inputs. It is at most the number of the state the transaction applies to.
	AppliedTxn uint64 `json:"appliedTxn,omitempty"`
}

// output returns the job's output file with its references filled in, or false.
func (j JobResult) output() (NewFile, bool) {
	if j.Output == nil {
		return NewFile{}, false
	}
	nf := *j.Output
	if len(nf.References) == 0 {
		nf.References = []FileReference{{File: nf.File.Name, PartitionID: j.PartitionID, Rows: nf.File.Rows, Exact: true}}
	}
	return nf, true
}

var _ Transaction = ReplaceFileReferences{}

func init() {
	register(ReplaceFileReferences{}.Kind(), func() Transaction { return new(ReplaceFileReferences) })
}

// Kind implements Transaction.
func (ReplaceFileReferences) Kind() string { return "REPLACE_FILE_REFERENCES" }

// Summary implements Transaction.
func (t ReplaceFileReferences) Summary() string {
	parts := make([]string, len(t.Jobs))
	for i, j := range t.Jobs {
		out := "nothing"
		if j.Output != nil {
			out = fmt.Sprintf("%s (%s)", j.Output.File.Name, plural(int(j.Output.File.Rows), "row"))
		}
		parts[i] = fmt.Sprintf("%s in %s: %s -> %s", j.JobID, j.PartitionID, plural(len(j.InputFiles), "file"), out)
	}
	return fmt.Sprintf("commit %s: %s", plural(len(t.Jobs), "job"), nameList(parts))
}

// Validate implements Transaction.
func (t ReplaceFileReferences) Validate(s *State) error {
	if !s.Initialised() {
		return invalid(ErrNotInitialised, "replacing files in table %s", s.Table())
	}
	if len(t.Jobs) == 0 {
		return invalid(ErrInvalidTransaction, "no jobs to commit")
	}
	jobs := map[string]bool{}
	outputs := map[string]bool{}
	for _, j := range t.Jobs {
		switch {
		case j.JobID == "":
			return invalid(ErrInvalidTransaction, "job without an ID")
		case jobs[j.JobID]:
			return invalid(ErrInvalidTransaction, "job %s is committed twice", j.JobID)
		case len(j.InputFiles) == 0:
			return invalid(ErrInvalidTransaction, "job %s has no input files", j.JobID)
		case j.AppliedTxn > s.txn:
			return invalid(ErrInvalidTransaction, "job %s applied the deletes of txn %d, the table is at txn %d", j.JobID, j.AppliedTxn, s.txn)
		}
		jobs[j.JobID] = true
		if _, ok := s.parts[j.PartitionID]; !ok {
			return invalid(ErrPartitionNotFound, "partition %q of job %s", j.PartitionID, j.JobID)
		}
		for i, f := range j.InputFiles {
			r, ok := s.ref(j.PartitionID, f)
			switch {
			case !ok:
				return invalid(ErrReferenceNotFound, "input file %s of job %s in partition %s", f, j.JobID, j.PartitionID)
			case r.JobID != j.JobID:
				return invalid(ErrNotAssigned, "input file %s in partition %s is assigned to job %q, not %s", f, j.PartitionID, r.JobID, j.JobID)
			case slices.Contains(j.InputFiles[:i], f):
				return invalid(ErrInvalidTransaction, "input file %s of job %s is listed twice", f, j.JobID)
			}
		}
		nf, ok := j.output()
		if !ok {
			continue
		}
		name := nf.File.Name
		switch {
		case name == "":
			return invalid(ErrInvalidTransaction, "output of job %s has no name", j.JobID)
		case outputs[name]:
			return invalid(ErrFileExists, "file %s is the output of two jobs", name)
		case len(nf.References) != 1 || nf.References[0].PartitionID != j.PartitionID:
			return invalid(ErrBadReferences, "output %s of job %s must have one reference, in partition %s", name, j.JobID, j.PartitionID)
		}
		outputs[name] = true
		if _, ok := s.files[name]; ok {
			return invalid(ErrFileExists, "output %s of job %s", name, j.JobID)
		}
		if err := validateNewFile(s, nf); err != nil {
			return err
		}
	}
	return nil
}

// Apply implements Transaction.
func (t ReplaceFileReferences) Apply(m *mutableState) {
	for _, j := range t.Jobs {
		clear := j.AppliedTxn
		inputs := ^uint64(0)
		var newest uint64
		for _, name := range j.InputFiles {
			if f, ok := m.files[name]; ok {
				inputs = min(inputs, f.ClearThrough())
				newest = max(newest, f.RowsThrough())
			}
			m.removeReference(name, j.PartitionID)
		}
		if nf, ok := j.output(); ok {
			if inputs != ^uint64(0) {
				clear = max(clear, inputs)
			}
			f := nf.File
			f.MinKey, f.MaxKey = bytes.Clone(f.MinKey), bytes.Clone(f.MaxKey)
			f.AddedTxn = m.txn
			f.Updated = m.time
			f.DeletesApplied = clear // at least the AddedTxn of an input, so never 0
			f.NewestRows = newest
			m.putFile(&f)
			for _, r := range nf.References {
				m.putReference(r)
			}
		}
	}
}
