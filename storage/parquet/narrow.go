package parquet

import (
	"sort"

	"github.com/apache/arrow-go/v18/arrow"
	pq "github.com/parquet-go/parquet-go"
)

// narrowPages narrows sp, a span the page index gives (the pages of the narrowing column
// that may hold the keys wanted), when the chunk cache does not hold the narrowing column's
// chunk: it decodes that column's rows of sp from the pages holding them and calls r.narrow
// with them. The other columns then read only the pages that hold the narrowed rows: a key
// lookup decodes one page of each column, not every page that overlaps the key page's rows,
// and materialises only its rows.
//
// It returns the narrowed span and the decoded rows (col, holding the column's rows from
// row base of the row group on; the caller releases it and reads the column from it). If
// the chunk is admitted into the chunk cache instead (File.admit), it returns the whole
// decoded chunk as whole. Both are nil when the span is not narrowed here: no Narrow, a
// span of a whole row group, a nested column, a chunk without a page index, or one the
// reader does not read page by page.
func (r *Reader) narrowPages(sp Span) (out Span, col arrow.Array, base int64, whole arrow.Array, err error) {
	if r.narrow == nil {
		return sp, nil, 0, nil, nil
	}
	g, c := sp.Group, r.narrowCol
	cl := &r.f.cols[c]
	rows := r.f.groups[g].Rows
	if cl.nested != nil || cl.list != nil || sp.Hi <= sp.Lo || (sp.Lo == 0 && sp.Hi == rows) {
		return sp, nil, 0, nil, nil
	}
	pages, ok := r.f.Pages(g, c)
	if !ok {
		return sp, nil, 0, nil, nil
	}
	fc, ok := r.f.f.RowGroups()[g].ColumnChunks()[cl.leaf].(*pq.FileColumnChunk)
	if !ok {
		return sp, nil, 0, nil, nil
	}
	if r.f.cacheable(g, c) && r.f.admit(g, c, sp.Lo, sp.Hi) {
		// Hot enough to keep: decode the chunk whole into the cache and narrow from it.
		a, err := r.f.decodedChunk(r.src, g, c)
		if err != nil {
			return sp, nil, 0, nil, err
		}
		lo, hi := r.narrow(g, a, sp.Lo, sp.Hi)
		lo = min(max(lo, sp.Lo), sp.Hi)
		sp.Lo, sp.Hi = lo, max(min(hi, sp.Hi), lo)
		return sp, nil, 0, a, nil
	}
	n := sp.Hi - sp.Lo
	a, err := r.readOnePage(g, c, pages, sp)
	if err != nil {
		return sp, nil, 0, nil, err
	}
	if a == nil {
		cr := newChunkReader(cl, byte(r.f.leaves[c].MaxDefinitionLevel()))
		defer cr.free()
		if err := r.openPages(cr, fc, g, c, pages, sp); err != nil {
			return sp, nil, 0, nil, err
		}
		if a, err = cr.read(int(n), r.mem); err != nil {
			return sp, nil, 0, nil, err
		}
	}
	lo, hi := r.narrow(g, a, 0, n)
	lo = min(max(lo, 0), n)
	hi = max(min(hi, n), lo)
	base = sp.Lo
	sp.Lo, sp.Hi = base+lo, base+hi
	return sp, a, base, nil, nil
}

// openPages positions cr, a reader of flat column c of row group g (chunk fc, pages its
// page index), at row sp.Lo, reading only the bytes of the pages that hold sp's rows.
func (r *Reader) openPages(cr *chunkReader, fc *pq.FileColumnChunk, g, c int, pages []PageStats, sp Span) error {
	src := r.src
	if src == nil {
		src = r.f.f
	}
	w, err := r.f.window(src, g, c, pages, sp)
	if err != nil {
		return err
	}
	cr.pages = fc.PagesFrom(w)
	if cm := &r.f.f.Metadata().RowGroups[g].Columns[r.f.cols[c].leaf].MetaData; cm.NumValues > 0 {
		cr.bytesPerRow = float64(cm.TotalUncompressedSize) / float64(cm.NumValues)
	}
	skip := sp.Lo
	if fp, ok := cr.pages.(*pq.FilePages); ok && sp.Lo > 0 {
		p := sort.Search(len(pages), func(i int) bool { return pages[i].FirstRow > sp.Lo }) - 1
		if err := fp.SeekToRow(pages[p].FirstRow); err != nil {
			return err
		}
		skip = sp.Lo - pages[p].FirstRow
	}
	return cr.skip(skip)
}
