package exec

import (
	"fmt"
	"math"
	"testing"
)

// TestKeyTable checks that the table gives each distinct key one dense id, in order of first
// appearance, through growth, for the empty key and for keys of every length around a word.
func TestKeyTable(t *testing.T) {
	var kt keyTable
	want := map[string]int32{}
	var keys []string
	keys = append(keys, "")
	for i := range 5000 {
		keys = append(keys, fmt.Sprintf("%0*d", i%19, i))
	}
	for pass := range 2 {
		for _, k := range keys {
			h := hashKey([]byte(k))
			id, slot, ok := kt.find([]byte(k), h)
			w, seen := want[k]
			if ok != seen {
				t.Fatalf("pass %d: key %q found=%v, want %v", pass, k, ok, seen)
			}
			if !ok {
				id = kt.insert([]byte(k), h, slot)
				if int(id) != len(want) {
					t.Fatalf("key %q got id %d, want %d", k, id, len(want))
				}
				want[k] = id
				continue
			}
			if id != w {
				t.Fatalf("key %q: id %d, want %d", k, id, w)
			}
		}
	}
	if kt.len() != len(want) {
		t.Fatalf("%d keys, want %d", kt.len(), len(want))
	}
	for k, id := range want {
		if string(kt.key(id)) != k {
			t.Fatalf("key %d is %q, want %q", id, kt.key(id), k)
		}
	}
	if 2*kt.len() > len(kt.slots) {
		t.Fatalf("%d keys in %d slots: over half full", kt.len(), len(kt.slots))
	}
}

// TestIntGroups checks the integer table: one id per distinct key through growth, extreme
// and zero keys included.
func TestIntGroups(t *testing.T) {
	var g intGroups
	want := map[int64]int32{}
	keys := []int64{0, -1, 1, math.MinInt64, math.MaxInt64}
	for i := range 3000 {
		keys = append(keys, int64(i)*1024, -int64(i))
	}
	for pass := range 2 {
		for _, k := range keys {
			id, slot, ok := g.find(k)
			w, seen := want[k]
			if ok != seen || (ok && id != w) {
				t.Fatalf("pass %d: key %d: (%d, %v), want (%d, %v)", pass, k, id, ok, w, seen)
			}
			if !ok {
				id = int32(len(want))
				g.insert(k, id, slot)
				want[k] = id
			}
		}
	}
	if g.n != len(want) || 2*g.n > len(g.slots) {
		t.Fatalf("%d keys in %d slots, want %d keys at most half full", g.n, len(g.slots), len(want))
	}
}
