package exec

import (
	"context"
	"fmt"
	"math"
	"math/rand"
	"os"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// spillCtx returns a context with a checked allocator, a memory budget of limit bytes and
// a spill directory of its own, which the test checks is empty at the end.
func spillCtx(t *testing.T, limit int64) (context.Context, *memory.CheckedAllocator, *MemoryBudget) {
	t.Helper()
	ctx, mem := checkedCtx(t)
	dir := t.TempDir()
	t.Cleanup(func() {
		ents, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		if len(ents) != 0 {
			t.Errorf("%d spill files left behind, e.g. %s", len(ents), ents[0].Name())
		}
	})
	b := NewMemoryBudget(limit)
	ctx = WithSpillDir(WithMemoryBudget(ctx, b), func() (string, error) { return dir, nil })
	return ctx, mem, b
}

// randomRows returns nBatches batches of (id int32 unique in input order, a int64 of few
// values, s text, f float8, g int16) with NULLs, duplicates, NaN and -0.
func randomRows(t *testing.T, mem memory.Allocator, seed int64, nBatches, rows int) (*arrow.Schema, []arrow.RecordBatch) {
	rng := rand.New(rand.NewSource(seed))
	s := schemaOf(tI32, tI64, tStr, tF64, tI16)
	var bs []arrow.RecordBatch
	id := 0
	for range nBatches {
		var rs [][]any
		for range rows {
			var a, str, f, g any
			if rng.Intn(10) > 0 {
				a = rng.Intn(50) - 25
			}
			if rng.Intn(8) > 0 {
				str = fmt.Sprintf("s%03d", rng.Intn(300))
				if rng.Intn(20) == 0 {
					str = ""
				}
			}
			switch rng.Intn(12) {
			case 0:
			case 1:
				f = math.NaN()
			case 2:
				f = math.Copysign(0, -1)
			case 3:
				f = 0.0
			default:
				f = float64(rng.Intn(1000)) / 8
			}
			if rng.Intn(6) > 0 {
				g = rng.Intn(7)
			}
			rs = append(rs, []any{id, a, str, f, g})
			id++
		}
		bs = append(bs, mkBatch(t, mem, s, rs...))
	}
	return s, bs
}

func TestSortSpills(t *testing.T) {
	key := func(i int, typ arrow.DataType, desc, nullsFirst bool) SortKey {
		return SortKey{Expr: mustCol(t, i, typ), Desc: desc, NullsFirst: nullsFirst}
	}
	for i, keys := range [][]SortKey{
		{key(1, tI64, false, false)},
		{key(2, tStr, true, true), key(1, tI64, false, true)},
		{key(3, tF64, false, false), key(4, tI16, true, false)},
		{key(4, tI16, false, true), key(3, tF64, true, true), key(2, tStr, false, false)},
	} {
		for _, budget := range []int64{256 << 10, 48 << 10} {
			t.Run(fmt.Sprintf("%d/%d", i, budget), func(t *testing.T) {
				ctx, mem, b := spillCtx(t, budget)
				// Many batches: with the smallest budget more runs than one merge reads.
				s, bs := randomRows(t, mem, int64(i), 80, 500)
				v := mkValues(t, s, bs...)
				srt, err := NewSort(keys, v)
				if err != nil {
					t.Fatal(err)
				}
				plain, _ := checkedCtx(t)
				want := collectText(t, plain, srt)
				got := collectText(t, ctx, srt)
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
				t.Logf("%d spill files, %d bytes", b.SpillFiles(), b.SpilledBytes())
			})
		}
	}
}

// TestSortSpillCancel stops a spilling sort half way: every spill file is removed.
func TestSortSpillCancel(t *testing.T) {
	ctx, mem, b := spillCtx(t, 16<<10)
	s, bs := randomRows(t, mem, 7, 40, 500)
	v := mkValues(t, s, bs...)
	srt, _ := NewSort([]SortKey{{Expr: mustCol(t, 2, tStr)}}, v)
	ctx, cancel := context.WithCancel(ctx)
	st, err := srt.Execute(ctx)
	if err != nil {
		t.Fatal(err)
	}
	out, err := st.Next(ctx)
	if err != nil {
		t.Fatal(err)
	}
	out.Release()
	if b.SpillFiles() == 0 {
		t.Fatal("nothing spilled")
	}
	cancel()
	if _, err := st.Next(ctx); err == nil {
		t.Fatal("no error after cancel")
	}
	st.Close()
}

func TestHashAggregateSpills(t *testing.T) {
	c := func(i int, typ arrow.DataType) Expr { return mustCol(t, i, typ) }
	notNull, err := NewIsNull(c(4, tI16), true)
	if err != nil {
		t.Fatal(err)
	}
	aggs := []Aggregate{
		{Func: "count_star", Name: "n"},
		{Func: "count", Arg: c(2, tStr), Name: "count"},
		{Func: "sum", Arg: c(1, tI64), Name: "sum"},
		{Func: "avg", Arg: c(3, tF64), Name: "avg"},
		{Func: "min", Arg: c(2, tStr), Name: "min"},
		{Func: "max", Arg: c(3, tF64), Name: "max"},
		{Func: "string_agg", Arg: c(2, tStr), Extra: []Expr{lit(t, ",", tStr)}, OrderBy: []SortKey{{Expr: c(0, tI32), Desc: true}}, Name: "string_agg"},
		{Func: "array_agg", Arg: c(4, tI16), Name: "array_agg"},
		{Func: "count", Arg: c(1, tI64), Distinct: true, Name: "count_distinct"},
		{Func: "string_agg", Arg: c(2, tStr), Extra: []Expr{lit(t, ";", tStr)}, Distinct: true, Name: "string_agg_distinct"},
		{Func: "percentile_disc", Arg: c(3, tF64), Extra: []Expr{lit(t, 0.5, tF64)}, OrderBy: []SortKey{{Expr: c(3, tF64)}}, Name: "median"},
		{Func: "sum", Arg: c(1, tI64), Filter: notNull, Name: "sum_filtered"},
	}
	for i, c := range []struct {
		groups []Expr
		budget int64
		rows   int // per input batch
	}{
		{[]Expr{c(2, tStr), c(4, tI16)}, 16 << 10, 500}, // encoded keys, NULLs among them
		{[]Expr{c(1, tI64)}, 4 << 10, 25},               // one integer key, a NULL group
		{[]Expr{c(0, tI32)}, 256 << 10, 500},            // every row a group of its own
		{[]Expr{c(3, tF64)}, 16 << 10, 500},             // NaN, -0 = 0
		{[]Expr{c(2, tStr)}, 8 << 10, 500},              // one short text key, a NULL group
	} {
		groups := c.groups
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			ctx, mem, b := spillCtx(t, c.budget)
			s, bs := randomRows(t, mem, int64(10+i), 20000/c.rows, c.rows)
			v := mkValues(t, s, bs...)
			names := make([]string, len(groups))
			for j := range names {
				names[j] = fmt.Sprintf("g%d", j)
			}
			h, err := NewHashAggregate(groups, names, aggs, v)
			if err != nil {
				t.Fatal(err)
			}
			plain, _ := checkedCtx(t)
			want := collectText(t, plain, h)
			got := collectText(t, ctx, h)
			if b.SpillFiles() == 0 {
				t.Fatal("nothing spilled")
			}
			slices.Sort(want)
			slices.Sort(got)
			if len(got) != len(want) {
				t.Fatalf("%d groups, want %d", len(got), len(want))
			}
			for r := range want {
				if got[r] != want[r] {
					t.Fatalf("group %d:\n got %s\nwant %s", r, got[r], want[r])
				}
			}
			if b.Used() != 0 {
				t.Fatalf("%d bytes still reserved", b.Used())
			}
			t.Logf("%d groups, %d spill files, %d bytes", len(got), b.SpillFiles(), b.SpilledBytes())
		})
	}
}

func TestHashJoinSpills(t *testing.T) {
	// Pair schema: left (id, a, s, f, g) then right (id, a, s, f, g).
	residual := mustBinary(t, Lt, mustCol(t, 3, tF64), mustCol(t, 8, tF64))
	for _, keys := range []struct {
		name   string
		l, r   []Expr
		budget int64
		rows   int
	}{
		{"text and smallint", []Expr{mustCol(t, 2, tStr), mustCol(t, 4, tI16)}, []Expr{mustCol(t, 2, tStr), mustCol(t, 4, tI16)}, 16 << 10, 60},
		{"bigint", []Expr{mustCol(t, 1, tI64)}, []Expr{mustCol(t, 1, tI64)}, 8 << 10, 40},
	} {
		for _, kind := range []JoinKind{Inner, Left, Right, Full, Semi, Anti, NullAwareAnti} {
			for _, res := range []Expr{nil, residual} {
				if res != nil && (kind == NullAwareAnti || keys.name == "bigint" && kind != Left) {
					continue
				}
				name := fmt.Sprintf("%s/%s/residual=%v", keys.name, kind, res != nil)
				t.Run(name, func(t *testing.T) {
					lk, rk := keys.l, keys.r
					if kind == NullAwareAnti {
						lk, rk = lk[:1], rk[:1]
					}
					ctx, mem, b := spillCtx(t, keys.budget)
					ls, lb := randomRows(t, mem, 100, 40, keys.rows)
					rs, rb := randomRows(t, mem, 200, 40, keys.rows)
					if kind == NullAwareAnti && keys.name == "bigint" {
						// No NULL on the right, so that some rows qualify.
						rb = dropNullKeys(t, mem, rb, 1)
					}
					j, err := NewHashJoin(kind, mkValues(t, ls, lb...), mkValues(t, rs, rb...), lk, rk, res)
					if err != nil {
						t.Fatal(err)
					}
					plain, _ := checkedCtx(t)
					want := collectText(t, plain, j)
					got := collectText(t, ctx, j)
					if b.SpillFiles() == 0 {
						t.Fatal("nothing spilled")
					}
					slices.Sort(want)
					slices.Sort(got)
					if len(got) != len(want) {
						t.Fatalf("%d rows, want %d", len(got), len(want))
					}
					for r := range want {
						if got[r] != want[r] {
							t.Fatalf("row %d:\n got %s\nwant %s", r, got[r], want[r])
						}
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

// dropNullKeys returns batches without the rows whose column c is NULL, releasing bs.
func dropNullKeys(t *testing.T, mem memory.Allocator, bs []arrow.RecordBatch, c int) []arrow.RecordBatch {
	var out []arrow.RecordBatch
	for _, b := range bs {
		var keep []int32
		for r := range int(b.NumRows()) {
			if b.Column(c).IsValid(r) {
				keep = append(keep, int32(r))
			}
		}
		out = append(out, takeBatch(mem, b, keep))
		b.Release()
	}
	return out
}

// TestSpillCancel stops spilling aggregations and joins after their first batch and on
// cancellation: every spill file is removed and every buffer released.
func TestSpillCancel(t *testing.T) {
	ops := map[string]func(t *testing.T, l, r Operator) Operator{
		"aggregate": func(t *testing.T, l, r Operator) Operator {
			h, err := NewHashAggregate([]Expr{mustCol(t, 0, tI32)}, []string{"id"},
				[]Aggregate{{Func: "max", Arg: mustCol(t, 2, tStr), Name: "m"}}, l)
			if err != nil {
				t.Fatal(err)
			}
			return h
		},
		"join": func(t *testing.T, l, r Operator) Operator {
			j, err := NewHashJoin(Full, l, r, []Expr{mustCol(t, 2, tStr)}, []Expr{mustCol(t, 2, tStr)}, nil)
			if err != nil {
				t.Fatal(err)
			}
			return j
		},
	}
	for name, mk := range ops {
		for _, cancelFirst := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/cancel=%v", name, cancelFirst), func(t *testing.T) {
				ctx, mem, b := spillCtx(t, 16<<10)
				ls, lb := randomRows(t, mem, 1, 20, 500)
				rs, rb := randomRows(t, mem, 2, 20, 500)
				op := mk(t, mkValues(t, ls, lb...), mkValues(t, rs, rb...))
				ctx, cancel := context.WithCancel(ctx)
				defer cancel()
				st, err := op.Execute(ctx)
				if err != nil {
					t.Fatal(err)
				}
				out, err := st.Next(ctx)
				if err != nil {
					t.Fatal(err)
				}
				out.Release()
				if b.SpillFiles() == 0 {
					t.Fatal("nothing spilled")
				}
				if cancelFirst {
					cancel()
					for {
						out, err := st.Next(ctx)
						if err != nil {
							break
						}
						out.Release()
					}
				}
				st.Close()
			})
		}
	}
}
