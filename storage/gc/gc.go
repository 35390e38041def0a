// Package gc deletes the objects of table files that no partition references any more, once
// they have been unreferenced for a delay and no running query may still read them; the
// orphans of writes that died before their commit, once they are older than any write can
// take; and everything a dropped table kept.
package gc

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sleeperd/sleeperd/storage/objstore"
	"github.com/sleeperd/sleeperd/storage/statestore"
)

// PropDelay is the table property holding the delay, and DefaultDelay its default (as in
// Sleeper).
const (
	PropDelay    = "gc_delay"
	DefaultDelay = 15 * time.Minute
)

// SweepOrphans deletes the table's orphans and returns their names: the objects under
// statestore.TablePrefix(table), outside its log and snapshots, that its state does not name
// as a file (referenced or not) and that were last written at least age before now. They are
// what ingests and compactions that died between writing a file and committing it left.
//
// age must be longer than any writer takes from writing a file to committing it (retries
// included). Then a file last written before now-age was committed before now, if ever, and
// the state, read after the listing and after now, names it. The caller takes now before the
// call.
func SweepOrphans(ctx context.Context, store objstore.Store, states *statestore.Store, table statestore.TableID, age time.Duration, now time.Time) ([]string, error) {
	prefix := statestore.TablePrefix(table)
	objs, err := store.ListInfo(ctx, prefix)
	if err != nil {
		return nil, fmt.Errorf("gc: %w", err)
	}
	cutoff := now.Add(-age)
	logs, snaps := statestore.LogPrefix(table), statestore.SnapshotPrefix(table)
	var old []string
	for _, o := range objs {
		if strings.HasPrefix(o.Name, logs) || strings.HasPrefix(o.Name, snaps) || o.ModTime.After(cutoff) {
			continue
		}
		old = append(old, o.Name)
	}
	if len(old) == 0 {
		return nil, nil
	}
	st, err := states.Snapshot(ctx, table)
	if err != nil {
		return nil, fmt.Errorf("gc: %w", err)
	}
	var out []string
	for _, name := range old {
		if _, known := st.File(name); known {
			continue
		}
		if err := store.Delete(ctx, name); err != nil {
			return out, fmt.Errorf("gc: delete orphan %s: %w", name, err)
		}
		out = append(out, name)
	}
	return out, nil
}

// Purge deletes every object under statestore.TablePrefix(table) — data files, log and
// snapshots — and returns how many it deleted. It is for a table that has been dropped and
// that nothing reads any more; it is idempotent, and several collectors may purge one
// table at once (deleting a missing object is not an error).
func Purge(ctx context.Context, store objstore.Store, table statestore.TableID) (int, error) {
	names, err := store.List(ctx, statestore.TablePrefix(table))
	if err != nil {
		return 0, fmt.Errorf("gc: %w", err)
	}
	for i, name := range names {
		if err := store.Delete(ctx, name); err != nil {
			return i, fmt.Errorf("gc: delete %s: %w", name, err)
		}
	}
	return len(names), nil
}

// Run deletes the objects of the table's unreferenced files whose Updated time (when they
// lost their last reference) is at least delay before now, then commits DeleteFiles for them,
// and returns their names.
//
// protect, if not nil, returns the oldest snapshot txn still being read in this process (0
// for none): files whose last reference was removed by a transaction after it are kept, so a
// query reading that snapshot never loses a file. Finding those transactions reads the log
// entries after the protected txn; when one of them is gone (trimmed), nothing is deleted.
//
// An object is deleted before its file is forgotten, so a crash in between leaves a file that
// the next run deletes again (deleting a missing object is not an error).
func Run(ctx context.Context, store objstore.Store, states *statestore.Store, table statestore.TableID, delay time.Duration, now time.Time, protect func() uint64) ([]string, error) {
	st, err := states.Snapshot(ctx, table)
	if err != nil {
		return nil, fmt.Errorf("gc: %w", err)
	}
	var due []string
	for _, f := range st.UnreferencedFiles() {
		if !f.Updated.After(now.Add(-delay)) {
			due = append(due, f.Name)
		}
	}
	if len(due) == 0 {
		return nil, nil
	}
	if protect != nil {
		if p := protect(); p != 0 && p < st.TxnNumber() {
			kept, err := unreferencedAfter(ctx, store, table, p, st.TxnNumber())
			if err != nil {
				return nil, err
			}
			if kept == nil {
				return nil, nil // the log after p is gone: keep everything
			}
			n := 0
			for _, name := range due {
				if !kept[name] {
					due[n] = name
					n++
				}
			}
			due = due[:n]
		}
	}
	if len(due) == 0 {
		return nil, nil
	}
	for _, name := range due {
		if err := store.Delete(ctx, name); err != nil {
			return nil, fmt.Errorf("gc: delete %s: %w", name, err)
		}
	}
	return forget(ctx, states, table, due)
}

// forget commits DeleteFiles for the deleted files. Another collector (in this process or
// another) may have forgotten some of them first: then the transaction no longer validates,
// and forget commits it again for those still in the state, so that overlapping passes both
// succeed.
func forget(ctx context.Context, states *statestore.Store, table statestore.TableID, due []string) ([]string, error) {
	for attempt := 0; ; attempt++ {
		_, err := states.Commit(ctx, table, statestore.DeleteFiles{Files: due})
		if err == nil {
			return due, nil
		}
		if !errors.Is(err, statestore.ErrInvalidTransaction) || attempt == 3 {
			return nil, fmt.Errorf("gc: commit: %w", err)
		}
		st, serr := states.Snapshot(ctx, table)
		if serr != nil {
			return nil, fmt.Errorf("gc: %w", serr)
		}
		unreferenced := map[string]bool{}
		for _, f := range st.UnreferencedFiles() {
			unreferenced[f.Name] = true
		}
		n := 0
		for _, name := range due {
			if unreferenced[name] {
				due[n] = name
				n++
			}
		}
		if due = due[:n]; len(due) == 0 {
			return nil, nil
		}
	}
}

// unreferencedAfter returns the files whose references the transactions (after, upto]
// removed: the inputs of compaction jobs. It returns nil, nil when an entry is missing.
func unreferencedAfter(ctx context.Context, store objstore.Store, table statestore.TableID, after, upto uint64) (map[string]bool, error) {
	log, err := statestore.NewLog(store, statestore.LogPrefix(table))
	if err != nil {
		return nil, fmt.Errorf("gc: %w", err)
	}
	out := map[string]bool{}
	for n := after + 1; n <= upto; n++ {
		data, err := log.Read(ctx, n)
		if errors.Is(err, objstore.ErrNotExist) {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("gc: read log entry %d: %w", n, err)
		}
		txn, _, err := statestore.UnmarshalTransaction(data)
		if err != nil {
			return nil, fmt.Errorf("gc: log entry %d: %w", n, err)
		}
		replacedInputs(txn, out)
	}
	return out, nil
}

// replacedInputs adds to out the input files of the compaction jobs txn replaces, looking
// into batches.
func replacedInputs(txn statestore.Transaction, out map[string]bool) {
	var jobs []statestore.JobResult
	switch t := txn.(type) {
	case *statestore.ReplaceFileReferences:
		jobs = t.Jobs
	case statestore.ReplaceFileReferences:
		jobs = t.Jobs
	case *statestore.Batch:
		for _, x := range t.Txns {
			replacedInputs(x, out)
		}
	case statestore.Batch:
		for _, x := range t.Txns {
			replacedInputs(x, out)
		}
	}
	for _, j := range jobs {
		for _, f := range j.InputFiles {
			out[f] = true
		}
	}
}
