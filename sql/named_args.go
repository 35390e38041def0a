package sql

import (
	"fmt"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/sleeperd/sleeperd/errs"
)

// namedParams are the parameter names of the built-in functions that take arguments by name
// (name => value or name := value), from pg_proc's proargnames, with the defaults of the
// trailing parameters that have them (proargdefaults).
var namedParams = map[string]struct {
	names    []string
	defaults []func() *pg_query.Node
}{
	"make_interval": {names: []string{"years", "months", "weeks", "days", "hours", "mins", "secs"},
		defaults: []func() *pg_query.Node{intZero, intZero, intZero, intZero, intZero, intZero, floatZero}},
	"make_date":        {names: []string{"year", "month", "day"}},
	"make_time":        {names: []string{"hour", "min", "sec"}},
	"make_timestamp":   {names: []string{"year", "month", "mday", "hour", "min", "sec"}},
	"make_timestamptz": {names: []string{"year", "month", "mday", "hour", "min", "sec", "timezone"}},
}

func intZero() *pg_query.Node { return pg_query.MakeAConstIntNode(0, -1) }

func floatZero() *pg_query.Node {
	return &pg_query.Node{Node: &pg_query.Node_AConst{AConst: &pg_query.A_Const{Val: &pg_query.A_Const_Fval{Fval: &pg_query.Float{Fval: "0.0"}}}}}
}

// namedArgs rewrites a call with arguments given by name as the positional call PostgreSQL
// resolves it to: each named argument at its parameter's position, the parameters between
// given by their defaults. A name the function does not have, or a parameter given twice or
// left without a value, matches no function (42883); a name used twice is 42601.
func namedArgs(name string, fc *pg_query.FuncCall) (*pg_query.FuncCall, error) {
	named := false
	for _, a := range fc.Args {
		if a.GetNamedArgExpr() != nil {
			named = true
		} else if named {
			return nil, &errs.Error{Kind: errs.Syntax, Msg: "positional argument cannot follow named argument", Position: int(fc.Location) + 1}
		}
	}
	if !named {
		return fc, nil
	}
	pos := int(fc.Location) + 1
	params, ok := namedParams[name]
	undefined := func() error {
		var sig []string
		for _, a := range fc.Args {
			if na := a.GetNamedArgExpr(); na != nil {
				sig = append(sig, na.Name+" => ...")
			} else {
				sig = append(sig, "...")
			}
		}
		return &errs.Error{Kind: errs.UndefinedFunction, Msg: fmt.Sprintf("function %s(%s) does not exist", name, strings.Join(sig, ", ")), Position: pos}
	}
	if !ok {
		return nil, undefined()
	}
	args := make([]*pg_query.Node, len(params.names))
	seen := map[string]bool{}
	last := -1
	for i, a := range fc.Args {
		na := a.GetNamedArgExpr()
		if na == nil {
			args[i], last = a, max(last, i)
			continue
		}
		if seen[na.Name] {
			return nil, &errs.Error{Kind: errs.Syntax, Msg: fmt.Sprintf("argument name %q used more than once", na.Name), Position: int(na.Location) + 1}
		}
		seen[na.Name] = true
		j := -1
		for k, n := range params.names {
			if n == na.Name {
				j = k
			}
		}
		if j < 0 || args[j] != nil {
			return nil, undefined()
		}
		args[j], last = na.Arg, max(last, j)
	}
	firstDefault := len(params.names) - len(params.defaults)
	for i := 0; i <= last; i++ {
		if args[i] != nil {
			continue
		}
		if i < firstDefault {
			return nil, undefined()
		}
		args[i] = params.defaults[i-firstDefault]()
	}
	if last+1 < firstDefault {
		return nil, undefined()
	}
	return &pg_query.FuncCall{Funcname: fc.Funcname, Args: args[:last+1], AggOrder: fc.AggOrder, AggFilter: fc.AggFilter,
		Over: fc.Over, AggWithinGroup: fc.AggWithinGroup, AggStar: fc.AggStar, AggDistinct: fc.AggDistinct,
		FuncVariadic: fc.FuncVariadic, Funcformat: fc.Funcformat, Location: fc.Location}, nil
}
