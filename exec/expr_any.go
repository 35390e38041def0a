package exec

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/types"
)

// AnyExpr is left op ANY (array) or left op ALL (array) with PostgreSQL's three-valued
// logic: ANY is true when some comparison is true, else NULL when the array is NULL or some
// comparison is NULL, else false (an empty array gives false, whatever left is). ALL is the
// dual: false when some comparison is false, else NULL when the array is NULL or some
// comparison is NULL, else true (an empty array gives true).
type AnyExpr struct {
	op          string
	left, array Expr
	all         bool
	cmp         BinaryOp // for the comparison operators
	like        int      // 0: not LIKE; 1: LIKE; 2: ILIKE
	negate      bool     // NOT LIKE / NOT ILIKE
}

var _ Expr = (*AnyExpr)(nil)

// NewAnyExpr returns left op ANY (array), or ALL when all is set. op is one of = <> != < <=
// > >= or ~~ ~~* !~~ !~~* (LIKE, ILIKE and their negations, on text). left and the
// array's elements share a type (decimals may differ in scale).
func NewAnyExpr(op string, left, array Expr, all bool) (Expr, error) {
	if left == nil || array == nil {
		return nil, fmt.Errorf("ANY: nil operand")
	}
	et := elemType(array.DataType())
	if et == nil || !supported(array.DataType()) {
		return nil, typeErr("ANY/ALL needs an array, got %s", types.BaseName(array.DataType()))
	}
	a := &AnyExpr{op: op, left: left, array: array, all: all}
	switch op {
	case "=":
		a.cmp = Eq
	case "<>", "!=":
		a.cmp, a.op = NotEq, "<>"
	case "<":
		a.cmp = Lt
	case "<=":
		a.cmp = LtEq
	case ">":
		a.cmp = Gt
	case ">=":
		a.cmp = GtEq
	case "~~", "!~~":
		a.like, a.negate = 1, op[0] == '!'
	case "~~*", "!~~*":
		a.like, a.negate = 2, op[0] == '!'
	default:
		return nil, typeErr("ANY/ALL with operator %s", op)
	}
	if a.like > 0 {
		if left.DataType().ID() != arrow.STRING || et.ID() != arrow.STRING {
			return nil, typeErr("%s ANY/ALL needs text operands", op)
		}
		return a, nil
	}
	if _, err := BinaryResultType(a.cmp, left.DataType(), et); err != nil {
		return nil, err
	}
	return a, nil
}

func (a *AnyExpr) DataType() arrow.DataType { return arrow.FixedWidthTypes.Boolean }

func (a *AnyExpr) String() string {
	q := "ANY"
	if a.all {
		q = "ALL"
	}
	return fmt.Sprintf("%s %s %s (%s)", paren(a.left), a.op, q, a.array)
}

func (a *AnyExpr) Eval(ctx context.Context, batch arrow.RecordBatch) (arrow.Array, error) {
	mem := Allocator(ctx)
	left, err := a.left.Eval(ctx, batch)
	if err != nil {
		return nil, err
	}
	defer left.Release()
	arr, err := a.array.Eval(ctx, batch)
	if err != nil {
		return nil, err
	}
	defer arr.Release()
	l := arr.(*array.List)
	n := l.Len()
	// Pair every element with its row's left value and compare them all at once.
	var lidx, eidx []int32
	for r := 0; r < n; r++ {
		s, e := listSpan(l, r)
		for k := s; k < e; k++ {
			lidx = append(lidx, int32(r))
			eidx = append(eidx, int32(k))
		}
	}
	lv := take(mem, left, lidx)
	defer lv.Release()
	ev := take(mem, l.ListValues(), eidx)
	defer ev.Release()
	var res arrow.Array
	if a.like > 0 {
		if res, err = likeKernel(mem, lv, ev, nil, a.negate, a.like == 2); err != nil {
			return nil, err
		}
	} else {
		res = compareArrays(mem, a.cmp, lv, ev)
	}
	defer res.Release()
	return foldAny(mem, l, res.(*array.Boolean), a.all), nil
}

// foldAny combines the comparisons res, laid out row by row over the elements of l, into
// one ANY (or ALL) result per row of l.
func foldAny(mem memory.Allocator, l *array.List, res *array.Boolean, all bool) arrow.Array {
	n := l.Len()
	validity := newBitmap(mem, n, false)
	outBuf := newBitmap(mem, n, false)
	vb, ob := validity.Bytes(), outBuf.Bytes()
	pos := 0
	for r := 0; r < n; r++ {
		if l.IsNull(r) {
			continue
		}
		s, e := listSpan(l, r)
		// ANY: decisive is true; ALL: decisive is false.
		decided, unknown := false, false
		for k := 0; k < e-s; k++ {
			switch {
			case res.IsNull(pos + k):
				unknown = true
			case res.Value(pos+k) != all:
				decided = true
			}
		}
		pos += e - s
		switch {
		case decided:
			bitutil.SetBit(vb, r)
			if !all {
				bitutil.SetBit(ob, r)
			}
		case !unknown:
			bitutil.SetBit(vb, r)
			if all {
				bitutil.SetBit(ob, r)
			}
		}
	}
	return makeArray(arrow.FixedWidthTypes.Boolean, n, validity, outBuf)
}
