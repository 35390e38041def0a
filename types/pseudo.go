package types

// OIDCstringArray is the OID of PostgreSQL's cstring[] (_cstring), the one array of a
// pseudo-type besides record[].
const OIDCstringArray uint32 = 1263

// pseudoTypes are PostgreSQL 15's pseudo-types (pg_type.typtype 'p', and unknown) by OID,
// with pg_type's typname. They name functions' arguments and results (array_out returns
// cstring) and regtype, format_type and pg_type show them; no column or value has them here.
var pseudoTypes = map[uint32]string{
	32: "pg_ddl_command", 269: "table_am_handler", 325: "index_am_handler", OIDUnknown: "unknown",
	OIDRecord: "record", 2275: "cstring", 2276: "any", 2277: "anyarray", 2278: "void",
	2279: "trigger", 2280: "language_handler", 2281: "internal", 2283: "anyelement",
	2776: "anynonarray", 3115: "fdw_handler", 3310: "tsm_handler", 3500: "anyenum",
	3831: "anyrange", 3838: "event_trigger", 4537: "anymultirange", 4538: "anycompatiblemultirange",
	5077: "anycompatible", 5078: "anycompatiblearray", 5079: "anycompatiblenonarray",
	5080: "anycompatiblerange",
}

// PseudoTypeName is pg_type's typname of the pseudo-type whose OID is oid; ok is false for
// other OIDs.
func PseudoTypeName(oid uint32) (name string, ok bool) {
	name, ok = pseudoTypes[oid]
	return name, ok
}

// PseudoTypeFormat is the name of the pseudo-type oid as format_type and regtype output
// write it: its typname, quoted where it is a reserved word ("any"); ok as PseudoTypeName.
// cstring[] is shown as such.
func PseudoTypeFormat(oid uint32) (string, bool) {
	if oid == OIDCstringArray {
		return "cstring[]", true
	}
	n, ok := pseudoTypes[oid]
	if n == "any" {
		n = `"any"`
	}
	return n, ok
}

// PseudoTypeOID is the OID of the pseudo-type (or of _cstring, _record) regtype input reads
// as name, lower-cased or in double quotes; "any" must be quoted, as it is a reserved word.
// ok is false for other names.
func PseudoTypeOID(name string) (uint32, bool) {
	if len(name) >= 2 && name[0] == '"' && name[len(name)-1] == '"' {
		name = name[1 : len(name)-1]
	} else if name == "any" {
		return 0, false
	}
	switch name {
	case "_cstring":
		return OIDCstringArray, true
	case "_record":
		return OIDRecordArray, true
	}
	for oid, n := range pseudoTypes {
		if n == name {
			return oid, true
		}
	}
	return 0, false
}
