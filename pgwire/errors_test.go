package pgwire

import (
	"context"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"strings"
	"testing"

	"github.com/sleeperd/sleeperd/errs"
)

// kinds names the error kinds of package errs.
var kinds = map[string]error{
	"Syntax":                errs.Syntax,
	"UndefinedTable":        errs.UndefinedTable,
	"UndefinedColumn":       errs.UndefinedColumn,
	"UndefinedFunction":     errs.UndefinedFunction,
	"UndefinedParam":        errs.UndefinedParam,
	"UndefinedObject":       errs.UndefinedObject,
	"CantChange":            errs.CantChange,
	"StringTooLong":         errs.StringTooLong,
	"TooManyRows":           errs.TooManyRows,
	"AmbiguousFunction":     errs.AmbiguousFunction,
	"IndeterminateType":     errs.IndeterminateType,
	"NullNotAllowed":        errs.NullNotAllowed,
	"NtileArgument":         errs.NtileArgument,
	"NthValueArgument":      errs.NthValueArgument,
	"InvalidEscape":         errs.InvalidEscape,
	"InvalidLogArgument":    errs.InvalidLogArgument,
	"InvalidPowerArgument":  errs.InvalidPowerArgument,
	"WrongObjectType":       errs.WrongObjectType,
	"InvalidSchemaName":     errs.InvalidSchemaName,
	"DuplicateTable":        errs.DuplicateTable,
	"DuplicateColumn":       errs.DuplicateColumn,
	"DuplicateAlias":        errs.DuplicateAlias,
	"Windowing":             errs.Windowing,
	"DependentObjects":      errs.DependentObjects,
	"AmbiguousColumn":       errs.AmbiguousColumn,
	"InvalidColumnRef":      errs.InvalidColumnRef,
	"Grouping":              errs.Grouping,
	"CannotCoerce":          errs.CannotCoerce,
	"DatatypeMismatch":      errs.DatatypeMismatch,
	"InvalidDefinition":     errs.InvalidDefinition,
	"InvalidParameter":      errs.InvalidParameter,
	"TooManyArguments":      errs.TooManyArguments,
	"InvalidRowCount":       errs.InvalidRowCount,
	"InvalidOffset":         errs.InvalidOffset,
	"DivisionByZero":        errs.DivisionByZero,
	"NumericRange":          errs.NumericRange,
	"InvalidText":           errs.InvalidText,
	"DatetimeOverflow":      errs.DatetimeOverflow,
	"InvalidDatetime":       errs.InvalidDatetime,
	"DataException":         errs.DataException,
	"NotNullViolation":      errs.NotNullViolation,
	"ProtocolViolation":     errs.ProtocolViolation,
	"NotImplemented":        errs.NotImplemented,
	"ReadOnlyTransaction":   errs.ReadOnlyTransaction,
	"ObjectState":           errs.ObjectState,
	"Conflict":              errs.Conflict,
	"UniqueViolation":       errs.UniqueViolation,
	"OutOfMemory":           errs.OutOfMemory,
	"Cancelled":             errs.Cancelled,
	"InsufficientPrivilege": errs.InsufficientPrivilege,
	"BadCopyFormat":         errs.BadCopyFormat,
	"InvalidName":           errs.InvalidName,
	"IOError":               errs.IOError,
	"UndefinedFile":         errs.UndefinedFile,
	"InvalidBinary":         errs.InvalidBinary,
	"Internal":              errs.Internal,
	"CheckViolation":        errs.CheckViolation,
	"DuplicateObject":       errs.DuplicateObject,
	"DuplicatePrepared":     errs.DuplicatePrepared,
	"InvalidStatementName":  errs.InvalidStatementName,
	"InvalidRecursion":      errs.InvalidRecursion,
	"InvalidRegex":          errs.InvalidRegex,
	"InvalidWidthBucket":    errs.InvalidWidthBucket,
	"InvalidFrameOffset":    errs.InvalidFrameOffset,
	"SequenceLimit":         errs.SequenceLimit,
	"GeneratedAlways":       errs.GeneratedAlways,
	"ActiveTransaction":     errs.ActiveTransaction,
	"NoActiveTransaction":   errs.NoActiveTransaction,
	"InFailedTransaction":   errs.InFailedTransaction,
	"InvalidSavepoint":      errs.InvalidSavepoint,

	"InvalidPassword":          errs.InvalidPassword,
	"InvalidAuthorization":     errs.InvalidAuthorization,
	"TooManyConnections":       errs.TooManyConnections,
	"IdleInTransactionTimeout": errs.IdleInTransactionTimeout,
	"ReservedName":             errs.ReservedName,
	"InvalidGrantOperation":    errs.InvalidGrantOperation,

	"InvalidTimeZoneDisplacement": errs.InvalidTimeZoneDisplacement,
}

// TestSQLSTATEsFollowErrs checks that every kind declared in package errs maps to the
// SQLSTATE its declaration's comment names, so a new kind cannot go unmapped.
func TestSQLSTATEsFollowErrs(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "../errs/errs.go", nil, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, decl := range f.Decls {
		gd, ok := decl.(*ast.GenDecl)
		if !ok || gd.Tok != token.VAR {
			continue
		}
		for _, spec := range gd.Specs {
			vs := spec.(*ast.ValueSpec)
			if vs.Comment == nil || len(vs.Names) != 1 {
				continue
			}
			name, want := vs.Names[0].Name, strings.TrimSpace(vs.Comment.Text())
			n++
			kind, ok := kinds[name]
			if !ok {
				t.Errorf("errs.%s (%s) is not mapped to a SQLSTATE", name, want)
				continue
			}
			if got := errorResponse(errs.New(kind, "x")).Code; got != want {
				t.Errorf("errs.%s: SQLSTATE %q, want %q", name, got, want)
			}
		}
	}
	if n != len(kinds) {
		t.Errorf("errs.go declares %d kinds, want %d", n, len(kinds))
	}
}

func TestErrorResponse(t *testing.T) {
	for _, c := range []struct {
		err      error
		code     string
		msg      string
		position int32
		hint     string
	}{
		{&errs.Error{Kind: errs.UndefinedColumn, Msg: `column "x" does not exist`, Position: 8, Hint: "check it"},
			"42703", `column "x" does not exist`, 8, "check it"},
		{fmt.Errorf("planning: %w", errs.New(errs.Grouping, "must appear in GROUP BY")), "42803", "planning: must appear in GROUP BY", 0, ""},
		{shift(&errs.Error{Kind: errs.Syntax, Msg: "syntax error", Position: 3}, 10), "42601", "syntax error", 13, ""},
		{context.Canceled, "57014", "canceling statement due to user request", 0, ""},
		{errors.New("disk on fire"), "XX000", "disk on fire", 0, ""},
		{&pgError{code: "26000", msg: "no such statement"}, "26000", "no such statement", 0, ""},
	} {
		r := errorResponse(c.err)
		if r.Severity != "ERROR" || r.Code != c.code || r.Message != c.msg || r.Position != c.position || r.Hint != c.hint {
			t.Errorf("%v: %s %s %q at %d hint %q", c.err, r.Severity, r.Code, r.Message, r.Position, r.Hint)
		}
	}
}
