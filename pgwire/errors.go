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
	r.Code = errs.SQLState(err)
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
