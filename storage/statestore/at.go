package statestore

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/sleeperd/sleeperd/storage/objstore"
)

// ErrStateGone: a past state asked for by number can no longer be rebuilt, because the log
// entries leading to it were trimmed.
var ErrStateGone = errors.New("state no longer in the log")

// StateAt returns the table's state after transaction txn: the cached state when that is
// the one, else the newest snapshot at or before txn with the entries after it replayed. It
// fails with an error wrapping ErrStateGone when the log no longer reaches txn (entries are
// trimmed behind snapshots), and with ErrTableNotFound when the table has no log or txn is
// beyond its last entry. It leaves the cached state alone: several nodes sharing a store
// can each rebuild the same past state from the objects alone.
func (s *Store) StateAt(ctx context.Context, id TableID, txn uint64) (*State, error) {
	if txn == 0 {
		return nil, fmt.Errorf("%w: %s has no state 0", ErrTableNotFound, id)
	}
	cur, err := s.Snapshot(ctx, id)
	if err != nil {
		return nil, err
	}
	if cur.txn == txn {
		return cur, nil
	}
	if cur.txn < txn {
		return nil, fmt.Errorf("%w: %s has no transaction %d yet", ErrTableNotFound, id, txn)
	}
	t, err := s.table(id)
	if err != nil {
		return nil, err
	}
	base := emptyState(id)
	snaps, err := t.snap.Entries(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing snapshots of table %s: %w", id, err)
	}
	for _, n := range slices.Backward(snaps) {
		if n > txn {
			continue
		}
		data, err := t.snap.Read(ctx, n)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			continue
		}
		if st, err := unmarshalSnapshot(id, data); err == nil && st.txn == n {
			base = st
			break
		}
	}
	if base.txn == txn {
		return base, nil
	}
	m := base.mutate()
	for n := base.txn + 1; n <= txn; n++ {
		data, err := t.log.Read(ctx, n)
		if errors.Is(err, objstore.ErrNotExist) {
			return nil, fmt.Errorf("%w: entry %d of table %s was trimmed", ErrStateGone, n, id)
		}
		if err != nil {
			return nil, fmt.Errorf("reading entry %d of table %s: %w", n, id, err)
		}
		tx, at, err := UnmarshalTransaction(data)
		if err != nil {
			return nil, fmt.Errorf("reading entry %d of table %s: %w", n, id, err)
		}
		if p, ok := tx.(*PartOf); ok {
			decided, err := s.resolve(ctx, p, at)
			if err != nil {
				return nil, err
			}
			if !decided {
				return nil, fmt.Errorf("%w: %s has no transaction %d yet", ErrTableNotFound, id, txn)
			}
		}
		m.begin(n, at)
		tx.Apply(m)
	}
	return m.freeze(), nil
}
