package pgvalue

import (
	"encoding/binary"
	"strconv"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/sleeperd/sleeperd/types"
)

// NewWriterNames is NewWriter for a result whose regclass, regtype, regproc, regnamespace and
// regrole values names shows by name in the text format (nil: by number).
func NewWriterNames(f arrow.Field, arr arrow.Array, format int16, loc *time.Location, names types.RegNames) Writer {
	if w, ok := regWriter(f, arr, format, names); ok {
		return w
	}
	return NewWriter(f, arr, format, loc)
}

// AppendFieldNames is AppendField with regclass, regtype... values shown by names.
func AppendFieldNames(dst []byte, f arrow.Field, arr arrow.Array, i int, loc *time.Location, names types.RegNames) []byte {
	if w, ok := regWriter(f, arr, formatText, names); ok {
		return w(dst, i)
	}
	return AppendField(dst, f, arr, i, loc)
}

// regWriter is the writer of a column of an object identifier alias type (int64 OIDs): in
// text the name names gives the OID, or its number; in binary the OID as uint32, as oidsend
// writes it. ok is false for other columns.
func regWriter(f arrow.Field, arr arrow.Array, format int16, names types.RegNames) (Writer, bool) {
	r := types.FieldReg(f)
	a, ok := arr.(*array.Int64)
	if r == nil || !ok {
		return nil, false
	}
	if format == formatBinary {
		return func(dst []byte, i int) []byte { return binary.BigEndian.AppendUint32(dst, uint32(a.Value(i))) }, true
	}
	return func(dst []byte, i int) []byte {
		oid := a.Value(i)
		if names != nil {
			if n, ok := names(r, oid); ok {
				return append(dst, n...)
			}
		}
		return strconv.AppendInt(dst, oid, 10)
	}, true
}
