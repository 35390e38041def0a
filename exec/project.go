package exec

import (
	"context"
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// Project computes one output column per expression over each input batch.
type Project struct {
	exprs  []Expr
	schema *arrow.Schema
	input  Operator
	// columns says that expression i is input column i for every i: a batch of the input's
	// columns is the output (a SELECT * over a scan).
	columns bool
}

var _ Operator = (*Project)(nil)

// NewProject returns the columns exprs (evaluated over input) named names. Every output
// column is nullable.
func NewProject(exprs []Expr, names []string, input Operator) (*Project, error) {
	if input == nil {
		return nil, fmt.Errorf("project: nil input")
	}
	if len(exprs) != len(names) {
		return nil, fmt.Errorf("project: %w: %d expressions, %d names", ErrArity, len(exprs), len(names))
	}
	fields := make([]arrow.Field, len(exprs))
	for i, e := range exprs {
		if e == nil {
			return nil, fmt.Errorf("project: nil expression %d", i)
		}
		fields[i] = arrow.Field{Name: names[i], Type: e.DataType(), Nullable: true}
	}
	columns := true
	for i, e := range exprs {
		if c, ok := e.(*Column); !ok || c.index != i {
			columns = false
		}
	}
	return &Project{exprs: exprs, schema: arrow.NewSchema(fields, nil), input: input, columns: columns}, nil
}

// Exprs are the projected expressions.
func (p *Project) Exprs() []Expr { return p.exprs }

func (p *Project) Schema() *arrow.Schema { return p.schema }
func (p *Project) Children() []Operator  { return []Operator{p.input} }

func (p *Project) String() string {
	parts := make([]string, len(p.exprs))
	for i, e := range p.exprs {
		parts[i] = e.String()
		if n := p.schema.Field(i).Name; n != e.String() {
			parts[i] += " AS " + n
		}
	}
	return "Project: " + strings.Join(parts, ", ")
}

func (p *Project) Execute(ctx context.Context) (Stream, error) {
	in, err := p.input.Execute(ctx)
	if err != nil {
		return nil, err
	}
	return &projectStream{p: p, in: in}, nil
}

type projectStream struct {
	p  *Project
	in Stream
}

func (s *projectStream) Next(ctx context.Context) (arrow.RecordBatch, error) {
	b, err := s.in.Next(ctx)
	if err != nil {
		return nil, err
	}
	if s.p.sameColumns(b) {
		// The input's columns in order: the batch itself when it has the output's schema
		// (no new batch), else its columns under the output's schema.
		if b.Schema().Equal(s.p.schema) {
			return b, nil
		}
		out := array.NewRecordBatch(s.p.schema, b.Columns(), b.NumRows())
		b.Release()
		return out, nil
	}
	defer b.Release()
	cols, err := evalAll(ctx, s.p.exprs, b)
	if err != nil {
		return nil, err
	}
	defer releaseAll(cols)
	return array.NewRecordBatch(s.p.schema, cols, b.NumRows()), nil
}

func (s *projectStream) Close() error { return s.in.Close() }

// sameColumns reports whether p's output columns are b's columns, in order and of the
// expressions' types (else evaluating the expressions reports the mismatch).
func (p *Project) sameColumns(b arrow.RecordBatch) bool {
	if !p.columns || int(b.NumCols()) != len(p.exprs) {
		return false
	}
	for i, e := range p.exprs {
		if !arrow.TypeEqual(b.Column(i).DataType(), e.DataType()) {
			return false
		}
	}
	return true
}
