package types

import (
	"bytes"
	"fmt"
	"math/big"
	"math/rand/v2"
	"testing"
)

// TestJSONBSortKeyNumbers checks that the sort keys of numbers order as their values, over
// random decimals in plain and exponent notation, with equal values giving equal keys.
func TestJSONBSortKeyNumbers(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	gen := func() string {
		var s string
		switch rng.IntN(4) {
		case 0:
			s = fmt.Sprint(rng.IntN(2000) - 1000)
		case 1:
			s = fmt.Sprintf("%d.%0*d", rng.IntN(100)-50, rng.IntN(4)+1, rng.IntN(1000))
		case 2:
			s = fmt.Sprintf("%de%d", rng.IntN(200)-100, rng.IntN(10)-5)
		default:
			s = fmt.Sprintf("0.%0*d", rng.IntN(5)+1, rng.IntN(100))
		}
		return s
	}
	key := func(s string) []byte {
		v, err := ParseJSONB(s)
		if err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		return AppendJSONBSortKey(nil, v)
	}
	for range 5000 {
		a, b := gen(), gen()
		ra, _ := new(big.Rat).SetString(a)
		rb, _ := new(big.Rat).SetString(b)
		if got, want := bytes.Compare(key(a), key(b)), ra.Cmp(rb); got != want {
			t.Fatalf("%s vs %s: keys compare %d, values %d", a, b, got, want)
		}
	}
}
