package function

import (
	"errors"
	"math/big"
	"testing"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/exec"
)

// numericPower against values computed to more digits than the result keeps: exact integer
// powers rounded half away from zero, non-integer exponents through exp(y ln x), results
// whose scale PostgreSQL would shrink (it is fixed here), and the domain errors.
func TestNumericPower(t *testing.T) {
	dec := func(s string) (*big.Int, int32) {
		r, ok := new(big.Rat).SetString(s)
		if !ok {
			t.Fatalf("bad decimal %q", s)
		}
		scale := int32(0)
		for i := len(s) - 1; i >= 0 && s[i] != '.'; i-- {
			if i == 0 {
				scale = 0
				break
			}
			scale++
		}
		if !containsDot(s) {
			scale = 0
		}
		return new(big.Int).Quo(new(big.Int).Mul(r.Num(), exec.Pow10(scale)), r.Denom()), scale
	}
	for _, tc := range []struct{ x, y, want string }{
		{"2", "10", "1024.0000000000000000"},
		{"0.5", "17", "0.0000076293945313"}, // 0.00000762939453125: the half rounds up
		{"-0.5", "17", "-0.0000076293945313"},
		{"10.0", "1.5", "31.6227766016837933"}, // PostgreSQL: 31.622776601683793
		{"1.5", "-2", "0.4444444444444444"},
		{"-1.5", "-3", "-0.2962962962962963"},
		{"100.0", "1.5", "1000.0000000000000000"},
		{"2.0", "0.5", "1.4142135623730950"},
		{"1.000001", "1000000", "2.7182804693193769"},
		{"1.000001", "10000000", "22026.3556628264939774"},
		{"2.0", "-3", "0.1250000000000000"},
		{"-2.0", "3", "-8.0000000000000000"},
		{"0", "0", "1.0000000000000000"},
		{"0.1", "400", "0.0000000000000000"},
		{"7", "0.5", "2.6457513110645906"},
	} {
		x, xs := dec(tc.x)
		y, ys := dec(tc.y)
		got, err := numericPower(x, xs, y, ys, 16)
		if err != nil {
			t.Errorf("%s ^ %s: %v", tc.x, tc.y, err)
			continue
		}
		if s := new(big.Rat).SetFrac(got, exec.Pow10(16)).FloatString(16); s != tc.want {
			t.Errorf("%s ^ %s = %s, want %s", tc.x, tc.y, s, tc.want)
		}
	}
	for _, tc := range []struct {
		x, y string
		kind error
	}{{"0", "-1", errs.InvalidPowerArgument}, {"-2.0", "0.5", errs.InvalidPowerArgument}} {
		x, xs := dec(tc.x)
		y, ys := dec(tc.y)
		if _, err := numericPower(x, xs, y, ys, 16); !errors.Is(err, tc.kind) {
			t.Errorf("%s ^ %s: got %v, want %v", tc.x, tc.y, err, tc.kind)
		}
	}
	// Beyond 38 digits: a result too large for any decimal, reported by evalPower as 22003.
	x, xs := dec("10.0")
	y, ys := dec("30")
	if got, err := numericPower(x, xs, y, ys, 16); err != nil || got.BitLen() <= 127 && fits38Big(got) {
		t.Errorf("10.0 ^ 30 = %v, %v: want more than 38 digits", got, err)
	}
}

func containsDot(s string) bool {
	for i := range s {
		if s[i] == '.' {
			return true
		}
	}
	return false
}

func fits38Big(v *big.Int) bool {
	return new(big.Int).Abs(v).Cmp(new(big.Int).Sub(exec.Pow10(38), big.NewInt(1))) <= 0
}
