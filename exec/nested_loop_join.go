package exec

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
)

// NestedLoopJoin joins two inputs on an arbitrary condition by pairing every left row with
// every right row: cross joins and joins without equality keys. It materialises the right
// input at the first Next and streams the left input; the output order and the join kinds'
// semantics are those of HashJoin.
type NestedLoopJoin struct {
	joinSpec
}

var _ Operator = (*NestedLoopJoin)(nil)

// NewNestedLoopJoin returns the join of left and right on cond, a boolean expression over
// the left columns followed by the right columns; nil cond joins every pair (a cross join
// for Inner).
func NewNestedLoopJoin(kind JoinKind, left, right Operator, cond Expr) (*NestedLoopJoin, error) {
	if kind == NullAwareAnti {
		return nil, fmt.Errorf("nested loop join: null-aware anti join needs a hash join")
	}
	spec, err := newJoinSpec("nested loop join", kind, left, right, cond)
	if err != nil {
		return nil, err
	}
	return &NestedLoopJoin{joinSpec: spec}, nil
}

func (j *NestedLoopJoin) Schema() *arrow.Schema { return j.schema }
func (j *NestedLoopJoin) Children() []Operator  { return []Operator{j.left, j.right} }

func (j *NestedLoopJoin) String() string {
	if j.residual == nil {
		if j.kind == Inner {
			return "NestedLoopJoin: cross"
		}
		return fmt.Sprintf("NestedLoopJoin: %s on true", j.kind)
	}
	return fmt.Sprintf("NestedLoopJoin: %s on %s", j.kind, j.residual)
}

func (j *NestedLoopJoin) Execute(ctx context.Context) (Stream, error) {
	return executeJoin(ctx, &j.joinSpec, &loopProbe{})
}

// loopProbe pairs each left row with every right row.
type loopProbe struct {
	n, rows int // right rows, rows of the current left batch
}

func (p *loopProbe) build(_ context.Context, right arrow.RecordBatch) error {
	p.n = int(right.NumRows())
	return nil
}

func (p *loopProbe) prepare(_ context.Context, left arrow.RecordBatch) error {
	p.rows = int(left.NumRows())
	return nil
}

func (p *loopProbe) next(pos int, first bool, li, ri []int32) (int, []int32, []int32) {
	m := p.n
	if first {
		m = min(m, 1)
	}
	for ; pos < p.rows; pos++ {
		for r := range m {
			li, ri = append(li, int32(pos)), append(ri, int32(r))
		}
		if len(li) >= BatchRows {
			return pos + 1, li, ri
		}
	}
	return pos, li, ri
}

func (p *loopProbe) rejectAll() bool { return false }
func (p *loopProbe) release()        {}
