package exec

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
)

// TestSortBatchesInOrder checks a sort whose input batches are each in order and follow one
// another without overlapping once put in order by their first rows (a table's partitions
// read in parallel, their batches interleaved): it returns the input's batches as they are,
// sharing their buffers rather than copying and gathering the rows. The rows are checked
// against a stable sort of them, ascending and descending, with NULL keys first and last,
// ties across batches in and out of arrival order, two keys, and inputs that are not in
// order (a batch out of order within, overlapping batches, a tie in the wrong arrival
// order), which go through the sort.
func TestSortBatchesInOrder(t *testing.T) {
	ctx, mem := checkedCtx(t)
	s := schemaOf(tI64, tStr, tI64)
	type row struct {
		k     *int64 // nil: NULL
		s     string
		k2    int64
		batch int
	}
	render := func(rows []row) []string {
		var out []string
		for _, r := range rows {
			k := "NULL"
			if r.k != nil {
				k = fmt.Sprint(*r.k)
			}
			out = append(out, fmt.Sprintf("%s|%s|%d", k, r.s, r.k2))
		}
		return out
	}
	iv := func(v int64) *int64 { return &v }
	// run makes the rows of keys lo, lo+step, ... (count of them) of batch b.
	run := func(b int, lo, step int64, count int, k2 int64) []row {
		var rs []row
		for i := range count {
			rs = append(rs, row{k: iv(lo + int64(i)*step), s: fmt.Sprintf("b%d/%d", b, i), k2: k2, batch: b})
		}
		return rs
	}
	cases := []struct {
		name    string
		batches [][]row
		keys    []SortKey
		inOrder bool // the batches are returned as they are
	}{
		{"interleaved ranges", [][]row{run(0, 100, 1, 50, 0), run(1, 0, 1, 50, 0), run(2, 150, 1, 50, 0), run(3, 50, 1, 50, 0)},
			[]SortKey{{Expr: mustCol(t, 0, tI64)}}, true},
		{"one batch", [][]row{run(0, 0, 3, 100, 0)}, []SortKey{{Expr: mustCol(t, 0, tI64)}}, true},
		{"ties in arrival order", [][]row{run(0, 0, 0, 3, 0), run(1, 0, 1, 3, 0), run(2, 2, 1, 3, 0)},
			[]SortKey{{Expr: mustCol(t, 0, tI64)}}, true},
		{"tie out of arrival order", [][]row{run(0, 5, 1, 3, 0), run(1, 0, 1, 6, 0)},
			[]SortKey{{Expr: mustCol(t, 0, tI64)}}, false},
		{"overlapping", [][]row{run(0, 0, 2, 10, 0), run(1, 1, 2, 10, 0)},
			[]SortKey{{Expr: mustCol(t, 0, tI64)}}, false},
		{"out of order within", [][]row{run(0, 10, -1, 5, 0), run(1, 20, 1, 5, 0)},
			[]SortKey{{Expr: mustCol(t, 0, tI64)}}, false},
		{"descending", [][]row{run(0, 49, -1, 50, 0), run(1, 99, -1, 50, 0)},
			[]SortKey{{Expr: mustCol(t, 0, tI64), Desc: true}}, true},
		{"descending, ascending input", [][]row{run(0, 0, 1, 50, 0)},
			[]SortKey{{Expr: mustCol(t, 0, tI64), Desc: true}}, false},
		{"nulls last", [][]row{{{k: nil, s: "n0", batch: 0}, {k: nil, s: "n1", batch: 0}}, run(1, 0, 1, 5, 0)},
			[]SortKey{{Expr: mustCol(t, 0, tI64)}}, true},
		{"nulls first", [][]row{run(0, 0, 1, 5, 0), {{k: nil, s: "n0", batch: 1}}},
			[]SortKey{{Expr: mustCol(t, 0, tI64), NullsFirst: true}}, true},
		{"nulls last, null inside", [][]row{{{k: iv(1), s: "a", batch: 0}, {k: nil, s: "n", batch: 0}, {k: iv(2), s: "b", batch: 0}}},
			[]SortKey{{Expr: mustCol(t, 0, tI64)}}, false},
		{"text key", [][]row{run(0, 0, 0, 1, 0), run(1, 0, 0, 1, 0)},
			[]SortKey{{Expr: mustCol(t, 1, tStr)}}, true},
		{"two keys", [][]row{run(0, 5, 0, 4, 1), run(1, 5, 0, 4, 0), run(2, 6, 0, 2, 0)},
			[]SortKey{{Expr: mustCol(t, 0, tI64)}, {Expr: mustCol(t, 2, tI64)}}, true},
		{"two keys, ties across batches", [][]row{run(0, 5, 0, 4, 0), run(1, 5, 0, 4, 1), run(2, 5, 0, 2, 0)},
			[]SortKey{{Expr: mustCol(t, 0, tI64)}, {Expr: mustCol(t, 2, tI64)}}, true},
		{"two keys, overlapping", [][]row{run(0, 5, 0, 4, 0), run(1, 5, 0, 4, 1), run(2, 5, 1, 2, 0)},
			[]SortKey{{Expr: mustCol(t, 0, tI64)}, {Expr: mustCol(t, 2, tI64)}}, false},
	}
	rng := rand.New(rand.NewPCG(1, 2))
	var parts [][]row
	for b := range 12 {
		parts = append(parts, run(b, int64(b)*1000, 1, 900+rng.IntN(100), 0))
	}
	rng.Shuffle(len(parts), func(i, j int) { parts[i], parts[j] = parts[j], parts[i] })
	for i := range parts {
		for j := range parts[i] {
			parts[i][j].batch = i
		}
	}
	cases = append(cases, struct {
		name    string
		batches [][]row
		keys    []SortKey
		inOrder bool
	}{"shuffled ranges", parts, []SortKey{{Expr: mustCol(t, 0, tI64)}}, true})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var all []row
			var bs []arrow.RecordBatch
			for _, rs := range c.batches {
				var rows [][]any
				for _, r := range rs {
					var k any
					if r.k != nil {
						k = *r.k
					}
					rows = append(rows, []any{k, r.s, r.k2})
				}
				all = append(all, rs...)
				bs = append(bs, mkBatch(t, mem, s, rows...))
			}
			// The value buffers of the input's text column, to tell batches returned as
			// they are from gathered ones.
			inputs := map[*byte]bool{}
			for _, b := range bs {
				inputs[&b.Column(1).Data().Buffers()[2].Bytes()[0]] = true
			}
			v := mkValues(t, s, bs...)
			compare := func(x, y row) int {
				for _, k := range c.keys {
					var r int
					switch k.Expr.(*Column).index {
					case 0:
						switch {
						case x.k == nil && y.k == nil:
						case x.k == nil || y.k == nil:
							// NULLs last unless first, whatever the direction.
							r = 1
							if x.k != nil {
								r = -1
							}
							if k.NullsFirst {
								r = -r
							}
							return r
						default:
							r = cmp.Compare(*x.k, *y.k)
						}
					case 1:
						r = cmp.Compare(x.s, y.s)
					case 2:
						r = cmp.Compare(x.k2, y.k2)
					}
					if k.Desc {
						r = -r
					}
					if r != 0 {
						return r
					}
				}
				return 0
			}
			slices.SortStableFunc(all, compare)
			want := render(all)
			srt, err := NewSort(c.keys, v)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Collect(ctx, srt)
			if err != nil {
				t.Fatal(err)
			}
			defer releaseBatches(got)
			shared := true
			for _, b := range got {
				if b.NumRows() > BatchRows {
					t.Fatalf("a batch of %d rows", b.NumRows())
				}
				shared = shared && inputs[&b.Column(1).Data().Buffers()[2].Bytes()[0]]
			}
			if g := rowsText(got); !slices.Equal(g, want) {
				t.Fatalf("first differing %v", firstDiff(g, want))
			}
			if shared != c.inOrder {
				t.Fatalf("batches returned as they are: %v, want %v", shared, c.inOrder)
			}
		})
	}
}
