// Package sql parses PostgreSQL-dialect SQL with the real PostgreSQL grammar (pg_query) and
// binds it against the catalog into the planner's logical plans.
package sql

import (
	"errors"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"github.com/pganalyze/pg_query_go/v6/parser"

	"github.com/sleeperd/sleeperd/errs"
)

// Parse parses text holding one or more statements.
func Parse(text string) ([]*pg_query.RawStmt, error) {
	res, err := pg_query.Parse(text)
	if err != nil {
		return nil, syntaxError(err)
	}
	return res.Stmts, nil
}

// Split splits text into the texts of its statements, without their semicolons. Blank
// statements are dropped.
func Split(text string) ([]string, error) {
	stmts, err := Parse(text)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(stmts))
	for _, s := range stmts {
		start := int(s.StmtLocation)
		end := len(text)
		if s.StmtLen > 0 {
			end = start + int(s.StmtLen)
		}
		if t := strings.TrimSpace(text[start:end]); t != "" {
			out = append(out, t)
		}
	}
	return out, nil
}

func syntaxError(err error) error {
	var pe *parser.Error
	if errors.As(err, &pe) {
		if strings.HasPrefix(pe.Message, "role name ") && strings.HasSuffix(pe.Message, " is reserved") {
			// Raised by PostgreSQL's grammar, with its own SQLSTATE.
			return &errs.Error{Kind: errs.ReservedName, Msg: pe.Message, Position: pe.Cursorpos}
		}
		return &errs.Error{Kind: errs.Syntax, Msg: pe.Message, Position: pe.Cursorpos}
	}
	return errs.Wrap(errs.Syntax, err, "%s", err.Error())
}
