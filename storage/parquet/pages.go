package parquet

import (
	"io"
	"sort"

	pq "github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

// PageStats describe one data page of a column chunk, from the file's page index.
//
// Stats.HasMinMax is false for a page of nulls only, a page whose bounds the index does not
// record or cannot be trusted (see ColumnStats), and every page of a float column (the page
// index records nothing of NaN). A byte array maximum of only 0xff bytes is not trusted
// either: it is what writers store when they cannot truncate a long maximum upwards.
type PageStats struct {
	FirstRow int64 // index of the page's first row in its row group
	Rows     int64
	Stats    ColumnStats
}

// Span is a run of consecutive rows of one row group: rows [Lo, Hi).
type Span struct {
	Group  int
	Lo, Hi int64
}

// HasPageIndex reports whether the file was opened WithPageIndex and has a page index for
// every column chunk.
func (f *File) HasPageIndex() bool { return f.pages != nil }

// Pages returns the pages of column col in row group g, in order; ok is false when the file
// has no page index (HasPageIndex) or its entry for the chunk is malformed. The slice is
// shared and must not be modified.
func (f *File) Pages(g, col int) ([]PageStats, bool) {
	if f.pages == nil || g < 0 || g >= len(f.groups) || col < 0 || col >= len(f.cols) || f.cols[col].nested != nil {
		return nil, false
	}
	slot := &f.pages[g*f.nleaves+f.cols[col].leaf]
	if p := slot.Load(); p != nil {
		return *p, *p != nil
	}
	ps := f.decodePages(g, col)
	slot.CompareAndSwap(nil, &ps)
	p := slot.Load()
	return *p, *p != nil
}

// decodePages decodes the page index entry of one column chunk, or returns nil when it is
// missing or inconsistent.
func (f *File) decodePages(g, col int) []PageStats {
	i := g*f.nleaves + f.cols[col].leaf
	ci, oi := &f.f.ColumnIndexes()[i], &f.f.OffsetIndexes()[i]
	locs := oi.PageLocations
	rows := f.groups[g].Rows
	n := len(locs)
	if n == 0 || locs[0].FirstRowIndex != 0 {
		return nil
	}
	out := make([]PageStats, n)
	for p := range locs {
		end := rows
		if p+1 < n {
			end = locs[p+1].FirstRowIndex
		}
		if end <= locs[p].FirstRowIndex || end > rows {
			return nil
		}
		out[p] = PageStats{FirstRow: locs[p].FirstRowIndex, Rows: end - locs[p].FirstRowIndex}
	}
	c := &f.cols[col]
	if len(ci.MinValues) != n || len(ci.MaxValues) != n || len(ci.NullPages) != n || c.list != nil || c.kind == pq.Float || c.kind == pq.Double {
		return out // offsets without bounds
	}
	for p := range out {
		if ci.NullPages[p] {
			out[p].Stats.NullCount = out[p].Rows
			continue
		}
		st := format.Statistics{MinValue: ci.MinValues[p], MaxValue: ci.MaxValues[p]}
		if len(ci.NullCounts) == n {
			st.NullCount = ci.NullCounts[p]
		}
		if c.kind == pq.ByteArray && allOnes(st.MaxValue) {
			out[p].Stats.NullCount = st.NullCount
			continue
		}
		out[p].Stats = statsOf(c, &st)
	}
	return out
}

func allOnes(b []byte) bool {
	for _, x := range b {
		if x != 0xff {
			return false
		}
	}
	return len(b) > 0
}

// PageSpan returns the rows of row group g that the pages of column col which may hold a
// wanted value cover, from the first such page to the end of the last: [lo, hi), empty
// (lo == hi) when no page may. The column's values must be sorted ascending within the row
// group; before and after report, for bounds lo and hi, whether every value is below the
// values wanted or above them (false when unsure). Without a page index for the chunk, or
// with a page of unknown bounds, the whole row group is returned.
func (f *File) PageSpan(g, col int, below, above func(ColumnStats) bool) (lo, hi int64) {
	rows := f.groups[g].Rows
	pages, ok := f.Pages(g, col)
	if !ok {
		return 0, rows
	}
	for _, p := range pages {
		if !p.Stats.HasMinMax {
			return 0, rows
		}
	}
	first := sort.Search(len(pages), func(i int) bool { return !below(pages[i].Stats) })
	end := first + sort.Search(len(pages)-first, func(i int) bool { return above(pages[first+i].Stats) })
	if first >= end {
		return 0, 0
	}
	last := pages[end-1]
	return pages[first].FirstRow, last.FirstRow + last.Rows
}

// MemoryBytes estimates the memory the open file holds: its decoded footer and page index.
func (f *File) MemoryBytes() int64 {
	md := f.f.Metadata()
	n := int64(4096)
	for _, kv := range md.KeyValueMetadata {
		n += int64(len(kv.Key)+len(kv.Value)) + 64
	}
	for g := range md.RowGroups {
		n += 256
		for c := range md.RowGroups[g].Columns {
			cc := &md.RowGroups[g].Columns[c]
			n += 512 + 2*int64(len(cc.MetaData.Statistics.MinValue)+len(cc.MetaData.Statistics.MaxValue))
			if f.pages != nil {
				// Raw index, parquet-go's decoded copy and ours.
				n += 3 * int64(cc.ColumnIndexLength+cc.OffsetIndexLength)
			}
		}
	}
	n += int64(len(f.cols)) * 256
	return n
}

// Size returns the size of the file in bytes.
func (f *File) Size() int64 { return f.f.Size() }

// window reads the bytes of the pages of column col in row group g that hold the rows of sp
// from src, and returns a reader of the file that serves reads within them from memory and
// every other read (a dictionary page) from src.
func (f *File) window(src io.ReaderAt, g, col int, pages []PageStats, sp Span) (io.ReaderAt, error) {
	locs := f.f.OffsetIndexes()[g*f.nleaves+f.cols[col].leaf].PageLocations
	first := sort.Search(len(pages), func(i int) bool { return pages[i].FirstRow > sp.Lo }) - 1
	last := sort.Search(len(pages), func(i int) bool { return pages[i].FirstRow >= sp.Hi }) - 1
	if first < 0 || last < first || last >= len(locs) {
		return src, nil
	}
	start := locs[first].Offset
	end := locs[last].Offset + int64(locs[last].CompressedPageSize)
	if start < 0 || end <= start || end-start > 1<<30 {
		return src, nil
	}
	buf := make([]byte, end-start)
	n, err := src.ReadAt(buf, start)
	if n < len(buf) {
		if err == nil || err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return &windowReader{src: src, off: start, buf: buf}, nil
}

// windowReader serves reads of [off, off+len(buf)) from buf and others from src. A read that
// starts inside the window and runs past it returns the window's bytes and io.EOF: the
// reader of a span never reads past its last page.
type windowReader struct {
	src io.ReaderAt
	off int64
	buf []byte
}

func (w *windowReader) ReadAt(p []byte, off int64) (int, error) {
	if off < w.off || off >= w.off+int64(len(w.buf)) {
		return w.src.ReadAt(p, off)
	}
	n := copy(p, w.buf[off-w.off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}
