package exec

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// countingAllocator counts the allocations of at least min bytes.
type countingAllocator struct {
	memory.Allocator
	min   int
	large atomic.Int64
}

func (c *countingAllocator) Allocate(n int) []byte {
	if n >= c.min {
		c.large.Add(1)
	}
	return c.Allocator.Allocate(n)
}

// TestJoinDictionaryIndexReuse runs count(DISTINCT name) over a join on a foreign key whose
// left batches are several output batches long, so that the join returns its right text
// column as a dictionary over the build side and pairs each left row with its one right
// row without index lists: the results equal those of the same aggregates grouped by a
// constant (the values gathered, no dictionary), for inner and left joins, with a left
// batch holding an unmatched and a NULL key between batches whose keys all match. The
// index buffers of the dictionary columns are reused: the join allocates a handful of
// them, not one per output batch, and frees them all (the allocator is leak-checked).
func TestJoinDictionaryIndexReuse(t *testing.T) {
	for _, kind := range []JoinKind{Inner, Left} {
		t.Run(kind.String(), func(t *testing.T) { testJoinDictionaryIndexReuse(t, kind) })
	}
}

func testJoinDictionaryIndexReuse(t *testing.T, kind JoinKind) {
	ctx, checked := checkedCtx(t)
	mem := &countingAllocator{Allocator: checked, min: 4 * BatchRows}
	ctx = WithAllocator(ctx, mem)
	ls, rs := schemaOf(tI64, tI64), schemaOf(tI64, tStr)
	const dim = 500
	var lb []arrow.RecordBatch
	batches := 0
	for b, n := range []int{5*BatchRows + 17, 300, 3*BatchRows + 1} {
		rows := make([][]any, n)
		for i := range rows {
			k := any(int64((i*7 + b) % dim))
			if b == 1 && i == 5 {
				k = int64(dim + 3) // no right row
			}
			if b == 1 && i == 9 {
				k = nil
			}
			rows[i] = []any{k, int64(i)}
		}
		lb = append(lb, mkBatch(t, checked, ls, rows...))
		batches += (n + BatchRows - 1) / BatchRows
	}
	var rrows [][]any
	for k := range dim {
		rrows = append(rrows, []any{int64(k), fmt.Sprintf("name %d", k%37)})
	}
	rb := mkBatch(t, checked, rs, rrows...)
	l, r := mkValues(t, ls, lb...), mkValues(t, rs, rb)
	run := func(groups []Expr, wantDict bool) []string {
		t.Helper()
		j, err := NewHashJoin(kind, l, r, []Expr{mustCol(t, 0, tI64)}, []Expr{mustCol(t, 0, tI64)}, nil)
		if err != nil {
			t.Fatal(err)
		}
		aggs := []Aggregate{
			{Func: "count_star", Name: "n"},
			{Func: "count", Arg: mustCol(t, 3, tStr), Distinct: true, Name: "d"},
			{Func: "sum", Arg: mustCol(t, 1, tI64), Name: "s"},
			{Func: "sum", Arg: mustCol(t, 2, tI64), Name: "k"},
		}
		return aggregateJoin(ctx, t, j, groups, aggs, wantDict)
	}
	mem.large.Store(0)
	got := run(nil, true)
	if n := mem.large.Load(); n > indexPoolKeep+1 {
		t.Errorf("%d index buffers allocated for %d output batches, want at most %d", n, batches, indexPoolKeep+1)
	}
	want := run([]Expr{lit(t, int64(1), tI64)}, false)
	if !slices.Equal(got, want) {
		t.Fatalf("dictionary %q\ngathered %q", got, want)
	}
	if want[0] == "" || strings.HasPrefix(want[0], "0|") {
		t.Fatalf("degenerate result %q", want)
	}
}

// TestJoinDictionaryIndexHeld checks that a consumer holding several of a join's batches at
// once, well within indexPoolKeep, makes the join allocate no more index buffers than are
// out at once, however often its holding rises and falls: a buffer handed back while the
// others are free is kept, not freed and allocated again. (A prefetching consumer
// holds about five: the batch it works on, the one before, the one in the channel and the
// one the reader has made; when it catches up with the reader, all but one come back.)
func TestJoinDictionaryIndexHeld(t *testing.T) {
	ctx, checked := checkedCtx(t)
	mem := &countingAllocator{Allocator: checked, min: 4 * BatchRows}
	ctx = WithAllocator(ctx, mem)
	ls, rs := schemaOf(tI64, tI64), schemaOf(tI64, tStr)
	const dim, held, rounds = 100, 6, 3
	rows := make([][]any, held*rounds*BatchRows)
	for i := range rows {
		rows[i] = []any{int64(i % dim), int64(i)}
	}
	var rrows [][]any
	for k := range dim {
		rrows = append(rrows, []any{int64(k), fmt.Sprintf("name %d", k%7)})
	}
	l := mkValues(t, ls, mkBatch(t, checked, ls, rows...))
	r := mkValues(t, rs, mkBatch(t, checked, rs, rrows...))
	j, err := NewHashJoin(Inner, l, r, []Expr{mustCol(t, 0, tI64)}, []Expr{mustCol(t, 0, tI64)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !j.dictionaryRight(1) {
		t.Fatal("the join does not return its text column as a dictionary")
	}
	s, err := j.Execute(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	mem.large.Store(0)
	n := 0
	var first int64 // the buffers allocated in the first round
	for round := range rounds {
		var hold []arrow.RecordBatch
		for range held {
			b, err := s.Next(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := b.Column(3).(*array.Dictionary); !ok {
				t.Fatalf("column 3 is %s, want a dictionary", b.Column(3).DataType())
			}
			n += int(b.NumRows())
			hold = append(hold, b)
		}
		releaseBatches(hold)
		if round == 0 {
			first = mem.large.Load()
		}
	}
	if _, err := s.Next(ctx); err != io.EOF {
		t.Fatalf("after %d rows: %v, want EOF", n, err)
	}
	if n != len(rows) {
		t.Fatalf("%d rows, want %d", n, len(rows))
	}
	// The join reads ahead of its consumer (prefetch): while the test holds six batches,
	// one more may wait in the channel and another be made. Kept buffers serve every
	// later round; a pool that kept fewer than that freed some at each release and
	// allocated them again.
	if got := mem.large.Load(); got > held+2 {
		t.Errorf("%d index buffers allocated for %d rounds of %d batches held at once (%d in the first), want at most %d", got, rounds, held, first, held+2)
	}
}
