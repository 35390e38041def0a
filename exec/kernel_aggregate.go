package exec

import (
	"math"
	"math/big"
	"strings"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/types"
)

// aggState is the state of one aggregate for every group, indexed by group id.
type aggState interface {
	// grow makes room for groups 0..n-1.
	grow(n int)
	// update folds row i of arr into group gids[i], skipping rows with gids[i] < 0. arr is
	// nil for count(*).
	update(gids []int32, arr arrow.Array) error
	// finish returns one value per group.
	finish(mem memory.Allocator) (arrow.Array, error)
}

func newAggState(fn string, arg, result arrow.DataType) aggState {
	if isIntervalSumAvg(fn, arg) {
		return &intervalSumState{avg: fn == "avg"}
	}
	switch fn {
	case "count_star", "count":
		return &countState{}
	case "sum", "avg":
		if types.IsVarNumeric(result) {
			return &varSumState{avg: fn == "avg"}
		}
	}
	switch fn {
	case "sum":
		switch arg.ID() {
		case arrow.INT16:
			return &sumIntState[int16]{}
		case arrow.INT32:
			return &sumIntState[int32]{}
		case arrow.INT64:
			return &sumNumState{typ: result}
		case arrow.FLOAT32:
			return &sumFloatState[float32]{typ: result}
		case arrow.FLOAT64:
			return &sumFloatState[float64]{typ: result}
		case arrow.DECIMAL128:
			return &sumNumState{typ: result}
		}
	case "avg":
		switch arg.ID() {
		case arrow.FLOAT32, arrow.FLOAT64:
			return &avgFloatState{}
		}
		return &avgNumState{typ: result, argScale: scaleOf(arg)}
	case "min", "max":
		return newMinMax(arg, fn == "max")
	}
	if s := newExtraState(fn, arg, result); s != nil {
		return s
	}
	panic("exec: no aggregate " + fn)
}

func scaleOf(t arrow.DataType) int32 {
	if d, ok := t.(*arrow.Decimal128Type); ok {
		return d.Scale
	}
	return 0
}

// grown extends s to n elements.
func grown[T any](s []T, n int) []T {
	if n <= len(s) {
		return s
	}
	return append(s, make([]T, n-len(s))...)
}

type countState struct{ counts []int64 }

func (s *countState) grow(n int) { s.counts = grown(s.counts, n) }

func (s *countState) update(gids []int32, arr arrow.Array) error {
	g, ok := uniformGroup(gids)
	return s.updateIn(gids, arr, g, ok)
}

func (s *countState) updateOne(gids []int32, arr arrow.Array) error {
	return s.updateIn(gids, arr, 0, len(gids) > 0)
}

// updateIn is update, told whether every row is in group g (uniform).
func (s *countState) updateIn(gids []int32, arr arrow.Array, g int32, uniform bool) error {
	nulls := 0
	if arr != nil {
		nulls = arr.NullN()
	}
	if uniform {
		// Every row in one group (an aggregate without GROUP BY): the batch's count at once.
		if g >= 0 {
			s.counts[g] += int64(len(gids) - nulls)
		}
		return nil
	}
	if nulls == 0 {
		for _, g := range gids {
			if g >= 0 {
				s.counts[g]++
			}
		}
		return nil
	}
	bits, off := validBits(arr)
	if bits == nil {
		for i, g := range gids {
			if g >= 0 && arr.IsValid(i) {
				s.counts[g]++
			}
		}
		return nil
	}
	for i, g := range gids {
		if g >= 0 && bitutil.BitIsSet(bits, off+i) {
			s.counts[g]++
		}
	}
	return nil
}

// uniformGroup returns the group of every row of gids when they all have the same one
// (which is negative if every row is skipped), and false when they do not or gids is empty.
// oneGroupState is an aggState told when every row of a batch is in group 0 (an aggregate
// without GROUP BY, FILTER or DISTINCT), so that it need not look at gids to find out.
type oneGroupState interface {
	// updateOne is update for gids that are all 0.
	updateOne(gids []int32, arr arrow.Array) error
}

func uniformGroup(gids []int32) (int32, bool) {
	if len(gids) == 0 {
		return 0, false
	}
	g := gids[0]
	for _, x := range gids[1:] {
		if x != g {
			return 0, false
		}
	}
	return g, true
}

// validBits returns arr's validity bitmap and the bit of its row 0, or nil when arr has no
// NULLs or keeps them without a bitmap (an array of type null).
func validBits(arr arrow.Array) ([]byte, int) {
	if arr.NullN() == 0 {
		return nil, 0
	}
	b := arr.NullBitmapBytes()
	if len(b) == 0 {
		return nil, 0
	}
	return b, arr.Data().Offset()
}

func (s *countState) finish(mem memory.Allocator) (arrow.Array, error) {
	buf, out := newValues[int64](mem, len(s.counts))
	copy(out, s.counts)
	return makeArray(arrow.PrimitiveTypes.Int64, len(s.counts), nil, buf), nil
}

// seenValidity builds a validity bitmap from per-group "has a value" flags.
func seenValidity(mem memory.Allocator, seen []bool) *memory.Buffer {
	v := newBitmap(mem, len(seen), false)
	b := v.Bytes()
	for i, s := range seen {
		if s {
			bitutil.SetBit(b, i)
		}
	}
	return v
}

// valid reports whether row i of arr counts (not NULL, group not skipped).
func validRow(arr arrow.Array, gids []int32, i int) bool {
	return gids[i] >= 0 && (arr.NullN() == 0 || arr.IsValid(i))
}

type sumIntState[T int16 | int32] struct {
	sums []int64
	seen []bool
}

func (s *sumIntState[T]) grow(n int) { s.sums, s.seen = grown(s.sums, n), grown(s.seen, n) }

func (s *sumIntState[T]) update(gids []int32, arr arrow.Array) error {
	v := values[T](arr)
	if g, ok := uniformGroup(gids); ok && (arr.NullN() == 0 || len(arr.NullBitmapBytes()) > 0) {
		// Every row in one group (an aggregate without GROUP BY): the batch summed on its
		// own, which cannot overflow (fewer than 2^32 values of at most 32 bits), then added.
		if g < 0 {
			return nil
		}
		var sum int64
		any := false
		if bits, off := validBits(arr); bits == nil {
			for _, x := range v[:len(gids)] {
				sum += int64(x)
			}
			any = len(gids) > 0
		} else {
			for i, x := range v[:len(gids)] {
				if bitutil.BitIsSet(bits, off+i) {
					sum += int64(x)
					any = true
				}
			}
		}
		if !any {
			return nil
		}
		x := s.sums[g]
		z := x + sum
		if (x^z)&(sum^z) < 0 {
			return errs.New(errs.NumericRange, "bigint out of range")
		}
		s.sums[g], s.seen[g] = z, true
		return nil
	}
	bits, off := validBits(arr)
	nulls := bits == nil && arr.NullN() > 0
	for i, g := range gids {
		if g < 0 || bits != nil && !bitutil.BitIsSet(bits, off+i) || nulls && arr.IsNull(i) {
			continue
		}
		x, y := s.sums[g], int64(v[i])
		z := x + y
		if (x^z)&(y^z) < 0 {
			return errs.New(errs.NumericRange, "bigint out of range")
		}
		s.sums[g], s.seen[g] = z, true
	}
	return nil
}

func (s *sumIntState[T]) finish(mem memory.Allocator) (arrow.Array, error) {
	buf, out := newValues[int64](mem, len(s.sums))
	copy(out, s.sums)
	return makeArray(arrow.PrimitiveTypes.Int64, len(s.sums), seenValidity(mem, s.seen), buf), nil
}

type sumFloatState[T float32 | float64] struct {
	typ  arrow.DataType
	sums []T
	seen []bool
}

func (s *sumFloatState[T]) grow(n int) { s.sums, s.seen = grown(s.sums, n), grown(s.seen, n) }

func (s *sumFloatState[T]) update(gids []int32, arr arrow.Array) error {
	g, ok := uniformGroup(gids)
	return s.updateIn(gids, arr, g, ok)
}

func (s *sumFloatState[T]) updateOne(gids []int32, arr arrow.Array) error {
	return s.updateIn(gids, arr, 0, len(gids) > 0)
}

// updateIn is update, told whether every row is in group g (uniform).
func (s *sumFloatState[T]) updateIn(gids []int32, arr arrow.Array, g int32, uniform bool) error {
	v := values[T](arr)
	if uniform && g >= 0 && arr.NullN() == 0 {
		// Every row in one group, none NULL (an aggregate without GROUP BY): add the batch
		// in one loop, in row order as below. The sum is that of the loop below unless it
		// ends infinite or NaN, where the loop below decides whether it overflowed.
		z := s.sums[g]
		for _, y := range v {
			z += y
		}
		if !math.IsInf(float64(z), 0) && z == z {
			s.sums[g] = z
			s.seen[g] = true // uniformGroup: at least one row
			return nil
		}
	}
	for i, g := range gids {
		if validRow(arr, gids, i) {
			x, y := s.sums[g], v[i]
			z := x + y
			// PostgreSQL's float4pl / float8pl: an infinite sum of finite values overflows.
			if math.IsInf(float64(z), 0) && !math.IsInf(float64(x), 0) && !math.IsInf(float64(y), 0) {
				return errs.New(errs.NumericRange, "value out of range: overflow")
			}
			s.sums[g] = z
			s.seen[g] = true
		}
	}
	return nil
}

func (s *sumFloatState[T]) finish(mem memory.Allocator) (arrow.Array, error) {
	buf, out := newValues[T](mem, len(s.sums))
	copy(out, s.sums)
	return makeArray(s.typ, len(s.sums), seenValidity(mem, s.seen), buf), nil
}

// numAcc accumulates exact 128-bit sums and counts per group. Integers are summed into an
// int64 per group first, which spills into the 128-bit sum only when it would overflow.
type numAcc struct {
	sums   []decimal128.Num
	parts  []int64
	counts []int64
}

func (a *numAcc) grow(n int) {
	a.sums, a.parts, a.counts = grown(a.sums, n), grown(a.parts, n), grown(a.counts, n)
}

func addInts[T integer](a *numAcc, gids []int32, arr arrow.Array) {
	v := values[T](arr)
	nulls := arr.NullN() > 0
	for i, g := range gids {
		if g < 0 || (nulls && arr.IsNull(i)) {
			continue
		}
		x, y := a.parts[g], int64(v[i])
		z := x + y
		if (x^z)&(y^z) < 0 {
			a.sums[g] = a.sums[g].Add(decimal128.FromI64(x))
			z = y
		}
		a.parts[g] = z
		a.counts[g]++
	}
}

func (a *numAcc) update(gids []int32, arr arrow.Array) error {
	switch arr.DataType().ID() {
	case arrow.INT16:
		addInts[int16](a, gids, arr)
	case arrow.INT32:
		addInts[int32](a, gids, arr)
	case arrow.INT64:
		addInts[int64](a, gids, arr)
	case arrow.DECIMAL128:
		v := values[decimal128.Num](arr)
		for i, g := range gids {
			if !validRow(arr, gids, i) {
				continue
			}
			x, y := a.sums[g], v[i]
			z := x.Add(y)
			if x.Sign() == y.Sign() && x.Sign() != 0 && z.Sign() != x.Sign() {
				return errs.New(errs.NumericRange, "numeric field overflow")
			}
			a.sums[g] = z
			a.counts[g]++
		}
	}
	return nil
}

// total is group g's exact sum.
func (a *numAcc) total(g int) decimal128.Num {
	return a.sums[g].Add(decimal128.FromI64(a.parts[g]))
}

type sumNumState struct {
	typ arrow.DataType
	numAcc
}

func (s *sumNumState) finish(mem memory.Allocator) (arrow.Array, error) {
	n := len(s.sums)
	buf, out := newValues[decimal128.Num](mem, n)
	seen := make([]bool, n)
	for g := range out {
		t := s.total(g)
		if !fits38(t) {
			buf.Release()
			return nil, errs.New(errs.NumericRange, "numeric field overflow")
		}
		out[g], seen[g] = t, s.counts[g] > 0
	}
	return makeArray(s.typ, n, seenValidity(mem, seen), buf), nil
}

// avgNumState is avg over integers or decimals: an exact sum divided by the count at the
// result's scale, rounded half away from zero.
type avgNumState struct {
	typ      arrow.DataType
	argScale int32
	numAcc
}

func (s *avgNumState) finish(mem memory.Allocator) (arrow.Array, error) {
	n := len(s.sums)
	buf, out := newValues[decimal128.Num](mem, n)
	seen := make([]bool, n)
	mul := pow10(s.typ.(*arrow.Decimal128Type).Scale - s.argScale)
	x, y, q, r := new(big.Int), new(big.Int), new(big.Int), new(big.Int)
	for g := range out {
		if s.counts[g] == 0 {
			continue
		}
		x.Mul(s.total(g).BigInt(), mul)
		y.SetInt64(s.counts[g])
		v, ok := divRound(x, y, q, r)
		if !ok {
			buf.Release()
			return nil, errs.New(errs.NumericRange, "numeric field overflow")
		}
		out[g], seen[g] = v, true
	}
	return makeArray(s.typ, n, seenValidity(mem, seen), buf), nil
}

type avgFloatState struct {
	sums   []float64
	counts []int64
}

func (s *avgFloatState) grow(n int) { s.sums, s.counts = grown(s.sums, n), grown(s.counts, n) }

func (s *avgFloatState) update(gids []int32, arr arrow.Array) error {
	if arr.DataType().ID() == arrow.FLOAT32 {
		v := values[float32](arr)
		for i, g := range gids {
			if validRow(arr, gids, i) {
				s.sums[g] += float64(v[i])
				s.counts[g]++
			}
		}
		return nil
	}
	v := values[float64](arr)
	for i, g := range gids {
		if validRow(arr, gids, i) {
			s.sums[g] += v[i]
			s.counts[g]++
		}
	}
	return nil
}

func (s *avgFloatState) finish(mem memory.Allocator) (arrow.Array, error) {
	n := len(s.sums)
	buf, out := newValues[float64](mem, n)
	seen := make([]bool, n)
	for g := range out {
		if s.counts[g] > 0 {
			out[g], seen[g] = s.sums[g]/float64(s.counts[g]), true
		}
	}
	return makeArray(arrow.PrimitiveTypes.Float64, n, seenValidity(mem, seen), buf), nil
}

// minMaxState keeps the least (or greatest) value per group in PostgreSQL order.
type minMaxState[T any] struct {
	typ  arrow.DataType
	max  bool
	cmp  func(a, b T) int
	get  func(arr arrow.Array) func(i int) T
	own  func(T) T // copies a borrowed value before it is kept (nil: values are plain)
	vals []T
	seen []bool
	// build makes the output array from vals and seen.
	build func(mem memory.Allocator, typ arrow.DataType, vals []T, seen []bool) arrow.Array
}

func (s *minMaxState[T]) grow(n int) { s.vals, s.seen = grown(s.vals, n), grown(s.seen, n) }

func (s *minMaxState[T]) update(gids []int32, arr arrow.Array) error {
	at := s.get(arr)
	for i, g := range gids {
		if !validRow(arr, gids, i) {
			continue
		}
		v := at(i)
		if s.seen[g] {
			c := s.cmp(v, s.vals[g])
			if (s.max && c <= 0) || (!s.max && c >= 0) {
				continue
			}
		}
		if s.own != nil {
			v = s.own(v)
		}
		s.vals[g], s.seen[g] = v, true
	}
	return nil
}

func (s *minMaxState[T]) finish(mem memory.Allocator) (arrow.Array, error) {
	return s.build(mem, s.typ, s.vals, s.seen), nil
}

func fixedGet[T arrow.FixedWidthType](arr arrow.Array) func(int) T {
	v := values[T](arr)
	return func(i int) T { return v[i] }
}

func fixedBuild[T arrow.FixedWidthType](mem memory.Allocator, typ arrow.DataType, vals []T, seen []bool) arrow.Array {
	buf, out := newValues[T](mem, len(vals))
	copy(out, vals)
	return makeArray(typ, len(vals), seenValidity(mem, seen), buf)
}

// minMaxInt is minMaxState for integer-like values, compared in place without calls per row.
type minMaxInt[T integer] struct {
	typ  arrow.DataType
	max  bool
	vals []T
	seen []bool
}

func (s *minMaxInt[T]) grow(n int) { s.vals, s.seen = grown(s.vals, n), grown(s.seen, n) }

func (s *minMaxInt[T]) update(gids []int32, arr arrow.Array) error {
	v := values[T](arr)
	v = v[:len(gids)]
	nulls := arr.NullN() > 0
	vals, seen := s.vals, s.seen
	for i, g := range gids {
		if g < 0 || (nulls && arr.IsNull(i)) {
			continue
		}
		x := v[i]
		switch {
		case !seen[g]:
			vals[g], seen[g] = x, true
		case s.max:
			if x > vals[g] {
				vals[g] = x
			}
		default:
			if x < vals[g] {
				vals[g] = x
			}
		}
	}
	return nil
}

func (s *minMaxInt[T]) finish(mem memory.Allocator) (arrow.Array, error) {
	buf, out := newValues[T](mem, len(s.vals))
	copy(out, s.vals)
	return makeArray(s.typ, len(s.vals), seenValidity(mem, s.seen), buf), nil
}

func newFixedMinMax[T arrow.FixedWidthType](typ arrow.DataType, isMax bool, cmp func(a, b T) int) aggState {
	return &minMaxState[T]{typ: typ, max: isMax, cmp: cmp, get: fixedGet[T], build: fixedBuild[T]}
}

func cmpInt[T integer](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func newMinMax(typ arrow.DataType, isMax bool) aggState {
	switch typ.ID() {
	case arrow.INT16:
		return &minMaxInt[int16]{typ: typ, max: isMax}
	case arrow.INT32, arrow.DATE32:
		return &minMaxInt[int32]{typ: typ, max: isMax}
	case arrow.INT64, arrow.TIMESTAMP:
		return &minMaxInt[int64]{typ: typ, max: isMax}
	case arrow.FLOAT32:
		return newFixedMinMax(typ, isMax, cmpFloat[float32])
	case arrow.FLOAT64:
		return newFixedMinMax(typ, isMax, cmpFloat[float64])
	case arrow.DECIMAL128:
		return newFixedMinMax(typ, isMax, decimal128.Num.Cmp)
	case arrow.EXTENSION:
		if types.IsVarNumeric(typ) {
			// Of equal values of different scales the last one met wins, as PostgreSQL's
			// numeric_smaller and numeric_larger return their second argument on a tie.
			return newFixedMinMax(typ, isMax, func(a, b decimal128.Num) int {
				if c := cmpVarNum(a, b); c != 0 {
					return c
				}
				if isMax {
					return 1
				}
				return -1
			})
		}
	case arrow.INTERVAL_MONTH_DAY_NANO:
		return newFixedMinMax(typ, isMax, cmpInterval)
	case arrow.BOOL:
		return &minMaxState[bool]{typ: typ, max: isMax, cmp: cmpBool,
			get: func(arr arrow.Array) func(int) bool { return arr.(*array.Boolean).Value },
			build: func(mem memory.Allocator, typ arrow.DataType, vals []bool, seen []bool) arrow.Array {
				out := newBitmap(mem, len(vals), false)
				for i, v := range vals {
					if v {
						bitutil.SetBit(out.Bytes(), i)
					}
				}
				return makeArray(typ, len(vals), seenValidity(mem, seen), out)
			}}
	case arrow.STRING, arrow.BINARY:
		// Values are borrowed from the batch and copied only when they become the extreme.
		s := &minMaxState[string]{typ: typ, max: isMax}
		s.cmp = func(a, b string) int {
			switch {
			case a < b:
				return -1
			case a > b:
				return 1
			}
			return 0
		}
		s.get = func(arr arrow.Array) func(int) string {
			offs := arrow.GetOffsets[int32](arr.Data(), 1)
			d := byteData(arr)
			return func(i int) string {
				if offs[i] == offs[i+1] {
					return ""
				}
				return unsafe.String(&d[offs[i]], int(offs[i+1]-offs[i]))
			}
		}
		s.own = strings.Clone
		s.build = func(mem memory.Allocator, typ arrow.DataType, vals []string, seen []bool) arrow.Array {
			b := array.NewBuilder(mem, typ)
			defer b.Release()
			for i, v := range vals {
				switch {
				case !seen[i]:
					b.AppendNull()
				case typ.ID() == arrow.STRING:
					b.(*array.StringBuilder).Append(v)
				default:
					b.(*array.BinaryBuilder).Append([]byte(v))
				}
			}
			return b.NewArray()
		}
		return s
	}
	panic("exec: min/max of unsupported type " + typ.String())
}
