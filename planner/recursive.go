package planner

import (
	"context"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/exec"
)

// RecursiveCTE is WITH RECURSIVE's query: the rows of Base, then those of Step run over the
// rows of the previous iteration (read by the WorkTable nodes of Step with the same ID),
// until an iteration returns none. Distinct (UNION) drops rows returned before.
type RecursiveCTE struct {
	ID         int
	Base, Step Node
	Distinct   bool
	Cols       []Column
}

func (n *RecursiveCTE) Columns() []Column { return n.Cols }
func (n *RecursiveCTE) Inputs() []Node    { return []Node{n.Base, n.Step} }
func (*RecursiveCTE) node()               {}

// WorkTable reads the rows of the previous iteration of the RecursiveCTE with its ID.
type WorkTable struct {
	ID   int
	Cols []Column
}

func (n *WorkTable) Columns() []Column { return n.Cols }
func (n *WorkTable) Inputs() []Node    { return nil }
func (*WorkTable) node()               {}

type workTableKey int

// physicalRecursive plans a RecursiveCTE: its Step's work table scans read the work table
// that the recursive union fills.
func physicalRecursive(ctx context.Context, n *RecursiveCTE, env Env) (exec.Operator, error) {
	base, err := Physical(ctx, n.Base, env)
	if err != nil {
		return nil, err
	}
	if base, err = renameTo(base, n.Base.Columns(), n.Cols); err != nil {
		return nil, err
	}
	work := exec.NewWorkTable(Schema(n.Cols, nil))
	step, err := Physical(context.WithValue(ctx, workTableKey(n.ID), work), n.Step, env)
	if err != nil {
		return nil, err
	}
	if step, err = renameTo(step, n.Step.Columns(), n.Cols); err != nil {
		return nil, err
	}
	return exec.NewRecursiveUnion(base, step, work, n.Distinct)
}

// physicalWorkTable plans a scan of the work table of the RecursiveCTE being planned.
func physicalWorkTable(ctx context.Context, n *WorkTable) (exec.Operator, error) {
	work, _ := ctx.Value(workTableKey(n.ID)).(*exec.WorkTable)
	if work == nil {
		return nil, errs.New(errs.Internal, "work table %d planned outside its recursive query", n.ID)
	}
	return exec.NewWorkTableScan(work), nil
}
