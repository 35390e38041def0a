package exec

import (
	"fmt"
	"math"
	"math/rand"
	"testing"
)

// TestHashJoinDenseKeys checks the joins whose integer keys are indexed directly
// (hashProbe.dense) against the nested-loop join of the same inputs: right keys dense
// (a small span, with duplicates and NULLs) or spread too wide for it (hashed), left keys in
// and around their span, down to the ends of int64, for every kind of join.
func TestHashJoinDenseKeys(t *testing.T) {
	ctx, mem := checkedCtx(t)
	rng := rand.New(rand.NewSource(1))
	ls, rs := schemaOf(tI64, tI64), schemaOf(tI64, tI64)
	for _, spread := range []int64{1, 3, 1 << 40} {
		for _, base := range []int64{0, -500, math.MaxInt64 - 1<<50, math.MinInt64 + 7} {
			var lrows, rrows [][]any
			key := func(i int64) any {
				if rng.Intn(15) == 0 {
					return nil
				}
				return base + i*spread
			}
			for i := range 300 {
				rrows = append(rrows, []any{key(int64(rng.Intn(200))), int64(i)})
			}
			for i := range 500 {
				var k any
				switch rng.Intn(10) {
				case 0:
					k = []int64{math.MinInt64, math.MaxInt64, base - 1, base + 200*spread}[rng.Intn(4)]
				default:
					k = key(int64(rng.Intn(260)) - 30)
				}
				lrows = append(lrows, []any{k, int64(i)})
			}
			for _, kind := range []JoinKind{Inner, Left, Right, Full, Semi, Anti} {
				name := fmt.Sprintf("spread %d base %d %s", spread, base, kind)
				l := mkValues(t, ls, mkBatch(t, mem, ls, lrows[:250]...), mkBatch(t, mem, ls, lrows[250:]...))
				r := mkValues(t, rs, mkBatch(t, mem, rs, rrows...))
				hj := joinMatchesNestedLoop(t, ctx, name, kind, l, r)
				// The dense index is used when the right keys' span allows it.
				p := &hashProbe{j: hj}
				b := mkBatch(t, mem, rs, rrows...)
				if err := p.build(ctx, b); err != nil {
					t.Fatal(err)
				}
				if dense := p.dense != nil; dense != (spread < 1<<40) {
					t.Errorf("%s: dense %v", name, dense)
				}
				p.release()
				b.Release()
			}
		}
	}
}
