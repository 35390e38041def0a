package types

import (
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
)

// OIDRecord is the OID of PostgreSQL's record pseudo-type, the type of a composite value
// without a type of its own.
const OIDRecord uint32 = 2249

// A composite value is an Arrow struct, its fields the record's fields in order; a map
// column (from Parquet files of other writers) is an Arrow map, shown as jsonb.

// The keys of the metadata of a named record's first field: the name and OID of its
// composite type.
const (
	recordNameKey     = "pg.type.name"
	recordOIDKey      = "pg.type.oid"
	recordArrayOIDKey = "pg.type.array_oid"
)

// OIDRecordArray is the OID of PostgreSQL's record[] (_record).
const OIDRecordArray uint32 = 2287

// NamedRecord is st as the values of the composite type name of OID oid, whose array type
// is arrayOID: its first field carries the name and OIDs as metadata, which Arrow's type
// equality ignores, so a named record is the same type as the struct of its fields wherever
// values are computed.
func NamedRecord(st *arrow.StructType, name string, oid, arrayOID uint32) *arrow.StructType {
	fields := st.Fields()
	if len(fields) == 0 {
		return st
	}
	fields[0].Metadata = arrow.NewMetadata([]string{recordNameKey, recordOIDKey, recordArrayOIDKey},
		[]string{name, strconv.FormatUint(uint64(oid), 10), strconv.FormatUint(uint64(arrayOID), 10)})
	return arrow.StructOf(fields...)
}

// recordArrayPGType is the PostgreSQL type of an array of records: the array type of a
// named record's composite type, else record[]; ok is false when elem is not a struct.
func recordArrayPGType(elem arrow.DataType) (PGType, bool) {
	st, ok := elem.(*arrow.StructType)
	if !ok {
		return PGType{}, false
	}
	if _, _, named := RecordType(st); named {
		md := st.Field(0).Metadata
		if i := md.FindKey(recordArrayOIDKey); i >= 0 {
			if n, err := strconv.ParseUint(md.Values()[i], 10, 32); err == nil {
				return PGType{uint32(n), -1, -1}, true
			}
		}
	}
	return PGType{OIDRecordArray, -1, -1}, true
}

// RecordType is the name and OID of the composite type of a named record (NamedRecord), and
// whether t is one.
func RecordType(t arrow.DataType) (name string, oid uint32, ok bool) {
	st, isStruct := t.(*arrow.StructType)
	if !isStruct || st.NumFields() == 0 {
		return "", 0, false
	}
	md := st.Field(0).Metadata
	ni, oi := md.FindKey(recordNameKey), md.FindKey(recordOIDKey)
	if ni < 0 || oi < 0 {
		return "", 0, false
	}
	n, err := strconv.ParseUint(md.Values()[oi], 10, 32)
	if err != nil {
		return "", 0, false
	}
	return md.Values()[ni], uint32(n), true
}

// nestedPGType is the PostgreSQL type of a struct or map, and whether t is one.
func nestedPGType(t arrow.DataType) (PGType, bool) {
	switch t.(type) {
	case *arrow.StructType:
		if _, oid, ok := RecordType(t); ok {
			return PGType{oid, -1, -1}, true
		}
		return PGType{OIDRecord, -1, -1}, true
	case *arrow.MapType:
		return PGType{OIDJSONB, -1, -1}, true
	}
	return PGType{}, false
}

// nestedName is the PostgreSQL name of a struct or map type, and whether t is one.
func nestedName(t arrow.DataType) (string, bool) {
	switch t.(type) {
	case *arrow.StructType:
		if name, _, ok := RecordType(t); ok {
			return name, true
		}
		return "record", true
	case *arrow.MapType:
		return "jsonb", true
	}
	return "", false
}

// IsNested reports whether t is a struct or a map.
func IsNested(t arrow.DataType) bool {
	_, ok := nestedName(t)
	return ok
}
