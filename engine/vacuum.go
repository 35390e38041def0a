package engine

import (
	"context"
	"errors"
	"time"

	"github.com/sleeperd/sleeperd/catalog"
	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/storage/gc"
	"github.com/sleeperd/sleeperd/storage/objstore"
	"github.com/sleeperd/sleeperd/storage/splitting"
	"github.com/sleeperd/sleeperd/storage/statestore"
)

// vacuum runs the background work of the named tables (every table when none is named) now:
// partition splitting, compaction by the table's strategy (or a full compaction) and garbage
// collection, returning when it is done.
func (e *Engine) vacuum(ctx context.Context, names []string, full bool) error {
	var tables []*catalog.Table
	if len(names) == 0 {
		all, err := e.cat.Tables(ctx)
		if err != nil {
			return err
		}
		tables = all
	}
	for _, n := range names {
		t, err := e.cat.Table(ctx, n)
		if err != nil {
			return err
		}
		tables = append(tables, t)
	}
	for _, t := range tables {
		if err := e.maintainTable(ctx, t, full); err != nil {
			return err
		}
	}
	return e.sweepStore(ctx)
}

// maintainTable splits t's leaves that reached the split threshold, compacts (pushing file
// references down to the new leaves on the way), and collects garbage.
func (e *Engine) maintainTable(ctx context.Context, t *catalog.Table, full bool) (err error) {
	defer e.recoverTo("maintenance", &err)
	panicSite("maintenance")
	if err := e.liftExpiredFences(ctx, t); err != nil {
		return err
	}
	// Compaction makes row counts exact and splitting makes new leaves to compact: go round
	// until a pass splits nothing, so a table leaves VACUUM with no leaf over its threshold.
	for round := 0; round < maxRounds; round++ {
		panicSite("split")
		n, err := e.split(ctx, t)
		if err != nil {
			return err
		}
		if err := e.compact(ctx, t, full); err != nil {
			return err
		}
		if n == 0 {
			break
		}
	}
	if err := e.retireDeletes(ctx, t); err != nil {
		return err
	}
	panicSite("gc")
	deleted, err := gc.Run(ctx, e.store, e.ss, t.StateID(), t.Props.GCDelay, time.Now(), func() uint64 {
		return e.readers.oldest(t.StateID())
	})
	for _, name := range deleted {
		e.files.Drop(name)
	}
	if err != nil {
		return err
	}
	swept, err := gc.SweepOrphans(ctx, e.store, e.ss, t.StateID(), t.Props.OrphanAge, time.Now())
	for _, name := range swept {
		e.files.Drop(name)
	}
	if len(swept) > 0 {
		e.log.Info("orphans deleted", "table", t.Name, "objects", len(swept))
	}
	return err
}

// sweepStore removes what belongs to no live table: the objects of dropped tables, and the
// temporary files of writes that died (kept for the longest orphan_age of any table, since a
// write to any table may still be running).
func (e *Engine) sweepStore(ctx context.Context) error {
	tables, err := e.cat.Tables(ctx)
	if err != nil {
		return err
	}
	if err := e.purgeDropped(ctx, tables); err != nil {
		return err
	}
	if ts, ok := e.store.(objstore.TempSweeper); ok {
		age := time.Duration(0)
		for _, t := range tables {
			age = max(age, t.Props.OrphanAge)
		}
		if len(tables) == 0 {
			age = catalog.DefaultOrphanAge
		}
		n, err := ts.SweepTemp(ctx, time.Now().Add(-age))
		if n > 0 {
			e.log.Info("temporary files of dead writes deleted", "files", n)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// purgeDropped deletes everything under the prefix of each dropped table whose drop is at
// least its gc_delay old and that no running query in this process reads. A query in another
// process that began before the drop is protected by the delay alone, as it is for the files
// ordinary garbage collection deletes.
//
// A writer that had not seen the drop may still add objects after a purge, so a table is
// purged again on every pass until its drop is also older than its orphan_age, the bound on
// any write; then it is remembered as done (for the life of the process: a restarted process
// purges every dropped table once more, which costs one listing of an empty prefix). Purging
// is idempotent, and several processes may purge one table at once.
func (e *Engine) purgeDropped(ctx context.Context, live []*catalog.Table) error {
	dropped, err := e.cat.Dropped(ctx)
	if err != nil {
		return err
	}
	liveIDs := make(map[string]bool, len(live))
	for _, t := range live {
		liveIDs[t.ID] = true
	}
	now := e.now()
	for _, d := range dropped {
		e.purgedMu.Lock()
		done := e.purged[d.ID]
		e.purgedMu.Unlock()
		if done || liveIDs[d.ID] || now.Before(d.At.Add(d.Props.GCDelay)) || e.readers.oldest(d.StateID()) != 0 {
			continue
		}
		n, err := gc.Purge(ctx, e.store, d.StateID())
		e.files.DropPrefix(statestore.TablePrefix(d.StateID()))
		if n > 0 {
			e.log.Info("dropped table's objects deleted", "table", d.Name, "id", d.ID, "objects", n)
		}
		if err != nil {
			return err
		}
		if !now.Before(d.At.Add(max(d.Props.GCDelay, d.Props.OrphanAge))) {
			e.purgedMu.Lock()
			if e.purged == nil {
				e.purged = map[string]bool{}
			}
			e.purged[d.ID] = true
			e.purgedMu.Unlock()
		}
	}
	return nil
}

// retireDeletes retires the delete predicates that no referenced file can match any more:
// compaction has applied them to every row older than them.
func (e *Engine) retireDeletes(ctx context.Context, t *catalog.Table) error {
	state, err := e.ss.Snapshot(ctx, t.StateID())
	if err != nil {
		return err
	}
	ids := state.RetirableDeletePredicates()
	if len(ids) == 0 {
		return nil
	}
	_, err = e.ss.Commit(ctx, t.StateID(), statestore.RetireDeletePredicates{IDs: ids})
	if errors.Is(err, statestore.ErrInvalidTransaction) {
		return nil // another process retired them first
	}
	return err
}

// split splits every leaf of t whose rows reached the table's split threshold and returns
// how many it split.
//
// Planning reads the key sketches of the files a snapshot names without claiming them, so
// another process may compact such a file and collect it (once gc_delay has passed) before it
// is read. A missing file means the state has moved on: the plan is made again from a newer
// snapshot, and after a few tries left to a later pass.
func (e *Engine) split(ctx context.Context, t *catalog.Table) (int, error) {
	var splits []statestore.SplitPartition
	for try := 0; ; try++ {
		state, err := e.ss.Snapshot(ctx, t.StateID())
		if err != nil {
			return 0, err
		}
		splits, err = splitting.Plan(state, t.Props.SplitThreshold, splitting.Loader(ctx, e.store, splitting.StateSizes(state)))
		if errors.Is(err, objstore.ErrNotExist) {
			if try < 3 {
				continue
			}
			e.log.Debug("splitting deferred: files changed while planning", "table", t.Name, "err", err)
			return 0, nil
		}
		if err != nil || len(splits) == 0 {
			return 0, err
		}
		break
	}
	n, err := splitting.Run(ctx, e.ss, t.StateID(), splits)
	if n > 0 {
		e.log.Info("partitions split", "table", t.Name, "splits", n)
	}
	return n, err
}

// alterTable sets table properties after checking the iterator stack they describe.
func (e *Engine) alterTable(ctx context.Context, name string, set map[string]string) error {
	t, err := e.cat.Table(ctx, name)
	if err != nil {
		return err
	}
	if _, ok := set[catalog.PropAggregations]; ok && len(t.PrimaryKey) > 0 && set[catalog.PropAggregations] != "" {
		return errs.New(errs.InvalidParameter, "table %q has a primary key: its rows are replaced, not aggregated", name)
	}
	_, err = e.cat.Alter(ctx, name, set, e.validateIterators)
	return err
}

// background runs maintenance passes over every online table until ctx is done.
func (e *Engine) background(ctx context.Context, every time.Duration) {
	defer close(e.bgDone)
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		e.maintainAll(ctx)
	}
}

// maintainAll runs one background pass over every online table. A table whose maintenance
// fails or panics is logged and the pass goes on with the others.
func (e *Engine) maintainAll(ctx context.Context) {
	var tables []*catalog.Table
	err := func() (err error) {
		defer e.recoverTo("maintenance", &err)
		tables, err = e.cat.Tables(ctx)
		return err
	}()
	if err != nil {
		e.log.Warn("maintenance: listing tables", "err", err)
		return
	}
	for _, t := range tables {
		if !t.Props.Online {
			continue
		}
		if err := e.maintainTable(ctx, t, false); err != nil && ctx.Err() == nil {
			e.log.Warn("maintenance failed", "table", t.Name, "err", err)
		}
	}
	err = func() (err error) {
		defer e.recoverTo("maintenance", &err)
		return e.sweepStore(ctx)
	}()
	if err != nil && ctx.Err() == nil {
		e.log.Warn("maintenance failed", "err", err)
	}
}
