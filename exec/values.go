package exec

import (
	"context"
	"fmt"
	"io"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
)

// Values is a fixed list of batches, such as a VALUES list or the empty relation.
type Values struct {
	schema  *arrow.Schema
	batches []arrow.RecordBatch
	once    sync.Once
}

var _ Operator = (*Values)(nil)

// NewValues returns an operator producing batches (none: the empty relation). It retains
// the batches until Release; each execution returns each batch retained again.
func NewValues(schema *arrow.Schema, batches []arrow.RecordBatch) (*Values, error) {
	if schema == nil {
		return nil, fmt.Errorf("values: nil schema")
	}
	for i, b := range batches {
		if !b.Schema().Equal(schema) {
			return nil, fmt.Errorf("values: batch %d: %w: %s, want %s", i, ErrSchema, b.Schema(), schema)
		}
	}
	v := &Values{schema: schema, batches: append([]arrow.RecordBatch(nil), batches...)}
	for _, b := range v.batches {
		b.Retain()
	}
	return v, nil
}

// Release releases the batches; the operator must not be executed afterwards.
func (v *Values) Release() {
	v.once.Do(func() {
		for _, b := range v.batches {
			b.Release()
		}
	})
}

func (v *Values) Schema() *arrow.Schema { return v.schema }
func (v *Values) Children() []Operator  { return nil }

func (v *Values) String() string {
	rows := int64(0)
	for _, b := range v.batches {
		rows += b.NumRows()
	}
	return fmt.Sprintf("Values: rows=%d", rows)
}

func (v *Values) Execute(context.Context) (Stream, error) {
	return &valuesStream{batches: v.batches}, nil
}

type valuesStream struct {
	batches []arrow.RecordBatch
	next    int
}

func (s *valuesStream) Next(ctx context.Context) (arrow.RecordBatch, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if s.next >= len(s.batches) {
		return nil, io.EOF
	}
	b := s.batches[s.next]
	s.next++
	b.Retain()
	return b, nil
}

func (s *valuesStream) Close() error {
	s.next = len(s.batches)
	return nil
}
