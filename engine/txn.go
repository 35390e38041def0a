package engine

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/sleeperd/sleeperd/catalog"
	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/planner"
	"github.com/sleeperd/sleeperd/storage/ingest"
	"github.com/sleeperd/sleeperd/storage/statestore"
)

// A transaction block (BEGIN ... COMMIT) defers its writes: each statement writes its files
// as usual but, instead of committing, adds the statestore transactions it would commit to
// the block's work, by table. The block's reads see the committed state with that work
// applied on top (statestore.Overlay); nobody else sees it. COMMIT commits each table's
// work as one log entry (a statestore.Batch), after checking that no transaction committed
// since the block's snapshot of the table wrote the same keys (first committer wins).
// ROLLBACK, and a connection that ends inside a block, drop the work and delete its files.

// txnBlock is the state of a connection's transaction block.
type txnBlock struct {
	e *Engine
	// level returns the block's transaction_isolation.
	level func() string
	// repeatable is set for REPEATABLE READ and SERIALIZABLE: each table's state is pinned at
	// the block's first read of it. Under READ COMMITTED every statement reads the latest.
	repeatable bool
	// started is set once the block has read or written anything: the isolation level
	// can no longer change.
	started bool
	// failed is set by an error in the block: statements fail with 25P02 until ROLLBACK.
	failed bool
	tables map[statestore.TableID]*txnTable
	// order is the tables the block wrote, in the order of their first write.
	order []statestore.TableID
	saves []savepoint
	// holds keep the pinned states' files from garbage collection until the block ends.
	holds []readHold
	// reads are the states the running statement read, by table: a write's snapshot.
	reads map[statestore.TableID]uint64
	// settings are the session's parameters at BEGIN, which ROLLBACK restores.
	settings map[string]string
	// undo drops the objects the block created, in creation order (txn_ddl.go).
	undo []ddlUndo
}

// txnTable is a block's view of one table.
type txnTable struct {
	t *catalog.Table
	// pinned is the state REPEATABLE READ reads.
	pinned *statestore.State
	// base is the number of the state the block's first write of the table followed: a
	// transaction committed after it conflicts with the block's writes.
	base  uint64
	parts []txnPart
	// since is when the first part was written: its files become orphans to garbage
	// collection after the table's orphan_age, so COMMIT refuses a block older than half.
	since time.Time
}

// txnPart is one piece of a table's pending work: a prepared write (its AddFiles is built at
// commit, against the state committed to) or a transaction kept as it is.
type txnPart struct {
	prep *ingest.Prepared
	txn  statestore.Transaction
}

type savepoint struct {
	name     string
	parts    map[statestore.TableID]int
	order    int
	settings map[string]string // the session's parameters, which ROLLBACK TO restores
	undo     int               // len(txnBlock.undo) at the savepoint
}

type blockKey struct{}

// withBlock returns ctx carrying the connection's transaction block, if any.
func withBlock(ctx context.Context, b *txnBlock) context.Context {
	if b == nil {
		return ctx
	}
	return context.WithValue(ctx, blockKey{}, b)
}

// blockOf returns the transaction block the statement of ctx runs in, or nil.
func blockOf(ctx context.Context) *txnBlock {
	b, _ := ctx.Value(blockKey{}).(*txnBlock)
	return b
}

// start fixes the block's isolation level at its first read or write.
func (b *txnBlock) start() {
	if b.started {
		return
	}
	b.started = true
	switch b.level() {
	case "repeatable read", "serializable":
		b.repeatable = true
	}
}

func (b *txnBlock) table(t *catalog.Table) *txnTable {
	tt := b.tables[t.StateID()]
	if tt == nil {
		tt = &txnTable{t: t}
		b.tables[t.StateID()] = tt
	}
	return tt
}

// snapshot returns the state a statement of the block reads table t in, and the number of
// the committed state under it (to hold against garbage collection): the latest (or, under
// REPEATABLE READ, the pinned) state with the block's pending work on t applied.
func (b *txnBlock) snapshot(ctx context.Context, t *catalog.Table) (*statestore.State, uint64, error) {
	b.start()
	tt := b.table(t)
	base := tt.pinned
	if base == nil {
		st, err := b.e.ss.Snapshot(ctx, t.StateID())
		if err != nil {
			return nil, 0, err
		}
		base = st
		if b.repeatable {
			tt.pinned = st
			b.holds = append(b.holds, b.e.readers.hold(t.StateID(), st.TxnNumber()))
		}
	}
	if b.reads != nil {
		if _, ok := b.reads[t.StateID()]; !ok {
			b.reads[t.StateID()] = base.TxnNumber()
		}
	}
	if len(tt.parts) == 0 {
		return base, base.TxnNumber(), nil
	}
	txns, err := tt.txns(ctx, base)
	if err != nil {
		return nil, 0, err
	}
	over, err := statestore.Overlay(base, txns...)
	if err != nil {
		return nil, 0, errs.Wrap(errs.Internal, err, "table %s: applying the transaction's own writes: %v", t.Name, err)
	}
	return over, base.TxnNumber(), nil
}

// txns returns the table's pending work as transactions that apply to state.
func (tt *txnTable) txns(ctx context.Context, state *statestore.State) ([]statestore.Transaction, error) {
	out := make([]statestore.Transaction, 0, len(tt.parts))
	for _, p := range tt.parts {
		if p.txn != nil {
			out = append(out, p.txn)
			continue
		}
		af, err := p.prep.AddFiles(ctx, state)
		if err != nil {
			return nil, err
		}
		if len(af.Files) > 0 {
			out = append(out, af)
		}
	}
	return out, nil
}

// add adds work to table t's pending work.
func (b *txnBlock) add(ctx context.Context, t *catalog.Table, parts ...txnPart) error {
	b.start()
	tt := b.table(t)
	if tt.base == 0 {
		switch n, read := b.reads[t.StateID()]; {
		case read:
			tt.base = n
		case tt.pinned != nil:
			tt.base = tt.pinned.TxnNumber()
		default:
			// A blind write (INSERT ... VALUES): its snapshot is the latest state, which
			// REPEATABLE READ pins for the block's later reads.
			st, err := b.e.ss.Snapshot(ctx, t.StateID())
			if err != nil {
				return err
			}
			tt.base = st.TxnNumber()
			if b.repeatable {
				tt.pinned = st
				b.holds = append(b.holds, b.e.readers.hold(t.StateID(), st.TxnNumber()))
			}
		}
	}
	if len(tt.parts) == 0 {
		b.order = append(b.order, t.StateID())
		tt.since = time.Now()
	}
	tt.parts = append(tt.parts, parts...)
	return nil
}

// commitWrite commits the transactions before and then the files of ps (nil ones are
// skipped) to table t as one log entry, or, inside a transaction block, adds them to the
// block's work. It is how every statement that changes a table's rows commits; it discards
// the files of ps when the commit fails.
func (e *Engine) commitWrite(ctx context.Context, t *catalog.Table, before []statestore.Transaction, ps ...*ingest.Prepared) error {
	var preps []*ingest.Prepared
	for _, p := range ps {
		if p != nil && p.Rows() > 0 {
			preps = append(preps, p)
		}
	}
	discard := func() {
		for _, p := range preps {
			p.Discard(ctx)
		}
	}
	if b := blockOf(ctx); b != nil {
		parts := make([]txnPart, 0, len(before)+len(preps))
		for _, x := range before {
			parts = append(parts, txnPart{txn: x})
		}
		for _, p := range preps {
			parts = append(parts, txnPart{prep: p})
		}
		if len(parts) == 0 {
			return nil
		}
		if err := b.add(ctx, t, parts...); err != nil {
			discard()
			return err
		}
		return nil
	}
	switch {
	case len(preps) == 0 && len(before) == 0:
		return nil
	case len(preps) == 0 && len(before) == 1:
		_, err := e.ss.Commit(ctx, t.StateID(), before[0])
		return err
	case len(preps) == 0:
		_, err := e.ss.Commit(ctx, t.StateID(), statestore.Batch{Txns: before})
		return err
	case len(before) == 0 && len(preps) == 1:
		_, err := preps[0].Commit(ctx)
		return err
	}
	err := e.commitTable(ctx, newTxnTable(t, before, preps), nil, nil)
	if err != nil {
		discard()
	}
	return err
}

// commitGuarded is commitWrite for a statement that read the table before writing it (an
// UPDATE, a DELETE, an INSERT into a PRIMARY KEY table), with guard, the check that what
// the statement read is unchanged. Outside a transaction block the entry starts with guard:
// it commits only if no other write changed the rows guard covers since the statement read
// them, and fails with an error wrapping statestore.ErrRowsChanged otherwise, leaving the
// files of ps to the caller (to commit again after a new read, or to discard). Inside a
// block the work joins the block's without guard: the block's COMMIT checks it against what
// others committed since the block's snapshot of the table (conflictCheck), first committer
// wins.
func (e *Engine) commitGuarded(ctx context.Context, t *catalog.Table, guard statestore.UnchangedSince, txns []statestore.Transaction, ps ...*ingest.Prepared) error {
	if blockOf(ctx) != nil {
		return e.commitWrite(ctx, t, txns, ps...)
	}
	var preps []*ingest.Prepared
	for _, p := range ps {
		if p != nil && p.Rows() > 0 {
			preps = append(preps, p)
		}
	}
	return e.commitTable(ctx, newTxnTable(t, append([]statestore.Transaction{guard}, txns...), preps), nil, nil)
}

// newTxnTable returns the work of one statement on t: the transactions txns, then the
// files of preps.
func newTxnTable(t *catalog.Table, txns []statestore.Transaction, preps []*ingest.Prepared) *txnTable {
	tt := &txnTable{t: t}
	for _, x := range txns {
		tt.parts = append(tt.parts, txnPart{txn: x})
	}
	for _, p := range preps {
		tt.parts = append(tt.parts, txnPart{prep: p})
	}
	return tt
}

// commitTable commits a table's pending work as one log entry, after check (if any)
// accepts the latest state; wrap, if set, makes the entry of the transactions (a PartOf).
// The AddFiles of prepared writes reference the leaves of the state committed to; a commit
// that fails validation because the partitions changed is built again and retried.
func (e *Engine) commitTable(ctx context.Context, tt *txnTable, check func(*statestore.State) error, wrap func([]statestore.Transaction) statestore.Transaction) error {
	id := tt.t.StateID()
	var err error
	for attempt := 1; attempt <= ingest.MaxAttempts; attempt++ {
		var st *statestore.State
		if st, err = e.ss.Snapshot(ctx, id); err != nil {
			return err
		}
		var txns []statestore.Transaction
		if txns, err = tt.txns(ctx, st); err != nil {
			return err
		}
		var txn statestore.Transaction
		switch {
		case len(txns) == 0:
			return nil
		case wrap != nil:
			txn = wrap(txns)
		case len(txns) == 1:
			txn = txns[0]
		default:
			txn = statestore.Batch{Txns: txns}
		}
		_, err = e.ss.CommitIf(ctx, id, txn, check)
		if err == nil || ctx.Err() != nil || !errors.Is(err, statestore.ErrInvalidTransaction) || errors.Is(err, statestore.ErrRowsChanged) {
			return err
		}
		if fresh, serr := e.ss.Snapshot(ctx, id); serr != nil || slices.Equal(fresh.LeafIDs(), st.LeafIDs()) {
			return err // not a partition change: the same transaction would fail again
		}
	}
	return err
}

// discard drops the pending work from part from on of every table, deleting its files.
func (b *txnBlock) discard(ctx context.Context, keep map[statestore.TableID]int, order int) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	for _, id := range b.order[order:] {
		if _, ok := keep[id]; !ok {
			keep[id] = 0
		}
	}
	for id, n := range keep {
		tt := b.tables[id]
		if tt == nil || n >= len(tt.parts) {
			continue
		}
		for _, p := range tt.parts[n:] {
			if p.prep != nil {
				p.prep.Discard(ctx)
			}
		}
		tt.parts = tt.parts[:n]
		if n == 0 {
			tt.base = 0
		}
	}
	b.order = b.order[:order]
}

// rollback drops the block's work and the objects it created.
func (b *txnBlock) rollback(ctx context.Context) {
	b.discard(ctx, map[statestore.TableID]int{}, 0)
	b.undoCreates(ctx, 0)
}

// end ends the block: its pending work is dropped (it was committed, or is rolled back)
// and the states it pinned are released.
func (b *txnBlock) end(ctx context.Context) {
	b.discard(ctx, map[statestore.TableID]int{}, 0)
	b.e.readers.release(b.holds)
	b.holds = nil
}

// commit commits the block's work, each table's as one log entry. Before committing
// anything it checks every table for conflicts with what was committed since the block's
// snapshot, and each table's commit checks again, atomically with it. The work of a block
// that wrote several tables commits as PartOf entries, one per table, which take effect
// together when the commit's record is published, after the last of them: all of them or
// none, whatever fails or crashes in between (statestore.PartOf).
func (b *txnBlock) commit(ctx context.Context) error {
	var work []*txnTable
	for _, id := range b.order {
		tt := b.tables[id]
		if len(tt.parts) == 0 {
			continue
		}
		if age := tt.t.Props.OrphanAge; age > 0 && time.Since(tt.since) > age/2 {
			return &errs.Error{Kind: errs.Conflict, Msg: "could not serialize access: the transaction's writes are too old to commit",
				Detail: fmt.Sprintf("Table %q was first written %s ago; uncommitted files older than its orphan_age (%s) may be removed.", tt.t.Name, time.Since(tt.since).Round(time.Second), age),
				Hint:   "Retry the transaction."}
		}
		tt.fromTruncate(ctx)
		if err := b.squash(ctx, tt); err != nil {
			return err
		}
		work = append(work, tt)
	}
	checks := make([]*conflictCheck, len(work))
	for i, tt := range work {
		checks[i] = newConflictCheck(ctx, b.e, tt)
		if len(work) == 1 {
			break // the commit checks it
		}
		st, err := b.e.ss.Snapshot(ctx, tt.t.StateID())
		if err != nil {
			return err
		}
		if err := checks[i].check(st); err != nil {
			return err
		}
	}
	var wrap func([]statestore.Transaction) statestore.Transaction
	var id string
	if len(work) > 1 {
		id = uuid.NewString()
		wrap = func(txns []statestore.Transaction) statestore.Transaction {
			return &statestore.PartOf{Commit: id, Txns: txns}
		}
	}
	for i, tt := range work {
		if h := testCommitTable.Load(); h != nil && i > 0 {
			(*h)()
		}
		if err := b.e.commitTable(ctx, tt, checks[i].check, wrap); err != nil {
			// Decide the commit: entries written so far (this table's too, when its
			// outcome is unknown) take no effect.
			if wrap != nil {
				if aerr := b.e.ss.Abort(context.WithoutCancel(ctx), id); aerr != nil {
					b.e.log.Error("aborting a commit of several tables", "commit", id, "err", aerr)
					return errs.Wrap(errs.Internal, aerr, "commit %s failed (%v), and so did recording its abort: %v", id, err, aerr)
				}
			}
			return err
		}
	}
	if wrap != nil {
		if h := testCommitRecord.Load(); h != nil {
			(*h)()
		}
		if err := b.e.ss.Publish(ctx, id); err != nil {
			if errors.Is(err, statestore.ErrCommitAborted) {
				return errConflict(work[0].t.Name, "the commit took longer than its grace period and was aborted")
			}
			// The outcome is unknown: keep the files, which the orphan sweep deletes if the
			// commit turns out aborted.
			for _, tt := range work {
				tt.parts = nil
			}
			return errs.Wrap(errs.Internal, err, "publishing commit %s (its outcome is unknown): %v", id, err)
		}
	}
	for _, tt := range work {
		tt.parts = nil // committed: the block no longer owns the files
	}
	return nil
}

// testCommitRecord, when set by a test, runs before the record of a commit of several
// tables is written.
var testCommitRecord atomic.Pointer[func()]

// testCommitTable, when set by a test, runs before each table's entry of a commit of
// several tables but the first.
var testCommitTable atomic.Pointer[func()]

// savepoint marks the block's work so far under name.
func (b *txnBlock) savepoint(name string) {
	sp := savepoint{name: name, parts: map[statestore.TableID]int{}, order: len(b.order), undo: len(b.undo)}
	for id, tt := range b.tables {
		sp.parts[id] = len(tt.parts)
	}
	b.saves = append(b.saves, sp)
}

// findSavepoint returns the index of the newest savepoint named name.
func (b *txnBlock) findSavepoint(name string) (int, error) {
	for i := len(b.saves) - 1; i >= 0; i-- {
		if b.saves[i].name == name {
			return i, nil
		}
	}
	return 0, errs.New(errs.InvalidSavepoint, "savepoint %q does not exist", name)
}

// transactionStmt runs BEGIN, COMMIT, ROLLBACK, SAVEPOINT, RELEASE and ROLLBACK TO; ok is
// false for other statements.
func (c *conn) transactionStmt(ctx context.Context, u *planner.Utility) (Result, bool, error) {
	switch u.Tag {
	case "BEGIN", "START TRANSACTION":
		if w, warned := c.transaction(u.Tag, u.Modes); warned {
			return &doneResult{tag: u.Tag, notices: []Notice{w}}, true, nil
		}
		c.blk = &txnBlock{e: c.e, tables: map[statestore.TableID]*txnTable{}, level: func() string {
			v, _ := c.Setting("transaction_isolation")
			return v
		}, settings: maps.Clone(c.s.vals)}
		return &doneResult{tag: u.Tag}, true, nil
	case "COMMIT", "ROLLBACK":
		if u.Savepoint != "" {
			return c.rollbackTo(ctx, u.Savepoint)
		}
		if w, warned := c.transaction(u.Tag, u.Modes); warned {
			return &doneResult{tag: u.Tag, notices: []Notice{w}}, true, nil
		}
		b := c.blk
		c.blk = nil
		if b == nil {
			return &doneResult{tag: u.Tag}, true, nil
		}
		defer b.end(ctx)
		if u.Tag == "ROLLBACK" || b.failed {
			b.rollback(ctx)
			c.setSettings(b.settings)
			return &doneResult{tag: "ROLLBACK"}, true, nil
		}
		if err := b.commit(ctx); err != nil {
			b.rollback(ctx)
			c.setSettings(b.settings)
			return nil, true, err
		}
		return &doneResult{tag: "COMMIT"}, true, nil
	case "SAVEPOINT":
		if c.blk == nil {
			return nil, true, errs.New(errs.NoActiveTransaction, "SAVEPOINT can only be used in transaction blocks")
		}
		c.blk.savepoint(u.Savepoint)
		c.blk.saves[len(c.blk.saves)-1].settings = maps.Clone(c.s.vals)
		return &doneResult{tag: "SAVEPOINT"}, true, nil
	case "RELEASE":
		if c.blk == nil {
			return nil, true, errs.New(errs.NoActiveTransaction, "RELEASE SAVEPOINT can only be used in transaction blocks")
		}
		i, err := c.blk.findSavepoint(u.Savepoint)
		if err != nil {
			return nil, true, err
		}
		c.blk.saves = c.blk.saves[:i]
		return &doneResult{tag: "RELEASE"}, true, nil
	}
	return nil, false, nil
}

// rollbackTo runs ROLLBACK TO SAVEPOINT: the work after the savepoint is dropped, the
// savepoints after it are released, and a failed block can go on.
func (c *conn) rollbackTo(ctx context.Context, name string) (Result, bool, error) {
	b := c.blk
	if b == nil {
		return nil, true, errs.New(errs.NoActiveTransaction, "ROLLBACK TO SAVEPOINT can only be used in transaction blocks")
	}
	i, err := b.findSavepoint(name)
	if err != nil {
		return nil, true, err
	}
	sp := b.saves[i]
	b.saves = b.saves[:i+1]
	keep := map[statestore.TableID]int{}
	for id := range b.tables {
		keep[id] = sp.parts[id] // 0 for a table first touched after the savepoint
	}
	b.discard(ctx, keep, sp.order)
	b.undoCreates(ctx, sp.undo)
	b.failed = false
	c.setSettings(sp.settings)
	return &doneResult{tag: "ROLLBACK"}, true, nil
}

// setSettings puts the session's parameters back to vals, as a rollback does (SET LOCAL
// included: its values were taken after).
func (c *conn) setSettings(vals map[string]string) {
	c.s.vals = maps.Clone(vals)
	tz, ok := c.s.vals["timezone"]
	if ok {
		c.restore("timezone", &tz, false)
	} else {
		c.restore("timezone", nil, false)
	}
}

// blockAllows refuses a statement the transaction block cannot run: every statement but
// the block's end after an error (25P02), and statements that would commit on their own,
// such as DDL (25001), which is not transactional.
func (c *conn) blockAllows(st planner.Statement) error {
	b := c.blk
	if b == nil {
		return nil
	}
	if u, ok := st.(*planner.Utility); ok && (u.Tag == "COMMIT" || u.Tag == "ROLLBACK") {
		return nil
	}
	if b.failed {
		return errs.New(errs.InFailedTransaction, "current transaction is aborted, commands ignored until end of transaction block")
	}
	switch st := st.(type) {
	case *planner.SetTransaction:
		if st.Modes.Isolation != "" && b.started && !st.Session {
			return errs.New(errs.ActiveTransaction, "SET TRANSACTION ISOLATION LEVEL must be called before any query")
		}
	case *planner.SetVariable:
		if st.Name == "transaction_isolation" && b.started {
			return errs.New(errs.ActiveTransaction, "SET TRANSACTION ISOLATION LEVEL must be called before any query")
		}
	}
	switch st.(type) {
	case *planner.Query, *planner.Insert, *planner.Update, *planner.Delete, *planner.Merge, *planner.Copy, *planner.Explain,
		*planner.SetVariable, *planner.ShowVariable, *planner.SetTransaction, *planner.Utility,
		*planner.ShowTables, *planner.CacheCall:
		return nil
	}
	cmd := writeCommand(st)
	if _, ok := st.(*planner.Truncate); ok && !c.readOnly() {
		return nil // joins the block's work (txn_ddl.go)
	}
	if cmd != "" && c.readOnly() {
		return nil // refused as a write in a read-only transaction (25006), as PostgreSQL does
	}
	if c.e.undoableCreate(context.Background(), st) {
		return nil // created at once, dropped again if the block rolls back (txn_ddl.go)
	}
	if cmd == "" {
		cmd = statementName(st)
	}
	return &errs.Error{Kind: errs.ActiveTransaction, Msg: fmt.Sprintf("%s cannot run inside a transaction block", cmd),
		Detail: "Only CREATE statements (undone on rollback) and TRUNCATE (committed with the block) can run in a block; other schema changes and maintenance would commit at once, whatever the block's end.",
		Hint:   "Run it outside BEGIN ... COMMIT."}
}

// statementName names a statement kind for an error message.
func statementName(st planner.Statement) string {
	switch st.(type) {
	case *planner.Vacuum:
		return "VACUUM"
	}
	return "this statement"
}

// fail marks the block, if any, failed: an error ends what the block can do but ROLLBACK.
func (c *conn) fail() {
	if c.blk != nil {
		c.blk.failed = true
	}
}

// TxStatus implements Transactions.
func (c *conn) TxStatus() byte {
	switch {
	case c.blk == nil:
		return 'I'
	case c.blk.failed:
		return 'E'
	}
	return 'T'
}

// FailTransaction implements Transactions.
func (c *conn) FailTransaction() { c.fail() }

// rollbackBlock ends the connection's block, if any, dropping its work.
func (c *conn) rollbackBlock(ctx context.Context) {
	if c.blk != nil {
		c.transaction("ROLLBACK", planner.TransactionModes{})
		c.blk.rollback(ctx)
		c.blk.end(ctx)
		c.blk = nil
	}
}
