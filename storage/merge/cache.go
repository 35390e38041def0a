package merge

import (
	"bytes"
	"context"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sleeperd/sleeperd/storage/hotcache"
	"github.com/sleeperd/sleeperd/storage/keys"
	"github.com/sleeperd/sleeperd/storage/objstore"
	"github.com/sleeperd/sleeperd/storage/parquet"
)

// DefaultFileCacheBytes is the default bound of a FileCache.
const DefaultFileCacheBytes = 128 << 20

// FileCache keeps opened data files (their decoded footers and page indexes) for every
// statement and session of a process, so that a file is opened once rather than once per
// statement. Data files are immutable and their names unique, so an entry never goes stale;
// Drop forgets a file that was deleted. The cache is bounded by the estimated memory of its
// files (parquet.File.MemoryBytes) and evicts the least recently used. A nil *FileCache opens
// every file afresh (OpenFile). It is safe for concurrent use.
//
// A hit takes the lock shared and marks its entry's use with an atomic counter, so
// concurrent statements reading cached files do not queue on the lock; an eviction (after a
// miss, which reads a footer) looks for the least recently used entry among them all.
type FileCache struct {
	store objstore.Store
	max   int64

	clock atomic.Uint64 // ticks at each use of an entry
	hits  atomic.Int64

	mu     sync.RWMutex
	used   int64
	opened int // entries opened and counted in used
	files  map[string]*cacheEntry
	stats  CacheStats // but Hits

	hot *hotcache.Cache // set once, before use
}

// CacheStats count what a FileCache did.
type CacheStats struct {
	Hits, Misses, Evictions, Drops int64
	Files                          int
	Bytes                          int64
}

type cacheEntry struct {
	key   string
	ready chan struct{} // closed once f or err is set
	f     *parquet.File
	err   error
	bytes int64
	kept  bool          // opened and counted in FileCache.used, until removed
	used  atomic.Uint64 // FileCache.clock at its last use
}

// NewFileCache returns a cache of the files of store, of at most maxBytes of open files (0:
// DefaultFileCacheBytes).
func NewFileCache(store objstore.Store, maxBytes int64) *FileCache {
	if maxBytes <= 0 {
		maxBytes = DefaultFileCacheBytes
	}
	return &FileCache{store: store, max: maxBytes, files: make(map[string]*cacheEntry)}
}

// SetHot makes every file the cache opens read its column chunks through hot, and Drop and
// DropPrefix forget them there too. Call it before the cache is used.
func (c *FileCache) SetHot(hot *hotcache.Cache) { c.hot = hot }

// Store returns the store whose files the cache holds.
func (c *FileCache) Store() objstore.Store { return c.store }

// Open returns the file name of the store (size bytes; 0 asks the store), opened with its page
// index, from the cache or by reading its footer. Concurrent opens of one file read it once.
// Readers of the file must read its pages through their own source (ReadOptions.Source),
// not the one it was opened with. onRead, if set, counts the bytes an open reads.
func (c *FileCache) Open(ctx context.Context, name string, size int64, onRead func(int64)) (*parquet.File, error) {
	k := name
	store := c.store
	c.mu.RLock()
	e, ok := c.files[k]
	c.mu.RUnlock()
	if !ok {
		c.mu.Lock()
		if e, ok = c.files[k]; !ok {
			e = &cacheEntry{key: k, ready: make(chan struct{})}
			c.files[k] = e
			c.stats.Misses++
		}
		c.mu.Unlock()
	}
	if ok {
		e.used.Store(c.clock.Add(1))
		c.hits.Add(1)
		select {
		case <-e.ready:
		default:
			// Still opening. Only then is ctx's done channel asked for: a cancellable
			// context makes it at the first ask, an allocation per statement otherwise.
			select {
			case <-e.ready:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		if e.err == nil {
			return e.f, nil
		}
		// The open that failed removed its entry; try again ourselves.
		return c.Open(ctx, name, size, onRead)
	}
	e.used.Store(c.clock.Add(1))
	e.f, e.err = openFile(ctx, store, name, size, onRead)
	if e.err == nil && c.hot != nil {
		e.f.SetChunkCache(c.hot.File(name))
	}
	c.mu.Lock()
	if e.err != nil || c.files[k] != e {
		// Failed, or dropped while opening: not kept.
		if c.files[k] == e {
			delete(c.files, k)
		}
	} else {
		e.bytes = e.f.MemoryBytes()
		e.kept = true
		c.used += e.bytes
		c.opened++
		c.evict(e)
	}
	c.mu.Unlock()
	close(e.ready)
	return e.f, e.err
}

// OpenFile opens the file name of store with its page index, through the cache c if it is not
// nil, which must be a cache of store's files.
func OpenFile(ctx context.Context, c *FileCache, store objstore.Store, name string, size int64, onRead func(int64)) (*parquet.File, error) {
	if c != nil {
		return c.Open(ctx, name, size, onRead)
	}
	return openFile(ctx, store, name, size, onRead)
}

func openFile(ctx context.Context, store objstore.Store, name string, size int64, onRead func(int64)) (*parquet.File, error) {
	if size <= 0 {
		var err error
		if size, err = store.Size(ctx, name); err != nil {
			return nil, err
		}
	}
	r := &objstore.ReaderAt{Ctx: ctx, Store: store, Name: name, Size: size, OnRead: onRead}
	return parquet.Open(r, size, parquet.WithPageIndex())
}

// evict removes the least recently used files until the cache fits its bound; the newest
// file stays even when it alone is over. Callers hold c.mu.
// evict removes the least recently used opened entries, other than keep, while the cache is
// over its bound. c.mu is held.
func (c *FileCache) evict(keep *cacheEntry) {
	for c.used > c.max && c.opened > 1 {
		var lru *cacheEntry
		for _, e := range c.files {
			if e.kept && e != keep && (lru == nil || e.used.Load() < lru.used.Load()) {
				lru = e
			}
		}
		if lru == nil {
			return
		}
		c.remove(lru)
		c.stats.Evictions++
	}
}

func (c *FileCache) remove(e *cacheEntry) {
	if c.files[e.key] == e {
		delete(c.files, e.key)
	}
	if e.kept {
		e.kept = false
		c.used -= e.bytes
		c.opened--
	}
}

// Drop forgets the file name, if cached: call it when the file is deleted.
func (c *FileCache) Drop(name string) {
	if c == nil {
		return
	}
	c.hot.Drop(name)
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.files[name]; ok {
		c.remove(e)
		c.stats.Drops++
	}
}

// DropPrefix forgets every cached file whose name starts with prefix.
func (c *FileCache) DropPrefix(prefix string) {
	if c == nil {
		return
	}
	c.hot.DropPrefix(prefix)
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, e := range c.files {
		if strings.HasPrefix(k, prefix) {
			c.remove(e)
			c.stats.Drops++
		}
	}
}

// Stats returns the cache's counters and its current size.
func (c *FileCache) Stats() CacheStats {
	if c == nil {
		return CacheStats{}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.stats
	s.Hits = c.hits.Load()
	s.Files, s.Bytes = c.opened, c.used
	return s
}

// KeySpan returns the rows of row group g of pf that may hold a row whose encoded row key
// lies in one of ranges (sorted, disjoint, not empty), from the page index of the leading row
// key column keyCol (of type t): the pages from the first whose keys do not all lie below
// the first range to the last whose keys do not all lie above the last range. The file must
// be sorted by row key, as table files are. Without a page index the whole row group is
// returned.
func KeySpan(pf *parquet.File, g, keyCol int, t arrow.DataType, ranges []keys.Range) (lo, hi int64) {
	lo, hi, _ = keySpan(pf, g, keyCol, t, ranges, nil)
	return lo, hi
}

// keySpan is KeySpan encoding its bounds into buf, which it returns grown for the caller's
// next use.
func keySpan(pf *parquet.File, g, keyCol int, t arrow.DataType, ranges []keys.Range, buf []byte) (lo, hi int64, _ []byte) {
	rows := pf.RowGroups()[g].Rows
	if len(ranges) == 0 || !pf.HasPageIndex() {
		return 0, rows, buf
	}
	first, last := ranges[0], ranges[len(ranges)-1]
	// A page lies below the first range when the end of its keys' leading column
	// (keys.LeadingRange's Max) is at most the range's start, and above the last when its
	// least key is at or past the range's end. The binary search encodes one bound per page
	// it looks at, into one buffer.
	below := func(st parquet.ColumnStats) bool {
		var err error
		if buf, err = keys.AppendGo(buf[:0], t, st.Max); err != nil {
			return false
		}
		i := len(buf) - 1
		for i >= 0 && buf[i] == 0xFF {
			i--
		}
		if i < 0 {
			return false // no end: the page reaches the end of the key space
		}
		buf[i]++
		return bytes.Compare(buf[:i+1], first.Min) <= 0
	}
	above := func(st parquet.ColumnStats) bool {
		if last.Max == nil {
			return false
		}
		var err error
		if buf, err = keys.AppendGo(buf[:0], t, st.Min); err != nil {
			return false
		}
		return bytes.Compare(buf, last.Max) >= 0
	}
	lo, hi = pf.PageSpan(g, keyCol, below, above)
	return lo, hi, buf
}

// KeyNarrow returns a parquet.ReadOptions.Narrow for reads clipped to ranges (sorted,
// disjoint, not empty) of a file sorted by row key whose leading row key column is the one
// narrowed by: it binary searches the cached column for the rows from the first whose leading
// key does not lie wholly below the first range to the last that does not lie wholly at or
// above the end of the last range. Like KeySpan it keeps every row that may be wanted; the
// read still clips to the ranges. Columns of a type storage/keys does not encode are not
// narrowed.
func KeyNarrow(ranges []keys.Range) func(g int, col arrow.Array, lo, hi int64) (int64, int64) {
	if len(ranges) == 0 {
		return nil
	}
	n := &keyNarrower{first: ranges[0].Min, last: ranges[len(ranges)-1].Max}
	return n.narrow
}

// keyNarrower is KeyNarrow's narrowing to the keys from first to last, with a buffer for the
// keys it encodes.
type keyNarrower struct {
	first, last, buf []byte
}

func (n *keyNarrower) narrow(_ int, col arrow.Array, lo, hi int64) (int64, int64) {
	first, last := n.first, n.last
	if !keys.Supported(col.DataType()) || col.NullN() > 0 || hi > int64(col.Len()) {
		return lo, hi
	}
	if vals := int64Values(col); vals != nil {
		l, h := int(lo), int(hi)
		ok := true
		if len(first) > 0 {
			l, ok = searchInt64NotBelow(vals, l, h, first)
		}
		if ok && last != nil {
			h, ok = searchInt64AtOrAbove(vals, l, h, last)
		}
		if ok {
			return int64(l), int64(h)
		}
	}
	enc := func(i int64) []byte {
		n.buf = keys.AppendValue(n.buf[:0], col, int(i))
		return n.buf
	}
	// Every key with leading encoding e lies below first when e < first and first does
	// not extend e (e's PrefixEnd is at most first).
	if len(first) > 0 {
		lo += int64(sort.Search(int(hi-lo), func(i int) bool {
			e := enc(lo + int64(i))
			return bytes.Compare(e, first) >= 0 || bytes.HasPrefix(first, e)
		}))
	}
	// Every key with leading encoding e lies at or above last when e >= last.
	if last != nil {
		hi = lo + int64(sort.Search(int(hi-lo), func(i int) bool {
			return bytes.Compare(enc(lo+int64(i)), last) >= 0
		}))
	}
	return lo, hi
}
