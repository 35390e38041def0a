package planner

import (
	"context"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/exec"
)

// ApplyKind is how an Apply combines a row of its left side with the rows of its right.
type ApplyKind int

const (
	// ApplyScalar appends the value of Right's one row (NULL for none; more than one is an
	// error): a scalar subquery.
	ApplyScalar ApplyKind = iota
	// ApplyInner pairs each left row with each of its right rows (CROSS JOIN LATERAL).
	ApplyInner
	// ApplyLeft is ApplyInner that keeps a left row without right rows once, with NULLs.
	ApplyLeft
)

// Apply is a dependent join: Right refers to the columns Params of Left, and is run for each
// distinct binding of them, with their values in their place. It is how a correlated
// subquery that cannot be turned into joins runs (as PostgreSQL runs a correlated SubPlan):
// one with LIMIT, DISTINCT, windows, set operations or grouping over correlated rows.
type Apply struct {
	Kind        ApplyKind
	Left, Right Node
	Params      []Column
	// Cols are the columns appended to Left's: the first len(Cols) columns of Right (for
	// ApplyScalar, one new column of Right's first column's type).
	Cols []Column
}

func (n *Apply) Columns() []Column {
	return append(append([]Column{}, n.Left.Columns()...), n.Cols...)
}
func (n *Apply) Inputs() []Node { return []Node{n.Left, n.Right} }
func (*Apply) node()            {}

var execApplyModes = map[ApplyKind]exec.ApplyMode{
	ApplyScalar: exec.ApplyScalar, ApplyInner: exec.ApplyInner, ApplyLeft: exec.ApplyLeft,
}

// physicalApply plans an Apply: its right side is planned for each binding of the
// parameters, with literals in their place.
func physicalApply(ctx context.Context, n *Apply, env Env) (exec.Operator, error) {
	left, err := Physical(ctx, n.Left, env)
	if err != nil {
		return nil, err
	}
	layout := layoutOf(n.Left.Columns())
	idx := make([]int, len(n.Params))
	for i, p := range n.Params {
		j, ok := layout[p.ID]
		if !ok {
			return nil, errs.New(errs.Internal, "apply: parameter %s (#%d) is not a column of the left side", p.Name, p.ID)
		}
		idx[i] = j
	}
	right := Schema(n.Cols, nil)
	inner := func(ctx context.Context, cols []arrow.Array, row int) (exec.Operator, error) {
		vals := make(map[ColumnID]Expr, len(n.Params))
		for i, p := range n.Params {
			vals[p.ID] = &Literal{Value: ValueAt(cols[i], row), Typ: p.Type}
		}
		r, err := SubstitutePlan(n.Right, vals)
		if err != nil {
			return nil, err
		}
		return Physical(ctx, r, env)
	}
	return exec.NewApply(execApplyModes[n.Kind], left, idx, right, inner)
}

// SubstitutePlan replaces every reference to a column vals maps, in every expression of
// the plan n, by its expression.
func SubstitutePlan(n Node, vals map[ColumnID]Expr) (Node, error) {
	return TransformPlan(n, func(n Node) (Node, error) {
		return MapExprs(n, func(e Expr) (Expr, error) {
			if c, ok := e.(*ColumnRef); ok {
				if v, ok := vals[c.ID]; ok {
					return v, nil
				}
			}
			return e, nil
		})
	})
}
