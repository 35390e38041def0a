package planner

import (
	"context"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/types"
)

// ValueAt returns row i of arr as a Go value in the representation Literal uses (nil for NULL).
func ValueAt(arr arrow.Array, i int) any {
	if arr.IsNull(i) {
		return nil
	}
	switch a := arr.(type) {
	case *array.Boolean:
		return a.Value(i)
	case *array.Int16:
		return a.Value(i)
	case *array.Int32:
		return a.Value(i)
	case *array.Int64:
		return a.Value(i)
	case *array.Float32:
		return a.Value(i)
	case *array.Float64:
		return a.Value(i)
	case *array.Decimal128:
		return a.Value(i)
	case *array.String:
		return a.Value(i)
	case *array.Binary:
		return append([]byte(nil), a.Value(i)...)
	case *array.Date32:
		return a.Value(i)
	case *array.Timestamp:
		return a.Value(i)
	case *array.MonthDayNanoInterval:
		return a.Value(i)
	case array.ExtensionArray:
		// numeric without a type modifier: its packed storage value (types.PackNumeric).
		return ValueAt(a.Storage(), i)
	case *array.List:
		start, end := a.ValueOffsets(i)
		out := make([]any, 0, end-start)
		for j := start; j < end; j++ {
			out = append(out, ValueAt(a.ListValues(), int(j)))
		}
		return out
	case *array.Struct:
		// A record: its fields' values.
		out := make([]any, a.NumField())
		for k := range out {
			out[k] = ValueAt(a.Field(k), i)
		}
		return out
	}
	return nil
}

// Eval evaluates an expression without column references to a literal.
func Eval(ctx context.Context, e Expr) (*Literal, error) {
	if l, ok := e.(*Literal); ok {
		return l, nil
	}
	ce, err := CompileExpr(e, nil)
	if err != nil {
		return nil, err
	}
	one := array.NewRecordBatch(arrow.NewSchema(nil, nil), nil, 1)
	defer one.Release()
	arr, err := ce.Eval(ctx, one)
	if err != nil {
		return nil, err
	}
	defer arr.Release()
	return &Literal{Value: ValueAt(arr, 0), Typ: e.Type()}, nil
}

// BindParams replaces each parameter $i by a literal of params[i-1], given as a Go value as
// engine.Statement.Execute documents. Values that are not already of the parameter's type are
// converted as a cast from text would be.
func BindParams(n Node, params []any) (Node, error) {
	return TransformPlan(n, func(n Node) (Node, error) {
		return MapExprs(n, func(e Expr) (Expr, error) {
			p, ok := e.(*Param)
			if !ok {
				return e, nil
			}
			if p.Index > len(params) {
				return nil, errs.New(errs.ProtocolViolation, "statement needs %d parameters, %d given", p.Index, len(params))
			}
			return ParamLiteral(params[p.Index-1], p.Typ)
		})
	})
}

// ParamLiteral converts a parameter value to an expression of type t.
func ParamLiteral(v any, t arrow.DataType) (Expr, error) {
	if types.IsUnknown(t) || t.ID() == arrow.NULL {
		t = types.Text
	}
	switch x := v.(type) {
	case nil:
		return &Literal{Typ: t}, nil
	case string:
		if t.ID() == arrow.STRING {
			return &Literal{Value: x, Typ: t}, nil
		}
		return &Cast{E: &Literal{Value: x, Typ: types.Text}, To: t}, nil
	case []byte:
		if t.ID() == arrow.BINARY {
			return &Literal{Value: x, Typ: t}, nil
		}
		return &Cast{E: &Literal{Value: string(x), Typ: types.Text}, To: t}, nil
	case bool:
		return castLit(x, types.Bool, t), nil
	case int64:
		return castLit(x, types.Int64, t), nil
	case int32:
		return castLit(x, types.Int32, t), nil
	case int16:
		return castLit(x, types.Int16, t), nil
	case int:
		return castLit(int64(x), types.Int64, t), nil
	case float64:
		return castLit(x, types.Float64, t), nil
	case float32:
		return castLit(x, types.Float32, t), nil
	case []any:
		if types.IsArray(t) {
			elems, err := listParam(x, types.Elem(t))
			if err != nil {
				return nil, err
			}
			return &Literal{Value: elems, Typ: t}, nil
		}
		return nil, errs.New(errs.InvalidParameter, "an array value was given for a parameter of type %s", types.Name(t))
	case time.Time:
		switch t.ID() {
		case arrow.DATE32:
			return &Literal{Value: arrow.Date32FromTime(x), Typ: t}, nil
		case arrow.TIMESTAMP:
			return &Literal{Value: arrow.Timestamp(x.UnixMicro()), Typ: t}, nil
		}
		return castLit(arrow.Timestamp(x.UnixMicro()), types.TimestampTZ, t), nil
	}
	return nil, errs.New(errs.InvalidParameter, "unsupported parameter value of Go type %T", v)
}

func castLit(v any, from, to arrow.DataType) Expr {
	l := &Literal{Value: v, Typ: from}
	if arrow.TypeEqual(from, to) {
		return l
	}
	return &Cast{E: l, To: to}
}

// listParam converts the elements of an array parameter, given as the Go values
// ParamLiteral takes (as the wire protocol decodes them: int64 for any integer, string for
// numeric), to the values a Literal of element type et holds, as PostgreSQL converts each
// element: an integer out of the element type's range fails with errs.NumericRange, text
// that does not parse with errs.InvalidText.
func listParam(xs []any, et arrow.DataType) ([]any, error) {
	out := make([]any, len(xs))
	for i, x := range xs {
		if x == nil {
			continue
		}
		if _, nested := x.([]any); nested {
			return nil, errs.New(errs.NotImplemented, "multidimensional arrays are not supported")
		}
		e, err := ParamLiteral(x, et)
		if err != nil {
			return nil, err
		}
		l, err := Eval(context.Background(), e)
		if err != nil {
			return nil, err
		}
		out[i] = l.Value
	}
	return out, nil
}
