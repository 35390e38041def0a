package engine

import (
	"context"
	"fmt"
	"math"
	"strings"
	"sync/atomic"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/float16"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/exec"
	"github.com/sleeperd/sleeperd/types"
)

// castFlatHook, when set (by tests), runs at the start of every cast between flat types.
var castFlatHook atomic.Pointer[func(from, to arrow.DataType)]

// castFlat casts a validated array of a flat type to another flat type, on the calling
// goroutine: a panic in it becomes an Internal error (XX000) here. Values of Arrow types
// SQL has no type for are first brought to the nearest one without loss (small and
// unsigned integers widened, a uint64 to numeric(20,0), half floats to real, other
// decimals to numeric, large and view strings and bytes and fixed-size bytes to text and
// bytea, date64 to date, timestamps to microseconds, durations and other intervals to
// interval, dictionaries decoded); then exec's casts convert them as PostgreSQL does. Text
// and bytea convert to each other byte for byte (text must be UTF-8), and times, dates,
// timestamps and durations give their stored integers to an integer column, and times of
// any unit their microseconds to a time column.
func castFlat(ctx context.Context, a arrow.Array, to arrow.DataType) (out arrow.Array, err error) {
	defer func() {
		if p := recover(); p != nil {
			if out != nil {
				out.Release()
				out = nil
			}
			err = errs.Recovered(p)
		}
	}()
	from := a.DataType()
	if hook := castFlatHook.Load(); hook != nil {
		(*hook)(from, to)
	}
	mem := exec.Allocator(ctx)
	if types.IsTime(to) && (from.ID() == arrow.TIME32 || from.ID() == arrow.TIME64) {
		// A time column holds microseconds: Arrow times of other units convert.
		us := timeMicros(mem, a)
		defer us.Release()
		return exec.CastArray(ctx, us, to)
	}
	if exec.IsInteger(to) {
		if raw := rawInteger(a); raw != nil {
			defer raw.Release()
			return exec.CastArray(ctx, raw, to)
		}
	}
	if id := from.ID(); (id == arrow.TIME32 || id == arrow.TIME64) && to.ID() == arrow.STRING {
		return timesText(mem, a)
	}
	n, err := sqlFlat(mem, a)
	if err != nil {
		return nil, err
	}
	defer n.Release()
	nf := n.DataType()
	switch {
	case arrow.TypeEqual(nf, to):
		n.Retain()
		return n, nil
	case nf.ID() == arrow.TIMESTAMP && to.ID() == arrow.TIMESTAMP && to.(*arrow.TimestampType).Unit == arrow.Microsecond:
		// Only the time zone differs: the values stay.
		return rewrapAs(n, to), nil
	case nf.ID() == arrow.STRING && to.ID() == arrow.BINARY:
		return rewrapAs(n, to), nil
	case nf.ID() == arrow.BINARY && to.ID() == arrow.STRING:
		bs := n.(*array.Binary)
		for i := 0; i < bs.Len(); i++ {
			if bs.IsValid(i) && !utf8.Valid(bs.Value(i)) {
				return nil, errs.New(errs.InvalidText, "invalid input syntax for type text: value %d is not UTF-8", i)
			}
		}
		return rewrapAs(n, to), nil
	case nf.ID() == arrow.BOOL && exec.IsNumeric(to) && to.ID() != arrow.INT32:
		i32, err := exec.CastArray(ctx, n, arrow.PrimitiveTypes.Int32)
		if err != nil {
			return nil, err
		}
		defer i32.Release()
		return exec.CastArray(ctx, i32, to)
	case exec.IsInteger(nf) && nf.ID() != arrow.INT32 && to.ID() == arrow.BOOL:
		i32, err := exec.CastArray(ctx, n, arrow.PrimitiveTypes.Int32)
		if err != nil {
			return nil, err
		}
		defer i32.Release()
		return exec.CastArray(ctx, i32, to)
	}
	if !exec.CanCast(nf, to) {
		return nil, cannotCast(from, to)
	}
	return exec.CastArray(ctx, n, to)
}

// timesText is the times of day of a (time32 or time64) as PostgreSQL writes them:
// HH:MM:SS and the fraction of a second to the microsecond, without trailing zeros.
func timesText(mem memory.Allocator, a arrow.Array) (arrow.Array, error) {
	var unit arrow.TimeUnit
	switch t := a.DataType().(type) {
	case *arrow.Time32Type:
		unit = t.Unit
	case *arrow.Time64Type:
		unit = t.Unit
	}
	mul, div := unitToMicros(unit)
	b := array.NewStringBuilder(mem)
	defer b.Release()
	b.Reserve(a.Len())
	for i := 0; i < a.Len(); i++ {
		if a.IsNull(i) {
			b.AppendNull()
			continue
		}
		var v int64
		switch a := a.(type) {
		case *array.Time32:
			v = int64(a.Value(i))
		case *array.Time64:
			v = int64(a.Value(i))
		}
		if v > math.MaxInt64/mul || v < 0 {
			return nil, errs.New(errs.DatetimeOverflow, "time out of range")
		}
		us := floorDiv(v*mul, div)
		if us > 86_400_000_000 {
			return nil, errs.New(errs.DatetimeOverflow, "time out of range")
		}
		s := fmt.Sprintf("%02d:%02d:%02d", us/3_600_000_000, us/60_000_000%60, us/1_000_000%60)
		if f := us % 1_000_000; f != 0 {
			s += strings.TrimRight(fmt.Sprintf(".%06d", f), "0")
		}
		b.Append(s)
	}
	return b.NewArray(), nil
}

// rawInteger is a's stored integers when a holds times, dates, timestamps or durations,
// else nil.
func rawInteger(a arrow.Array) arrow.Array {
	switch a.DataType().ID() {
	case arrow.TIME32, arrow.DATE32:
		return rewrapAs(a, arrow.PrimitiveTypes.Int32)
	case arrow.TIME64, arrow.DATE64, arrow.TIMESTAMP, arrow.DURATION:
		return rewrapAs(a, arrow.PrimitiveTypes.Int64)
	}
	return nil
}

// rewrapAs is a's buffers under type to, of the same layout.
func rewrapAs(a arrow.Array, to arrow.DataType) arrow.Array {
	d := a.Data()
	data := array.NewData(to, d.Len(), d.Buffers(), nil, d.NullN(), d.Offset())
	defer data.Release()
	return array.MakeFromData(data)
}

// sqlFlat is a flat array a brought without loss to a type exec's casts take (see
// castFlat), or a retained when it has one.
func sqlFlat(mem memory.Allocator, a arrow.Array) (arrow.Array, error) {
	if exec.Supported(a.DataType()) {
		a.Retain()
		return a, nil
	}
	n := a.Len()
	switch a := a.(type) {
	case *array.Int8:
		return fixed(mem, a, arrow.PrimitiveTypes.Int16, func(i int) int16 { return int16(a.Value(i)) }), nil
	case *array.Uint8:
		return fixed(mem, a, arrow.PrimitiveTypes.Int16, func(i int) int16 { return int16(a.Value(i)) }), nil
	case *array.Uint16:
		return fixed(mem, a, arrow.PrimitiveTypes.Int32, func(i int) int32 { return int32(a.Value(i)) }), nil
	case *array.Uint32:
		return fixed(mem, a, arrow.PrimitiveTypes.Int64, func(i int) int64 { return int64(a.Value(i)) }), nil
	case *array.Uint64:
		return fixed(mem, a, &arrow.Decimal128Type{Precision: 20, Scale: 0}, func(i int) decimal128.Num {
			return decimal128.FromU64(a.Value(i))
		}), nil
	case *array.Float16:
		return fixed(mem, a, arrow.PrimitiveTypes.Float32, func(i int) float32 { return float16.Num(a.Value(i)).Float32() }), nil
	case *array.Decimal32:
		t := a.DataType().(*arrow.Decimal32Type)
		return fixed(mem, a, &arrow.Decimal128Type{Precision: t.Precision, Scale: t.Scale}, func(i int) decimal128.Num {
			return decimal128.FromI64(int64(a.Value(i)))
		}), nil
	case *array.Decimal64:
		t := a.DataType().(*arrow.Decimal64Type)
		return fixed(mem, a, &arrow.Decimal128Type{Precision: t.Precision, Scale: t.Scale}, func(i int) decimal128.Num {
			return decimal128.FromI64(int64(a.Value(i)))
		}), nil
	case *array.Decimal256:
		t := a.DataType().(*arrow.Decimal256Type)
		p := min(t.Precision, 38)
		if t.Scale > p {
			return nil, errs.New(errs.NumericRange, "numeric value out of range: a scale of %d", t.Scale)
		}
		for i := 0; i < n; i++ {
			if a.IsValid(i) && !fits128(a.Value(i).Array()) {
				return nil, errs.New(errs.NumericRange, "numeric value out of range: %s", a.ValueStr(i))
			}
		}
		return fixed(mem, a, &arrow.Decimal128Type{Precision: p, Scale: t.Scale}, func(i int) decimal128.Num {
			w := a.Value(i).Array()
			return decimal128.New(int64(w[1]), w[0])
		}), nil
	case *array.Date64:
		return fixed(mem, a, arrow.FixedWidthTypes.Date32, func(i int) arrow.Date32 {
			d := int64(a.Value(i)) / 86_400_000
			if int64(a.Value(i))%86_400_000 < 0 {
				d--
			}
			return arrow.Date32(d)
		}), nil
	case *array.Timestamp:
		t := a.DataType().(*arrow.TimestampType)
		out := &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: t.TimeZone}
		mul, div := unitToMicros(t.Unit)
		for i := 0; i < n; i++ {
			if v := int64(a.Value(i)); a.IsValid(i) && (v > math.MaxInt64/mul || v < math.MinInt64/mul) {
				return nil, errs.New(errs.DatetimeOverflow, "timestamp out of range")
			}
		}
		return fixed(mem, a, out, func(i int) arrow.Timestamp {
			return arrow.Timestamp(floorDiv(int64(a.Value(i))*mul, div))
		}), nil
	case *array.Duration:
		mul, div := unitToMicros(a.DataType().(*arrow.DurationType).Unit)
		for i := 0; i < n; i++ {
			if v := int64(a.Value(i)); a.IsValid(i) && (v > math.MaxInt64/mul/1000 || v < math.MinInt64/mul/1000) {
				return nil, errs.New(errs.DatetimeOverflow, "interval out of range")
			}
		}
		return fixed(mem, a, arrow.FixedWidthTypes.MonthDayNanoInterval, func(i int) arrow.MonthDayNanoInterval {
			return arrow.MonthDayNanoInterval{Nanoseconds: int64(a.Value(i)) * mul / div * 1000}
		}), nil
	case *array.MonthInterval:
		return fixed(mem, a, arrow.FixedWidthTypes.MonthDayNanoInterval, func(i int) arrow.MonthDayNanoInterval {
			return arrow.MonthDayNanoInterval{Months: int32(a.Value(i))}
		}), nil
	case *array.DayTimeInterval:
		return fixed(mem, a, arrow.FixedWidthTypes.MonthDayNanoInterval, func(i int) arrow.MonthDayNanoInterval {
			v := a.Value(i)
			return arrow.MonthDayNanoInterval{Days: v.Days, Nanoseconds: int64(v.Milliseconds) * 1_000_000}
		}), nil
	case *array.LargeString:
		return texts(mem, a, arrow.BinaryTypes.String, func(i int) []byte { return []byte(a.Value(i)) })
	case *array.StringView:
		return texts(mem, a, arrow.BinaryTypes.String, func(i int) []byte { return []byte(a.Value(i)) })
	case *array.LargeBinary:
		return texts(mem, a, arrow.BinaryTypes.Binary, a.Value)
	case *array.BinaryView:
		return texts(mem, a, arrow.BinaryTypes.Binary, a.Value)
	case *array.FixedSizeBinary:
		return texts(mem, a, arrow.BinaryTypes.Binary, a.Value)
	case *array.Dictionary:
		dict, err := sqlFlat(mem, a.Dictionary())
		if err != nil {
			return nil, err
		}
		defer dict.Release()
		b := array.NewBuilder(mem, dict.DataType())
		defer b.Release()
		b.Reserve(n)
		for i := 0; i < n; i++ {
			if a.IsNull(i) {
				b.AppendNull()
				continue
			}
			if v := exec.ValueAt(dict, a.GetValueIndex(i)); v != nil {
				exec.AppendValue(b, v)
			} else {
				b.AppendNull()
			}
		}
		return b.NewArray(), nil
	}
	return nil, errs.New(errs.CannotCoerce, "cannot cast type %s", typeName(a.DataType()))
}

// fits128 reports whether the 256-bit two's complement integer w (least significant word
// first) fits in 128 bits.
func fits128(w [4]uint64) bool {
	ext := uint64(0)
	if int64(w[1]) < 0 {
		ext = math.MaxUint64
	}
	return w[2] == ext && w[3] == ext
}

// unitToMicros is the factor to multiply values of unit u by, and the one to divide them
// by, to give microseconds.
func unitToMicros(u arrow.TimeUnit) (mul, div int64) {
	switch u {
	case arrow.Second:
		return 1_000_000, 1
	case arrow.Millisecond:
		return 1000, 1
	case arrow.Nanosecond:
		return 1, 1000
	}
	return 1, 1
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// fixed is an array of type to, of a fixed width T, with a's validity and value(i) at each
// valid i.
func fixed[T arrow.FixedWidthType](mem memory.Allocator, a arrow.Array, to arrow.DataType, value func(i int) T) arrow.Array {
	n := a.Len()
	buf, vs := exec.AllocValues[T](mem, n)
	for i := 0; i < n; i++ {
		if a.IsValid(i) {
			vs[i] = value(i)
		}
	}
	out := exec.MakeArray(to, n, exec.CopyValidity(mem, a), buf)
	return out
}

// texts is a string or binary array (of type to) of the values of a.
func texts(mem memory.Allocator, a arrow.Array, to arrow.DataType, value func(i int) []byte) (arrow.Array, error) {
	n := a.Len()
	total := 0
	for i := 0; i < n; i++ {
		if a.IsValid(i) {
			total += len(value(i))
		}
	}
	if total > math.MaxInt32 {
		return nil, errs.New(errs.NotImplemented, "a column of %d bytes of text is too large", total)
	}
	b := array.NewBinaryBuilder(mem, arrow.BinaryTypes.Binary)
	defer b.Release()
	b.Reserve(n)
	b.ReserveData(total)
	for i := 0; i < n; i++ {
		if a.IsNull(i) {
			b.AppendNull()
			continue
		}
		b.Append(value(i))
	}
	out := b.NewArray()
	defer out.Release()
	return rewrapAs(out, to), nil
}
