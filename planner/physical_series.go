package planner

import (
	"context"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/exec"
	"github.com/sleeperd/sleeperd/types"
)

// maxSeriesRows bounds generate_series, which is computed whole before it is served.
const maxSeriesRows = 100_000_000

// physicalSeries computes generate_series into a constant relation (Go memory, like VALUES).
func physicalSeries(ctx context.Context, n *Series) (exec.Operator, error) {
	lit := func(e Expr) (*Literal, error) {
		if e == nil {
			return nil, nil
		}
		l, ok := e.(*Literal)
		if !ok {
			return nil, errs.New(errs.NotImplemented, "generate_series arguments must be constants (LATERAL is not supported yet)")
		}
		return l, nil
	}
	start, err := lit(n.Start)
	if err != nil {
		return nil, err
	}
	stop, err := lit(n.Stop)
	if err != nil {
		return nil, err
	}
	step, err := lit(n.Step)
	if err != nil {
		return nil, err
	}
	schema := Schema([]Column{n.Col}, nil)
	b := array.NewBuilder(memory.DefaultAllocator, n.Col.Type)
	defer b.Release()
	if err := appendSeries(ctx, b, n.Col.Type, start, stop, step); err != nil {
		return nil, err
	}
	arr := b.NewArray()
	defer arr.Release()
	rec := array.NewRecordBatch(schema, []arrow.Array{arr}, int64(arr.Len()))
	defer rec.Release()
	return exec.NewValues(schema, []arrow.RecordBatch{rec})
}

// appendSeries appends to b the values of generate_series(start, stop[, step]) of type typ
// (none when an argument is NULL).
func appendSeries(ctx context.Context, b array.Builder, typ arrow.DataType, start, stop, step *Literal) error {
	if start.Value == nil || stop.Value == nil || (step != nil && step.Value == nil) {
		return nil
	}
	switch typ.ID() {
	case arrow.INT32, arrow.INT64:
		from, to, by := toInt(start.Value), toInt(stop.Value), int64(1)
		if step != nil {
			by = toInt(step.Value)
		}
		if by == 0 {
			return errs.New(errs.InvalidParameter, "step size cannot equal zero")
		}
		count := int64(0)
		for v := from; (by > 0 && v <= to) || (by < 0 && v >= to); v += by {
			if count&0xffff == 0 {
				if err := stopped(ctx); err != nil {
					return err
				}
			}
			if count++; count > maxSeriesRows {
				return errs.New(errs.OutOfMemory, "generate_series of more than %d rows is not supported", maxSeriesRows)
			}
			if bb, ok := b.(*array.Int32Builder); ok {
				bb.Append(int32(v))
			} else {
				b.(*array.Int64Builder).Append(v)
			}
			if (by > 0 && v > to-by) || (by < 0 && v < to-by) {
				break // the next step would overflow or pass the end
			}
		}
	case arrow.TIMESTAMP:
		// Each step adds the interval to the previous value, as PostgreSQL does.
		cur := start
		stopTS := stop.Value.(arrow.Timestamp)
		zero := arrow.MonthDayNanoInterval{}
		if step.Value.(arrow.MonthDayNanoInterval) == zero {
			return errs.New(errs.InvalidParameter, "step size cannot equal zero")
		}
		forward := true
		if next, err := Eval(ctx, &Binary{Op: OpAdd, L: cur, R: step, Typ: typ}); err == nil {
			forward = next.Value.(arrow.Timestamp) > cur.Value.(arrow.Timestamp)
		}
		for count := 0; ; count++ {
			v := cur.Value.(arrow.Timestamp)
			if (forward && v > stopTS) || (!forward && v < stopTS) {
				break
			}
			if count&0xfff == 0 {
				if err := stopped(ctx); err != nil {
					return err
				}
			}
			if count >= maxSeriesRows {
				return errs.New(errs.OutOfMemory, "generate_series of more than %d rows is not supported", maxSeriesRows)
			}
			b.(*array.TimestampBuilder).Append(v)
			next, err := Eval(ctx, &Binary{Op: OpAdd, L: cur, R: step, Typ: typ})
			if err != nil {
				return err
			}
			cur = next
		}
	default:
		return errs.New(errs.UndefinedFunction, "function generate_series(%s) does not exist", types.Name(typ))
	}
	return nil
}

// stopped returns why ctx is done (statement_timeout, a cancel), or nil while it is not: a
// long series stops building when its statement stops.
func stopped(ctx context.Context) error {
	if ctx.Err() == nil {
		return nil
	}
	if c := context.Cause(ctx); c != nil {
		return c
	}
	return ctx.Err()
}

// seriesList is generate_series(start, stop[, step]) as an expression: per row, the array of
// the series' values, for a generate_series in FROM whose arguments refer to the items
// before it (an Unnest expands it).
type seriesList struct {
	args []exec.Expr
	typ  arrow.DataType // the list type
}

var _ exec.Expr = (*seriesList)(nil)

func (s *seriesList) DataType() arrow.DataType { return s.typ }

func (s *seriesList) String() string {
	out := "generate_series("
	for i, a := range s.args {
		if i > 0 {
			out += ", "
		}
		out += a.String()
	}
	return out + ")"
}

func (s *seriesList) Eval(ctx context.Context, batch arrow.RecordBatch) (arrow.Array, error) {
	args := make([]arrow.Array, len(s.args))
	defer func() {
		for _, a := range args {
			if a != nil {
				a.Release()
			}
		}
	}()
	for i, a := range s.args {
		arr, err := a.Eval(ctx, batch)
		if err != nil {
			return nil, err
		}
		args[i] = arr
	}
	lt := s.typ.(*arrow.ListType)
	b := array.NewListBuilder(exec.Allocator(ctx), lt.Elem())
	defer b.Release()
	lit := func(i, row int) *Literal {
		return &Literal{Value: ValueAt(args[i], row), Typ: args[i].DataType()}
	}
	for row := 0; row < int(batch.NumRows()); row++ {
		var step *Literal
		if len(args) == 3 {
			step = lit(2, row)
		}
		b.Append(true)
		if err := appendSeries(ctx, b.ValueBuilder(), lt.Elem(), lit(0, row), lit(1, row), step); err != nil {
			return nil, err
		}
	}
	return b.NewArray(), nil
}

func toInt(v any) int64 {
	switch x := v.(type) {
	case int16:
		return int64(x)
	case int32:
		return int64(x)
	case int64:
		return x
	}
	return 0
}
