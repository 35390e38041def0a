package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/storage/ingest"
	"github.com/sleeperd/sleeperd/storage/statestore"
)

// conflictCheck decides whether a block's work on one table may commit after what others
// committed since the block's snapshot of it (first committer wins):
//   - a block that wrote rows or tombstones of a PRIMARY KEY table conflicts with a commit
//     that added a row of one of the same row keys (files whose key ranges overlap the
//     block's are read to compare the keys themselves), and with any delete predicate;
//   - a block that deleted by predicate conflicts with any commit that added rows or a
//     delete predicate (its predicate, applied at COMMIT, would delete rows it never saw);
//   - appends alone (tables without a PRIMARY KEY) never conflict.
//
// Compactions, splits and other maintenance change how rows are stored, not which, and
// never conflict. check is incremental: each call reads only the log entries after the
// last state it accepted.
type conflictCheck struct {
	ctx   context.Context
	e     *Engine
	tt    *txnTable
	upto  uint64 // entries up to here were checked
	keyed bool   // the block wrote keys of a PRIMARY KEY table
	preds bool   // the block added delete predicates
	own   []statestore.File
	keys  map[string]struct{} // the row keys of own, read on first need
}

func newConflictCheck(ctx context.Context, e *Engine, tt *txnTable) *conflictCheck {
	c := &conflictCheck{ctx: ctx, e: e, tt: tt, upto: tt.base}
	for _, p := range tt.parts {
		switch {
		case p.prep != nil && len(tt.t.PrimaryKey) > 0:
			c.keyed = true
			c.own = append(c.own, p.prep.Files()...)
		case p.txn != nil:
			if _, ok := p.txn.(statestore.AddDeletePredicate); ok {
				c.preds = true
			}
		}
	}
	return c
}

// errConflict is the error of a block that lost to a concurrent commit.
func errConflict(table string, detail string) error {
	return &errs.Error{Kind: errs.Conflict, Msg: "could not serialize access due to concurrent update",
		Detail: fmt.Sprintf("Table %q: %s", table, detail), Hint: "Retry the transaction."}
}

// check accepts st when nothing committed after the block's snapshot, up to st, conflicts.
func (c *conflictCheck) check(st *statestore.State) error {
	n := st.TxnNumber()
	if n <= c.upto || c.upto == 0 {
		return nil
	}
	if !c.keyed && !c.preds {
		c.upto = n
		return nil
	}
	txns, err := c.e.ss.Entries(c.ctx, st.Table(), c.upto, n)
	if errors.Is(err, statestore.ErrStateGone) {
		return errConflict(c.tt.t.Name, "the changes committed since the transaction's snapshot are no longer in the log")
	}
	if err != nil {
		return err
	}
	for _, x := range txns {
		switch x := x.(type) {
		case statestore.AddDeletePredicate, *statestore.AddDeletePredicate:
			return errConflict(c.tt.t.Name, "a concurrent transaction deleted rows")
		case *statestore.AddFiles:
			if err := c.added(x.Files); err != nil {
				return err
			}
		case statestore.AddFiles:
			if err := c.added(x.Files); err != nil {
				return err
			}
		}
	}
	c.upto = n
	return nil
}

// added checks the files a concurrent transaction added.
func (c *conflictCheck) added(files []statestore.NewFile) error {
	if c.preds {
		return errConflict(c.tt.t.Name, "a concurrent transaction added rows the transaction's DELETE may match")
	}
	for _, nf := range files {
		f := nf.File
		if !c.overlapsRange(f) {
			continue
		}
		if err := c.loadKeys(); err != nil {
			return err
		}
		spec := c.tt.t.IngestSpec()
		spec.Alloc = c.e.alloc
		hit := errors.New("hit")
		err := ingest.ReadRowKeys(c.ctx, c.e.store, spec, f, func(key []byte) error {
			if _, ok := c.keys[string(key)]; ok {
				return hit
			}
			return nil
		})
		if err == hit {
			return errConflict(c.tt.t.Name, "a concurrent transaction wrote a row with the same key")
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// overlapsRange reports whether f's key range overlaps one of the block's own files'.
func (c *conflictCheck) overlapsRange(f statestore.File) bool {
	if f.Rows == 0 {
		return false
	}
	for _, g := range c.own {
		if g.Rows > 0 && bytes.Compare(f.MinKey, g.MaxKey) <= 0 && bytes.Compare(g.MinKey, f.MaxKey) <= 0 {
			return true
		}
	}
	return false
}

// loadKeys reads the row keys of the block's own files, once.
func (c *conflictCheck) loadKeys() error {
	if c.keys != nil {
		return nil
	}
	keys := map[string]struct{}{}
	spec := c.tt.t.IngestSpec()
	spec.Alloc = c.e.alloc
	for _, f := range c.own {
		err := ingest.ReadRowKeys(c.ctx, c.e.store, spec, f, func(key []byte) error {
			keys[string(key)] = struct{}{}
			return nil
		})
		if err != nil {
			return err
		}
	}
	c.keys = keys
	return nil
}
