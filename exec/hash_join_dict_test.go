package exec

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
)

// TestJoinDistinctDictionary checks count(DISTINCT c) over a right text or bytea column of
// a hash join, which the join then returns as a dictionary array over its build side
// (HashJoin.dictionaryRight, valueSet.firstSeenDict): against the same aggregates grouped by
// a constant, which gather the values, for inner, left, right and full joins; right values
// repeated across rows, NULL values, NULL and unmatched keys, values of 0 to 12 bytes, two
// DISTINCT aggregates over the column, and a memory budget small enough for the join to
// partition its inputs to disk. A column that another aggregate also reads (min) is not
// returned as a dictionary.
func TestJoinDistinctDictionary(t *testing.T) {
	for _, typ := range []arrow.DataType{tStr, tBin} {
		for _, kind := range []JoinKind{Inner, Left, Right, Full} {
			for _, budget := range []int64{0, 16 << 10} {
				t.Run(fmt.Sprintf("%s/%s/budget=%d", typ, kind, budget), func(t *testing.T) {
					testJoinDistinctDictionary(t, typ, kind, budget)
				})
			}
		}
	}
}

func testJoinDistinctDictionary(t *testing.T, typ arrow.DataType, kind JoinKind, budget int64) {
	ctx, mem := checkedCtx(t)
	if budget > 0 {
		ctx, mem, _ = spillCtx(t, budget)
	}
	rng := rand.New(rand.NewPCG(5, 6))
	ls, rs := schemaOf(tI32, tI64), schemaOf(tI32, typ, tI64)
	var lb, rb []arrow.RecordBatch
	for range 3 {
		var rows [][]any
		for range 700 {
			var k any
			if rng.IntN(15) > 0 {
				k = rng.IntN(600)
			}
			rows = append(rows, []any{k, rng.IntN(1000)})
		}
		lb = append(lb, mkBatch(t, mem, ls, rows...))
	}
	for range 2 {
		var rows [][]any
		for range 300 {
			var k, v any
			if rng.IntN(20) > 0 {
				k = rng.IntN(500)
			}
			if rng.IntN(10) > 0 {
				w := strings.Repeat("nm\x00", 5)[:rng.IntN(13)] + fmt.Sprint(rng.IntN(40))
				if typ.ID() == arrow.BINARY {
					v = []byte(w)
				} else {
					v = w
				}
			}
			rows = append(rows, []any{k, v, rng.IntN(50)})
		}
		rb = append(rb, mkBatch(t, mem, rs, rows...))
	}
	l, r := mkValues(t, ls, lb...), mkValues(t, rs, rb...)
	name := mustCol(t, 3, typ)
	run := func(aggs []Aggregate, groups []Expr, wantDict bool) []string {
		t.Helper()
		j, err := NewHashJoin(kind, l, r, []Expr{mustCol(t, 0, tI32)}, []Expr{mustCol(t, 0, tI32)}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return aggregateJoin(ctx, t, j, groups, aggs, wantDict)
	}
	one := []Expr{lit(t, int64(1), tI64)}
	aggs := []Aggregate{
		{Func: "count_star", Name: "n"},
		{Func: "count", Arg: name, Distinct: true, Name: "d"},
		{Func: "sum", Arg: mustCol(t, 1, tI64), Name: "s"},
		{Func: "count", Arg: name, Distinct: true, Name: "d2"},
		{Func: "count", Arg: mustCol(t, 4, tI64), Distinct: true, Name: "dx"},
	}
	got, want := run(aggs, nil, true), run(aggs, one, false)
	if !slices.Equal(got, want) {
		t.Fatalf("dictionary %q\ngathered %q", got, want)
	}
	if d := strings.Split(got[0], "|")[1]; d == "0" || d == "1" {
		t.Fatalf("degenerate result %q", got)
	}
	withMin := append(slices.Clone(aggs), Aggregate{Func: "min", Arg: name, Name: "m"})
	got, want = run(withMin, nil, false), run(withMin, one, false)
	if !slices.Equal(got, want) {
		t.Fatalf("without groups %q\nwith a constant group %q", got, want)
	}
}

// aggregateJoin aggregates j's rows by groups (a constant key, or none) and returns the
// result as text without the group key, after checking whether j's column 3 is a dictionary.
func aggregateJoin(ctx context.Context, t *testing.T, j Operator, groups []Expr, aggs []Aggregate, wantDict bool) []string {
	t.Helper()
	h, err := NewHashAggregate(groups, make([]string, len(groups)), aggs, j)
	if err != nil {
		t.Fatal(err)
	}
	if _, dict := j.Schema().Field(3).Type.(*arrow.DictionaryType); dict != wantDict {
		t.Fatalf("join's column 3 is %s, want a dictionary: %v", j.Schema().Field(3).Type, wantDict)
	}
	out, err := Collect(ctx, h)
	if err != nil {
		t.Fatal(err)
	}
	defer releaseBatches(out)
	got := rowsText(out)
	if len(groups) > 0 {
		for i := range got {
			got[i] = strings.TrimPrefix(got[i], "1|")
		}
	}
	return got
}
