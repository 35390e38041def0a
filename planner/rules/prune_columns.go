package rules

import (
	"github.com/sleeperd/sleeperd/planner"
)

// PruneColumns makes each scan read only the table columns the rest of the plan uses. Column
// IDs are unique within a statement, so a column is needed exactly when some expression above
// refers to it or the root outputs it.
func PruneColumns(root planner.Node) (planner.Node, error) {
	used := map[planner.ColumnID]bool{}
	for _, c := range root.Columns() {
		used[c.ID] = true
	}
	var collect func(n planner.Node)
	collect = func(n planner.Node) {
		for _, e := range planner.Exprs(n) {
			planner.ColumnsUsed(e, used)
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
		for i, col := range s.Cols {
			if used[col.ID] {
				c.Projected = append(c.Projected, i)
			}
		}
		if len(c.Projected) == 0 {
			// Counting rows still needs a column to count; the leading row key is the cheapest
			// one that is never NULL.
			c.Projected = []int{s.Table.RowKeys[0]}
		}
		return &c, nil
	})
}
