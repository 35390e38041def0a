package pgwire

import (
	"errors"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/sleeperd/sleeperd/errs"
)

// pgError is an error raised by the protocol layer itself, with its SQLSTATE.
type pgError struct {
	code string
	msg  string
}

func (e *pgError) Error() string { return e.msg }

// shifted is an error whose Position, counted in a statement, is offset characters further on
// in the query text the client sent, which held more than that statement.
type shifted struct {
	error
	offset int
}

func (e *shifted) Unwrap() error { return e.error }

func shift(err error, offset int) error {
	if offset == 0 {
		return err
	}
	return &shifted{err, offset}
}

// sqlstates maps error kinds to SQLSTATE codes. Kinds not listed are internal errors.
var sqlstates = map[error]string{
	errs.Syntax:                "42601",
	errs.UndefinedTable:        "42P01",
	errs.UndefinedColumn:       "42703",
	errs.UndefinedFunction:     "42883",
	errs.AmbiguousFunction:     "42725",
	errs.IndeterminateType:     "42P18",
	errs.UndefinedParam:        "42P02",
	errs.UndefinedObject:       "42704",
	errs.InvalidSchemaName:     "3F000",
	errs.DuplicateTable:        "42P07",
	errs.DuplicateColumn:       "42701",
	errs.AmbiguousColumn:       "42702",
	errs.InvalidColumnRef:      "42P10",
	errs.Grouping:              "42803",
	errs.CannotCoerce:          "42846",
	errs.WrongObjectType:       "42809",
	errs.DatatypeMismatch:      "42804",
	errs.InvalidDefinition:     "42P16",
	errs.InvalidParameter:      "22023",
	errs.CantChange:            "55P02",
	errs.ObjectState:           "55000",
	errs.InvalidRowCount:       "2201W",
	errs.InvalidOffset:         "2201X",
	errs.DivisionByZero:        "22012",
	errs.NumericRange:          "22003",
	errs.InvalidText:           "22P02",
	errs.DatetimeOverflow:      "22008",
	errs.InvalidDatetime:       "22007",
	errs.DataException:         "22000",
	errs.StringTooLong:         "22001",
	errs.TooManyRows:           "21000",
	errs.NullNotAllowed:        "22004",
	errs.NtileArgument:         "22014",
	errs.NthValueArgument:      "22016",
	errs.InvalidEscape:         "22025",
	errs.InvalidLogArgument:    "2201E",
	errs.InvalidPowerArgument:  "2201F",
	errs.InvalidRegex:          "2201B",
	errs.InvalidWidthBucket:    "2201G",
	errs.InvalidFrameOffset:    "22013",
	errs.NotNullViolation:      "23502",
	errs.UniqueViolation:       "23505",
	errs.CheckViolation:        "23514",
	errs.DuplicateObject:       "42710",
	errs.SequenceLimit:         "2200H",
	errs.GeneratedAlways:       "428C9",
	errs.ProtocolViolation:     "08P01",
	errs.NotImplemented:        "0A000",
	errs.ReadOnlyTransaction:   "25006",
	errs.ActiveTransaction:     "25001",
	errs.NoActiveTransaction:   "25P01",
	errs.InFailedTransaction:   "25P02",
	errs.InvalidSavepoint:      "3B001",
	errs.InsufficientPrivilege: "42501",
	errs.BadCopyFormat:         "22P04",
	errs.InvalidName:           "42602",
	errs.IOError:               "58030",
	errs.UndefinedFile:         "58P01",
	errs.InvalidBinary:         "22P03",
	errs.Conflict:              "40001",
	errs.OutOfMemory:           "53200",
	errs.Cancelled:             "57014",
	errs.UndefinedObject:       "42704",
	errs.InvalidSchemaName:     "3F000",
	errs.InvalidColumnRef:      "42P10",
	errs.CannotCoerce:          "42846",
	errs.WrongObjectType:       "42809",
	errs.InvalidRowCount:       "2201W",
	errs.InvalidOffset:         "2201X",
	errs.DatetimeOverflow:      "22008",
	errs.DuplicateAlias:        "42712",
	errs.Windowing:             "42P20",
	errs.DependentObjects:      "2BP01",
	errs.Internal:              "XX000",
}

// errorResponse is the ErrorResponse that reports err to the client.
func errorResponse(err error) *pgproto3.ErrorResponse {
	r := &pgproto3.ErrorResponse{Severity: "ERROR", SeverityUnlocalized: "ERROR", Message: err.Error()}
	var w interface{ Where() string }
	if errors.As(err, &w) {
		r.Where = w.Where()
	}
	var pe *pgError
	if errors.As(err, &pe) {
		r.Code = pe.code
		return r
	}
	kind := errs.KindOf(err)
	r.Code = sqlstates[kind]
	if r.Code == "" {
		r.Code = sqlstates[errs.Internal]
	}
	var e *errs.Error
	if errors.As(err, &e) {
		r.Detail, r.Hint, r.Position = e.Detail, e.Hint, int32(e.Position)
		if e.Where != "" {
			r.Where = e.Where
		}
		var sh *shifted
		if r.Position > 0 && errors.As(err, &sh) {
			r.Position += int32(sh.offset)
		}
	} else if kind == errs.Cancelled {
		r.Message = "canceling statement due to user request"
	}
	return r
}
