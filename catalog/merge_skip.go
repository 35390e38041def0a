package catalog

import (
	"context"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sleeperd/sleeperd/storage/keys"
	"github.com/sleeperd/sleeperd/storage/merge"
	"github.com/sleeperd/sleeperd/storage/parquet"
	"github.com/sleeperd/sleeperd/storage/statestore"
)

// mergeSkips returns, for a merged read of the files of one leaf, the row groups of each
// file (by name) that the scan's bounds let it leave unread, or nil when none can be: a
// group is skipped when no row in it can meet a bound (by its statistics) and it holds every
// version of its keys (merge.Isolated), so that the row the merge would return for each of
// them, if any, is one of its own and fails the filter the bounds come from. Merges that
// aggregate (whose result is none of the versions) and tables whose files may hold former
// types (whose conversion failures must surface for rows that survive the merge) skip
// nothing.
func (l *mergedLeaf) mergeSkips(ctx context.Context, files []*statestore.File, opts *merge.Options) (map[string][]bool, map[string]*parquet.File, error) {
	spec := &l.x.scan.spec
	t := spec.Table
	bounds := l.skipBounds()
	if len(bounds) == 0 || len(opts.Aggregations) > 0 || t.hasFormers() || len(files) == 0 {
		return nil, nil, nil
	}
	// The files the merge reads: those whose keys meet a range read.
	var pfs []*parquet.File
	read := files[:0:0]
	for _, f := range files {
		if f.MinKey != nil && !slices.ContainsFunc(l.ranges, func(r keys.Range) bool {
			return r.Overlaps(keys.Range{Min: f.MinKey, Max: keys.PrefixEnd(f.MaxKey)})
		}) {
			continue
		}
		pf, err := merge.OpenFile(ctx, spec.Files, l.x.scan.store, f.Name, f.Bytes, l.x.onRead())
		if err != nil {
			return nil, nil, merge.OpenError("catalog", f.Name, err)
		}
		pfs = append(pfs, pf)
		read = append(read, f)
	}
	files = read
	iso := merge.Isolated(pfs, t.Schema().Field(t.RowKeys[0]))
	skips := make(map[string][]bool, len(files))
	opened := make(map[string]*parquet.File, len(files))
	var skipped int64
	for i, f := range files {
		pf := pfs[i]
		opened[f.Name] = pf
		fs := pf.Schema()
		// The file column of each bound, or -1 when the file lacks it (or holds another
		// type): its statistics then prune nothing.
		cols := make([]int, len(bounds))
		for j, b := range bounds {
			cols[j] = -1
			c := t.Columns[b.Column]
			if idx := fs.FieldIndices(c.StoredName()); len(idx) == 1 && arrow.TypeEqual(fs.Field(idx[0]).Type, t.Schema().Field(b.Column).Type) {
				cols[j] = idx[0]
			}
		}
		var skip []bool
		for g, rg := range pf.RowGroups() {
			if !iso[i][g] || rg.Rows == 0 {
				continue
			}
			for j, b := range bounds {
				if cols[j] >= 0 && !boundAdmits(b, rg.Columns[cols[j]], rg.Rows) {
					if skip == nil {
						skip = make([]bool, len(pf.RowGroups()))
					}
					skip[g] = true
					skipped++
					break
				}
			}
		}
		skips[f.Name] = skip
	}
	if m := spec.Metrics; m != nil {
		m.RowGroupsSkipped.Add(skipped)
	}
	return skips, opened, nil
}

// skipBounds returns the scan's bounds that can skip row groups the key ranges read do not
// already leave out: without those on the leading row key column when the scan has key
// ranges, which the planner derives from the same predicates (a point lookup's id = 42 is
// both the range of the key 42 and the bound [42, 42]). Each file's read leaves out the row
// groups whose leading key statistics miss its range (merge.ReadFile). Only for row keys of
// integers and text, whose encoded keys order as their values do.
func (l *mergedLeaf) skipBounds() []ColumnBound {
	spec := &l.x.scan.spec
	t := spec.Table
	if spec.Ranges == nil || len(t.RowKeys) == 0 {
		return spec.Bounds
	}
	lead := t.RowKeys[0]
	switch t.Schema().Field(lead).Type.ID() {
	case arrow.INT16, arrow.INT32, arrow.INT64, arrow.STRING:
	default:
		return spec.Bounds
	}
	for i, b := range spec.Bounds {
		if b.Column == lead {
			out := slices.Clone(spec.Bounds[:i])
			for _, b := range spec.Bounds[i+1:] {
				if b.Column != lead {
					out = append(out, b)
				}
			}
			return out
		}
	}
	return spec.Bounds
}
