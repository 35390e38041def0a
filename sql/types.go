package sql

import (
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/planner"
)

// DefaultNumeric is the type of numeric without a precision. PostgreSQL's unconstrained
// numeric has a scale per value; an Arrow column has one scale, so ours is fixed.
var DefaultNumeric = planner.Numeric(38, 9)

// ResolveType maps a PostgreSQL type name to the Arrow type that holds its values.
func ResolveType(tn *pg_query.TypeName) (arrow.DataType, error) {
	var names []string
	for _, n := range tn.Names {
		if s := n.GetString_(); s != nil {
			names = append(names, s.Sval)
		}
	}
	if len(names) == 0 {
		return nil, errs.New(errs.Syntax, "missing type name")
	}
	name := strings.ToLower(names[len(names)-1])
	if len(tn.ArrayBounds) > 0 {
		// int[], integer ARRAY, int[3] and int[][] are all one-dimensional here, as
		// PostgreSQL ignores declared bounds and dimensions.
		if len(tn.ArrayBounds) > 1 {
			return nil, errs.New(errs.NotImplemented, "multidimensional arrays are not supported")
		}
		elem := &pg_query.TypeName{Names: tn.Names, Typmods: tn.Typmods, Typemod: tn.Typemod, Location: tn.Location}
		et, err := ResolveType(elem)
		if err != nil {
			return nil, err
		}
		return planner.ArrayOf(et), nil
	}
	if name == "interval" {
		// Interval type modifiers are a field mask (interval '90' day), not a precision.
		return planner.Interval, nil
	}
	var mods []int32
	for _, m := range tn.Typmods {
		if c := m.GetAConst(); c != nil {
			if i := c.GetIval(); i != nil {
				mods = append(mods, i.Ival)
				continue
			}
		}
		return nil, errs.New(errs.Syntax, "type modifiers must be simple constants")
	}
	return typeByName(name, mods)
}

func typeByName(name string, mods []int32) (arrow.DataType, error) {
	switch name {
	case "bool", "boolean":
		return planner.Bool, nil
	case "int2", "smallint":
		return planner.Int16, nil
	case "int4", "int", "integer":
		return planner.Int32, nil
	case "int8", "bigint":
		return planner.Int64, nil
	case "float4", "real":
		return planner.Float32, nil
	case "float8", "double precision", "float":
		if name == "float" && len(mods) == 1 && mods[0] <= 24 {
			return planner.Float32, nil
		}
		return planner.Float64, nil
	case "numeric", "decimal":
		switch len(mods) {
		case 0:
			return DefaultNumeric, nil
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
			return planner.Numeric(p, s), nil
		}
	case "varchar", "character varying":
		return charType("varchar", false, mods)
	case "bpchar", "char", "character":
		return charType("bpchar", true, mods)
	case "text", "name":
		return planner.Text, nil
	case "bytea":
		return planner.Bytea, nil
	case "date":
		return planner.Date, nil
	case "timestamp", "timestamp without time zone":
		return planner.Timestamp, nil
	case "timestamptz", "timestamp with time zone":
		return planner.TimestampTZ, nil
	}
	return nil, errs.New(errs.UndefinedObject, "type %q does not exist", name)
}

// shortTypeName is PostgreSQL's internal name of t, used to name cast columns (SELECT 1::int
// is a column named int4).
func shortTypeName(t arrow.DataType) string {
	switch {
	case planner.IsVarchar(t):
		return "varchar"
	case planner.IsBpchar(t):
		return "bpchar"
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

// intervalUnit is the unit an interval literal without one takes from its type's field mask
// (interval '90' day is 90 days), or "".
func intervalUnit(tn *pg_query.TypeName) string {
	if len(tn.Typmods) == 0 {
		return ""
	}
	c := tn.Typmods[0].GetAConst()
	if c == nil || c.GetIval() == nil {
		return ""
	}
	switch c.GetIval().Ival {
	case 1 << 1:
		return "month"
	case 1 << 2:
		return "year"
	case 1 << 3:
		return "day"
	case 1 << 10:
		return "hour"
	case 1 << 11:
		return "minute"
	case 1 << 12:
		return "second"
	}
	return ""
}
