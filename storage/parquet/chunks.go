package parquet

import (
	"io"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	pq "github.com/parquet-go/parquet-go"
)

// ChunkCache keeps the decoded column chunks of one File, each an arrow.Array of a whole
// column of a row group, shared by every Reader of the file.
type ChunkCache interface {
	// Chunk returns column col of row group g, calling load to decode it (returning the
	// array and its bytes) when the cache does not hold it. The array is retained for the
	// caller, who releases it.
	Chunk(g, col int, load func() (any, int64, error)) (any, error)
	// Cached returns column col of row group g, retained, if the cache holds it, without
	// decoding it otherwise.
	Cached(g, col int) (any, bool)
}

// maxCachedChunk bounds the stored (uncompressed) size of a column chunk decoded whole into
// the cache; larger chunks are read page by page as without a cache.
const maxCachedChunk = 256 << 20

// SetChunkCache makes every Reader of f read column chunks through c: a read of a whole row
// group decodes each column chunk once into an array that c keeps, and reads return slices
// of it (sharing its buffers, not copying them); a read of a span the page index narrows (a
// key lookup or range) slices the array too if c holds it, and otherwise reads only the
// span's pages, keeping nothing, until such reads of the chunk have together covered a share
// of its rows (admitShare): then the chunk is hot, and the next such read decodes it whole
// into c. Call it before f is shared.
func (f *File) SetChunkCache(c ChunkCache) {
	f.chunks = c
	f.spanRows = make([]atomic.Int64, len(f.groups)*len(f.cols))
	f.admits = make([]atomic.Int32, len(f.groups)*len(f.cols))
	f.increasing = make([]atomic.Int32, len(f.groups)*len(f.cols))
}

// Increasing reports whether column i (an index into the Reader's columns) of the batch
// Next returned last holds int64 values without NULLs, each greater than the one before.
// It knows only for a batch sliced from a whole column chunk of the chunk cache: the chunk
// is checked at the first such question and the answer kept with the File, for every later
// read of that chunk (a file's data never changes, so the answer holds whether or not the
// cache still keeps the chunk). Otherwise it reports false: not known. Call it before the
// next call of Next.
func (r *Reader) Increasing(i int) bool {
	if i < 0 || i >= len(r.chunks) || r.f.increasing == nil {
		return false
	}
	c := r.chunks[i]
	if !c.whole || c.arr == nil {
		return false
	}
	m := &r.f.increasing[c.group*len(r.f.cols)+r.cols[i]]
	switch m.Load() {
	case 1:
		return true
	case 2:
		return false
	}
	ok := false
	if a, isInt := c.arr.(*array.Int64); isInt && a.NullN() == 0 {
		ok = true
		v := a.Int64Values()
		for j := 1; j < len(v); j++ {
			if v[j] <= v[j-1] {
				ok = false
				break
			}
		}
	}
	if ok {
		m.Store(1)
	} else {
		m.Store(2)
	}
	return ok
}

// admitShare is the inverse of the share of a column chunk's rows that reads of spans must
// cover, in total, before a span read decodes the whole chunk into the cache. A single key
// lookup decodes one page and keeps nothing, so a cold lookup into a large table does not
// fill the cache with row groups it will not read again; a chunk that lookups keep coming
// back to is decoded once, at the cost of a quarter of its rows already decoded page by page,
// and is then read without decompression or I/O.
const admitShare = 4

// admit counts a read of rows [lo, hi) of column col of row group g that the cache did not
// serve, and reports whether the chunk is now hot enough to decode whole. Each time a chunk
// is decoded whole again (the cache evicted it, or could not keep it) the share of its rows
// needed doubles, so a chunk the cache has no room for is not decoded over and over: from
// the third whole decode on, each costs no more than the page reads before it.
func (f *File) admit(g, col int, lo, hi int64) bool {
	i := g*len(f.cols) + col
	n := f.spanRows[i].Add(hi - lo)
	k := min(f.admits[i].Load(), 20)
	if n*admitShare < f.groups[g].Rows<<k {
		return false
	}
	f.spanRows[i].Store(0)
	f.admits[i].Add(1)
	return true
}

// cacheable reports whether column col of row group g is decoded whole into the cache.
func (f *File) cacheable(g, col int) bool {
	if f.chunks == nil || f.cols[col].nested != nil {
		return false
	}
	leaf := f.cols[col].leaf
	if _, ok := f.f.RowGroups()[g].ColumnChunks()[leaf].(*pq.FileColumnChunk); !ok {
		return false
	}
	md := &f.f.Metadata().RowGroups[g].Columns[leaf].MetaData
	return md.TotalUncompressedSize <= maxCachedChunk && f.groups[g].Rows <= 1<<30
}

// decodedChunk returns column col of row group g from the chunk cache, decoding it from src
// (nil: the file's own reader) on a miss. The caller releases it.
func (f *File) decodedChunk(src io.ReaderAt, g, col int) (arrow.Array, error) {
	if src == nil {
		src = f.f
	}
	v, err := f.chunks.Chunk(g, col, func() (any, int64, error) {
		// Not a statement's memory: the cache's, for as long as it keeps the array.
		a, _, err := f.decodeChunk(src, g, col, memory.DefaultAllocator)
		if err != nil {
			return nil, 0, err
		}
		return a, arraySize(a), nil
	})
	if err != nil {
		return nil, err
	}
	return v.(arrow.Array), nil
}

// decodeChunk decodes the whole of column col of row group g from src into one array, read
// directly (direct.go) when the chunk allows it, as a Reader reads it, and otherwise through
// parquet-go's pages; direct says which.
func (f *File) decodeChunk(src io.ReaderAt, g, col int, mem memory.Allocator) (a arrow.Array, direct bool, err error) {
	leaf := f.cols[col].leaf
	rows := int(f.groups[g].Rows)
	cr := &chunkReader{col: &f.cols[col], maxDef: byte(f.leaves[col].MaxDefinitionLevel())}
	defer cr.close()
	r := &Reader{f: f, src: src, cols: []int{col}}
	defer r.releaseDirect()
	if direct, err = r.openDirect(cr, Span{Group: g, Hi: int64(rows)}, g, col, 0, nil, false); err != nil {
		return nil, false, err
	}
	if !direct {
		fc := f.f.RowGroups()[g].ColumnChunks()[leaf].(*pq.FileColumnChunk)
		cr.pages = fc.PagesFrom(src)
		if cm := &f.f.Metadata().RowGroups[g].Columns[leaf].MetaData; cm.NumValues > 0 {
			cr.bytesPerRow = float64(cm.TotalUncompressedSize) / float64(cm.NumValues)
		}
	}
	a, err = cr.read(rows, mem)
	return a, direct, err
}

// cachedChunk returns column col of row group g, retained, if the cache holds it.
func (f *File) cachedChunk(g, col int) arrow.Array {
	v, ok := f.chunks.Cached(g, col)
	if !ok {
		return nil
	}
	a, _ := v.(arrow.Array)
	return a
}

// arraySize is the bytes allocated for a's buffers.
func arraySize(a arrow.Array) int64 { return dataSize(a.Data()) }

// dataSize is the bytes allocated for the buffers of d and its children.
func dataSize(d arrow.ArrayData) int64 {
	var n int64
	for _, b := range d.Buffers() {
		if b != nil {
			n += int64(max(b.Len(), b.Cap()))
		}
	}
	for _, c := range d.Children() {
		n += dataSize(c)
	}
	return n
}

// Preload decodes every column chunk of f into its chunk cache, reading from src (nil: the
// file's own reader). It does nothing without a chunk cache.
func (f *File) Preload(src io.ReaderAt) error {
	for g := range f.groups {
		for c := range f.cols {
			if !f.cacheable(g, c) {
				continue
			}
			a, err := f.decodedChunk(src, g, c)
			if err != nil {
				return err
			}
			a.Release()
		}
	}
	return nil
}
