package rules

import (
	"github.com/sleeperd/sleeperd/planner"
)

// PruneColumns makes each scan read only the table columns the rest of the plan uses. Column
// IDs are unique within a statement, so a column is needed exactly when some expression above
// refers to it or the root outputs it. A column used only as the argument of count (not
// DISTINCT, no ORDER BY), which asks only whether each value is NULL, is marked null-only:
// the scan need not decode its values. Only an aggregate right over a scan, through filters
// and projections, marks columns so: any other node between them (DISTINCT, a set operation,
// a join) may use the values without naming them.
func PruneColumns(root planner.Node) (planner.Node, error) {
	used := map[planner.ColumnID]bool{}    // for their values
	counted := map[planner.ColumnID]bool{} // only by count(column)
	for _, c := range root.Columns() {
		used[c.ID] = true
	}
	var collect func(n planner.Node)
	collect = func(n planner.Node) {
		if a, ok := n.(*planner.Aggregate); ok && scanChain(a.Input) {
			for _, e := range a.Groups {
				planner.ColumnsUsed(e, used)
			}
			for _, c := range a.Aggs {
				if ref, ok := c.Arg.(*planner.ColumnRef); ok && c.Func == "count" && !c.Distinct && len(c.OrderBy) == 0 {
					counted[ref.ID] = true
				} else if c.Arg != nil {
					planner.ColumnsUsed(c.Arg, used)
				}
				if c.Filter != nil {
					planner.ColumnsUsed(c.Filter, used)
				}
				for _, e := range c.Extra {
					planner.ColumnsUsed(e, used)
				}
				for _, k := range c.OrderBy {
					planner.ColumnsUsed(k.E, used)
				}
			}
		} else {
			for _, e := range planner.Exprs(n) {
				planner.ColumnsUsed(e, used)
			}
		}
		for _, in := range n.Inputs() {
			collect(in)
		}
	}
	collect(root)
	return planner.TransformPlan(root, func(n planner.Node) (planner.Node, error) {
		s, ok := n.(*planner.Scan)
		if !ok {
			return n, nil
		}
		c := *s
		c.Projected = []int{}
		c.NullOnly = nil
		for i, col := range s.Cols {
			switch {
			case used[col.ID]:
				c.Projected = append(c.Projected, i)
			case counted[col.ID]:
				c.Projected = append(c.Projected, i)
				c.NullOnly = append(c.NullOnly, i)
			}
		}
		if len(c.Projected) == 0 {
			// Counting rows still needs a column to count; the leading row key is the cheapest
			// one that is never NULL, and only its rows are needed.
			c.Projected = []int{s.Table.RowKeys[0]}
			c.NullOnly = []int{s.Table.RowKeys[0]}
		}
		return &c, nil
	})
}

// scanChain reports whether n is a scan under nothing but filters and projections.
func scanChain(n planner.Node) bool {
	for {
		switch m := n.(type) {
		case *planner.Scan:
			return true
		case *planner.Filter:
			n = m.Input
		case *planner.Project:
			n = m.Input
		default:
			return false
		}
	}
}
