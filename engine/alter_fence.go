package engine

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/sleeperd/sleeperd/catalog"
	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/storage/statestore"
)

// The fence of an ALTER COLUMN ... TYPE (see alter_type.go) is a statestore.Fence: the
// column's stored name (for a column that keeps it, a key or indexed column given a shorter
// length, the name of the table's definition, catalog.Table.FenceName) is retired under a
// token of the statement, with its host and process as owner and a lease the statement
// renews while it runs (every third of Options.FenceLease). Once the catalog change
// committed the ALTER keeps the retirement for good; if it fails it lifts its own fence, and
// only its own: a concurrent ALTER of the same column that fails leaves this one's fence
// standing.
//
// A process that dies while it holds a fence leaves it behind, and writes to the table fail
// with 40001. Once every fence on a stored name has outlived its lease (whichever clock
// reads it), the next ALTER COLUMN ... TYPE of the table, the table's maintenance (VACUUM,
// or the background pass of any process on the store), or a write refused for the name,
// lifts it. Reviving the name from another process could not be made atomic with the dead
// owner's catalog change (a stalled owner might still commit it), so the name is not
// revived: if a column still has it as its current stored name, that column moves to a new
// stored name of the same type (the old name becomes a former name whose files read as they
// are), through the catalog, whose commit the owner's own change is checked against; then
// the name is retired for good. An owner that was only slow finds its column moved and
// fails with 40001, and no value it did not check is ever committed. Writes made under the
// old schema are refused once more, and their retry goes through the new stored name. A
// fence on the table's definition is lifted alike by moving the table to its next one.
//
// Older builds fenced with no token: they retired the stored name for good while they
// checked, and took it back if the ALTER failed. Such a name that is still a column's stored
// name is lifted as an expired fence once it is older than the lease by the commit time of
// its retirement (staleRetirements).

// DefaultFenceLease is how long a fence stands unless its owner renews it, when
// Options.FenceLease does not say.
const DefaultFenceLease = time.Minute

// fenceLease is how long the fences of this engine stand unless it renews them, and how long
// after it was committed a fence of an older build (a name retired for good that is still a
// column's stored name) is taken as that of a process that died.
func (e *Engine) fenceLease() time.Duration {
	if e.opts.FenceLease > 0 {
		return e.opts.FenceLease
	}
	return DefaultFenceLease
}

// fenceOwner names this process as the owner of its fences.
var fenceOwner = sync.OnceValue(func() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "unknown"
	}
	return fmt.Sprintf("%s:%d", host, os.Getpid())
})

// tableFence stands in alterFence.names for the name of the table's definition
// (catalog.Table.FenceName), which a change fences rather than a column's stored name when
// the column keeps it: no column is named "".
const tableFence = ""

// alterFence is the fence one ALTER statement holds on the stored names of table t.
type alterFence struct {
	e     *Engine
	t     *catalog.Table
	token string

	mu sync.Mutex
	// names maps each column whose stored name is fenced to that name, and tableFence to the
	// name of the table's definition when it is fenced.
	names map[string]string
	// stop ends the renewals; done is closed when they ended.
	stop context.CancelFunc
	done chan struct{}
}

func newAlterFence(e *Engine, t *catalog.Table) *alterFence {
	return &alterFence{e: e, t: t, token: uuid.NewString(), names: map[string]string{}}
}

// stored returns the stored names fenced, sorted.
func (f *alterFence) stored() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Sorted(maps.Values(f.names))
}

// has reports whether the column name is fenced.
func (f *alterFence) has(name string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, ok := f.names[name]
	return ok
}

// add fences the stored name of column name, and starts the renewals with the first.
func (f *alterFence) add(ctx context.Context, name, stored string) error {
	e := f.e
	txn := statestore.RetireColumns{Names: []string{stored}, Token: f.token, Owner: fenceOwner(), Until: e.now().Add(e.fenceLease())}
	if _, err := e.ss.Commit(ctx, f.t.StateID(), txn); err != nil {
		return err
	}
	f.mu.Lock()
	f.names[name] = stored
	start := f.stop == nil
	if start {
		var rctx context.Context
		rctx, f.stop = context.WithCancel(context.WithoutCancel(ctx))
		f.done = make(chan struct{})
		go f.renew(rctx)
	}
	f.mu.Unlock()
	return nil
}

// renew moves the lease of the fence on until ctx is done.
func (f *alterFence) renew(ctx context.Context) {
	defer close(f.done)
	tick := time.NewTicker(f.e.fenceLease() / 3)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		txn := statestore.RetireColumns{Names: f.stored(), Token: f.token, Until: f.e.now().Add(f.e.fenceLease()), Renew: true}
		if _, err := f.e.ss.Commit(ctx, f.t.StateID(), txn); err != nil && ctx.Err() == nil {
			f.e.log.Warn("renewing the write fence of ALTER COLUMN ... TYPE", "table", f.t.Name, "columns", txn.Names, "error", err)
		}
	}
}

// standing checks that the fences of f still stand: someone who found them expired moves
// the columns to new stored names (liftExpiredFences), and writes under the names fenced may
// have committed since.
func (f *alterFence) standing(ctx context.Context) error {
	f.mu.Lock()
	names := maps.Clone(f.names)
	f.mu.Unlock()
	if len(names) == 0 {
		return nil
	}
	st, err := f.e.ss.Snapshot(ctx, f.t.StateID())
	if err != nil {
		return err
	}
	fences := st.Fences()
	for name, stored := range names {
		if !slices.ContainsFunc(fences, func(x statestore.Fence) bool { return x.Name == stored && x.Token == f.token }) {
			return errs.New(errs.Conflict, "could not change the type of column %q of table %q: it was altered concurrently; try again", name, f.t.Name)
		}
	}
	return nil
}

// end stops the renewals and keeps the retirements for good of the names no column of the
// table has as its stored name (the catalog change committed), and lifts the other fences.
// The table is read afresh from the catalog (a commit that reported an error may have
// landed); changed, the table the change committed (nil if it did not), stands in if that
// read fails. It runs however the statement ended; a failure is logged: the fence then
// stands until its lease ends and someone lifts it.
func (f *alterFence) end(ctx context.Context, changed *catalog.Table) {
	f.mu.Lock()
	stop, done := f.stop, f.done
	f.mu.Unlock()
	if stop == nil {
		return
	}
	stop()
	<-done
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	dropped := false
	if tables, err := f.e.cat.Tables(ctx); err == nil {
		i := slices.IndexFunc(tables, func(t *catalog.Table) bool { return t.ID == f.t.ID })
		if dropped = i < 0; !dropped {
			changed = tables[i]
		}
	}
	var keep, lift []string
	for _, n := range f.stored() {
		if dropped || changed != nil && !inUse(changed, n) {
			keep = append(keep, n)
		} else {
			lift = append(lift, n)
		}
	}
	for _, txn := range []statestore.RetireColumns{{Names: keep, Token: f.token, Keep: true}, {Names: lift, Token: f.token, Revive: true}} {
		if len(txn.Names) == 0 {
			continue
		}
		if _, err := f.e.ss.Commit(ctx, f.t.StateID(), txn); err != nil {
			f.e.log.Error("ending the write fence of ALTER COLUMN ... TYPE", "table", f.t.Name, "columns", txn.Names, "kept", txn.Keep, "error", err)
		}
	}
}

// inUse reports whether name is the stored name of a column of t or the name of its
// definition (catalog.Table.FenceName): writes under t name it.
func inUse(t *catalog.Table, name string) bool {
	return t.FenceName() == name || slices.ContainsFunc(t.Columns, func(c catalog.Column) bool { return c.StoredName() == name })
}

// errNoChange: a catalog change found nothing to do.
var errNoChange = errors.New("no change")

// liftExpiredFences lifts the fences on the stored names of t whose leases all ended, and
// those an older build left (see above and staleRetirements).
func (e *Engine) liftExpiredFences(ctx context.Context, t *catalog.Table) error {
	st, err := e.ss.Snapshot(ctx, t.StateID())
	if err != nil {
		return err
	}
	fences := st.Fences()
	if len(fences) == 0 && len(staleRetirements(t, st, e.now(), e.fenceLease())) == 0 {
		return nil
	}
	e.fenceMu.Lock()
	defer e.fenceMu.Unlock()
	now := e.now()
	for _, name := range expiredFenceNames(fences, now) {
		if err := e.liftFence(ctx, t, name, fences); err != nil {
			return err
		}
	}
	for _, name := range staleRetirements(t, st, now, e.fenceLease()) {
		if err := e.liftRetirement(ctx, t, st, name); err != nil {
			return err
		}
	}
	return nil
}

// expiredFenceNames returns the stored names whose fences all ended before now.
func expiredFenceNames(fences []statestore.Fence, now time.Time) []string {
	live := map[string]bool{}
	for _, f := range fences {
		live[f.Name] = live[f.Name] || !f.Until.Before(now)
	}
	var out []string
	for n, l := range live {
		if !l {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out
}

// staleRetirements returns the stored names of columns of t that state st has retired for
// good (without a token) since before now minus lease, and that no fence holds: the fences
// of an older build, which retired a column's stored name with no token, no owner and no
// lease while it checked the column's values, and took it back if its ALTER failed. This
// build never retires a name for good while a column has it as its stored name, so such a
// name is the fence of an ALTER of an older build that has not finished: one older than the
// lease by its commit time is taken as that of a process that died, as an expired fence is
// (an older build did not renew its fence, so one of its ALTERs still checking values after
// the lease fails with 40001 once its column moved: its catalog change checks that the
// column's stored name is the one it fenced).
func staleRetirements(t *catalog.Table, st *statestore.State, now time.Time, lease time.Duration) []string {
	var out []string
	for _, c := range t.Columns {
		n := c.StoredName()
		if at, ok := st.RetiredAt(n); ok && at.Add(lease).Before(now) && !slices.ContainsFunc(st.Fences(), func(f statestore.Fence) bool { return f.Name == n }) {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out
}

// moveStored moves the column of t that has stored as its stored name to a new stored name
// of the same type, and returns its name ("" if no column has it any more). A column in a
// key keeps its name: keyed reports it.
func (e *Engine) moveStored(ctx context.Context, t *catalog.Table, stored string) (moved string, keyed bool, err error) {
	_, err = e.cat.Redefine(ctx, t.Name, func(old *catalog.Table) (*catalog.Table, error) {
		moved, keyed = "", false
		if old.ID != t.ID {
			return nil, errNoChange
		}
		if catalog.IsFenceName(stored) {
			if old.FenceName() != stored {
				return nil, errNoChange // the owner's change committed, or another lifted it
			}
			// The table moves to its next definition: the owner's change, checked against
			// the definition it fenced, cannot commit.
			nt := old.Clone()
			nt.Version++
			nt.Rebuild()
			moved = "(the table's definition)"
			return nt, nil
		}
		i := slices.IndexFunc(old.Columns, func(c catalog.Column) bool { return c.StoredName() == stored })
		if i < 0 {
			return nil, errNoChange // the owner's change committed, or another lifted it
		}
		if keyRole(old, i) != "" {
			// Not fenced by this engine (checkSetType refuses to convert the values of a
			// key column, and fences the table's definition for a shorter length): the
			// owner's change cannot commit, and the fence is lifted as it stands.
			keyed = true
			return nil, errNoChange
		}
		nt := old.Clone()
		col := &nt.Columns[i]
		col.Former = append([]catalog.Former{{Stored: stored, Type: col.SQL()}}, col.Former...)
		col.Stored = "\x00" // the name in use stays taken, as a former name
		col.Stored = freeStoredName(nt, col.Name)
		nt.Rebuild()
		moved = col.Name
		return nt, nil
	})
	if errors.Is(err, errNoChange) {
		err = nil
	}
	return moved, keyed, err
}

// liftFence lifts the expired fences on stored name of table t: the column that still has it
// as its stored name moves to a new one, and the name is retired for good.
func (e *Engine) liftFence(ctx context.Context, t *catalog.Table, stored string, fences []statestore.Fence) error {
	moved, keyed, err := e.moveStored(ctx, t, stored)
	if err != nil {
		return err
	}
	for _, f := range fences {
		if f.Name != stored {
			continue
		}
		e.log.Warn("lifting the write fence of an ALTER COLUMN ... TYPE that did not finish: its lease ended",
			"table", t.Name, "stored column", stored, "column moved to a new stored name", moved, "owner", f.Owner, "lease ended", f.Until)
		if _, err := e.ss.Commit(ctx, t.StateID(), statestore.RetireColumns{Names: []string{stored}, Token: f.Token, Keep: !keyed, Revive: keyed}); err != nil {
			return err
		}
	}
	return nil
}

// liftRetirement lifts the fence an older build left on stored name of table t (see
// staleRetirements), read in state st: the column that has it as its stored name moves to a
// new one, and the name stays retired for good; one in a key keeps it, and the name is
// taken back.
func (e *Engine) liftRetirement(ctx context.Context, t *catalog.Table, st *statestore.State, stored string) error {
	moved, keyed, err := e.moveStored(ctx, t, stored)
	if err != nil {
		return err
	}
	if moved == "" && !keyed {
		return nil // the owner's change committed, or another lifted the fence
	}
	at, _ := st.RetiredAt(stored)
	e.log.Warn("lifting the write fence of an ALTER COLUMN ... TYPE of an older build that did not finish: it is older than the lease",
		"table", t.Name, "stored column", stored, "column moved to a new stored name", moved, "fenced at", at, "lease", e.fenceLease())
	if keyed {
		_, err = e.ss.Commit(ctx, t.StateID(), statestore.RetireColumns{Names: []string{stored}, Revive: true})
	}
	return err
}

// liftAfterRefusal lifts the expired fences of the table with state id, after a write to it
// was refused for a retired column: the write's retry then goes through. It waits for the
// lifting a while, not for ever: the refused writer may hold what the lifting needs.
func (e *Engine) liftAfterRefusal(id statestore.TableID) {
	if e.cat == nil {
		return
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		tables, err := e.cat.Tables(ctx)
		if err != nil {
			return
		}
		for _, t := range tables {
			if t.StateID() != id {
				continue
			}
			if err := e.liftExpiredFences(ctx, t); err != nil {
				e.log.Warn("lifting expired write fences", "table", t.Name, "error", err)
			}
		}
	}()
	wait := time.NewTimer(10 * time.Second)
	defer wait.Stop()
	select {
	case <-done:
	case <-wait.C:
	}
}
