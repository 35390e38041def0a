package exec

import (
	"fmt"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// dropID returns bs without their first column (randomRows' unique id), so that rows repeat;
// it takes the references of bs.
func dropID(mem memory.Allocator, bs []arrow.RecordBatch) (*arrow.Schema, []arrow.RecordBatch) {
	s := arrow.NewSchema(bs[0].Schema().Fields()[1:], nil)
	out := make([]arrow.RecordBatch, len(bs))
	for i, b := range bs {
		out[i] = array.NewRecordBatch(s, b.Columns()[1:], b.NumRows())
		b.Release()
	}
	return s, out
}

// TestSetOpSpills runs every set operation over rows with NULLs, NaN and -0 under budgets
// that make it spill, and recursively so: the rows are those without a budget (in another
// order: by partition).
func TestSetOpSpills(t *testing.T) {
	for _, kind := range []SetOpKind{SetUnion, SetIntersect, SetExcept} {
		for _, all := range []bool{false, true} {
			if kind == SetUnion && all {
				continue
			}
			for _, budget := range []int64{32 << 10, 8 << 10} {
				t.Run(fmt.Sprintf("%s/%v/%d", kind, all, budget), func(t *testing.T) {
					ctx, mem, b := spillCtx(t, budget)
					ls, lb := dropID(mem, must2(randomRows(t, mem, 1, 12, 500)))
					_, rb := dropID(mem, must2(randomRows(t, mem, 2, 10, 500)))
					op, err := NewSetOp(kind, all, mkValues(t, ls, lb...), mkValues(t, ls, rb...))
					if err != nil {
						t.Fatal(err)
					}
					plain, _ := checkedCtx(t)
					want := collectText(t, plain, op)
					got := collectText(t, ctx, op)
					if b.SpillFiles() == 0 {
						t.Fatal("nothing spilled")
					}
					slices.Sort(want)
					slices.Sort(got)
					if !slices.Equal(got, want) {
						t.Fatalf("%d rows, want %d", len(got), len(want))
					}
					if b.Used() != 0 {
						t.Fatalf("%d bytes still reserved", b.Used())
					}
					t.Logf("%d rows, %d spill files, %d bytes", len(got), b.SpillFiles(), b.SpilledBytes())
				})
			}
		}
	}
}

func must2(s *arrow.Schema, bs []arrow.RecordBatch) []arrow.RecordBatch { return bs }

// TestWindowSpills runs windows partitioned by columns with NULLs, NaN and -0 under a budget
// that makes them sort externally and compute a chunk of partitions at a time: the rows are
// those without a budget, in the same order.
func TestWindowSpills(t *testing.T) {
	cases := []struct {
		part  []int
		order []int
	}{
		{[]int{1}, []int{0}},
		{[]int{3, 4}, []int{2, 0}},
		{[]int{2}, []int{3}}, // float partitions: NaN and -0 = 0
	}
	for i, tc := range cases {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			ctx, mem, b := spillCtx(t, 16<<10)
			s, bs := randomRows(t, mem, int64(i), 30, 500)
			types := []arrow.DataType{tI32, tI64, tStr, tF64, tI16}
			var part []Expr
			for _, c := range tc.part {
				part = append(part, mustCol(t, c, types[c]))
			}
			var order []SortKey
			for _, c := range tc.order {
				order = append(order, SortKey{Expr: mustCol(t, c, types[c])})
			}
			w, err := NewWindow(mkValues(t, s, bs...), part, order, []WindowFunc{
				{Func: "row_number", Name: "rn"},
				{Func: "rank", Name: "rk"},
				{Func: "count", Name: "n", Frame: Frame{Start: FrameBound{Kind: UnboundedPreceding}, End: FrameBound{Kind: UnboundedFollowing}}},
				{Func: "sum", Args: []Expr{mustCol(t, 1, tI64)}, Name: "sum"},
				{Func: "lag", Args: []Expr{mustCol(t, 2, tStr)}, Name: "lag"},
			})
			if err != nil {
				t.Fatal(err)
			}
			plain, _ := checkedCtx(t)
			want := collectText(t, plain, w)
			got := collectText(t, ctx, w)
			if b.SpillFiles() == 0 {
				t.Fatal("nothing spilled")
			}
			if len(got) != len(want) {
				t.Fatalf("%d rows, want %d", len(got), len(want))
			}
			for r := range want {
				if got[r] != want[r] {
					t.Fatalf("row %d: %s, want %s", r, got[r], want[r])
				}
			}
			if b.Used() != 0 {
				t.Fatalf("%d bytes still reserved", b.Used())
			}
		})
	}
}
