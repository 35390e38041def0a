package exec

import (
	"encoding/binary"
	"math"
	"math/big"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/types"
)

// Kernels of numeric without a type modifier (types.VarNumeric), whose values each carry
// their own scale. Values are unpacked to (unscaled, scale), computed with PostgreSQL's
// scale rules and packed again:
//
//   - + and - keep the larger scale, * the sum of the scales, % the larger scale;
//   - / keeps PostgreSQL's select_div_scale of the two values (at least 16 significant
//     digits, no fewer places than either operand), rounded half away from zero;
//   - a result with more than types.VarNumericDigits digits loses places from the right
//     (rounded) until it fits, and fails with 22003 when no places are left.
//
// Equal values of different scales compare, hash and group as equal.

// tid is the type ID kernels that only move values dispatch on: numeric without a type
// modifier moves as its decimal128 storage.
func tid(t arrow.DataType) arrow.Type {
	if types.IsVarNumeric(t) {
		return arrow.DECIMAL128
	}
	return t.ID()
}

// storageBuilder is b, or the storage builder of an extension builder.
func storageBuilder(b array.Builder) array.Builder {
	if e, ok := b.(*array.ExtensionBuilder); ok {
		return e.Builder
	}
	return b
}

// varNum is a numeric value with its scale.
type varNum struct {
	v decimal128.Num
	s int32
}

func unpack(n decimal128.Num) varNum {
	v, s := types.UnpackNumeric(n)
	return varNum{v, s}
}

func varOverflow() error { return errs.New(errs.NumericRange, "value overflows numeric format") }

// roundQuo is num/den rounded half away from zero.
func roundQuo(num, den *big.Int) *big.Int {
	q, r := new(big.Int).QuoRem(num, den, new(big.Int))
	if r.Sign() != 0 {
		r2 := new(big.Int).Abs(r)
		r2.Lsh(r2, 1)
		if r2.Cmp(new(big.Int).Abs(den)) >= 0 {
			if (num.Sign() < 0) != (den.Sign() < 0) {
				q.Sub(q, big.NewInt(1))
			} else {
				q.Add(q, big.NewInt(1))
			}
		}
	}
	return q
}

var maxVarBig = new(big.Int).Sub(pow10(types.VarNumericDigits), big.NewInt(1))

// packBig packs the value u·10^-s, rounding away places that do not fit.
func packBig(u *big.Int, s int32) (decimal128.Num, error) {
	for s > types.MaxVarNumericScale {
		u, s = roundQuo(u, bigTen), s-1
	}
	for new(big.Int).Abs(u).Cmp(maxVarBig) > 0 {
		if s == 0 {
			return decimal128.Num{}, varOverflow()
		}
		u, s = roundQuo(u, pow10(1)), s-1
	}
	n, ok := types.PackNumeric(decimal128.FromBigInt(u), s)
	if !ok {
		return decimal128.Num{}, varOverflow()
	}
	return n, nil
}

// packNum packs v of scale s, rounding away places that do not fit.
func packNum(v decimal128.Num, s int32) (decimal128.Num, error) {
	if n, ok := types.PackNumeric(v, s); ok {
		return n, nil
	}
	return packBig(v.BigInt(), s)
}

// varArith computes l op r over packed values; both arrays are VarNumeric.
func varArith(mem memory.Allocator, op BinaryOp, l, r arrow.Array, validity *memory.Buffer) (arrow.Array, error) {
	a, b := values[decimal128.Num](l), values[decimal128.Num](r)
	n := l.Len()
	buf, out := newValues[decimal128.Num](mem, n)
	var valid []byte
	if validity != nil {
		valid = validity.Bytes()
	}
	for i := range out {
		if skip(valid, i) {
			continue
		}
		z, err := varOp(op, unpack(a[i]), unpack(b[i]))
		if err != nil {
			buf.Release()
			if validity != nil {
				validity.Release()
			}
			return nil, err
		}
		out[i] = z
	}
	return makeArray(types.VarNumeric, n, validity, buf), nil
}

// varOp is x op y, packed.
func varOp(op BinaryOp, x, y varNum) (decimal128.Num, error) {
	switch op {
	case Add, Sub:
		s := max(x.s, y.s)
		if a, ok := rescaleUp(x.v, s-x.s); ok && fitsHalf(a) {
			if b, ok := rescaleUp(y.v, s-y.s); ok && fitsHalf(b) {
				if op == Add {
					return packNum(a.Add(b), s)
				}
				return packNum(a.Sub(b), s)
			}
		}
		u := new(big.Int).Mul(x.v.BigInt(), pow10(s-x.s))
		w := new(big.Int).Mul(y.v.BigInt(), pow10(s-y.s))
		if op == Add {
			return packBig(u.Add(u, w), s)
		}
		return packBig(u.Sub(u, w), s)
	case Mul:
		if fitsInt64(x.v) && fitsInt64(y.v) {
			return packNum(x.v.Mul(y.v), x.s+y.s)
		}
		return packBig(new(big.Int).Mul(x.v.BigInt(), y.v.BigInt()), x.s+y.s)
	case Div:
		return varDivBig(x.v.BigInt(), x.s, y.v.BigInt(), y.s)
	case Mod:
		if y.v.Sign() == 0 {
			return decimal128.Num{}, divZero()
		}
		s := max(x.s, y.s)
		u := new(big.Int).Mul(x.v.BigInt(), pow10(s-x.s))
		w := new(big.Int).Mul(y.v.BigInt(), pow10(s-y.s))
		return packBig(new(big.Int).Rem(u, w), s)
	}
	return decimal128.Num{}, typeErr("operator %s on numeric", op)
}

var halfLimit = decimal128.GetMaxValue(37)

func fitsHalf(v decimal128.Num) bool { a := v.Abs(); return a.Sign() >= 0 && a.LessEqual(halfLimit) }

// fitsInt64 reports whether v is an int64: products of two such fit 128 bits.
func fitsInt64(v decimal128.Num) bool {
	return v.HighBits() == int64(v.LowBits())>>63
}

// varCompare compares two VarNumeric arrays row by row into out.
func varCompare(op BinaryOp, l, r arrow.Array, out []byte) {
	a, b := values[decimal128.Num](l), values[decimal128.Num](r)
	for i := range a {
		x, y := unpack(a[i]), unpack(b[i])
		if holds(op, types.CompareNumeric(x.v, x.s, y.v, y.s)) {
			bitutil.SetBit(out, i)
		}
	}
}

// varComparer compares packed values by value.
func varComparer(a, b arrow.Array) rowComparer {
	x, y := values[decimal128.Num](a), values[decimal128.Num](b)
	return func(i, j int) int {
		p, q := unpack(x[i]), unpack(y[j])
		return types.CompareNumeric(p.v, p.s, q.v, q.s)
	}
}

// varEncoder encodes values so that equal numbers of any scale encode alike.
func varEncoder(a arrow.Array) rowEncoder {
	v := values[decimal128.Num](a)
	return func(dst []byte, i int) []byte {
		x := unpack(v[i])
		n, s := types.NormalNumeric(x.v, x.s)
		dst = binary.LittleEndian.AppendUint64(dst, n.LowBits())
		dst = binary.LittleEndian.AppendUint64(dst, uint64(n.HighBits()))
		return append(dst, byte(s))
	}
}

// FormatVarNumeric is the text of a packed numeric value, as PostgreSQL prints it.
func FormatVarNumeric(n decimal128.Num) string {
	x := unpack(n)
	return formatDecimal(x.v, x.s)
}

// ParseVarNumeric reads numeric text as PostgreSQL's numeric_in does, keeping the scale
// written in it ('2.50' has scale 2, '1.5e-2' scale 3, '1e3' scale 0), packed.
func ParseVarNumeric(s string) (decimal128.Num, error) {
	t := strings.TrimSpace(s)
	bad := func() (decimal128.Num, error) {
		return decimal128.Num{}, errs.New(errs.InvalidText, "invalid input syntax for type numeric: %q", s)
	}
	mant, exp := t, 0
	if i := strings.IndexAny(t, "eE"); i >= 0 {
		e, err := strconv.Atoi(t[i+1:])
		if err != nil {
			return bad()
		}
		if e > 1000 || e < -1000 {
			return decimal128.Num{}, errs.New(errs.NumericRange, "value overflows numeric format")
		}
		mant, exp = t[:i], e
	}
	neg := false
	if mant != "" && (mant[0] == '+' || mant[0] == '-') {
		neg = mant[0] == '-'
		mant = mant[1:]
	}
	intPart, frac, _ := strings.Cut(mant, ".")
	if intPart == "" && frac == "" || strings.ContainsAny(frac, ".") {
		return bad()
	}
	digits := intPart + frac
	for _, c := range digits {
		if c < '0' || c > '9' {
			return bad()
		}
	}
	u, ok := new(big.Int).SetString(digits, 10)
	if !ok {
		return bad()
	}
	scale := int32(len(frac)) - int32(exp)
	if scale < 0 {
		u.Mul(u, pow10(-scale))
		scale = 0
	}
	if neg {
		u.Neg(u)
	}
	return packBig(u, scale)
}

// varFromDecimal packs v of scale s.
func varFromDecimal(v decimal128.Num, s int32) (decimal128.Num, error) { return packNum(v, s) }

// castToVarNumeric packs integers or numeric(p,s) values over their buffers; ok is false for
// other types.
func castToVarNumeric(mem memory.Allocator, a arrow.Array) (arrow.Array, bool, error) {
	var sc int32
	var get func(i int) decimal128.Num
	switch t := a.DataType().(type) {
	case *arrow.Decimal128Type:
		v := values[decimal128.Num](a)
		sc, get = t.Scale, func(i int) decimal128.Num { return v[i] }
	case *arrow.Int16Type:
		v := values[int16](a)
		get = func(i int) decimal128.Num { return decimal128.FromI64(int64(v[i])) }
	case *arrow.Int32Type:
		v := values[int32](a)
		get = func(i int) decimal128.Num { return decimal128.FromI64(int64(v[i])) }
	case *arrow.Int64Type:
		v := values[int64](a)
		get = func(i int) decimal128.Num { return decimal128.FromI64(v[i]) }
	default:
		return nil, false, nil
	}
	n := a.Len()
	validity := copyValidity(mem, a)
	var valid []byte
	if validity != nil {
		valid = validity.Bytes()
	}
	buf, out := newValues[decimal128.Num](mem, n)
	for i := range out {
		if skip(valid, i) {
			continue
		}
		p, err := packNum(get(i), sc)
		if err != nil {
			buf.Release()
			if validity != nil {
				validity.Release()
			}
			return nil, true, err
		}
		out[i] = p
	}
	return makeArray(types.VarNumeric, n, validity, buf), true, nil
}

// varToDecimal is a packed value at scale s with precision p, rounded half away from zero.
func varToDecimal(n decimal128.Num, p, s int32) (decimal128.Num, error) {
	x := unpack(n)
	var u *big.Int
	if s >= x.s {
		u = new(big.Int).Mul(x.v.BigInt(), pow10(s-x.s))
	} else {
		u = roundQuo(x.v.BigInt(), pow10(x.s-s))
	}
	if new(big.Int).Abs(u).Cmp(pow10(p)) >= 0 {
		return decimal128.Num{}, errs.New(errs.NumericRange, "numeric field overflow")
	}
	return decimal128.FromBigInt(u), nil
}

// varToFloat is a packed value as the nearest float, as PostgreSQL converts numeric text.
func varToFloat(n decimal128.Num, bits int) float64 {
	f, _ := strconv.ParseFloat(FormatVarNumeric(n), bits)
	return f
}

// varFromFloat is f as numeric, as PostgreSQL's float8_numeric (15 significant digits) and
// float4_numeric (6) convert it.
func varFromFloat(f float64, bits int) (decimal128.Num, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return decimal128.Num{}, errs.New(errs.NumericRange, "cannot convert %s to numeric", formatFloat(f, bits))
	}
	digits := 15
	if bits == 32 {
		digits = 6
	}
	return ParseVarNumeric(strconv.FormatFloat(f, 'g', digits, bits))
}

// varToInt is a packed value rounded half away from zero to an integer of type to.
func varToInt(n decimal128.Num, to arrow.DataType) (any, error) {
	d, err := varToDecimal(n, 38, 0)
	if err != nil || !d.FitsInPrecision(19) {
		return nil, rangeErr(to)
	}
	b := d.BigInt()
	if !b.IsInt64() {
		return nil, rangeErr(to)
	}
	i := b.Int64()
	switch to.ID() {
	case arrow.INT16:
		if i < math.MinInt16 || i > math.MaxInt16 {
			return nil, rangeErr(to)
		}
		return int16(i), nil
	case arrow.INT32:
		if i < math.MinInt32 || i > math.MaxInt32 {
			return nil, rangeErr(to)
		}
		return int32(i), nil
	}
	return i, nil
}

// convertVarNumeric converts a non-NULL value between numeric without a type modifier and
// another type; ok is false when neither side is VarNumeric.
func convertVarNumeric(v any, from, to arrow.DataType) (out any, ok bool, err error) {
	switch {
	case types.IsVarNumeric(from) && types.IsVarNumeric(to):
		return v, true, nil
	case types.IsVarNumeric(from):
		n := v.(decimal128.Num)
		switch to.ID() {
		case arrow.STRING:
			return FormatVarNumeric(n), true, nil
		case arrow.DECIMAL128:
			d := to.(*arrow.Decimal128Type)
			out, err = varToDecimal(n, d.Precision, d.Scale)
			return out, true, err
		case arrow.FLOAT64:
			return varToFloat(n, 64), true, nil
		case arrow.FLOAT32:
			return float32(varToFloat(n, 32)), true, nil
		case arrow.INT16, arrow.INT32, arrow.INT64:
			out, err = varToInt(n, to)
			return out, true, err
		}
	case types.IsVarNumeric(to):
		switch x := v.(type) {
		case string:
			out, err = ParseVarNumeric(x)
		case decimal128.Num:
			out, err = varFromDecimal(x, from.(*arrow.Decimal128Type).Scale)
		case int16:
			out, err = packNum(decimal128.FromI64(int64(x)), 0)
		case int32:
			out, err = packNum(decimal128.FromI64(int64(x)), 0)
		case int64:
			out, err = packNum(decimal128.FromI64(x), 0)
		case float64:
			out, err = varFromFloat(x, 64)
		case float32:
			out, err = varFromFloat(float64(x), 32)
		default:
			return nil, false, nil
		}
		return out, true, err
	}
	return nil, false, nil
}

// varUnary is -x or abs(x) of a VarNumeric array, keeping each value's scale.
func varUnary(mem memory.Allocator, a arrow.Array, abs bool) (arrow.Array, error) {
	vals := values[decimal128.Num](a)
	buf, out := newValues[decimal128.Num](mem, a.Len())
	for i, n := range vals {
		x := unpack(n)
		if abs {
			x.v = x.v.Abs()
		} else {
			x.v = x.v.Negate()
		}
		out[i], _ = types.PackNumeric(x.v, x.s)
	}
	return makeArray(types.VarNumeric, a.Len(), copyValidity(mem, a), buf), nil
}

// varSumState is sum or avg with a numeric result without a type modifier, over integers,
// numerics or numerics without a modifier. Each group's exact sum keeps the largest scale of
// its values, as PostgreSQL's numeric addition does; avg divides it by the count with
// PostgreSQL's division scale (numeric_avg).
type varSumState struct {
	avg     bool
	sums    []decimal128.Num // each group's sum at scales[g], while it fits 128 bits
	bigs    []*big.Int       // the sum past that, or nil
	parts   []int64          // integer arguments not yet added to sums
	scales  []int32
	started []bool
	counts  []int64
}

func (s *varSumState) grow(n int) {
	s.sums, s.bigs, s.parts = grown(s.sums, n), grown(s.bigs, n), grown(s.parts, n)
	s.scales, s.started, s.counts = grown(s.scales, n), grown(s.started, n), grown(s.counts, n)
}

// scaleLimits[d] is the largest magnitude that times 10^d stays within 38 digits.
var scaleLimits = func() [types.MaxVarNumericScale + 1]decimal128.Num {
	var l [types.MaxVarNumericScale + 1]decimal128.Num
	for d := range l {
		l[d] = decimal128.GetMaxValue(int32(38 - d))
	}
	return l
}()

// rescaleUp is v·10^d when that stays within 38 digits.
func rescaleUp(v decimal128.Num, d int32) (decimal128.Num, bool) {
	if d == 0 {
		return v, true
	}
	if d < 0 || d > types.MaxVarNumericScale {
		return v, false
	}
	a := v.Abs()
	if a.Sign() < 0 || a.Greater(scaleLimits[d]) {
		return v, false
	}
	return v.Mul(types.Pow10(d)), true
}

// add128 is x+y, ok false when the sum overflows 128 bits.
func add128(x, y decimal128.Num) (decimal128.Num, bool) {
	z := x.Add(y)
	sx := x.Sign()
	return z, sx != y.Sign() || sx == 0 || z.Sign() == sx
}

// add adds v·10^-sc to group g: in 128 bits at the larger scale while the sum fits, else
// through a big integer.
func (s *varSumState) add(g int32, v decimal128.Num, sc int32) {
	if !s.started[g] {
		s.sums[g], s.scales[g], s.started[g] = v, sc, true
		return
	}
	if s.bigs[g] == nil {
		cur := s.scales[g]
		if sc == cur {
			if z, ok := add128(s.sums[g], v); ok {
				s.sums[g] = z
				return
			}
		} else if v == (decimal128.Num{}) && sc < cur {
			return
		}
		if sc > cur {
			up, ok := rescaleUp(s.sums[g], sc-cur)
			if ok {
				s.sums[g], s.scales[g], cur = up, sc, sc
			}
		}
		if sc <= cur {
			if w, ok := rescaleUp(v, cur-sc); ok {
				if z, ok := add128(s.sums[g], w); ok {
					s.sums[g] = z
					return
				}
			}
		}
	}
	sum := s.bigs[g]
	if sum == nil {
		sum = s.sums[g].BigInt()
		s.bigs[g] = sum
	}
	u := v.BigInt()
	switch {
	case sc > s.scales[g]:
		sum.Mul(sum, bigPow10s[sc-s.scales[g]])
		s.scales[g] = sc
	case sc < s.scales[g]:
		u.Mul(u, bigPow10s[s.scales[g]-sc])
	}
	sum.Add(sum, u)
}

// addInts adds integer arguments in int64 parts, moving a part into the sum when the next
// value would overflow it.
func addVarInts[T integer](s *varSumState, gids []int32, arr arrow.Array) {
	v := values[T](arr)
	nulls := arr.NullN() > 0
	for i, g := range gids {
		if g < 0 || (nulls && arr.IsNull(i)) {
			continue
		}
		x, y := s.parts[g], int64(v[i])
		z := x + y
		if (x^z)&(y^z) < 0 {
			s.add(g, decimal128.FromI64(x), 0)
			z = y
		}
		s.parts[g] = z
		s.counts[g]++
	}
}

func (s *varSumState) update(gids []int32, arr arrow.Array) error {
	t := arr.DataType()
	switch {
	case types.IsVarNumeric(t):
		v := values[decimal128.Num](arr)
		nulls := arr.NullN() > 0
		for i, g := range gids {
			if g >= 0 && (!nulls || arr.IsValid(i)) {
				x, sc := types.UnpackNumeric(v[i])
				s.add(g, x, sc)
				s.counts[g]++
			}
		}
	case t.ID() == arrow.DECIMAL128:
		v := values[decimal128.Num](arr)
		sc := t.(*arrow.Decimal128Type).Scale
		nulls := arr.NullN() > 0
		for i, g := range gids {
			if g >= 0 && (!nulls || arr.IsValid(i)) {
				s.add(g, v[i], sc)
				s.counts[g]++
			}
		}
	case t.ID() == arrow.INT16:
		addVarInts[int16](s, gids, arr)
	case t.ID() == arrow.INT32:
		addVarInts[int32](s, gids, arr)
	default:
		addVarInts[int64](s, gids, arr)
	}
	return nil
}

func (s *varSumState) finish(mem memory.Allocator) (arrow.Array, error) {
	n := len(s.sums)
	buf, out := newValues[decimal128.Num](mem, n)
	seen := make([]bool, n)
	for g := range out {
		if s.counts[g] == 0 {
			continue
		}
		if s.parts[g] != 0 {
			s.add(int32(g), decimal128.FromI64(s.parts[g]), 0)
			s.parts[g] = 0
		}
		sum := s.bigs[g]
		if sum == nil {
			sum = s.sums[g].BigInt()
		}
		var err error
		if s.avg {
			out[g], err = varDivBig(sum, s.scales[g], big.NewInt(s.counts[g]), 0)
		} else {
			out[g], err = packBig(new(big.Int).Set(sum), s.scales[g])
		}
		if err != nil {
			buf.Release()
			return nil, err
		}
		seen[g] = true
	}
	return makeArray(types.VarNumeric, n, seenValidity(mem, seen), buf), nil
}

// varDivBig is (x·10^-xs) / (y·10^-ys) at PostgreSQL's division scale, packed.
func varDivBig(xb *big.Int, xs int32, yb *big.Int, ys int32) (decimal128.Num, error) {
	if yb.Sign() == 0 {
		return decimal128.Num{}, divZero()
	}
	rs := types.DivScale(xb, xs, yb, ys)
	for {
		num, den := new(big.Int).Set(xb), new(big.Int).Set(yb)
		if e := rs - xs + ys; e >= 0 {
			num.Mul(num, pow10(e))
		} else {
			den.Mul(den, pow10(-e))
		}
		q := roundQuo(num, den)
		if new(big.Int).Abs(q).Cmp(maxVarBig) <= 0 || rs == 0 {
			return packBig(q, rs)
		}
		rs--
	}
}

// cmpVarNum compares packed values by value.
func cmpVarNum(a, b decimal128.Num) int {
	x, y := unpack(a), unpack(b)
	return types.CompareNumeric(x.v, x.s, y.v, y.s)
}

// varRounding is round, trunc, ceil or floor (dec rounds an unscaled value divided by a
// power of ten to an integer) of numerics without a type modifier, at the places of the
// second argument (0 without one): each result shows max(places, 0) decimals, as
// PostgreSQL's do.
func varRounding(mem memory.Allocator, dec func(x, d *big.Int) *big.Int, args []arrow.Array) (arrow.Array, error) {
	a := args[0]
	var places []int32
	if len(args) == 2 {
		places = values[int32](args[1])
	}
	validity := andValidity(mem, args...)
	buf, res := newValues[decimal128.Num](mem, a.Len())
	src := values[decimal128.Num](a)
	fail := func(err error) (arrow.Array, error) {
		buf.Release()
		if validity != nil {
			validity.Release()
		}
		return nil, err
	}
	for i := range res {
		if validity != nil && skip(validity.Bytes(), i) {
			continue
		}
		x := unpack(src[i])
		p := int32(0)
		if places != nil {
			p = min(max(places[i], -types.VarNumericDigits-1), types.MaxVarNumericScale)
		}
		q := x.v.BigInt()
		if p < x.s {
			q = dec(q, pow10(x.s-p))
		} else {
			q.Mul(q, pow10(p-x.s))
		}
		if p < 0 {
			q.Mul(q, pow10(-p))
		}
		n, err := packBig(q, max(p, 0))
		if err != nil {
			return fail(err)
		}
		res[i] = n
	}
	return makeArray(types.VarNumeric, a.Len(), validity, buf), nil
}
