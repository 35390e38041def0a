package slt

import (
	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sleeperd/sleeperd/format/pgvalue"
	sqltypes "github.com/sleeperd/sleeperd/types"
)

// FormatValue formats row i of arr, which is not null, as PostgreSQL 15 sends it in text
// format with DateStyle ISO and TimeZone UTC: the wire server's own formatter.
func FormatValue(arr arrow.Array, i int) string { return string(pgvalue.AppendText(nil, arr, i)) }

// FieldTypeLetter is the type letter of a result field: its Arrow type's, except for SQL
// types held in another type's storage that PostgreSQL's clients see as text (time, timetz).
func FieldTypeLetter(f arrow.Field) byte {
	if oid := sqltypes.FieldPGType(f).OID; oid == sqltypes.OIDTime || oid == sqltypes.OIDTimeTZ {
		return 'T'
	}
	if sqltypes.FieldReg(f) != nil {
		return 0 // as PostgreSQL's regclass, regtype... (oidLetter)
	}
	return TypeLetter(f.Type)
}

// TypeLetter is the type letter of an Arrow type, or 0.
func TypeLetter(dt arrow.DataType) byte {
	switch dt.ID() {
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64, arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64:
		return 'I'
	case arrow.FLOAT16, arrow.FLOAT32, arrow.FLOAT64, arrow.DECIMAL128, arrow.DECIMAL256:
		return 'R'
	case arrow.STRING, arrow.LARGE_STRING, arrow.STRING_VIEW, arrow.BINARY, arrow.LARGE_BINARY, arrow.BINARY_VIEW:
		return 'T'
	case arrow.EXTENSION:
		if sqltypes.IsVarNumeric(dt) {
			return 'R'
		}
	case arrow.BOOL:
		return 'B'
	case arrow.DATE32, arrow.DATE64, arrow.TIMESTAMP:
		return 'D'
	}
	return 0
}
