package statestore

import "fmt"

// DeleteFiles forgets files that garbage collection has deleted from the object store.
// Each file must exist and have no references.
type DeleteFiles struct {
	Files []string `json:"files"`
}

var _ Transaction = DeleteFiles{}

func init() { register(DeleteFiles{}.Kind(), func() Transaction { return new(DeleteFiles) }) }

// Kind implements Transaction.
func (DeleteFiles) Kind() string { return "DELETE_FILES" }

// Summary implements Transaction.
func (t DeleteFiles) Summary() string {
	return fmt.Sprintf("delete %s: %s", plural(len(t.Files), "file"), nameList(t.Files))
}

// Validate implements Transaction.
func (t DeleteFiles) Validate(s *State) error {
	if len(t.Files) == 0 {
		return invalid(ErrInvalidTransaction, "no files to delete")
	}
	seen := make(map[string]bool, len(t.Files))
	for _, name := range t.Files {
		if seen[name] {
			return invalid(ErrFileNotFound, "file %s is deleted twice", name)
		}
		seen[name] = true
		if _, ok := s.files[name]; !ok {
			return invalid(ErrFileNotFound, "file %s to delete", name)
		}
		if refs := s.byFile[name]; len(refs) > 0 {
			return invalid(ErrFileReferenced, "file %s is referenced by %s", name, nameList(refs))
		}
	}
	return nil
}

// Apply implements Transaction.
func (t DeleteFiles) Apply(m *mutableState) {
	for _, name := range t.Files {
		m.removeFile(name)
	}
}
