package types

import "github.com/apache/arrow-go/v18/arrow"

// OIDRecord is the OID of PostgreSQL's record pseudo-type, the type of a composite value
// without a type of its own.
const OIDRecord uint32 = 2249

// A composite value is an Arrow struct, its fields the record's fields in order; a map
// column (from Parquet files of other writers) is an Arrow map, shown as jsonb.

// nestedPGType is the PostgreSQL type of a struct or map, and whether t is one.
func nestedPGType(t arrow.DataType) (PGType, bool) {
	switch t.(type) {
	case *arrow.StructType:
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
