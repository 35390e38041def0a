package exec

import (
	"context"
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/types"
)

// Literal is a constant, broadcast to the length of the batch it is evaluated over.
type Literal struct {
	v   any // nil for NULL; otherwise the Go type matching typ
	typ arrow.DataType
}

var _ Expr = (*Literal)(nil)

// NewLiteral returns the constant v of type t. v is nil (NULL) or the Go value for t: bool,
// int16, int32, int64, float32, float64, decimal128.Num (unscaled, at t's scale), string,
// []byte, arrow.Date32, arrow.Timestamp (microseconds) or arrow.MonthDayNanoInterval
// (nanoseconds a whole number of microseconds). A Go int is accepted for the
// integer types when it fits.
func NewLiteral(v any, t arrow.DataType) (*Literal, error) {
	if t == nil || !supported(t) {
		return nil, typeErr("literal of type %v", t)
	}
	if v == nil {
		return &Literal{typ: t}, nil
	}
	if i, ok := v.(int); ok {
		switch tid(t) {
		case arrow.INT16:
			if int(int16(i)) != i {
				return nil, fmt.Errorf("literal %d out of range of smallint", i)
			}
			v = int16(i)
		case arrow.INT32:
			if int(int32(i)) != i {
				return nil, fmt.Errorf("literal %d out of range of integer", i)
			}
			v = int32(i)
		case arrow.INT64:
			v = int64(i)
		}
	}
	ok := false
	switch tid(t) {
	case arrow.BOOL:
		_, ok = v.(bool)
	case arrow.INT16:
		_, ok = v.(int16)
	case arrow.INT32:
		_, ok = v.(int32)
	case arrow.INT64:
		_, ok = v.(int64)
	case arrow.FLOAT32:
		_, ok = v.(float32)
	case arrow.FLOAT64:
		_, ok = v.(float64)
	case arrow.DECIMAL128:
		_, ok = v.(decimal128.Num)
	case arrow.STRING:
		_, ok = v.(string)
	case arrow.BINARY:
		var b []byte
		b, ok = v.([]byte)
		v = append([]byte(nil), b...)
	case arrow.DATE32:
		_, ok = v.(arrow.Date32)
	case arrow.TIMESTAMP:
		_, ok = v.(arrow.Timestamp)
	case arrow.INTERVAL_MONTH_DAY_NANO:
		_, ok = v.(arrow.MonthDayNanoInterval)
	case arrow.LIST:
		l, err := checkListValue(v, t)
		if err != nil {
			return nil, err
		}
		v, ok = l, true
	case arrow.STRUCT:
		r, err := checkRecordValue(v, t)
		if err != nil {
			return nil, err
		}
		v, ok = r, true
	case arrow.MAP:
		_, ok = v.(MapValue)
	}
	if !ok {
		return nil, typeErr("literal %v (%T) is not a value of type %s", v, v, t)
	}
	return &Literal{v: v, typ: t}, nil
}

// Value is the literal's Go value, nil for NULL.
func (l *Literal) Value() any { return l.v }

func (l *Literal) DataType() arrow.DataType { return l.typ }

func (l *Literal) Eval(ctx context.Context, batch arrow.RecordBatch) (arrow.Array, error) {
	return broadcast(Allocator(ctx), l.v, l.typ, int(batch.NumRows())), nil
}

func (l *Literal) String() string {
	if l.v == nil {
		return "NULL"
	}
	if types.IsVarNumeric(l.typ) {
		return "'" + FormatVarNumeric(l.v.(decimal128.Num)) + "'::numeric"
	}
	switch l.typ.ID() {
	case arrow.STRUCT:
		return recordLiteralString(l.v.([]any), l.typ.(*arrow.StructType))
	case arrow.STRING:
		return "'" + strings.ReplaceAll(l.v.(string), "'", "''") + "'"
	case arrow.BINARY, arrow.DATE32, arrow.TIMESTAMP, arrow.INTERVAL_MONTH_DAY_NANO, arrow.LIST:
		return "'" + formatText(l.v, l.typ) + "'::" + types.BaseName(l.typ)
	case arrow.FLOAT32, arrow.FLOAT64, arrow.DECIMAL128:
		s := formatText(l.v, l.typ)
		if strings.ContainsAny(s, "NI") { // NaN, Infinity

			return "'" + s + "'::" + types.BaseName(l.typ)
		}
		return s
	}
	return formatText(l.v, l.typ)
}

// broadcast returns an array of n copies of v (nil = NULL) of type t.
func broadcast(mem memory.Allocator, v any, t arrow.DataType, n int) arrow.Array {
	if v == nil {
		return array.MakeArrayOfNull(mem, t, n)
	}
	switch tid(t) {
	case arrow.BOOL:
		return makeArray(t, n, nil, newBitmap(mem, n, v.(bool)))
	case arrow.INT16:
		return fill(mem, t, n, v.(int16))
	case arrow.INT32:
		return fill(mem, t, n, v.(int32))
	case arrow.INT64:
		return fill(mem, t, n, v.(int64))
	case arrow.FLOAT32:
		return fill(mem, t, n, v.(float32))
	case arrow.FLOAT64:
		return fill(mem, t, n, v.(float64))
	case arrow.DECIMAL128:
		return fill(mem, t, n, v.(decimal128.Num))
	case arrow.DATE32:
		return fill(mem, t, n, v.(arrow.Date32))
	case arrow.TIMESTAMP:
		return fill(mem, t, n, v.(arrow.Timestamp))
	case arrow.INTERVAL_MONTH_DAY_NANO:
		return fill(mem, t, n, v.(arrow.MonthDayNanoInterval))
	case arrow.STRING:
		return fillBytes(mem, t, n, []byte(v.(string)))
	case arrow.BINARY:
		return fillBytes(mem, t, n, v.([]byte))
	case arrow.LIST:
		b := array.NewListBuilder(mem, elemType(t))
		defer b.Release()
		b.Reserve(n)
		for i := 0; i < n; i++ {
			appendList(b, v.([]any))
		}
		return b.NewArray()
	case arrow.STRUCT:
		b := array.NewStructBuilder(mem, t.(*arrow.StructType))
		defer b.Release()
		for i := 0; i < n; i++ {
			appendStruct(b, v.([]any))
		}
		return b.NewArray()
	case arrow.MAP:
		return broadcastMap(array.NewMapBuilderWithType(mem, t.(*arrow.MapType)), v.(MapValue), n)
	}
	panic("exec: broadcast of unsupported type " + t.String())
}

func fill[T arrow.FixedWidthType](mem memory.Allocator, t arrow.DataType, n int, v T) arrow.Array {
	buf, vals := newValues[T](mem, n)
	for i := range vals {
		vals[i] = v
	}
	return makeArray(t, n, nil, buf)
}

func fillBytes(mem memory.Allocator, t arrow.DataType, n int, v []byte) arrow.Array {
	offBuf, offs := newValues[int32](mem, n+1)
	data := memory.NewResizableBuffer(mem)
	data.Resize(n * len(v))
	b := data.Bytes()
	for i := 0; i < n; i++ {
		offs[i] = int32(i * len(v))
		copy(b[i*len(v):], v)
	}
	offs[n] = int32(n * len(v))
	return makeArray(t, n, nil, offBuf, data)
}

// valueAt returns row i of a as a Go value of the kind NewLiteral accepts (nil for NULL).
// It boxes; use it off hot paths only.
func valueAt(a arrow.Array, i int) any {
	if a.IsNull(i) {
		return nil
	}
	switch a := a.(type) {
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
	case *types.VarNumericArray:
		return values[decimal128.Num](a)[i]
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
	case *array.List:
		return listValue(a, i)
	case *array.Struct:
		return structValue(a, i)
	case *array.Map:
		return mapValue(a, i)
	}
	panic("exec: value of unsupported type " + a.DataType().String())
}

var _ = bitutil.BitIsSet
