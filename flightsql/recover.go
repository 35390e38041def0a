package flightsql

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync/atomic"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// testPanic, when set by a test, is called at each named site (see panicSite) and may panic
// there, to show that the panic is contained.
var testPanic atomic.Pointer[func(site string)]

// panicSite runs the test hook for site, if one is set.
func panicSite(site string) {
	if f := testPanic.Load(); f != nil {
		(*f)(site)
	}
}

// panicStatus logs a panic recovered while serving method, with its stack, and returns the
// status the call fails with.
func panicStatus(log *slog.Logger, method string, p any) error {
	log.Error("panic serving call", "method", method, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
	return status.Errorf(codes.Internal, "internal error: %v", p)
}

// recoverUnary fails a unary call whose handler panics with Internal instead of ending the
// process.
func recoverUnary(log *slog.Logger) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (resp any, err error) {
		defer func() {
			if p := recover(); p != nil {
				resp, err = nil, panicStatus(log, info.FullMethod, p)
			}
		}()
		return handler(ctx, req)
	}
}

// recoverStream fails a streaming call whose handler panics with Internal instead of ending
// the process.
func recoverStream(log *slog.Logger) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) (err error) {
		defer func() {
			if p := recover(); p != nil {
				err = panicStatus(log, info.FullMethod, p)
			}
		}()
		return handler(srv, ss)
	}
}
