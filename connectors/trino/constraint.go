package trino

import (
	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sleeperd/sleeperd/catalog"
	"github.com/sleeperd/sleeperd/connectors/trino/trinothrift"
	"github.com/sleeperd/sleeperd/engine"
)

// constraints turns Trino's tuple domain into the engine's column constraints. none is true
// when no row can match (an absent domain map, or a column that admits no value). Anything
// that cannot be expressed exactly is widened or left out: Trino re-applies the whole
// predicate, so pruning may keep rows that do not match but never drops one that does.
func constraints(t *catalog.Table, td *trinothrift.TrinoThriftTupleDomain) (cons []engine.ColumnConstraint, none bool) {
	if td == nil {
		return nil, false
	}
	if td.Domains == nil {
		return nil, true
	}
	for name, d := range td.Domains {
		col := t.ColumnIndex(name)
		if col < 0 || d == nil || d.ValueSet == nil {
			continue
		}
		f := engine.ResultField(t, col)
		if t.Columns[col].Name != name {
			continue // matched ignoring case: not the column Trino means
		}
		c, ok, empty := columnConstraint(f, col, d)
		if empty {
			return nil, true
		}
		if ok {
			cons = append(cons, c)
		}
	}
	return cons, false
}

// columnConstraint converts one domain; ok is false when it constrains nothing we prune on,
// empty when it admits no row at all.
func columnConstraint(f arrow.Field, col int, d *trinothrift.TrinoThriftDomain) (c engine.ColumnConstraint, ok, empty bool) {
	c = engine.ColumnConstraint{Column: col, NullAllowed: d.NullAllowed}
	k := kindOf(f)
	if !prunable(f, k) {
		if vs := d.ValueSet.AllOrNoneValueSet; vs != nil && !vs.All && !d.NullAllowed {
			return c, false, true
		}
		return c, false, false
	}
	vs := d.ValueSet
	switch {
	case vs.AllOrNoneValueSet != nil:
		if vs.AllOrNoneValueSet.All {
			return c, false, false
		}
		if !d.NullAllowed {
			return c, false, true
		}
		c.None = true
		return c, true, false
	case vs.EquatableValueSet != nil:
		if !vs.EquatableValueSet.Inclusive {
			return c, false, false
		}
		c.Points = []any{}
		for _, blk := range vs.EquatableValueSet.Values {
			v, vok := blockValue(f, k, blk, 0)
			if !vok {
				return c, false, false
			}
			c.Points = append(c.Points, v)
		}
	case vs.RangeValueSet != nil:
		ranges := vs.RangeValueSet.Ranges
		if len(ranges) == 0 {
			if !d.NullAllowed {
				return c, false, true
			}
			c.None = true
			return c, true, false
		}
		points := true
		for _, r := range ranges {
			vr, isPoint, rok := valueRange(f, k, r)
			if !rok {
				return c, false, false
			}
			c.Ranges = append(c.Ranges, vr)
			points = points && isPoint
		}
		if points {
			for _, r := range c.Ranges {
				c.Points = append(c.Points, r.Lower)
			}
			c.Ranges = nil
		}
	default:
		return c, false, false
	}
	if k == kindTimestamp {
		widenTimestamps(f, &c)
	}
	return c, true, false
}

// prunable reports whether values of a column can be compared with Trino's predicate values
// in the engine's representation.
func prunable(f arrow.Field, k kind) bool {
	switch f.Type.ID() {
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64, arrow.FLOAT32, arrow.FLOAT64,
		arrow.STRING, arrow.DATE32, arrow.TIMESTAMP, arrow.BINARY:
		return k != kindText || f.Type.ID() == arrow.BINARY
	}
	return false
}

// valueRange converts one of Trino's ranges. isPoint is true for [v, v].
func valueRange(f arrow.Field, k kind, r *trinothrift.TrinoThriftRange) (vr engine.ValueRange, isPoint, ok bool) {
	if r == nil || r.Low == nil || r.High == nil {
		return vr, false, false
	}
	if r.Low.Value != nil {
		v, vok := blockValue(f, k, r.Low.Value, 0)
		if !vok {
			return vr, false, false
		}
		vr.Lower, vr.LowerInclusive = v, r.Low.Bound == trinothrift.TrinoThriftBound_EXACTLY
	}
	if r.High.Value != nil {
		v, vok := blockValue(f, k, r.High.Value, 0)
		if !vok {
			return vr, false, false
		}
		vr.Upper, vr.UpperInclusive = v, r.High.Bound == trinothrift.TrinoThriftBound_EXACTLY
	}
	isPoint = vr.Lower != nil && vr.Upper != nil && vr.LowerInclusive && vr.UpperInclusive
	if isPoint {
		if n, cok := engine.CompareValues(vr.Lower, vr.Upper); !cok || n != 0 {
			isPoint = false
		}
	}
	return vr, isPoint, true
}

// widenTimestamps turns Trino's millisecond values into the column's unit. A stored value
// shows as the millisecond it falls in (truncated), so the millisecond m admits the stored
// values [m, m+1) ms: lower bounds start at m and upper bounds end before m+1, whatever
// their inclusivity, and points become such ranges.
func widenTimestamps(f arrow.Field, c *engine.ColumnConstraint) {
	unit := f.Type.(*arrow.TimestampType).Unit
	pm := perMilli(unit)
	if pm == 1 {
		return // milliseconds: exact
	}
	lower := func(ms int64) int64 {
		if pm == 0 {
			return floorDiv(ms, 1000)
		}
		return ms * pm
	}
	upper := func(ms int64) (int64, bool) { // exclusive
		if pm == 0 {
			return floorDiv(ms, 1000) + 1, false
		}
		return (ms + 1) * pm, false
	}
	if c.Points != nil {
		for _, p := range c.Points {
			hi, incl := upper(p.(int64))
			c.Ranges = append(c.Ranges, engine.ValueRange{Lower: lower(p.(int64)), LowerInclusive: true, Upper: hi, UpperInclusive: incl})
		}
		c.Points = nil
		return
	}
	for i, r := range c.Ranges {
		if r.Lower != nil {
			r.Lower, r.LowerInclusive = lower(r.Lower.(int64)), true
		}
		if r.Upper != nil {
			r.Upper, r.UpperInclusive = upper(r.Upper.(int64))
		}
		c.Ranges[i] = r
	}
}
