package sql

import (
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/planner"
	"github.com/sleeperd/sleeperd/types"
)

// likeEscape binds the pattern of x LIKE p ESCAPE e, which the parser gives as
// like_escape(p, e), as a pattern in the default form, where a backslash escapes the next
// character. An empty escape means none. The escape must be a constant, and so
// must the pattern unless the escape is a backslash or empty.
func (b *binder) likeEscape(fc *pg_query.FuncCall, sc *scope, agg *aggContext) (planner.Expr, error) {
	if len(fc.Args) != 2 {
		return nil, errs.New(errs.UndefinedFunction, "function like_escape with %d arguments does not exist", len(fc.Args))
	}
	p, err := b.expr(fc.Args[0], sc, agg)
	if err != nil {
		return nil, err
	}
	e, err := b.expr(fc.Args[1], sc, agg)
	if err != nil {
		return nil, err
	}
	if !textLike(p.Type()) || !textLike(e.Type()) {
		return nil, errs.New(errs.UndefinedFunction, "function like_escape(%s, %s) does not exist", types.Name(p.Type()), types.Name(e.Type()))
	}
	el, ok := e.(*planner.Literal)
	if !ok {
		return nil, errs.New(errs.NotImplemented, "ESCAPE must be a constant")
	}
	if el.Value == nil {
		return &planner.Literal{Typ: types.Text}, nil // like_escape is strict
	}
	esc, _ := el.Value.(string)
	if n := len([]rune(esc)); n > 1 {
		return nil, errs.New(errs.InvalidEscape, "invalid escape string")
	}
	if pl, ok := p.(*planner.Literal); ok {
		if s, ok := pl.Value.(string); ok {
			return textLit(likePattern(s, esc)), nil
		}
		if pl.Value == nil {
			return &planner.Literal{Typ: types.Text}, nil
		}
	}
	p = b.coerce(bpcharText(p), types.Text)
	if esc != `\` {
		if esc == "" {
			// Without an escape character, a backslash is an ordinary character.
			return &planner.Func{Name: "replace", Args: []planner.Expr{p, textLit(`\`), textLit(`\\`)}, Typ: types.Text}, nil
		}
		return nil, errs.New(errs.NotImplemented, "ESCAPE with a pattern that is not a constant is not supported yet")
	}
	return p, nil
}

// likePattern rewrites pattern, whose escape character is esc ("" for none), into the
// default form with a backslash as the escape. A pattern ending in its escape character
// still ends in one, so that matching reports it.
func likePattern(pattern, esc string) string {
	if esc == `\` {
		return pattern
	}
	var out strings.Builder
	e := []rune(esc)
	r := []rune(pattern)
	for i := 0; i < len(r); i++ {
		c := r[i]
		switch {
		case len(e) == 1 && c == e[0]:
			if i+1 == len(r) {
				out.WriteByte('\\')
				continue
			}
			i++
			out.WriteByte('\\')
			out.WriteRune(r[i])
		case c == '\\':
			out.WriteString(`\\`)
		default:
			out.WriteRune(c)
		}
	}
	return out.String()
}

func textLit(s string) planner.Expr { return &planner.Literal{Value: s, Typ: types.Text} }
