package exec

import (
	"context"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
)

// countingExpr is a boolean column that counts the rows it is evaluated over, as a
// volatile function (nextval) would be called once per row.
type countingExpr struct {
	Expr
	rows int
}

func (c *countingExpr) Eval(ctx context.Context, batch arrow.RecordBatch) (arrow.Array, error) {
	c.rows += int(batch.NumRows())
	return c.Expr.Eval(ctx, batch)
}

func TestLazyLogicEvaluatesRightOnUndecidedRows(t *testing.T) {
	tB := arrow.FixedWidthTypes.Boolean
	// c0 is the left operand, c1 the right one's values.
	rows := [][]any{{true, true}, {false, true}, {nil, false}, {true, false}, {false, nil}, {nil, true}}
	cases := []struct {
		name      string
		op        BinaryOp
		not, qual bool
		want      []string
		calls     int
	}{
		{name: "and", op: And, want: []string{"true", "false", "false", "false", "false", "NULL"}, calls: 4},
		{name: "or", op: Or, want: []string{"true", "true", "NULL", "true", "NULL", "true"}, calls: 4},
		// In a condition, a NULL left conjunct decides (the row is not selected either way).
		{name: "and qual", op: And, qual: true, want: []string{"true", "false", "NULL", "false", "false", "NULL"}, calls: 2},
		{name: "or qual", op: Or, qual: true, want: []string{"true", "true", "NULL", "true", "NULL", "true"}, calls: 4},
		{name: "not or qual", op: Or, not: true, qual: true, want: []string{"false", "false", "NULL", "false", "NULL", "NULL"}, calls: 2},
		{name: "not and qual", op: And, not: true, qual: true, want: []string{"false", "true", "true", "true", "true", "NULL"}, calls: 4},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx, mem := checkedCtx(t)
			batch := mkBatch(t, mem, schemaOf(tB, tB), rows...)
			defer batch.Release()
			right := &countingExpr{Expr: mustCol(t, 1, tB)}
			b, err := NewLazyLogic(c.op, mustCol(t, 0, tB), right)
			if err != nil {
				t.Fatal(err)
			}
			var e Expr = b
			if c.not {
				if e, err = NewNot(b); err != nil {
					t.Fatal(err)
				}
			}
			if c.qual {
				Qual(e)
			}
			got, err := evalText(ctx, e, batch)
			if err != nil {
				t.Fatal(err)
			}
			if !equalStrings(got, c.want) {
				t.Errorf("got %v, want %v", got, c.want)
			}
			if right.rows != c.calls {
				t.Errorf("right operand evaluated over %d rows, want %d", right.rows, c.calls)
			}
			// Without qual the values are the eager operator's.
			if !c.qual {
				eager, err := NewBinary(c.op, mustCol(t, 0, tB), mustCol(t, 1, tB))
				if err != nil {
					t.Fatal(err)
				}
				want, err := evalText(ctx, eager, batch)
				if err != nil {
					t.Fatal(err)
				}
				if !equalStrings(got, want) {
					t.Errorf("lazy %v, eager %v", got, want)
				}
			}
		})
	}
}

func TestLazyLogicDecidedEverywhere(t *testing.T) {
	tB := arrow.FixedWidthTypes.Boolean
	for _, c := range []struct {
		op   BinaryOp
		left bool
		want string
	}{{And, false, "false"}, {Or, true, "true"}} {
		ctx, mem := checkedCtx(t)
		batch := mkBatch(t, mem, schemaOf(tB, tB), []any{c.left, true}, []any{c.left, nil})
		right := &countingExpr{Expr: mustCol(t, 1, tB)}
		b, err := NewLazyLogic(c.op, mustCol(t, 0, tB), right)
		if err != nil {
			t.Fatal(err)
		}
		got, err := evalText(ctx, b, batch)
		batch.Release()
		if err != nil {
			t.Fatal(err)
		}
		if !equalStrings(got, []string{c.want, c.want}) || right.rows != 0 {
			t.Errorf("%s: got %v with the right operand over %d rows, want %s twice and none", c.op, got, right.rows, c.want)
		}
	}
	if _, err := NewLazyLogic(Add, mustCol(t, 0, tI32), mustCol(t, 0, tI32)); err == nil {
		t.Error("NewLazyLogic accepted +")
	}
}
