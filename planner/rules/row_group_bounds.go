package rules

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/decimal128"

	"github.com/sleeperd/sleeperd/catalog"
	"github.com/sleeperd/sleeperd/planner"
)

// RowGroupBounds turns pushed predicates of the form column <op> literal, on any column, into
// bounds the scan checks against each Parquet row group's min/max statistics, so row groups
// that cannot hold a matching row are never read.
func RowGroupBounds(n planner.Node) (planner.Node, error) {
	return planner.TransformPlan(n, func(n planner.Node) (planner.Node, error) {
		s, ok := n.(*planner.Scan)
		if !ok || len(s.Filter) == 0 {
			return n, nil
		}
		c := *s
		c.Bounds = scanBounds(s)
		return &c, nil
	})
}

// scanBounds returns the row group bounds of the pushed predicates of s.
func scanBounds(s *planner.Scan) []catalog.ColumnBound {
	var bounds []catalog.ColumnBound
	for _, e := range s.Filter {
		if b, ok := boundOf(s, e); ok {
			bounds = append(bounds, b)
		}
	}
	return bounds
}

func boundOf(s *planner.Scan, e planner.Expr) (catalog.ColumnBound, bool) {
	bin, ok := e.(*planner.Binary)
	if !ok || !bin.Op.Comparison() || bin.Op == planner.OpNotEq {
		return catalog.ColumnBound{}, false
	}
	op, col, other := bin.Op, bin.L, bin.R
	if _, ok := col.(*planner.ColumnRef); !ok {
		op, col, other = bin.Op.Flip(), bin.R, bin.L
	}
	ref, ok := col.(*planner.ColumnRef)
	if !ok {
		return catalog.ColumnBound{}, false
	}
	lit, ok := other.(*planner.Literal)
	if !ok || lit.Value == nil || !arrow.TypeEqual(lit.Typ, ref.Typ) {
		return catalog.ColumnBound{}, false
	}
	idx := -1
	for i, c := range s.Cols {
		if c.ID == ref.ID {
			idx = i
		}
	}
	v, ok := statValue(lit.Value)
	if idx < 0 || !ok {
		return catalog.ColumnBound{}, false
	}
	b := catalog.ColumnBound{Column: idx}
	switch op {
	case planner.OpEq:
		b.Lower, b.Upper, b.LowerInclusive, b.UpperInclusive = v, v, true, true
	case planner.OpGt, planner.OpGtEq:
		b.Lower, b.LowerInclusive = v, op == planner.OpGtEq
	case planner.OpLt, planner.OpLtEq:
		b.Upper, b.UpperInclusive = v, op == planner.OpLtEq
	}
	return b, true
}

// statValue converts a literal value to the representation of Parquet statistics.
func statValue(v any) (any, bool) {
	switch x := v.(type) {
	case int16:
		return int64(x), true
	case int32:
		return int64(x), true
	case int64:
		return x, true
	case arrow.Date32:
		return int64(x), true
	case arrow.Timestamp:
		return int64(x), true
	case float32:
		return float64(x), true
	case float64:
		return x, true
	case string, []byte, bool:
		return x, true
	case decimal128.Num:
		return x, true
	}
	return nil, false
}
