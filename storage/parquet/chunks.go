package parquet

import (
	"fmt"
	"io"

	"github.com/parquet-go/parquet-go/format"
)

// ChunkCache serves the stored (compressed) bytes of the column chunks of one File.
type ChunkCache interface {
	// Chunk returns the n bytes of column col of row group g, calling load to read them
	// into a new buffer of n bytes when it does not hold them. The bytes are shared: callers
	// must not modify them.
	Chunk(g, col int, n int64, load func([]byte) error) ([]byte, error)
	// Cached returns the bytes of column col of row group g if it holds them, without
	// loading them otherwise.
	Cached(g, col int) ([]byte, bool)
}

// SetChunkCache makes every Reader of f read column chunks through c. Call it before f is
// shared.
func (f *File) SetChunkCache(c ChunkCache) { f.chunks = c }

// chunkRange returns the offset and length of a column chunk's pages in the file.
func chunkRange(md *format.ColumnMetaData) (int64, int64) {
	start := md.DataPageOffset
	if md.DictionaryPageOffset != 0 {
		start = md.DictionaryPageOffset
	}
	return start, md.TotalCompressedSize
}

// ChunkBytes returns the stored bytes of every column chunk of f.
func (f *File) ChunkBytes() int64 {
	var n int64
	for g := range f.f.Metadata().RowGroups {
		for c := range f.f.Metadata().RowGroups[g].Columns {
			_, size := chunkRange(&f.f.Metadata().RowGroups[g].Columns[c].MetaData)
			n += size
		}
	}
	return n
}

// cachedChunk returns a reader of the file that serves column col of row group g from the
// chunk cache (loading it from src, nil: the file's own reader) and every other read from src.
func (f *File) cachedChunk(src io.ReaderAt, g, col int) (io.ReaderAt, error) {
	if src == nil {
		src = f.f
	}
	md := &f.f.Metadata().RowGroups[g].Columns[col].MetaData
	start, size := chunkRange(md)
	if start < 0 || size <= 0 || start+size > f.f.Size() {
		return nil, fmt.Errorf("%w: column chunk [%d, %d+%d) outside the file of %d bytes", ErrCorrupt, start, start, size, f.f.Size())
	}
	buf, err := f.chunks.Chunk(g, col, size, func(b []byte) error {
		n, err := src.ReadAt(b, start)
		if n < len(b) {
			if err == nil || err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return err
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &windowReader{src: src, off: start, buf: buf}, nil
}

// chunkIfCached is cachedChunk when the cache holds the chunk, and nil otherwise.
func (f *File) chunkIfCached(src io.ReaderAt, g, col int) io.ReaderAt {
	if src == nil {
		src = f.f
	}
	buf, ok := f.chunks.Cached(g, col)
	if !ok {
		return nil
	}
	start, size := chunkRange(&f.f.Metadata().RowGroups[g].Columns[col].MetaData)
	if int64(len(buf)) != size {
		return nil
	}
	return &windowReader{src: src, off: start, buf: buf}
}

// Preload reads every column chunk of f into its chunk cache, from src (nil: the file's own
// reader), and returns their bytes. It does nothing without a chunk cache.
func (f *File) Preload(src io.ReaderAt) (int64, error) {
	if f.chunks == nil {
		return 0, nil
	}
	var n int64
	for g := range f.groups {
		for c := range f.cols {
			w, err := f.cachedChunk(src, g, c)
			if err != nil {
				return n, fmt.Errorf("row group %d column %d: %w", g, c, err)
			}
			n += int64(len(w.(*windowReader).buf))
		}
	}
	return n, nil
}
