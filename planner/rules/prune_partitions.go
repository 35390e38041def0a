package rules

import (
	"bytes"
	"context"
	"slices"
	"sort"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sleeperd/sleeperd/planner"
	"github.com/sleeperd/sleeperd/storage/keys"
	"github.com/sleeperd/sleeperd/storage/statestore"
)

// PrunePartitions reads each scanned table's current state and keeps only the leaf
// partitions whose key range can hold rows matching the scan's pushed predicates.
//
// Predicates on the row key columns, taken in key order, become ranges of encoded keys: while
// a column is pinned to one or a few values (=, IN) the next column can narrow further; the
// first column bounded by a range (<, <=, >, >=, BETWEEN) or not constrained ends the key
// prefix. The ranges also clip what the scan returns, so a leaf that straddles a range boundary
// is read only where it overlaps.
func PrunePartitions(ctx context.Context, n planner.Node, env Env) (planner.Node, error) {
	return planner.TransformPlan(n, func(n planner.Node) (planner.Node, error) {
		s, ok := n.(*planner.Scan)
		if !ok {
			return n, nil
		}
		state, err := env.Snapshot(ctx, s.Table)
		if err != nil {
			return nil, err
		}
		c := *s
		pruneScan(&c, state)
		return &c, nil
	})
}

// PruneScan does what PrunePartitions and then RowGroupBounds do to a scan, in place on s
// (which the caller owns: a copy), with state as the table's snapshot. A prepared query's
// scan is pruned this way at each execution, with a single copy of the scan.
func PruneScan(s *planner.Scan, state *statestore.State) {
	pruneScan(s, state)
	s.Bounds = scanBounds(s)
}

func pruneScan(s *planner.Scan, state *statestore.State) {
	s.State = state
	s.Pruned = true
	s.Ranges = KeyRanges(s)
	s.KeyExact = s.Ranges != nil && keyExact(s)
	if s.Ranges == nil {
		s.Leaves = state.Leaves()
		return
	}
	s.Leaves = leavesFor(state, s.Ranges)
}

func leavesFor(state *statestore.State, ranges []keys.Range) []*statestore.Partition {
	if len(ranges) == 1 {
		return state.LeavesOverlapping(ranges[0]) // in key order, each once
	}
	seen := map[string]bool{}
	var out []*statestore.Partition
	for _, r := range ranges {
		for _, p := range state.LeavesOverlapping(r) {
			if !seen[p.ID] {
				seen[p.ID] = true
				out = append(out, p)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return bytes.Compare(out[i].Range.Min, out[j].Range.Min) < 0 })
	return out
}

// columnConstraint is what the conjuncts say of one row key column.
type columnConstraint struct {
	points     [][]byte // encoded values the column must equal (one of); nil: not pinned
	pinned     bool
	lower      []byte // encoded bound, nil: none
	lowerIncl  bool
	upper      []byte
	upperIncl  bool
	impossible bool
}

// KeyRanges derives the key ranges that can hold rows matching the scan's predicates, or
// nil when the predicates do not constrain the leading row key.
func KeyRanges(s *planner.Scan) []keys.Range {
	if len(s.Table.RowKeys) == 0 {
		return nil
	}
	prefixes := [][]byte{nil}
	constrained := false
	for _, colIdx := range s.Table.RowKeys {
		col := s.Cols[colIdx]
		cc := constraintFor(s.Filter, col)
		if cc.impossible {
			return []keys.Range{}
		}
		if cc.pinned {
			constrained = true
			var next [][]byte
			for _, p := range prefixes {
				for _, v := range cc.points {
					if len(p) == 0 {
						next = append(next, v) // the first column's: encoded for this call
						continue
					}
					next = append(next, append(bytes.Clone(p), v...))
				}
			}
			prefixes = next
			if len(prefixes) > 4096 {
				break
			}
			continue
		}
		out := make([]keys.Range, 0, len(prefixes))
		for _, p := range prefixes {
			r := keys.Range{Min: p, Max: keys.PrefixEnd(p)}
			if cc.lower != nil {
				constrained = true
				lo := append(bytes.Clone(p), cc.lower...)
				if !cc.lowerIncl {
					lo = keys.PrefixEnd(lo)
				}
				if lo == nil {
					continue
				}
				r.Min = lo
			}
			if cc.upper != nil {
				constrained = true
				hi := append(bytes.Clone(p), cc.upper...)
				if cc.upperIncl {
					hi = keys.PrefixEnd(hi)
				}
				r.Max = hi
			}
			if !r.Empty() {
				out = append(out, r)
			}
		}
		if !constrained {
			return nil
		}
		return out
	}
	if !constrained {
		return nil
	}
	out := make([]keys.Range, 0, len(prefixes))
	for _, p := range prefixes {
		out = append(out, keys.Range{Min: p, Max: keys.PrefixEnd(p)})
	}
	return out
}

// keyExact reports whether the key ranges of s (KeyRanges) keep exactly the rows its filter
// keeps: the table has one row key column, NOT NULL, of a type whose encoded keys order as
// its values compare (text, which compares by bytes, and integers), and every conjunct
// compares it with a literal of its type (=, <, <=, >, >=, or IN a list of literals).
func keyExact(s *planner.Scan) bool {
	t := s.Table
	if len(t.RowKeys) != 1 || t.Columns[t.RowKeys[0]].Nullable || len(s.Filter) == 0 {
		return false
	}
	col := s.Cols[t.RowKeys[0]]
	switch {
	case arrow.TypeEqual(col.Type, arrow.BinaryTypes.String), arrow.TypeEqual(col.Type, arrow.PrimitiveTypes.Int64),
		arrow.TypeEqual(col.Type, arrow.PrimitiveTypes.Int32), arrow.TypeEqual(col.Type, arrow.PrimitiveTypes.Int16):
	default:
		return false
	}
	for _, e := range s.Filter {
		switch x := e.(type) {
		case *planner.Binary:
			if !x.Op.Comparison() || x.Op == planner.OpNotEq {
				return false
			}
			other := x.R
			if !isColumn(x.L, col.ID) {
				if !isColumn(x.R, col.ID) {
					return false
				}
				other = x.L
			}
			if !isKeyLiteral(other, col.Type) {
				return false
			}
		case *planner.InList:
			if x.Negate || !isColumn(x.E, col.ID) {
				return false
			}
			for _, it := range x.List {
				if !isKeyLiteral(it, col.Type) {
					return false
				}
			}
		default:
			return false
		}
	}
	return true
}

// keyLiteral returns the encoded value of e when it is a non-NULL literal of type t.
func keyLiteral(e planner.Expr, t arrow.DataType) ([]byte, bool, bool) {
	l, ok := e.(*planner.Literal)
	if !ok || !arrow.TypeEqual(l.Typ, t) {
		return nil, false, false
	}
	if l.Value == nil {
		return nil, true, true
	}
	enc, err := keys.AppendGo(nil, t, l.Value)
	if err != nil {
		return nil, false, false
	}
	return enc, false, true
}

// isKeyLiteral reports whether keyLiteral accepts e for a key of type t, without encoding
// the commonest keys (NULL, a bigint, a text) to tell.
func isKeyLiteral(e planner.Expr, t arrow.DataType) bool {
	l, ok := e.(*planner.Literal)
	if !ok || !arrow.TypeEqual(l.Typ, t) {
		return false
	}
	switch l.Value.(type) {
	case nil:
		return true
	case int64:
		if t.ID() == arrow.INT64 {
			return true
		}
	case string:
		if t.ID() == arrow.STRING {
			return true
		}
	}
	_, _, ok = keyLiteral(e, t)
	return ok
}

func isColumn(e planner.Expr, id planner.ColumnID) bool {
	c, ok := e.(*planner.ColumnRef)
	return ok && c.ID == id
}

func constraintFor(conjuncts []planner.Expr, col planner.Column) columnConstraint {
	var cc columnConstraint
	for _, e := range conjuncts {
		switch x := e.(type) {
		case *planner.Literal:
			if v, ok := x.Value.(bool); x.Value == nil || (ok && !v) {
				cc.impossible = true
			}
		case *planner.Binary:
			if !x.Op.Comparison() || x.Op == planner.OpNotEq {
				continue
			}
			op, other := x.Op, x.R
			if !isColumn(x.L, col.ID) {
				if !isColumn(x.R, col.ID) {
					continue
				}
				op, other = x.Op.Flip(), x.L
			}
			v, isNull, ok := keyLiteral(other, col.Type)
			if !ok {
				continue
			}
			if isNull {
				cc.impossible = true
				continue
			}
			switch op {
			case planner.OpEq:
				cc.intersectPoints([][]byte{v})
			case planner.OpGt, planner.OpGtEq:
				incl := op == planner.OpGtEq
				if cc.lower == nil || bytes.Compare(v, cc.lower) > 0 || (bytes.Equal(v, cc.lower) && !incl) {
					cc.lower, cc.lowerIncl = v, incl
				}
			case planner.OpLt, planner.OpLtEq:
				incl := op == planner.OpLtEq
				if cc.upper == nil || bytes.Compare(v, cc.upper) < 0 || (bytes.Equal(v, cc.upper) && !incl) {
					cc.upper, cc.upperIncl = v, incl
				}
			}
		case *planner.InList:
			if x.Negate || !isColumn(x.E, col.ID) {
				continue
			}
			var pts [][]byte
			ok := true
			for _, it := range x.List {
				v, isNull, lit := keyLiteral(it, col.Type)
				if !lit {
					ok = false
					break
				}
				if !isNull {
					pts = append(pts, v)
				}
			}
			if ok {
				cc.intersectPoints(pts)
			}
		}
	}
	if cc.pinned {
		// Points outside the range bounds can hold no row.
		kept := cc.points[:0] // cc.points is this call's own
		for _, p := range cc.points {
			if cc.lower != nil && (bytes.Compare(p, cc.lower) < 0 || (!cc.lowerIncl && bytes.Equal(p, cc.lower))) {
				continue
			}
			if cc.upper != nil && (bytes.Compare(p, cc.upper) > 0 || (!cc.upperIncl && bytes.Equal(p, cc.upper))) {
				continue
			}
			kept = append(kept, p)
		}
		cc.points = kept
		if len(kept) == 0 {
			cc.impossible = true
		}
	}
	return cc
}

func (cc *columnConstraint) intersectPoints(pts [][]byte) {
	slices.SortFunc(pts, bytes.Compare)
	pts = dedup(pts)
	if !cc.pinned {
		cc.points, cc.pinned = pts, true
		return
	}
	var out [][]byte
	for _, p := range cc.points {
		for _, q := range pts {
			if bytes.Equal(p, q) {
				out = append(out, p)
				break
			}
		}
	}
	cc.points = out
	if len(out) == 0 {
		cc.impossible = true
	}
}

func dedup(pts [][]byte) [][]byte {
	out := pts[:0]
	for i, p := range pts {
		if i == 0 || !bytes.Equal(p, pts[i-1]) {
			out = append(out, p)
		}
	}
	return out
}
