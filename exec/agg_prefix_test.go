package exec

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// TestGroupTextPrefix groups by substr(s, from, count) where the table is keyed on the
// string's first characters without building the substrings (from <= 1, at most 7
// characters), and where it is not (a longer prefix, a later start): ASCII and non-ASCII
// values of 0 to 12 characters, NULLs, values ending at the end of the data buffer, several
// batches, with and without a memory budget small enough to spill (checked to spill where
// there are over 1,000 groups). Each group's key, count
// and max are checked against a fold of the substr function's own results computed here.
func TestGroupTextPrefix(t *testing.T) {
	alphabet := []string{"a", "b", "0", "1", "é", "日", "😀", "\x00"}
	cases := []struct {
		from, count int64
		fused       bool
	}{
		{1, 4, true}, {1, 0, true}, {1, 1, true}, {1, 7, true}, {0, 3, true}, {-2, 5, true}, {-5, 2, true},
		{1, 8, false}, {2, 3, false}, {0, 8, true}, {0, 9, false},
	}
	for _, c := range cases {
		for _, budget := range []int64{0, 16 << 10} {
			t.Run(fmt.Sprintf("substr(s,%d,%d)/budget=%d", c.from, c.count, budget), func(t *testing.T) {
				ctx, mem := checkedCtx(t)
				var b *MemoryBudget
				if budget > 0 {
					ctx, mem, b = spillCtx(t, budget)
				}
				rng := rand.New(rand.NewPCG(uint64(c.from+10), uint64(c.count)))
				s := schemaOf(tStr, tI64)
				var batches []arrow.RecordBatch
				for range 6 {
					var rows [][]any
					for range 900 {
						var k, v any
						if rng.IntN(40) > 0 {
							var b strings.Builder
							n := rng.IntN(13)
							ascii := rng.IntN(3) > 0
							for range n {
								if ascii {
									b.WriteString(alphabet[rng.IntN(4)])
								} else {
									b.WriteString(alphabet[rng.IntN(len(alphabet))])
								}
							}
							k = b.String()
						}
						if rng.IntN(10) > 0 {
							v = rng.IntN(100000)
						}
						rows = append(rows, []any{k, v})
					}
					batches = append(batches, mkBatch(t, mem, s, rows...))
				}
				group := &prefixExpr{s: mustCol(t, 0, tStr), from: c.from, count: c.count}
				want := foldByExpr(t, ctx, group, batches)
				v := mkValues(t, s, batches...)
				val := mustCol(t, 1, tI64)
				h, err := NewHashAggregate([]Expr{group}, []string{"p"}, []Aggregate{
					{Func: "count_star", Name: "rows"}, {Func: "max", Arg: val, Name: "max"},
				}, v)
				if err != nil {
					t.Fatal(err)
				}
				if (h.prefixArg != nil) != c.fused {
					t.Fatalf("keyed on the string's prefix: %v, want %v", h.prefixArg != nil, c.fused)
				}
				out, err := Collect(ctx, h)
				if err != nil {
					t.Fatal(err)
				}
				defer releaseBatches(out)
				if b != nil && len(want) > 1000 && b.SpillFiles() == 0 {
					t.Fatalf("nothing spilled within %d bytes", budget)
				}
				got := map[string]string{}
				for _, line := range rowsText(out) {
					key, rest, _ := strings.Cut(line, "|")
					if _, dup := got[key]; dup {
						t.Fatalf("group %q returned twice", key)
					}
					got[key] = rest
				}
				if len(got) != len(want) {
					t.Fatalf("%d groups, want %d", len(got), len(want))
				}
				for k, w := range want {
					if got[k] != w {
						t.Fatalf("group %q: %q, want %q", k, got[k], w)
					}
				}
			})
		}
	}
}

// prefixExpr is substr(s, from, count) of a text s, computed here with ByteRange, and a
// TextPrefixer where substr is one (function.Func's TextPrefix, checked by that package's
// TestTextPrefix): from <= 1, count >= 0, at most 7 characters.
type prefixExpr struct {
	s           Expr
	from, count int64
}

func (p *prefixExpr) DataType() arrow.DataType { return arrow.BinaryTypes.String }

func (p *prefixExpr) String() string {
	return fmt.Sprintf("substr(%s, %d, %d)", p.s, p.from, p.count)
}

func (p *prefixExpr) Eval(ctx context.Context, batch arrow.RecordBatch) (arrow.Array, error) {
	a, err := p.s.Eval(ctx, batch)
	if err != nil {
		return nil, err
	}
	defer a.Release()
	in := a.(*array.String)
	b := array.NewStringBuilder(Allocator(ctx))
	defer b.Release()
	for i := range in.Len() {
		if in.IsNull(i) {
			b.AppendNull()
			continue
		}
		v := []byte(in.Value(i))
		lo, hi, err := ByteRange(v, max(p.from-1, 0), p.from-1+p.count)
		if err != nil {
			return nil, err
		}
		b.Append(string(v[lo:hi]))
	}
	return b.NewArray(), nil
}

func (p *prefixExpr) TextPrefix() (Expr, int, bool) {
	n := max(p.from+p.count-1, 0)
	if p.from > 1 || p.count < 0 || n > 7 {
		return nil, 0, false
	}
	return p.s, int(n), true
}

// foldByExpr evaluates e over each batch and returns, per distinct value as text, count(*)
// and max of column 1 (int64) as text joined by '|'.
func foldByExpr(t *testing.T, ctx context.Context, e Expr, batches []arrow.RecordBatch) map[string]string {
	t.Helper()
	type fold struct {
		rows int64
		max  *int64
	}
	folds := map[string]*fold{}
	for _, b := range batches {
		keys, err := evalText(ctx, e, b)
		if err != nil {
			t.Fatal(err)
		}
		vals := b.Column(1).(*array.Int64)
		for r, k := range keys {
			if k != "NULL" && !b.Column(0).IsValid(r) {
				t.Fatalf("substr of NULL is %q", k)
			}
			f := folds[k]
			if f == nil {
				f = &fold{}
				folds[k] = f
			}
			f.rows++
			if vals.IsValid(r) {
				x := vals.Value(r)
				if f.max == nil || x > *f.max {
					f.max = &x
				}
			}
		}
	}
	out := map[string]string{}
	for k, f := range folds {
		m := "NULL"
		if f.max != nil {
			m = fmt.Sprint(*f.max)
		}
		out[k] = fmt.Sprintf("%d|%s", f.rows, m)
	}
	return out
}
