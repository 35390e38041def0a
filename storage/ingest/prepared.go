package ingest

import (
	"context"
	"errors"

	"github.com/sleeperd/sleeperd/storage/objstore"
	"github.com/sleeperd/sleeperd/storage/statestore"
)

// Prepared is a write whose files are in the store but not committed (Writer.Prepare): its
// rows become visible when the caller commits the transaction Txn returns, alone or in a
// statestore.Batch with others (a delete predicate whose rows it replaces, a check that the
// rows read are unchanged), or through Commit. A Prepared that is neither committed nor
// aborted leaves its files to the table's orphan collection.
//
// A Prepared of no rows has no files and nothing to commit: Txn fails and Commit returns 0.
type Prepared struct {
	store objstore.Store
	ss    *statestore.Store
	spec  Spec
	state *statestore.State // the state whose leaves split the files
	files []written
	rows  int64
	done  bool
}

// Rows returns the number of rows written.
func (p *Prepared) Rows() int64 { return p.rows }

// Txn returns the transaction that adds the files, each referenced from the leaves of state
// its rows fall in, with exact row counts. If the commit fails because the partitions changed
// meanwhile, call Txn again with the newer state: the files are never rewritten.
func (p *Prepared) Txn(ctx context.Context, state *statestore.State) (statestore.AddFiles, error) {
	if p.done {
		return statestore.AddFiles{}, errors.New("ingest: transaction of a finished write")
	}
	if len(p.files) == 0 {
		return statestore.AddFiles{}, errors.New("ingest: a write of no rows has nothing to commit")
	}
	return addFiles(ctx, p.store, p.spec, p.files, state.Leaves())
}

// Commit commits the files in one AddFiles transaction, as Writer.Commit does, and returns
// the number of rows. It deletes the files when the commit fails.
func (p *Prepared) Commit(ctx context.Context) (int64, error) {
	if p.done {
		return 0, errors.New("ingest: commit of a finished write")
	}
	p.done = true
	if len(p.files) == 0 {
		return 0, nil
	}
	return commitFiles(ctx, p.store, p.ss, p.spec, p.state, p.files, p.rows)
}

// Abort deletes the files unless the table's newest state shows them committed (or cannot
// be read: then they are left to garbage collection). Call it after committing Txn's
// transaction failed, or instead of committing. It is safe after Commit, and more than once.
func (p *Prepared) Abort(ctx context.Context) {
	if p.done {
		return
	}
	p.done = true
	cleanup(ctx, p.store, p.ss, p.spec.Table, p.files)
}

// Done marks the files committed by the caller (through Txn's transaction): Abort leaves
// them alone afterwards.
func (p *Prepared) Done() { p.done = true }
