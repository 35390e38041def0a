package exec

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// Filter passes on the rows for which a boolean predicate is true (NULL counts as false).
type Filter struct {
	pred  Expr
	input Operator
}

var _ Operator = (*Filter)(nil)

// NewFilter returns the rows of input where pred, a boolean expression over input, is true.
func NewFilter(pred Expr, input Operator) (*Filter, error) {
	if pred == nil || input == nil {
		return nil, fmt.Errorf("filter: nil predicate or input")
	}
	if pred.DataType().ID() != arrow.BOOL {
		return nil, typeErr("filter predicate %s has type %s, not boolean", pred, pred.DataType())
	}
	return &Filter{pred: pred, input: input}, nil
}

// Predicate is the filter's condition.
func (f *Filter) Predicate() Expr { return f.pred }

func (f *Filter) Schema() *arrow.Schema { return f.input.Schema() }
func (f *Filter) Children() []Operator  { return []Operator{f.input} }
func (f *Filter) String() string        { return "Filter: " + f.pred.String() }

func (f *Filter) Execute(ctx context.Context) (Stream, error) {
	in, err := f.input.Execute(ctx)
	if err != nil {
		return nil, err
	}
	return &filterStream{f: f, in: in}, nil
}

type filterStream struct {
	f   *Filter
	in  Stream
	sel []int32
}

func (s *filterStream) Next(ctx context.Context) (arrow.RecordBatch, error) {
	for {
		b, err := s.in.Next(ctx)
		if err != nil {
			return nil, err
		}
		if b.NumRows() == 0 {
			b.Release()
			continue
		}
		out, err := s.apply(ctx, b)
		b.Release()
		if err != nil {
			return nil, err
		}
		if out != nil {
			return out, nil
		}
	}
}

// apply returns the selected rows of b, or nil when none is.
func (s *filterStream) apply(ctx context.Context, b arrow.RecordBatch) (arrow.RecordBatch, error) {
	p, err := s.f.pred.Eval(ctx, b)
	if err != nil {
		return nil, err
	}
	defer p.Release()
	pb := p.(*array.Boolean)
	s.sel = selectedRows(pb, s.sel[:0])
	switch len(s.sel) {
	case 0:
		return nil, nil
	case int(b.NumRows()):
		b.Retain()
		return b, nil
	}
	return takeBatch(Allocator(ctx), b, s.sel), nil
}

func (s *filterStream) Close() error { return s.in.Close() }
