package statestore

import (
	"errors"
	"fmt"

	"github.com/sleeperd/sleeperd/errs"
)

// Errors of the state store, tested with errors.Is. Every reason a transaction is rejected
// wraps ErrInvalidTransaction, so callers can tell "this change does not apply" from IO
// failures; the finer sentinels say why.
var (
	// ErrTableNotFound: the table has no transaction log.
	ErrTableNotFound = errors.New("table not found")
	// ErrTableExists: Create found the table's first log entry taken.
	ErrTableExists = errors.New("table already exists")
	// ErrInvalidTable: the table ID cannot name a table.
	ErrInvalidTable = errors.New("invalid table ID")
	// ErrConflict: a commit lost the race for the next log entry on every attempt. It is
	// also an errs.Conflict.
	ErrConflict = fmt.Errorf("state store commit: %w", errs.Conflict)
	// ErrUnknownOutcome: a commit wrote its log entry, but the log was trimmed past the
	// entry before it meanwhile, so the store cannot tell whether the entry took a number
	// another writer had used and trimmed; it deleted the entry again. The transaction may
	// or may not have been applied: re-read the state to find out. It is also an
	// errs.Conflict. Only a writer stalled for about Options.KeepBehindSnapshot commits of
	// others meets it.
	ErrUnknownOutcome = fmt.Errorf("state store commit outcome unknown: %w", errs.Conflict)
	// ErrUnknownKind: a log entry holds a kind of transaction this build does not know.
	ErrUnknownKind = errors.New("unknown transaction kind")
	// ErrCorrupt: a log entry or snapshot cannot be decoded.
	ErrCorrupt = errors.New("corrupt state store object")

	// ErrInvalidTransaction: the transaction does not apply to the state it was validated
	// against.
	ErrInvalidTransaction = errors.New("invalid transaction")
	// ErrAlreadyInitialised: the table already has a partition tree.
	ErrAlreadyInitialised = fmt.Errorf("%w: table already initialised", ErrInvalidTransaction)
	// ErrNotInitialised: the table has no partition tree yet.
	ErrNotInitialised = fmt.Errorf("%w: table not initialised", ErrInvalidTransaction)
	// ErrPartitionNotFound: a referenced partition does not exist.
	ErrPartitionNotFound = fmt.Errorf("%w: partition not found", ErrInvalidTransaction)
	// ErrFileExists: a file being added already exists.
	ErrFileExists = fmt.Errorf("%w: file already exists", ErrInvalidTransaction)
	// ErrFileNotFound: a file named by the transaction does not exist.
	ErrFileNotFound = fmt.Errorf("%w: file not found", ErrInvalidTransaction)
	// ErrBadReferences: a file's references do not match its key range or row count, or
	// overlap each other.
	ErrBadReferences = fmt.Errorf("%w: bad file references", ErrInvalidTransaction)
	// ErrReferenceNotFound: a file is not referenced by the partition the transaction names.
	ErrReferenceNotFound = fmt.Errorf("%w: file reference not found", ErrInvalidTransaction)
	// ErrAssigned: a reference is assigned to a compaction job already, or a job ID is in use.
	ErrAssigned = fmt.Errorf("%w: assigned to a job", ErrInvalidTransaction)
	// ErrNotAssigned: a reference is not assigned to the job that claims it.
	ErrNotAssigned = fmt.Errorf("%w: not assigned to the job", ErrInvalidTransaction)
	// ErrNotLeaf: a partition to split has children already, or a reference to push down
	// is in a leaf.
	ErrNotLeaf = fmt.Errorf("%w: wrong kind of partition", ErrInvalidTransaction)
	// ErrPartitionExists: a partition being created already exists.
	ErrPartitionExists = fmt.Errorf("%w: partition already exists", ErrInvalidTransaction)
	// ErrBadSplit: a split key is not strictly inside the range of the partition it splits.
	ErrBadSplit = fmt.Errorf("%w: bad split key", ErrInvalidTransaction)
	// ErrFileReferenced: a file being deleted is still referenced by a partition.
	ErrFileReferenced = fmt.Errorf("%w: file still referenced", ErrInvalidTransaction)
	// ErrDeleteExists: a delete predicate being added has the ID of an active one.
	ErrDeleteExists = fmt.Errorf("%w: delete predicate already exists", ErrInvalidTransaction)
	// ErrDeleteNotFound: a delete predicate being retired is not active.
	ErrDeleteNotFound = fmt.Errorf("%w: delete predicate not found", ErrInvalidTransaction)
	// ErrDeleteInUse: a delete predicate being retired may still match rows of a referenced
	// file.
	ErrDeleteInUse = fmt.Errorf("%w: delete predicate still in use", ErrInvalidTransaction)
	// ErrRowsChanged: UnchangedSince found rows added or deleted after the state it names.
	ErrRowsChanged = fmt.Errorf("%w: rows changed since the state read", ErrInvalidTransaction)
	// ErrColumnRetired: AddFiles (or AddDeletePredicate) names a stored column name RetireColumns retired
	// (the column's type changed after the write read the table's schema). It is also an
	// errs.Conflict: the write fails with 40001 and a retry reads the new schema.
	ErrColumnRetired = errs.Wrap(errs.Conflict, ErrInvalidTransaction, "could not serialize access: the table's columns changed while the write ran; try again")
)

// invalid returns an error of kind ErrInvalidTransaction (or a finer sentinel wrapping it).
func invalid(kind error, format string, args ...any) error {
	return fmt.Errorf("%w: %s", kind, fmt.Sprintf(format, args...))
}
