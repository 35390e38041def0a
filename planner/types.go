package planner

import (
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/decimal128"

	"github.com/sleeperd/sleeperd/catalog"
	"github.com/sleeperd/sleeperd/errs"
)

// Common Arrow types of SQL values.
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
)

type unknownType struct{ arrow.StringType }

func (*unknownType) Name() string   { return "unknown" }
func (*unknownType) String() string { return "unknown" }

// IsUnknown reports whether t is the type of an untyped string literal.
func IsUnknown(t arrow.DataType) bool { _, ok := t.(*unknownType); return ok }

// Numeric returns a numeric(p, s) type.
func Numeric(p, s int32) arrow.DataType { return &arrow.Decimal128Type{Precision: p, Scale: s} }

// TypeName is the PostgreSQL name of t.
func TypeName(t arrow.DataType) string {
	switch t := t.(type) {
	case *unknownType:
		return "unknown"
	case *catalog.CharType:
		return t.String()
	case *arrow.Decimal128Type:
		return fmt.Sprintf("numeric(%d,%d)", t.Precision, t.Scale)
	case *arrow.TimestampType:
		if t.TimeZone != "" {
			return "timestamp with time zone"
		}
		return "timestamp without time zone"
	case *arrow.ListType:
		return TypeName(t.Elem()) + "[]"
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

// numericRank orders the numeric types for implicit promotion; 0 is not numeric.
func numericRank(t arrow.DataType) int {
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
	}
	return 0
}

// integerDigits is the precision of the numeric type an integer type converts to exactly.
var integerDigits = map[arrow.Type]int32{arrow.INT16: 5, arrow.INT32: 10, arrow.INT64: 19}

// decimalWith is the numeric type that holds every value of d and of the integer type i:
// the integer digits of the wider and d's scale, at most 38 digits in all.
func decimalWith(d *arrow.Decimal128Type, i arrow.DataType) arrow.DataType {
	p := min(38, max(d.Precision-d.Scale, integerDigits[i.ID()])+d.Scale)
	return Numeric(max(p, d.Scale), d.Scale)
}

// IsNumeric reports whether t is a number type.
func IsNumeric(t arrow.DataType) bool { return numericRank(t) > 0 }

// IsInteger reports whether t is an integer type.
func IsInteger(t arrow.DataType) bool { r := numericRank(t); return r >= 1 && r <= 3 }

// CommonType is the type both a and b are implicitly cast to when compared or combined, as
// PostgreSQL resolves operators: the wider numeric type, an unknown literal takes the other
// side's type. It fails with errs.UndefinedFunction (no operator) for incompatible types.
func CommonType(a, b arrow.DataType) (arrow.DataType, error) {
	switch {
	case a.ID() == arrow.NULL:
		if IsUnknown(b) {
			return Text, nil
		}
		return b, nil
	case b.ID() == arrow.NULL:
		if IsUnknown(a) {
			return Text, nil
		}
		return a, nil
	case IsUnknown(a) && IsUnknown(b):
		return Text, nil
	case IsUnknown(a):
		return b, nil
	case IsUnknown(b):
		return a, nil
	}
	ca, aChar := a.(*catalog.CharType)
	cb, bChar := b.(*catalog.CharType)
	switch {
	case aChar && bChar && ca.Fixed() == cb.Fixed():
		if ca.Length() == cb.Length() {
			return a, nil
		}
		if ca.Fixed() {
			return Bpchar(-1), nil
		}
		return Varchar(-1), nil
	case aChar && bChar:
		// character varying converts implicitly to character, not the other way.
		return Bpchar(-1), nil
	case aChar || bChar:
		if a.ID() == arrow.STRING && b.ID() == arrow.STRING {
			return Text, nil
		}
	case arrow.TypeEqual(a, b):
		return a, nil
	}
	ra, rb := numericRank(a), numericRank(b)
	if ra > 0 && rb > 0 {
		if ra == 4 && rb == 4 {
			da, db := a.(*arrow.Decimal128Type), b.(*arrow.Decimal128Type)
			return Numeric(38, max(da.Scale, db.Scale)), nil
		}
		if ra == 4 && rb < 4 {
			return decimalWith(a.(*arrow.Decimal128Type), b), nil
		}
		if rb == 4 && ra < 4 {
			return decimalWith(b.(*arrow.Decimal128Type), a), nil
		}
		if ra == 5 || rb == 5 {
			if ra == 5 && rb == 5 {
				return Float32, nil
			}
			return Float64, nil
		}
		if ra < rb {
			return b, nil
		}
		return a, nil
	}
	if a.ID() == arrow.TIMESTAMP && b.ID() == arrow.TIMESTAMP {
		return TimestampTZ, nil
	}
	if ea, eb := ElemType(a), ElemType(b); ea != nil && eb != nil {
		if et, err := CommonType(ea, eb); err == nil {
			return ArrayOf(et), nil
		}
	}
	if (a.ID() == arrow.DATE32 && b.ID() == arrow.TIMESTAMP) || (a.ID() == arrow.TIMESTAMP && b.ID() == arrow.DATE32) {
		if a.ID() == arrow.TIMESTAMP {
			return a, nil
		}
		return b, nil
	}
	return nil, errs.New(errs.UndefinedFunction, "operator does not exist: %s and %s are not comparable", TypeName(a), TypeName(b))
}

// FormatLiteral renders a literal value as SQL text.
func FormatLiteral(v any, t arrow.DataType) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case bool:
		if x {
			return "true"
		}
		return "false"
	case string:
		return "'" + strings.ReplaceAll(x, "'", "''") + "'"
	case []byte:
		return `'\x` + hex.EncodeToString(x) + "'::bytea"
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case float32:
		return strconv.FormatFloat(float64(x), 'g', -1, 32)
	case decimal128.Num:
		if d, ok := t.(*arrow.Decimal128Type); ok {
			return x.ToString(d.Scale)
		}
	case arrow.Date32:
		return "'" + x.FormattedString() + "'::date"
	case arrow.MonthDayNanoInterval:
		return fmt.Sprintf("'%d mons %d days %d us'::interval", x.Months, x.Days, x.Nanoseconds/1000)
	case []any:
		return formatArray(x, t)
	case arrow.Timestamp:
		unit := arrow.Microsecond
		if ts, ok := t.(*arrow.TimestampType); ok {
			unit = ts.Unit
		}
		return "'" + x.ToTime(unit).UTC().Format("2006-01-02 15:04:05.999999") + "'::" + TypeName(t)
	}
	return fmt.Sprint(v)
}

// Varchar returns the type character varying(n) (varchar); n < 0 means no length limit.
func Varchar(n int32) arrow.DataType { return catalog.Varchar(n) }

// Bpchar returns the type character(n) (bpchar); n < 0 means no length.
func Bpchar(n int32) arrow.DataType { return catalog.Bpchar(n) }

// IsVarchar reports whether t is character varying, with or without a length.
func IsVarchar(t arrow.DataType) bool { c, ok := t.(*catalog.CharType); return ok && !c.Fixed() }

// IsBpchar reports whether t is character(n) or bpchar.
func IsBpchar(t arrow.DataType) bool { c, ok := t.(*catalog.CharType); return ok && c.Fixed() }

// CharLength is the declared length of a character varying or character type: n of
// varchar(n), -1 without one; ok is false for other types.
func CharLength(t arrow.DataType) (n int32, ok bool) {
	if c, is := t.(*catalog.CharType); is {
		return c.Length(), true
	}
	return 0, false
}

// SelectCommonType is the type of a column of values (UNION, VALUES, CASE, COALESCE,
// ARRAY[...]) whose values so far have type a, next to one of type b, as PostgreSQL's
// select_common_type resolves it: CommonType, except that in the string category, whose
// types (text, character varying, character) all convert implicitly to one another, the
// first type stays, with its length only when b's is the same. Arrays follow their elements.
func SelectCommonType(a, b arrow.DataType) (arrow.DataType, error) {
	str := func(t arrow.DataType) bool { return t.ID() == arrow.STRING && !IsUnknown(t) }
	if str(a) && str(b) {
		ca, ok := a.(*catalog.CharType)
		if !ok {
			return Text, nil
		}
		n, _ := CharLength(b)
		if _, bChar := b.(*catalog.CharType); bChar && n == ca.Length() {
			return a, nil
		}
		if ca.Fixed() {
			return Bpchar(-1), nil
		}
		return Varchar(-1), nil
	}
	if ea, eb := ElemType(a), ElemType(b); ea != nil && eb != nil && str(ea) && str(eb) {
		et, err := SelectCommonType(ea, eb)
		if err != nil {
			return nil, err
		}
		return ArrayOf(et), nil
	}
	return CommonType(a, b)
}
