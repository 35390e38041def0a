package statestore

import "fmt"

// AddDeletePredicate adds an active delete predicate: from this transaction on, reads drop
// every row whose version is below this transaction's number and that Predicate matches.
// Predicate is opaque to the store (the engine stores SQL text); it must not be empty. ID
// must not be the ID of an active delete predicate.
//
// Columns, when set, are the stored names of the columns of the schema the predicate was made
// under (it tests values in their types then): the transaction is refused
// (ErrColumnRetired) if one of them is retired (RetireColumns), as an AddFiles is.
type AddDeletePredicate struct {
	ID        string   `json:"id"`
	Predicate []byte   `json:"predicate"`
	Columns   []string `json:"columns,omitempty"`
}

var _ Transaction = AddDeletePredicate{}

func init() {
	register(AddDeletePredicate{}.Kind(), func() Transaction { return new(AddDeletePredicate) })
}

// maxSummaryPredicate is how many bytes of a predicate a Summary shows.
const maxSummaryPredicate = 200

// Kind implements Transaction.
func (AddDeletePredicate) Kind() string { return "ADD_DELETE_PREDICATE" }

// Summary implements Transaction.
func (t AddDeletePredicate) Summary() string {
	p := string(t.Predicate)
	if len(p) > maxSummaryPredicate {
		p = p[:maxSummaryPredicate] + "..."
	}
	return fmt.Sprintf("add delete predicate %s: %q", t.ID, p)
}

// Validate implements Transaction.
func (t AddDeletePredicate) Validate(s *State) error {
	if !s.Initialised() {
		return invalid(ErrNotInitialised, "adding a delete predicate to table %s", s.Table())
	}
	switch {
	case t.ID == "":
		return invalid(ErrInvalidTransaction, "delete predicate without an ID")
	case len(t.Predicate) == 0:
		return invalid(ErrInvalidTransaction, "delete predicate %s is empty", t.ID)
	}
	if _, ok := s.DeletePredicate(t.ID); ok {
		return invalid(ErrDeleteExists, "delete predicate %s", t.ID)
	}
	return refuseRetired(s, t.Columns)
}

// Apply implements Transaction.
func (t AddDeletePredicate) Apply(m *mutableState) {
	m.addDelete(DeletePredicate{ID: t.ID, Txn: m.txn, Predicate: append([]byte(nil), t.Predicate...)})
}
