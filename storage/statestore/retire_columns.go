package statestore

import "fmt"

// RetireColumns retires stored column names: from this transaction on, an AddFiles whose
// Columns name one of them is refused with ErrColumnRetired. A change of a column's type that
// gives the column a new stored name commits it, for the former name, before it checks the
// values already stored: every file it does not see was written under the new schema, or
// is refused. With Revive it takes the names back (the change failed and the table keeps
// the names). Names already retired (or, with Revive, not retired) are left as they are.
type RetireColumns struct {
	Names  []string `json:"names"`
	Revive bool     `json:"revive,omitempty"`
}

var _ Transaction = RetireColumns{}

func init() { register(RetireColumns{}.Kind(), func() Transaction { return new(RetireColumns) }) }

// Kind implements Transaction.
func (RetireColumns) Kind() string { return "RETIRE_COLUMNS" }

// Summary implements Transaction.
func (t RetireColumns) Summary() string {
	verb := "retire"
	if t.Revive {
		verb = "revive"
	}
	return fmt.Sprintf("%s stored %s: %s", verb, plural(len(t.Names), "column"), nameList(t.Names))
}

// Validate implements Transaction.
func (t RetireColumns) Validate(s *State) error {
	if !s.Initialised() {
		return invalid(ErrNotInitialised, "retiring columns of table %s", s.Table())
	}
	if len(t.Names) == 0 {
		return invalid(ErrInvalidTransaction, "no columns to retire")
	}
	for _, n := range t.Names {
		if n == "" {
			return invalid(ErrInvalidTransaction, "empty column name")
		}
	}
	return nil
}

// Apply implements Transaction.
func (t RetireColumns) Apply(m *mutableState) { m.retireColumns(t.Names, t.Revive) }
