package flightsql

import (
	"context"
	"errors"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/sleeperd/sleeperd/errs"
)

// codeOf maps error kinds to gRPC codes. Kinds not listed are SQL or data errors:
// InvalidArgument.
var codeOf = map[error]codes.Code{
	errs.UndefinedTable:        codes.NotFound,
	errs.InvalidSchemaName:     codes.NotFound,
	errs.UndefinedFile:         codes.NotFound,
	errs.DuplicateTable:        codes.AlreadyExists,
	errs.OutOfMemory:           codes.ResourceExhausted,
	errs.InvalidPassword:       codes.Unauthenticated,
	errs.InsufficientPrivilege: codes.PermissionDenied,
	errs.Cancelled:             codes.Canceled,
	errs.NotImplemented:        codes.Unimplemented,
	errs.Conflict:              codes.Aborted,
	errs.ObjectState:           codes.FailedPrecondition,
	errs.ReadOnlyTransaction:   codes.FailedPrecondition,
	errs.ActiveTransaction:     codes.FailedPrecondition,
	errs.NoActiveTransaction:   codes.FailedPrecondition,
	errs.InFailedTransaction:   codes.FailedPrecondition,
	errs.InvalidSavepoint:      codes.InvalidArgument,
	errs.Internal:              codes.Internal,
}

// toStatus turns an engine error into a gRPC status error. Errors that already are status
// errors pass through; nil stays nil.
func toStatus(err error) error {
	if err == nil {
		return nil
	}
	var e *errs.Error
	if !errors.As(err, &e) {
		if _, ok := status.FromError(err); ok {
			return err
		}
		if errors.Is(err, context.DeadlineExceeded) {
			return status.Error(codes.DeadlineExceeded, err.Error())
		}
	}
	kind := errs.KindOf(err)
	code, ok := codeOf[kind]
	if !ok {
		code = codes.InvalidArgument
	}
	msg := err.Error()
	if kind == errs.Cancelled && e == nil {
		msg = "canceling statement due to user request"
	}
	return status.Error(code, msg)
}
