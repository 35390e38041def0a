// Package compaction merges the files of a leaf partition into one: a pure planner (Sleeper's
// SizeRatio strategy, full compactions, pushing references down from non-leaf partitions) and
// a runner that claims a job, streams a k-way merge of its inputs through the iterator stack
// into one sorted file and commits the replacement.
package compaction

import (
	"bytes"
	"cmp"
	"crypto/rand"
	"encoding/hex"
	"slices"
	"strings"

	"github.com/sleeperd/sleeperd/storage/keys"
	"github.com/sleeperd/sleeperd/storage/statestore"
)

// The defaults of Config's fields.
const (
	DefaultRatio     = 3
	DefaultBatchSize = 12
)

// Config tunes the SizeRatio strategy. Zero fields take their defaults.
type Config struct {
	// Ratio: a set of files is compacted when the rows of all but the largest sum to at least
	// Ratio times the rows of the largest. Default 3.
	Ratio int64
	// BatchSize is the most files a job takes. Default 12; at least 2.
	BatchSize int
	// MaxJobsPerPartition caps the jobs running at once on one partition, counting those
	// already assigned; 0 means no cap (as in Sleeper).
	MaxJobsPerPartition int
}

func (c Config) withDefaults() Config {
	if c.Ratio <= 0 {
		c.Ratio = DefaultRatio
	}
	if c.BatchSize <= 0 {
		c.BatchSize = DefaultBatchSize
	}
	return c
}

// Job is a compaction job: merge Files, all referenced by the partition PartitionID, into one
// file referenced by that partition.
type Job struct {
	ID          string
	PartitionID string
	Files       []string // in ascending order of rows
	// Full: the inputs are every file a read of the partition uses (none is referenced by an
	// ancestor), so no older version of any key can remain elsewhere and tombstones may be
	// dropped.
	Full bool
}

// PushDown moves the reference of File from the non-leaf partition From to its children To
// (those whose ranges share keys with the file).
type PushDown struct {
	File string
	From string
	To   []string
}

// NewJobID returns a new random job ID.
func NewJobID() string {
	var b [12]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// PlanPushDown returns the pushes that move every unassigned reference of a non-leaf partition
// one level down, to the children whose ranges share keys with the file. References of
// files without rows go to the first child. Pushing down to the leaves takes as many rounds as
// the tree is deep; each round's pushes are disjoint.
func PlanPushDown(state *statestore.State) []PushDown {
	var out []PushDown
	for _, p := range state.Partitions() {
		if p.Leaf() {
			continue
		}
		for _, r := range state.References(p.ID) {
			if r.JobID != "" {
				continue
			}
			f, ok := state.File(r.File)
			if !ok {
				continue
			}
			var to []string
			if f.Rows == 0 || f.MaxKey == nil {
				to = []string{p.ChildIDs[0]}
			} else {
				fr := keys.Range{Min: f.MinKey, Max: append(bytes.Clone(f.MaxKey), 0)}
				for _, c := range p.ChildIDs {
					if cp, ok := state.Partition(c); ok && cp.Range.Overlaps(fr) {
						to = append(to, c)
					}
				}
			}
			if len(to) > 0 {
				out = append(out, PushDown{File: r.File, From: p.ID, To: to})
			}
		}
	}
	return out
}

// Plan returns the compaction jobs Sleeper's SizeRatio strategy picks for every leaf of the
// state. A leaf's candidate files are its references not assigned to a job, in ascending
// order of rows (then name). From them, the largest is dropped while the rows of the others sum
// to less than Ratio times the rows of the largest; if at least two remain they are batched
// into jobs of at most BatchSize files, each batch again meeting the ratio (a failing batch
// slides on by one file). A leaf gets no more jobs than MaxJobsPerPartition minus those already
// running on it. Job IDs are new random IDs; jobs are in leaf order.
func Plan(state *statestore.State, cfg Config) []Job {
	cfg = cfg.withDefaults()
	var jobs []Job
	for _, leaf := range state.Leaves() {
		refs := state.References(leaf.ID)
		running := map[string]bool{}
		var free []statestore.FileReference
		for _, r := range refs {
			if r.JobID != "" {
				running[r.JobID] = true
			} else {
				free = append(free, r)
			}
		}
		room := -1
		if cfg.MaxJobsPerPartition > 0 {
			room = cfg.MaxJobsPerPartition - len(running)
			if room <= 0 {
				continue
			}
		}
		sortByRows(free)
		full := len(running) == 0 && !hasAncestorRefs(state, leaf.ID)
		for _, batch := range sizeRatio(free, cfg) {
			if room == 0 {
				break
			}
			room--
			jobs = append(jobs, Job{
				ID:          NewJobID(),
				PartitionID: leaf.ID,
				Files:       fileNames(batch),
				Full:        full && len(batch) == len(refs),
			})
		}
	}
	return jobs
}

// sizeRatio picks batches from files sorted by ascending rows, as Sleeper's SizeRatioLeafStrategy.
func sizeRatio(files []statestore.FileReference, cfg Config) [][]statestore.FileReference {
	n := len(files)
	for n > 1 && !meets(files[:n], cfg.Ratio) {
		n--
	}
	if n < 2 {
		return nil
	}
	files = files[:n]
	if n <= cfg.BatchSize {
		return [][]statestore.FileReference{files}
	}
	var out [][]statestore.FileReference
	for pos := 0; pos < n; {
		end := min(pos+cfg.BatchSize, n)
		if meets(files[pos:end], cfg.Ratio) {
			out = append(out, files[pos:end])
			pos = end
		} else {
			pos++
		}
	}
	return out
}

// meets reports whether the rows of all but the last (largest) file sum to at least ratio
// times the rows of the last.
func meets(files []statestore.FileReference, ratio int64) bool {
	if len(files) < 2 {
		return false
	}
	var rest int64
	for _, f := range files[:len(files)-1] {
		rest += f.Rows
	}
	return ratio*files[len(files)-1].Rows <= rest
}

func sortByRows(refs []statestore.FileReference) {
	slices.SortStableFunc(refs, func(a, b statestore.FileReference) int {
		if c := cmp.Compare(a.Rows, b.Rows); c != 0 {
			return c
		}
		return strings.Compare(a.File, b.File)
	})
}

func fileNames(refs []statestore.FileReference) []string {
	out := make([]string, len(refs))
	for i, r := range refs {
		out[i] = r.File
	}
	return out
}

// hasAncestorRefs reports whether an ancestor of the partition references any file.
func hasAncestorRefs(state *statestore.State, id string) bool {
	for _, a := range state.Ancestors(id) {
		if len(state.References(a.ID)) > 0 {
			return true
		}
	}
	return false
}

// PlanFull returns the jobs of a full compaction (VACUUM FULL): every leaf that, after the
// job, should hold at most one file with every delete folded in. A leaf gets one job with all
// its files when it has more than one file, or one file that an active delete predicate may
// still match (File.ClearThrough below the newest delete's txn), or, when tombstones is set (a
// PRIMARY KEY table), one file not written by a full compaction (it may hold tombstones).
//
// Leaves whose ancestors still reference files (push those down first, see PlanPushDown) or
// that need a job while some of their files are assigned to running jobs get none: they are
// listed in waiting, so that the caller can retry once those finish.
func PlanFull(state *statestore.State, tombstones bool) (jobs []Job, waiting []string) {
	var newest uint64
	for _, d := range state.DeletePredicates() {
		newest = max(newest, d.Txn)
	}
	for _, leaf := range state.Leaves() {
		refs := state.References(leaf.ID)
		assigned := slices.ContainsFunc(refs, func(r statestore.FileReference) bool { return r.JobID != "" })
		need := len(refs) > 1
		if len(refs) == 1 {
			f, ok := state.File(refs[0].File)
			need = ok && (newest > f.ClearThrough() || (tombstones && !IsFullOutput(f.Name)))
		}
		switch {
		case hasAncestorRefs(state, leaf.ID), need && assigned:
			waiting = append(waiting, leaf.ID)
		case need:
			sortByRows(refs)
			jobs = append(jobs, Job{ID: NewJobID(), PartitionID: leaf.ID, Files: fileNames(refs), Full: true})
		}
	}
	return jobs, waiting
}

// OutputName returns the object name of the output of a job: prefix + "c-" + job ID, then
// "-full" for a full job, then ".parquet". The name records that a full job's output holds no
// tombstones.
func OutputName(prefix, jobID string, full bool) string {
	name := prefix + "c-" + jobID
	if full {
		name += "-full"
	}
	return name + ".parquet"
}

// IsFullOutput reports whether name is that of the output of a full job (see OutputName).
func IsFullOutput(name string) bool {
	base := name[strings.LastIndexByte(name, '/')+1:]
	return strings.HasPrefix(base, "c-") && strings.HasSuffix(base, "-full.parquet")
}
