package pgvalue

import (
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/sleeperd/sleeperd/types"
)

// Text and binary format codes, as the wire protocol and COPY's binary format number them.
const (
	FormatText   = formatText
	FormatBinary = formatBinary
)

// OIDText is the OID of type text.
const OIDText = types.OIDText

// Type is types.PGType, until callers use it.
type Type = types.PGType

func TypeOf(dt arrow.DataType) Type       { return types.PGTypeOf(dt) }
func FieldType(f arrow.Field) Type        { return types.FieldPGType(f) }
func ArrowType(oid uint32) arrow.DataType { return types.FromOID(oid) }
func TypeName(oid uint32) string          { return types.NameOfOID(oid) }

// NewWriter returns the writer of column arr, of result field f, in format (FormatText or
// FormatBinary), showing timestamptz values in loc (UTC when nil) and padding character(n)
// values to n characters. The writer reads arr, which must outlive it.
func NewWriter(f arrow.Field, arr arrow.Array, format int16, loc *time.Location) Writer {
	w := newWriter(arr, format, loc)
	if n, fixed, ok := types.FieldCharLength(f); ok && fixed {
		w = padded(w, n)
	}
	return w
}
