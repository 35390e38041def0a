package statestore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/sleeperd/sleeperd/storage/objstore"
)

// PartOf is one table's share of a commit that changes several tables atomically: its
// transactions take effect, as a Batch, only if the commit's record says it committed.
//
// The committer writes a PartOf entry to each table's log, then the commit record
// (CommitRecordName) with put-if-absent. A Store replaying a PartOf entry reads the
// record: "committed" applies the transactions, "aborted" nothing (the entry only takes its
// number). With no record yet, an entry younger than Options.CommitGrace ends the replay
// before it (the committer is still writing: the state is as if the entry were not yet
// written, and commits to the table wait); an older one is resolved by the reader, which
// puts an "aborted" record with put-if-absent. Exactly one record is ever written, so every
// Store decides the same; a committer whose "committed" lost to an "aborted" reports the
// commit failed. A crash before the record thus leaves all of the commit's entries aborted.
type PartOf struct {
	Commit string
	Txns   []Transaction

	// committed is the resolved outcome, set by the Store before Apply.
	committed bool
}

var _ Transaction = (*PartOf)(nil)

func init() { register((&PartOf{}).Kind(), func() Transaction { return new(PartOf) }) }

// Kind implements Transaction.
func (*PartOf) Kind() string { return "PART_OF" }

// Summary implements Transaction.
func (t *PartOf) Summary() string {
	return fmt.Sprintf("part of commit %s: %s", t.Commit, Batch{Txns: t.Txns}.Summary())
}

// Validate implements Transaction.
func (t *PartOf) Validate(s *State) error {
	if t.Commit == "" {
		return invalid(ErrInvalidTransaction, "part of a commit without an id")
	}
	return Batch{Txns: t.Txns}.Validate(s)
}

// Apply implements Transaction.
func (t *PartOf) Apply(m *mutableState) {
	if t.committed {
		Batch{Txns: t.Txns}.Apply(m)
	}
}

type partOfJSON struct {
	Commit string          `json:"commit"`
	Batch  json.RawMessage `json:"batch"`
}

// MarshalJSON implements json.Marshaler.
func (t *PartOf) MarshalJSON() ([]byte, error) {
	b, err := Batch{Txns: t.Txns}.MarshalJSON()
	if err != nil {
		return nil, err
	}
	return json.Marshal(partOfJSON{Commit: t.Commit, Batch: b})
}

// UnmarshalJSON implements json.Unmarshaler.
func (t *PartOf) UnmarshalJSON(data []byte) error {
	var in partOfJSON
	if err := json.Unmarshal(data, &in); err != nil {
		return err
	}
	var b Batch
	if err := b.UnmarshalJSON(in.Batch); err != nil {
		return err
	}
	t.Commit, t.Txns = in.Commit, b.Txns
	return nil
}

// CommitRecordName is the object holding the outcome of commit id.
func CommitRecordName(id string) string { return "commits/" + id + ".json" }

// Commit outcomes, as commit records hold them.
const (
	outcomeCommitted = "committed"
	outcomeAborted   = "aborted"
)

// ErrCommitAborted: the commit's record says aborted (a reader gave up waiting for it).
var ErrCommitAborted = errors.New("commit aborted")

// Publish writes the record of commit id as committed: every PartOf entry of the commit
// takes effect. It fails with an error wrapping ErrCommitAborted when the record says
// aborted already.
func (s *Store) Publish(ctx context.Context, id string) error {
	err := s.decide(ctx, id, outcomeCommitted)
	if err == nil {
		s.settle(ctx, id, true)
	}
	return err
}

// Abort writes the record of commit id as aborted: none of its PartOf entries takes effect.
// It fails when the record says committed already.
func (s *Store) Abort(ctx context.Context, id string) error {
	err := s.decide(ctx, id, outcomeAborted)
	if err == nil {
		s.settle(ctx, id, false)
	}
	return err
}

// pendingPart is a PartOf entry a Store committed, numbered n, written at at.
type pendingPart struct {
	n   uint64
	at  time.Time
	txn *PartOf
}

// settle applies the decided outcome of commit id to the cached states that stop just
// before this Store's own entries of it, sparing the refreshes that would read them and the
// record back. It is best effort: a state it cannot take (locked past ctx, moved on) is
// left to its next refresh.
func (s *Store) settle(ctx context.Context, id string, committed bool) {
	s.mu.Lock()
	ts := make([]*table, 0, len(s.tables))
	for _, t := range s.tables {
		ts = append(ts, t)
	}
	s.mu.Unlock()
	for _, t := range ts {
		if t.lock(ctx) != nil {
			return
		}
		if p := t.mine; p != nil && p.txn.Commit == id {
			t.mine = nil
			if t.state != nil && t.state.txn == p.n-1 {
				x := &PartOf{Commit: p.txn.Commit, Txns: p.txn.Txns, committed: committed}
				t.state = apply(t.state, x, p.n, p.at)
			}
		}
		t.unlock()
	}
}

func (s *Store) decide(ctx context.Context, id, outcome string) error {
	err := s.os.PutIfAbsent(ctx, CommitRecordName(id), []byte(`{"outcome":"`+outcome+`"}`))
	if err == nil {
		return nil
	}
	if !errors.Is(err, objstore.ErrExists) {
		return fmt.Errorf("writing the record of commit %s: %w", id, err)
	}
	got, err := s.outcome(ctx, id)
	if err != nil {
		return err
	}
	switch {
	case got == outcome:
		return nil
	case got == outcomeAborted:
		return fmt.Errorf("commit %s: %w", id, ErrCommitAborted)
	}
	return fmt.Errorf("commit %s is %s already", id, got)
}

// outcome reads the record of commit id: "" when there is none.
func (s *Store) outcome(ctx context.Context, id string) (string, error) {
	data, err := objstore.ReadAll(ctx, s.os, CommitRecordName(id))
	if errors.Is(err, objstore.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("reading the record of commit %s: %w", id, err)
	}
	var rec struct {
		Outcome string `json:"outcome"`
	}
	if err := json.Unmarshal(data, &rec); err != nil || (rec.Outcome != outcomeCommitted && rec.Outcome != outcomeAborted) {
		return "", fmt.Errorf("%w: record of commit %s", ErrCorrupt, id)
	}
	return rec.Outcome, nil
}

// resolve sets the outcome of a PartOf entry committed at time at, and reports false when
// it is not decided yet (no record, and the entry younger than the grace period).
func (s *Store) resolve(ctx context.Context, p *PartOf, at time.Time) (bool, error) {
	got, err := s.outcome(ctx, p.Commit)
	if err != nil {
		return false, err
	}
	if got == "" {
		if s.opts.Now().Sub(at) < s.grace() {
			return false, nil
		}
		// decide, not Abort: the caller holds the table, which settle would wait for.
		if err := s.decide(ctx, p.Commit, outcomeAborted); err != nil {
			// The committer's record came first: read what it says.
			if got, err = s.outcome(ctx, p.Commit); err != nil || got == "" {
				return false, err
			}
		} else {
			got = outcomeAborted
		}
	}
	p.committed = got == outcomeCommitted
	return true, nil
}

// DefaultCommitGrace is Options.CommitGrace's default.
const DefaultCommitGrace = 10 * time.Second

func (s *Store) grace() time.Duration {
	if s.opts.CommitGrace > 0 {
		return s.opts.CommitGrace
	}
	return DefaultCommitGrace
}
