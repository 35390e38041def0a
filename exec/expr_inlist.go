package exec

import (
	"context"
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
)

// InList is e IN (list...) with SQL's NULL semantics: true when some item equals e, else
// NULL when e or some item is NULL, else false. NOT IN negates that (NULL stays NULL).
type InList struct {
	e      Expr
	list   []Expr
	negate bool
}

var _ Expr = (*InList)(nil)

// NewInList returns e IN (list) (negate: NOT IN). Items must have e's type (decimals may
// differ in precision and scale).
func NewInList(e Expr, list []Expr, negate bool) (*InList, error) {
	if e == nil || len(list) == 0 {
		return nil, fmt.Errorf("IN: %w", ErrArity)
	}
	for _, item := range list {
		if item == nil {
			return nil, fmt.Errorf("IN: nil item")
		}
		if _, err := BinaryResultType(Eq, e.DataType(), item.DataType()); err != nil {
			return nil, fmt.Errorf("IN item %s: %w", item, err)
		}
	}
	return &InList{e: e, list: list, negate: negate}, nil
}

func (n *InList) DataType() arrow.DataType { return arrow.FixedWidthTypes.Boolean }

func (n *InList) String() string {
	items := make([]string, len(n.list))
	for i, e := range n.list {
		items[i] = e.String()
	}
	op := " IN ("
	if n.negate {
		op = " NOT IN ("
	}
	return paren(n.e) + op + strings.Join(items, ", ") + ")"
}

func (n *InList) Eval(ctx context.Context, batch arrow.RecordBatch) (arrow.Array, error) {
	mem := Allocator(ctx)
	v, err := n.e.Eval(ctx, batch)
	if err != nil {
		return nil, err
	}
	defer v.Release()
	var acc arrow.Array
	for _, item := range n.list {
		a, err := item.Eval(ctx, batch)
		if err != nil {
			if acc != nil {
				acc.Release()
			}
			return nil, err
		}
		eq := compareArrays(mem, Eq, v, a)
		a.Release()
		if acc == nil {
			acc = eq
			continue
		}
		next := logic(mem, Or, acc, eq)
		acc.Release()
		eq.Release()
		acc = next
	}
	if !n.negate {
		return acc, nil
	}
	defer acc.Release()
	return notArray(mem, acc), nil
}
