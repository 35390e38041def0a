package statestore

import "fmt"

// AssignJobIds claims file references for compaction jobs: each job takes references of
// one partition, which nothing else may then change until the job's ReplaceFileReferences
// (or a later transaction that frees them) commits.
//
// Each job needs a new ID (no reference is assigned to it yet, and no other job of the
// transaction has it), an existing partition and at least one file; each of its files must
// be referenced by the partition and not assigned to a job.
type AssignJobIds struct {
	Jobs []JobAssignment `json:"jobs"`
}

// JobAssignment assigns the references of Files in PartitionID to the job JobID.
type JobAssignment struct {
	JobID       string   `json:"job"`
	PartitionID string   `json:"partition"`
	Files       []string `json:"files"`
}

var _ Transaction = AssignJobIds{}

func init() { register(AssignJobIds{}.Kind(), func() Transaction { return new(AssignJobIds) }) }

// Kind implements Transaction.
func (AssignJobIds) Kind() string { return "ASSIGN_JOB_IDS" }

// Summary implements Transaction.
func (t AssignJobIds) Summary() string {
	parts := make([]string, len(t.Jobs))
	for i, j := range t.Jobs {
		parts[i] = fmt.Sprintf("%s in %s (%s)", j.JobID, j.PartitionID, plural(len(j.Files), "file"))
	}
	return fmt.Sprintf("assign %s: %s", plural(len(t.Jobs), "job"), nameList(parts))
}

// Validate implements Transaction.
func (t AssignJobIds) Validate(s *State) error {
	if !s.Initialised() {
		return invalid(ErrNotInitialised, "assigning jobs in table %s", s.Table())
	}
	if len(t.Jobs) == 0 {
		return invalid(ErrInvalidTransaction, "no jobs to assign")
	}
	inUse := s.jobIDs()
	type ref struct{ file, part string }
	claimed := map[ref]bool{}
	for _, j := range t.Jobs {
		switch {
		case j.JobID == "":
			return invalid(ErrInvalidTransaction, "job without an ID")
		case inUse[j.JobID]:
			return invalid(ErrAssigned, "job ID %s is in use", j.JobID)
		case len(j.Files) == 0:
			return invalid(ErrInvalidTransaction, "job %s has no files", j.JobID)
		}
		inUse[j.JobID] = true
		if _, ok := s.parts[j.PartitionID]; !ok {
			return invalid(ErrPartitionNotFound, "partition %q of job %s", j.PartitionID, j.JobID)
		}
		for _, f := range j.Files {
			r, ok := s.ref(j.PartitionID, f)
			switch {
			case !ok:
				return invalid(ErrReferenceNotFound, "file %s in partition %s, for job %s", f, j.PartitionID, j.JobID)
			case r.JobID != "":
				return invalid(ErrAssigned, "file %s in partition %s is assigned to job %s", f, j.PartitionID, r.JobID)
			case claimed[ref{f, j.PartitionID}]:
				return invalid(ErrAssigned, "file %s in partition %s is assigned twice", f, j.PartitionID)
			}
			claimed[ref{f, j.PartitionID}] = true
		}
	}
	return nil
}

// Apply implements Transaction.
func (t AssignJobIds) Apply(m *mutableState) {
	for _, j := range t.Jobs {
		for _, f := range j.Files {
			r, _ := m.ref(j.PartitionID, f)
			r.JobID = j.JobID
			r.AssignedAt = m.time
			m.putReference(r)
		}
	}
}
