package statestore

import (
	"fmt"
	"slices"
)

// RetireDeletePredicates removes active delete predicates that no longer match any row a
// read can see: every file referenced has been written after the delete applied (its
// ClearThrough is at least the delete's Txn). State.RetirableDeletePredicates lists them.
// Each ID must be active, and listed once.
type RetireDeletePredicates struct {
	IDs []string `json:"ids"`
}

var _ Transaction = RetireDeletePredicates{}

func init() {
	register(RetireDeletePredicates{}.Kind(), func() Transaction { return new(RetireDeletePredicates) })
}

// Kind implements Transaction.
func (RetireDeletePredicates) Kind() string { return "RETIRE_DELETE_PREDICATES" }

// Summary implements Transaction.
func (t RetireDeletePredicates) Summary() string {
	return fmt.Sprintf("retire %s: %s", plural(len(t.IDs), "delete predicate"), nameList(t.IDs))
}

// Validate implements Transaction.
func (t RetireDeletePredicates) Validate(s *State) error {
	if len(t.IDs) == 0 {
		return invalid(ErrInvalidTransaction, "no delete predicates to retire")
	}
	for i, id := range t.IDs {
		if slices.Contains(t.IDs[:i], id) {
			return invalid(ErrDeleteNotFound, "delete predicate %s is retired twice", id)
		}
		d, ok := s.DeletePredicate(id)
		if !ok {
			return invalid(ErrDeleteNotFound, "delete predicate %s", id)
		}
		for name := range s.byFile {
			if f, ok := s.files[name]; ok && f.ClearThrough() < d.Txn {
				return invalid(ErrDeleteInUse, "delete predicate %s of txn %d may match rows of file %s", id, d.Txn, smallestUnclear(s, d.Txn))
			}
		}
	}
	return nil
}

// smallestUnclear names, deterministically, the first referenced file by name that a
// delete of txn may still match.
func smallestUnclear(s *State, txn uint64) string {
	for _, f := range s.fileList {
		if len(s.byFile[f.Name]) > 0 && f.ClearThrough() < txn {
			return f.Name
		}
	}
	return ""
}

// Apply implements Transaction.
func (t RetireDeletePredicates) Apply(m *mutableState) { m.retireDeletes(t.IDs) }
