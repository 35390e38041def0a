package planner

import (
	"sort"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sleeperd/sleeperd/types"
)

// Qual is one conjunct of a condition, for OrderQuals.
type Qual struct {
	Expr Expr
	// SubLink is set when the conjunct holds a subquery expression, run (or joined) per
	// outer row: PostgreSQL's SubPlan, costed as more than any expression.
	SubLink bool
}

// subPlanCost is the cost of a conjunct holding a subquery: more than any plain expression.
const subPlanCost = 1e9

// OrderQuals orders the conjuncts of a WHERE condition as PostgreSQL's order_qual_clauses
// does (createplan.c): by their estimated cost per row, cheapest first, keeping the written
// order among equal costs. The cost is cost_qual_eval's, in units of cpu_operator_cost: one
// for each operator and function call (pg_proc.procost, 1 for nearly every built-in), none
// for columns, constants, AND, OR, NOT, IS NULL, CASE and COALESCE, two for a cast through
// text (an output and an input function), half the list's length for IN over a list (two when
// it has nine or more constants, which PostgreSQL hashes), and more than any expression for a
// subquery. As PostgreSQL places them: a conjunct over no column that calls no volatile
// function is a one-time filter, tested before the others; and equalities, which become
// equivalence classes and come back as conditions after all the others, come after the
// conjuncts of the same cost that are not.
func OrderQuals(quals []Qual) []Expr {
	type item struct {
		e     Expr
		gate  bool
		cost  float64
		equiv bool
	}
	items := make([]item, len(quals))
	for i, q := range quals {
		it := item{e: q.Expr, cost: QualCost(q.Expr)}
		if q.SubLink {
			it.cost = subPlanCost
		} else {
			used := map[ColumnID]bool{}
			ColumnsUsed(q.Expr, used)
			switch {
			case len(used) == 0 && !Volatile(q.Expr) && !pgVolatile(q.Expr):
				it.gate = true
			case isEquivalence(q.Expr):
				it.equiv = true
			}
		}
		items[i] = it
	}
	sort.SliceStable(items, func(i, j int) bool {
		a, b := items[i], items[j]
		if a.gate != b.gate {
			return a.gate
		}
		if a.gate {
			return false
		}
		if a.cost != b.cost {
			return a.cost < b.cost
		}
		return !a.equiv && b.equiv
	})
	out := make([]Expr, len(items))
	for i, it := range items {
		out[i] = it.e
	}
	return out
}

// isEquivalence reports whether e is an equality PostgreSQL makes an equivalence class of:
// a = b over operands that call no volatile function.
func isEquivalence(e Expr) bool {
	b, ok := e.(*Binary)
	if _, bare := boolEquality(b); !ok || bare {
		return false
	}
	return b.Op == OpEq && !Volatile(b.L) && !Volatile(b.R)
}

// boolEquality returns the boolean operand of b = true, b = false, b <> true or b <> false
// (a constant on either side), which PostgreSQL's simplify_boolean_equality makes b or
// NOT b: no operator, no equality.
func boolEquality(e *Binary) (Expr, bool) {
	if e == nil || e.Op != OpEq && e.Op != OpNotEq {
		return nil, false
	}
	if l, ok := e.R.(*Literal); ok {
		if _, ok := l.Value.(bool); ok {
			return e.L, true
		}
	}
	if l, ok := e.L.(*Literal); ok {
		if _, ok := l.Value.(bool); ok {
			return e.R, true
		}
	}
	return nil, false
}

// costlyFuncs are the functions whose pg_proc.procost is not 1.
var costlyFuncs = map[string]float64{
	"pg_table_is_visible": 10, "pg_type_is_visible": 10, "pg_function_is_visible": 10,
	"pg_operator_is_visible": 10, "pg_opclass_is_visible": 10, "pg_opfamily_is_visible": 10,
	"pg_collation_is_visible": 10, "pg_conversion_is_visible": 10,
	"pg_statistics_obj_is_visible": 10, "pg_ts_config_is_visible": 10,
	"pg_ts_dict_is_visible": 10, "pg_ts_parser_is_visible": 10,
	"pg_ts_template_is_visible": 10, "has_any_column_privilege": 10,
	"pg_get_replica_identity_index": 10, "pg_relation_is_updatable": 10,
	"pg_column_is_updatable": 10,
	"obj_description":        100, "col_description": 100, "shobj_description": 100,
	"to_tsvector": 100, "to_tsquery": 100, "plainto_tsquery": 100, "phraseto_tsquery": 100,
	"websearch_to_tsquery": 100, "ts_headline": 100, "ts_rewrite": 100,
}

// QualCost is the estimated cost of evaluating e for one row, in units of PostgreSQL's
// cpu_operator_cost, as cost_qual_eval estimates it (see OrderQuals).
func QualCost(e Expr) float64 {
	if folded(e) {
		return 0 // a constant once folded
	}
	var c float64
	switch x := e.(type) {
	case nil, *ColumnRef, *Literal, *Param:
		return 0
	case *Binary:
		if o, ok := boolEquality(x); ok {
			return QualCost(o) // PostgreSQL reads b = true as b, b = false as NOT b
		}
		if x.Op != OpAnd && x.Op != OpOr {
			c = 1
		}
	case *Func:
		c = 1
		if k, ok := costlyFuncs[strings.ToLower(x.Name)]; ok {
			c = k
		}
	case *Cast:
		c = castCost(x.E.Type(), x.To)
	case *InList:
		// PostgreSQL compares with the items over columns one by one, and with the others,
		// when there are two or more, as one array.
		n, consts := 0, true
		for _, v := range x.List {
			used := map[ColumnID]bool{}
			ColumnsUsed(v, used)
			if len(used) > 0 {
				c++
				continue
			}
			n++
			if _, ok := v.(*Literal); !ok {
				consts = false
			}
		}
		if n == 1 {
			c++
		} else {
			c += arrayOpCost(n, consts)
		}
	case *AnyOp:
		n, consts := 10, false // estimate_array_length's guess for an array it cannot see
		switch r := x.R.(type) {
		case *Array:
			n, consts = len(r.Elems), true
			for _, v := range r.Elems {
				if _, ok := v.(*Literal); !ok {
					consts = false
				}
			}
		case *Literal:
			if l, ok := r.Value.([]any); ok {
				n, consts = len(l), true
			} else if r.Value == nil {
				n = 1
			}
		}
		hashable := !x.All && x.Op == OpEq || x.All && x.Op == OpNotEq
		c = arrayOpCost(n, consts && hashable)
	case *Check:
		return QualCost(x.E)
	}
	for _, ch := range Children(e) {
		c += QualCost(ch)
	}
	return c
}

// arrayOpCost is the cost of x = ANY (array of n elements), IN over a list: the operator
// for half the elements, or, over nine or more constants, which PostgreSQL hashes, one hash
// and one comparison.
func arrayOpCost(n int, consts bool) float64 {
	if consts && n >= 9 {
		return 2
	}
	return float64(n) * 0.5
}

// castCost is the cost of a cast from one type to another: none between types of one
// storage (text and varchar) or between integer or floating-point types of different
// widths (which PostgreSQL compares by cross-type operators, no cast), two through text
// (an output and an input function), one for a cast function.
func castCost(from, to arrow.DataType) float64 {
	family := func(typ arrow.DataType) string {
		n := types.InternalName(typ)
		switch n {
		case "?column?":
			return types.Name(typ)
		case "text", "varchar", "bpchar", "name":
			return "text"
		case "int2", "int4", "int8":
			return "int"
		case "float4", "float8":
			return "float"
		}
		return n
	}
	ff, tf := family(from), family(to)
	switch {
	case from.ID() == arrow.NULL || types.IsUnknown(from):
		return 0
	case ff == tf:
		return 0
	case ff == "text" || tf == "text":
		return 2
	}
	return 1
}

// folded reports whether e is over constants alone, which planning folds into one: no
// column, no volatile function and no function without arguments (now(), current_date),
// which PostgreSQL does not fold.
func folded(e Expr) bool {
	ok := true
	Walk(e, func(x Expr) bool {
		switch x := x.(type) {
		case *ColumnRef:
			ok = false
		case *Func:
			if len(x.Args) == 0 || Volatile(x) {
				ok = false
			}
		}
		return ok
	})
	return ok
}

// pgVolatileFuncs are functions PostgreSQL declares volatile besides those function.Volatile
// names: a conjunct calling one is not a one-time filter.
var pgVolatileFuncs = map[string]bool{
	"clock_timestamp": true, "timeofday": true, "gen_random_uuid": true, "pg_sleep": true,
	"set_config": true, "txid_current": true, "setseed": true,
}

func pgVolatile(e Expr) bool {
	return calls(e, func(name string) bool { return pgVolatileFuncs[strings.ToLower(name)] })
}

// PGVolatile reports whether e calls a function PostgreSQL declares volatile: one Volatile
// names, or one this engine evaluates once per statement although PostgreSQL evaluates it
// per call (clock_timestamp, gen_random_uuid...). Evaluated twice, such an expression gives
// other values.
func PGVolatile(e Expr) bool { return Volatile(e) || pgVolatile(e) }
