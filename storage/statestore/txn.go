package statestore

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Transaction is one change to a table's state, and one entry of its log.
//
// Validate checks the transaction against the state it is about to apply to and returns an
// error wrapping ErrInvalidTransaction when it does not fit; it must not modify anything.
// Apply makes the change; it runs only after Validate accepted the same state (or when the
// log is replayed), so it does not fail. Both must be deterministic: replaying the log on
// any machine gives the same state. The set of kinds is closed: every kind lives in this
// package and is registered for decoding under its Kind. Summary describes the
// transaction in one line of text, for logs and system tables.
type Transaction interface {
	Kind() string
	Summary() string
	Validate(s *State) error
	Apply(m *mutableState)
}

// kinds maps each Kind to a constructor of an empty transaction to decode into.
var kinds = map[string]func() Transaction{}

func register(kind string, empty func() Transaction) {
	if _, dup := kinds[kind]; dup {
		panic("statestore: duplicate transaction kind " + kind)
	}
	kinds[kind] = empty
}

// envelope is the JSON form of a log entry.
type envelope struct {
	Kind string          `json:"kind"`
	Time time.Time       `json:"time"`
	Body json.RawMessage `json:"body"`
}

// MarshalTransaction encodes a transaction committed at time t as a log entry:
// {"kind": ..., "time": ..., "body": ...}.
func MarshalTransaction(txn Transaction, t time.Time) ([]byte, error) {
	if _, ok := kinds[txn.Kind()]; !ok {
		return nil, fmt.Errorf("encoding transaction: %w: %q", ErrUnknownKind, txn.Kind())
	}
	body, err := json.Marshal(txn)
	if err != nil {
		return nil, fmt.Errorf("encoding %s: %w", txn.Kind(), err)
	}
	return json.Marshal(envelope{Kind: txn.Kind(), Time: t.UTC(), Body: body})
}

// UnmarshalTransaction decodes a log entry written by MarshalTransaction.
func UnmarshalTransaction(data []byte) (Transaction, time.Time, error) {
	var env envelope
	if err := json.Unmarshal(data, &env); err != nil {
		return nil, time.Time{}, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	empty, ok := kinds[env.Kind]
	if !ok {
		return nil, time.Time{}, fmt.Errorf("%w: %q", ErrUnknownKind, env.Kind)
	}
	txn := empty()
	if err := json.Unmarshal(env.Body, txn); err != nil {
		return nil, time.Time{}, fmt.Errorf("%w: %s body: %v", ErrCorrupt, env.Kind, err)
	}
	return txn, env.Time, nil
}

// apply applies transaction number n, committed at t, to a copy of s.
func apply(s *State, txn Transaction, n uint64, t time.Time) *State {
	m := s.mutate()
	m.begin(n, t)
	txn.Apply(m)
	return m.freeze()
}

// maxListed is how many names a Summary lists before eliding the rest.
const maxListed = 5

// nameList joins names with ", ", eliding all but the first maxListed.
func nameList(names []string) string {
	if len(names) <= maxListed {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s, ... (%d more)", strings.Join(names[:maxListed], ", "), len(names)-maxListed)
}

// plural returns "n word" with an "s" unless n is 1.
func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
