package statestore

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Batch commits several transactions to one table as one log entry: all of them take
// effect, in order, under one transaction number, or none does. Each is validated against
// the state the ones before it leave. A write that replaces rows uses it: an
// AddDeletePredicate followed by the AddFiles of the new rows removes the old versions and
// keeps the new ones (whose version is the batch's own number). A Batch holds neither
// another Batch nor an InitialisePartitions.
type Batch struct {
	Txns []Transaction
}

var _ Transaction = Batch{}

func init() { register(Batch{}.Kind(), func() Transaction { return new(Batch) }) }

// Kind implements Transaction.
func (Batch) Kind() string { return "BATCH" }

// Summary implements Transaction.
func (t Batch) Summary() string {
	parts := make([]string, len(t.Txns))
	for i, x := range t.Txns {
		parts[i] = x.Summary()
	}
	return fmt.Sprintf("batch of %s: %s", plural(len(t.Txns), "transaction"), strings.Join(parts, "; "))
}

// Validate implements Transaction.
func (t Batch) Validate(s *State) error {
	if len(t.Txns) == 0 {
		return invalid(ErrInvalidTransaction, "empty batch")
	}
	cur := s
	for i, x := range t.Txns {
		switch x.(type) {
		case Batch, *Batch, InitialisePartitions, *InitialisePartitions:
			return invalid(ErrInvalidTransaction, "a batch cannot hold %s", x.Kind())
		}
		if err := x.Validate(cur); err != nil {
			return err
		}
		if i < len(t.Txns)-1 {
			cur = apply(cur, x, s.txn+1, s.time)
		}
	}
	return nil
}

// Apply implements Transaction.
func (t Batch) Apply(m *mutableState) {
	for _, x := range t.Txns {
		x.Apply(m)
	}
}

// batchJSON is the JSON form of a Batch: each transaction as a kind and a body.
type batchJSON struct {
	Txns []batchEntry `json:"txns"`
}

type batchEntry struct {
	Kind string          `json:"kind"`
	Body json.RawMessage `json:"body"`
}

// MarshalJSON implements json.Marshaler.
func (t Batch) MarshalJSON() ([]byte, error) {
	out := batchJSON{Txns: make([]batchEntry, len(t.Txns))}
	for i, x := range t.Txns {
		if _, ok := kinds[x.Kind()]; !ok {
			return nil, fmt.Errorf("encoding batch: %w: %q", ErrUnknownKind, x.Kind())
		}
		body, err := json.Marshal(x)
		if err != nil {
			return nil, fmt.Errorf("encoding %s in a batch: %w", x.Kind(), err)
		}
		out.Txns[i] = batchEntry{Kind: x.Kind(), Body: body}
	}
	return json.Marshal(out)
}

// UnmarshalJSON implements json.Unmarshaler.
func (t *Batch) UnmarshalJSON(data []byte) error {
	var in batchJSON
	if err := json.Unmarshal(data, &in); err != nil {
		return err
	}
	t.Txns = make([]Transaction, len(in.Txns))
	for i, e := range in.Txns {
		empty, ok := kinds[e.Kind]
		if !ok {
			return fmt.Errorf("%w: %q in a batch", ErrUnknownKind, e.Kind)
		}
		x := empty()
		if err := json.Unmarshal(e.Body, x); err != nil {
			return err
		}
		t.Txns[i] = x
	}
	return nil
}
