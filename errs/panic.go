package errs

import (
	"errors"
	"runtime/debug"
)

// FromPanic turns a recovered panic value into an error: an error value keeps its kind (a
// query over its memory limit panics with an OutOfMemory error from inside an allocator, which
// cannot return one), anything else is an internal error.
func FromPanic(p any) error {
	if err, ok := p.(error); ok {
		if KindOf(err) != Internal {
			return err
		}
		return Wrap(Internal, err, "internal error: %v", err)
	}
	return New(Internal, "internal error: %v", p)
}

// PanicError is the error a goroutine that cannot log makes of a recovered panic: an internal
// error whose stack is kept for whoever logs it.
type PanicError struct {
	Err   error  // as FromPanic makes it
	Stack []byte // the panicking goroutine's stack
}

func (e *PanicError) Error() string { return e.Err.Error() }
func (e *PanicError) Unwrap() error { return e.Err }

// Recovered is FromPanic for a goroutine that hands the error on: call it in the deferred
// function that recovered p, so the stack is the panic's. Errors of a kind raised on purpose
// (OutOfMemory) pass through without a stack.
func Recovered(p any) error {
	err := FromPanic(p)
	if KindOf(err) != Internal {
		return err
	}
	return &PanicError{Err: err, Stack: debug.Stack()}
}

// StackOf returns the stack of the panic err was made from by Recovered, or nil.
func StackOf(err error) []byte {
	var pe *PanicError
	if errors.As(err, &pe) {
		return pe.Stack
	}
	return nil
}
