// Package types is the SQL type system: the Arrow type that holds the values of each
// PostgreSQL type, the types Arrow has no name for (character varying(n), character(n) and
// the unknown type of a quoted literal), PostgreSQL's names of types and its OIDs, type
// lengths and type modifiers, the implicit conversions that pick a common type, and the
// persisted text of an Arrow type.
//
// A SQL type is an arrow.DataType. Most are Arrow's own (integer is arrow.PrimitiveTypes.Int32,
// timestamp with time zone is a microsecond timestamp in UTC); a type whose SQL meaning Arrow
// does not carry is a Go type that embeds the Arrow type its values are stored as (Char embeds
// arrow.StringType), so kernels and builders handle its values as that type, and Storage strips
// it where only the storage matters.
//
// Two textual forms of a type are kept apart:
//
//   - Name is PostgreSQL's name of a type, as clients and error messages see it (numeric(10,2),
//     character varying(3), timestamp with time zone); ByName reads a type name as written in
//     SQL, with its modifiers, InternalName is pg_type.typname (int4, varchar), and BaseName
//     names the type of stored values without modifiers, as messages about values do.
//   - Format writes any Arrow type, with the SQL types this package adds, as the text that Parse
//     reads back; the catalog and persisted expressions store types in it.
//
// PGTypeOf and FromOID map Arrow types to and from how PostgreSQL describes a type on the wire
// (OID, typlen, typmod). The package imports only arrow-go, the standard library and errs; the
// formats of values (text and binary) are format/pgvalue's.
package types
