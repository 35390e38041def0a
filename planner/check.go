package planner

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/exec"
)

// Check is the value of E, but evaluating it over a row where Fail is true fails with an
// error of kind Kind and message Msg. It checks at run time what binding cannot: that a
// scalar subquery yields at most one row per outer row, for instance.
type Check struct {
	E, Fail Expr
	Kind    error
	Msg     string
}

func (e *Check) Type() arrow.DataType { return e.E.Type() }
func (*Check) expr()                  {}
func (e *Check) String() string {
	return "check(" + e.E.String() + ", " + e.Fail.String() + ")"
}

// checkExpr is the physical Check.
type checkExpr struct {
	e, fail exec.Expr
	kind    error
	msg     string
}

var _ exec.Expr = (*checkExpr)(nil)

func newCheck(e, fail exec.Expr, kind error, msg string) (*checkExpr, error) {
	if e == nil || fail == nil || kind == nil {
		return nil, fmt.Errorf("planner: check needs a value, a condition and an error kind")
	}
	if fail.DataType().ID() != arrow.BOOL {
		return nil, fmt.Errorf("planner: check condition is %s, not boolean", fail.DataType())
	}
	return &checkExpr{e: e, fail: fail, kind: kind, msg: msg}, nil
}

func (c *checkExpr) DataType() arrow.DataType { return c.e.DataType() }

// Eval fails when the condition is true on any row of batch; otherwise it returns the value's
// array, which the caller releases.
func (c *checkExpr) Eval(ctx context.Context, batch arrow.RecordBatch) (arrow.Array, error) {
	f, err := c.fail.Eval(ctx, batch)
	if err != nil {
		return nil, err
	}
	b := f.(*array.Boolean)
	for i := 0; i < b.Len(); i++ {
		if b.IsValid(i) && b.Value(i) {
			f.Release()
			return nil, errs.New(c.kind, "%s", c.msg)
		}
	}
	f.Release()
	return c.e.Eval(ctx, batch)
}

func (c *checkExpr) String() string {
	return "check(" + c.e.String() + ", " + c.fail.String() + ")"
}
