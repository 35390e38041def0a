package planner

import (
	"context"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/exec"
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
	if start.Value != nil && stop.Value != nil && (step == nil || step.Value != nil) {
		switch n.Col.Type.ID() {
		case arrow.INT32, arrow.INT64:
			from, to, by := toInt(start.Value), toInt(stop.Value), int64(1)
			if step != nil {
				by = toInt(step.Value)
			}
			if by == 0 {
				return nil, errs.New(errs.InvalidParameter, "step size cannot equal zero")
			}
			count := int64(0)
			for v := from; (by > 0 && v <= to) || (by < 0 && v >= to); v += by {
				if count++; count > maxSeriesRows {
					return nil, errs.New(errs.OutOfMemory, "generate_series of more than %d rows is not supported", maxSeriesRows)
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
				return nil, errs.New(errs.InvalidParameter, "step size cannot equal zero")
			}
			forward := true
			if next, err := Eval(ctx, &Binary{Op: OpAdd, L: cur, R: step, Typ: n.Col.Type}); err == nil {
				forward = next.Value.(arrow.Timestamp) > cur.Value.(arrow.Timestamp)
			}
			for count := 0; ; count++ {
				v := cur.Value.(arrow.Timestamp)
				if (forward && v > stopTS) || (!forward && v < stopTS) {
					break
				}
				if count >= maxSeriesRows {
					return nil, errs.New(errs.OutOfMemory, "generate_series of more than %d rows is not supported", maxSeriesRows)
				}
				b.(*array.TimestampBuilder).Append(v)
				next, err := Eval(ctx, &Binary{Op: OpAdd, L: cur, R: step, Typ: n.Col.Type})
				if err != nil {
					return nil, err
				}
				cur = next
			}
		default:
			return nil, errs.New(errs.UndefinedFunction, "function generate_series(%s) does not exist", TypeName(n.Col.Type))
		}
	}
	arr := b.NewArray()
	defer arr.Release()
	rec := array.NewRecordBatch(schema, []arrow.Array{arr}, int64(arr.Len()))
	defer rec.Release()
	return exec.NewValues(schema, []arrow.RecordBatch{rec})
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
