package sql

import (
	"math/big"
	"regexp"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/decimal128"

	"github.com/sleeperd/sleeperd/planner"
	"github.com/sleeperd/sleeperd/types"
)

// PostgreSQL's numeric without a type modifier keeps a display scale per value. Where that
// scale does not depend on the value, the binder gives the expression an Arrow decimal of that
// scale: a cast of an integer has scale 0, a cast of a constant the scale written in it, a
// quotient of two constants the scale PostgreSQL's select_div_scale picks. Other typmod-less
// numerics (a numeric column without a modifier, a cast of text or float, a quotient of
// non-constants, avg) are types.VarNumeric, whose values each carry their scale.
// docs/sql.md lists what differs.

// numericText is the text PostgreSQL's numeric input accepts as a finite number.
var numericText = regexp.MustCompile(`^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$`)

// numericCast is e cast to numeric without a type modifier, or nil when the cast is to
// types.VarNumeric: integers become numeric(38,0), a numeric keeps its type, and a quoted
// constant becomes a numeric literal with the scale written in it.
func numericCast(e planner.Expr) planner.Expr {
	t := e.Type()
	switch {
	case t == nil:
		return nil
	case types.IsInteger(t):
		if l, ok := e.(*planner.Literal); ok && l.Value != nil {
			if v, ok := intValue(l.Value); ok {
				return &planner.Literal{Value: decimal128.FromI64(v), Typ: types.Numeric(38, 0)}
			}
		}
		return &planner.Cast{E: e, To: types.Numeric(38, 0)}
	case t.ID() == arrow.DECIMAL128:
		return e
	}
	l, ok := e.(*planner.Literal)
	if !ok || (!types.IsUnknown(t) && t.ID() != arrow.STRING) {
		return nil
	}
	s, ok := l.Value.(string)
	if !ok {
		return nil
	}
	s = strings.TrimSpace(s)
	if !numericText.MatchString(s) {
		return nil
	}
	n, err := numericLiteral(s)
	if err != nil || n.Typ.ID() != arrow.DECIMAL128 {
		return nil
	}
	return n
}

// intValue is an integer literal's value.
func intValue(v any) (int64, bool) {
	switch x := v.(type) {
	case int16:
		return int64(x), true
	case int32:
		return int64(x), true
	case int64:
		return x, true
	}
	return 0, false
}

// constNumeric is the value of a constant number as an unscaled integer and its scale.
func constNumeric(e planner.Expr) (*big.Int, int32, bool) {
	l, ok := e.(*planner.Literal)
	if !ok || l.Value == nil {
		return nil, 0, false
	}
	if v, ok := intValue(l.Value); ok && types.IsInteger(l.Typ) {
		return big.NewInt(v), 0, true
	}
	if n, ok := l.Value.(decimal128.Num); ok {
		if d, ok := l.Typ.(*arrow.Decimal128Type); ok {
			return n.BigInt(), d.Scale, true
		}
	}
	return nil, 0, false
}

// divScale is the scale PostgreSQL's select_div_scale gives the quotient of constants l and r
// (at least NUMERIC_MIN_SIG_DIGITS, 16, significant digits, and no fewer places than either
// operand), or ok false when either is not a constant.
func divScale(l, r planner.Expr) (int32, bool) {
	lv, ls, ok1 := constNumeric(l)
	rv, rs, ok2 := constNumeric(r)
	if !ok1 || !ok2 {
		return 0, false
	}
	return min(types.DivScale(lv, ls, rv, rs), 38), true
}

// Functions and aggregates whose kernels take numeric without a type modifier
// (types.VarNumeric) as it is. Other calls get such arguments as types.DefaultNumeric
// (fixedNumeric): their values rounded to its scale.
var (
	varNumericFuncs = map[string]bool{"abs": true, "round": true, "trunc": true, "ceil": true, "ceiling": true, "floor": true,
		"concat": true, "concat_ws": true, "num_nulls": true, "num_nonnulls": true,
		"sqrt": true, "exp": true, "ln": true, "log": true, "log10": true, "sign": true, "div": true, "gcd": true,
		"lcm": true, "scale": true, "min_scale": true, "trim_scale": true}
	varNumericAggregates = map[string]bool{"count": true, "sum": true, "avg": true, "min": true, "max": true, "array_agg": true}
	varNumericWindows    = map[string]bool{"lag": true, "lead": true, "first_value": true, "last_value": true, "nth_value": true}
)

// fixedNumeric is e, or e cast to types.DefaultNumeric when it is a numeric without a type
// modifier, for a function whose kernel takes fixed-scale numerics only.
func fixedNumeric(e planner.Expr) planner.Expr {
	if types.IsVarNumeric(e.Type()) {
		return &planner.Cast{E: e, To: types.DefaultNumeric}
	}
	return e
}

// varNumericRounding binds round(x) and round(x, n) of a numeric without a type modifier and
// a constant n >= 0 as a cast to numeric(38, n), which rounds half away from zero to n places
// and shows n places, as PostgreSQL's round does; ok is false for other calls.
func varNumericRounding(name string, args []planner.Expr) (planner.Expr, bool) {
	if name != "round" || len(args) == 0 || len(args) > 2 || !types.IsVarNumeric(args[0].Type()) {
		return nil, false
	}
	n := int64(0)
	if len(args) == 2 {
		l, ok := args[1].(*planner.Literal)
		if !ok {
			return nil, false
		}
		if n, ok = toInt64(l); !ok || n < 0 || n > 38 {
			return nil, false
		}
	}
	return &planner.Cast{E: args[0], To: types.Numeric(38, int32(n))}, true
}

// varNumericArrayArgs binds the numeric arguments of a call that has a numeric[] argument
// without a type modifier, and reports whether there was one. The polymorphic array
// functions (array_append, array_prepend, array_cat, and array_position, array_positions,
// array_remove and array_replace, whose kernels compare such numerics by their numbers) make
// the other numeric arguments (arrays and elements, numeric(p,s) or integer) numeric without
// a type modifier too, so that each value keeps its own scale; others take their arguments as
// they are.
func varNumericArrayArgs(name string, args []planner.Expr) bool {
	found := false
	for _, a := range args {
		if et := types.Elem(a.Type()); et != nil && types.IsVarNumeric(et) {
			found = true
		}
	}
	if !found {
		return false
	}
	numeric := func(t arrow.DataType) bool {
		return t.ID() == arrow.DECIMAL128 || types.IsVarNumeric(t) || types.IsInteger(t)
	}
	switch name {
	case "array_append", "array_prepend", "array_cat", "array_position", "array_positions", "array_remove", "array_replace":
	default:
		return true
	}
	elem := types.VarNumeric
	for i, a := range args {
		switch t := a.Type(); {
		case name == "array_position" && i == 2:
		case numeric(t) && !arrow.TypeEqual(t, elem):
			args[i] = &planner.Cast{E: a, To: elem}
		case types.IsArray(t) && numeric(types.Elem(t)) && !arrow.TypeEqual(types.Elem(t), elem):
			args[i] = &planner.Cast{E: a, To: types.ArrayOf(elem)}
		}
	}
	return true
}
