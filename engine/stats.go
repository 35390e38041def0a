package engine

import (
	"context"
	"errors"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/storage/keys"
	"github.com/sleeperd/sleeperd/storage/statestore"
)

// Stats are the engine's counters since it opened: what metrics export. Counters only
// grow; CacheBytes, CacheEntries and CacheMax are the cache's now.
type Stats struct {
	// Table scans.
	FilesOpened, FilesSkipped       int64
	RowGroupsRead, RowGroupsSkipped int64
	// RowsScanned are the rows scans returned, after key ranges and merging; RowsDecoded
	// those the plain (unmerged) scan path decoded from files before clipping.
	RowsScanned, RowsDecoded, BytesScanned    int64
	PartitionsRead, PartitionsPruned          int64
	CacheHits, CacheMisses                    int64
	CacheBytes, CacheEntries, CacheMax        int64
	CompactionJobs                            map[string]int64 // by status: finished, taken, failed
	CompactionRowsRead, CompactionRowsWritten int64
	// State-store commits: all of them, those that failed with a conflict after too many
	// lost races, and the races lost along the way.
	Commits, CommitConflicts, CommitLostRaces int64
	// Sessions open now.
	Sessions int64
}

// CommitInfo is one state-store commit, for commit observers.
type CommitInfo struct {
	Kind      string
	Duration  time.Duration
	LostRaces int
	Conflict  bool
	Failed    bool
}

// counters are the engine's own counters behind Stats.
type counters struct {
	commits, conflicts, lostRaces atomic.Int64
	mu                            sync.Mutex
	jobs                          map[string]int64
	jobRowsRead, jobRowsWritten   int64
	commitObs                     []func(CommitInfo)
}

// commitHook is the state store's OnCommit: it counts the commit and tells the observers.
func (e *Engine) commitHook(next func(statestore.CommitEvent)) func(statestore.CommitEvent) {
	return func(ev statestore.CommitEvent) {
		if next != nil {
			next(ev)
		}
		if errors.Is(ev.Err, statestore.ErrColumnRetired) {
			e.liftAfterRefusal(ev.Table)
		}
		c := &e.counters
		c.commits.Add(1)
		c.lostRaces.Add(int64(ev.LostRaces))
		info := CommitInfo{Kind: ev.Kind, Duration: ev.Duration, LostRaces: ev.LostRaces, Failed: ev.Err != nil,
			Conflict: errors.Is(ev.Err, statestore.ErrConflict)}
		if info.Conflict {
			c.conflicts.Add(1)
		}
		c.mu.Lock()
		obs := c.commitObs
		c.mu.Unlock()
		for _, o := range obs {
			o(info)
		}
	}
}

// ObserveCommits registers o to be called at the end of every state-store commit.
func (e *Engine) ObserveCommits(o func(CommitInfo)) {
	e.counters.mu.Lock()
	defer e.counters.mu.Unlock()
	obs := make([]func(CommitInfo), 0, len(e.counters.commitObs)+1)
	e.counters.commitObs = append(append(obs, e.counters.commitObs...), o)
}

// jobEnded counts a compaction job that ended with status.
func (e *Engine) jobEnded(status string, rowsRead, rowsWritten int64) {
	c := &e.counters
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.jobs == nil {
		c.jobs = map[string]int64{}
	}
	c.jobs[status]++
	c.jobRowsRead += rowsRead
	c.jobRowsWritten += rowsWritten
}

// Stats returns the engine's counters.
func (e *Engine) Stats() Stats {
	m := e.metrics
	s := Stats{
		FilesOpened: m.FilesOpened.Load(), FilesSkipped: m.FilesSkipped.Load(),
		RowGroupsRead: m.RowGroupsRead.Load(), RowGroupsSkipped: m.RowGroupsSkipped.Load(),
		RowsScanned: m.RowsOutput.Load(), RowsDecoded: m.RowsRead.Load(), BytesScanned: m.BytesRead.Load(),
		PartitionsRead: m.PartitionsRead.Load(), PartitionsPruned: m.PartitionsPruned.Load(),
		Commits: e.counters.commits.Load(), CommitConflicts: e.counters.conflicts.Load(),
		CommitLostRaces: e.counters.lostRaces.Load(), CompactionJobs: map[string]int64{},
	}
	tot := e.hot.Total()
	s.CacheHits, s.CacheMisses, s.CacheBytes, s.CacheEntries, s.CacheMax = tot.Hits, tot.Misses, tot.Bytes, tot.Entries, e.hot.Max()
	e.counters.mu.Lock()
	for k, v := range e.counters.jobs {
		s.CompactionJobs[k] = v
	}
	s.CompactionRowsRead, s.CompactionRowsWritten = e.counters.jobRowsRead, e.counters.jobRowsWritten
	e.counters.mu.Unlock()
	e.sess.mu.Lock()
	s.Sessions = int64(len(e.sess.byPID))
	e.sess.mu.Unlock()
	return s
}

// TableStats is the state of one table now: what the status page and per-table metrics show.
type TableStats struct {
	Name                       string
	Files, Rows, Bytes         int64
	Partitions, LeafPartitions int64
	Partition                  []PartitionStats // in the order of the partition tree, root first
	CacheBytes, CacheHits      int64
	CacheMisses                int64
	CachePinned                bool
}

// PartitionStats is one partition of a table.
type PartitionStats struct {
	ID, ParentID string
	Leaf         bool
	Depth        int
	Min, Max     string
	Files, Rows  int64
}

// TableStats returns the state of every table, by name.
func (e *Engine) TableStats(ctx context.Context) ([]TableStats, error) {
	tables, err := e.cat.Tables(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]TableStats, 0, len(tables))
	for _, t := range tables {
		state, err := e.ss.Snapshot(ctx, t.StateID())
		if err != nil {
			return nil, err
		}
		ts := TableStats{Name: t.Name}
		for _, f := range state.Files() {
			// A file no partition references any more waits for garbage collection.
			refs := state.FileReferences(f.Name)
			if len(refs) == 0 {
				continue
			}
			ts.Files++
			ts.Bytes += f.Bytes
			for _, r := range refs {
				ts.Rows += r.Rows
			}
		}
		parts := state.Partitions()
		children := map[string][]*statestore.Partition{}
		var roots []*statestore.Partition
		for _, p := range parts {
			if p.ParentID == "" {
				roots = append(roots, p)
			} else {
				children[p.ParentID] = append(children[p.ParentID], p)
			}
		}
		types := t.RowKeyTypes()
		var walk func(p *statestore.Partition, depth int)
		walk = func(p *statestore.Partition, depth int) {
			ps := PartitionStats{ID: p.ID, ParentID: p.ParentID, Leaf: p.Leaf(), Depth: depth,
				Min: keys.Format(types, p.Range.Min, false), Max: keys.Format(types, p.Range.Max, true)}
			for _, r := range state.References(p.ID) {
				ps.Files++
				ps.Rows += r.Rows
			}
			ts.Partition = append(ts.Partition, ps)
			kids := children[p.ID]
			sort.Slice(kids, func(i, j int) bool { return kids[i].ID < kids[j].ID })
			for _, k := range kids {
				walk(k, depth+1)
			}
		}
		for _, r := range roots {
			walk(r, 0)
		}
		ts.Partitions = int64(len(parts))
		ts.LeafPartitions = int64(len(state.Leaves()))
		cs := e.hot.Stats(statestore.TablePrefix(t.StateID()))
		ts.CacheBytes, ts.CacheHits, ts.CacheMisses, ts.CachePinned = cs.Bytes, cs.Hits, cs.Misses, cs.Pinned
		out = append(out, ts)
	}
	return out, nil
}

// Jobs returns the reports of the recent compaction jobs, oldest first.
func (e *Engine) Jobs() []JobReport {
	jobs := e.jobs.snapshot()
	sort.SliceStable(jobs, func(i, j int) bool { return jobs[i].Started.Before(jobs[j].Started) })
	return jobs
}

// CachePin pins table in the hot cache, loading its data: sleeper.cache_pin. It returns the
// bytes the cache holds of the table.
func (e *Engine) CachePin(ctx context.Context, table string) (int64, error) {
	t, err := e.cat.Table(ctx, table)
	if err != nil {
		return 0, err
	}
	if e.hot == nil {
		return 0, errCacheOff
	}
	return e.pin(ctx, t.Name, statestore.TablePrefix(t.StateID()), t.StateID())
}

// CacheEvict unpins table and drops its data from the hot cache: sleeper.cache_evict. It
// returns the bytes freed.
func (e *Engine) CacheEvict(ctx context.Context, table string) (int64, error) {
	t, err := e.cat.Table(ctx, table)
	if err != nil {
		return 0, err
	}
	return e.hot.Evict(statestore.TablePrefix(t.StateID())), nil
}

// errCacheOff refuses to pin when the hot cache has no memory.
var errCacheOff = errs.New(errs.InvalidParameter, "sleeper.cache_pin: the hot cache is off (--cache-memory 0)")
