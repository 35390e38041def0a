// Package hotcache is the process-wide cache of hot table data: the column chunks of data
// files, keyed by (file, row group, column), shared by every statement, session and frontend.
// storage/parquet keeps each chunk decoded, as the Arrow array of the whole column of the row
// group (see parquet.ChunkCache); the cache itself holds any value with a size, and
// reference-counts values that have Retain and Release. Data files are immutable and uniquely
// named, so an entry never goes stale; Drop and DropPrefix forget files that were deleted.
// The cache evicts the least recently used chunks to stay within its byte budget, except
// those of pinned tables.
package hotcache

import (
	"container/list"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
)

// ErrTooLarge is returned by Pin when a table does not fit in the cache beside the tables
// already pinned.
var ErrTooLarge = errors.New("hotcache: pinned tables would exceed the cache budget")

// Table returns the table prefix of a data file name: everything before its "files/"
// directory ("tables/<id>/"), or "" for a name not under one.
func Table(name string) string {
	if i := strings.LastIndex(name, "/files/"); i >= 0 {
		return name[:i+1]
	}
	return ""
}

// Stats count what the cache did for one table (or, from Total, for all).
type Stats struct {
	Entries int64
	Bytes   int64
	Hits    int64 // reads served from the cache
	Misses  int64 // reads that loaded a chunk
	Pinned  bool
}

// Cache is a byte-bounded LRU of column chunks. A nil *Cache caches nothing. It is safe for
// concurrent use.
type Cache struct {
	max int64

	// mu is read-locked by a hit, which counts the hit atomically and records its entry in
	// hits (see hit), and locked by everything else.
	mu sync.RWMutex
	// hits are the entries hit under the read lock, in order, numbered by nhits, which
	// counts past len(hits) when it is full: they move to the front of lru, in that order,
	// before anything else changes lru under the lock (touch), so lru stays in order of
	// least recent use.
	hits     [256]atomic.Pointer[entry]
	nhits    atomic.Uint64
	used     int64
	pinBytes int64 // bytes of entries of pinned tables
	files    map[string]map[chunk]*entry
	lru      list.List // of *entry: loaded and not pinned, most recently used first
	tables   map[string]*tableState
}

type chunk struct{ group, col int }

type tableState struct {
	hits             atomic.Int64
	misses           int64
	entries, bytes   int64
	pinned           bool
	pinBytes, budget int64 // budget: bytes Pin reserved for the table
	overflow         int64 // chunks of the pinned table that did not fit its reservation
}

type entry struct {
	name  string
	key   chunk
	table string
	ready chan struct{} // closed once val or err is set
	val   any
	size  int64
	err   error
	in    bool // counted in used: loaded and kept
	pin   bool
	elem  *list.Element
}

// New returns a cache of at most maxBytes, or nil (no cache) if maxBytes <= 0.
func New(maxBytes int64) *Cache {
	if maxBytes <= 0 {
		return nil
	}
	return &Cache{max: maxBytes, files: map[string]map[chunk]*entry{}, tables: map[string]*tableState{}}
}

// Max returns the budget in bytes.
func (c *Cache) Max() int64 {
	if c == nil {
		return 0
	}
	return c.max
}

func (c *Cache) table(t string) *tableState {
	s := c.tables[t]
	if s == nil {
		s = &tableState{}
		c.tables[t] = s
	}
	return s
}

// Get returns the n bytes of column col of row group g of the file name, from the cache or
// by calling load to fill a new buffer of n bytes. Concurrent gets of one chunk load it once
// and share the bytes, which the caller must not modify.
func (c *Cache) Get(name string, g, col int, n int64, load func([]byte) error) ([]byte, error) {
	v, err := c.GetValue(name, g, col, func() (any, int64, error) {
		buf := make([]byte, n)
		if err := load(buf); err != nil {
			return nil, 0, err
		}
		return buf, n, nil
	})
	if err != nil {
		return nil, err
	}
	return v.([]byte), nil
}

// refCounted values (Arrow arrays) hold one reference for the cache and one for each caller
// of GetValue and CachedValue, who releases it.
type refCounted interface {
	Retain()
	Release()
}

func retain(v any) {
	if r, ok := v.(refCounted); ok {
		r.Retain()
	}
}

func release(v any) {
	if r, ok := v.(refCounted); ok {
		r.Release()
	}
}

// GetValue returns the value of column col of row group g of the file name, from the cache
// or by calling load, which returns a value and its size in bytes. Concurrent gets of one
// chunk load it once and share the value. A value with Retain and Release (an Arrow array)
// is retained for the caller, who must release it; the cache releases its own reference
// when it lets the value go.
func (c *Cache) GetValue(name string, g, col int, load func() (any, int64, error)) (any, error) {
	if c == nil {
		v, _, err := load()
		return v, err
	}
	if v, ok := c.hit(name, g, col); ok {
		return v, nil
	}
	k := chunk{g, col}
	t := Table(name)
	c.mu.Lock()
	if e, ok := c.files[name][k]; ok {
		if e.in {
			c.touch(e)
			c.table(t).hits.Add(1)
			retain(e.val)
			c.mu.Unlock()
			return e.val, nil
		}
		// Being loaded: wait for it.
		c.table(t).hits.Add(1)
		c.mu.Unlock()
		<-e.ready
		c.mu.Lock()
		if e.err == nil && e.in {
			retain(e.val)
			c.mu.Unlock()
			return e.val, nil
		}
		c.mu.Unlock()
		// The load failed, or its value was not kept: load again ourselves.
		return c.GetValue(name, g, col, load)
	}
	e := &entry{name: name, key: k, table: t, ready: make(chan struct{})}
	if c.files[name] == nil {
		c.files[name] = map[chunk]*entry{}
	}
	c.files[name][k] = e
	c.table(t).misses++
	c.mu.Unlock()

	v, n, err := load()
	c.mu.Lock()
	e.val, e.size, e.err = v, n, err
	if err == nil {
		retain(v) // the caller's reference; the load's is the cache's
	}
	switch {
	case err != nil || c.files[name][k] != e:
		// Failed, or dropped while loading: not kept.
		if c.files[name][k] == e {
			c.unlink(e)
		}
		if err == nil {
			release(v)
		}
	default:
		c.admit(e, n)
	}
	c.mu.Unlock()
	close(e.ready)
	return v, err
}

// Cached returns the bytes of column col of row group g of the file name if the cache holds
// them (counting a hit), without loading them otherwise (counting nothing).
func (c *Cache) Cached(name string, g, col int) ([]byte, bool) {
	v, ok := c.CachedValue(name, g, col)
	if !ok {
		return nil, false
	}
	b, ok := v.([]byte)
	return b, ok
}

// CachedValue is Cached for any value, retained for the caller as GetValue's are.
func (c *Cache) CachedValue(name string, g, col int) (any, bool) {
	if c == nil {
		return nil, false
	}
	return c.hit(name, g, col)
}

// hit returns the cached value of the chunk, retained, marking it used and counting a hit,
// under the read lock only; ok is false when the chunk is not cached and loaded.
func (c *Cache) hit(name string, g, col int) (any, bool) {
	c.mu.RLock()
	e, ok := c.files[name][chunk{g, col}]
	if !ok || !e.in {
		c.mu.RUnlock()
		return nil, false
	}
	ts, ok := c.tables[e.table]
	if !ok {
		// Every entry kept has its table's state: not reached.
		c.mu.RUnlock()
		return nil, false
	}
	ts.hits.Add(1)
	retain(e.val)
	v := e.val
	i := c.nhits.Add(1) - 1
	if i < uint64(len(c.hits)) {
		c.hits[i].Store(e)
		c.mu.RUnlock()
		return v, true
	}
	c.mu.RUnlock()
	// The record of hits is full: move them and this one under the lock.
	c.mu.Lock()
	c.touch(e)
	c.mu.Unlock()
	return v, true
}

// touch moves the entries of the hits recorded under the read lock, then e (when not nil),
// to the front of lru. Callers hold c.mu (locked): every read-locked hit numbered below
// len(hits) has stored its entry.
func (c *Cache) touch(e *entry) {
	n := min(c.nhits.Load(), uint64(len(c.hits)))
	for i := range n {
		if h := c.hits[i].Swap(nil); h != nil && h.elem != nil {
			c.lru.MoveToFront(h.elem)
		}
	}
	c.nhits.Store(0)
	if e != nil && e.elem != nil {
		c.lru.MoveToFront(e.elem)
	}
}

// admit keeps the loaded entry e of n bytes if it fits: pinned if its table is pinned and its
// reservation has room, otherwise in the LRU, evicting others. Callers hold c.mu.
func (c *Cache) admit(e *entry, n int64) {
	c.touch(nil) // hits before this load come before it in lru
	ts := c.table(e.table)
	switch {
	case ts.pinned && ts.pinBytes+n <= ts.budget:
		e.pin = true
		ts.pinBytes += n
		c.pinBytes += n
	case n <= c.max-c.pinBytes:
		if ts.pinned {
			ts.overflow++
		}
		e.elem = c.lru.PushFront(e)
	default:
		// Larger than the room pins leave: serve it, keep nothing.
		if ts.pinned {
			ts.overflow++
		}
		c.unlink(e)
		release(e.val)
		return
	}
	e.in = true
	c.used += n
	ts.entries++
	ts.bytes += n
	c.evict()
}

// evict removes the least recently used unpinned entries until the cache fits its budget.
func (c *Cache) evict() {
	c.touch(nil)
	for c.used > c.max && c.lru.Len() > 0 {
		c.remove(c.lru.Back().Value.(*entry))
	}
}

// unlink forgets e from the index of entries.
func (c *Cache) unlink(e *entry) {
	m := c.files[e.name]
	if m[e.key] == e {
		delete(m, e.key)
		if len(m) == 0 {
			delete(c.files, e.name)
		}
	}
}

// remove forgets e and frees its bytes.
func (c *Cache) remove(e *entry) {
	c.unlink(e)
	if e.elem != nil {
		c.lru.Remove(e.elem)
		e.elem = nil
	}
	if !e.in {
		return
	}
	e.in = false
	release(e.val)
	n := e.size
	c.used -= n
	ts := c.table(e.table)
	ts.entries--
	ts.bytes -= n
	if e.pin {
		e.pin = false
		ts.pinBytes -= n
		c.pinBytes -= n
	}
}

// Drop forgets every chunk of the file name: call it when the file is deleted.
func (c *Cache) Drop(name string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range c.files[name] {
		c.remove(e)
	}
}

// DropPrefix forgets every chunk of the files whose names start with prefix, and the
// counters and pin of a table whose prefix it is: call it when a table is dropped.
func (c *Cache) DropPrefix(prefix string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for name, m := range c.files {
		if strings.HasPrefix(name, prefix) {
			for _, e := range m {
				c.remove(e)
			}
		}
	}
	for t, ts := range c.tables {
		if strings.HasPrefix(t, prefix) && ts.entries == 0 {
			delete(c.tables, t)
		}
	}
}

// Pin marks table (a prefix from Table) pinned and reserves need bytes for it: its chunks
// loaded from now on, up to need bytes, are never evicted, and those cached already are
// pinned as the reservation allows. It fails with ErrTooLarge, pinning nothing, if need does
// not fit beside the other pinned tables' reservations. Pinning a pinned table again
// replaces its reservation.
func (c *Cache) Pin(table string, need int64) error {
	if c == nil {
		return fmt.Errorf("%w: the cache is off", ErrTooLarge)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	var others int64
	for t, ts := range c.tables {
		if t != table && ts.pinned {
			others += ts.budget
		}
	}
	if others+need > c.max {
		return fmt.Errorf("%w: %d bytes wanted, %d of %d free", ErrTooLarge, need, c.max-others, c.max)
	}
	ts := c.table(table)
	ts.pinned, ts.budget, ts.overflow = true, need, 0
	for name, m := range c.files {
		if Table(name) != table {
			continue
		}
		for _, e := range m {
			if e.in && !e.pin && ts.pinBytes+e.size <= ts.budget {
				c.lru.Remove(e.elem)
				e.elem = nil
				e.pin = true
				ts.pinBytes += e.size
				c.pinBytes += e.size
			}
		}
	}
	c.evict()
	return nil
}

// Free returns the bytes Pin could reserve for table: the budget less the other pinned
// tables' reservations.
func (c *Cache) Free(table string) int64 {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	free := c.max
	for t, ts := range c.tables {
		if t != table && ts.pinned {
			free -= ts.budget
		}
	}
	return free
}

// Settle shrinks the reservation of the pinned table to the bytes it has pinned, once they
// are loaded, and reports them, and whether any of its chunks loaded since Pin did not fit
// the reservation.
func (c *Cache) Settle(table string) (pinned int64, overflow bool) {
	if c == nil {
		return 0, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	ts := c.table(table)
	if ts.pinned {
		ts.budget = ts.pinBytes
	}
	return ts.pinBytes, ts.overflow > 0
}

// Unpin unpins table, leaving its chunks in the cache to be evicted like any others.
func (c *Cache) Unpin(table string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	ts := c.table(table)
	for name, m := range c.files {
		if Table(name) != table {
			continue
		}
		for _, e := range m {
			if e.pin {
				e.pin = false
				ts.pinBytes -= e.size
				c.pinBytes -= e.size
				e.elem = c.lru.PushBack(e)
			}
		}
	}
	ts.pinned, ts.budget = false, 0
	c.evict()
}

// Evict unpins table and forgets its chunks, returning the bytes freed.
func (c *Cache) Evict(table string) int64 {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	ts := c.table(table)
	freed := ts.bytes
	for name, m := range c.files {
		if Table(name) == table {
			for _, e := range m {
				c.remove(e)
			}
		}
	}
	ts.pinned, ts.budget = false, 0
	return freed
}

// Stats returns the counters of table.
func (c *Cache) Stats(table string) Stats {
	if c == nil {
		return Stats{}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	ts := c.tables[table]
	if ts == nil {
		return Stats{}
	}
	return Stats{Entries: ts.entries, Bytes: ts.bytes, Hits: ts.hits.Load(), Misses: ts.misses, Pinned: ts.pinned}
}

// Total returns the counters summed over every table.
func (c *Cache) Total() Stats {
	var s Stats
	if c == nil {
		return s
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, ts := range c.tables {
		s.Entries += ts.entries
		s.Bytes += ts.bytes
		s.Hits += ts.hits.Load()
		s.Misses += ts.misses
		s.Pinned = s.Pinned || ts.pinned
	}
	return s
}

// Used returns the bytes the cache holds.
func (c *Cache) Used() int64 {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.used
}

// File returns the chunks of the file name as a parquet.ChunkCache, or nil if c is nil.
func (c *Cache) File(name string) *FileChunks {
	if c == nil {
		return nil
	}
	return &FileChunks{c: c, name: name}
}

// FileChunks are the cached chunks of one file.
type FileChunks struct {
	c    *Cache
	name string
}

// Cached returns the value of column col of row group g if the cache holds it.
func (f *FileChunks) Cached(g, col int) (any, bool) { return f.c.CachedValue(f.name, g, col) }

// Chunk returns the value of column col of row group g, loading it with load on a miss
// (see GetValue).
func (f *FileChunks) Chunk(g, col int, load func() (any, int64, error)) (any, error) {
	return f.c.GetValue(f.name, g, col, load)
}

// Files returns the names of the files with cached chunks.
func (c *Cache) Files() map[string]bool {
	out := map[string]bool{}
	if c == nil {
		return out
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for name := range c.files {
		out[name] = true
	}
	return out
}
