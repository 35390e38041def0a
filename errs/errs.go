// Package errs defines the kinds of error a statement can fail with, shared by every layer.
//
// Lower layers wrap one of the sentinel kinds below with New or Wrap; frontends map kinds to
// their protocol's codes (SQLSTATE in pgwire, gRPC codes in flightsql) with errors.Is. Nothing
// below the frontends knows about any protocol.
package errs

import (
	"context"
	"errors"
	"fmt"
)

// Error kinds. Each is a sentinel for errors.Is; the comment gives the SQLSTATE pgwire sends.
var (
	Syntax                = errors.New("syntax error")                        // 42601
	UndefinedTable        = errors.New("undefined table")                     // 42P01
	UndefinedColumn       = errors.New("undefined column")                    // 42703
	UndefinedFunction     = errors.New("undefined function")                  // 42883
	AmbiguousFunction     = errors.New("ambiguous function")                  // 42725
	IndeterminateType     = errors.New("indeterminate datatype")              // 42P18
	UndefinedParam        = errors.New("undefined parameter")                 // 42P02
	UndefinedObject       = errors.New("undefined object")                    // 42704
	InvalidSchemaName     = errors.New("invalid schema name")                 // 3F000
	InvalidName           = errors.New("invalid name")                        // 42602
	DuplicateTable        = errors.New("duplicate table")                     // 42P07
	DuplicateAlias        = errors.New("duplicate alias")                     // 42712
	DuplicateColumn       = errors.New("duplicate column")                    // 42701
	AmbiguousColumn       = errors.New("ambiguous column")                    // 42702
	InvalidColumnRef      = errors.New("invalid column reference")            // 42P10
	Windowing             = errors.New("windowing error")                     // 42P20
	DependentObjects      = errors.New("dependent objects still exist")       // 2BP01
	Grouping              = errors.New("grouping error")                      // 42803
	CannotCoerce          = errors.New("cannot coerce")                       // 42846
	WrongObjectType       = errors.New("wrong object type")                   // 42809
	DatatypeMismatch      = errors.New("datatype mismatch")                   // 42804
	InvalidDefinition     = errors.New("invalid table definition")            // 42P16
	InvalidParameter      = errors.New("invalid parameter value")             // 22023
	TooManyArguments      = errors.New("too many arguments")                  // 54023
	CantChange            = errors.New("cannot change runtime parameter")     // 55P02
	ObjectState           = errors.New("object not in prerequisite state")    // 55000
	InvalidRowCount       = errors.New("invalid row count")                   // 2201W
	InvalidOffset         = errors.New("invalid offset")                      // 2201X
	DivisionByZero        = errors.New("division by zero")                    // 22012
	NumericRange          = errors.New("numeric value out of range")          // 22003
	InvalidText           = errors.New("invalid input syntax")                // 22P02
	DatetimeOverflow      = errors.New("datetime field overflow")             // 22008
	InvalidDatetime       = errors.New("invalid datetime format")             // 22007
	DataException         = errors.New("data exception")                      // 22000
	StringTooLong         = errors.New("string data right truncation")        // 22001
	TooManyRows           = errors.New("cardinality violation")               // 21000
	NullNotAllowed        = errors.New("null value not allowed")              // 22004
	NtileArgument         = errors.New("invalid argument for ntile")          // 22014
	NthValueArgument      = errors.New("invalid argument for nth_value")      // 22016
	InvalidEscape         = errors.New("invalid escape sequence")             // 22025
	InvalidLogArgument    = errors.New("invalid argument for logarithm")      // 2201E
	InvalidPowerArgument  = errors.New("invalid argument for power function") // 2201F
	InvalidRegex          = errors.New("invalid regular expression")          // 2201B
	InvalidWidthBucket    = errors.New("invalid argument for width_bucket")   // 2201G
	InvalidFrameOffset    = errors.New("invalid preceding or following size") // 22013
	NotNullViolation      = errors.New("not null violation")                  // 23502
	UniqueViolation       = errors.New("unique violation")                    // 23505
	CheckViolation        = errors.New("check violation")                     // 23514
	DuplicateObject       = errors.New("duplicate object")                    // 42710
	DuplicatePrepared     = errors.New("duplicate prepared statement")        // 42P05
	InvalidStatementName  = errors.New("invalid sql statement name")          // 26000
	InvalidRecursion      = errors.New("invalid recursion")                   // 42P19
	SequenceLimit         = errors.New("sequence generator limit exceeded")   // 2200H
	GeneratedAlways       = errors.New("generated always")                    // 428C9
	ReadOnlyTransaction   = errors.New("read-only sql transaction")           // 25006
	ActiveTransaction     = errors.New("active sql transaction")              // 25001
	NoActiveTransaction   = errors.New("no active sql transaction")           // 25P01
	InFailedTransaction   = errors.New("in failed sql transaction")           // 25P02
	InvalidSavepoint      = errors.New("invalid savepoint specification")     // 3B001
	ProtocolViolation     = errors.New("protocol violation")                  // 08P01
	NotImplemented        = errors.New("feature not supported")               // 0A000
	InsufficientPrivilege = errors.New("insufficient privilege")              // 42501
	BadCopyFormat         = errors.New("bad copy file format")                // 22P04
	InvalidBinary         = errors.New("invalid binary representation")       // 22P03
	Conflict              = errors.New("serialization conflict")              // 40001
	OutOfMemory           = errors.New("out of memory")                       // 53200
	Cancelled             = errors.New("query cancelled")                     // 57014
	IOError               = errors.New("i/o error")                           // 58030
	UndefinedFile         = errors.New("undefined file")                      // 58P01
	Internal              = errors.New("internal error")                      // XX000
	// Authentication and connection limits.
	InvalidPassword          = errors.New("invalid password")                    // 28P01
	InvalidAuthorization     = errors.New("invalid authorization specification") // 28000
	TooManyConnections       = errors.New("too many connections")                // 53300
	IdleInTransactionTimeout = errors.New("idle in transaction session timeout") // 25P03
	ReservedName             = errors.New("reserved name")                       // 42939
	InvalidGrantOperation    = errors.New("invalid grant operation")             // 0LP01
	// Dates and times.
	InvalidTimeZoneDisplacement = errors.New("invalid time zone displacement value") // 22009
)

// Error is an error of a kind with a message for the user.
type Error struct {
	Kind error
	Msg  string
	// Hint and Detail are optional extra lines shown by clients such as psql.
	Hint, Detail string
	// Position is the 1-based character offset in the statement text, or 0.
	Position int
	// Where is the context of the error, such as the line of COPY input that failed.
	Where string
	cause error
}

func (e *Error) Error() string { return e.Msg }

// Is reports whether the error is of kind target.
func (e *Error) Is(target error) bool { return target == e.Kind }

// Unwrap returns the wrapped cause, if any.
func (e *Error) Unwrap() error { return e.cause }

// New returns an error of the given kind with a formatted message.
func New(kind error, format string, args ...any) error {
	return &Error{Kind: kind, Msg: fmt.Sprintf(format, args...)}
}

// Wrap returns an error of the given kind whose message is the formatted text, keeping cause
// for errors.Is and errors.As.
func Wrap(kind error, cause error, format string, args ...any) error {
	return &Error{Kind: kind, Msg: fmt.Sprintf(format, args...), cause: cause}
}

// KindOf returns the kind of err: the kind of the outermost *Error in its chain, Cancelled for
// context errors, and Internal otherwise.
func KindOf(err error) error {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	if errors.Is(err, Cancelled) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return Cancelled
	}
	return Internal
}
