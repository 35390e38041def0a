package engine

import (
	"fmt"
	"runtime/debug"
	"sync/atomic"

	"github.com/sleeperd/sleeperd/errs"
)

// Panic policy: a panic never ends the process. Every entry point of the engine API and
// every background goroutine recovers; a statement's panic fails that statement with an
// internal error (XX000), a background job's panic fails that job, and the stack is logged.

// testPanic, when set by a test, is called at each named site (see panicSite) and may panic
// there once, to show that the panic is contained.
var testPanic atomic.Pointer[func(site string)]

// panicSite runs the test hook for site, if one is set.
func panicSite(site string) {
	if f := testPanic.Load(); f != nil {
		(*f)(site)
	}
}

// panicError turns a recovered panic at site into an error, logging its stack unless it is
// an error of a kind the engine raises on purpose (a query over its memory limit panics with
// an OutOfMemory error from inside an allocator).
func (e *Engine) panicError(site string, p any) error {
	err := errs.FromPanic(p)
	if errs.KindOf(err) == errs.Internal {
		e.log.Error("panic", "site", site, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
	}
	return err
}

// recoverTo, deferred by an entry point, turns a panic into the entry point's error *err.
func (e *Engine) recoverTo(site string, err *error) {
	if p := recover(); p != nil {
		*err = e.panicError(site, p)
	}
}
