package pgvalue

import (
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/sleeperd/sleeperd/types"
)

// Text and binary format codes, as the wire protocol and COPY's binary format number them.
const (
	FormatText   = formatText
	FormatBinary = formatBinary
)

// NewWriter returns the writer of column arr, of result field f, in format (FormatText or
// FormatBinary), showing timestamptz values in loc (UTC when nil) and padding character(n)
// values to n characters. The writer reads arr, which must outlive it.
func NewWriter(f arrow.Field, arr arrow.Array, format int16, loc *time.Location) Writer {
	f = sqlField(f)
	if a, ok := arr.(*array.Struct); ok {
		// A record: its fields as their SQL types, which f's type may say.
		st, _ := f.Type.(*arrow.StructType)
		if format == formatBinary {
			return recordBinaryWriter(a, st)
		}
		return recordTextWriter(a, st, loc, nil)
	}
	if t, ok := timetzWriter(f, arr, format); ok {
		return t
	}
	if r, ok := regWriter(f, arr, format, nil); ok {
		return r
	}
	w := newWriter(arr, format, loc)
	if a, ok := storageArrayWriter(f, arr, format); ok {
		return a
	}
	if format != formatBinary {
		if u, ok := uuidWriter(f, arr); ok {
			return u
		}
		if t, ok := timeWriter(f, arr); ok {
			return t
		}
	}
	if n, fixed, ok := types.FieldCharLength(f); ok && fixed {
		w = padded(w, n)
	}
	if format == formatBinary && types.FieldPGType(f).OID == types.OIDJSONB {
		// jsonb's binary format is a version byte, 1, and the text.
		inner := w
		w = func(dst []byte, i int) []byte { return inner(append(dst, 1), i) }
	}
	return w
}

// uuidWriter is the text writer of a uuid column (binary values of 16 bytes); ok is false for
// other columns. uuid's binary format is its 16 bytes, as bytea's is.
func uuidWriter(f arrow.Field, arr arrow.Array) (Writer, bool) {
	b, ok := arr.(*array.Binary)
	if !ok || types.FieldPGType(f).OID != types.OIDUUID {
		return nil, false
	}
	return func(dst []byte, i int) []byte { return types.AppendUUID(dst, b.Value(i)) }, true
}

// timeWriter is the text writer of a time column (int64 microseconds since midnight); ok is
// false for other columns. time's binary format is its int64, as bigint's is.
func timeWriter(f arrow.Field, arr arrow.Array) (Writer, bool) {
	a, ok := arr.(*array.Int64)
	if !ok || types.FieldPGType(f).OID != types.OIDTime {
		return nil, false
	}
	return func(dst []byte, i int) []byte { return types.AppendTime(dst, a.Value(i)) }, true
}

// storageArrayWriter is the writer of a uuid[], time[], json[] or jsonb[] column, whose elements arrive as
// their storage (16-byte binary values, int64 microseconds): PostgreSQL's array text with
// each element as uuid or time text, or array_send's format with the element type's OID (the
// element bytes are the storage's own). ok is false for other columns.
func storageArrayWriter(f arrow.Field, arr arrow.Array, format int16) (Writer, bool) {
	a, ok := arr.(*array.List)
	if !ok {
		return nil, false
	}
	var elem uint32
	switch types.FieldPGType(f).OID {
	case types.OIDUUIDArray:
		if _, ok := a.ListValues().(*array.Binary); !ok {
			return nil, false
		}
		elem = types.OIDUUID
	case types.OIDTimeArray:
		if _, ok := a.ListValues().(*array.Int64); !ok {
			return nil, false
		}
		elem = types.OIDTime
	case types.OIDJSONArray, types.OIDJSONBArray:
		// json[] and jsonb[] elements are their text; in the binary format a jsonb element
		// is jsonb's: a version byte, 1, and the text. The text format is any text array's.
		if format != formatBinary {
			return nil, false
		}
		if types.FieldPGType(f).OID == types.OIDJSONArray {
			return arrayBinaryWriterOf(a, types.OIDJSON), true
		}
		return arrayBinaryWriterElem(a, types.OIDJSONB, func(w Writer) Writer {
			return func(dst []byte, i int) []byte { return w(append(dst, 1), i) }
		}), true
	default:
		return nil, false
	}
	if format == formatBinary {
		return arrayBinaryWriterOf(a, elem), true
	}
	var w Writer
	if elem == types.OIDUUID {
		b := a.ListValues().(*array.Binary)
		w = func(dst []byte, i int) []byte { return types.AppendUUID(dst, b.Value(i)) }
	} else {
		v := a.ListValues().(*array.Int64)
		w = func(dst []byte, i int) []byte { return types.AppendTime(dst, v.Value(i)) }
	}
	return arrayTextWriterOf(a, w), true
}
