package exec

import (
	"bytes"
	"encoding/binary"
	"math/bits"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// keyTable assigns dense ids 0, 1, ... to distinct byte-string keys: an open-addressing hash
// table (linear probing, at most half full) over one arena holding every key's bytes. It
// replaces a Go map[string]int32, which allocates a string per new key, hashes with the
// general-purpose string hash, and whose size the memory budget could only guess.
type keyTable struct {
	// slots hold (tag << 32 | id+1): tag is the high 32 bits of the key's hash; 0 is empty.
	slots []uint64
	arena []byte  // the keys' bytes, in id order
	ends  []int32 // ends[id] is the end of key id in arena
}

// keyTableMinSlots is the initial number of slots.
const keyTableMinSlots = 256

func (t *keyTable) len() int { return len(t.ends) }

// bytes is the memory the table holds.
func (t *keyTable) bytes() int64 {
	return int64(cap(t.slots))*8 + int64(cap(t.arena)) + int64(cap(t.ends))*4
}

// key returns the bytes of key id.
func (t *keyTable) key(id int32) []byte {
	start := int32(0)
	if id > 0 {
		start = t.ends[id-1]
	}
	return t.arena[start:t.ends[id]]
}

// find returns the id of k, or the slot where it would go and false.
func (t *keyTable) find(k []byte, h uint64) (int32, int, bool) {
	if len(t.slots) == 0 {
		t.slots = make([]uint64, keyTableMinSlots)
	}
	mask := uint64(len(t.slots) - 1)
	tag := h >> 32
	for i := h & mask; ; i = (i + 1) & mask {
		s := t.slots[i]
		if s == 0 {
			return 0, int(i), false
		}
		if s>>32 == tag {
			id := int32(uint32(s)) - 1
			if bytes.Equal(t.key(id), k) {
				return id, 0, true
			}
		}
	}
}

// insert adds k (not in the table) at slot, as found by find, and returns its id.
func (t *keyTable) insert(k []byte, h uint64, slot int) int32 {
	id := int32(len(t.ends))
	t.arena = append(t.arena, k...)
	t.ends = append(t.ends, int32(len(t.arena)))
	t.slots[slot] = h>>32<<32 | uint64(uint32(id+1))
	if 2*len(t.ends) > len(t.slots) {
		t.grow()
	}
	return id
}

// grow doubles the slots and places every key again.
func (t *keyTable) grow() {
	slots := make([]uint64, 2*len(t.slots))
	mask := uint64(len(slots) - 1)
	for id := range t.ends {
		h := hashKey(t.key(int32(id)))
		i := h & mask
		for slots[i] != 0 {
			i = (i + 1) & mask
		}
		slots[i] = h>>32<<32 | uint64(uint32(id+1))
	}
	t.slots = slots
}

// hashKey is a fast hash of a short byte string (a group key): eight bytes at a time, mixed
// with multiply-xorshift rounds (wyhash's constants), the length folded in.
func hashKey(b []byte) uint64 {
	const (
		p0 = 0xa0761d6478bd642f
		p1 = 0xe7037ed1a0b428db
	)
	h := uint64(len(b)) * p0
	for len(b) >= 8 {
		hi, lo := bits.Mul64(h^binary.LittleEndian.Uint64(b), p1)
		h = hi ^ lo
		b = b[8:]
	}
	if len(b) > 0 {
		var w uint64
		for i, c := range b {
			w |= uint64(c) << (8 * i)
		}
		hi, lo := bits.Mul64(h^w^p0, p1)
		h = hi ^ lo
	}
	hi, lo := bits.Mul64(h, p0^p1)
	return hi ^ lo
}

// intGroups maps int64 keys to group ids: an open-addressing hash table (linear probing, at
// most half full) whose slots hold a key and its id together, so that a probe touches one
// cache line, for a single integer-like group key.
type intGroups struct {
	slots []intSlot
	n     int
}

// intSlot is a slot of an intGroups: id is the group id + 1, 0 for an empty slot.
type intSlot struct {
	key int64
	id  int32
}

// bytes is the memory the table holds.
func (t *intGroups) bytes() int64 { return int64(cap(t.slots)) * int64(unsafe.Sizeof(intSlot{})) }

// find returns the group of k, or the slot where it would go and false.
func (t *intGroups) find(k int64) (int32, int, bool) {
	if len(t.slots) == 0 {
		t.slots = make([]intSlot, keyTableMinSlots)
	}
	mask := uint64(len(t.slots) - 1)
	for i := hashInt(k) & mask; ; i = (i + 1) & mask {
		s := &t.slots[i]
		if s.id == 0 {
			return 0, int(i), false
		}
		if s.key == k {
			return s.id - 1, 0, true
		}
	}
}

// insert adds k (not in the table) with group id at slot, as found by find.
func (t *intGroups) insert(k int64, id int32, slot int) {
	t.slots[slot] = intSlot{k, id + 1}
	t.n++
	if 2*t.n > len(t.slots) {
		old := t.slots
		t.slots = make([]intSlot, 2*len(old))
		mask := uint64(len(t.slots) - 1)
		for _, s := range old {
			if s.id == 0 {
				continue
			}
			i := hashInt(s.key) & mask
			for t.slots[i].id != 0 {
				i = (i + 1) & mask
			}
			t.slots[i] = s
		}
	}
}

// hashInt mixes the bits of k (murmur3's finaliser) so that sequential keys spread over the
// slots.
func hashInt(k int64) uint64 {
	h := uint64(k)
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return h
}

// valueSet is the set of values a DISTINCT aggregate without groups has seen, for a text,
// bytea or integer-like argument: values are kept by their bytes or value in integer tables
// where they fit one (integers; texts of at most 7 bytes packed with their length; texts
// of exactly 8 bytes as their bytes), longer texts in a keyTable.
type valueSet struct {
	ints   intGroups // integers, or short values packed
	eights intGroups // values of exactly 8 bytes
	long   keyTable

	// dict is the dictionary of the last dictionary array seen, and dictSeen which of its
	// entries were added (see firstSeenDict).
	dict     arrow.ArrayData
	dictSeen []bool
	dictLeft int // entries of dict not seen yet
}

// bytes is the memory the set holds.
func (s *valueSet) bytes() int64 { return s.ints.bytes() + s.eights.bytes() + s.long.bytes() }

// addInt adds k and reports whether it was new.
func (s *valueSet) addInt(k int64) bool {
	if _, slot, ok := s.ints.find(k); !ok {
		s.ints.insert(k, 0, slot)
		return true
	}
	return false
}

// addBytes adds the n bytes of d at off and reports whether they were new.
func (s *valueSet) addBytes(d []byte, off, n int) bool {
	switch {
	case n <= 7:
		return s.addInt(packShort(d, off, n))
	case n == 8:
		k := int64(binary.LittleEndian.Uint64(d[off:]))
		if _, slot, ok := s.eights.find(k); !ok {
			s.eights.insert(k, 0, slot)
			return true
		}
		return false
	}
	v := d[off : off+n]
	h := hashKey(v)
	if _, slot, ok := s.long.find(v, h); !ok {
		s.long.insert(v, h, slot)
		return true
	}
	return false
}

// valueSetType reports whether a valueSet holds values of type t.
func valueSetType(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.STRING, arrow.BINARY, arrow.INT16, arrow.INT32, arrow.DATE32, arrow.INT64, arrow.TIMESTAMP:
		return true
	case arrow.DICTIONARY:
		d := t.(*arrow.DictionaryType)
		return d.IndexType.ID() == arrow.INT32 && (d.ValueType.ID() == arrow.STRING || d.ValueType.ID() == arrow.BINARY)
	}
	return false
}

// firstSeen sets out[r] to use[r] for the rows whose non-NULL value of a is not in s yet
// (adding it), and to -1 for the others (NULLs, rows with use[r] < 0, values seen before).
func (s *valueSet) firstSeen(a arrow.Array, use, out []int32) {
	nulls := a.NullN() > 0
	skip := func(r int, g int32) bool {
		out[r] = -1
		return g < 0 || (nulls && a.IsNull(r))
	}
	switch a.DataType().ID() {
	case arrow.DICTIONARY:
		if s.firstSeenDict(a.(*array.Dictionary), use, out) == 0 {
			for r := range out {
				out[r] = -1
			}
		}
	case arrow.STRING, arrow.BINARY:
		offs := arrow.GetOffsets[int32](a.Data(), 1)
		d := byteData(a)
		if !nulls {
			s.firstSeenBytes(d, offs, use, out)
			return
		}
		for r, g := range use {
			if !skip(r, g) && s.addBytes(d, int(offs[r]), int(offs[r+1]-offs[r])) {
				out[r] = g
			}
		}
	case arrow.INT16:
		firstSeenInts(s, values[int16](a), use, out, skip)
	case arrow.INT32, arrow.DATE32:
		firstSeenInts(s, values[int32](a), use, out, skip)
	default:
		firstSeenInts(s, values[int64](a), use, out, skip)
	}
}

func firstSeenInts[T integer](s *valueSet, vals []T, use, out []int32, skip func(int, int32) bool) {
	for r, g := range use {
		if !skip(r, g) && s.addInt(int64(vals[r])) {
			out[r] = g
		}
	}
}

// firstSeenBytes is firstSeen for a text or bytea array without NULLs, of offsets offs into
// d: a value of at most 8 bytes with 8 bytes of d from its start is loaded as one word and
// looked up as addBytes would key it.
func (s *valueSet) firstSeenBytes(d []byte, offs []int32, use, out []int32) {
	for r, g := range use {
		out[r] = -1
		if g < 0 {
			continue
		}
		off, n := int(offs[r]), int(offs[r+1]-offs[r])
		var added bool
		switch {
		case n < 8 && off+8 <= len(d):
			added = s.ints.add(int64(binary.LittleEndian.Uint64(d[off:])&(1<<(8*n)-1) | uint64(n)<<56))
		case n == 8:
			added = s.eights.add(int64(binary.LittleEndian.Uint64(d[off:])))
		default:
			added = s.addBytes(d, off, n)
		}
		if added {
			out[r] = g
		}
	}
}

// firstSeenDict is firstSeen for a dictionary array of Int32 indices into a text or bytea
// dictionary: each dictionary entry's value is added once, at the first row that refers to
// it, and later rows that refer to the entry are not first (its value is in the set, or it
// is NULL). Which entries were added is kept while the arrays share one dictionary (the
// build side of a join), so a row costs an index lookup; rows whose index or entry is NULL
// are not first. It returns the number of rows that are first; when there are none, out may
// be left as it was.
func (s *valueSet) firstSeenDict(a *array.Dictionary, use, out []int32) int {
	dict := a.Dictionary()
	if dd := a.Data().Dictionary(); dd != s.dict {
		s.dict = dd
		if cap(s.dictSeen) < dict.Len() {
			s.dictSeen = make([]bool, dict.Len())
		}
		s.dictSeen = s.dictSeen[:dict.Len()]
		clear(s.dictSeen)
		s.dictLeft = dict.Len()
	}
	if s.dictLeft == 0 {
		// Every entry was seen: no row is first (a join's later batches).
		return 0
	}
	first := 0
	seen := s.dictSeen
	idx := values[int32](a)
	nulls := a.NullN() > 0
	dnulls := dict.NullN() > 0
	offs := arrow.GetOffsets[int32](dict.Data(), 1)
	d := byteData(dict)
	for r, g := range use {
		out[r] = -1
		if g < 0 || (nulls && a.IsNull(r)) {
			continue
		}
		e := idx[r]
		if seen[e] {
			continue
		}
		seen[e] = true
		s.dictLeft--
		if dnulls && dict.IsNull(int(e)) {
			continue
		}
		if s.addBytes(d, int(offs[e]), int(offs[e+1]-offs[e])) {
			out[r] = g
			first++
		}
	}
	return first
}

// add adds k with group 0 and reports whether it was new: find and insert in one probe.
func (t *intGroups) add(k int64) bool {
	if len(t.slots) == 0 {
		t.slots = make([]intSlot, keyTableMinSlots)
	}
	mask := uint64(len(t.slots) - 1)
	for i := hashInt(k) & mask; ; i = (i + 1) & mask {
		sl := &t.slots[i]
		if sl.id == 0 {
			t.insert(k, 0, int(i))
			return true
		}
		if sl.key == k {
			return false
		}
	}
}
