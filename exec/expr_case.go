package exec

import (
	"context"
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Case is CASE WHEN c1 THEN r1 ... ELSE e END. As in PostgreSQL, each result is evaluated
// only for the rows that select it and each condition only for rows no earlier condition
// took, so CASE WHEN x = 0 THEN 0 ELSE 1 / x END never divides by zero.
type Case struct {
	whens, thens []Expr
	els          Expr // nil: ELSE NULL
	typ          arrow.DataType
}

var _ Expr = (*Case)(nil)

// NewCase returns a searched CASE. whens are boolean; thens and els (nil for ELSE NULL)
// share one type.
func NewCase(whens, thens []Expr, els Expr) (*Case, error) {
	if len(whens) == 0 || len(whens) != len(thens) {
		return nil, fmt.Errorf("CASE: %w: %d WHEN, %d THEN", ErrArity, len(whens), len(thens))
	}
	typ := thens[0].DataType()
	for i := range whens {
		if whens[i] == nil || thens[i] == nil {
			return nil, fmt.Errorf("CASE: nil branch")
		}
		if whens[i].DataType().ID() != arrow.BOOL {
			return nil, typeErr("CASE WHEN %s is not boolean", whens[i])
		}
		if !arrow.TypeEqual(thens[i].DataType(), typ) {
			return nil, typeErr("CASE results have types %s and %s", typ, thens[i].DataType())
		}
	}
	if els != nil && !arrow.TypeEqual(els.DataType(), typ) {
		return nil, typeErr("CASE results have types %s and %s", typ, els.DataType())
	}
	return &Case{whens: whens, thens: thens, els: els, typ: typ}, nil
}

func (c *Case) DataType() arrow.DataType { return c.typ }

func (c *Case) String() string {
	var sb strings.Builder
	sb.WriteString("CASE")
	for i := range c.whens {
		fmt.Fprintf(&sb, " WHEN %s THEN %s", c.whens[i], c.thens[i])
	}
	if c.els != nil {
		fmt.Fprintf(&sb, " ELSE %s", c.els)
	}
	sb.WriteString(" END")
	return sb.String()
}

// lazyEval evaluates e over the rows rows of batch (all rows when rows is nil).
func lazyEval(ctx context.Context, e Expr, batch arrow.RecordBatch, rows []int32) (arrow.Array, error) {
	if rows == nil {
		return e.Eval(ctx, batch)
	}
	sub := takeBatch(Allocator(ctx), batch, rows)
	defer sub.Release()
	return e.Eval(ctx, sub)
}

func (c *Case) Eval(ctx context.Context, batch arrow.RecordBatch) (arrow.Array, error) {
	return evalBranches(ctx, batch, c.typ, len(c.whens), c.els,
		func(i int) Expr { return c.whens[i] }, func(i int) Expr { return c.thens[i] })
}

// evalBranches runs the branch selection shared by CASE and COALESCE. cond(i) gives the
// condition of branch i over the remaining rows (nil cond: "result is not NULL", with the
// result as the condition's value).
func evalBranches(ctx context.Context, batch arrow.RecordBatch, typ arrow.DataType, n int, els Expr,
	cond func(int) Expr, result func(int) Expr) (arrow.Array, error) {
	mem := Allocator(ctx)
	rows := int(batch.NumRows())
	var parts []part
	defer func() {
		for _, p := range parts {
			p.arr.Release()
		}
	}()
	var remaining []int32 // nil: all rows
	for i := 0; i < n && (remaining == nil || len(remaining) > 0); i++ {
		var taken, rest []int32
		var val arrow.Array
		if c := cond(i); c != nil {
			ca, err := lazyEval(ctx, c, batch, remaining)
			if err != nil {
				return nil, err
			}
			taken, rest = splitTrue(ca, remaining)
			ca.Release()
			if len(taken) > 0 {
				if val, err = lazyEval(ctx, result(i), batch, taken); err != nil {
					return nil, err
				}
			}
		} else {
			ra, err := lazyEval(ctx, result(i), batch, remaining)
			if err != nil {
				return nil, err
			}
			taken, rest = splitValid(ra, remaining)
			if len(taken) > 0 {
				val = take(mem, ra, positions(ra, remaining, taken))
			}
			ra.Release()
		}
		if val != nil {
			parts = append(parts, part{rows: taken, arr: val})
		}
		remaining = rest
	}
	if els != nil && (remaining == nil || len(remaining) > 0) {
		v, err := lazyEval(ctx, els, batch, remaining)
		if err != nil {
			return nil, err
		}
		parts = append(parts, part{rows: remaining, arr: v})
	}
	if len(parts) == 1 && len(parts[0].rows) == rows && isIdentity(parts[0].rows) {
		parts[0].arr.Retain()
		return parts[0].arr, nil
	}
	return scatter(mem, typ, rows, parts), nil
}

func isIdentity(rows []int32) bool {
	for i, r := range rows {
		if int(r) != i {
			return false
		}
	}
	return true
}

// splitTrue splits the rows a was evaluated over (nil: 0..len) into those where a is true
// and the rest.
func splitTrue(a arrow.Array, over []int32) (yes, no []int32) {
	b := a.(*array.Boolean)
	for j := 0; j < a.Len(); j++ {
		r := int32(j)
		if over != nil {
			r = over[j]
		}
		if b.IsValid(j) && b.Value(j) {
			yes = append(yes, r)
		} else {
			no = append(no, r)
		}
	}
	if no == nil {
		no = []int32{}
	}
	return yes, no
}

// splitValid is splitTrue for "a is not NULL".
func splitValid(a arrow.Array, over []int32) (yes, no []int32) {
	for j := 0; j < a.Len(); j++ {
		r := int32(j)
		if over != nil {
			r = over[j]
		}
		if a.IsValid(j) {
			yes = append(yes, r)
		} else {
			no = append(no, r)
		}
	}
	if no == nil {
		no = []int32{}
	}
	return yes, no
}

// positions maps taken (batch rows) to their positions within a, evaluated over over.
func positions(a arrow.Array, over, taken []int32) []int32 {
	out := make([]int32, 0, len(taken))
	if over == nil {
		return append(out, taken...)
	}
	k := 0
	for j, r := range over {
		if k < len(taken) && taken[k] == r {
			out = append(out, int32(j))
			k++
		}
	}
	return out
}

// Coalesce is COALESCE(args...): the first non-NULL argument, each argument evaluated only
// for rows the earlier ones left NULL.
type Coalesce struct {
	args []Expr
}

var _ Expr = (*Coalesce)(nil)

// NewCoalesce returns COALESCE(args); the arguments share one type.
func NewCoalesce(args []Expr) (*Coalesce, error) {
	if len(args) == 0 {
		return nil, fmt.Errorf("COALESCE: %w", ErrArity)
	}
	for _, a := range args {
		if a == nil || !arrow.TypeEqual(a.DataType(), args[0].DataType()) {
			return nil, typeErr("COALESCE arguments must share one type")
		}
	}
	return &Coalesce{args: args}, nil
}

func (c *Coalesce) DataType() arrow.DataType { return c.args[0].DataType() }

func (c *Coalesce) String() string { return "coalesce(" + joinExprs(c.args) + ")" }

func (c *Coalesce) Eval(ctx context.Context, batch arrow.RecordBatch) (arrow.Array, error) {
	return evalBranches(ctx, batch, c.DataType(), len(c.args), nil,
		func(int) Expr { return nil }, func(i int) Expr { return c.args[i] })
}

func joinExprs(es []Expr) string {
	s := make([]string, len(es))
	for i, e := range es {
		s[i] = e.String()
	}
	return strings.Join(s, ", ")
}

// notArray negates a boolean array, keeping NULLs.
func notArray(mem memory.Allocator, a arrow.Array) arrow.Array {
	out := newBitmap(mem, a.Len(), false)
	bitutil.InvertBitmap(boolBits(a), a.Data().Offset(), a.Len(), out.Bytes(), 0)
	return makeArray(arrow.FixedWidthTypes.Boolean, a.Len(), copyValidity(mem, a), out)
}
