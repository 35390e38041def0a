package statestore

import (
	"fmt"
	"time"
)

// ReleaseJobs frees the file references claimed by compaction jobs that will not finish: a
// job that failed, or one whose runner died (its claim expired). The references become
// unassigned, so later jobs can take them; a released job's ReplaceFileReferences no longer
// validates, so a runner that was only slow cannot commit after its claim was released.
//
// Each job must hold at least one reference.
type ReleaseJobs struct {
	JobIDs []string `json:"jobs"`
}

var _ Transaction = ReleaseJobs{}

func init() { register(ReleaseJobs{}.Kind(), func() Transaction { return new(ReleaseJobs) }) }

// Kind implements Transaction.
func (ReleaseJobs) Kind() string { return "RELEASE_JOBS" }

// Summary implements Transaction.
func (t ReleaseJobs) Summary() string {
	return fmt.Sprintf("release %s: %s", plural(len(t.JobIDs), "job"), nameList(t.JobIDs))
}

// Validate implements Transaction.
func (t ReleaseJobs) Validate(s *State) error {
	if len(t.JobIDs) == 0 {
		return invalid(ErrInvalidTransaction, "no jobs to release")
	}
	held := s.jobIDs()
	for _, id := range t.JobIDs {
		if !held[id] {
			return invalid(ErrNotAssigned, "job %s holds no file references", id)
		}
	}
	return nil
}

// Apply implements Transaction.
func (t ReleaseJobs) Apply(m *mutableState) {
	release := map[string]bool{}
	for _, id := range t.JobIDs {
		release[id] = true
	}
	var freed []FileReference
	for _, refs := range m.byPart {
		for _, r := range refs {
			if release[r.JobID] {
				freed = append(freed, r)
			}
		}
	}
	for _, r := range freed {
		r.JobID, r.AssignedAt = "", time.Time{}
		m.putReference(r)
	}
}
