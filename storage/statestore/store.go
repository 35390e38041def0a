package statestore

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/sleeperd/sleeperd/storage/objstore"
)

// Options tune a Store. The zero value gives the defaults.
type Options struct {
	// SnapshotEvery is how many transactions apart the committer writes full snapshots:
	// 0 means 100, a negative number never.
	SnapshotEvery int
	// Backoff paces retries after losing a commit race; zero fields take DefaultBackoff's.
	Backoff Backoff
	// Now is the clock stamped on transactions; nil means time.Now.
	Now func() time.Time
	// KeepBehindSnapshot is how many log entries the writer of a snapshot keeps before it:
	// it deletes (best effort, oldest first) the entries numbered below the snapshot's
	// number minus KeepBehindSnapshot, and the snapshots that only those entries could
	// extend. 0 means 1000, a negative number never deletes.
	KeepBehindSnapshot int
	// ReloadBehind is how many log entries behind a cached state may fall before a Store
	// catching up looks for a snapshot to load instead of replaying them all: 0 means 200,
	// a negative number never looks.
	ReloadBehind int
	// CommitGrace is how long after a PartOf entry was written a reader waits for its
	// commit record before it aborts the commit (see PartOf): 0 means DefaultCommitGrace.
	CommitGrace time.Duration
	// OnCommit, if set, is told of every Commit and CommitIf when it returns, from the
	// committing goroutine: metrics count commits, lost races and latency with it.
	OnCommit func(CommitEvent)
}

// CommitEvent is the outcome of one Commit: the transaction's kind, how long it took, how
// many races for the next log entry it lost to other writers, and its error (ErrConflict
// after too many).
type CommitEvent struct {
	Table     TableID
	Kind      string
	Duration  time.Duration
	LostRaces int
	Err       error
}

// Store keeps the transaction logs of tables in an object store and a cached State per
// table that follows its log. Several Stores, in one process or many, may share an object
// store: they coordinate only through put-if-absent of log entries. A Store is safe for
// concurrent use; the calls of one Store on one table take turns, so a reader may wait for
// the IO of a commit in flight.
type Store struct {
	os   objstore.Store
	opts Options

	mu     sync.Mutex
	tables map[TableID]*table
}

// table is the cached state of one table.
type table struct {
	id        TableID
	log, snap *Log
	// sem is held (a token in the channel) while reading the log or committing; state is
	// guarded by it. Waiting on a channel, unlike a mutex, honours ctx.
	sem   chan struct{}
	state *State // nil until loaded
	// resolve decides the outcome of a PartOf entry (Store.resolve).
	resolve func(context.Context, *PartOf, time.Time) (bool, error)
	// mine is the PartOf entry this Store committed last and state stops before, until
	// its commit is decided (Store.settle); nil when none.
	mine *pendingPart

	// Snapshot calls share a refresh that began after they were called (it read every entry
	// committed before they were): one is in flight at a time, and the calls that arrive
	// meanwhile wait for it to end and share the next, without taking sem in turn. Guarded
	// by mu.
	mu      sync.Mutex
	started uint64  // refreshes by Snapshot begun
	fresh   uint64  // the number (by started) of the last such refresh that succeeded
	freshSt *State  // its state
	flight  *flight // the refresh by Snapshot in flight, or nil

	// stamper is the object store's Stamper, or nil. A refresh that took a settled stamp of
	// the log before reading it and found the state complete (every entry decided) keeps
	// both: while the log's stamp stays the same, no entry was written or deleted since, so
	// Snapshot returns stampSt without reading the log. Guarded by mu; stampSt is nil when
	// there is none.
	stamper objstore.Stamper
	stamp   objstore.Stamp
	stampSt *State
}

// flight is a refresh by Snapshot; done is closed when it ends (its outcome is then in
// table.fresh and freshSt, when it succeeded).
type flight struct {
	n    uint64
	done chan struct{}
}

// New returns a Store over os. It panics if os is nil.
func New(os objstore.Store, opts Options) *Store {
	if os == nil {
		panic("statestore: nil object store")
	}
	if opts.SnapshotEvery == 0 {
		opts.SnapshotEvery = 100
	}
	opts.Backoff = opts.Backoff.withDefaults()
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.KeepBehindSnapshot == 0 {
		opts.KeepBehindSnapshot = 1000
	}
	if opts.ReloadBehind == 0 {
		opts.ReloadBehind = 200
	}
	return &Store{os: os, opts: opts, tables: map[TableID]*table{}}
}

// TablePrefix returns the object-name prefix of everything a table keeps: its log, its
// snapshots and, by convention, its data files.
func TablePrefix(id TableID) string { return "tables/" + string(id) + "/" }

// LogPrefix returns the object-name prefix of a table's transaction log.
func LogPrefix(id TableID) string { return "tables/" + string(id) + "/log/" }

// SnapshotPrefix returns the object-name prefix of a table's snapshots.
func SnapshotPrefix(id TableID) string { return "tables/" + string(id) + "/snapshots/" }

func (s *Store) table(id TableID) (*table, error) {
	if err := id.check(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tables[id]
	if !ok {
		log, err := NewLog(s.os, LogPrefix(id))
		if err != nil {
			return nil, err
		}
		snap, err := NewLog(s.os, SnapshotPrefix(id))
		if err != nil {
			return nil, err
		}
		t = &table{id: id, log: log, snap: snap, sem: make(chan struct{}, 1), resolve: s.resolve}
		t.stamper, _ = s.os.(objstore.Stamper)
		s.tables[id] = t
	}
	return t, nil
}

func (t *table) lock(ctx context.Context) error {
	select {
	case t.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (t *table) unlock() { <-t.sem }

// refresh brings t.state up to date with the log: on first use (and while the table has
// no log) from the newest readable snapshot, then entry by entry until the next one does
// not exist. t is locked. The state returned has TxnNumber 0 when the table has no log.
//
// Entries older than the newest snapshot may have been trimmed (deleted oldest first), so
// a missing next entry means either that the state is current or that the log was trimmed
// past it. Unless refresh read the state's own entry in this call (and strict is false),
// it tells them apart by checking that the state's own entry still exists: if entry n+1 was
// trimmed before we looked, entry n was deleted before it. A state found trimmed past
// reloads from the newest snapshot. A state more than reloadBehind entries behind the log
// also reloads from the newest snapshot, when that is newer.
func (t *table) refresh(ctx context.Context, reloadBehind int, strict bool) (*State, error) {
	// The stamp is taken before anything is read: a change after it changes the stamp.
	var stamp objstore.Stamp
	settled := false
	if t.stamper != nil {
		var err error
		if stamp, settled, err = t.stamper.Stamp(ctx, t.log.prefix); err != nil {
			settled = false
		}
	}
	undecided := false
	loaded := false
	if t.state == nil || t.state.txn == 0 {
		st, err := t.loadSnapshot(ctx)
		if err != nil {
			return nil, err
		}
		t.state = st
		loaded = true
	}
	// Apply the new entries to one private copy rather than copying the state per entry.
	var m *mutableState
	cur := func() uint64 {
		if m != nil {
			return m.txn
		}
		return t.state.txn
	}
	// reload replaces the state with the newest snapshot when that is newer than the
	// current one, and reports whether it did; it returns the snapshot's state either way.
	reload := func() (*State, bool, error) {
		st, err := t.loadSnapshot(ctx)
		if err != nil || st.txn <= cur() {
			return st, false, err
		}
		m, t.state = nil, st
		return st, true, nil
	}
	read := false    // whether this call read entry cur()
	looked := loaded // whether this call looked for a snapshot to jump to
	var err error
	for {
		n := cur() + 1
		var data []byte
		data, err = t.log.Read(ctx, n)
		if errors.Is(err, objstore.ErrNotExist) {
			err = nil
			if n == 1 || (read && !strict) {
				break
			}
			var trimmed bool
			trimmed, err = t.log.missing(ctx, n-1)
			if err != nil || !trimmed {
				break
			}
			st, ok, rerr := reload()
			switch {
			case ok:
				read = false
				continue
			case rerr != nil:
				err = rerr
			case st.txn == 0 && len(st.parts) == 0:
				// Snapshots and log are gone: the table was deleted.
				m, t.state = nil, st
			default:
				err = fmt.Errorf("%w: log entry %d of table %s is gone and no newer snapshot is readable", ErrCorrupt, n-1, t.id)
			}
			break
		}
		if err == nil && !looked && reloadBehind > 0 {
			looked = true
			var behind bool
			if behind, err = t.log.exists(ctx, n-1+uint64(reloadBehind)); err == nil && behind {
				var ok bool
				if _, ok, err = reload(); ok {
					read = false
					continue
				}
			}
		}
		var txn Transaction
		var at time.Time
		if err == nil {
			txn, at, err = UnmarshalTransaction(data)
		}
		if err != nil {
			err = fmt.Errorf("reading entry %d of table %s: %w", n, t.id, err)
			break
		}
		if p, ok := txn.(*PartOf); ok {
			var decided bool
			if decided, err = t.resolve(ctx, p, at); err != nil || !decided {
				// Not decided yet: the state ends before the entry, as if it were not
				// written yet.
				undecided = true
				break
			}
		}
		if m == nil {
			m = t.state.mutate()
		}
		m.begin(n, at)
		txn.Apply(m)
		read = true
	}
	if m != nil {
		t.state = m.freeze()
	}
	if t.stamper != nil {
		var st *State
		if err == nil && settled && !undecided && t.mine == nil && t.state.txn != 0 {
			st = t.state
		}
		t.mu.Lock()
		t.stamp, t.stampSt = stamp, st
		t.mu.Unlock()
	}
	if err != nil {
		return nil, err
	}
	return t.state, nil
}

// loadSnapshot returns the state of the newest readable snapshot, or an empty state.
func (t *table) loadSnapshot(ctx context.Context) (*State, error) {
	// Trimming by another writer may delete every snapshot listed before they are read,
	// once a newer one exists: then list again, a few times, before settling for none.
	for attempt := 0; ; attempt++ {
		ns, err := t.snap.Entries(ctx)
		if err != nil {
			return nil, fmt.Errorf("listing snapshots of table %s: %w", t.id, err)
		}
		missing := false
		for _, n := range slices.Backward(ns) {
			data, err := t.snap.Read(ctx, n)
			if err != nil {
				if ctx.Err() != nil {
					return nil, ctx.Err()
				}
				missing = true
				continue // deleted meanwhile, or unreadable: try an older one
			}
			if st, err := unmarshalSnapshot(t.id, data); err == nil && st.txn == n {
				return st, nil
			}
		}
		if !missing || attempt == 3 {
			return emptyState(t.id), nil
		}
	}
}

// Snapshot returns the table's state after the last committed transaction: every
// transaction committed (by any process) before the call is in it.
func (s *Store) Snapshot(ctx context.Context, id TableID) (*State, error) {
	t, err := s.table(id)
	if err != nil {
		return nil, err
	}
	found := func(st *State) (*State, error) {
		if st.txn == 0 {
			return nil, fmt.Errorf("%w: %s", ErrTableNotFound, id)
		}
		return st, nil
	}
	// Unchanged since a refresh that found the state complete: that state is current.
	if t.stamper != nil {
		t.mu.Lock()
		st, stamp := t.stampSt, t.stamp
		t.mu.Unlock()
		if st != nil {
			if now, _, err := t.stamper.Stamp(ctx, t.log.prefix); err == nil && now == stamp {
				return found(st)
			}
		}
	}
	t.mu.Lock()
	called := t.started
	for {
		// A refresh that began after this call saw every entry committed before the call:
		// its state will do.
		if t.fresh > called && t.freshSt != nil {
			st := t.freshSt
			t.mu.Unlock()
			return found(st)
		}
		f := t.flight
		if f == nil {
			break
		}
		// A refresh is in flight; it may have begun before this call. Wait for it to end,
		// then share it or the next.
		t.mu.Unlock()
		select {
		case <-f.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		t.mu.Lock()
	}
	t.started++
	f := &flight{n: t.started, done: make(chan struct{})}
	t.flight = f
	t.mu.Unlock()
	st, err := t.refreshLocking(ctx, s.opts.ReloadBehind)
	t.mu.Lock()
	t.flight = nil
	if err == nil {
		t.fresh, t.freshSt = f.n, st
	}
	close(f.done)
	t.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return found(st)
}

// refreshLocking is refresh (not strict) with t locked for it.
func (t *table) refreshLocking(ctx context.Context, reloadBehind int) (*State, error) {
	if err := t.lock(ctx); err != nil {
		return nil, err
	}
	defer t.unlock()
	return t.refresh(ctx, reloadBehind, false)
}

// Create creates a table by committing init as its first transaction. It fails with an
// error wrapping ErrTableExists when the table has a log already.
func (s *Store) Create(ctx context.Context, id TableID, init InitialisePartitions) (*State, error) {
	t, err := s.table(id)
	if err != nil {
		return nil, err
	}
	st, err := s.attempt(ctx, t, init, true, nil)
	if errors.Is(err, errLostRace) {
		return nil, fmt.Errorf("%w: %s", ErrTableExists, id)
	}
	return st, err
}

// Commit validates txn against the table's latest state and appends it to the log, and
// returns the state after it. On losing the race for the next entry to another writer it
// re-reads the log, validates again and retries after a jittered backoff: a transaction
// that no longer applies fails with its validation error (wrapping ErrInvalidTransaction),
// and after Options.Backoff.Attempts lost races Commit fails with ErrConflict.
func (s *Store) Commit(ctx context.Context, id TableID, txn Transaction) (*State, error) {
	return s.CommitIf(ctx, id, txn, nil)
}

// CommitIf is Commit with a condition: check (when not nil) runs with the latest state
// before txn is validated against it, at every attempt, and its error fails the commit
// as it is. No other committer of this Store commits between the check and the entry, and
// an entry another Store wrote meanwhile makes the attempt lose the race, so the entry is
// written only right after a state the check accepted. A check may read the log (the
// entries after an older state, say) to decide.
func (s *Store) CommitIf(ctx context.Context, id TableID, txn Transaction, check func(*State) error) (_ *State, err error) {
	if txn == nil {
		return nil, errors.New("statestore: nil transaction")
	}
	t, err := s.table(id)
	if err != nil {
		return nil, err
	}
	if s.opts.OnCommit != nil {
		start, lost := time.Now(), 0
		defer func() {
			s.opts.OnCommit(CommitEvent{Table: id, Kind: txn.Kind(), Duration: time.Since(start), LostRaces: lost, Err: err})
		}()
		return s.commitRetrying(ctx, t, id, txn, check, &lost)
	}
	return s.commitRetrying(ctx, t, id, txn, check, new(int))
}

// commitRetrying makes attempts at committing txn until one does not lose the race, counting
// the races lost in lost.
func (s *Store) commitRetrying(ctx context.Context, t *table, id TableID, txn Transaction, check func(*State) error, lost *int) (*State, error) {
	b := s.opts.Backoff
	for retry := 0; ; retry++ {
		st, err := s.attempt(ctx, t, txn, false, check)
		if !errors.Is(err, errLostRace) {
			return st, err
		}
		*lost++
		if retry+1 >= b.Attempts {
			return nil, fmt.Errorf("committing %s to table %s: %d attempts: %w", txn.Kind(), id, b.Attempts, ErrConflict)
		}
		if err := b.Wait(ctx, retry); err != nil {
			return nil, err
		}
	}
}

// errLostRace: another writer took the log entry an attempt wanted.
var errLostRace = errors.New("lost the race for the next log entry")

// attempt makes one try at committing txn: refresh, validate, put-if-absent the next entry.
// Committers of one Store take turns, so they lose races only to other Stores.
func (s *Store) attempt(ctx context.Context, t *table, txn Transaction, create bool, check func(*State) error) (*State, error) {
	if err := t.lock(ctx); err != nil {
		return nil, err
	}
	st, err := s.commitLocked(ctx, t, txn, create, check)
	t.unlock()
	if err != nil {
		return nil, err
	}
	if every := s.opts.SnapshotEvery; every > 0 && st.txn%uint64(every) == 0 {
		// Best effort: a missing snapshot costs readers a longer replay, nothing more.
		if data, err := marshalSnapshot(st); err == nil {
			if err := t.snap.Append(ctx, st.txn, data); err == nil && s.opts.KeepBehindSnapshot >= 0 {
				t.trim(ctx, st.txn, uint64(s.opts.KeepBehindSnapshot))
			}
		}
	}
	return st, nil
}

func (s *Store) commitLocked(ctx context.Context, t *table, txn Transaction, create bool, check func(*State) error) (*State, error) {
	st, err := t.refresh(ctx, s.opts.ReloadBehind, true)
	if err != nil {
		return nil, err
	}
	switch {
	case create && st.txn > 0:
		return nil, fmt.Errorf("%w: %s", ErrTableExists, t.id)
	case !create && st.txn == 0:
		return nil, fmt.Errorf("%w: %s", ErrTableNotFound, t.id)
	}
	if check != nil {
		if err := check(st); err != nil {
			return nil, err
		}
	}
	if err := txn.Validate(st); err != nil {
		return nil, fmt.Errorf("committing %s to table %s: %w", txn.Kind(), t.id, err)
	}
	// Round(0) drops the monotonic reading so that this state equals a replay's.
	now := s.opts.Now().UTC().Round(0)
	data, err := MarshalTransaction(txn, now)
	if err != nil {
		return nil, err
	}
	n := st.txn + 1
	if err := t.log.Append(ctx, n, data); err != nil {
		if errors.Is(err, objstore.ErrExists) {
			return nil, errLostRace
		}
		return nil, fmt.Errorf("committing %s to table %s: %w", txn.Kind(), t.id, err)
	}
	// Entries are trimmed oldest first: if entry n-1 still exists, entry n had not been
	// trimmed when we wrote it, so it is the first entry n. Otherwise we may have re-created
	// a trimmed entry that readers have passed: delete it again (harmless if it was ours
	// all along, since the log is trimmed past it anyway) and report that we cannot tell.
	if n > 1 {
		if gone, err := t.log.missing(ctx, n-1); err != nil || gone {
			if gone {
				_ = t.log.Delete(ctx, n)
			}
			t.state = nil
			return nil, fmt.Errorf("committing %s to table %s: entry %d: %w", txn.Kind(), t.id, n, cmp.Or(err, ErrUnknownOutcome))
		}
	}
	if p, ok := txn.(*PartOf); ok {
		// Its outcome is the commit record's, not written yet: the state follows the entry
		// once the committer decides it (settle) or a refresh reads the record.
		t.mine = &pendingPart{n: n, at: now, txn: p}
		return st, nil
	}
	st = apply(st, txn, n, now)
	t.state = st
	return st, nil
}

// trim deletes, best effort, the log entries numbered below snap-keep and the snapshots
// older than the entry before them, all oldest first, stopping at the first failure: the
// entries left are always the newest ones, which refresh relies on.
func (t *table) trim(ctx context.Context, snap, keep uint64) {
	if snap <= keep {
		return
	}
	cutoff := snap - keep
	entries, err := t.log.Entries(ctx)
	if err != nil {
		return
	}
	for _, n := range entries {
		if n >= cutoff {
			break
		}
		if t.log.Delete(ctx, n) != nil {
			return
		}
	}
	snaps, err := t.snap.Entries(ctx)
	if err != nil {
		return
	}
	for _, n := range snaps {
		if n+1 >= cutoff || n >= snap {
			break
		}
		if t.snap.Delete(ctx, n) != nil {
			return
		}
	}
}

// TxnInfo describes one entry of a table's transaction log.
type TxnInfo struct {
	Number  uint64
	Kind    string
	Time    time.Time
	Summary string // Transaction.Summary
}

// Transactions describes the entries of a table's log numbered from on, oldest first.
// Entries trimmed from the log are absent. It fails with ErrTableNotFound when the table
// has no log, and with an error wrapping ErrCorrupt or ErrUnknownKind for an entry it
// cannot decode.
func (s *Store) Transactions(ctx context.Context, id TableID, from uint64) ([]TxnInfo, error) {
	t, err := s.table(id)
	if err != nil {
		return nil, err
	}
	entries, err := t.log.Entries(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing the log of table %s: %w", id, err)
	}
	if len(entries) == 0 {
		return nil, fmt.Errorf("%w: %s", ErrTableNotFound, id)
	}
	var out []TxnInfo
	for _, n := range entries {
		if n < from {
			continue
		}
		data, err := t.log.Read(ctx, n)
		if errors.Is(err, objstore.ErrNotExist) {
			continue // trimmed meanwhile
		}
		if err != nil {
			return nil, fmt.Errorf("reading entry %d of table %s: %w", n, id, err)
		}
		txn, at, err := UnmarshalTransaction(data)
		if err != nil {
			return nil, fmt.Errorf("reading entry %d of table %s: %w", n, id, err)
		}
		out = append(out, TxnInfo{Number: n, Kind: txn.Kind(), Time: at, Summary: txn.Summary()})
	}
	return out, nil
}

// Delete removes a table's snapshots and log, newest entry first so that a concurrent
// Create cannot start a log among the remains of this one. It fails with ErrTableNotFound
// when the table has no log. Other Stores that cached the table's state keep it until they
// are replaced: delete a table only once nothing else uses it.
func (s *Store) Delete(ctx context.Context, id TableID) error {
	t, err := s.table(id)
	if err != nil {
		return err
	}
	if err := t.lock(ctx); err != nil {
		return err
	}
	defer t.unlock()
	t.state = nil
	entries, err := t.log.Entries(ctx)
	if err != nil {
		return fmt.Errorf("deleting table %s: %w", id, err)
	}
	if len(entries) == 0 {
		return fmt.Errorf("%w: %s", ErrTableNotFound, id)
	}
	snaps, err := t.snap.Entries(ctx)
	if err != nil {
		return fmt.Errorf("deleting table %s: %w", id, err)
	}
	for _, n := range slices.Backward(snaps) {
		if err := t.snap.Delete(ctx, n); err != nil {
			return fmt.Errorf("deleting table %s: %w", id, err)
		}
	}
	for _, n := range slices.Backward(entries) {
		if err := t.log.Delete(ctx, n); err != nil {
			return fmt.Errorf("deleting table %s: %w", id, err)
		}
	}
	return nil
}
