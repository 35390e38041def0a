package engine

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/planner"
	"github.com/sleeperd/sleeperd/sql"
	"github.com/sleeperd/sleeperd/types"
)

// SQL-level prepared statements: PREPARE name [(types)] AS statement, EXECUTE name [(args)]
// and DEALLOCATE [PREPARE] { name | ALL }. They belong to the connection, as in PostgreSQL,
// and are listed by pg_prepared_statements.

// preparedSet is a connection's SQL-level prepared statements.
type preparedSet struct {
	mu    sync.Mutex
	stmts map[string]*sqlPrepared
}

// sqlPrepared is one statement of PREPARE.
type sqlPrepared struct {
	name, text string
	at         time.Time
	st         *statement
	runs       int
}

// paramText is the parameter types as PostgreSQL prints a regtype[]: {integer,text}.
func (p *sqlPrepared) paramText() string {
	names := make([]string, len(p.st.params))
	for i, t := range p.st.params {
		if t == nil || types.IsUnknown(t) {
			t = types.Text
		}
		names[i] = types.Name(t)
		if j := strings.IndexByte(names[i], '('); j > 0 {
			names[i] = names[i][:j] // regtype prints no type modifier
		}
		if strings.ContainsAny(names[i], " ,") {
			names[i] = `"` + names[i] + `"`
		}
	}
	return "{" + strings.Join(names, ",") + "}"
}

type preparedKey struct{}

// withPrepared lets pg_prepared_statements see c's prepared statements.
func withPrepared(ctx context.Context, c *conn) context.Context {
	return context.WithValue(ctx, preparedKey{}, c)
}

// preparedFrom lists the prepared statements of the connection running the query, by name.
func preparedFrom(ctx context.Context) []sqlPrepared {
	c, _ := ctx.Value(preparedKey{}).(*conn)
	if c == nil {
		return nil
	}
	c.prepared.mu.Lock()
	defer c.prepared.mu.Unlock()
	var out []sqlPrepared
	for _, p := range c.prepared.stmts {
		out = append(out, *p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// prepareSQL prepares PREPARE, EXECUTE and DEALLOCATE; ok is false for other statements.
func (c *conn) prepareSQL(ctx context.Context, raw *pg_query.RawStmt, text string) (Statement, bool, error) {
	switch {
	case raw.Stmt.GetPrepareStmt() != nil:
		st, err := c.prepareStmt(ctx, raw.Stmt.GetPrepareStmt(), text)
		return st, true, err
	case raw.Stmt.GetExecuteStmt() != nil:
		st, err := c.executeStmt(ctx, raw.Stmt.GetExecuteStmt())
		return st, true, err
	case raw.Stmt.GetDeallocateStmt() != nil:
		d := raw.Stmt.GetDeallocateStmt()
		return &utilityStatement{c: c, run: func(context.Context) (Result, error) { return c.deallocate(d) }}, true, nil
	}
	return nil, false, nil
}

// prepareStmt binds the statement of PREPARE with the declared parameter types; executing
// it keeps the statement under its name.
func (c *conn) prepareStmt(ctx context.Context, ps *pg_query.PrepareStmt, text string) (Statement, error) {
	var paramTypes []arrow.DataType
	for _, a := range ps.Argtypes {
		t, err := sql.ResolveParamType(a.GetTypeName())
		if err != nil {
			return nil, err
		}
		paramTypes = append(paramTypes, t)
	}
	cat, err := c.e.cat.Current(ctx)
	if err != nil {
		return nil, err
	}
	inner := &pg_query.RawStmt{Stmt: ps.Query}
	bound, err := sql.BindWith(ctx, cat, inner, paramTypes, sql.Options{DMLInput: true})
	if err != nil {
		return nil, err
	}
	st := &statement{c: c, bound: bound, params: bound.Params(), text: text, version: cat.Version()}
	st.Schema()
	name := ps.Name
	return &utilityStatement{c: c, run: func(context.Context) (Result, error) {
		c.prepared.mu.Lock()
		defer c.prepared.mu.Unlock()
		if _, ok := c.prepared.stmts[name]; ok {
			return nil, errs.New(errs.DuplicatePrepared, "prepared statement %q already exists", name)
		}
		if c.prepared.stmts == nil {
			c.prepared.stmts = map[string]*sqlPrepared{}
		}
		c.prepared.stmts[name] = &sqlPrepared{name: name, text: text, at: time.Now(), st: st}
		return &doneResult{tag: "PREPARE"}, nil
	}}, nil
}

// lookupPrepared finds a prepared statement by name.
func (c *conn) lookupPrepared(name string) (*sqlPrepared, error) {
	c.prepared.mu.Lock()
	defer c.prepared.mu.Unlock()
	p, ok := c.prepared.stmts[name]
	if !ok {
		return nil, errs.New(errs.InvalidStatementName, "prepared statement %q does not exist", name)
	}
	return p, nil
}

// executeStmt prepares EXECUTE name (args): a statement with the prepared statement's
// result that evaluates the arguments, each converted to its parameter's type as an
// assignment would, and runs the prepared statement with them.
func (c *conn) executeStmt(ctx context.Context, es *pg_query.ExecuteStmt) (Statement, error) {
	p, err := c.lookupPrepared(es.Name)
	if err != nil {
		return nil, err
	}
	if len(es.Params) != len(p.st.params) {
		return nil, &errs.Error{Kind: errs.Syntax, Msg: "wrong number of parameters for prepared statement \"" + es.Name + "\"",
			Detail: fmt.Sprintf("Expected %d parameters but got %d.", len(p.st.params), len(es.Params))}
	}
	var args *statement
	if len(es.Params) > 0 {
		if args, err = c.argumentsStmt(ctx, es.Params, p.st.params); err != nil {
			return nil, err
		}
	}
	return &executeStatement{c: c, p: p, args: args}, nil
}

// argumentsStmt binds SELECT CAST(CAST(arg AS type) AS text), ... for EXECUTE's arguments.
func (c *conn) argumentsStmt(ctx context.Context, params []*pg_query.Node, paramTypes []arrow.DataType) (*statement, error) {
	sel := &pg_query.SelectStmt{}
	for i, a := range params {
		t := paramTypes[i]
		if t == nil || types.IsUnknown(t) {
			t = types.Text
		}
		tn, err := typeNameOf(types.Name(t))
		if err != nil {
			return nil, err
		}
		textName, _ := typeNameOf("text")
		typed := &pg_query.Node{Node: &pg_query.Node_TypeCast{TypeCast: &pg_query.TypeCast{Arg: a, TypeName: tn, Location: -1}}}
		cast := &pg_query.Node{Node: &pg_query.Node_TypeCast{TypeCast: &pg_query.TypeCast{Arg: typed, TypeName: textName, Location: -1}}}
		sel.TargetList = append(sel.TargetList, pg_query.MakeResTargetNodeWithVal(cast, -1))
	}
	cat, err := c.e.cat.Current(ctx)
	if err != nil {
		return nil, err
	}
	raw := &pg_query.RawStmt{Stmt: &pg_query.Node{Node: &pg_query.Node_SelectStmt{SelectStmt: sel}}}
	bound, err := sql.BindWith(ctx, cat, raw, nil, sql.Options{})
	if err != nil {
		return nil, err
	}
	if _, ok := bound.(*planner.Query); !ok {
		return nil, errs.New(errs.Internal, "EXECUTE arguments did not bind to a query")
	}
	return &statement{c: c, bound: bound, version: cat.Version()}, nil
}

// typeNameOf parses a type name as PostgreSQL writes it.
func typeNameOf(name string) (*pg_query.TypeName, error) {
	stmts, err := sql.Parse("SELECT NULL::" + name)
	if err != nil {
		return nil, err
	}
	tc := stmts[0].Stmt.GetSelectStmt().TargetList[0].GetResTarget().Val.GetTypeCast()
	if tc == nil {
		return nil, errs.New(errs.Internal, "type name %q", name)
	}
	return tc.TypeName, nil
}

// executeStatement is EXECUTE name (args).
type executeStatement struct {
	c    *conn
	p    *sqlPrepared
	args *statement
}

func (s *executeStatement) ParamTypes() []arrow.DataType { return nil }
func (s *executeStatement) Schema() *arrow.Schema        { return s.p.st.Schema() }
func (s *executeStatement) Close() error                 { return nil }

func (s *executeStatement) Execute(ctx context.Context, _ []any) (Result, error) {
	var params []any
	if s.args != nil {
		var err error
		if params, err = s.arguments(ctx); err != nil {
			return nil, err
		}
	}
	s.c.prepared.mu.Lock()
	s.p.runs++
	s.c.prepared.mu.Unlock()
	return s.p.st.Execute(ctx, params)
}

// arguments evaluates EXECUTE's arguments into parameter values (as text, or nil).
func (s *executeStatement) arguments(ctx context.Context) ([]any, error) {
	r, err := s.args.Execute(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	var out []any
	for {
		b, err := r.Next(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if b.NumRows() > 0 && out == nil {
			for i := 0; i < int(b.NumCols()); i++ {
				out = append(out, planner.ValueAt(b.Column(i), 0))
			}
		}
		b.Release()
	}
	if out == nil {
		return nil, errs.New(errs.Internal, "EXECUTE arguments gave no row")
	}
	return out, nil
}

// deallocate runs DEALLOCATE name or DEALLOCATE ALL.
func (c *conn) deallocate(d *pg_query.DeallocateStmt) (Result, error) {
	c.prepared.mu.Lock()
	defer c.prepared.mu.Unlock()
	if d.Isall || d.Name == "" {
		c.prepared.stmts = nil
		return &doneResult{tag: "DEALLOCATE ALL"}, nil
	}
	if _, ok := c.prepared.stmts[d.Name]; !ok {
		return nil, errs.New(errs.InvalidStatementName, "prepared statement %q does not exist", d.Name)
	}
	delete(c.prepared.stmts, d.Name)
	return &doneResult{tag: "DEALLOCATE"}, nil
}

// utilityStatement is a statement without rows or parameters that run executes.
type utilityStatement struct {
	c   *conn
	run func(context.Context) (Result, error)
}

func (s *utilityStatement) ParamTypes() []arrow.DataType { return nil }
func (s *utilityStatement) Schema() *arrow.Schema        { return nil }
func (s *utilityStatement) Close() error                 { return nil }
func (s *utilityStatement) Execute(ctx context.Context, _ []any) (Result, error) {
	r, err := s.run(ctx)
	if err != nil {
		s.c.fail() // a failed statement fails the transaction block it is in
	}
	return r, err
}
