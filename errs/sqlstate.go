package errs

import "errors"

// sqlstates maps error kinds to SQLSTATE codes. Kinds not listed are internal errors.
var sqlstates = map[error]string{
	Syntax:                   "42601",
	UndefinedTable:           "42P01",
	UndefinedColumn:          "42703",
	UndefinedFunction:        "42883",
	AmbiguousFunction:        "42725",
	IndeterminateType:        "42P18",
	UndefinedParam:           "42P02",
	UndefinedObject:          "42704",
	InvalidSchemaName:        "3F000",
	DuplicateTable:           "42P07",
	DuplicateColumn:          "42701",
	AmbiguousColumn:          "42702",
	InvalidColumnRef:         "42P10",
	Grouping:                 "42803",
	CannotCoerce:             "42846",
	WrongObjectType:          "42809",
	DatatypeMismatch:         "42804",
	InvalidDefinition:        "42P16",
	InvalidParameter:         "22023",
	TooManyArguments:         "54023",
	CantChange:               "55P02",
	ObjectState:              "55000",
	InvalidRowCount:          "2201W",
	InvalidOffset:            "2201X",
	DivisionByZero:           "22012",
	NumericRange:             "22003",
	InvalidText:              "22P02",
	DatetimeOverflow:         "22008",
	InvalidDatetime:          "22007",
	DataException:            "22000",
	StringTooLong:            "22001",
	TooManyRows:              "21000",
	NullNotAllowed:           "22004",
	NtileArgument:            "22014",
	NthValueArgument:         "22016",
	InvalidEscape:            "22025",
	InvalidLogArgument:       "2201E",
	InvalidPowerArgument:     "2201F",
	NotNullViolation:         "23502",
	UniqueViolation:          "23505",
	CheckViolation:           "23514",
	DuplicateObject:          "42710",
	SequenceLimit:            "2200H",
	GeneratedAlways:          "428C9",
	ProtocolViolation:        "08P01",
	NotImplemented:           "0A000",
	ReadOnlyTransaction:      "25006",
	ActiveTransaction:        "25001",
	NoActiveTransaction:      "25P01",
	InFailedTransaction:      "25P02",
	InvalidSavepoint:         "3B001",
	InsufficientPrivilege:    "42501",
	InvalidPassword:          "28P01",
	InvalidAuthorization:     "28000",
	TooManyConnections:       "53300",
	IdleInTransactionTimeout: "25P03",
	ReservedName:             "42939",
	InvalidGrantOperation:    "0LP01",
	BadCopyFormat:            "22P04",
	InvalidName:              "42602",
	IOError:                  "58030",
	UndefinedFile:            "58P01",
	InvalidBinary:            "22P03",
	Conflict:                 "40001",
	OutOfMemory:              "53200",
	Cancelled:                "57014",
	DuplicateAlias:           "42712",
	Windowing:                "42P20",
	DependentObjects:         "2BP01",
	DuplicatePrepared:        "42P05",
	InvalidStatementName:     "26000",
	InvalidRecursion:         "42P19",
	InvalidRegex:             "2201B",
	InvalidWidthBucket:       "2201G",
	InvalidFrameOffset:       "22013",
	Internal:                 "XX000",

	InvalidTimeZoneDisplacement: "22009",
}

// SQLState is the SQLSTATE of err: that of its kind (KindOf), XX000 for kinds without one.
// An error in the chain with a method SQLState() string (a frontend's own) gives its code.
func SQLState(err error) string {
	var own interface{ SQLState() string }
	if errors.As(err, &own) {
		return own.SQLState()
	}
	if code, ok := sqlstates[KindOf(err)]; ok {
		return code
	}
	return sqlstates[Internal]
}
