package types

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
)

// The Arrow types of SQL values.
var (
	Bool        = arrow.FixedWidthTypes.Boolean
	Int16       = arrow.PrimitiveTypes.Int16
	Int32       = arrow.PrimitiveTypes.Int32
	Int64       = arrow.PrimitiveTypes.Int64
	Float32     = arrow.PrimitiveTypes.Float32
	Float64     = arrow.PrimitiveTypes.Float64
	Text        = arrow.BinaryTypes.String
	Bytea       = arrow.BinaryTypes.Binary
	Date        = arrow.FixedWidthTypes.Date32
	Timestamp   = &arrow.TimestampType{Unit: arrow.Microsecond}
	TimestampTZ = &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}
	Interval    = arrow.FixedWidthTypes.MonthDayNanoInterval
	// Null is the type of an untyped NULL literal before it is coerced.
	Null = arrow.Null
	// Unknown is the type of a quoted literal ('...') before context gives it a type, as in
	// PostgreSQL; values of it are strings.
	Unknown = &unknownType{}
	// DefaultNumeric is the fixed-scale stand-in for numeric without a precision where a
	// value's own scale is not kept: the elements of numeric arrays, and the arguments of
	// functions without a kernel for VarNumeric. Tables made before VarNumeric existed have
	// columns of this type.
	DefaultNumeric = Numeric(38, 9)
)

type unknownType struct{ arrow.StringType }

func (*unknownType) Name() string   { return "unknown" }
func (*unknownType) String() string { return "unknown" }

// IsUnknown reports whether t is the type of an untyped string literal.
func IsUnknown(t arrow.DataType) bool { _, ok := t.(*unknownType); return ok }

// Numeric returns a numeric(p, s) type.
func Numeric(p, s int32) arrow.DataType { return &arrow.Decimal128Type{Precision: p, Scale: s} }

// ArrayOf is the type of a SQL array of elem: a list whose elements are nullable.
// An array of numeric without a type modifier holds VarNumeric values, each with its own scale.
func ArrayOf(elem arrow.DataType) arrow.DataType {
	return arrow.ListOf(elem)
}

// Elem is the element type of an array type, or nil when t is not an array.
func Elem(t arrow.DataType) arrow.DataType {
	if l, ok := t.(*arrow.ListType); ok {
		return l.Elem()
	}
	return nil
}

// IsArray reports whether t is an array type.
func IsArray(t arrow.DataType) bool { return Elem(t) != nil }

// numericRank orders the numeric types for implicit promotion; 0 is not numeric.
func numericRank(t arrow.DataType) int {
	if IsTime(t) || IsTimeTZ(t) {
		return 0
	}
	switch t.ID() {
	case arrow.INT16:
		return 1
	case arrow.INT32:
		return 2
	case arrow.INT64:
		return 3
	case arrow.DECIMAL128:
		return 4
	case arrow.FLOAT32:
		return 5
	case arrow.FLOAT64:
		return 6
	case arrow.EXTENSION:
		if IsVarNumeric(t) {
			return 4
		}
	}
	return 0
}

// IsNumeric reports whether t is a number type.
func IsNumeric(t arrow.DataType) bool { return numericRank(t) > 0 }

// IsInteger reports whether t is an integer type.
func IsInteger(t arrow.DataType) bool { r := numericRank(t); return r >= 1 && r <= 3 }

// Name is the PostgreSQL name of t with its modifiers, as format_type shows it:
// numeric(10,2), character varying(3), timestamp with time zone, integer[]. The untyped NULL
// is unknown; an Arrow type without a SQL name is shown by Arrow's name.
func Name(t arrow.DataType) string {
	switch t := t.(type) {
	case *unknownType:
		return "unknown"
	case *Char:
		return t.String()
	case *JSON:
		return t.Name()
	case *UUID:
		return "uuid"
	case *Reg:
		return t.name
	case *Time:
		return t.String()
	case *TimeTZ:
		return t.String()
	case *VarNumericType:
		return "numeric"
	case *arrow.Decimal128Type:
		return fmt.Sprintf("numeric(%d,%d)", t.Precision, t.Scale)
	case *arrow.TimestampType:
		if t.TimeZone != "" {
			return "timestamp with time zone"
		}
		return "timestamp without time zone"
	case *arrow.ListType:
		return Name(t.Elem()) + "[]"
	}
	if n, ok := nestedName(t); ok {
		return n
	}
	switch t.ID() {
	case arrow.NULL:
		return "unknown"
	case arrow.BOOL:
		return "boolean"
	case arrow.INT16:
		return "smallint"
	case arrow.INT32:
		return "integer"
	case arrow.INT64:
		return "bigint"
	case arrow.FLOAT32:
		return "real"
	case arrow.FLOAT64:
		return "double precision"
	case arrow.STRING:
		return "text"
	case arrow.BINARY:
		return "bytea"
	case arrow.DATE32:
		return "date"
	case arrow.INTERVAL_MONTH_DAY_NANO:
		return "interval"
	}
	return t.String()
}

// InternalName is PostgreSQL's internal name of t (pg_type.typname: int4, varchar,
// timestamptz), which names a column of a cast (SELECT 1::int is a column named int4), or
// "?column?" for types without one.
func InternalName(t arrow.DataType) string {
	switch {
	case IsVarchar(t):
		return "varchar"
	case IsBpchar(t):
		return "bpchar"
	case IsVarNumeric(t):
		return "numeric"
	case IsJSON(t):
		return t.(*JSON).Name()
	case IsUUID(t):
		return "uuid"
	case IsReg(t):
		return t.(*Reg).name
	case IsTime(t):
		return "time"
	case IsTimeTZ(t):
		return "timetz"
	}
	switch t.ID() {
	case arrow.BOOL:
		return "bool"
	case arrow.INT16:
		return "int2"
	case arrow.INT32:
		return "int4"
	case arrow.INT64:
		return "int8"
	case arrow.FLOAT32:
		return "float4"
	case arrow.FLOAT64:
		return "float8"
	case arrow.DECIMAL128:
		return "numeric"
	case arrow.STRING:
		return "text"
	case arrow.BINARY:
		return "bytea"
	case arrow.DATE32:
		return "date"
	case arrow.TIMESTAMP:
		if t.(*arrow.TimestampType).TimeZone != "" {
			return "timestamptz"
		}
		return "timestamp"
	}
	return "?column?"
}

// BaseName is the PostgreSQL name, without modifiers, of the type whose values are stored as
// t, as messages about values name it ("invalid input syntax for type numeric"): numeric,
// text, timestamp with time zone, integer[]. It goes by the storage type alone, so a
// character type is text; an Arrow type without a SQL name is shown by Arrow's name.
func BaseName(t arrow.DataType) string {
	if j, ok := t.(*JSON); ok {
		return j.Name()
	}
	if IsUUID(t) {
		return "uuid"
	}
	if r, ok := t.(*Reg); ok {
		return r.name
	}
	if IsTime(t) {
		return "time without time zone"
	}
	if IsTimeTZ(t) {
		return "time with time zone"
	}
	switch t.ID() {
	case arrow.BOOL:
		return "boolean"
	case arrow.INT16:
		return "smallint"
	case arrow.INT32:
		return "integer"
	case arrow.INT64:
		return "bigint"
	case arrow.FLOAT32:
		return "real"
	case arrow.FLOAT64:
		return "double precision"
	case arrow.DECIMAL128:
		return "numeric"
	case arrow.STRING:
		return "text"
	case arrow.BINARY:
		return "bytea"
	case arrow.DATE32:
		return "date"
	case arrow.INTERVAL_MONTH_DAY_NANO:
		return "interval"
	case arrow.TIMESTAMP:
		if t.(*arrow.TimestampType).TimeZone != "" {
			return "timestamp with time zone"
		}
		return "timestamp without time zone"
	case arrow.LIST:
		return BaseName(t.(*arrow.ListType).Elem()) + "[]"
	case arrow.EXTENSION:
		if IsVarNumeric(t) {
			return "numeric"
		}
	}
	return t.String()
}
