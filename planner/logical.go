package planner

import (
	"github.com/sleeperd/sleeperd/catalog"
	"github.com/sleeperd/sleeperd/exec"
	"github.com/sleeperd/sleeperd/storage/keys"
	"github.com/sleeperd/sleeperd/storage/statestore"
)

// Node is a logical plan node. The set of nodes is closed; rules handle them with type switches.
type Node interface {
	// Columns are the node's output columns.
	Columns() []Column
	// Inputs are the node's children.
	Inputs() []Node
	node()
}

// Scan reads a table. Rules fill in what it needs to read: the columns, the leaves and key
// ranges that can hold matching rows, and bounds for pruning row groups.
type Scan struct {
	Table *catalog.Table
	// Cols has one column per table column (Table.Columns), hidden ones included.
	Cols []Column
	// Projected lists the indices of the table columns the scan outputs; nil means the
	// visible columns.
	Projected []int
	// NullOnly lists the projected columns (table column indices) the rest of the plan uses
	// only to ask whether they are NULL (as the argument of count): the scan need not decode
	// their values (catalog.ScanSpec.NullOnly).
	NullOnly []int
	// Filter holds the predicates pushed into the scan. They are applied by a filter right
	// above the scan, after the scan has used them to prune.
	Filter []Expr
	// Set by the prune rule: State is the snapshot read; Leaves the leaves overlapping Ranges.
	State  *statestore.State
	Leaves []*statestore.Partition
	Ranges []keys.Range
	Bounds []catalog.ColumnBound
	// Pruned is true once partitions have been pruned (Leaves is then meaningful).
	Pruned bool
	// KeyExact is true when Ranges, which the scan clips its rows to, keep exactly the rows
	// Filter keeps: no filter is needed above the scan (rules.PrunePartitions).
	KeyExact bool
}

// Filter keeps the rows for which Pred is true.
type Filter struct {
	Input Node
	Pred  Expr
}

// Project computes Exprs over each input row.
type Project struct {
	Input Node
	Exprs []Expr
	Cols  []Column
}

// AggCall is one aggregate function call.
type AggCall struct {
	Func     string // count_star or a name exec.IsAggregate knows
	Arg      Expr   // nil for count_star
	Distinct bool
	// Filter is FILTER (WHERE Filter): rows where it is not true are skipped; nil for none.
	Filter Expr
	// Extra are the further arguments: string_agg's delimiter, the fraction of
	// percentile_cont and percentile_disc.
	Extra []Expr
	// OrderBy is the ORDER BY inside the call; for an ordered-set aggregate (WITHIN GROUP)
	// it is the single key, whose expression is Arg.
	OrderBy []SortKey
}

// Aggregate groups its input by Groups and computes Aggs per group. Its columns are the
// groups' then the aggregates'.
type Aggregate struct {
	Input  Node
	Groups []Expr
	Aggs   []AggCall
	Cols   []Column
}

// SortKey orders by an expression.
type SortKey struct {
	E          Expr
	Desc       bool
	NullsFirst bool
}

// Sort orders its input.
type Sort struct {
	Input Node
	Keys  []SortKey
}

// Limit skips Offset rows then passes at most Count (Count < 0: all). CountExpr and
// OffsetExpr, when set, replace Count and Offset: bigint expressions without column
// references (LIMIT $1, LIMIT 1 + 1) evaluated when the plan runs, after its parameters
// are bound; NULL means no limit and no offset, a negative value is an error.
type Limit struct {
	Input                 Node
	Offset, Count         int64
	OffsetExpr, CountExpr Expr
}

// Values is a constant relation.
type Values struct {
	Cols []Column
	Rows [][]Expr
}

func (n *Scan) Columns() []Column {
	idx := n.Projected
	if idx == nil {
		idx = n.visible()
	}
	out := make([]Column, len(idx))
	for i, c := range idx {
		out[i] = n.Cols[c]
	}
	return out
}

func (n *Scan) visible() []int {
	var out []int
	for i, c := range n.Table.Columns {
		if !c.Hidden {
			out = append(out, i)
		}
	}
	return out
}

func (n *Filter) Columns() []Column    { return n.Input.Columns() }
func (n *Project) Columns() []Column   { return n.Cols }
func (n *Aggregate) Columns() []Column { return n.Cols }
func (n *Sort) Columns() []Column      { return n.Input.Columns() }
func (n *Limit) Columns() []Column     { return n.Input.Columns() }
func (n *Values) Columns() []Column    { return n.Cols }

func (n *Scan) Inputs() []Node      { return nil }
func (n *Filter) Inputs() []Node    { return []Node{n.Input} }
func (n *Project) Inputs() []Node   { return []Node{n.Input} }
func (n *Aggregate) Inputs() []Node { return []Node{n.Input} }
func (n *Sort) Inputs() []Node      { return []Node{n.Input} }
func (n *Limit) Inputs() []Node     { return []Node{n.Input} }
func (n *Values) Inputs() []Node    { return nil }

func (*Scan) node()      {}
func (*Filter) node()    {}
func (*Project) node()   {}
func (*Aggregate) node() {}
func (*Sort) node()      {}
func (*Limit) node()     {}
func (*Values) node()    {}

// WithInputs returns a shallow copy of n with its inputs replaced.
func WithInputs(n Node, in []Node) Node {
	switch n := n.(type) {
	case *Join:
		c := *n
		c.Left, c.Right = in[0], in[1]
		return &c
	case *Window:
		c := *n
		c.Input = in[0]
		return &c
	case *SetOp:
		c := *n
		c.Left, c.Right = in[0], in[1]
		return &c
	case *RecursiveCTE:
		c := *n
		c.Base, c.Step = in[0], in[1]
		return &c
	case *Apply:
		c := *n
		c.Left, c.Right = in[0], in[1]
		return &c
	case *Filter:
		c := *n
		c.Input = in[0]
		return &c
	case *Project:
		c := *n
		c.Input = in[0]
		return &c
	case *Aggregate:
		c := *n
		c.Input = in[0]
		return &c
	case *Sort:
		c := *n
		c.Input = in[0]
		return &c
	case *Limit:
		c := *n
		c.Input = in[0]
		return &c
	case *Unnest:
		c := *n
		c.Input = in[0]
		return &c
	}
	return n
}

// Exprs returns the expressions a node evaluates over its input.
func Exprs(n Node) []Expr {
	switch n := n.(type) {
	case *Join:
		if n.Cond != nil {
			return []Expr{n.Cond}
		}
		return nil
	case *Series:
		out := []Expr{n.Start, n.Stop}
		if n.Step != nil {
			out = append(out, n.Step)
		}
		return out
	case *Window:
		out := append([]Expr{}, n.Partition...)
		for _, k := range n.Order {
			out = append(out, k.E)
		}
		for _, c := range n.Calls {
			out = append(out, c.Args...)
			if c.Default != nil {
				out = append(out, c.Default)
			}
		}
		return out
	case *Filter:
		return []Expr{n.Pred}
	case *Project:
		return n.Exprs
	case *Aggregate:
		out := append([]Expr{}, n.Groups...)
		for _, a := range n.Aggs {
			if a.Arg != nil {
				out = append(out, a.Arg)
			}
			if a.Filter != nil {
				out = append(out, a.Filter)
			}
			out = append(out, a.Extra...)
			for _, k := range a.OrderBy {
				out = append(out, k.E)
			}
		}
		return out
	case *Unnest:
		return n.Lists
	case *Sort:
		out := make([]Expr, len(n.Keys))
		for i, k := range n.Keys {
			out[i] = k.E
		}
		return out
	case *Scan:
		return n.Filter
	case *Values:
		var out []Expr
		for _, r := range n.Rows {
			out = append(out, r...)
		}
		return out
	case *Limit:
		var out []Expr
		for _, e := range []Expr{n.CountExpr, n.OffsetExpr} {
			if e != nil {
				out = append(out, e)
			}
		}
		return out
	}
	return nil
}

// MapExprs returns a copy of n whose expressions have been rewritten by f.
func MapExprs(n Node, f func(Expr) (Expr, error)) (Node, error) {
	var err error
	m := func(e Expr) Expr {
		if err != nil || e == nil {
			return e
		}
		var out Expr
		out, err = Transform(e, f)
		return out
	}
	ms := func(es []Expr) []Expr {
		out := make([]Expr, len(es))
		for i, e := range es {
			out[i] = m(e)
		}
		return out
	}
	switch n := n.(type) {
	case *Join:
		c := *n
		c.Cond = m(n.Cond)
		return &c, err
	case *Series:
		c := *n
		c.Start, c.Stop, c.Step = m(n.Start), m(n.Stop), m(n.Step)
		return &c, err
	case *Window:
		c := *n
		c.Partition = ms(n.Partition)
		c.Order = make([]SortKey, len(n.Order))
		for i, k := range n.Order {
			c.Order[i] = k
			c.Order[i].E = m(k.E)
		}
		c.Calls = make([]WindowCall, len(n.Calls))
		for i, call := range n.Calls {
			c.Calls[i] = call
			c.Calls[i].Args = ms(call.Args)
			c.Calls[i].Default = m(call.Default)
		}
		return &c, err
	case *Filter:
		c := *n
		c.Pred = m(n.Pred)
		return &c, err
	case *Project:
		c := *n
		c.Exprs = ms(n.Exprs)
		return &c, err
	case *Aggregate:
		c := *n
		c.Groups = ms(n.Groups)
		c.Aggs = make([]AggCall, len(n.Aggs))
		for i, a := range n.Aggs {
			c.Aggs[i] = a
			c.Aggs[i].Arg = m(a.Arg)
			c.Aggs[i].Filter = m(a.Filter)
			if a.Extra != nil {
				c.Aggs[i].Extra = ms(a.Extra)
			}
			if a.OrderBy != nil {
				c.Aggs[i].OrderBy = make([]SortKey, len(a.OrderBy))
				for j, k := range a.OrderBy {
					c.Aggs[i].OrderBy[j] = k
					c.Aggs[i].OrderBy[j].E = m(k.E)
				}
			}
		}
		return &c, err
	case *Unnest:
		c := *n
		c.Lists = ms(n.Lists)
		return &c, err
	case *Sort:
		c := *n
		c.Keys = make([]SortKey, len(n.Keys))
		for i, k := range n.Keys {
			c.Keys[i] = k
			c.Keys[i].E = m(k.E)
		}
		return &c, err
	case *Scan:
		c := *n
		c.Filter = ms(n.Filter)
		return &c, err
	case *Values:
		c := *n
		c.Rows = make([][]Expr, len(n.Rows))
		for i, r := range n.Rows {
			c.Rows[i] = ms(r)
		}
		return &c, err
	case *Limit:
		c := *n
		c.CountExpr, c.OffsetExpr = m(n.CountExpr), m(n.OffsetExpr)
		return &c, err
	}
	return n, nil
}

// TransformPlan rebuilds the plan bottom-up, replacing each node by f(node) after its inputs
// have been transformed.
func TransformPlan(n Node, f func(Node) (Node, error)) (Node, error) {
	ins := n.Inputs()
	if len(ins) > 0 {
		out := make([]Node, len(ins))
		for i, in := range ins {
			var err error
			if out[i], err = TransformPlan(in, f); err != nil {
				return nil, err
			}
		}
		n = WithInputs(n, out)
	}
	return f(n)
}

// System reads a system table (sleeper.partitions, ...), computed when the plan runs.
type System struct {
	Name string
	Cols []Column
}

func (n *System) Columns() []Column { return n.Cols }
func (n *System) Inputs() []Node    { return nil }
func (*System) node()               {}

// JoinKind is the kind of a join.
type JoinKind int

// Join kinds. Semi and Anti joins output the left columns only: the left rows that have (or
// have no) match. NullAwareAnti is Anti with NOT IN's semantics: a NULL on the right side
// leaves no row.
const (
	JoinInner JoinKind = iota
	JoinLeft
	JoinRight
	JoinFull
	JoinCross
	JoinSemi
	JoinAnti
	JoinNullAwareAnti
)

var joinText = [...]string{"Inner", "Left", "Right", "Full", "Cross", "Semi", "Anti", "NullAwareAnti"}

func (k JoinKind) String() string { return joinText[k] }

// Join combines two inputs. Cond (nil for a cross join) refers to the columns of both.
type Join struct {
	Kind        JoinKind
	Left, Right Node
	Cond        Expr
}

func (n *Join) Columns() []Column {
	l := n.Left.Columns()
	if n.Kind == JoinSemi || n.Kind == JoinAnti || n.Kind == JoinNullAwareAnti {
		return l
	}
	return append(append([]Column{}, l...), n.Right.Columns()...)
}
func (n *Join) Inputs() []Node { return []Node{n.Left, n.Right} }
func (*Join) node()            {}

// SetOpKind is UNION, INTERSECT or EXCEPT.
type SetOpKind int

// Set operations.
const (
	SetUnion SetOpKind = iota
	SetIntersect
	SetExcept
)

// SetOp combines two inputs with the same column types by position.
type SetOp struct {
	Kind        SetOpKind
	All         bool
	Left, Right Node
	Cols        []Column
}

func (n *SetOp) Columns() []Column { return n.Cols }
func (n *SetOp) Inputs() []Node    { return []Node{n.Left, n.Right} }
func (*SetOp) node()               {}

// WindowCall is one window function call of a Window node.
type WindowCall struct {
	Func    string
	Args    []Expr
	Offset  int64 // lag and lead; 0 means 1
	Default Expr  // lag and lead; nil means NULL
	Frame   exec.Frame
}

// Window computes window functions over partitions of its input, sorted by Order. Its
// columns are the input's, then one per call.
type Window struct {
	Input     Node
	Partition []Expr
	Order     []SortKey
	Calls     []WindowCall
	Cols      []Column // one per call
}

func (n *Window) Columns() []Column {
	return append(append([]Column{}, n.Input.Columns()...), n.Cols...)
}
func (n *Window) Inputs() []Node { return []Node{n.Input} }
func (*Window) node()            {}

// Series is generate_series(Start, Stop[, Step]): integers or timestamps from Start to Stop
// (inclusive) in steps of Step. Its arguments are constants.
type Series struct {
	Start, Stop, Step Expr
	Col               Column
}

func (n *Series) Columns() []Column { return []Column{n.Col} }
func (n *Series) Inputs() []Node    { return nil }
func (*Series) node()               {}
