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
)

// invalid returns an error of kind ErrInvalidTransaction (or a finer sentinel wrapping it).
func invalid(kind error, format string, args ...any) error {
	return fmt.Errorf("%w: %s", kind, fmt.Sprintf(format, args...))
}
