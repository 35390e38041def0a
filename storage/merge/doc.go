// Package merge reads sorted table files, merges sorted Arrow batch streams and applies the
// iterator stack (delete predicates, last-write-wins or aggregation, tombstone removal,
// age-off) shared by the table scan and by compaction.
package merge

import "errors"

// Hidden column names. Files written by compaction carry VersionColumn; tombstones written to
// PRIMARY KEY tables carry DeletedColumn = true.
const (
	// VersionColumn is the int64 column holding the number of the transaction that committed
	// each row.
	VersionColumn = "_version"
	// DeletedColumn is the bool column marking tombstones.
	DeletedColumn = "_deleted"
)

// Errors returned by this package, wrapped with context.
var (
	// ErrInvalidSpec: a ReadSpec, Spec or Options is inconsistent (an index out of range, a
	// column of the wrong type, aggregation together with last-write-wins).
	ErrInvalidSpec = errors.New("invalid merge spec")
	// ErrFileMismatch: a file's columns do not match the table's (a missing column, another
	// type, a NULL version).
	ErrFileMismatch = errors.New("file does not match the table")
	// ErrClosed: Next was called on a closed stream.
	ErrClosed = errors.New("stream is closed")
)
