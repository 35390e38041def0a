package exec

import (
	"github.com/apache/arrow-go/v18/arrow"

	"fmt"
	"testing"
)

// TestHashJoinAllMatch checks the joins on a unique integer right key whose left batches all
// find their right row (hashProbe.allMatch, the pairs taken in one copy) against the
// nested-loop join: right keys dense or hashed, left batches longer than BatchRows whose
// rows all match, one of whose rows misses, or one of whose keys is NULL, for the kinds of
// join that pair rows; and that allMatch is set for exactly the batches whose rows all match.
func TestHashJoinAllMatch(t *testing.T) {
	ctx, mem := checkedCtx(t)
	ls, rs := schemaOf(tI64, tI64), schemaOf(tI64, tStr)
	for _, spread := range []int64{1, 1 << 40} {
		var rrows [][]any
		for i := range 300 {
			rrows = append(rrows, []any{int64(i) * spread, fmt.Sprintf("r%d", i)})
		}
		batch := func(n int, miss, null int) [][]any {
			var rows [][]any
			for i := range n {
				var k any = int64((i*7)%300) * spread
				switch i {
				case miss:
					k = int64(301) * spread
				case null:
					k = nil
				}
				rows = append(rows, []any{k, int64(i)})
			}
			return rows
		}
		lbatches := []struct {
			rows     [][]any
			allMatch bool
		}{
			{batch(BatchRows*2+100, -1, -1), true},
			{batch(BatchRows+5, BatchRows+2, -1), false},
			{batch(50, -1, 3), false},
			{batch(10, -1, -1), true},
		}
		for _, kind := range []JoinKind{Inner, Left, Right, Full} {
			name := fmt.Sprintf("spread %d %s", spread, kind)
			var lbs []arrow.RecordBatch
			for _, lb := range lbatches {
				lbs = append(lbs, mkBatch(t, mem, ls, lb.rows...))
			}
			l := mkValues(t, ls, lbs...)
			r := mkValues(t, rs, mkBatch(t, mem, rs, rrows...))
			joinMatchesNestedLoop(t, ctx, name, kind, l, r)
		}
		hj, err := NewHashJoin(Inner, mkValues(t, ls), mkValues(t, rs), []Expr{mustCol(t, 0, tI64)}, []Expr{mustCol(t, 0, tI64)}, nil)
		if err != nil {
			t.Fatal(err)
		}
		p := &hashProbe{j: hj}
		b := mkBatch(t, mem, rs, rrows...)
		if err := p.build(ctx, b); err != nil {
			t.Fatal(err)
		}
		for i, lb := range lbatches {
			left := mkBatch(t, mem, ls, lb.rows...)
			if err := p.prepare(ctx, left); err != nil {
				t.Fatal(err)
			}
			if p.allMatch != lb.allMatch {
				t.Errorf("spread %d, left batch %d: allMatch %v", spread, i, p.allMatch)
			}
			left.Release()
		}
		p.release()
		b.Release()
	}
}
