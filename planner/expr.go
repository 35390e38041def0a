package planner

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sleeperd/sleeperd/types"
)

// ColumnID names a column produced somewhere in a plan. IDs are unique within one statement,
// so rules move expressions between nodes without renumbering anything.
type ColumnID int

// Column is a column of a logical node's output.
type Column struct {
	ID       ColumnID
	Name     string
	Type     arrow.DataType
	Nullable bool
}

// Expr is a bound scalar expression. The set of expressions is closed: rules and the physical
// planner handle them with type switches.
type Expr interface {
	// Type is the type of the expression's value.
	Type() arrow.DataType
	String() string
	expr()
}

// ColumnRef refers to a column of the input of the node holding the expression.
type ColumnRef struct {
	ID   ColumnID
	Name string
	Typ  arrow.DataType
}

// Literal is a constant. Value is nil (NULL) or a Go value of Typ's representation: bool,
// int16, int32, int64, float32, float64, decimal128.Num, string, []byte, arrow.Date32,
// arrow.Timestamp.
type Literal struct {
	Value any
	Typ   arrow.DataType
}

// Param is the statement parameter $Index (1-based). Parameters are replaced by literals
// before a plan is optimised.
type Param struct {
	Index int
	Typ   arrow.DataType
}

// Op is a binary operator.
type Op int

// Binary operators.
const (
	OpAdd Op = iota
	OpSub
	OpMul
	OpDiv
	OpMod
	OpEq
	OpNotEq
	OpLt
	OpLtEq
	OpGt
	OpGtEq
	OpAnd
	OpOr
	OpConcat
	OpLike
	OpNotLike
	OpILike
	OpNotILike
)

var opText = [...]string{"+", "-", "*", "/", "%", "=", "<>", "<", "<=", ">", ">=", "AND", "OR", "||", "LIKE", "NOT LIKE", "ILIKE", "NOT ILIKE"}

func (o Op) String() string { return opText[o] }

// Comparison reports whether o compares its operands.
func (o Op) Comparison() bool { return o >= OpEq && o <= OpGtEq }

// Arithmetic reports whether o is an arithmetic operator.
func (o Op) Arithmetic() bool { return o <= OpMod }

// Flip returns the operator with its operands swapped: a < b is b > a.
func (o Op) Flip() Op {
	switch o {
	case OpLt:
		return OpGt
	case OpLtEq:
		return OpGtEq
	case OpGt:
		return OpLt
	case OpGtEq:
		return OpLtEq
	}
	return o
}

// Binary applies a binary operator.
type Binary struct {
	Op   Op
	L, R Expr
	Typ  arrow.DataType
}

// Not is logical negation.
type Not struct{ E Expr }

// IsNull tests for NULL (IS NOT NULL when Negate).
type IsNull struct {
	E      Expr
	Negate bool
}

// InList is E [NOT] IN (List...).
type InList struct {
	E      Expr
	List   []Expr
	Negate bool
}

// Cast converts E to type To.
type Cast struct {
	E  Expr
	To arrow.DataType
}

// Func calls a scalar function.
type Func struct {
	Name string
	Args []Expr
	Typ  arrow.DataType
}

// Case is CASE WHEN Whens[i] THEN Thens[i] ... ELSE Else END; Else may be nil (NULL).
type Case struct {
	Whens, Thens []Expr
	Else         Expr
	Typ          arrow.DataType
}

// Coalesce returns its first non-NULL argument.
type Coalesce struct {
	Args []Expr
	Typ  arrow.DataType
}

func (e *ColumnRef) Type() arrow.DataType { return e.Typ }
func (e *Literal) Type() arrow.DataType   { return e.Typ }
func (e *Param) Type() arrow.DataType     { return e.Typ }
func (e *Binary) Type() arrow.DataType    { return e.Typ }
func (e *Not) Type() arrow.DataType       { return arrow.FixedWidthTypes.Boolean }
func (e *IsNull) Type() arrow.DataType    { return arrow.FixedWidthTypes.Boolean }
func (e *InList) Type() arrow.DataType    { return arrow.FixedWidthTypes.Boolean }
func (e *Cast) Type() arrow.DataType      { return e.To }
func (e *Func) Type() arrow.DataType      { return e.Typ }
func (e *Case) Type() arrow.DataType      { return e.Typ }
func (e *Coalesce) Type() arrow.DataType  { return e.Typ }

func (*ColumnRef) expr() {}
func (*Literal) expr()   {}
func (*Param) expr()     {}
func (*Binary) expr()    {}
func (*Not) expr()       {}
func (*IsNull) expr()    {}
func (*InList) expr()    {}
func (*Cast) expr()      {}
func (*Func) expr()      {}
func (*Case) expr()      {}
func (*Coalesce) expr()  {}

func (e *ColumnRef) String() string { return e.Name }
func (e *Literal) String() string   { return types.FormatLiteral(e.Value, e.Typ) }
func (e *Param) String() string     { return fmt.Sprintf("$%d", e.Index) }
func (e *Binary) String() string {
	return "(" + e.L.String() + " " + e.Op.String() + " " + e.R.String() + ")"
}
func (e *Not) String() string { return "NOT " + e.E.String() }
func (e *IsNull) String() string {
	if e.Negate {
		return e.E.String() + " IS NOT NULL"
	}
	return e.E.String() + " IS NULL"
}
func (e *InList) String() string {
	not := ""
	if e.Negate {
		not = "NOT "
	}
	return e.E.String() + " " + not + "IN (" + joinExprs(e.List) + ")"
}
func (e *Cast) String() string     { return "CAST(" + e.E.String() + " AS " + types.Name(e.To) + ")" }
func (e *Func) String() string     { return e.Name + "(" + joinExprs(e.Args) + ")" }
func (e *Coalesce) String() string { return "coalesce(" + joinExprs(e.Args) + ")" }
func (e *Case) String() string {
	var b strings.Builder
	b.WriteString("CASE")
	for i := range e.Whens {
		fmt.Fprintf(&b, " WHEN %s THEN %s", e.Whens[i], e.Thens[i])
	}
	if e.Else != nil {
		fmt.Fprintf(&b, " ELSE %s", e.Else)
	}
	b.WriteString(" END")
	return b.String()
}

func joinExprs(es []Expr) string {
	s := make([]string, len(es))
	for i, e := range es {
		s[i] = e.String()
	}
	return strings.Join(s, ", ")
}

// Children returns the direct sub-expressions of e.
func Children(e Expr) []Expr {
	switch e := e.(type) {
	case *Binary:
		return []Expr{e.L, e.R}
	case *Not:
		return []Expr{e.E}
	case *IsNull:
		return []Expr{e.E}
	case *InList:
		return append([]Expr{e.E}, e.List...)
	case *Cast:
		return []Expr{e.E}
	case *Func:
		return e.Args
	case *Coalesce:
		return e.Args
	case *Array:
		return e.Elems
	case *AnyOp:
		return []Expr{e.L, e.R}
	case *Check:
		return []Expr{e.E, e.Fail}
	case *Case:
		out := append(append([]Expr{}, e.Whens...), e.Thens...)
		if e.Else != nil {
			out = append(out, e.Else)
		}
		return out
	}
	return nil
}

// Transform rebuilds e bottom-up, replacing each node n by f(n) after its children have been
// transformed. f returns its argument to keep a node.
func Transform(e Expr, f func(Expr) (Expr, error)) (Expr, error) {
	var err error
	tr := func(x Expr) Expr {
		if err != nil || x == nil {
			return x
		}
		var y Expr
		y, err = Transform(x, f)
		return y
	}
	trs := func(xs []Expr) []Expr {
		out := make([]Expr, len(xs))
		for i, x := range xs {
			out[i] = tr(x)
		}
		return out
	}
	switch n := e.(type) {
	case *Binary:
		c := *n
		c.L, c.R = tr(n.L), tr(n.R)
		e = &c
	case *Not:
		e = &Not{E: tr(n.E)}
	case *IsNull:
		e = &IsNull{E: tr(n.E), Negate: n.Negate}
	case *InList:
		e = &InList{E: tr(n.E), List: trs(n.List), Negate: n.Negate}
	case *Cast:
		e = &Cast{E: tr(n.E), To: n.To}
	case *Func:
		c := *n
		c.Args = trs(n.Args)
		e = &c
	case *Coalesce:
		c := *n
		c.Args = trs(n.Args)
		e = &c
	case *Case:
		c := *n
		c.Whens, c.Thens, c.Else = trs(n.Whens), trs(n.Thens), tr(n.Else)
		e = &c
	case *Array:
		e = &Array{Elems: trs(n.Elems), Typ: n.Typ}
	case *AnyOp:
		e = &AnyOp{Op: n.Op, L: tr(n.L), R: tr(n.R), All: n.All}
	case *Check:
		e = &Check{E: tr(n.E), Fail: tr(n.Fail), Kind: n.Kind, Msg: n.Msg}
	}
	if err != nil {
		return nil, err
	}
	return f(e)
}

// Walk calls f on e and every sub-expression, parents first, until f returns false.
func Walk(e Expr, f func(Expr) bool) {
	if e == nil || !f(e) {
		return
	}
	for _, c := range Children(e) {
		Walk(c, f)
	}
}

// ColumnsUsed adds the IDs of the columns e refers to into set.
func ColumnsUsed(e Expr, set map[ColumnID]bool) {
	Walk(e, func(x Expr) bool {
		if c, ok := x.(*ColumnRef); ok {
			set[c.ID] = true
		}
		return true
	})
}

// Conjuncts splits e on AND.
func Conjuncts(e Expr) []Expr {
	if b, ok := e.(*Binary); ok && b.Op == OpAnd {
		return append(Conjuncts(b.L), Conjuncts(b.R)...)
	}
	return []Expr{e}
}

// And joins conjuncts with AND; nil for none.
func And(es []Expr) Expr {
	var out Expr
	for _, e := range es {
		if out == nil {
			out = e
		} else {
			out = &Binary{Op: OpAnd, L: out, R: e, Typ: arrow.FixedWidthTypes.Boolean}
		}
	}
	return out
}

// ExprKey is a string that is equal for structurally equal expressions (columns compared by
// ID), for matching GROUP BY and ORDER BY expressions against the select list.
func ExprKey(e Expr) string {
	var b strings.Builder
	var walk func(e Expr)
	walk = func(e Expr) {
		switch x := e.(type) {
		case nil:
			b.WriteString("nil")
			return
		case *ColumnRef:
			fmt.Fprintf(&b, "#%d", x.ID)
			return
		case *Literal:
			fmt.Fprintf(&b, "lit(%s:%s)", types.FormatLiteral(x.Value, x.Typ), x.Typ)
			return
		case *Param:
			fmt.Fprintf(&b, "$%d", x.Index)
			return
		case *Binary:
			fmt.Fprintf(&b, "bin%d", x.Op)
		case *Not:
			b.WriteString("not")
		case *IsNull:
			fmt.Fprintf(&b, "isnull%v", x.Negate)
		case *InList:
			fmt.Fprintf(&b, "in%v", x.Negate)
		case *Cast:
			fmt.Fprintf(&b, "cast:%s", x.To)
		case *Func:
			fmt.Fprintf(&b, "f:%s", x.Name)
		case *Case:
			fmt.Fprintf(&b, "case%d:%v", len(x.Whens), x.Else != nil)
		case *Coalesce:
			b.WriteString("coalesce")
		case *Array:
			fmt.Fprintf(&b, "array:%s", x.Typ)
		case *AnyOp:
			fmt.Fprintf(&b, "any%d:%v", x.Op, x.All)
		case *Check:
			fmt.Fprintf(&b, "check:%q", x.Msg)
		}
		b.WriteByte('(')
		for _, c := range Children(e) {
			walk(c)
			b.WriteByte(',')
		}
		b.WriteByte(')')
	}
	walk(e)
	return b.String()
}

// ExprName is a short name for an expression's output column.
func ExprName(e Expr) string {
	switch x := e.(type) {
	case *ColumnRef:
		return x.Name
	case *Func:
		return x.Name
	case *Cast:
		return ExprName(x.E)
	case *Array:
		return "array"
	}
	return "?column?"
}
