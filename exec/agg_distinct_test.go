package exec

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
)

// TestDistinctWithoutGroups checks DISTINCT aggregates without GROUP BY, whose values are
// kept in integer tables where they fit (integers; texts of up to 7 bytes packed; texts of
// exactly 8 bytes) and by their bytes otherwise, against the same aggregates grouped by a
// constant, which keep (group, value) pairs: text and bytea values of 0 to 12 bytes (zero
// bytes included, values differing only in length), every integer-like type, NULLs, a
// FILTER, and array_agg, which keeps NULL as a value; and columns without NULLs (texts and
// bytea loaded a word at a time).
func TestDistinctWithoutGroups(t *testing.T) {
	for _, typ := range []arrow.DataType{tStr, tBin, tI16, tI32, tI64, arrow.FixedWidthTypes.Date32, tTS} {
		for _, nullFree := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/nulls=%v", typ, !nullFree), func(t *testing.T) {
				ctx, mem := checkedCtx(t)
				rng := rand.New(rand.NewPCG(3, 4))
				var words []string
				for i := range 400 {
					w := strings.Repeat("ab\x00", 5)[:i%13]
					words = append(words, w+fmt.Sprint(i%37), w, strings.Repeat("x", i%10))
				}
				s := schemaOf(typ, tBool)
				var batches []arrow.RecordBatch
				for range 4 {
					var rows [][]any
					for range 1500 {
						var v, f any
						if nullFree || rng.IntN(20) > 0 {
							switch typ.ID() {
							case arrow.STRING:
								v = words[rng.IntN(len(words))]
							case arrow.BINARY:
								v = []byte(words[rng.IntN(len(words))])
							case arrow.DATE32:
								v = arrow.Date32(rng.IntN(3000) - 1500)
							case arrow.TIMESTAMP:
								v = arrow.Timestamp(rng.IntN(3000) - 1500)
							default:
								v = rng.IntN(3000) - 1500
							}
						}
						if rng.IntN(5) > 0 {
							f = rng.IntN(3) > 0
						}
						rows = append(rows, []any{v, f})
					}
					batches = append(batches, mkBatch(t, mem, s, rows...))
				}
				v := mkValues(t, s, batches...)
				x := mustCol(t, 0, typ)
				aggs := []Aggregate{
					{Func: "count", Arg: x, Distinct: true, Name: "n"},
					{Func: "min", Arg: x, Distinct: true, Name: "min"},
					{Func: "count", Arg: x, Distinct: true, Filter: mustCol(t, 1, tBool), Name: "nf"},
					{Func: "array_agg", Arg: x, Distinct: true, Name: "a"},
				}
				if typ.ID() == arrow.STRING {
					aggs = append(aggs, Aggregate{Func: "string_agg", Arg: x, Distinct: true, Extra: []Expr{lit(t, ",", tStr)}, Name: "s"})
				} else if intKey(typ) && typ.ID() != arrow.DATE32 && typ.ID() != arrow.TIMESTAMP {
					aggs = append(aggs, Aggregate{Func: "sum", Arg: x, Distinct: true, Name: "sum"})
				}
				run := func(groups []Expr) []string {
					names := make([]string, len(groups))
					h, err := NewHashAggregate(groups, names, aggs, v)
					if err != nil {
						t.Fatal(err)
					}
					out, err := Collect(ctx, h)
					if err != nil {
						t.Fatal(err)
					}
					defer releaseBatches(out)
					return rowsText(out)
				}
				got := run(nil)
				want := run([]Expr{lit(t, int64(1), tI64)})
				for i := range want {
					want[i] = strings.TrimPrefix(want[i], "1|")
				}
				if !slices.Equal(got, want) {
					t.Fatalf("without groups %q\nwith a constant group %q", got, want)
				}
				if len(got) != 1 || strings.HasPrefix(got[0], "0|") || strings.HasPrefix(got[0], "1|") {
					t.Fatalf("degenerate result %q", got)
				}
			})
		}
	}
}
