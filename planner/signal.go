package planner

import "github.com/apache/arrow-go/v18/arrow"

// SignalBackend is SELECT pg_cancel_backend(pid) or SELECT pg_terminate_backend(pid): cancel
// the statement another session runs, or also end that session.
type SignalBackend struct {
	Func string // pg_cancel_backend or pg_terminate_backend
	// PID is the session's process ID, or, when Param is true, taken from $1.
	PID   int64
	Param bool
}

func (s *SignalBackend) Params() []arrow.DataType {
	if s.Param {
		return []arrow.DataType{arrow.PrimitiveTypes.Int32}
	}
	return nil
}

func (*SignalBackend) statement() {}
