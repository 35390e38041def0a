package exec

import (
	"context"
	"errors"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Errors returned by constructors of expressions and operators.
var (
	// ErrType is returned when an operand or input has a type the expression or operator
	// does not accept.
	ErrType = errors.New("exec: unsupported type")
	// ErrArity is returned when an expression or operator gets the wrong number of inputs.
	ErrArity = errors.New("exec: wrong number of arguments")
	// ErrSchema is returned when inputs' schemas disagree.
	ErrSchema = errors.New("exec: schema mismatch")
)

func typeErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrType, fmt.Sprintf(format, args...))
}

// values returns the typed values of a fixed-width array, respecting its offset.
func values[T arrow.FixedWidthType](a arrow.Array) []T {
	return arrow.GetValues[T](a.Data(), 1)
}

// boolBits returns the value bitmap of a boolean array (from its buffer's start: index it
// with the array's offset). An empty array may have no value buffer at all (arrow-go's
// builders make none for no rows), and then it is nil; every bitmap routine accepts a nil
// bitmap for no bits.
func boolBits(a arrow.Array) []byte {
	if b := a.Data().Buffers()[1]; b != nil {
		return b.Bytes()
	}
	return nil
}

// newValues allocates a zero-filled value buffer of n values of T.
func newValues[T arrow.FixedWidthType](mem memory.Allocator, n int) (*memory.Buffer, []T) {
	var zero T
	size := n * int(sizeOf(zero))
	buf := memory.NewResizableBuffer(mem)
	buf.Resize(size)
	b := buf.Bytes()
	clear(b)
	if n == 0 {
		return buf, nil
	}
	return buf, arrow.GetData[T](b)[:n]
}

func sizeOf[T arrow.FixedWidthType](v T) uintptr {
	switch any(v).(type) {
	case int8, uint8:
		return 1
	case int16, uint16:
		return 2
	case int32, uint32, float32, arrow.Date32:
		return 4
	case int64, uint64, float64, arrow.Timestamp:
		return 8
	default:
		return 16 // decimal128
	}
}

// newBitmap allocates a bitmap of n bits, all set when set is true.
func newBitmap(mem memory.Allocator, n int, set bool) *memory.Buffer {
	buf := memory.NewResizableBuffer(mem)
	buf.Resize(int(bitutil.BytesForBits(int64(n))))
	b := buf.Bytes()
	if set {
		for i := range b {
			b[i] = 0xff
		}
	} else {
		clear(b)
	}
	return buf
}

// makeArray wraps buffers into an array of type dt and length n. It takes ownership of the
// buffers (releases its references once the array holds them); validity may be nil.
func makeArray(dt arrow.DataType, n int, validity *memory.Buffer, bufs ...*memory.Buffer) arrow.Array {
	all := append([]*memory.Buffer{validity}, bufs...)
	nulls := 0
	if validity != nil {
		nulls = n - bitutil.CountSetBits(validity.Bytes(), 0, n)
	}
	data := array.NewData(dt, n, all, nil, nulls, 0)
	for _, b := range all {
		if b != nil {
			b.Release()
		}
	}
	defer data.Release()
	return array.MakeFromData(data)
}

// replaceValidity returns a with its validity bitmap replaced by validity (nil: no nulls),
// sharing a's other buffers and children. It takes ownership of validity; a must be at
// offset 0 and is not released.
func replaceValidity(a arrow.Array, validity *memory.Buffer) arrow.Array {
	d := a.Data()
	n := d.Len()
	nulls := 0
	if validity != nil {
		nulls = n - bitutil.CountSetBits(validity.Bytes(), 0, n)
	}
	bufs := append([]*memory.Buffer{validity}, d.Buffers()[1:]...)
	data := array.NewData(d.DataType(), n, bufs, d.Children(), nulls, 0)
	if validity != nil {
		validity.Release()
	}
	defer data.Release()
	return array.MakeFromData(data)
}

// copyValidity returns a copy of a's validity bitmap at offset 0 with n bits, or nil when a has
// no nulls.
func copyValidity(mem memory.Allocator, a arrow.Array) *memory.Buffer {
	if a.NullN() == 0 {
		return nil
	}
	n := a.Len()
	out := newBitmap(mem, n, false)
	bitutil.CopyBitmap(a.NullBitmapBytes(), a.Data().Offset(), n, out.Bytes(), 0)
	return out
}

// andValidity returns the intersection of the validity of arrays, or nil when none has nulls.
func andValidity(mem memory.Allocator, arrs ...arrow.Array) *memory.Buffer {
	var out *memory.Buffer
	for _, a := range arrs {
		if a.NullN() == 0 {
			continue
		}
		if out == nil {
			out = copyValidity(mem, a)
			continue
		}
		bitutil.BitmapAnd(out.Bytes(), a.NullBitmapBytes(), 0, int64(a.Data().Offset()), out.Bytes(), 0, int64(a.Len()))
	}
	return out
}

// releaseAll releases every non-nil array.
func releaseAll(arrs []arrow.Array) {
	for _, a := range arrs {
		if a != nil {
			a.Release()
		}
	}
}

// evalAll evaluates exprs over batch; on error it releases what it evaluated.
func evalAll(ctx context.Context, exprs []Expr, batch arrow.RecordBatch) ([]arrow.Array, error) {
	out := make([]arrow.Array, len(exprs))
	for i, e := range exprs {
		a, err := e.Eval(ctx, batch)
		if err != nil {
			releaseAll(out[:i])
			return nil, err
		}
		out[i] = a
	}
	return out, nil
}

// isNumeric reports whether t is one of the numeric types arithmetic accepts.
func isNumeric(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.INT16, arrow.INT32, arrow.INT64, arrow.FLOAT32, arrow.FLOAT64, arrow.DECIMAL128:
		return true
	}
	return false
}

func isInteger(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.INT16, arrow.INT32, arrow.INT64:
		return true
	}
	return false
}

// supported reports whether t is one of the types the package handles.
func supported(t arrow.DataType) bool {
	switch tid(t) {
	case arrow.BOOL, arrow.INT16, arrow.INT32, arrow.INT64, arrow.FLOAT32, arrow.FLOAT64,
		arrow.DECIMAL128, arrow.STRING, arrow.BINARY, arrow.DATE32, arrow.INTERVAL_MONTH_DAY_NANO:
		return true
	case arrow.TIMESTAMP:
		return t.(*arrow.TimestampType).Unit == arrow.Microsecond
	case arrow.LIST:
		// One dimension only.
		e := elemType(t)
		return e.ID() != arrow.LIST && supported(e)
	case arrow.STRUCT, arrow.MAP:
		return supportedNested(t)
	}
	return false
}
