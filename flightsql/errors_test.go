package flightsql

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/sleeperd/sleeperd/errs"
)

func TestToStatus(t *testing.T) {
	for _, tc := range []struct {
		err  error
		code codes.Code
		msg  string
	}{
		{errs.New(errs.Syntax, "syntax error at or near \"SELEC\""), codes.InvalidArgument, "syntax error at or near \"SELEC\""},
		{errs.New(errs.DivisionByZero, "division by zero"), codes.InvalidArgument, "division by zero"},
		{errs.New(errs.UndefinedTable, "relation \"t\" does not exist"), codes.NotFound, "relation \"t\" does not exist"},
		{fmt.Errorf("planning: %w", errs.New(errs.UndefinedTable, "relation \"t\" does not exist")), codes.NotFound, "planning: relation \"t\" does not exist"},
		{errs.New(errs.InvalidSchemaName, "schema \"x\" does not exist"), codes.NotFound, "schema \"x\" does not exist"},
		{errs.New(errs.DuplicateTable, "relation \"t\" already exists"), codes.AlreadyExists, "relation \"t\" already exists"},
		{errs.New(errs.OutOfMemory, "out of memory"), codes.ResourceExhausted, "out of memory"},
		{errs.New(errs.NotImplemented, "no"), codes.Unimplemented, "no"},
		{errs.New(errs.Conflict, "conflict"), codes.Aborted, "conflict"},
		{errs.New(errs.Internal, "bug"), codes.Internal, "bug"},
		{context.Canceled, codes.Canceled, "canceling statement due to user request"},
		{context.DeadlineExceeded, codes.DeadlineExceeded, "context deadline exceeded"},
		{status.Error(codes.Unauthenticated, "who"), codes.Unauthenticated, "who"},
		{errors.New("plain"), codes.Internal, "plain"},
	} {
		got := status.Convert(toStatus(tc.err))
		if got.Code() != tc.code || got.Message() != tc.msg {
			t.Errorf("%v: %s %q, want %s %q", tc.err, got.Code(), got.Message(), tc.code, tc.msg)
		}
	}
	if toStatus(nil) != nil {
		t.Error("toStatus(nil) is not nil")
	}
}

func TestLikePattern(t *testing.T) {
	for _, tc := range []struct {
		pattern, s string
		want       bool
	}{
		{"p%", "public", true},
		{"p%", "sleeper", false},
		{"_ublic", "public", true},
		{"a\\_b", "a_b", true},
		{"a\\_b", "axb", false},
		{"a.b", "axb", false},
		{"%", "", true},
	} {
		m, err := likePattern(&tc.pattern)
		if err != nil {
			t.Fatal(err)
		}
		if m(tc.s) != tc.want {
			t.Errorf("%q LIKE %q = %v, want %v", tc.s, tc.pattern, !tc.want, tc.want)
		}
	}
}
