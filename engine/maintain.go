package engine

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/sleeperd/sleeperd/catalog"
	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/storage/compaction"
	"github.com/sleeperd/sleeperd/storage/merge"
	"github.com/sleeperd/sleeperd/storage/statestore"
)

// maxRounds bounds the rounds of planning and running one maintenance pass makes, so that a
// pass ends even while writers keep adding files.
const maxRounds = 20

// compactionEnv is the environment compaction jobs of table t run in.
func (e *Engine) compactionEnv(t *catalog.Table) compaction.Env {
	return compaction.Env{
		Store:  e.store,
		States: e.ss,
		Table: compaction.TableSpec{
			ID: t.StateID(), Schema: t.Schema(), RowKeys: t.RowKeys, SortKeys: t.SortKeys,
			Props: t.Props.Parquet, FilePrefix: t.FilePrefix(), Convert: t.ConvertFormer,
		},
		Iterators: func(state *statestore.State, full bool) (merge.Options, error) {
			panicSite("compaction")
			return e.iterators(t, state.DeletePredicates(), time.Now(), full)
		},
		Alloc:     e.alloc,
		ReadAhead: true,
	}
}

// compact runs compaction on t until its strategy plans no more jobs (or, when full, until
// every leaf holds at most one file with every delete folded in).
func (e *Engine) compact(ctx context.Context, t *catalog.Table, full bool) error {
	env := e.compactionEnv(t)
	cfg := compaction.Config{
		Ratio: int64(t.Props.CompactionRatio), BatchSize: t.Props.CompactionFiles,
		MaxJobsPerPartition: t.Props.CompactionJobs,
	}
	for round := 0; round < maxRounds; round++ {
		if _, err := compaction.PushDownAll(ctx, e.ss, t.StateID()); err != nil {
			return err
		}
		state, err := e.ss.Snapshot(ctx, t.StateID())
		if err != nil {
			return err
		}
		if released, err := e.releaseExpired(ctx, t, state); err != nil {
			return err
		} else if released {
			continue
		}
		var jobs []compaction.Job
		var waiting []string
		if full {
			jobs, waiting = compaction.PlanFull(state, len(t.PrimaryKey) > 0)
		} else {
			jobs = compaction.Plan(state, cfg)
		}
		if len(jobs) == 0 {
			if len(waiting) == 0 {
				return nil
			}
			// Leaves wait for jobs of another runner: give them a moment.
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(50 * time.Millisecond):
			}
			continue
		}
		if err := e.runJobs(ctx, t, env, jobs); err != nil {
			return err
		}
	}
	return nil
}

// claimLost reports whether a job's commit was refused because the job no longer holds its
// files: another runner released its claim once it outlived compaction_job_timeout (and may
// have compacted the files since). Like a job another runner took, that is a lost race, not
// a failure.
func (e *Engine) claimLost(ctx context.Context, t *catalog.Table, jobID string, err error) bool {
	if !errors.Is(err, statestore.ErrNotAssigned) && !errors.Is(err, statestore.ErrReferenceNotFound) {
		return false
	}
	state, serr := e.ss.Snapshot(ctx, t.StateID())
	if serr != nil {
		return false
	}
	for _, j := range state.Jobs() {
		if j.ID == jobID {
			return false // still claimed: the refusal has another cause
		}
	}
	return true
}

// runJobs runs compaction jobs, at most CompactionWorkers at once. A job another runner took
// is skipped; the first other error is returned after every job has ended.
func (e *Engine) runJobs(ctx context.Context, t *catalog.Table, env compaction.Env, jobs []compaction.Job) error {
	sem := make(chan struct{}, e.opts.CompactionWorkers)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	for _, job := range jobs {
		sem <- struct{}{}
		wg.Add(1)
		go func(job compaction.Job) {
			defer wg.Done()
			defer func() { <-sem }()
			rep := &JobReport{Table: t.Name, JobID: job.ID, Partition: job.PartitionID, Status: "running", InputFiles: len(job.Files), Started: time.Now()}
			e.jobs.add(rep)
			res, err := e.runJob(ctx, env, job)
			if err != nil && e.claimLost(ctx, t, job.ID, err) {
				err = fmt.Errorf("%w: its claim was released before it committed: %v", compaction.ErrJobTaken, err)
			}
			e.jobs.update(rep, func(r *JobReport) {
				r.Finished = time.Now()
				r.InputRows, r.OutputRows = res.RowsRead, res.RowsWritten
				switch {
				case err == nil:
					r.Status = "finished"
				case errors.Is(err, compaction.ErrJobTaken):
					r.Status = "taken"
				default:
					r.Status, r.Err = "failed", err.Error()
				}
			})
			e.jobEnded(rep.Status, res.RowsRead, res.RowsWritten)
			if err != nil && !errors.Is(err, compaction.ErrJobTaken) {
				if stack := errs.StackOf(err); stack != nil {
					e.log.Error("compaction job panicked", "table", t.Name, "job", job.ID, "err", err, "stack", string(stack))
				} else {
					e.log.Warn("compaction job failed", "table", t.Name, "job", job.ID, "err", err)
				}
				e.releaseJobs(context.WithoutCancel(ctx), t, job.ID)
				mu.Lock()
				if first == nil {
					first = fmt.Errorf("compaction job %s of table %s: %w", job.ID, t.Name, err)
				}
				mu.Unlock()
				return
			}
			if err == nil {
				e.log.Debug("compaction job finished", "table", t.Name, "job", job.ID, "rows", res.RowsWritten)
			}
		}(job)
	}
	wg.Wait()
	return first
}

// runJob runs one compaction job; a panic fails the job (the runner then releases its claim).
func (e *Engine) runJob(ctx context.Context, env compaction.Env, job compaction.Job) (res compaction.Result, err error) {
	defer e.recoverTo("compaction", &err)
	return compaction.Run(ctx, env, job)
}

// releaseJobs frees the files of jobs that will not finish, best effort: a job whose claim
// cannot be released here is released by expiry later.
func (e *Engine) releaseJobs(ctx context.Context, t *catalog.Table, ids ...string) bool {
	_, err := e.ss.Commit(ctx, t.StateID(), statestore.ReleaseJobs{JobIDs: ids})
	if err != nil && !errors.Is(err, statestore.ErrInvalidTransaction) {
		e.log.Warn("releasing compaction jobs", "table", t.Name, "jobs", ids, "err", err)
	}
	return err == nil
}

// releaseExpired releases the jobs of t that have held their files longer than the table's
// job timeout: their runners, in this process or another, are taken to have died.
func (e *Engine) releaseExpired(ctx context.Context, t *catalog.Table, state *statestore.State) (bool, error) {
	var expired []string
	cutoff := time.Now().Add(-t.Props.JobTimeout)
	for _, j := range state.Jobs() {
		if !j.AssignedAt.IsZero() && j.AssignedAt.Before(cutoff) && !e.runningJob(j.ID) {
			expired = append(expired, j.ID)
		}
	}
	if len(expired) == 0 {
		return false, nil
	}
	e.log.Warn("releasing expired compaction jobs", "table", t.Name, "jobs", expired)
	return e.releaseJobs(ctx, t, expired...), nil
}

// runningJob reports whether this process is running the job.
func (e *Engine) runningJob(id string) bool {
	for _, j := range e.jobs.snapshot() {
		if j.JobID == id && j.Status == "running" {
			return true
		}
	}
	return false
}
