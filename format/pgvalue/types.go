package pgvalue

import (
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sleeperd/sleeperd/planner"
)

// PostgreSQL type OIDs, from the pg_type catalog.
const (
	oidBool        = 16
	oidBytea       = 17
	oidName        = 19
	oidInt8        = 20
	oidInt2        = 21
	oidInt4        = 23
	oidText        = 25
	oidOID         = 26
	oidFloat4      = 700
	oidFloat8      = 701
	oidUnknown     = 705
	oidBpchar      = 1042
	oidVarchar     = 1043
	oidDate        = 1082
	oidTimestamp   = 1114
	oidTimestamptz = 1184
	oidNumeric     = 1700
	oidInterval    = 1186
)

// Text and binary format codes of the extended query protocol.
const (
	formatText   int16 = 0
	formatBinary int16 = 1
)

// numericParam is the Arrow type a parameter declared numeric (with no precision or scale,
// as the wire protocol cannot carry them) is prepared with.
var numericParam = &arrow.Decimal128Type{Precision: 38, Scale: 9}

// pgType describes how a column of an Arrow type appears in a RowDescription.
type pgType struct {
	oid  uint32
	size int16 // pg_type.typlen: -1 for variable length
	mod  int32 // type modifier: -1 for none
}

// typeOf returns the PostgreSQL type a column of Arrow type dt is sent as. Types without a
// PostgreSQL counterpart are sent as text, formatted by Arrow.
func typeOf(dt arrow.DataType) pgType {
	if ct, ok := dt.(interface {
		Length() int32
		Fixed() bool
	}); ok {
		return charType(ct.Fixed(), ct.Length())
	}
	switch t := dt.(type) {
	case *arrow.BooleanType:
		return pgType{oidBool, 1, -1}
	case *arrow.Int8Type, *arrow.Uint8Type, *arrow.Int16Type:
		return pgType{oidInt2, 2, -1}
	case *arrow.Uint16Type, *arrow.Int32Type:
		return pgType{oidInt4, 4, -1}
	case *arrow.Uint32Type, *arrow.Int64Type:
		return pgType{oidInt8, 8, -1}
	case *arrow.Uint64Type:
		return pgType{oidNumeric, -1, -1}
	case *arrow.Float16Type, *arrow.Float32Type:
		return pgType{oidFloat4, 4, -1}
	case *arrow.Float64Type:
		return pgType{oidFloat8, 8, -1}
	case *arrow.Decimal128Type:
		return pgType{oidNumeric, -1, numericMod(t.Precision, t.Scale)}
	case *arrow.Decimal256Type:
		return pgType{oidNumeric, -1, numericMod(t.Precision, t.Scale)}
	case *arrow.Decimal32Type:
		return pgType{oidNumeric, -1, numericMod(t.Precision, t.Scale)}
	case *arrow.Decimal64Type:
		return pgType{oidNumeric, -1, numericMod(t.Precision, t.Scale)}
	case *arrow.StringType, *arrow.LargeStringType, *arrow.StringViewType:
		return pgType{oidText, -1, -1}
	case *arrow.BinaryType, *arrow.LargeBinaryType, *arrow.BinaryViewType, *arrow.FixedSizeBinaryType:
		return pgType{oidBytea, -1, -1}
	case *arrow.Date32Type, *arrow.Date64Type:
		return pgType{oidDate, 4, -1}
	case *arrow.MonthDayNanoIntervalType:
		return pgType{oidInterval, 16, -1}
	case *arrow.TimestampType:
		if t.TimeZone != "" {
			return pgType{oidTimestamptz, 8, -1}
		}
		return pgType{oidTimestamp, 8, -1}
	case *arrow.ListType:
		return arrayType(t.Elem())
	}
	return pgType{oidText, -1, -1}
}

// charType is character varying(n), or character(n) when fixed; n < 0 for no length.
func charType(fixed bool, n int32) pgType {
	t := pgType{oidVarchar, -1, -1}
	if fixed {
		t.oid = oidBpchar
	}
	if n >= 0 {
		t.mod = n + 4
	}
	return t
}

// fieldType is the PostgreSQL type of a result column: its Arrow type's, unless its metadata
// names a character type (planner.SQLTypeKey).
func fieldType(f arrow.Field) pgType {
	md := f.Metadata
	if i := md.FindKey(planner.SQLTypeKey); i >= 0 {
		mod := int32(-1)
		if j := md.FindKey(planner.SQLTypmodKey); j >= 0 {
			if m, err := strconv.Atoi(md.Values()[j]); err == nil {
				mod = int32(m)
			}
		}
		switch md.Values()[i] {
		case "varchar":
			return pgType{oidVarchar, -1, mod}
		case "bpchar":
			return pgType{oidBpchar, -1, mod}
		}
	}
	return typeOf(f.Type)
}

// bpcharLength is n for a result field of type character(n).
func bpcharLength(f arrow.Field) (int, bool) {
	t := fieldType(f)
	if t.oid != oidBpchar || t.mod < 4 {
		return 0, false
	}
	return int(t.mod - 4), true
}

// numericMod is the atttypmod of numeric(prec, scale).
func numericMod(prec, scale int32) int32 {
	if scale < 0 || scale > prec {
		return -1
	}
	return (prec<<16 | scale) + 4
}

// arrowType returns the Arrow type a parameter the client declared with oid is prepared with,
// or nil to let the engine infer it (oid 0 and unknown). A type this server does not know is
// taken as text: its values arrive as the client's text.
func arrowType(oid uint32) arrow.DataType {
	switch oid {
	case 0, oidUnknown:
		return nil
	case oidBool:
		return arrow.FixedWidthTypes.Boolean
	case oidInt2:
		return arrow.PrimitiveTypes.Int16
	case oidInt4:
		return arrow.PrimitiveTypes.Int32
	case oidInt8:
		return arrow.PrimitiveTypes.Int64
	case oidFloat4:
		return arrow.PrimitiveTypes.Float32
	case oidFloat8:
		return arrow.PrimitiveTypes.Float64
	case oidNumeric:
		return numericParam
	case oidText, oidVarchar, oidBpchar, oidName:
		return arrow.BinaryTypes.String
	case oidBytea:
		return arrow.BinaryTypes.Binary
	case oidDate:
		return arrow.FixedWidthTypes.Date32
	case oidTimestamp:
		return &arrow.TimestampType{Unit: arrow.Microsecond}
	case oidTimestamptz:
		return &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}
	}
	if elem, ok := elemOIDs[oid]; ok {
		if et := arrowType(elem); et != nil {
			return arrow.ListOf(et)
		}
	}
	return arrow.BinaryTypes.String
}
