package pgvalue

import (
	"time"

	"github.com/apache/arrow-go/v18/arrow"
)

// Text and binary format codes, as the wire protocol and COPY's binary format number them.
const (
	FormatText   = formatText
	FormatBinary = formatBinary
)

// OIDText is the OID of type text.
const OIDText = oidText

// Type is the PostgreSQL type a column is shown as: its OID, pg_type.typlen (-1 for variable
// length) and type modifier (-1 for none).
type Type struct {
	OID  uint32
	Size int16
	Mod  int32
}

// TypeOf is the PostgreSQL type values of Arrow type dt are sent as. Types without a
// PostgreSQL counterpart are sent as text, formatted by Arrow.
func TypeOf(dt arrow.DataType) Type {
	t := typeOf(dt)
	return Type{t.oid, t.size, t.mod}
}

// FieldType is the PostgreSQL type of a result column: its Arrow type's, unless its metadata
// names a character type.
func FieldType(f arrow.Field) Type {
	t := fieldType(f)
	return Type{t.oid, t.size, t.mod}
}

// ArrowType is the Arrow type a value a client declared with oid is taken as, or nil for oid
// 0 and unknown (to be inferred). Types this package does not know are text.
func ArrowType(oid uint32) arrow.DataType { return arrowType(oid) }

// TypeName is the name PostgreSQL uses for the type of oid in error messages.
func TypeName(oid uint32) string { return typeName(oid) }

// NewWriter returns the writer of column arr, of result field f, in format (FormatText or
// FormatBinary), showing timestamptz values in loc (UTC when nil) and padding character(n)
// values to n characters. The writer reads arr, which must outlive it.
func NewWriter(f arrow.Field, arr arrow.Array, format int16, loc *time.Location) Writer {
	w := newWriter(arr, format, loc)
	if n, ok := bpcharLength(f); ok {
		w = padded(w, n)
	}
	return w
}
