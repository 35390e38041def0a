package exec

import (
	"context"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/types"
)

// The two-argument statistical aggregates of PostgreSQL over double precision (its manual's
// table 9.62): corr, covar_pop, covar_samp and the regr_* family. Each is called as
// f(Y, X); the aggregate's Arg is Y and its one Extra argument is X. A row counts only when
// both are non-NULL.

// regrAggregates are the two-argument aggregates.
var regrAggregates = map[string]bool{"corr": true, "covar_pop": true, "covar_samp": true, "regr_avgx": true,
	"regr_avgy": true, "regr_count": true, "regr_intercept": true, "regr_r2": true, "regr_slope": true,
	"regr_sxx": true, "regr_sxy": true, "regr_syy": true}

// IsPairAggregate reports whether name (lower case) is an aggregate of two arguments, Y and
// X, both double precision.
func IsPairAggregate(name string) bool { return regrAggregates[name] }

func init() {
	for n := range regrAggregates {
		aggregateNames[n] = true
	}
}

// pairState is an aggState that folds two arguments per row.
type pairState interface {
	aggState
	updatePair(gids []int32, y, x arrow.Array) error
}

// checkPair validates the X argument of a two-argument aggregate.
func checkPair(a Aggregate) error {
	if t := a.Extra[0].DataType(); t.ID() != arrow.FLOAT64 {
		return errs.New(errs.UndefinedFunction, "function %s(%s, %s) does not exist", a.Func, types.BaseName(a.Arg.DataType()), types.BaseName(t))
	}
	if a.Distinct {
		return errs.New(errs.NotImplemented, "%s(DISTINCT ...) is not supported", a.Func)
	}
	return nil
}

// updatePair evaluates the X argument of a two-argument aggregate over b and folds the rows
// of group use[r] >= 0 into st.
func updatePair(ctx context.Context, st pairState, a Aggregate, b arrow.RecordBatch, use []int32, y arrow.Array) error {
	x, err := a.Extra[0].Eval(ctx, b)
	if err != nil {
		return err
	}
	defer x.Release()
	return st.updatePair(use, y, x)
}

// regrResultType is the result type of a two-argument aggregate: bigint for regr_count,
// else double precision.
func regrResultType(fn string, arg arrow.DataType) (arrow.DataType, error) {
	if arg.ID() != arrow.FLOAT64 {
		return nil, errs.New(errs.UndefinedFunction, "function %s(%s, double precision) does not exist", fn, types.BaseName(arg))
	}
	if fn == "regr_count" {
		return arrow.PrimitiveTypes.Int64, nil
	}
	return arrow.PrimitiveTypes.Float64, nil
}

// regrState accumulates, per group, what PostgreSQL's float8_regr_accum does with the
// Youngs-Cramer algorithm: N, Sx, Sxx, Sy, Syy and Sxy (the sums of squared and cross
// deviations), so that the results equal PostgreSQL's bit for bit.
type regrState struct {
	fn                       string
	n, sx, sxx, sy, syy, sxy []float64
}

func (s *regrState) grow(n int) {
	s.n, s.sx, s.sxx = grown(s.n, n), grown(s.sx, n), grown(s.sxx, n)
	s.sy, s.syy, s.sxy = grown(s.sy, n), grown(s.syy, n), grown(s.sxy, n)
}

func (s *regrState) update(gids []int32, arr arrow.Array) error {
	return errs.New(errs.Internal, "%s takes two arguments", s.fn)
}

func (s *regrState) updatePair(gids []int32, ya, xa arrow.Array) error {
	ys, xs := values[float64](ya), values[float64](xa)
	nulls := ya.NullN() > 0 || xa.NullN() > 0
	for i, g := range gids {
		if g < 0 || nulls && (ya.IsNull(i) || xa.IsNull(i)) {
			continue
		}
		y, x := ys[i], xs[i]
		n0, sx0, sy0 := s.n[g], s.sx[g], s.sy[g]
		n, sx, sy := n0+1, sx0+x, sy0+y
		sxx, syy, sxy := s.sxx[g], s.syy[g], s.sxy[g]
		if n0 > 0 {
			tx, ty := x*n-sx, y*n-sy
			scale := 1.0 / (n * n0)
			sxx += tx * tx * scale
			syy += ty * ty * scale
			sxy += tx * ty * scale
			inf := math.IsInf
			if inf(sx, 0) || inf(sxx, 0) || inf(sy, 0) || inf(syy, 0) || inf(sxy, 0) {
				if (inf(sx, 0) || inf(sxx, 0)) && !inf(sx0, 0) && !inf(x, 0) ||
					(inf(sy, 0) || inf(syy, 0)) && !inf(sy0, 0) && !inf(y, 0) ||
					inf(sxy, 0) && !inf(sx0, 0) && !inf(x, 0) && !inf(sy0, 0) && !inf(y, 0) {
					return errs.New(errs.NumericRange, "value out of range: overflow")
				}
				if inf(sxx, 0) {
					sxx = math.NaN()
				}
				if inf(syy, 0) {
					syy = math.NaN()
				}
				if inf(sxy, 0) {
					sxy = math.NaN()
				}
			}
		} else {
			// A first value that is infinite or NaN makes the dependent sums NaN, lest a
			// single row report zero variance.
			if math.IsNaN(x) || math.IsInf(x, 0) {
				sxx, sxy = math.NaN(), math.NaN()
			}
			if math.IsNaN(y) || math.IsInf(y, 0) {
				syy, sxy = math.NaN(), math.NaN()
			}
		}
		s.n[g], s.sx[g], s.sy[g] = n, sx, sy
		s.sxx[g], s.syy[g], s.sxy[g] = sxx, syy, sxy
	}
	return nil
}

// result is the aggregate of group g as PostgreSQL's final functions compute it; ok is
// false for NULL.
func (s *regrState) result(g int) (float64, bool) {
	n, sx, sxx, sy, syy, sxy := s.n[g], s.sx[g], s.sxx[g], s.sy[g], s.syy[g], s.sxy[g]
	if n < 1 {
		return 0, false
	}
	switch s.fn {
	case "regr_sxx":
		return sxx, true
	case "regr_syy":
		return syy, true
	case "regr_sxy":
		return sxy, true
	case "regr_avgx":
		return sx / n, true
	case "regr_avgy":
		return sy / n, true
	case "covar_pop":
		return sxy / n, true
	case "covar_samp":
		if n < 2 {
			return 0, false
		}
		return sxy / (n - 1), true
	case "corr":
		if sxx == 0 || syy == 0 {
			return 0, false
		}
		return sxy / math.Sqrt(sxx*syy), true
	case "regr_r2":
		if sxx == 0 {
			return 0, false
		}
		if syy == 0 {
			return 1, true
		}
		return sxy * sxy / (sxx * syy), true
	case "regr_slope":
		if sxx == 0 {
			return 0, false
		}
		return sxy / sxx, true
	case "regr_intercept":
		if sxx == 0 {
			return 0, false
		}
		return (sy - sx*sxy/sxx) / n, true
	}
	return 0, false
}

func (s *regrState) finish(mem memory.Allocator) (arrow.Array, error) {
	n := len(s.n)
	if s.fn == "regr_count" {
		// A count: zero, not NULL, over no rows.
		buf, out := newValues[int64](mem, n)
		for g := range out {
			out[g] = int64(s.n[g])
		}
		return makeArray(arrow.PrimitiveTypes.Int64, n, nil, buf), nil
	}
	buf, out := newValues[float64](mem, n)
	seen := make([]bool, n)
	for g := range out {
		out[g], seen[g] = s.result(g)
	}
	return makeArray(arrow.PrimitiveTypes.Float64, n, seenValidity(mem, seen), buf), nil
}

// aggregatePair computes a two-argument aggregate over each row's frame: y and x are the
// arguments' values in the window's rows (borrowed).
func (s *windowStream) aggregatePair(mem memory.Allocator, f WindowFunc, typ arrow.DataType, y, x arrow.Array, lay layout) (arrow.Array, error) {
	st := &regrState{fn: f.Func}
	return s.foldFrames(mem, f.Frame, lay, st, func(src, gids []int32) error {
		ya, xa := take(mem, y, src), take(mem, x, src)
		defer ya.Release()
		defer xa.Release()
		return st.updatePair(gids, ya, xa)
	})
}

// pairWindowResultType is WindowResultType of a two-argument aggregate.
func pairWindowResultType(fn string, args []arrow.DataType) (arrow.DataType, bool) {
	if len(args) != 2 || args[0] == nil || args[1] == nil || args[0].ID() != arrow.FLOAT64 || args[1].ID() != arrow.FLOAT64 {
		return nil, false
	}
	t, err := AggregateResultType(fn, args[0])
	return t, err == nil
}
