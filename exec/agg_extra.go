package exec

import (
	"math"
	"math/big"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/types"
)

// aggregateNames are the aggregates HashAggregate computes; the ordered-set ones take
// WITHIN GROUP (ORDER BY ...).
var (
	aggregateNames = map[string]bool{
		"count": true, "sum": true, "min": true, "max": true, "avg": true,
		"stddev": true, "stddev_samp": true, "stddev_pop": true,
		"variance": true, "var_samp": true, "var_pop": true,
		"bool_and": true, "bool_or": true, "every": true,
		"string_agg": true, "array_agg": true, "bit_and": true, "bit_or": true, "bit_xor": true,
	}
	orderedSetNames = map[string]bool{"percentile_cont": true, "percentile_disc": true, "mode": true}
)

// IsAggregate reports whether name (lower case) is an aggregate function, ordered-set
// aggregates included.
func IsAggregate(name string) bool { return aggregateNames[name] || orderedSetNames[name] }

// IsOrderedSetAggregate reports whether name (lower case) is an ordered-set aggregate, called
// as name(direct args) WITHIN GROUP (ORDER BY e).
func IsOrderedSetAggregate(name string) bool { return orderedSetNames[name] }

// varianceScale is the scale of the numeric results of the variance and standard deviation
// of integers and numerics.
const varianceScale = 16

// extraResultType is AggregateResultType for the aggregates beyond count, sum, min, max and
// avg; ok is false for an unknown name.
func extraResultType(fn string, arg arrow.DataType) (t arrow.DataType, err error, ok bool) {
	undefined := errs.New(errs.UndefinedFunction, "function %s(%s) does not exist", fn, types.BaseName(arg))
	if regrAggregates[fn] {
		t, err := regrResultType(fn, arg)
		return t, err, true
	}
	switch fn {
	case "stddev", "stddev_samp", "stddev_pop", "variance", "var_samp", "var_pop":
		switch arg.ID() {
		case arrow.FLOAT32, arrow.FLOAT64:
			return arrow.PrimitiveTypes.Float64, nil, true
		case arrow.INT16, arrow.INT32, arrow.INT64, arrow.DECIMAL128:
			return &arrow.Decimal128Type{Precision: 38, Scale: varianceScale}, nil, true
		}
		return nil, undefined, true
	case "bit_and", "bit_or", "bit_xor":
		if isInteger(arg) {
			return arg, nil, true
		}
		return nil, undefined, true
	case "bool_and", "bool_or", "every":
		if arg.ID() == arrow.BOOL {
			return arg, nil, true
		}
		return nil, undefined, true
	case "string_agg":
		if arg.ID() == arrow.STRING || arg.ID() == arrow.BINARY {
			return arg, nil, true
		}
		return nil, undefined, true
	case "array_agg":
		if arg.ID() == arrow.LIST {
			return nil, errs.New(errs.NotImplemented, "array_agg of arrays is not supported"), true
		}
		return arrow.ListOf(arg), nil, true
	case "percentile_cont":
		switch arg.ID() {
		case arrow.FLOAT64, arrow.INTERVAL_MONTH_DAY_NANO:
			return arg, nil, true
		}
		return nil, undefined, true
	case "percentile_disc", "mode":
		return arg, nil, true
	}
	return nil, nil, false
}

// needsRows reports whether an aggregate collects its rows per group and computes its
// result from them, ordered, at the end (rather than folding them as they come).
func needsRows(fn string) bool {
	switch fn {
	case "string_agg", "array_agg", "percentile_cont", "percentile_disc", "mode":
		return true
	}
	return false
}

// extraArgs is how many Extra arguments an aggregate takes.
func extraArgs(fn string) int {
	switch fn {
	case "string_agg", "percentile_cont", "percentile_disc":
		return 1
	}
	if regrAggregates[fn] {
		return 1 // X of f(Y, X)
	}
	return 0
}

// newExtraState is newAggState for the folding aggregates beyond count, sum, min, max, avg.
func newExtraState(fn string, arg, result arrow.DataType) aggState {
	if regrAggregates[fn] {
		return &regrState{fn: fn}
	}
	switch fn {
	case "stddev", "stddev_samp", "stddev_pop", "variance", "var_samp", "var_pop":
		pop := fn == "stddev_pop" || fn == "var_pop"
		sqrt := strings.HasPrefix(fn, "stddev")
		if arg.ID() == arrow.FLOAT32 || arg.ID() == arrow.FLOAT64 {
			return &varFloatState{pop: pop, sqrt: sqrt}
		}
		return &varNumState{pop: pop, sqrt: sqrt, typ: result, argScale: scaleOf(arg)}
	case "bool_and", "every":
		return &boolState{and: true}
	case "bool_or":
		return &boolState{}
	case "bit_and", "bit_or", "bit_xor":
		return &bitState{op: map[string]byte{"bit_and": '&', "bit_or": '|', "bit_xor": '#'}[fn], typ: result}
	}
	return nil
}

// varFloatState is the variance of floats, accumulated as PostgreSQL's float8_accum does
// (the Youngs-Cramer algorithm: count, sum, and sum of squared deviations).
type varFloatState struct {
	pop, sqrt bool
	n, sx     []float64
	sxx       []float64
}

func (s *varFloatState) grow(n int) {
	s.n, s.sx, s.sxx = grown(s.n, n), grown(s.sx, n), grown(s.sxx, n)
}

func (s *varFloatState) update(gids []int32, arr arrow.Array) error {
	var f32 []float32
	var f64 []float64
	if arr.DataType().ID() == arrow.FLOAT32 {
		f32 = values[float32](arr)
	} else {
		f64 = values[float64](arr)
	}
	for i, g := range gids {
		if !validRow(arr, gids, i) {
			continue
		}
		var x float64
		if f32 != nil {
			x = float64(f32[i])
		} else {
			x = f64[i]
		}
		n0, sx0 := s.n[g], s.sx[g]
		n, sx, sxx := n0+1, sx0+x, s.sxx[g]
		if n0 > 0 {
			t := x*n - sx
			sxx += t * t / (n * n0)
			if math.IsInf(sx, 0) || math.IsInf(sxx, 0) {
				if !math.IsInf(sx0, 0) && !math.IsInf(x, 0) {
					return errs.New(errs.NumericRange, "value out of range: overflow")
				}
				sxx = math.NaN()
			}
		} else if math.IsNaN(x) || math.IsInf(x, 0) {
			sxx = math.NaN()
		}
		s.n[g], s.sx[g], s.sxx[g] = n, sx, sxx
	}
	return nil
}

func (s *varFloatState) finish(mem memory.Allocator) (arrow.Array, error) {
	n := len(s.n)
	buf, out := newValues[float64](mem, n)
	seen := make([]bool, n)
	for g := range out {
		d := s.n[g] - 1 // var_samp needs two values, var_pop one
		if s.pop {
			d = s.n[g]
		}
		if d <= 0 {
			continue
		}
		v := s.sxx[g] / d
		if s.sqrt {
			v = math.Sqrt(v)
		}
		out[g], seen[g] = v, true
	}
	return makeArray(arrow.PrimitiveTypes.Float64, n, seenValidity(mem, seen), buf), nil
}

// varNumState is the variance of integers or numerics from exact sums of the values and
// their squares, as PostgreSQL computes it: (n*Σx² - (Σx)²) / (n*(n-1)) (or n*n for the
// population variance), rounded half away from zero to the result's scale.
type varNumState struct {
	pop, sqrt bool
	typ       arrow.DataType
	argScale  int32
	n         []int64
	sx, sxx   []*big.Int
	x         big.Int
}

func (s *varNumState) grow(n int) {
	for len(s.sx) < n {
		s.sx = append(s.sx, new(big.Int))
		s.sxx = append(s.sxx, new(big.Int))
	}
	s.n = grown(s.n, n)
}

func (s *varNumState) add(g int32, x *big.Int) {
	s.n[g]++
	s.sx[g].Add(s.sx[g], x)
	s.x.Mul(x, x)
	s.sxx[g].Add(s.sxx[g], &s.x)
}

func (s *varNumState) update(gids []int32, arr arrow.Array) error {
	var x big.Int
	switch arr.DataType().ID() {
	case arrow.INT16, arrow.INT32, arrow.INT64:
		v := intsAsInt64(arr)
		for i, g := range gids {
			if validRow(arr, gids, i) {
				x.SetInt64(v[i])
				s.add(g, &x)
			}
		}
	case arrow.DECIMAL128:
		v := values[decimal128.Num](arr)
		for i, g := range gids {
			if validRow(arr, gids, i) {
				s.add(g, v[i].BigInt())
			}
		}
	}
	return nil
}

func (s *varNumState) finish(mem memory.Allocator) (arrow.Array, error) {
	n := len(s.n)
	buf, out := newValues[decimal128.Num](mem, n)
	seen := make([]bool, n)
	scale := s.typ.(*arrow.Decimal128Type).Scale
	num, den, q, r := new(big.Int), new(big.Int), new(big.Int), new(big.Int)
	for g := range out {
		c := s.n[g]
		if c == 0 || (!s.pop && c == 1) {
			continue
		}
		// num / den is the variance in units of 10^-2*argScale.
		num.Mul(big.NewInt(c), s.sxx[g])
		num.Sub(num, q.Mul(s.sx[g], s.sx[g]))
		if s.pop {
			den.SetInt64(c)
			den.Mul(den, den)
		} else {
			den.SetInt64(c)
			den.Mul(den, big.NewInt(c-1))
		}
		den.Mul(den, pow10(2*s.argScale))
		var v decimal128.Num
		var ok bool
		if s.sqrt {
			// sqrt(num/den) at scale+1 digits (floor), then rounded to scale.
			num.Mul(num, pow10(2*(scale+1)))
			q.Quo(num, den)
			q.Sqrt(q)
			v, ok = divRound(q, big.NewInt(10), new(big.Int), r)
		} else {
			num.Mul(num, pow10(scale))
			v, ok = divRound(num, den, q, r)
		}
		if !ok {
			buf.Release()
			return nil, errs.New(errs.NumericRange, "numeric field overflow")
		}
		out[g], seen[g] = v, true
	}
	return makeArray(s.typ, n, seenValidity(mem, seen), buf), nil
}

// boolState is bool_and (every) or bool_or.
type boolState struct {
	and  bool
	vals []bool
	seen []bool
}

func (s *boolState) grow(n int) { s.vals, s.seen = grown(s.vals, n), grown(s.seen, n) }

func (s *boolState) update(gids []int32, arr arrow.Array) error {
	b := arr.(*array.Boolean)
	for i, g := range gids {
		if !validRow(arr, gids, i) {
			continue
		}
		v := b.Value(i)
		if !s.seen[g] {
			s.vals[g], s.seen[g] = v, true
		} else if s.and {
			s.vals[g] = s.vals[g] && v
		} else {
			s.vals[g] = s.vals[g] || v
		}
	}
	return nil
}

func (s *boolState) finish(mem memory.Allocator) (arrow.Array, error) {
	out := newBitmap(mem, len(s.vals), false)
	for i, v := range s.vals {
		if v {
			bitutil.SetBit(out.Bytes(), i)
		}
	}
	return makeArray(arrow.FixedWidthTypes.Boolean, len(s.vals), seenValidity(mem, s.seen), out), nil
}
