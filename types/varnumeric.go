package types

import (
	"math/big"
	"math/bits"
	"reflect"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
)

// VarNumericType is numeric without a type modifier: PostgreSQL's numeric, each of whose
// values keeps its own display scale (7, 7.0 and 7.00 are one value shown three ways). It is
// an Arrow extension type over decimal128(38,0) storage in which every 128-bit value packs
// the unscaled number and its scale (PackNumeric): value·64 + scale. The unscaled number has
// at most VarNumericDigits digits and the scale is 0..38.
//
// Kernels that move values (take, concat, spill, Parquet) handle it as its storage; kernels
// that look at values (compare, hash, arithmetic, casts, output) unpack each value.
type VarNumericType struct{ arrow.ExtensionBase }

// VarNumericDigits is the most significant digits a VarNumeric value holds.
const VarNumericDigits = 36

// MaxVarNumericScale is the largest display scale of a VarNumeric value.
const MaxVarNumericScale = 38

// VarNumeric is the type of numeric without a type modifier.
var VarNumeric arrow.DataType = &VarNumericType{ExtensionBase: arrow.ExtensionBase{Storage: &arrow.Decimal128Type{Precision: 38, Scale: 0}}}

func init() {
	if err := arrow.RegisterExtensionType(VarNumeric.(*VarNumericType)); err != nil {
		panic(err)
	}
}

// ExtensionName implements arrow.ExtensionType.
func (*VarNumericType) ExtensionName() string { return "sleeperd.numeric" }

// String is the type's SQL name.
func (*VarNumericType) String() string { return "numeric" }

// Serialize implements arrow.ExtensionType: the type has no parameters.
func (*VarNumericType) Serialize() string { return "" }

// Deserialize implements arrow.ExtensionType.
func (*VarNumericType) Deserialize(arrow.DataType, string) (arrow.ExtensionType, error) {
	return VarNumeric.(*VarNumericType), nil
}

// ExtensionEquals implements arrow.ExtensionType.
func (t *VarNumericType) ExtensionEquals(o arrow.ExtensionType) bool {
	return o.ExtensionName() == t.ExtensionName()
}

// ArrayType implements arrow.ExtensionType.
func (*VarNumericType) ArrayType() reflect.Type { return reflect.TypeOf(VarNumericArray{}) }

// VarNumericArray is an array of VarNumeric values.
type VarNumericArray struct{ array.ExtensionArrayBase }

// IsVarNumeric reports whether t is numeric without a type modifier.
func IsVarNumeric(t arrow.DataType) bool {
	_, ok := t.(*VarNumericType)
	return ok
}

// IsDecimal reports whether t is a numeric type: numeric(p,s) or numeric without a modifier.
func IsDecimal(t arrow.DataType) bool {
	return t != nil && (t.ID() == arrow.DECIMAL128 || IsVarNumeric(t))
}

var (
	sixtyFour    = decimal128.FromI64(64)
	maxVarDigits = decimal128.GetMaxValue(VarNumericDigits)
)

// PackNumeric packs an unscaled value v of scale s into one VarNumeric storage value; ok is
// false when v has more than VarNumericDigits digits or s is out of range.
func PackNumeric(v decimal128.Num, s int32) (decimal128.Num, bool) {
	if s < 0 || s > MaxVarNumericScale || v.Abs().Greater(maxVarDigits) {
		return decimal128.Num{}, false
	}
	return v.Mul(sixtyFour).Add(decimal128.FromI64(int64(s))), true
}

// UnpackNumeric is the unscaled value and scale packed in a VarNumeric storage value.
func UnpackNumeric(n decimal128.Num) (decimal128.Num, int32) {
	s := int32(n.LowBits() & 63)
	hi, lo := n.HighBits(), n.LowBits()
	return decimal128.New(hi>>6, lo>>6|uint64(hi)<<58), s
}

// NormalNumeric is v of scale s without trailing fractional zeros: equal numbers have equal
// normal forms whatever their scales.
func NormalNumeric(v decimal128.Num, s int32) (decimal128.Num, int32) {
	if v.Sign() == 0 {
		return v, 0
	}
	if a := v.Abs(); a.Sign() > 0 {
		// Divide the magnitude by ten in two 64-bit steps while the remainder is zero.
		hi, lo := uint64(a.HighBits()), a.LowBits()
		for s > 0 {
			qlo, r := bits.Div64(hi%10, lo, 10)
			if r != 0 {
				break
			}
			hi, lo, s = hi/10, qlo, s-1
		}
		n := decimal128.New(int64(hi), lo)
		if v.Sign() < 0 {
			n = n.Negate()
		}
		return n, s
	}
	ten := decimal128.FromI64(10)
	for s > 0 {
		q, r := v.Div(ten)
		if r.Sign() != 0 {
			break
		}
		v, s = q, s-1
	}
	return v, s
}

var pow10 = func() [39]decimal128.Num {
	var p [39]decimal128.Num
	p[0] = decimal128.FromI64(1)
	for i := 1; i < len(p); i++ {
		p[i] = p[i-1].Mul(decimal128.FromI64(10))
	}
	return p
}()

// Pow10 is 10^n for n in 0..38.
func Pow10(n int32) decimal128.Num { return pow10[n] }

// CompareNumeric compares a of scale as with b of scale bs by value.
func CompareNumeric(a decimal128.Num, as int32, b decimal128.Num, bs int32) int {
	if as == bs {
		return a.Cmp(b)
	}
	if sa, sb := a.Sign(), b.Sign(); sa != sb {
		if sa < sb {
			return -1
		}
		return 1
	}
	if as < bs {
		if d := bs - as; a.Abs().LessEqual(decimal128.GetMaxValue(38 - d)) {
			return a.Mul(pow10[d]).Cmp(b)
		}
	} else if d := as - bs; b.Abs().LessEqual(decimal128.GetMaxValue(38 - d)) {
		return a.Cmp(b.Mul(pow10[d]))
	}
	x := new(big.Int).Mul(a.BigInt(), new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(max(bs-as, 0))), nil))
	y := new(big.Int).Mul(b.BigInt(), new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(max(as-bs, 0))), nil))
	return x.Cmp(y)
}

// DivScale is the scale PostgreSQL's select_div_scale gives the quotient of u1·10^-s1 by
// u2·10^-s2: at least 16 significant digits (NUMERIC_MIN_SIG_DIGITS) and no fewer places
// than either operand, at most MaxVarNumericScale.
func DivScale(u1 *big.Int, s1 int32, u2 *big.Int, s2 int32) int32 {
	w1, d1 := baseWeight(u1, s1)
	w2, d2 := baseWeight(u2, s2)
	q := w1 - w2
	if d1 <= d2 {
		q--
	}
	s := max(int32(16-q*4), s1, s2, 0)
	return min(s, MaxVarNumericScale)
}

// baseWeight is the weight (the power of 10000) and the value of the first nonzero base-10000
// digit of u/10^scale, as PostgreSQL's numeric stores it; 0, 0 for zero.
func baseWeight(u *big.Int, scale int32) (weight int, first int64) {
	a := new(big.Int).Abs(u)
	if a.Sign() == 0 {
		return 0, 0
	}
	d := len(a.String()) - 1 - int(scale) // the power of ten of the leading digit
	weight = d / 4
	if d < 0 && d%4 != 0 {
		weight--
	}
	e := int(scale) + 4*weight // first = floor(a / 10^e)
	ten := big.NewInt(10)
	if e >= 0 {
		a.Quo(a, new(big.Int).Exp(ten, big.NewInt(int64(e)), nil))
	} else {
		a.Mul(a, new(big.Int).Exp(ten, big.NewInt(int64(-e)), nil))
	}
	return weight, a.Int64()
}

// NumericText is the text of a packed VarNumeric value, as PostgreSQL prints it: 7.00.
func NumericText(n decimal128.Num) string {
	v, s := UnpackNumeric(n)
	return v.ToString(s)
}

// ValueStr is the text of value i, or array.NullValueStr.
func (a *VarNumericArray) ValueStr(i int) string {
	if a.IsNull(i) {
		return array.NullValueStr
	}
	return NumericText(arrow.GetValues[decimal128.Num](a.Data(), 1)[i])
}

// String shows the values as text.
func (a *VarNumericArray) String() string {
	s := "["
	for i := 0; i < a.Len(); i++ {
		if i > 0 {
			s += " "
		}
		s += a.ValueStr(i)
	}
	return s + "]"
}
