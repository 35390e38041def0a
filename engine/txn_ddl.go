package engine

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/planner"
	"github.com/sleeperd/sleeperd/storage/statestore"
)

// Creating statements in a transaction block. Clients run CREATE inside blocks all the time
// (psycopg2's `with connection`, pandas' to_sql, SQLAlchemy's create_all, dbt), so a block
// may create tables, views, named indexes, sequences and composite types: the object is
// created at once, as outside a block (other sessions can see it before COMMIT), and the
// block records how to drop it again. ROLLBACK, ROLLBACK TO a savepoint taken before it, a
// failed COMMIT and a connection that ends inside the block drop it (after dropping the
// block's rows written to it). A process that dies inside the block leaves it created.
//
// TRUNCATE in a block is a statestore.Truncate in the block's work on the table, like a
// delete: the block's later reads see the table empty (with the rows it writes after), other
// sessions see it unchanged until COMMIT, which commits it with the rest of the block's
// work, atomically across tables (a PartOf entry per table); ROLLBACK and ROLLBACK TO drop
// it. It removes the rows committed when the block commits, including rows others committed
// after the block's snapshot (as PostgreSQL's TRUNCATE, which waits for them, would), and
// never conflicts. Other DDL (DROP, ALTER, ...) cannot be undone and is refused inside a
// block (25001).

// ddlUndo drops an object a block created.
type ddlUndo func(ctx context.Context) error

// undoableCreate reports whether st creates one object that a block can drop again on
// rollback: CREATE TABLE [AS], CREATE VIEW (not replacing a view), CREATE INDEX with a
// name, CREATE SEQUENCE, CREATE TYPE.
func (e *Engine) undoableCreate(ctx context.Context, st planner.Statement) bool {
	switch s := st.(type) {
	case *planner.CreateTable, *planner.CreateTableAs, *planner.CreateSequence, *planner.CreateType:
		return true
	case *planner.CreateView:
		if !s.Replace {
			return true
		}
		_, exists, err := e.cat.View(ctx, s.View.Name)
		return err == nil && !exists
	case *planner.CreateIndex:
		return s.Name != ""
	}
	return false
}

// existsBefore returns the name of the object st creates, and whether a relation or sequence
// of that name exists already (then a rollback must not drop it).
func (e *Engine) existsBefore(ctx context.Context, st planner.Statement) (name string, existed bool) {
	switch s := st.(type) {
	case *planner.CreateTable:
		name = s.Def.Name
	case *planner.CreateTableAs:
		name = s.Def.Name
	case *planner.CreateView:
		name = s.View.Name
	case *planner.CreateIndex:
		name = s.Name
	case *planner.CreateSequence:
		name = s.Sequence.Name
	case *planner.CreateType:
		if _, ok, err := e.cat.Type(ctx, s.Name); err == nil && ok {
			return s.Name, true
		}
		name = s.Name
	}
	if _, err := e.cat.Table(ctx, name); err == nil {
		return name, true
	}
	if _, ok, err := e.cat.View(ctx, name); err == nil && ok {
		return name, true
	}
	if _, err := e.cat.Sequence(ctx, name); err == nil {
		return name, true
	}
	if e.indexExists(ctx, name) {
		return name, true
	}
	return name, false
}

// indexExists reports whether a recorded index is named name.
func (e *Engine) indexExists(ctx context.Context, name string) bool {
	_, ok, err := e.cat.Index(ctx, name)
	return err == nil && ok
}

// undoOf returns how to drop the object st created, named name: for a table, only while
// the table of that name is the one created (same ID).
func (e *Engine) undoOf(ctx context.Context, st planner.Statement, name string) ddlUndo {
	switch st.(type) {
	case *planner.CreateTable, *planner.CreateTableAs:
		t, err := e.cat.Table(ctx, name)
		if err != nil {
			return nil
		}
		id := t.ID
		return func(ctx context.Context) error {
			cur, err := e.cat.Table(ctx, name)
			if err != nil || cur.ID != id {
				return nil // dropped already, or another table now has the name
			}
			if err := e.dropDependents(ctx, name, true); err != nil {
				return err
			}
			if err := e.cat.Drop(ctx, name); err != nil && !errors.Is(err, errs.UndefinedTable) {
				return err
			}
			return e.dropOwnedSequences(ctx, name)
		}
	case *planner.CreateView:
		return func(ctx context.Context) error {
			if err := e.dropDependents(ctx, name, true); err != nil {
				return err
			}
			if err := e.cat.DropView(ctx, name); err != nil && !errors.Is(err, errs.UndefinedTable) {
				return err
			}
			return nil
		}
	case *planner.CreateIndex:
		return func(ctx context.Context) error {
			_, _, err := e.dropIndexes(ctx, &planner.DropIndex{Names: []string{name}, IfExists: true})
			return err
		}
	case *planner.CreateSequence:
		return func(ctx context.Context) error {
			if err := e.dropSequence(ctx, name); err != nil && !errors.Is(err, errs.UndefinedTable) {
				return err
			}
			return nil
		}
	case *planner.CreateType:
		return undoCreateType(e, name)
	}
	return nil
}

// undoCreates drops, newest first, the objects the block created from undo[from] on.
func (b *txnBlock) undoCreates(ctx context.Context, from int) {
	if from >= len(b.undo) {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	for i := len(b.undo) - 1; i >= from; i-- {
		if err := b.undo[i](ctx); err != nil {
			b.e.log.Warn("dropping an object a rolled back transaction created", "err", err)
		}
	}
	b.undo = b.undo[:from]
}

// fromTruncate drops, at COMMIT, the table's work before its last TRUNCATE (deleting its
// files), leaving the truncation first: it then removes committed rows only.
func (tt *txnTable) fromTruncate(ctx context.Context) {
	last := -1
	for i, p := range tt.parts {
		if _, ok := p.txn.(statestore.Truncate); ok {
			last = i
		}
	}
	if last <= 0 {
		return
	}
	for _, p := range tt.parts[:last] {
		if p.prep != nil {
			p.prep.Discard(ctx)
		}
	}
	tt.parts = slices.Clone(tt.parts[last:])
}
