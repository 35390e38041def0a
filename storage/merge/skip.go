package merge

import (
	"bytes"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sleeperd/sleeperd/storage/keys"
	"github.com/sleeperd/sleeperd/storage/parquet"
)

// Isolated reports, for each row group of each of files (the inputs of one merge, sorted by
// row key, whose leading row key column is lead), whether the group holds every version of
// each of its keys: the range of leading row key values its statistics give overlaps that
// of no other row group of any of the files. Groups without statistics of the leading column
// overlap every other.
//
// A merge by last write wins (with tombstones, delete predicates or age-off, but without
// aggregations) returns for each key at most one of its versions, so for a key of an
// isolated group one of that group's rows or none. A filter over the merged rows that no row
// of an isolated group can pass (by the group's statistics) therefore drops every row the
// merge would return from it, and the group need not be read: ReadSpec.Skip. A group that is
// not isolated must be read, since its rows may shadow a version in another group that the
// filter would pass.
func Isolated(files []*parquet.File, lead arrow.Field) [][]bool {
	type span struct {
		file, group int
		r           keys.Range // Min empty: unbounded below; Max nil: unbounded above
	}
	var spans []span
	out := make([][]bool, len(files))
	for i, pf := range files {
		out[i] = make([]bool, len(pf.RowGroups()))
		col := -1
		if idx := pf.Schema().FieldIndices(lead.Name); len(idx) == 1 && arrow.TypeEqual(pf.Schema().Field(idx[0]).Type, lead.Type) {
			col = idx[0]
		}
		for g, rg := range pf.RowGroups() {
			if rg.Rows == 0 {
				out[i][g] = true // holds nothing
				continue
			}
			sp := span{file: i, group: g}
			if col >= 0 && rg.Columns[col].HasMinMax && rg.Columns[col].NullCount == 0 {
				if r, ok := keys.LeadingRange(lead.Type, rg.Columns[col].Min, rg.Columns[col].Max); ok {
					sp.r = r
				}
			}
			spans = append(spans, sp)
		}
	}
	// By start: a span overlaps another exactly when it starts before the end of one that
	// starts no later (the furthest end so far) or the next one starts before its end.
	slices.SortFunc(spans, func(a, b span) int { return bytes.Compare(a.r.Min, b.r.Min) })
	var reach []byte // furthest end of the spans before i; nil: unbounded
	for i, sp := range spans {
		overlaps := i > 0 && (reach == nil || bytes.Compare(sp.r.Min, reach) < 0)
		if next := i + 1; next < len(spans) && (sp.r.Max == nil || bytes.Compare(spans[next].r.Min, sp.r.Max) < 0) {
			overlaps = true
		}
		out[sp.file][sp.group] = !overlaps
		if i == 0 || reach != nil && (sp.r.Max == nil || bytes.Compare(sp.r.Max, reach) > 0) {
			reach = sp.r.Max
		}
	}
	return out
}
