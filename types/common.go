package types

import (
	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sleeperd/sleeperd/errs"
)

// integerDigits is the precision of the numeric type an integer type converts to exactly.
var integerDigits = map[arrow.Type]int32{arrow.INT16: 5, arrow.INT32: 10, arrow.INT64: 19}

// decimalWith is the numeric type that holds every value of d and of the integer type i:
// the integer digits of the wider and d's scale, at most 38 digits in all.
func decimalWith(d *arrow.Decimal128Type, i arrow.DataType) arrow.DataType {
	p := min(38, max(d.Precision-d.Scale, integerDigits[i.ID()])+d.Scale)
	return Numeric(max(p, d.Scale), d.Scale)
}

// Common is the type both a and b are implicitly cast to when compared or combined, as
// PostgreSQL resolves operators: the wider numeric type, an unknown literal takes the other
// side's type. It fails with errs.UndefinedFunction (no operator) for incompatible types.
func Common(a, b arrow.DataType) (arrow.DataType, error) {
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
	case IsTime(a) || IsTime(b):
		return commonTime(a, b)
	case IsTimeTZ(a) || IsTimeTZ(b):
		return commonTimeTZ(a, b)
	}
	ca, aChar := a.(*Char)
	cb, bChar := b.(*Char)
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
		if (ra == 4 && IsVarNumeric(a)) || (rb == 4 && IsVarNumeric(b)) {
			if ra <= 4 && rb <= 4 {
				return VarNumeric, nil
			}
		}
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
	if ea, eb := Elem(a), Elem(b); ea != nil && eb != nil {
		if et, err := Common(ea, eb); err == nil {
			return ArrayOf(et), nil
		}
	}
	if (a.ID() == arrow.DATE32 && b.ID() == arrow.TIMESTAMP) || (a.ID() == arrow.TIMESTAMP && b.ID() == arrow.DATE32) {
		if a.ID() == arrow.TIMESTAMP {
			return a, nil
		}
		return b, nil
	}
	return nil, errs.New(errs.UndefinedFunction, "operator does not exist: %s and %s are not comparable", Name(a), Name(b))
}

// SelectCommon is the type of a column of values (UNION, VALUES, CASE, COALESCE,
// ARRAY[...]) whose values so far have type a, next to one of type b, as PostgreSQL's
// select_common_type resolves it: Common, except that in the string category, whose types
// (text, character varying, character) all convert implicitly to one another, the first type
// stays, with its length only when b's is the same; and that numerics of different scales, or
// integers beside numerics, make a numeric without a modifier (VarNumeric), so that each value
// keeps its own scale as PostgreSQL shows it (1.5 and 2.25, not 1.50 and 2.25). Arrays follow
// their elements.
func SelectCommon(a, b arrow.DataType) (arrow.DataType, error) {
	str := func(t arrow.DataType) bool { return t.ID() == arrow.STRING && !IsUnknown(t) }
	if ra, rb := numericRank(a), numericRank(b); (ra == 4 || rb == 4) && ra > 0 && ra <= 4 && rb > 0 && rb <= 4 {
		da, aDec := a.(*arrow.Decimal128Type)
		db, bDec := b.(*arrow.Decimal128Type)
		if aDec && bDec && da.Scale == db.Scale {
			return Numeric(38, da.Scale), nil
		}
		if !arrow.TypeEqual(a, b) {
			return VarNumeric, nil
		}
	}
	if IsJSON(a) && arrow.TypeEqual(a, b) {
		return a, nil // json with json, jsonb with jsonb: not text
	}
	if str(a) && str(b) {
		ca, ok := a.(*Char)
		if !ok {
			return Text, nil
		}
		n, _ := CharLength(b)
		if _, bChar := b.(*Char); bChar && n == ca.Length() {
			return a, nil
		}
		if ca.Fixed() {
			return Bpchar(-1), nil
		}
		return Varchar(-1), nil
	}
	if ea, eb := Elem(a), Elem(b); ea != nil && eb != nil && str(ea) && str(eb) {
		et, err := SelectCommon(ea, eb)
		if err != nil {
			return nil, err
		}
		return ArrayOf(et), nil
	}
	return Common(a, b)
}

// commonTime is Common where a or b is time: time values of any precision compare as time;
// time with another type has no operator (time is held as int64, but is no integer).
func commonTime(a, b arrow.DataType) (arrow.DataType, error) {
	if IsTimeTZ(a) || IsTimeTZ(b) {
		return commonTimeTZ(a, b)
	}
	pa, aTime := TimePrecision(a)
	pb, bTime := TimePrecision(b)
	if !aTime || !bTime {
		return nil, errs.New(errs.UndefinedFunction, "operator does not exist: %s and %s are not comparable", Name(a), Name(b))
	}
	if pa == pb {
		return a, nil
	}
	return TimeType, nil
}
