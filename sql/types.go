package sql

import (
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/types"
)

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
		// int[], integer ARRAY, int[3] and int[][] are all the same type, as PostgreSQL
		// ignores declared bounds and dimensions; values have one dimension here.
		elem := &pg_query.TypeName{Names: tn.Names, Typmods: tn.Typmods, Typemod: tn.Typemod, Location: tn.Location}
		et, err := ResolveType(elem)
		if err != nil {
			return nil, err
		}
		return types.ArrayOf(et), nil
	}
	if name == "interval" {
		// Interval type modifiers are a field mask (interval '90' day), not a precision.
		return types.Interval, nil
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
	return types.ByName(name, mods)
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
