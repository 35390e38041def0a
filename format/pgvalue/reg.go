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
// A record's fields of these types are shown by name too.
func NewWriterNames(f arrow.Field, arr arrow.Array, format int16, loc *time.Location, names types.RegNames) Writer {
	if a, ok := arr.(*array.Struct); ok && names != nil && format != formatBinary {
		st, _ := sqlField(f).Type.(*arrow.StructType)
		return recordTextWriter(a, st, loc, names)
	}
	if w, ok := regWriter(sqlField(f), arr, format, names); ok {
		return w
	}
	return NewWriter(f, arr, format, loc)
}

// HasReg reports whether a column of field f holds values of regclass, regtype, regproc,
// regnamespace or regrole, itself or in the fields of its records, which NewWriterNames
// shows by name.
func HasReg(f arrow.Field) bool {
	if types.FieldReg(f) != nil || types.FieldRegArray(f) != nil {
		return true
	}
	if st, ok := f.Type.(*arrow.StructType); ok {
		for _, sf := range st.Fields() {
			if HasReg(types.RecordField(sf)) {
				return true
			}
		}
	}
	return false
}

// AppendFieldNames is AppendField with regclass, regtype... values shown by names.
func AppendFieldNames(dst []byte, f arrow.Field, arr arrow.Array, i int, loc *time.Location, names types.RegNames) []byte {
	if _, ok := arr.(*array.Struct); ok && names != nil {
		return NewWriterNames(f, arr, formatText, loc, names)(dst, i)
	}
	if w, ok := regWriter(f, arr, formatText, names); ok {
		return w(dst, i)
	}
	return AppendField(dst, f, arr, i, loc)
}

// regWriter is the writer of a column of an object identifier alias type (int64 OIDs): in
// text the name names gives the OID, or its number; in binary the OID as uint32, as oidsend
// writes it. ok is false for other columns.
func regWriter(f arrow.Field, arr arrow.Array, format int16, names types.RegNames) (Writer, bool) {
	if l, ok := arr.(*array.List); ok {
		return regArrayWriter(f, l, format, names)
	}
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

// regArrayWriter is the writer of a column of arrays of an object identifier alias type
// (regclass[]...: lists of int64 OIDs): in text PostgreSQL's array text with each element as
// regWriter writes it; in binary array_send's format with the element type's OID and each
// element as a uint32. ok is false for other columns.
func regArrayWriter(f arrow.Field, a *array.List, format int16, names types.RegNames) (Writer, bool) {
	r := types.FieldRegArray(f)
	oids, ok := a.ListValues().(*array.Int64)
	if r == nil || !ok {
		return nil, false
	}
	ef := arrow.Field{Name: "", Type: r}
	elem, _ := regWriter(ef, oids, format, names)
	if format == formatBinary {
		return arrayBinaryWriterElem(a, r.OID(), func(Writer) Writer { return elem }), true
	}
	return arrayTextWriterOf(a, elem), true
}
