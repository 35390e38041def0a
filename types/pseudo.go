package types

import "github.com/sleeperd/sleeperd/errs"

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

// PseudoColumnError is PostgreSQL's error for a column (or a composite type's attribute)
// col declared of the type named name (unqualified, as the parser gives it, which keeps a
// quoted "any" as any), array for name[]: 42P16 `column "c" has pseudo-type cstring` when
// the type is a pseudo-type, cstring[] (named by its element, as PostgreSQL checks an
// array's element) or record[]; nil for other names, which are no pseudo-types (anyelement[]
// is no type at all).
func PseudoColumnError(col, name string, array bool) error {
	var shown string
	switch {
	case name == "_cstring" || name == "cstring":
		shown = "cstring"
	case name == "_record" || name == "record" && array:
		shown = "record[]"
	case array:
		return nil
	default:
		for oid, n := range pseudoTypes {
			if n == name {
				shown, _ = PseudoTypeFormat(oid)
				break
			}
		}
		if shown == "" {
			return nil
		}
	}
	return errs.New(errs.InvalidDefinition, "column %q has pseudo-type %s", col, shown)
}

// PseudoCast is what a cast to a pseudo-type does in PostgreSQL.
type PseudoCast int

const (
	// NoPseudoCast: the name is no pseudo-type's.
	NoPseudoCast PseudoCast = iota
	// PseudoCastPolymorphic: any, anyelement, anynonarray, anycompatible and
	// anycompatiblenonarray take any value and change nothing ('x'::anyelement is still of
	// type unknown, 1::anyelement integer).
	PseudoCastPolymorphic
	// PseudoCastNoInput: the type's input function refuses every value, NULL too, with
	// 0A000 `cannot accept a value of type internal` (trigger, internal, the handlers...);
	// text reaches it through the input function too.
	PseudoCastNoInput
	// PseudoCastNoInputPolymorphic: anyarray, anyrange and the like: an untyped literal is
	// 0A000 `cannot accept a value of type anyarray`, NULL is a NULL, a typed value (text
	// too) 42846.
	PseudoCastNoInputPolymorphic
	// PseudoCastNever: anyenum: 42846 `cannot cast type unknown to anyenum` for any value.
	PseudoCastNever
	// PseudoCastRecord: record takes a record as it is, NULL as a NULL record; an untyped
	// literal or text is 0A000 `input of anonymous composite types is not implemented`.
	PseudoCastRecord
	// PseudoCastValue: cstring, void and unknown take an untyped literal and text values.
	PseudoCastValue
)

// PseudoCastOf is what a cast to the pseudo-type named name (unqualified, as the parser
// gives it: a quoted "any" as any) does in PostgreSQL 15.
func PseudoCastOf(name string) PseudoCast {
	switch name {
	case "any", "anyelement", "anynonarray", "anycompatible", "anycompatiblenonarray":
		return PseudoCastPolymorphic
	case "pg_ddl_command", "table_am_handler", "index_am_handler", "trigger", "language_handler",
		"internal", "fdw_handler", "tsm_handler", "event_trigger":
		return PseudoCastNoInput
	case "anyarray", "anyrange", "anymultirange", "anycompatiblearray", "anycompatiblerange",
		"anycompatiblemultirange":
		return PseudoCastNoInputPolymorphic
	case "anyenum":
		return PseudoCastNever
	case "record":
		return PseudoCastRecord
	case "cstring", "void", "unknown":
		return PseudoCastValue
	}
	return NoPseudoCast
}
