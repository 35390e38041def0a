package merge

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/decimal256"

	"github.com/sleeperd/sleeperd/storage/keys"
)

// keyBuf holds the encoded (row key, sort key) of every row of a batch: row i's key is
// buf[off[i]:off[i+1]]. The row key encoding is storage/keys'; the sort key encoding is the
// one ingest sorts files by (storage/ingest/sortkey.go), so bytewise order is file order.
type keyBuf struct {
	buf []byte
	off []int
	rk  []arrow.Array
}

// encode fills k with the keys of every row of b.
func (k *keyBuf) encode(b arrow.RecordBatch, rowKeys, sortKeys []int) {
	n := int(b.NumRows())
	k.buf = k.buf[:0]
	k.off = append(k.off[:0], 0)
	k.rk = k.rk[:0]
	for _, c := range rowKeys {
		k.rk = append(k.rk, b.Column(c))
	}
	for i := range n {
		k.buf = keys.AppendRow(k.buf, k.rk, i)
		for _, c := range sortKeys {
			k.buf = appendSortValue(k.buf, b.Column(c), i)
		}
		k.off = append(k.off, len(k.buf))
	}
	clear(k.rk)
}

func (k *keyBuf) key(i int) []byte { return k.buf[k.off[i]:k.off[i+1]] }

// reset drops the references the buffer holds to arrays.
func (k *keyBuf) reset() { clear(k.rk); k.rk = k.rk[:0] }

// Sort key value encoding, identical to storage/ingest/sortkey.go (which keeps it unexported):
// non-null values are 0x01 followed by the value encoding, nulls 0x02, so nulls sort last.
const (
	markValue = 0x01
	markNull  = 0x02
)

// sortKeySupported reports whether values of type t can be encoded by appendSortValue.
func sortKeySupported(t arrow.DataType) bool {
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

func appendSortValue(dst []byte, arr arrow.Array, i int) []byte {
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
		return appendI32(dst, a.Value(i))
	case *array.Int64:
		return appendI64(dst, a.Value(i))
	case *array.Uint8:
		return append(dst, a.Value(i))
	case *array.Uint16:
		return binary.BigEndian.AppendUint16(dst, a.Value(i))
	case *array.Uint32:
		return binary.BigEndian.AppendUint32(dst, a.Value(i))
	case *array.Uint64:
		return binary.BigEndian.AppendUint64(dst, a.Value(i))
	case *array.Float32:
		return appendF64(dst, float64(a.Value(i)))
	case *array.Float64:
		return appendF64(dst, a.Value(i))
	case *array.String:
		return appendEscaped(dst, []byte(a.Value(i)))
	case *array.LargeString:
		return appendEscaped(dst, []byte(a.Value(i)))
	case *array.Binary:
		return appendEscaped(dst, a.Value(i))
	case *array.LargeBinary:
		return appendEscaped(dst, a.Value(i))
	case *array.FixedSizeBinary:
		return append(dst, a.Value(i)...)
	case *array.Date32:
		return appendI32(dst, int32(a.Value(i)))
	case *array.Date64:
		return appendI64(dst, int64(a.Value(i)))
	case *array.Time32:
		return appendI32(dst, int32(a.Value(i)))
	case *array.Time64:
		return appendI64(dst, int64(a.Value(i)))
	case *array.Timestamp:
		return appendI64(dst, int64(a.Value(i)))
	case *array.Duration:
		return appendI64(dst, int64(a.Value(i)))
	case *array.Decimal128:
		return appendDec128(dst, a.Value(i))
	case *array.Decimal256:
		return appendDec256(dst, a.Value(i))
	}
	panic(fmt.Sprintf("merge: unsupported sort key type %s", arr.DataType()))
}

func appendI32(dst []byte, v int32) []byte {
	return binary.BigEndian.AppendUint32(dst, uint32(v)^(1<<31))
}

func appendI64(dst []byte, v int64) []byte {
	return binary.BigEndian.AppendUint64(dst, uint64(v)^(1<<63))
}

func appendF64(dst []byte, f float64) []byte {
	var b uint64
	switch {
	case math.IsNaN(f):
		b = math.Float64bits(math.NaN()) &^ (1 << 63)
	case f == 0:
		b = 0
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

func appendDec128(dst []byte, n decimal128.Num) []byte {
	dst = binary.BigEndian.AppendUint64(dst, uint64(n.HighBits())^(1<<63))
	return binary.BigEndian.AppendUint64(dst, n.LowBits())
}

func appendDec256(dst []byte, n decimal256.Num) []byte {
	a := n.Array()
	dst = binary.BigEndian.AppendUint64(dst, a[3]^(1<<63))
	dst = binary.BigEndian.AppendUint64(dst, a[2])
	dst = binary.BigEndian.AppendUint64(dst, a[1])
	return binary.BigEndian.AppendUint64(dst, a[0])
}

func appendEscaped(dst, b []byte) []byte {
	for _, c := range b {
		if c == 0 {
			dst = append(dst, 0, 0xFF)
			continue
		}
		dst = append(dst, c)
	}
	return append(dst, 0x00, 0x01)
}
