package ingest

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/sleeperd/sleeperd/storage/keys"
)

// TestSortEntriesMatchesComparisonSort sorts keys that share long prefixes, are shorter
// than 8 bytes, repeat, and differ only past the 8th byte, by radix and by a comparison
// sort, and checks the orders are the same: by key, then by row.
func TestSortEntriesMatchesComparisonSort(t *testing.T) {
	for _, n := range []int{0, 1, 100, radixMin - 1, radixMin, 50_000} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			r := rand.New(rand.NewPCG(uint64(n), 7))
			ks := make([][]byte, n)
			for i := range ks {
				switch r.IntN(4) {
				case 0: // short keys, many repeats
					ks[i] = []byte{byte(r.IntN(3)), byte(r.IntN(3))}
				case 1: // one shared 8-byte prefix, differing after it
					ks[i] = append([]byte("prefix00"), byte(r.IntN(256)), byte(r.IntN(4)))
				case 2: // shared first bytes, varying in the 8th
					ks[i] = []byte{'k', 'e', 'y', 0, 0, 0, 0, byte(r.IntN(256)), byte(r.IntN(2))}
				default:
					ks[i] = fmt.Appendf(nil, "%012x", r.Uint64()&(1<<48-1))
				}
			}
			key := func(row int32) []byte { return ks[row] }
			ents := make([]sortEntry, n)
			for i := range ents {
				ents[i] = sortEntry{pfx: keys.Prefix64(ks[i]), row: int32(i)}
			}
			want := slices.Clone(ents)
			slices.SortFunc(want, func(a, b sortEntry) int {
				if c := bytes.Compare(ks[a.row], ks[b.row]); c != 0 {
					return c
				}
				return int(a.row - b.row)
			})
			sortEntries(ents, key)
			for i := range ents {
				if ents[i] != want[i] {
					t.Fatalf("position %d: got row %d (%q), want row %d (%q)", i, ents[i].row, ks[ents[i].row], want[i].row, ks[want[i].row])
				}
			}
		})
	}
}

// TestRadixSortSkipsSharedBytes sorts prefixes that differ only in their lowest and their
// highest byte and checks the result is sorted and stable.
func TestRadixSortSkipsSharedBytes(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	ents := make([]sortEntry, 10_000)
	for i := range ents {
		ents[i] = sortEntry{pfx: uint64(r.IntN(4))<<56 | 0x0000_1234_5678_9a00 | uint64(r.IntN(3)), row: int32(i)}
	}
	radixSort(ents)
	for i := 1; i < len(ents); i++ {
		a, b := ents[i-1], ents[i]
		if a.pfx > b.pfx || a.pfx == b.pfx && a.row > b.row {
			t.Fatalf("position %d: %x/%d after %x/%d", i, b.pfx, b.row, a.pfx, a.row)
		}
	}
}
