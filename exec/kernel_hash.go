package exec

import (
	"encoding/binary"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"

	"github.com/sleeperd/sleeperd/types"
)

// rowEncoder appends an encoding of row i of an array to dst. Two rows encode to the same
// bytes exactly when they are equal as GROUP BY / DISTINCT keys: NULLs are equal to each
// other, -0 equals 0 and every NaN equals every other NaN (as PostgreSQL groups them).
// Encodings are self-delimiting, so concatenating columns' encodings encodes a tuple.
type rowEncoder func(dst []byte, i int) []byte

func encoder(a arrow.Array) rowEncoder {
	nulls := a.NullN() > 0
	var enc rowEncoder
	switch a.DataType().ID() {
	case arrow.EXTENSION:
		if !types.IsVarNumeric(a.DataType()) {
			panic("exec: encode of unsupported type " + a.DataType().String())
		}
		enc = varEncoder(a)
	case arrow.BOOL:
		b := a.(*array.Boolean)
		enc = func(dst []byte, i int) []byte {
			if b.Value(i) {
				return append(dst, 1)
			}
			return append(dst, 0)
		}
	case arrow.INT16:
		v := values[int16](a)
		enc = func(dst []byte, i int) []byte { return binary.LittleEndian.AppendUint16(dst, uint16(v[i])) }
	case arrow.INT32, arrow.DATE32:
		v := values[int32](a)
		enc = func(dst []byte, i int) []byte { return binary.LittleEndian.AppendUint32(dst, uint32(v[i])) }
	case arrow.INT64, arrow.TIMESTAMP:
		v := values[int64](a)
		enc = func(dst []byte, i int) []byte { return binary.LittleEndian.AppendUint64(dst, uint64(v[i])) }
	case arrow.FLOAT32:
		v := values[float32](a)
		enc = func(dst []byte, i int) []byte { return appendFloat(dst, float64(v[i])) }
	case arrow.FLOAT64:
		v := values[float64](a)
		enc = func(dst []byte, i int) []byte { return appendFloat(dst, v[i]) }
	case arrow.DECIMAL128:
		v := values[decimal128.Num](a)
		enc = func(dst []byte, i int) []byte {
			dst = binary.LittleEndian.AppendUint64(dst, v[i].LowBits())
			return binary.LittleEndian.AppendUint64(dst, uint64(v[i].HighBits()))
		}
	case arrow.INTERVAL_MONTH_DAY_NANO:
		v := values[arrow.MonthDayNanoInterval](a)
		enc = func(dst []byte, i int) []byte {
			d, us := intervalSpan(v[i]) // equal intervals group together: '1 mon' = '30 days'
			dst = binary.LittleEndian.AppendUint64(dst, uint64(d))
			return binary.LittleEndian.AppendUint64(dst, uint64(us))
		}
	case arrow.STRING, arrow.BINARY:
		if types.IsJSONB(a.DataType()) {
			enc = jsonbEncoder(a)
			break
		}
		offs := arrow.GetOffsets[int32](a.Data(), 1)
		d := byteData(a)
		enc = func(dst []byte, i int) []byte {
			s := d[offs[i]:offs[i+1]]
			dst = binary.AppendUvarint(dst, uint64(len(s)))
			return append(dst, s...)
		}
	case arrow.LIST:
		enc = listEncoder(a)
	case arrow.STRUCT:
		enc = structEncoder(a)
	case arrow.MAP:
		enc = mapEncoder(a)
	default:
		panic("exec: encode of unsupported type " + a.DataType().String())
	}
	if !nulls {
		return func(dst []byte, i int) []byte { return enc(append(dst, 1), i) }
	}
	return func(dst []byte, i int) []byte {
		if a.IsNull(i) {
			return append(dst, 0)
		}
		return enc(append(dst, 1), i)
	}
}

func appendFloat(dst []byte, f float64) []byte {
	switch {
	case f != f:
		f = math.NaN()
	case f == 0:
		f = 0
	}
	return binary.LittleEndian.AppendUint64(dst, math.Float64bits(f))
}

// rowAppender appends row i of an array to a builder of the same type.
type rowAppender func(i int)

func appender(a arrow.Array, b array.Builder) rowAppender {
	var app rowAppender
	b = storageBuilder(b)
	switch tid(a.DataType()) {
	case arrow.BOOL:
		x, y := a.(*array.Boolean), b.(*array.BooleanBuilder)
		app = func(i int) { y.Append(x.Value(i)) }
	case arrow.INT16:
		app = fixedAppender(values[int16](a), b.(*array.Int16Builder).Append)
	case arrow.INT32:
		app = fixedAppender(values[int32](a), b.(*array.Int32Builder).Append)
	case arrow.INT64:
		app = fixedAppender(values[int64](a), b.(*array.Int64Builder).Append)
	case arrow.FLOAT32:
		app = fixedAppender(values[float32](a), b.(*array.Float32Builder).Append)
	case arrow.FLOAT64:
		app = fixedAppender(values[float64](a), b.(*array.Float64Builder).Append)
	case arrow.DECIMAL128:
		app = fixedAppender(values[decimal128.Num](a), b.(*array.Decimal128Builder).Append)
	case arrow.DATE32:
		app = fixedAppender(values[arrow.Date32](a), b.(*array.Date32Builder).Append)
	case arrow.TIMESTAMP:
		app = fixedAppender(values[arrow.Timestamp](a), b.(*array.TimestampBuilder).Append)
	case arrow.INTERVAL_MONTH_DAY_NANO:
		app = fixedAppender(values[arrow.MonthDayNanoInterval](a), b.(*array.MonthDayNanoIntervalBuilder).Append)
	case arrow.STRING:
		x, y := a.(*array.String), b.(*array.StringBuilder)
		app = func(i int) { y.Append(x.Value(i)) }
	case arrow.BINARY:
		x, y := a.(*array.Binary), b.(*array.BinaryBuilder)
		app = func(i int) { y.Append(x.Value(i)) }
	case arrow.LIST:
		app = listAppender(a, b)
	case arrow.STRUCT:
		app = structAppender(a, b)
	case arrow.MAP:
		app = mapAppender(a, b)
	default:
		panic("exec: append of unsupported type " + a.DataType().String())
	}
	return func(i int) {
		if a.IsNull(i) {
			b.AppendNull()
			return
		}
		app(i)
	}
}

func fixedAppender[T any](v []T, f func(T)) rowAppender {
	return func(i int) { f(v[i]) }
}
