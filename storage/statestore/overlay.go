package statestore

import (
	"context"
	"errors"
	"fmt"

	"github.com/sleeperd/sleeperd/storage/objstore"
)

// Overlay returns s with txns applied in order, numbered s.TxnNumber()+1, +2, ... as if
// they had been committed one after another, without committing anything: the state a
// transaction block reads, its own writes not yet committed on a committed state. Each
// transaction is validated against the state the ones before it leave. The result is for
// reading only: its number names no committed state.
func Overlay(s *State, txns ...Transaction) (*State, error) {
	cur := s
	for i, x := range txns {
		if err := x.Validate(cur); err != nil {
			return nil, err
		}
		cur = apply(cur, x, s.txn+uint64(i)+1, s.time)
	}
	return cur, nil
}

// Entries returns the transactions of a table's log numbered (after, upto], in order, with
// the transactions of each Batch and PartOf in it flattened (those of a PartOf whether or
// not its commit took effect). It fails with an error wrapping
// ErrStateGone when one of them is no longer in the log (trimmed behind a snapshot).
func (s *Store) Entries(ctx context.Context, id TableID, after, upto uint64) ([]Transaction, error) {
	t, err := s.table(id)
	if err != nil {
		return nil, err
	}
	var out []Transaction
	for n := after + 1; n <= upto; n++ {
		data, err := t.log.Read(ctx, n)
		if errors.Is(err, objstore.ErrNotExist) {
			return nil, fmt.Errorf("%w: %s entry %d", ErrStateGone, id, n)
		}
		if err != nil {
			return nil, fmt.Errorf("reading entry %d of table %s: %w", n, id, err)
		}
		txn, _, err := UnmarshalTransaction(data)
		if err != nil {
			return nil, fmt.Errorf("entry %d of table %s: %w", n, id, err)
		}
		if b, ok := txn.(*Batch); ok {
			out = append(out, b.Txns...)
			continue
		}
		if p, ok := txn.(*PartOf); ok {
			// Whether or not its commit succeeds: a conflict check errs on the safe side.
			out = append(out, p.Txns...)
			continue
		}
		out = append(out, txn)
	}
	return out, nil
}
