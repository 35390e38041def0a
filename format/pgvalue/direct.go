package pgvalue

import (
	"encoding/binary"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/sleeperd/sleeperd/types"
)

// Direct reports whether the values of a column of result field f are written in format by
// AppendDirect as NewWriter's writer writes them: a bigint, integer, smallint, boolean, text
// or varchar column, whose wire form depends on its values alone. A frontend decides this
// once per statement and then writes such columns without a writer built per batch (a
// closure over the batch's column, and the checks of the field's SQL type that NewWriter
// makes).
func Direct(f arrow.Field, format int16) bool {
	if format != formatText && format != formatBinary {
		return false
	}
	if HasReg(f) {
		return false
	}
	f = sqlField(f)
	t := types.FieldPGType(f)
	switch f.Type.ID() {
	case arrow.INT64:
		return t.OID == types.OIDInt8
	case arrow.INT32:
		return t.OID == types.OIDInt4
	case arrow.INT16:
		return t.OID == types.OIDInt2
	case arrow.BOOL:
		return t.OID == types.OIDBool
	case arrow.STRING, arrow.LARGE_STRING:
		// varchar(n) is not padded; character(n) (bpchar) is, and json's binary form is not
		// its text.
		return t.OID == types.OIDText || t.OID == types.OIDVarchar
	}
	return false
}

// AppendDirect appends the wire form in format of row i (not null) of arr, a column of a field
// Direct accepts for format.
func AppendDirect(dst []byte, arr arrow.Array, i int, format int16) []byte {
	if format == formatBinary {
		switch a := arr.(type) {
		case *array.Int64:
			return binary.BigEndian.AppendUint64(dst, uint64(a.Value(i)))
		case *array.Int32:
			return binary.BigEndian.AppendUint32(dst, uint32(a.Value(i)))
		case *array.Int16:
			return binary.BigEndian.AppendUint16(dst, uint16(a.Value(i)))
		case *array.String:
			return append(dst, a.Value(i)...)
		case *array.LargeString:
			return append(dst, a.Value(i)...)
		case *array.Boolean:
			if a.Value(i) {
				return append(dst, 1)
			}
			return append(dst, 0)
		}
	} else {
		switch a := arr.(type) {
		case *array.Int64:
			return strconv.AppendInt(dst, a.Value(i), 10)
		case *array.Int32:
			return strconv.AppendInt(dst, int64(a.Value(i)), 10)
		case *array.Int16:
			return strconv.AppendInt(dst, int64(a.Value(i)), 10)
		case *array.String:
			return append(dst, a.Value(i)...)
		case *array.LargeString:
			return append(dst, a.Value(i)...)
		case *array.Boolean:
			if a.Value(i) {
				return append(dst, 't')
			}
			return append(dst, 'f')
		}
	}
	// A column not of the field's Arrow type: the general writer.
	return newWriter(arr, format, nil)(dst, i)
}
