package exec

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// groupFold is what the tests below expect of one group: count(*), count(v), min(v), max(v).
type groupFold struct {
	rows, n  int64
	min, max int64
}

// TestGroupShortKeys groups by a text and by a bytea column whose values have every length
// from 0 to 12 bytes (short ones are keyed packed in an integer, longer ones by their bytes),
// among them values that differ only by a trailing zero byte, with NULL keys and NULL
// values, over several batches; the groups and their count, min and max are checked against
// a fold computed here.
func TestGroupShortKeys(t *testing.T) {
	for _, typ := range []arrow.DataType{tStr, tBin} {
		t.Run(typ.String(), func(t *testing.T) {
			ctx, mem := checkedCtx(t)
			rng := rand.New(rand.NewPCG(1, 2))
			var keys []string
			for i := range 700 {
				keys = append(keys, fmt.Sprintf("%x", i*7919)[:i%13*len(fmt.Sprintf("%x", i*7919))/13])
				keys = append(keys, strings.Repeat("k", i%13)+fmt.Sprint(i%5))
			}
			keys = append(keys, "", "a", "ab", "abcdefg", "abcdefgh")
			if typ.ID() == arrow.BINARY {
				keys = append(keys, "a\x00", "\x00", "\x00\x00", "abcdef\x00", "abcdefg\x00")
			}
			s := schemaOf(typ, tI64)
			want := map[string]*groupFold{}
			var batches []arrow.RecordBatch
			for range 5 {
				var rows [][]any
				for range 1000 {
					var k, v any
					key := "NULL"
					if rng.IntN(50) > 0 {
						key = keys[rng.IntN(len(keys))]
						k = key
						if typ.ID() == arrow.BINARY {
							k = []byte(key)
						}
						key = "=" + key
					}
					f := want[key]
					if f == nil {
						f = &groupFold{}
						want[key] = f
					}
					f.rows++
					if rng.IntN(10) > 0 {
						x := rng.Int64N(2000) - 1000
						v = int(x)
						if f.n == 0 || x < f.min {
							f.min = x
						}
						if f.n == 0 || x > f.max {
							f.max = x
						}
						f.n++
					}
					rows = append(rows, []any{k, v})
				}
				batches = append(batches, mkBatch(t, mem, s, rows...))
			}
			v := mkValues(t, s, batches...)
			val := mustCol(t, 1, tI64)
			h, err := NewHashAggregate([]Expr{mustCol(t, 0, typ)}, []string{"k"}, []Aggregate{
				{Func: "count_star", Name: "rows"}, {Func: "count", Arg: val, Name: "n"},
				{Func: "min", Arg: val, Name: "min"}, {Func: "max", Arg: val, Name: "max"},
			}, v)
			if err != nil {
				t.Fatal(err)
			}
			out, err := Collect(ctx, h)
			if err != nil {
				t.Fatal(err)
			}
			defer releaseBatches(out)
			got := 0
			for _, b := range out {
				for r := range int(b.NumRows()) {
					got++
					key := "NULL"
					if k := b.Column(0); k.IsValid(r) {
						switch k := k.(type) {
						case *array.String:
							key = "=" + k.Value(r)
						case *array.Binary:
							key = "=" + string(k.Value(r))
						}
					}
					f := want[key]
					if f == nil {
						t.Fatalf("group %q not in the input", key)
					}
					rows, n := b.Column(1).(*array.Int64).Value(r), b.Column(2).(*array.Int64).Value(r)
					if rows != f.rows || n != f.n {
						t.Fatalf("group %q: count(*) %d, count(v) %d; want %d, %d", key, rows, n, f.rows, f.n)
					}
					mn, mx := b.Column(3).(*array.Int64), b.Column(4).(*array.Int64)
					if f.n == 0 {
						if mn.IsValid(r) || mx.IsValid(r) {
							t.Fatalf("group %q: min and max of no values are not NULL", key)
						}
						continue
					}
					if mn.Value(r) != f.min || mx.Value(r) != f.max {
						t.Fatalf("group %q: min %d, max %d; want %d, %d", key, mn.Value(r), mx.Value(r), f.min, f.max)
					}
				}
			}
			if got != len(want) {
				t.Fatalf("%d groups, want %d", got, len(want))
			}
		})
	}
}

// TestMinMaxIntegerTypes checks min and max of smallint, integer, bigint, date and timestamp
// per group, with NULLs, rows of a FILTER that is false skipped, and a group with no values.
func TestMinMaxIntegerTypes(t *testing.T) {
	for _, typ := range []arrow.DataType{tI16, tI32, tI64, tDate, tTS} {
		t.Run(typ.String(), func(t *testing.T) {
			ctx, mem := checkedCtx(t)
			s := schemaOf(tI32, typ, tBool)
			cell := func(v int) any {
				switch typ.ID() {
				case arrow.INT16:
					return int16(v)
				case arrow.INT32:
					return int32(v)
				case arrow.DATE32:
					return arrow.Date32(v)
				case arrow.TIMESTAMP:
					return arrow.Timestamp(v)
				}
				return int64(v)
			}
			v := mkValues(t, s,
				mkBatch(t, mem, s, []any{1, cell(5), true}, []any{1, cell(-3), true}, []any{2, nil, true}, []any{1, cell(-9), false}),
				mkBatch(t, mem, s, []any{1, cell(7), nil}, []any{1, cell(6), true}, []any{3, cell(0), true}, []any{2, nil, true}, []any{3, cell(-1), true}))
			x, keep := mustCol(t, 1, typ), mustCol(t, 2, tBool)
			h, err := NewHashAggregate([]Expr{mustCol(t, 0, tI32)}, []string{"g"}, []Aggregate{
				{Func: "min", Arg: x, Filter: keep, Name: "lo"}, {Func: "max", Arg: x, Filter: keep, Name: "hi"},
			}, v)
			if err != nil {
				t.Fatal(err)
			}
			srt, err := NewSort([]SortKey{{Expr: mustCol(t, 0, tI32)}}, h)
			if err != nil {
				t.Fatal(err)
			}
			got := collectText(t, ctx, srt)
			var want []string
			for _, g := range [][3]any{{1, cell(-3), cell(6)}, {2, nil, nil}, {3, cell(-1), cell(0)}} {
				row := fmt.Sprint(g[0])
				for _, c := range g[1:] {
					if c == nil {
						row += "|NULL"
						continue
					}
					row += "|" + formatText(c, typ)
				}
				want = append(want, row)
			}
			if !equalStrings(got, want) {
				t.Fatalf("got  %q\nwant %q", got, want)
			}
		})
	}
}
