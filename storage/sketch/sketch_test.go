package sketch

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/storage/keys"
)

func key(v int64) []byte {
	k, _ := keys.AppendGo(nil, arrow.PrimitiveTypes.Int64, v)
	return k
}

// build returns the sketch of the sorted values, added one key at a time.
func build(vals []int64, max int) *Sketch {
	b := NewBuilder(max)
	for _, v := range vals {
		b.Add(key(v))
	}
	return b.Sketch()
}

func sortedRandom(r *rand.Rand, n int, lo, hi int64) []int64 {
	out := make([]int64, n)
	for i := range out {
		out[i] = lo + r.Int64N(hi-lo)
	}
	slices.Sort(out)
	return out
}

func TestBuilderSamples(t *testing.T) {
	for _, tc := range []struct {
		rows, max int
		step      int64
		samples   int
	}{
		{rows: 0, max: 4, step: 1, samples: 0},
		{rows: 3, max: 4, step: 1, samples: 3},
		{rows: 4, max: 4, step: 2, samples: 2},
		{rows: 5, max: 4, step: 2, samples: 3},  // 2 full + last key
		{rows: 16, max: 4, step: 8, samples: 2}, // halves at 4 samples
		{rows: 1000, max: 1024, step: 1, samples: 1000},
		{rows: 100_000, max: 1024, step: 128, samples: 782},
	} {
		vals := make([]int64, tc.rows)
		for i := range vals {
			vals[i] = int64(i)
		}
		s := build(vals, tc.max)
		if s.Rows() != int64(tc.rows) || s.Step() != tc.step || s.Samples() != tc.samples {
			t.Errorf("%d rows, max %d: rows %d step %d samples %d, want step %d samples %d",
				tc.rows, tc.max, s.Rows(), s.Step(), s.Samples(), tc.step, tc.samples)
			continue
		}
		// Sample i is row (i+1)*step-1; a final partial sample is the last row.
		for i, k := range s.keys {
			row := int64(i+1)*s.step - 1
			if row >= int64(tc.rows) {
				row = int64(tc.rows) - 1
			}
			if !bytes.Equal(k, key(row)) {
				t.Errorf("%d rows: sample %d is not row %d", tc.rows, i, row)
				break
			}
		}
		var w int64
		for i := range s.keys {
			w += s.weight(i)
		}
		if w != int64(tc.rows) {
			t.Errorf("%d rows: weights sum to %d", tc.rows, w)
		}
	}
}

func TestAddColumnsMatchesAdd(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	r := rand.New(rand.NewPCG(1, 2))
	vals := sortedRandom(r, 50_000, -1e9, 1e9)
	want := build(vals, 64)
	b := NewBuilder(64)
	for off := 0; off < len(vals); {
		n := min(1+r.IntN(3000), len(vals)-off)
		bld := array.NewInt64Builder(mem)
		bld.AppendValues(vals[off:off+n], nil)
		a := bld.NewArray()
		bld.Release()
		b.AddColumns([]arrow.Array{a}, n)
		a.Release()
		off += n
	}
	got := b.Sketch()
	if got.rows != want.rows || got.step != want.step || !slices.EqualFunc(got.keys, want.keys, bytes.Equal) {
		t.Fatalf("AddColumns: rows %d step %d %d samples; Add: rows %d step %d %d samples",
			got.rows, got.step, len(got.keys), want.rows, want.step, len(want.keys))
	}
}

func TestEncodeRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{0, 1, 7, 5000, 123_457} {
		s := build(sortedRandom(r, n, 0, 1e6), 0)
		got, err := Decode(s.Encode())
		if err != nil {
			t.Fatalf("%d rows: %v", n, err)
		}
		if got.rows != s.rows || got.step != s.step || !slices.EqualFunc(got.keys, s.keys, bytes.Equal) {
			t.Fatalf("%d rows: round trip differs", n)
		}
	}
	for _, bad := range []string{"", "!!", "U0tUMQ==" /* magic only */} {
		if _, err := Decode(bad); !errors.Is(err, ErrCorrupt) {
			t.Errorf("Decode(%q) = %v, want ErrCorrupt", bad, err)
		}
	}
	// Every truncation of a valid encoding is rejected.
	b, _ := build(sortedRandom(r, 300, 0, 1e6), 0).MarshalBinary()
	for i := range len(b) {
		if _, err := Unmarshal(b[:i]); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("truncated to %d bytes: %v", i, err)
		}
	}
}

// TestMedianAccuracy merges the sketches of random files and checks the median within a
// range against the true median of the rows in that range.
func TestMedianAccuracy(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, tc := range []struct {
		name   string
		files  int
		rows   int
		lo, hi int64 // the range; hi 0 means unbounded
	}{
		{"one file", 1, 200_000, 0, 0},
		{"eleven files", 11, 50_000, 0, 0},
		{"clipped", 6, 80_000, 200_000, 700_000},
		{"skewed sizes", 5, 0, 100_000, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var all []int64
			var sks []*Sketch
			for f := range tc.files {
				n := tc.rows
				if n == 0 {
					n = 1000 << (2 * f) // 1k .. 256k
				}
				// Files cover different spans, as files of one leaf do.
				lo := int64(f) * 50_000
				vals := sortedRandom(r, n, lo, lo+900_000)
				all = append(all, vals...)
				sks = append(sks, build(vals, 0))
			}
			rg := keys.Range{Min: key(tc.lo)}
			if tc.hi != 0 {
				rg.Max = key(tc.hi)
			}
			var in []int64
			for _, v := range all {
				if v >= tc.lo && (tc.hi == 0 || v < tc.hi) {
					in = append(in, v)
				}
			}
			slices.Sort(in)
			got, ok := Median(sks, rg)
			if !ok {
				t.Fatal("no median")
			}
			if !rg.Contains(got) || bytes.Equal(got, rg.Min) {
				t.Fatalf("median %x outside (%x, %x)", got, rg.Min, rg.Max)
			}
			// Rank of the median among the true rows: within 2% of the middle.
			rank, _ := slices.BinarySearchFunc(in, got, func(v int64, k []byte) int { return bytes.Compare(key(v), k) })
			frac := float64(rank) / float64(len(in))
			if frac < 0.48 || frac > 0.52 {
				t.Fatalf("median at rank %.4f of %d rows", frac, len(in))
			}
			est := Estimate(sks, rg)
			if d := float64(est-int64(len(in))) / float64(len(in)); d < -0.02 || d > 0.02 {
				t.Fatalf("estimate %d rows, true %d", est, len(in))
			}
		})
	}
}

func TestMedianEdges(t *testing.T) {
	same := make([]int64, 1000) // every key equal
	for _, tc := range []struct {
		name string
		sks  []*Sketch
		r    keys.Range
		want []byte // nil: no median
	}{
		{"empty", nil, keys.Range{}, nil},
		{"nothing in range", []*Sketch{build([]int64{1, 2, 3}, 0)}, keys.Range{Min: key(10)}, nil},
		{"one key at min", []*Sketch{build(same, 0)}, keys.Range{Min: key(0)}, nil},
		{"one key above min", []*Sketch{build(same, 0)}, keys.Range{}, key(0)},
		{"two keys", []*Sketch{build([]int64{5, 5, 5, 9}, 0)}, keys.Range{Min: key(5)}, key(9)},
		{"middle", []*Sketch{build([]int64{1, 2, 3, 4}, 0)}, keys.Range{}, key(3)},
	} {
		got, ok := Median(tc.sks, tc.r)
		if ok != (tc.want != nil) || !bytes.Equal(got, tc.want) {
			t.Errorf("%s: Median = %x, %v; want %x", tc.name, got, ok, tc.want)
		}
	}
}
