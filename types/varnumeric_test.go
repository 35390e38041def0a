package types

import (
	"math/big"
	"math/rand"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/decimal128"
)

func TestPackNumeric(t *testing.T) {
	max36, _ := new(big.Int).SetString("999999999999999999999999999999999999", 10)
	for _, c := range []struct {
		v    decimal128.Num
		s    int32
		text string
	}{
		{decimal128.FromI64(7), 0, "7"},
		{decimal128.FromI64(700), 2, "7.00"},
		{decimal128.FromI64(-700), 2, "-7.00"},
		{decimal128.FromI64(-1), 38, "-0.00000000000000000000000000000000000001"},
		{decimal128.FromI64(0), 5, "0.00000"},
		{decimal128.FromBigInt(max36), 3, "999999999999999999999999999999999.999"},
		{decimal128.FromBigInt(new(big.Int).Neg(max36)), 0, "-999999999999999999999999999999999999"},
	} {
		n, ok := PackNumeric(c.v, c.s)
		if !ok {
			t.Fatalf("PackNumeric(%s, %d) failed", c.v.BigInt(), c.s)
		}
		if v, s := UnpackNumeric(n); v != c.v || s != c.s {
			t.Errorf("UnpackNumeric(PackNumeric(%s, %d)) = %s, %d", c.v.BigInt(), c.s, v.BigInt(), s)
		}
		if got := NumericText(n); got != c.text {
			t.Errorf("NumericText = %q, want %q", got, c.text)
		}
	}
	if _, ok := PackNumeric(decimal128.FromBigInt(new(big.Int).Add(max36, big.NewInt(1))), 0); ok {
		t.Error("37 digits packed")
	}
	if _, ok := PackNumeric(decimal128.FromI64(1), 39); ok {
		t.Error("scale 39 packed")
	}
}

func TestCompareNumeric(t *testing.T) {
	big37, _ := new(big.Int).SetString("99999999999999999999999999999999999", 10)
	for _, c := range []struct {
		a      int64
		as     int32
		b      *big.Int
		bs     int32
		want   int
		normal bool // a and b have the same normal form
	}{
		{7, 0, big.NewInt(700), 2, 0, true},
		{70, 1, big.NewInt(7), 0, 0, true},
		{-15, 1, big.NewInt(-150), 2, 0, true},
		{11, 1, big.NewInt(110), 2, 0, true},
		{1, 0, big.NewInt(101), 2, -1, false},
		{-1, 0, big.NewInt(1), 38, -1, false},
		{1, 0, big37, 38, 1, false}, // 1 > 0.000...999: compared through big integers
		{2, 0, big37, 0, -1, false},
	} {
		b := decimal128.FromBigInt(c.b)
		if got := CompareNumeric(decimal128.FromI64(c.a), c.as, b, c.bs); got != c.want {
			t.Errorf("CompareNumeric(%d·10^-%d, %s·10^-%d) = %d, want %d", c.a, c.as, c.b, c.bs, got, c.want)
		}
		av, as := NormalNumeric(decimal128.FromI64(c.a), c.as)
		bv, bs := NormalNumeric(b, c.bs)
		if same := av == bv && as == bs; same != c.normal {
			t.Errorf("normal forms of %d·10^-%d and %s·10^-%d equal: %v", c.a, c.as, c.b, c.bs, same)
		}
	}
}

// DivScale is PostgreSQL's select_div_scale: the scales of these quotients are PostgreSQL 15's.
func TestDivScale(t *testing.T) {
	for _, c := range []struct {
		u1       int64
		s1       int32
		u2       int64
		s2       int32
		want     int32
		quotient string
	}{
		{1, 0, 3, 0, 20, "1/3"},
		{7, 0, 2, 0, 16, "7/2"},
		{70, 1, 3, 0, 16, "7.0/3"},
		{15, 1, 3, 0, 20, "1.5/3"},
		{0, 0, 3, 0, 20, "0/3"},
		{12345678, 0, 5, 1, 12, "12345678/0.5"},
		{1, 4, 7, 0, 24, "0.0001/7"},
		{9999, 0, 10000, 0, 20, "9999/10000"},
		{10000, 0, 9999, 0, 16, "10000/9999"},
		{100000000, 0, 1, 0, 12, "1e8/1"},
		{1000000000000000000, 0, 1, 0, 0, "1e18/1"},
	} {
		if got := DivScale(big.NewInt(c.u1), c.s1, big.NewInt(c.u2), c.s2); got != c.want {
			t.Errorf("DivScale(%s) = %d, want %d", c.quotient, got, c.want)
		}
	}
}

// NormalNumeric drops exactly the trailing fractional zeros, for random values of up to 36
// digits of either sign, as dividing by ten through math/big does.
func TestNormalNumericRandom(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	for i := 0; i < 20000; i++ {
		u := new(big.Int).Rand(r, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(1+r.Intn(30))), nil))
		u.Mul(u, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(r.Intn(7))), nil))
		if r.Intn(2) == 0 {
			u.Neg(u)
		}
		s := int32(r.Intn(39))
		wu, ws := new(big.Int).Set(u), s
		for ws > 0 && wu.Sign() != 0 {
			q, m := new(big.Int).QuoRem(wu, big.NewInt(10), new(big.Int))
			if m.Sign() != 0 {
				break
			}
			wu, ws = q, ws-1
		}
		if wu.Sign() == 0 {
			ws = 0
		}
		gv, gs := NormalNumeric(decimal128.FromBigInt(u), s)
		if gv.BigInt().Cmp(wu) != 0 || gs != ws {
			t.Fatalf("%s scale %d: %s scale %d, want %s scale %d", u, s, gv.BigInt(), gs, wu, ws)
		}
	}
}
