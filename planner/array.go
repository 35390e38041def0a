package planner

import (
	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sleeperd/sleeperd/types"
)

// Array is ARRAY[Elems...]; the elements already have Typ's element type.
type Array struct {
	Elems []Expr
	Typ   arrow.DataType
}

// AnyOp is L Op ANY (R), or ALL (R) when All is set, with R an array whose elements have L's
// type. Op is a comparison, or OpLike / OpILike / OpNotLike / OpNotILike.
type AnyOp struct {
	Op   Op
	L, R Expr
	All  bool
}

func (e *Array) Type() arrow.DataType { return e.Typ }
func (e *AnyOp) Type() arrow.DataType { return types.Bool }
func (*Array) expr()                  {}
func (*AnyOp) expr()                  {}
func (e *Array) String() string       { return "ARRAY[" + joinExprs(e.Elems) + "]" }
func (e *AnyOp) String() string {
	q := "ANY"
	if e.All {
		q = "ALL"
	}
	return "(" + e.L.String() + " " + e.Op.String() + " " + q + " (" + e.R.String() + "))"
}

// Unnest expands arrays into rows: for each input row, as many rows as its longest array in
// Lists (shorter ones padded with NULLs), with the input's columns, one column per list (Cols)
// and, when Ordinality is set, a bigint column counting 1.. within the input row.
type Unnest struct {
	Input      Node
	Lists      []Expr
	Cols       []Column
	Ordinality *Column
}

func (n *Unnest) Columns() []Column {
	out := append(append([]Column{}, n.Input.Columns()...), n.Cols...)
	if n.Ordinality != nil {
		out = append(out, *n.Ordinality)
	}
	return out
}
func (n *Unnest) Inputs() []Node { return []Node{n.Input} }
func (*Unnest) node()            {}
