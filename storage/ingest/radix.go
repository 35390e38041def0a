package ingest

import (
	"bytes"
	"slices"
)

// radixMin is the number of entries from which sortEntries sorts by radix; below it a
// comparison sort is cheaper than the passes over 256 counters.
const radixMin = 4096

// sortEntries sorts ents, whose rows are in increasing order, by (key, row): key(r) is row
// r's encoded key and every entry's pfx is keys.Prefix64 of it. Large slices are sorted by
// a least-significant-digit radix sort of the prefixes, which is stable and so keeps equal
// prefixes in row order; only the entries that share a prefix are then compared by key.
func sortEntries(ents []sortEntry, key func(int32) []byte) {
	cmp := func(a, b sortEntry) int {
		if a.pfx != b.pfx {
			if a.pfx < b.pfx {
				return -1
			}
			return 1
		}
		if c := bytes.Compare(key(a.row), key(b.row)); c != 0 {
			return c
		}
		return int(a.row - b.row)
	}
	if len(ents) < radixMin {
		slices.SortFunc(ents, cmp)
		return
	}
	radixSort(ents)
	// Entries with equal prefixes are adjacent and in row order; keys longer than 8 bytes
	// may still differ after the prefix.
	for i := 0; i < len(ents); {
		j := i + 1
		for j < len(ents) && ents[j].pfx == ents[i].pfx {
			j++
		}
		if j-i > 1 {
			slices.SortFunc(ents[i:j], cmp)
		}
		i = j
	}
}

// radixSort sorts ents stably by pfx, one byte a pass from the least significant, skipping
// the bytes every entry shares.
func radixSort(ents []sortEntry) {
	var counts [8][256]int
	for _, e := range ents {
		p := e.pfx
		for d := range 8 {
			counts[d][byte(p>>(8*d))]++
		}
	}
	tmp := make([]sortEntry, len(ents))
	src, dst := ents, tmp
	n := len(ents)
	for d := range 8 {
		c := &counts[d]
		if c[byte(src[0].pfx>>(8*d))] == n {
			continue // every entry has this byte
		}
		pos := 0
		for i := range c {
			k := c[i]
			c[i] = pos
			pos += k
		}
		shift := uint(8 * d)
		for _, e := range src {
			b := byte(e.pfx >> shift)
			dst[c[b]] = e
			c[b]++
		}
		src, dst = dst, src
	}
	if &src[0] != &ents[0] {
		copy(ents, src)
	}
}
