package types

import (
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
)

// PostgreSQL type OIDs, from the pg_type catalog.
const (
	OIDBool        uint32 = 16
	OIDBytea       uint32 = 17
	OIDName        uint32 = 19
	OIDInt8        uint32 = 20
	OIDInt2        uint32 = 21
	OIDInt4        uint32 = 23
	OIDText        uint32 = 25
	OIDOID         uint32 = 26
	OIDJSON        uint32 = 114
	OIDFloat4      uint32 = 700
	OIDFloat8      uint32 = 701
	OIDUnknown     uint32 = 705
	OIDBpchar      uint32 = 1042
	OIDVarchar     uint32 = 1043
	OIDDate        uint32 = 1082
	OIDTimestamp   uint32 = 1114
	OIDTimestamptz uint32 = 1184
	OIDInterval    uint32 = 1186
	OIDNumeric     uint32 = 1700
	OIDJSONB       uint32 = 3802
)

// arrayOIDs maps an element type's OID to the OID of its one-dimensional array type, from the
// pg_type catalog (typarray).
var arrayOIDs = map[uint32]uint32{
	OIDBool:        1000,
	OIDBytea:       1001,
	OIDName:        1003,
	OIDInt2:        1005,
	OIDInt4:        1007,
	OIDText:        1009,
	OIDBpchar:      1014,
	OIDVarchar:     1015,
	OIDInt8:        1016,
	OIDFloat4:      1021,
	OIDFloat8:      1022,
	OIDOID:         1028,
	OIDTimestamp:   1115,
	OIDDate:        1182,
	OIDTimestamptz: 1185,
	OIDInterval:    1187,
	OIDNumeric:     1231,
	OIDRecord:      2287,
}

// elemOIDs is arrayOIDs inverted.
var elemOIDs = func() map[uint32]uint32 {
	m := make(map[uint32]uint32, len(arrayOIDs))
	for e, a := range arrayOIDs {
		m[a] = e
	}
	return m
}()

// ArrayOID is the OID of the array type of the type elem (pg_type.typarray), if it has one
// here.
func ArrayOID(elem uint32) (uint32, bool) { a, ok := arrayOIDs[elem]; return a, ok }

// ElemOID is the OID of the element type of the array type oid (pg_type.typelem), if oid is an
// array type here.
func ElemOID(oid uint32) (uint32, bool) { e, ok := elemOIDs[oid]; return e, ok }

// PGType is how PostgreSQL describes the type of a value or column (in a RowDescription, in
// pg_attribute): its OID, pg_type.typlen (-1 for variable length) and type modifier
// (atttypmod, -1 for none).
type PGType struct {
	OID  uint32
	Size int16
	Mod  int32
}

// PGTypeOf is the PostgreSQL type values of Arrow type dt are sent as. Arrow types without a
// PostgreSQL counterpart of their own are sent as the type that holds them (uint32 as
// bigint, uint64 as numeric), the rest as text, formatted by Arrow.
func PGTypeOf(dt arrow.DataType) PGType {
	switch t := dt.(type) {
	case *Char:
		return charPGType(t.Fixed(), t.Length())
	case *JSON:
		return jsonPGType(t)
	case *UUID:
		return PGType{OIDUUID, 16, -1}
	case *Reg:
		return PGType{t.oid, 4, -1}
	case *Time:
		return PGType{OIDTime, 8, t.prec}
	case *TimeTZ:
		return PGType{OIDTimeTZ, 12, t.prec}
	case *arrow.BooleanType:
		return PGType{OIDBool, 1, -1}
	case *arrow.Int8Type, *arrow.Uint8Type, *arrow.Int16Type:
		return PGType{OIDInt2, 2, -1}
	case *arrow.Uint16Type, *arrow.Int32Type:
		return PGType{OIDInt4, 4, -1}
	case *arrow.Uint32Type, *arrow.Int64Type:
		return PGType{OIDInt8, 8, -1}
	case *arrow.Uint64Type:
		return PGType{OIDNumeric, -1, -1}
	case *arrow.Float16Type, *arrow.Float32Type:
		return PGType{OIDFloat4, 4, -1}
	case *arrow.Float64Type:
		return PGType{OIDFloat8, 8, -1}
	case *VarNumericType:
		return PGType{OIDNumeric, -1, -1}
	case *arrow.Decimal128Type:
		return PGType{OIDNumeric, -1, NumericTypmod(t.Precision, t.Scale)}
	case *arrow.Decimal256Type:
		return PGType{OIDNumeric, -1, NumericTypmod(t.Precision, t.Scale)}
	case *arrow.Decimal32Type:
		return PGType{OIDNumeric, -1, NumericTypmod(t.Precision, t.Scale)}
	case *arrow.Decimal64Type:
		return PGType{OIDNumeric, -1, NumericTypmod(t.Precision, t.Scale)}
	case *arrow.StringType, *arrow.LargeStringType, *arrow.StringViewType:
		return PGType{OIDText, -1, -1}
	case *arrow.BinaryType, *arrow.LargeBinaryType, *arrow.BinaryViewType, *arrow.FixedSizeBinaryType:
		return PGType{OIDBytea, -1, -1}
	case *arrow.Date32Type, *arrow.Date64Type:
		return PGType{OIDDate, 4, -1}
	case *arrow.MonthDayNanoIntervalType:
		return PGType{OIDInterval, 16, -1}
	case *arrow.TimestampType:
		if t.TimeZone != "" {
			return PGType{OIDTimestamptz, 8, -1}
		}
		return PGType{OIDTimestamp, 8, -1}
	case *arrow.ListType:
		return arrayPGType(t.Elem())
	}
	if p, ok := nestedPGType(dt); ok {
		return p
	}
	return PGType{OIDText, -1, -1}
}

// arrayPGType is the PostgreSQL type of a list of elem: elem's array type, with elem's
// modifier (as numeric(10,2)[] keeps numeric(10,2)'s). Elements without an array type are
// sent as text.
func arrayPGType(elem arrow.DataType) PGType {
	if p, ok := recordArrayPGType(elem); ok {
		return p
	}
	if r, ok := elem.(*Reg); ok {
		return PGType{RegArrayOID(r.oid), -1, -1}
	}
	et := PGTypeOf(elem)
	oid, ok := arrayOIDs[et.OID]
	if !ok {
		return PGType{arrayOIDs[OIDText], -1, -1}
	}
	return PGType{oid, -1, et.Mod}
}

// charPGType is character varying(n), or character(n) when fixed; n < 0 for no length.
func charPGType(fixed bool, n int32) PGType {
	t := PGType{OIDVarchar, -1, -1}
	if fixed {
		t.OID = OIDBpchar
	}
	t.Mod = CharTypmod(n)
	return t
}

// CharTypmod is the type modifier of character varying(n) and character(n): n + 4, or -1
// when n < 0 (no length).
func CharTypmod(n int32) int32 {
	if n < 0 {
		return -1
	}
	return n + 4
}

// NumericTypmod is the type modifier of numeric(prec, scale), or -1 when the scale is out of
// PostgreSQL's range for prec.
func NumericTypmod(prec, scale int32) int32 {
	if scale < 0 || scale > prec {
		return -1
	}
	return (prec<<16 | scale) + 4
}

// SQL type metadata of a result field whose Arrow type does not tell its SQL type: the
// PostgreSQL type name ("varchar", "bpchar") and its type modifier (length + 4, or -1).
// SQLMetadata writes them; FieldPGType reads them.
const (
	SQLTypeKey   = "sleeperd.sql_type"
	SQLTypmodKey = "sleeperd.sql_typmod"
)

// SQLMetadata is the metadata that keeps SQL type t on a result field whose Arrow type is
// Storage(t), and whether t needs it (only character types do).
func SQLMetadata(t arrow.DataType) (arrow.Metadata, bool) {
	if j, ok := t.(*JSON); ok {
		return arrow.NewMetadata([]string{SQLTypeKey}, []string{j.Name()}), true
	}
	if IsUUID(t) {
		return arrow.NewMetadata([]string{SQLTypeKey}, []string{"uuid"}), true
	}
	if r, ok := t.(*Reg); ok {
		return arrow.NewMetadata([]string{SQLTypeKey}, []string{r.name}), true
	}
	if tt, ok := t.(*Time); ok {
		return arrow.NewMetadata([]string{SQLTypeKey, SQLTypmodKey}, []string{"time", strconv.Itoa(int(tt.prec))}), true
	}
	if tt, ok := t.(*TimeTZ); ok {
		return arrow.NewMetadata([]string{SQLTypeKey, SQLTypmodKey}, []string{"timetz", strconv.Itoa(int(tt.prec))}), true
	}
	prefix := ""
	if lt, ok := t.(*arrow.ListType); ok {
		// An array of a character type: "_varchar" or "_bpchar", as pg_type names it; of
		// uuid or time, "_uuid" or "_time".
		t, prefix = lt.Elem(), "_"
		if IsUUID(t) {
			return arrow.NewMetadata([]string{SQLTypeKey}, []string{"_uuid"}), true
		}
		if tt, ok := t.(*Time); ok {
			return arrow.NewMetadata([]string{SQLTypeKey, SQLTypmodKey}, []string{"_time", strconv.Itoa(int(tt.prec))}), true
		}
		if tt, ok := t.(*TimeTZ); ok {
			return arrow.NewMetadata([]string{SQLTypeKey, SQLTypmodKey}, []string{"_timetz", strconv.Itoa(int(tt.prec))}), true
		}
		if j, ok := t.(*JSON); ok {
			return arrow.NewMetadata([]string{SQLTypeKey}, []string{"_" + j.Name()}), true
		}
		if r, ok := t.(*Reg); ok {
			return arrow.NewMetadata([]string{SQLTypeKey}, []string{"_" + r.name}), true
		}
	}
	c, ok := t.(*Char)
	if !ok {
		return arrow.Metadata{}, false
	}
	return arrow.NewMetadata([]string{SQLTypeKey, SQLTypmodKey}, []string{prefix + c.Name(), strconv.Itoa(int(CharTypmod(c.Length())))}), true
}

// FieldPGType is the PostgreSQL type of a result column: its Arrow type's, unless its
// metadata names a character type (SQLMetadata).
func FieldPGType(f arrow.Field) PGType {
	md := f.Metadata
	if i := md.FindKey(SQLTypeKey); i >= 0 {
		mod := int32(-1)
		if j := md.FindKey(SQLTypmodKey); j >= 0 {
			if m, err := strconv.Atoi(md.Values()[j]); err == nil {
				mod = int32(m)
			}
		}
		switch md.Values()[i] {
		case "varchar":
			return PGType{OIDVarchar, -1, mod}
		case "bpchar":
			return PGType{OIDBpchar, -1, mod}
		case "_varchar":
			return PGType{arrayOIDs[OIDVarchar], -1, mod}
		case "_bpchar":
			return PGType{arrayOIDs[OIDBpchar], -1, mod}
		case "json":
			return PGType{OIDJSON, -1, -1}
		case "jsonb":
			return PGType{OIDJSONB, -1, -1}
		case "uuid":
			return PGType{OIDUUID, 16, -1}
		case "time":
			return PGType{OIDTime, 8, mod}
		case "_uuid":
			return PGType{OIDUUIDArray, -1, -1}
		case "_time":
			return PGType{OIDTimeArray, -1, mod}
		case "timetz":
			return PGType{OIDTimeTZ, 12, mod}
		case "_timetz":
			return PGType{OIDTimeTZArray, -1, mod}
		case "_json":
			return PGType{OIDJSONArray, -1, -1}
		case "_jsonb":
			return PGType{OIDJSONBArray, -1, -1}
		case "unknown":
			return PGType{OIDUnknown, -2, -1}
		}
		if r := RegByName(md.Values()[i]); r != nil {
			return PGType{r.oid, 4, -1}
		}
		if r := FieldRegArray(f); r != nil {
			return PGType{RegArrayOID(r.oid), -1, -1}
		}
	}
	return PGTypeOf(f.Type)
}

// FieldCharLength is n for a result field of type character varying(n) or character(n)
// (fixed), as FieldPGType describes it; ok is false for other fields and for character types
// without a length.
func FieldCharLength(f arrow.Field) (n int, fixed, ok bool) {
	t := FieldPGType(f)
	if (t.OID != OIDVarchar && t.OID != OIDBpchar) || t.Mod < 4 {
		return 0, false, false
	}
	return int(t.Mod - 4), t.OID == OIDBpchar, true
}

// FromOID is the Arrow type a value a client declared with oid is taken as, or nil for oid 0
// and unknown (to be inferred). A type this package does not know is text: its values arrive
// as the client's text. numeric, which the protocol cannot qualify with a precision, is
// DefaultNumeric.
func FromOID(oid uint32) arrow.DataType {
	switch oid {
	case 0, OIDUnknown:
		return nil
	case OIDBool:
		return Bool
	case OIDInt2:
		return Int16
	case OIDInt4:
		return Int32
	case OIDInt8:
		return Int64
	case OIDFloat4:
		return Float32
	case OIDFloat8:
		return Float64
	case OIDNumeric:
		return VarNumeric
	case OIDText, OIDVarchar, OIDBpchar, OIDName:
		return Text
	case OIDBytea:
		return Bytea
	case OIDDate:
		return Date
	case OIDTimestamp:
		return Timestamp
	case OIDTimestamptz:
		return TimestampTZ
	case OIDJSON:
		return JSONType
	case OIDJSONB:
		return JSONBType
	case OIDUUID:
		return UUIDType
	case OIDTime:
		return TimeType
	case OIDInterval:
		return Interval
	case OIDTimeTZ:
		return TimeTZType
	}
	if elem, ok := elemOIDs[oid]; ok {
		if et := FromOID(elem); et != nil {
			return arrow.ListOf(et)
		}
	}
	return Text
}

// NameOfOID is the name PostgreSQL uses for the type of oid in error messages, for the types
// FromOID knows; other types are named text, as their values are taken.
func NameOfOID(oid uint32) string {
	switch oid {
	case OIDBool:
		return "boolean"
	case OIDBytea:
		return "bytea"
	case OIDInt2:
		return "smallint"
	case OIDInt4:
		return "integer"
	case OIDInt8:
		return "bigint"
	case OIDFloat4:
		return "real"
	case OIDFloat8:
		return "double precision"
	case OIDNumeric:
		return "numeric"
	case OIDDate:
		return "date"
	case OIDTimestamp:
		return "timestamp without time zone"
	case OIDTimestamptz:
		return "timestamp with time zone"
	case OIDJSON:
		return "json"
	case OIDJSONB:
		return "jsonb"
	case OIDUUID:
		return "uuid"
	case OIDTime:
		return "time without time zone"
	case OIDTimeTZ:
		return "time with time zone"
	case OIDRecord:
		return "record"
	}
	if elem, ok := elemOIDs[oid]; ok {
		return NameOfOID(elem) + "[]"
	}
	return "text"
}
