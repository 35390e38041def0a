package parquet

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/parquet-go/parquet-go/encoding/delta"
	"github.com/parquet-go/parquet-go/format"
)

// TestEncodeDeltaByteArray checks the DELTA_BYTE_ARRAY encoder against parquet-go's: the
// same bytes for sorted, unsorted, empty, repeated and long values, pages of one value and
// of none, and that the result decodes back to the values.
func TestEncodeDeltaByteArray(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var sorted []string
	for range 2000 {
		sorted = append(sorted, fmt.Sprintf("%012x", r.Uint64()>>r.IntN(40)))
	}
	slices.Sort(sorted)
	random := []string{"", "", "a", "ab", "abcdefghijklmnopqrstuvwxyz", "abcdefghijklmnopqrstuvwxy!", "abcdefgh", "abcdefgh", "abcdefghi", "b", ""}
	for range 500 {
		random = append(random, fmt.Sprintf("value-%d-%x", r.IntN(1000), r.Uint64()>>uint(r.IntN(48))))
	}
	for name, vals := range map[string][]string{"sorted": sorted, "random": random, "one": {"x"}, "none": nil} {
		data := []byte{}
		offs := []uint32{}
		if len(vals) > 0 {
			offs = append(offs, 0)
		}
		for _, v := range vals {
			data = append(data, v...)
			offs = append(offs, uint32(len(data)))
		}
		got := encodeDeltaByteArray([]byte("prefix"), data, offs)
		if !bytes.HasPrefix(got, []byte("prefix")) {
			t.Fatalf("%s: dst's bytes not kept", name)
		}
		got = got[len("prefix"):]
		want, err := (&delta.ByteArrayEncoding{}).EncodeByteArray(nil, data, offs)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("%s: %d bytes differ from parquet-go's %d", name, len(got), len(want))
		}
		strs, o, err := decodeByteArrays(nil, nil, got, format.DeltaByteArray, len(vals))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for i, v := range vals {
			if s := string(strs[o[i]:o[i+1]]); s != v {
				t.Fatalf("%s: value %d is %q, want %q", name, i, s, v)
			}
		}
	}
}
