package exec

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"math/rand"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/types"
)

func varNumArray(t *testing.T, mem memory.Allocator, texts ...string) arrow.Array {
	t.Helper()
	b := array.NewBuilder(mem, types.VarNumeric)
	defer b.Release()
	for _, s := range texts {
		if s == "NULL" {
			b.AppendNull()
			continue
		}
		n, err := ParseVarNumeric(s)
		if err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		storageBuilder(b).(*array.Decimal128Builder).Append(n)
	}
	return b.NewArray()
}

func varTexts(a arrow.Array) []string {
	out := make([]string, a.Len())
	for i := range out {
		if a.IsNull(i) {
			out[i] = "NULL"
		} else {
			out[i] = FormatVarNumeric(values[decimal128.Num](a)[i])
		}
	}
	return out
}

// The kernels of numeric without a type modifier keep PostgreSQL's scale of each result.
func TestVarNumericArith(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	l := varNumArray(t, mem, "7", "7.00", "-1.5", "0.001", "NULL", "123456789012345678901234567890.5")
	defer l.Release()
	r := varNumArray(t, mem, "3", "0.5", "2.25", "7", "1", "0.5")
	defer r.Release()
	for _, c := range []struct {
		op   BinaryOp
		want []string
	}{
		{Add, []string{"10", "7.50", "0.75", "7.001", "NULL", "123456789012345678901234567891.0"}},
		{Sub, []string{"4", "6.50", "-3.75", "-6.999", "NULL", "123456789012345678901234567890.0"}},
		{Mul, []string{"21", "3.500", "-3.375", "0.007", "NULL", "61728394506172839450617283945.25"}},
		{Div, []string{"2.3333333333333333", "14.0000000000000000", "-0.66666666666666666667", "0.00014285714285714286", "NULL", "246913578024691357802469135781.0"}},
		{Mod, []string{"1", "0.00", "-1.50", "0.001", "NULL", "0.0"}},
	} {
		validity := andValidity(mem, l, r)
		out, err := varArith(mem, c.op, l, r, validity)
		if err != nil {
			t.Fatalf("%s: %v", c.op, err)
		}
		got := varTexts(out)
		out.Release()
		for i := range c.want {
			if got[i] != c.want[i] {
				t.Errorf("%s row %d: %s, want %s", c.op, i, got[i], c.want[i])
			}
		}
	}
	zero := varNumArray(t, mem, "0.0", "1", "1", "1", "1", "1")
	defer zero.Release()
	if _, err := varArith(mem, Div, l, zero, nil); !errors.Is(err, errs.DivisionByZero) {
		t.Errorf("division by 0.0: %v", err)
	}
	// A product past 36 digits loses decimals, rounded; past 36 integer digits it overflows.
	long := varNumArray(t, mem, "0.333333333333333333333333", "999999999999999999999999999999")
	defer long.Release()
	out, err := varArith(mem, Mul, long, long, nil)
	if err == nil {
		out.Release()
		t.Errorf("36+ integer digits: %v", varTexts(out))
	} else if !errors.Is(err, errs.NumericRange) {
		t.Errorf("36+ integer digits: %v", err)
	}
	one := array.NewSlice(long, 0, 1)
	defer one.Release()
	if out, err = varArith(mem, Mul, one, one, nil); err != nil {
		t.Fatal(err)
	} else if got := varTexts(out)[0]; got != "0.111111111111111111111110888888888889" {
		t.Errorf("long product %s", got)
	}
	out.Release()
}

func TestVarNumericConvert(t *testing.T) {
	for _, c := range []struct {
		from arrow.DataType
		v    any
		want string
	}{
		{arrow.BinaryTypes.String, " 2.50 ", "2.50"},
		{arrow.BinaryTypes.String, "1.5e-2", "0.015"},
		{arrow.BinaryTypes.String, "-1E3", "-1000"},
		{arrow.BinaryTypes.String, ".5", "0.5"},
		{arrow.PrimitiveTypes.Float64, 0.1, "0.1"},
		{arrow.PrimitiveTypes.Float64, 1.0 / 3, "0.333333333333333"},
		{arrow.PrimitiveTypes.Float32, float32(0.1), "0.1"},
		{arrow.PrimitiveTypes.Int64, int64(-42), "-42"},
		{types.Numeric(10, 3), decimal128.FromI64(1500), "1.500"},
	} {
		out, ok, err := convertVarNumeric(c.v, c.from, types.VarNumeric)
		if !ok || err != nil {
			t.Errorf("%v (%s): %v %v", c.v, c.from, ok, err)
			continue
		}
		if got := FormatVarNumeric(out.(decimal128.Num)); got != c.want {
			t.Errorf("%v (%s) = %s, want %s", c.v, c.from, got, c.want)
		}
	}
	for _, s := range []string{"1..5", "", "abc", "1e", "--1"} {
		if _, err := ParseVarNumeric(s); !errors.Is(err, errs.InvalidText) {
			t.Errorf("%q: %v", s, err)
		}
	}
	n, _ := ParseVarNumeric("2.675")
	for _, c := range []struct {
		to   arrow.DataType
		want string
	}{
		{types.Numeric(5, 2), "2.68"},
		{types.Numeric(10, 5), "2.67500"},
		{arrow.PrimitiveTypes.Int32, "3"},
		{arrow.PrimitiveTypes.Float64, "2.675"},
		{arrow.BinaryTypes.String, "2.675"},
	} {
		out, _, err := convertVarNumeric(n, types.VarNumeric, c.to)
		if err != nil {
			t.Fatalf("%s: %v", c.to, err)
		}
		if got := formatText(out, c.to); got != c.want {
			t.Errorf("2.675::%s = %s, want %s", c.to, got, c.want)
		}
	}
	if _, _, err := convertVarNumeric(n, types.VarNumeric, types.Numeric(2, 2)); !errors.Is(err, errs.NumericRange) {
		t.Errorf("2.675::numeric(2,2): %v", err)
	}
}

// sum keeps the largest scale of a group's values and avg divides as PostgreSQL does, past
// 128 bits too.
func TestVarNumericSumAvg(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	a := varNumArray(t, mem, "1.5", "2.25", "NULL", "99999999999999999999999999999999999", "99999999999999999999999999999999999", "0.1", "0.2")
	defer a.Release()
	gids := []int32{0, 0, 0, 1, 1, 2, 2}
	for _, c := range []struct {
		avg  bool
		want []string
	}{
		{false, []string{"3.75", "199999999999999999999999999999999998", "0.3"}},
		{true, []string{"1.8750000000000000", "99999999999999999999999999999999999", "0.15000000000000000000"}},
	} {
		s := &varSumState{avg: c.avg}
		s.grow(3)
		if err := s.update(gids, a); err != nil {
			t.Fatal(err)
		}
		out, err := s.finish(mem)
		if err != nil {
			t.Fatal(err)
		}
		got := varTexts(out)
		out.Release()
		for i := range c.want {
			if got[i] != c.want[i] {
				t.Errorf("avg %v, group %d: %s, want %s", c.avg, i, got[i], c.want[i])
			}
		}
	}
}

// min and max compare by value and, of equal values, keep the last one met with its scale.
func TestVarNumericMinMax(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	a := varNumArray(t, mem, "7", "7.00", "-1.5", "10.0", "7.0", "NULL")
	defer a.Release()
	gids := []int32{0, 0, 1, 1, 0, 1}
	for _, c := range []struct {
		max  bool
		want []string
	}{
		{false, []string{"7.0", "-1.5"}},
		{true, []string{"7.0", "10.0"}},
	} {
		s := newMinMax(types.VarNumeric, c.max)
		s.grow(2)
		if err := s.update(gids, a); err != nil {
			t.Fatal(err)
		}
		out, err := s.finish(mem)
		if err != nil {
			t.Fatal(err)
		}
		got := varTexts(out)
		out.Release()
		for i := range c.want {
			if got[i] != c.want[i] {
				t.Errorf("max %v, group %d: %s, want %s", c.max, i, got[i], c.want[i])
			}
		}
	}
}

// randVarValue is a random unscaled value of up to digits digits, negative half the time.
func randVarValue(r *rand.Rand, digits int) *big.Int {
	u := new(big.Int).Rand(r, pow10(int32(1+r.Intn(digits))))
	if r.Intn(2) == 0 {
		u.Neg(u)
	}
	return u
}

// Sums and averages of numerics without a modifier, of fixed-scale numerics and of integers
// agree with math/big: mixed scales, negatives, NULLs, skipped rows, several groups and
// sums past 38 digits.
func TestVarNumericSumAvgRandom(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	r := rand.New(rand.NewSource(7))
	for round := 0; round < 300; round++ {
		groups := 1 + r.Intn(5)
		maxDigits := []int{4, 18, 30, 36, 38}[r.Intn(5)]
		maxScale := []int32{0, 4, 12, 38}[r.Intn(4)]
		kind := r.Intn(3) // 0: numeric, 1: numeric(38,s), 2: bigint
		fixedScale := r.Int31n(maxScale + 1)
		ref := make([]*big.Int, groups) // each group's sum at refScale[g]
		refScale := make([]int32, groups)
		counts := make([]int64, groups)
		avg := r.Intn(2) == 0
		s := &varSumState{avg: avg}
		s.grow(groups)
		for batch := 0; batch < 1+r.Intn(3); batch++ {
			n := 1 + r.Intn(200)
			var b array.Builder
			switch kind {
			case 0:
				b = array.NewBuilder(mem, types.VarNumeric)
			case 1:
				b = array.NewBuilder(mem, &arrow.Decimal128Type{Precision: 38, Scale: fixedScale})
			default:
				b = array.NewBuilder(mem, tI64)
			}
			gids := make([]int32, n)
			for i := range gids {
				gids[i] = int32(r.Intn(groups+1)) - 1 // -1: a skipped row
				if r.Intn(8) == 0 {
					b.AppendNull()
					continue
				}
				var u *big.Int
				var sc int32
				switch kind {
				case 0:
					sc = r.Int31n(maxScale + 1)
					u = randVarValue(r, min(maxDigits, 36))
					p, err := packBig(new(big.Int).Set(u), sc)
					if err != nil {
						t.Fatal(err)
					}
					storageBuilder(b).(*array.Decimal128Builder).Append(p)
				case 1:
					sc = fixedScale
					u = randVarValue(r, min(maxDigits, 38))
					b.(*array.Decimal128Builder).Append(decimal128.FromBigInt(u))
				default:
					u = randVarValue(r, min(maxDigits, 18))
					if !u.IsInt64() {
						u = big.NewInt(math.MaxInt64 - r.Int63n(100))
					}
					b.(*array.Int64Builder).Append(u.Int64())
				}
				g := gids[i]
				if g < 0 {
					continue
				}
				switch {
				case counts[g] == 0:
					ref[g], refScale[g] = new(big.Int).Set(u), sc
				case sc > refScale[g]:
					ref[g].Mul(ref[g], pow10(sc-refScale[g]))
					ref[g].Add(ref[g], u)
					refScale[g] = sc
				default:
					ref[g].Add(ref[g], new(big.Int).Mul(u, pow10(refScale[g]-sc)))
				}
				counts[g]++
			}
			a := b.NewArray()
			b.Release()
			if err := s.update(gids, a); err != nil {
				t.Fatal(err)
			}
			a.Release()
		}
		out, err := s.finish(mem)
		var want []string
		var wantErr error
		for g := range groups {
			if counts[g] == 0 {
				want = append(want, "NULL")
				continue
			}
			var p decimal128.Num
			var e error
			if avg {
				p, e = varDivBig(ref[g], refScale[g], big.NewInt(counts[g]), 0)
			} else {
				p, e = packBig(new(big.Int).Set(ref[g]), refScale[g])
			}
			if e != nil {
				wantErr = e
			}
			want = append(want, FormatVarNumeric(p))
		}
		if wantErr != nil || err != nil {
			if !errors.Is(err, errs.NumericRange) || !errors.Is(wantErr, errs.NumericRange) {
				t.Fatalf("round %d: error %v, want %v", round, err, wantErr)
			}
			continue
		}
		got := varTexts(out)
		out.Release()
		for g := range want {
			if got[g] != want[g] {
				t.Fatalf("round %d (kind %d, avg %v), group %d: %s, want %s", round, kind, avg, g, got[g], want[g])
			}
		}
	}
}

// Integers and fixed-scale numerics cast to numeric without a modifier keep their values and
// scales, NULLs and slice offsets.
func TestCastToVarNumeric(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	db := array.NewDecimal128Builder(mem, &arrow.Decimal128Type{Precision: 38, Scale: 3})
	for _, v := range []string{"1.500", "-0.001", "", "99999999999999999999999999999999.999", "0.000"} {
		if v == "" {
			db.AppendNull()
			continue
		}
		n, err := decimal128.FromString(v, 38, 3)
		if err != nil {
			t.Fatal(err)
		}
		db.Append(n)
	}
	dec := db.NewArray()
	db.Release()
	defer dec.Release()
	ib := array.NewInt32Builder(mem)
	ib.AppendValues([]int32{7, math.MinInt32, 0}, []bool{true, true, false})
	ints := ib.NewArray()
	ib.Release()
	defer ints.Release()
	decSlice := array.NewSlice(dec, 1, 5)
	defer decSlice.Release()
	for _, c := range []struct {
		in   arrow.Array
		want []string
	}{
		{dec, []string{"1.500", "-0.001", "NULL", "99999999999999999999999999999999.999", "0.000"}},
		{decSlice, []string{"-0.001", "NULL", "99999999999999999999999999999999.999", "0.000"}},
		{ints, []string{"7", "-2147483648", "NULL"}},
	} {
		out, err := castArray(mem, nil, c.in, types.VarNumeric)
		if err != nil {
			t.Fatal(err)
		}
		got := varTexts(out)
		out.Release()
		if fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("%s: %v, want %v", c.in.DataType(), got, c.want)
		}
	}
}

// +, - and * of numerics without a modifier agree with math/big for random values and scales,
// negatives and values near 36 digits among them.
func TestVarNumericArithRandom(t *testing.T) {
	r := rand.New(rand.NewSource(11))
	for i := 0; i < 20000; i++ {
		digits := []int{3, 18, 19, 30, 36}
		xu, yu := randVarValue(r, digits[r.Intn(5)]), randVarValue(r, digits[r.Intn(5)])
		xs, ys := r.Int31n(39), r.Int31n(39)
		xp, err1 := packBig(new(big.Int).Set(xu), xs)
		yp, err2 := packBig(new(big.Int).Set(yu), ys)
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		x, y := unpack(xp), unpack(yp)
		xb, yb := x.v.BigInt(), y.v.BigInt()
		s := max(x.s, y.s)
		xr := new(big.Int).Mul(xb, pow10(s-x.s))
		yr := new(big.Int).Mul(yb, pow10(s-y.s))
		for _, c := range []struct {
			op    BinaryOp
			u     *big.Int
			scale int32
		}{
			{Add, new(big.Int).Add(xr, yr), s},
			{Sub, new(big.Int).Sub(xr, yr), s},
			{Mul, new(big.Int).Mul(xb, yb), x.s + y.s},
		} {
			want, wantErr := packBig(c.u, c.scale)
			got, err := varOp(c.op, x, y)
			if (err != nil) != (wantErr != nil) || got != want {
				t.Fatalf("%s %s %s: %s (%v), want %s (%v)", FormatVarNumeric(xp), c.op, FormatVarNumeric(yp),
					FormatVarNumeric(got), err, FormatVarNumeric(want), wantErr)
			}
		}
	}
}
