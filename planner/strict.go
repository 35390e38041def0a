package planner

// RejectsNulls reports whether the condition e is not true on a row whose columns in side
// (any column when side is nil) are all NULL: a comparison, LIKE, IN or ANY over an operand
// that is NULL when those columns are (a column, an operator other than || or a cast over
// such; for ALL, over an array written out with elements), a boolean column, NOT of such,
// IS NOT NULL of such an operand, IS TRUE and IS FALSE of such a condition, and the
// conjunctions and disjunctions of such.
// PostgreSQL turns an outer join under such a WHERE condition on its null-extended side
// into an inner one (reduce_outer_joins).
func RejectsNulls(e Expr, side map[ColumnID]bool) bool {
	switch x := e.(type) {
	case *Binary:
		switch x.Op {
		case OpAnd:
			return RejectsNulls(x.L, side) || RejectsNulls(x.R, side)
		case OpOr:
			return RejectsNulls(x.L, side) && RejectsNulls(x.R, side)
		}
		return nullWith(x, side)
	case *ColumnRef:
		return nullWith(x, side)
	case *Not:
		return nullWith(x.E, side)
	case *InList:
		return nullWith(x.E, side)
	case *IsNull:
		return x.Negate && nullWith(x.E, side) // x IS NOT NULL, x IS NOT UNKNOWN
	case *Coalesce:
		// x IS TRUE, (NOT x) IS FALSE: coalesce(x, false), true only where x is.
		if len(x.Args) == 2 {
			if l, ok := x.Args[1].(*Literal); ok && l.Value == false {
				return RejectsNulls(x.Args[0], side)
			}
		}
	case *AnyOp:
		// x op ALL over an empty array is true whatever x is: only an array written out
		// with elements is known not to be empty (PostgreSQL's is_strict_saop).
		if x.All && !nonEmptyArray(x.R) {
			return false
		}
		return nullWith(x.L, side)
	}
	return false
}

// nonEmptyArray reports whether e is an array constant or constructor with elements.
func nonEmptyArray(e Expr) bool {
	switch x := e.(type) {
	case *Array:
		return len(x.Elems) > 0
	case *Literal:
		l, ok := x.Value.([]any)
		return ok && len(l) > 0
	case *Cast:
		return nonEmptyArray(x.E)
	}
	return false
}

// nullWith reports whether e is NULL when its columns in side are.
func nullWith(e Expr, side map[ColumnID]bool) bool {
	switch x := e.(type) {
	case *ColumnRef:
		return side == nil || side[x.ID]
	case *Binary:
		if x.Op == OpAnd || x.Op == OpOr || x.Op == OpConcat {
			return false // array || NULL is the array
		}
		return nullWith(x.L, side) || nullWith(x.R, side)
	case *Cast:
		return nullWith(x.E, side)
	}
	return false
}
