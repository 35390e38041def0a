package exec

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
)

// TopN is Sort followed by Limit, keeping only offset+limit rows in memory.
type TopN struct {
	keys          []SortKey
	limit, offset int64
	input         Operator
}

var _ Operator = (*TopN)(nil)

// NewTopN returns rows [offset, offset+limit) of input ordered by keys.
func NewTopN(keys []SortKey, limit, offset int64, input Operator) (*TopN, error) {
	if input == nil {
		return nil, fmt.Errorf("topn: nil input")
	}
	if limit < 0 || offset < 0 {
		return nil, fmt.Errorf("topn: negative limit %d or offset %d", limit, offset)
	}
	if err := checkKeys(keys); err != nil {
		return nil, err
	}
	return &TopN{keys: keys, limit: limit, offset: offset, input: input}, nil
}

func (t *TopN) Schema() *arrow.Schema { return t.input.Schema() }
func (t *TopN) Children() []Operator  { return []Operator{t.input} }

func (t *TopN) String() string {
	return fmt.Sprintf("TopN: %s offset=%d count=%d", keysString(t.keys), t.offset, t.limit)
}

func (t *TopN) Execute(ctx context.Context) (Stream, error) {
	in, err := t.input.Execute(ctx)
	if err != nil {
		return nil, err
	}
	return &sortStream{keys: t.keys, schema: t.Schema(), in: in, offset: t.offset, limit: t.limit}, nil
}
