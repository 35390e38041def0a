package exec

import (
	"context"
	"fmt"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
)

// Limit skips offset rows and passes on at most count rows after them. It stops pulling
// its input once it has passed count rows.
type Limit struct {
	offset, count int64
	input         Operator
}

var _ Operator = (*Limit)(nil)

// NewLimit returns OFFSET offset LIMIT count over input; count < 0 means no limit.
func NewLimit(offset, count int64, input Operator) (*Limit, error) {
	if input == nil {
		return nil, fmt.Errorf("limit: nil input")
	}
	if offset < 0 {
		return nil, fmt.Errorf("limit: negative offset %d", offset)
	}
	return &Limit{offset: offset, count: count, input: input}, nil
}

func (l *Limit) Schema() *arrow.Schema { return l.input.Schema() }
func (l *Limit) Children() []Operator  { return []Operator{l.input} }

func (l *Limit) String() string {
	if l.count < 0 {
		return fmt.Sprintf("Limit: offset=%d", l.offset)
	}
	return fmt.Sprintf("Limit: offset=%d count=%d", l.offset, l.count)
}

func (l *Limit) Execute(ctx context.Context) (Stream, error) {
	in, err := l.input.Execute(ctx)
	if err != nil {
		return nil, err
	}
	return &limitStream{in: in, skip: l.offset, left: l.count}, nil
}

type limitStream struct {
	in   Stream
	skip int64
	left int64 // < 0: unlimited
}

func (s *limitStream) Next(ctx context.Context) (arrow.RecordBatch, error) {
	for {
		if s.left == 0 {
			return nil, io.EOF
		}
		b, err := s.in.Next(ctx)
		if err != nil {
			return nil, err
		}
		n := b.NumRows()
		if s.skip >= n {
			s.skip -= n
			b.Release()
			continue
		}
		end := n
		if s.left >= 0 && s.skip+s.left < n {
			end = s.skip + s.left
		}
		if s.left >= 0 {
			s.left -= end - s.skip
		}
		if s.skip == 0 && end == n {
			return b, nil
		}
		out := b.NewSlice(s.skip, end)
		s.skip = 0
		b.Release()
		return out, nil
	}
}

func (s *limitStream) Close() error { return s.in.Close() }
