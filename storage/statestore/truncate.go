package statestore

// Truncate removes every file reference of the table (TRUNCATE): its rows are gone from
// this transaction on. The files wait for garbage collection, their File.Updated set to
// the time of this transaction; compaction jobs running on them fail to commit, their
// inputs being no longer referenced.
type Truncate struct{}

var _ Transaction = Truncate{}

func init() { register(Truncate{}.Kind(), func() Transaction { return new(Truncate) }) }

// Kind implements Transaction.
func (Truncate) Kind() string { return "TRUNCATE" }

// Summary implements Transaction.
func (Truncate) Summary() string { return "truncate: remove every file reference" }

// Validate implements Transaction: a table can always be truncated.
func (Truncate) Validate(s *State) error {
	if !s.Initialised() {
		return invalid(ErrInvalidTransaction, "table %s has no partitions", s.table)
	}
	return nil
}

// Apply implements Transaction.
func (Truncate) Apply(m *mutableState) {
	var refs []FileReference
	for _, rs := range m.byPart {
		refs = append(refs, rs...)
	}
	for _, r := range refs {
		m.removeReference(r.File, r.PartitionID)
	}
}
