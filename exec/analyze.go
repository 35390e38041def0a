package exec

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
)

// Analyzed wraps an operator to count what its streams produce, for EXPLAIN ANALYZE. Its
// String is the operator's followed by the rows, batches and time (inclusive of its inputs)
// of every execution so far.
type Analyzed struct {
	op              Operator
	rows, batches   atomic.Int64
	nanos, executes atomic.Int64
}

var _ Operator = (*Analyzed)(nil)

// NewAnalyzed wraps op.
func NewAnalyzed(op Operator) *Analyzed { return &Analyzed{op: op} }

func (a *Analyzed) Schema() *arrow.Schema { return a.op.Schema() }
func (a *Analyzed) Children() []Operator  { return a.op.Children() }

func (a *Analyzed) String() string {
	return fmt.Sprintf("%s (actual rows=%d batches=%d time=%.3fms)", a.op.String(), a.rows.Load(), a.batches.Load(), float64(a.nanos.Load())/1e6)
}

func (a *Analyzed) Execute(ctx context.Context) (Stream, error) {
	start := time.Now()
	s, err := a.op.Execute(ctx)
	a.nanos.Add(int64(time.Since(start)))
	if err != nil {
		return nil, err
	}
	a.executes.Add(1)
	return &analyzedStream{a: a, s: s}, nil
}

type analyzedStream struct {
	a *Analyzed
	s Stream
}

func (s *analyzedStream) Next(ctx context.Context) (arrow.RecordBatch, error) {
	start := time.Now()
	b, err := s.s.Next(ctx)
	s.a.nanos.Add(int64(time.Since(start)))
	if err == nil {
		s.a.rows.Add(b.NumRows())
		s.a.batches.Add(1)
	}
	return b, err
}

func (s *analyzedStream) Close() error { return s.s.Close() }
