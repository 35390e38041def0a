package types

import (
	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sleeperd/sleeperd/errs"
)

// ByName is the type PostgreSQL's type name (lower case, one of its spellings: int4, integer,
// character varying, timestamptz...) denotes with the type modifiers mods, as in
// numeric(10, 2) or varchar(20). It fails with errs.UndefinedObject for a name it does not
// know, and errs.InvalidParameter or errs.Syntax for modifiers the type does not take.
// Array types and interval's field mask are the caller's: they are not written as modifiers.
func ByName(name string, mods []int32) (arrow.DataType, error) {
	switch name {
	case "bool", "boolean":
		return Bool, nil
	case "int2", "smallint":
		return Int16, nil
	case "int4", "int", "integer":
		return Int32, nil
	case "int8", "bigint":
		return Int64, nil
	case "float4", "real":
		return Float32, nil
	case "float8", "double precision", "float":
		if name == "float" && len(mods) == 1 && mods[0] <= 24 {
			return Float32, nil
		}
		return Float64, nil
	case "numeric", "decimal":
		switch len(mods) {
		case 0:
			return VarNumeric, nil
		case 1, 2:
			p, s := mods[0], int32(0)
			if len(mods) == 2 {
				s = mods[1]
			}
			if p < 1 || p > 38 {
				return nil, errs.New(errs.InvalidParameter, "NUMERIC precision %d must be between 1 and 38", p)
			}
			if s < 0 || s > p {
				return nil, errs.New(errs.InvalidParameter, "NUMERIC scale %d must be between 0 and precision %d", s, p)
			}
			return Numeric(p, s), nil
		}
	case "varchar", "character varying":
		return charByName("varchar", false, mods)
	case "bpchar", "char", "character":
		return charByName("bpchar", true, mods)
	case "text", "name":
		return Text, nil
	case "bytea":
		return Bytea, nil
	case "json":
		return JSONType, nil
	case "jsonb":
		return JSONBType, nil
	case "uuid":
		return UUIDType, nil
	case "time", "time without time zone":
		return timeByName(mods)
	case "timetz", "time with time zone":
		return timetzByName(mods)
	case "date":
		return Date, nil
	case "timestamp", "timestamp without time zone":
		return Timestamp, nil
	case "timestamptz", "timestamp with time zone":
		return TimestampTZ, nil
	}
	return nil, errs.New(errs.UndefinedObject, "type %q does not exist", name)
}

// charByName returns varchar(n) or char(n) (fixed) from a type's modifiers.
func charByName(name string, fixed bool, mods []int32) (arrow.DataType, error) {
	n := int32(-1)
	switch {
	case len(mods) > 1:
		return nil, errs.New(errs.Syntax, "invalid type modifier")
	case len(mods) == 1:
		n = mods[0]
		if n < 1 {
			return nil, errs.New(errs.InvalidParameter, "length for type %s must be at least 1", name)
		}
		if n > MaxCharLength {
			return nil, errs.New(errs.InvalidParameter, "length for type %s cannot exceed %d", name, MaxCharLength)
		}
	}
	if fixed {
		return Bpchar(n), nil
	}
	return Varchar(n), nil
}
