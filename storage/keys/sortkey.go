package keys

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/decimal256"
)

// Sort key columns are encoded after the row key (by ingest when it sorts a file, and by the
// merge that reads files back in that order), so that the bytewise order of the encoding
// is the column order with nulls last. Every value encoding is prefix-free, so the encodings of
// several columns can be concatenated:
//
//	non-null value: 0x01 followed by the value encoding
//	null:           0x02
//
// Value encodings: integers, dates, times, timestamps and durations big-endian with the sign
// bit flipped for signed types; floats as their IEEE bits with the sign bit flipped for
// positive numbers and every bit flipped for negative ones (-0 as +0, every NaN as one NaN
// greater than +Inf, as PostgreSQL orders them); booleans one byte; strings and binaries with
// 0x00 escaped as 0x00 0xFF and terminated by 0x00 0x01; decimals as big-endian two's
// complement with the sign bit flipped (values of one column share a scale).
const (
	markValue = 0x01
	markNull  = 0x02
)

// SortKeySupported reports whether values of type t can be a sort key column.
func SortKeySupported(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.BOOL, arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64,
		arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64,
		arrow.FLOAT32, arrow.FLOAT64,
		arrow.STRING, arrow.LARGE_STRING, arrow.BINARY, arrow.LARGE_BINARY, arrow.FIXED_SIZE_BINARY,
		arrow.DATE32, arrow.DATE64, arrow.TIME32, arrow.TIME64, arrow.TIMESTAMP, arrow.DURATION,
		arrow.DECIMAL128, arrow.DECIMAL256:
		return true
	}
	return false
}

// AppendSortValue appends the sort key encoding of row i of arr to dst. arr must be of a type that
// SortKeySupported accepts.
func AppendSortValue(dst []byte, arr arrow.Array, i int) []byte {
	if arr.IsNull(i) {
		return append(dst, markNull)
	}
	dst = append(dst, markValue)
	switch a := arr.(type) {
	case *array.Boolean:
		if a.Value(i) {
			return append(dst, 1)
		}
		return append(dst, 0)
	case *array.Int8:
		return append(dst, uint8(a.Value(i))^0x80)
	case *array.Int16:
		return binary.BigEndian.AppendUint16(dst, uint16(a.Value(i))^(1<<15))
	case *array.Int32:
		return sortAppendI32(dst, a.Value(i))
	case *array.Int64:
		return sortAppendI64(dst, a.Value(i))
	case *array.Uint8:
		return append(dst, a.Value(i))
	case *array.Uint16:
		return binary.BigEndian.AppendUint16(dst, a.Value(i))
	case *array.Uint32:
		return binary.BigEndian.AppendUint32(dst, a.Value(i))
	case *array.Uint64:
		return binary.BigEndian.AppendUint64(dst, a.Value(i))
	case *array.Float32:
		return sortAppendF64(dst, float64(a.Value(i)))
	case *array.Float64:
		return sortAppendF64(dst, a.Value(i))
	case *array.String:
		return sortAppendEscaped(dst, []byte(a.Value(i)))
	case *array.LargeString:
		return sortAppendEscaped(dst, []byte(a.Value(i)))
	case *array.Binary:
		return sortAppendEscaped(dst, a.Value(i))
	case *array.LargeBinary:
		return sortAppendEscaped(dst, a.Value(i))
	case *array.FixedSizeBinary:
		return append(dst, a.Value(i)...) // fixed width: prefix-free as is
	case *array.Date32:
		return sortAppendI32(dst, int32(a.Value(i)))
	case *array.Date64:
		return sortAppendI64(dst, int64(a.Value(i)))
	case *array.Time32:
		return sortAppendI32(dst, int32(a.Value(i)))
	case *array.Time64:
		return sortAppendI64(dst, int64(a.Value(i)))
	case *array.Timestamp:
		return sortAppendI64(dst, int64(a.Value(i)))
	case *array.Duration:
		return sortAppendI64(dst, int64(a.Value(i)))
	case *array.Decimal128:
		return sortAppendDec128(dst, a.Value(i))
	case *array.Decimal256:
		return sortAppendDec256(dst, a.Value(i))
	}
	panic(fmt.Sprintf("ingest: unsupported sort key type %s", arr.DataType()))
}

func sortAppendI32(dst []byte, v int32) []byte {
	return binary.BigEndian.AppendUint32(dst, uint32(v)^(1<<31))
}

func sortAppendI64(dst []byte, v int64) []byte {
	return binary.BigEndian.AppendUint64(dst, uint64(v)^(1<<63))
}

func sortAppendF64(dst []byte, f float64) []byte {
	var b uint64
	switch {
	case math.IsNaN(f):
		b = math.Float64bits(math.NaN()) &^ (1 << 63)
	case f == 0:
		b = 0 // -0 sorts as +0
	default:
		b = math.Float64bits(f)
	}
	if b&(1<<63) != 0 {
		b = ^b
	} else {
		b |= 1 << 63
	}
	return binary.BigEndian.AppendUint64(dst, b)
}

func sortAppendDec128(dst []byte, n decimal128.Num) []byte {
	dst = binary.BigEndian.AppendUint64(dst, uint64(n.HighBits())^(1<<63))
	return binary.BigEndian.AppendUint64(dst, n.LowBits())
}

func sortAppendDec256(dst []byte, n decimal256.Num) []byte {
	a := n.Array() // little-endian words
	dst = binary.BigEndian.AppendUint64(dst, a[3]^(1<<63))
	dst = binary.BigEndian.AppendUint64(dst, a[2])
	dst = binary.BigEndian.AppendUint64(dst, a[1])
	return binary.BigEndian.AppendUint64(dst, a[0])
}

func sortAppendEscaped(dst, b []byte) []byte {
	for _, c := range b {
		if c == 0 {
			dst = append(dst, 0, 0xFF)
			continue
		}
		dst = append(dst, c)
	}
	return append(dst, 0x00, 0x01)
}
