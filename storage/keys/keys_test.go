package keys

import (
	"bytes"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// TestOrderPreserved checks that for random composite keys (int64, string) the bytewise order of
// encodings equals the lexicographic order of the values, and that decoding round-trips.
func TestOrderPreserved(t *testing.T) {
	types := []arrow.DataType{arrow.PrimitiveTypes.Int64, arrow.BinaryTypes.String}
	rng := rand.New(rand.NewPCG(1, 2))
	strs := []string{"", "a", "a\x00", "a\x00b", "a\x01", "ab", "b", "\x00", "\xff", "\xff\xff"}
	type kv struct {
		n int64
		s string
		k []byte
	}
	var rows []kv
	for i := 0; i < 2000; i++ {
		n := rng.Int64N(7) - 3
		if i%50 == 0 {
			n = []int64{-1 << 63, 1<<63 - 1, 0}[i%3]
		}
		s := strs[rng.IntN(len(strs))]
		k, err := AppendGo(nil, types[0], n)
		if err != nil {
			t.Fatal(err)
		}
		if k, err = AppendGo(k, types[1], s); err != nil {
			t.Fatal(err)
		}
		rows = append(rows, kv{n, s, k})
		got, err := Decode(types, k)
		if err != nil || got[0].(int64) != n || got[1].(string) != s {
			t.Fatalf("decode(%d, %q) = %v, %v", n, s, got, err)
		}
	}
	byValue := slices.Clone(rows)
	slices.SortStableFunc(byValue, func(a, b kv) int {
		if a.n != b.n {
			if a.n < b.n {
				return -1
			}
			return 1
		}
		return bytes.Compare([]byte(a.s), []byte(b.s))
	})
	byKey := slices.Clone(rows)
	slices.SortStableFunc(byKey, func(a, b kv) int { return bytes.Compare(a.k, b.k) })
	for i := range byValue {
		if byValue[i].n != byKey[i].n || byValue[i].s != byKey[i].s {
			t.Fatalf("order differs at %d: by value (%d,%q), by key (%d,%q)", i, byValue[i].n, byValue[i].s, byKey[i].n, byKey[i].s)
		}
	}
}

// TestPrefixRange checks that every key whose leading column equals v lies in
// [enc(v), PrefixEnd(enc(v))), and no other key does.
func TestPrefixRange(t *testing.T) {
	str := arrow.BinaryTypes.String
	lead, _ := AppendGo(nil, str, "ab")
	r := Range{Min: lead, Max: PrefixEnd(lead)}
	for _, tc := range []struct {
		a, b string
		in   bool
	}{{"ab", "", true}, {"ab", "zzz", true}, {"ab\x00", "", false}, {"abc", "", false}, {"a", "zz", false}, {"b", "", false}} {
		k, _ := AppendGo(nil, str, tc.a)
		k, _ = AppendGo(k, str, tc.b)
		if got := r.Contains(k); got != tc.in {
			t.Errorf("(%q,%q) in prefix range of ab: %v, want %v", tc.a, tc.b, got, tc.in)
		}
	}
	if PrefixEnd([]byte{0xff, 0xff}) != nil {
		t.Error("PrefixEnd of all 0xff must be unbounded")
	}
}

func TestAppendValueMatchesAppendGo(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ib := array.NewInt32Builder(mem)
	defer ib.Release()
	ib.AppendValues([]int32{-5, 0, 7}, nil)
	ints := ib.NewArray()
	defer ints.Release()
	bb := array.NewBinaryBuilder(mem, arrow.BinaryTypes.Binary)
	defer bb.Release()
	bb.AppendValues([][]byte{{0}, {}, {1, 0, 2}}, nil)
	bins := bb.NewArray()
	defer bins.Release()
	for i := 0; i < 3; i++ {
		row := AppendRow(nil, []arrow.Array{ints, bins}, i)
		want, _ := AppendGo(nil, arrow.PrimitiveTypes.Int32, ints.(*array.Int32).Value(i))
		want, _ = AppendGo(want, arrow.BinaryTypes.Binary, bins.(*array.Binary).Value(i))
		if !bytes.Equal(row, want) {
			t.Errorf("row %d: %x != %x", i, row, want)
		}
	}
	if _, err := AppendGo(nil, arrow.PrimitiveTypes.Int32, int64(1)<<40); err == nil {
		t.Error("out-of-range int32 accepted")
	}
}

func TestRangeOps(t *testing.T) {
	a := Range{Min: []byte("b"), Max: []byte("d")}
	b := Range{Min: []byte("c"), Max: nil}
	if got := a.Intersect(b); !bytes.Equal(got.Min, []byte("c")) || !bytes.Equal(got.Max, []byte("d")) {
		t.Errorf("intersect %v", got)
	}
	if a.Overlaps(Range{Min: []byte("d")}) {
		t.Error("[b,d) overlaps [d,+inf)")
	}
	if !Full.Contains([]byte{}) || Full.Empty() {
		t.Error("full range")
	}
}

func TestFormat(t *testing.T) {
	types := []arrow.DataType{arrow.BinaryTypes.String, arrow.PrimitiveTypes.Int32}
	k, _ := AppendGo(nil, types[0], "kilo")
	if got := Format(types, k, false); got != "kilo" {
		t.Errorf("Format = %q", got)
	}
	if got := Format(types, PrefixEnd(k), true); got != "after(kilo)" {
		t.Errorf("Format of prefix end = %q", got)
	}
	k2, _ := AppendGo(bytes.Clone(k), types[1], int32(-7))
	if got := Format(types, k2, false); got != "kilo,-7" {
		t.Errorf("Format = %q", got)
	}
	if got := Format(types, nil, true); got != "+inf" {
		t.Errorf("Format(nil, max) = %q", got)
	}
	if got := Format(types, []byte{}, false); got != "-inf" {
		t.Errorf("Format(empty) = %q", got)
	}
}
