package exec

import (
	"context"
	"fmt"
	"math"
	"math/rand"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// joinInputs returns l(k int, a text) and r(k int, x int), each split over several batches
// (one of them empty).
func joinInputs(t *testing.T, mem memory.Allocator) (*Values, *Values) {
	ls, rs := schemaOf(tI32, tStr), schemaOf(tI32, tI32)
	l := mkValues(t, ls,
		mkBatch(t, mem, ls, []any{1, "a"}, []any{2, "b"}),
		mkBatch(t, mem, ls),
		mkBatch(t, mem, ls, []any{2, "b2"}, []any{nil, "n"}, []any{3, "c"}, []any{5, "e"}),
	)
	r := mkValues(t, rs,
		mkBatch(t, mem, rs, []any{2, 10}, []any{2, 20}, []any{3, 0}),
		mkBatch(t, mem, rs, []any{nil, 99}, []any{4, 40}, []any{3, 5}),
	)
	return l, r
}

func sortedText(t *testing.T, ctx context.Context, op Operator) []string {
	t.Helper()
	got := collectText(t, ctx, op)
	slices.Sort(got)
	return got
}

func sorted(s ...string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

func mustBinary(t testing.TB, op BinaryOp, l, r Expr) Expr {
	b, err := NewBinary(op, l, r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Expected rows are PostgreSQL 15's for the same tables and queries.
func TestHashJoinKinds(t *testing.T) {
	ctx, mem := checkedCtx(t)
	l, r := joinInputs(t, mem)
	lk, rk := []Expr{mustCol(t, 0, tI32)}, []Expr{mustCol(t, 0, tI32)}
	// r.x > 1 over the pair schema (l.k, l.a, r.k, r.x).
	res := mustBinary(t, Gt, mustCol(t, 3, tI32), lit(t, 1, tI32))
	matches := []string{"2|b|2|10", "2|b|2|20", "2|b2|2|10", "2|b2|2|20"}
	tests := []struct {
		name     string
		kind     JoinKind
		residual Expr
		want     []string
	}{
		{"inner", Inner, nil, append(slices.Clone(matches), "3|c|3|0", "3|c|3|5")},
		{"left", Left, nil, append(slices.Clone(matches), "1|a|NULL|NULL", "3|c|3|0", "3|c|3|5", "5|e|NULL|NULL", "NULL|n|NULL|NULL")},
		{"right", Right, nil, append(slices.Clone(matches), "3|c|3|0", "3|c|3|5", "NULL|NULL|4|40", "NULL|NULL|NULL|99")},
		{"full", Full, nil, append(slices.Clone(matches), "1|a|NULL|NULL", "3|c|3|0", "3|c|3|5", "5|e|NULL|NULL", "NULL|n|NULL|NULL", "NULL|NULL|4|40", "NULL|NULL|NULL|99")},
		{"semi", Semi, nil, []string{"2|b", "2|b2", "3|c"}},
		{"anti", Anti, nil, []string{"1|a", "5|e", "NULL|n"}},
		{"not in with a NULL", NullAwareAnti, nil, nil},
		{"inner residual", Inner, res, append(slices.Clone(matches), "3|c|3|5")},
		{"left residual", Left, res, append(slices.Clone(matches), "1|a|NULL|NULL", "3|c|3|5", "5|e|NULL|NULL", "NULL|n|NULL|NULL")},
		{"right residual", Right, res, append(slices.Clone(matches), "3|c|3|5", "NULL|NULL|3|0", "NULL|NULL|4|40", "NULL|NULL|NULL|99")},
		{"full residual", Full, res, append(slices.Clone(matches), "1|a|NULL|NULL", "3|c|3|5", "5|e|NULL|NULL", "NULL|n|NULL|NULL", "NULL|NULL|3|0", "NULL|NULL|4|40", "NULL|NULL|NULL|99")},
		{"semi residual", Semi, res, []string{"2|b", "2|b2", "3|c"}},
		{"anti residual", Anti, res, []string{"1|a", "5|e", "NULL|n"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			j, err := NewHashJoin(tc.kind, l, r, lk, rk, tc.residual)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := sortedText(t, ctx, j), sorted(tc.want...); !equalStrings(got, want) {
				t.Fatalf("%s:\n got %q\nwant %q", j, got, want)
			}
		})
	}
}

func TestHashJoinOutputOrderAndSchema(t *testing.T) {
	ctx, mem := checkedCtx(t)
	l, r := joinInputs(t, mem)
	lk, rk := []Expr{mustCol(t, 0, tI32)}, []Expr{mustCol(t, 0, tI32)}
	j, err := NewHashJoin(Left, l, r, lk, rk, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Left input order; each left row's matches in right input order.
	want := []string{"1|a|NULL|NULL", "2|b|2|10", "2|b|2|20", "2|b2|2|10", "2|b2|2|20", "NULL|n|NULL|NULL", "3|c|3|0", "3|c|3|5", "5|e|NULL|NULL"}
	if got := collectText(t, ctx, j); !equalStrings(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	if got := j.String(); got != "HashJoin: left on [c0 = c0]" {
		t.Fatalf("String() = %q", got)
	}
	nullable := func(s *arrow.Schema) string {
		var b strings.Builder
		for _, f := range s.Fields() {
			fmt.Fprintf(&b, "%v", f.Nullable)
		}
		return b.String()
	}
	l2 := mkValues(t, arrow.NewSchema([]arrow.Field{{Name: "k", Type: tI32}}, nil))
	r2 := mkValues(t, arrow.NewSchema([]arrow.Field{{Name: "k", Type: tI32}}, nil))
	for kind, want := range map[JoinKind]string{Inner: "falsefalse", Left: "falsetrue", Right: "truefalse", Full: "truetrue", Semi: "false", Anti: "false"} {
		j, err := NewHashJoin(kind, l2, r2, lk, rk, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := nullable(j.Schema()); got != want {
			t.Errorf("%s join nullability %s, want %s", kind, got, want)
		}
		if got := collectText(t, ctx, j); len(got) != 0 {
			t.Errorf("%s join of empty inputs = %q", kind, got)
		}
	}
}

func TestHashJoinNotIn(t *testing.T) {
	ctx, mem := checkedCtx(t)
	ls, rs := schemaOf(tI32, tStr), schemaOf(tI32)
	l := mkValues(t, ls, mkBatch(t, mem, ls, []any{1, "a"}, []any{2, "b"}, []any{nil, "n"}, []any{5, "e"}))
	tests := []struct {
		name  string
		right [][]any
		want  []string
	}{
		{"no NULLs", [][]any{{2}, {3}}, []string{"1|a", "5|e"}},
		{"a NULL", [][]any{{2}, {nil}}, nil},
		{"empty", nil, []string{"1|a", "2|b", "5|e", "NULL|n"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := mkValues(t, rs, mkBatch(t, mem, rs, tc.right...))
			j, err := NewHashJoin(NullAwareAnti, l, r, []Expr{mustCol(t, 0, tI32)}, []Expr{mustCol(t, 0, tI32)}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := sortedText(t, ctx, j), sorted(tc.want...); !equalStrings(got, want) {
				t.Fatalf("got %q, want %q", got, want)
			}
		})
	}
}

// Multi-column and non-integer keys go through the encoded-key table.
func TestHashJoinEncodedKeys(t *testing.T) {
	ctx, mem := checkedCtx(t)
	ls, rs := schemaOf(tStr, tF64), schemaOf(tStr, tF64, tI32)
	nan := func() float64 { var z float64; return z / z }()
	l := mkValues(t, ls, mkBatch(t, mem, ls,
		[]any{"x", 1.5}, []any{"x", 0.0}, []any{"y", nan}, []any{nil, 1.5}, []any{"x", nil}, []any{"", 2.0}))
	r := mkValues(t, rs, mkBatch(t, mem, rs,
		[]any{"x", 1.5, 1}, []any{"x", math.Copysign(0, -1), 2}, []any{"y", nan, 3}, []any{nil, 1.5, 4}, []any{"x", nil, 5}, []any{"", 2.0, 6}, []any{"x", 1.5, 7}))
	j, err := NewHashJoin(Inner, l, r,
		[]Expr{mustCol(t, 0, tStr), mustCol(t, 1, tF64)}, []Expr{mustCol(t, 0, tStr), mustCol(t, 1, tF64)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// PostgreSQL: 'NaN'::float8 = 'NaN' and -0 = 0 are true; NULLs never match.
	want := []string{"x|1.5|x|1.5|1", "x|1.5|x|1.5|7", "x|0|x|-0|2", "y|NaN|y|NaN|3", "|2||2|6"}
	if got := sortedText(t, ctx, j); !equalStrings(got, sorted(want...)) {
		t.Fatalf("got %q, want %q", got, sorted(want...))
	}
}

func TestHashJoinValidation(t *testing.T) {
	_, mem := checkedCtx(t)
	l, r := joinInputs(t, mem)
	k32, k16, s := mustCol(t, 0, tI32), mustCol(t, 0, tI16), mustCol(t, 1, tStr)
	tests := []struct {
		name     string
		kind     JoinKind
		lk, rk   []Expr
		residual Expr
	}{
		{"no keys", Inner, nil, nil, nil},
		{"key count", Inner, []Expr{k32}, []Expr{k32, k32}, nil},
		{"key types", Inner, []Expr{k32}, []Expr{k16}, nil},
		{"nil key", Inner, []Expr{nil}, []Expr{k32}, nil},
		{"residual type", Inner, []Expr{k32}, []Expr{k32}, s},
		{"kind", JoinKind(42), []Expr{k32}, []Expr{k32}, nil},
		{"not in residual", NullAwareAnti, []Expr{k32}, []Expr{k32}, mustBinary(t, Gt, mustCol(t, 3, tI32), lit(t, 1, tI32))},
	}
	for _, tc := range tests {
		if _, err := NewHashJoin(tc.kind, l, r, tc.lk, tc.rk, tc.residual); err == nil {
			t.Errorf("%s: accepted", tc.name)
		}
	}
	if _, err := NewHashJoin(Inner, nil, r, []Expr{k32}, []Expr{k32}, nil); err == nil {
		t.Error("nil input accepted")
	}
}

// naiveJoin is the reference: every pair, in left-then-right order.
func naiveJoin(kind JoinKind, lk, rk []*int, res func(i, j int) bool) []string {
	var out []string
	str := func(p *int) string {
		if p == nil {
			return "NULL"
		}
		return fmt.Sprint(*p)
	}
	rm := make([]bool, len(rk))
	for i, a := range lk {
		n := 0
		for j, b := range rk {
			if a != nil && b != nil && *a == *b && res(i, j) {
				n++
				rm[j] = true
				if !kind.leftOnly() {
					out = append(out, fmt.Sprintf("%s|%d|%s|%d", str(a), i, str(b), j))
				}
			}
		}
		switch {
		case kind == Semi && n > 0, kind == Anti && n == 0:
			out = append(out, fmt.Sprintf("%s|%d", str(a), i))
		case n == 0 && kind.keepsLeft():
			out = append(out, fmt.Sprintf("%s|%d|NULL|NULL", str(a), i))
		}
	}
	if kind.keepsRight() {
		for j, b := range rk {
			if !rm[j] {
				out = append(out, fmt.Sprintf("NULL|NULL|%s|%d", str(b), j))
			}
		}
	}
	return out
}

// Many batches with skewed duplicates, against the naive reference, for both join
// operators.
func TestJoinsAgainstReference(t *testing.T) {
	ctx, mem := checkedCtx(t)
	rng := rand.New(rand.NewSource(1))
	gen := func(n, keys int) []*int {
		out := make([]*int, n)
		for i := range out {
			if rng.Intn(20) > 0 {
				k := rng.Intn(keys)
				if rng.Intn(4) == 0 {
					k = 0 // skew
				}
				out[i] = &k
			}
		}
		return out
	}
	lk, rk := gen(1200, 200), gen(300, 150)
	s := schemaOf(tI64, tI64)
	mk := func(ks []*int) *Values {
		var bs []arrow.RecordBatch
		for off := 0; off < len(ks); off += 97 {
			var rows [][]any
			for i := off; i < min(off+97, len(ks)); i++ {
				var k any
				if ks[i] != nil {
					k = int64(*ks[i])
				}
				rows = append(rows, []any{k, int64(i)})
			}
			bs = append(bs, mkBatch(t, mem, s, rows...))
		}
		return mkValues(t, s, bs...)
	}
	l, r := mk(lk), mk(rk)
	// residual: (l.row + r.row) % 3 <> 0
	sum := mustBinary(t, Add, mustCol(t, 1, tI64), mustCol(t, 3, tI64))
	res := mustBinary(t, NotEq, mustBinary(t, Mod, sum, lit(t, int64(3), tI64)), lit(t, int64(0), tI64))
	eq := mustBinary(t, Eq, mustCol(t, 0, tI64), mustCol(t, 2, tI64))
	both := mustBinary(t, And, eq, res)
	for _, kind := range []JoinKind{Inner, Left, Right, Full, Semi, Anti} {
		for _, withRes := range []bool{false, true} {
			name := fmt.Sprintf("%s residual=%v", kind, withRes)
			t.Run(name, func(t *testing.T) {
				var residual, cond Expr = nil, eq
				pred := func(i, j int) bool { return true }
				if withRes {
					residual, cond = res, both
					pred = func(i, j int) bool { return (i+j)%3 != 0 }
				}
				want := naiveJoin(kind, lk, rk, pred)
				hj, err := NewHashJoin(kind, l, r, []Expr{mustCol(t, 0, tI64)}, []Expr{mustCol(t, 0, tI64)}, residual)
				if err != nil {
					t.Fatal(err)
				}
				// The hash join keeps the reference's order: left order, then unmatched right rows.
				if got := collectText(t, ctx, hj); !equalStrings(got, want) {
					t.Fatalf("hash join: %d rows, want %d", len(got), len(want))
				}
				nl, err := NewNestedLoopJoin(kind, l, r, cond)
				if err != nil {
					t.Fatal(err)
				}
				if got := collectText(t, ctx, nl); !equalStrings(got, want) {
					t.Fatalf("nested loop join: %d rows, want %d", len(got), len(want))
				}
			})
		}
	}
}

// TestHashJoinUniqueKeysAgainstReference joins a left input of more than two batches' worth
// of rows, NULL keys among them, with a right side whose keys are distinct (each left row
// matches at most one right row, the path that writes pairs by position), for every join
// kind with and without a residual, against the naive reference.
func TestHashJoinUniqueKeysAgainstReference(t *testing.T) {
	ctx, mem := checkedCtx(t)
	rng := rand.New(rand.NewSource(2))
	lk := make([]*int, 2*BatchRows+500)
	for i := range lk {
		if rng.Intn(30) > 0 {
			k := rng.Intn(700)
			lk[i] = &k
		}
	}
	var rk []*int
	for _, k := range rng.Perm(500) {
		rk = append(rk, &k)
	}
	rk = append(rk, nil, nil)
	s := schemaOf(tI64, tI64)
	mk := func(ks []*int, per int) *Values {
		var bs []arrow.RecordBatch
		for off := 0; off < len(ks); off += per {
			var rows [][]any
			for i := off; i < min(off+per, len(ks)); i++ {
				var k any
				if ks[i] != nil {
					k = int64(*ks[i])
				}
				rows = append(rows, []any{k, int64(i)})
			}
			bs = append(bs, mkBatch(t, mem, s, rows...))
		}
		return mkValues(t, s, bs...)
	}
	l, r := mk(lk, BatchRows+300), mk(rk, 97)
	res := mustBinary(t, NotEq, mustBinary(t, Mod, mustBinary(t, Add, mustCol(t, 1, tI64), mustCol(t, 3, tI64)), lit(t, int64(3), tI64)), lit(t, int64(0), tI64))
	for _, kind := range []JoinKind{Inner, Left, Right, Full, Semi, Anti} {
		for _, withRes := range []bool{false, true} {
			var residual Expr
			pred := func(i, j int) bool { return true }
			if withRes {
				residual = res
				pred = func(i, j int) bool { return (i+j)%3 != 0 }
			}
			want := naiveJoin(kind, lk, rk, pred)
			hj, err := NewHashJoin(kind, l, r, []Expr{mustCol(t, 0, tI64)}, []Expr{mustCol(t, 0, tI64)}, residual)
			if err != nil {
				t.Fatal(err)
			}
			if got := collectText(t, ctx, hj); !equalStrings(got, want) {
				t.Fatalf("%s residual=%v: %d rows, want %d", kind, withRes, len(got), len(want))
			}
		}
	}
}

// BenchmarkHashJoinInt64 joins 1M probe rows with a 100k-row build side on an int64 key
// (every probe row matches one build row).
func BenchmarkHashJoinInt64(b *testing.B) {
	const probe, build = 1 << 20, 100_000
	l := benchInput(b, probe, build)
	defer l.Release()
	r := benchInput(b, build, 1<<62)
	defer r.Release()
	j, err := NewHashJoin(Inner, l, r, []Expr{mustCol(b, 0, tI64)}, []Expr{mustCol(b, 1, tI64)}, nil)
	if err != nil {
		b.Fatal(err)
	}
	benchRun(b, j, probe)
}

// One left row matching more than BatchRows right rows is split over batches.
func TestHashJoinWideMatch(t *testing.T) {
	ctx, mem := checkedCtx(t)
	s := schemaOf(tI64)
	var rows [][]any
	for range BatchRows + 100 {
		rows = append(rows, []any{int64(1)})
	}
	r := mkValues(t, s, mkBatch(t, mem, s, rows...))
	l := mkValues(t, s, mkBatch(t, mem, s, []any{int64(1)}, []any{int64(2)}, []any{int64(1)}))
	for kind, want := range map[JoinKind]int{Inner: 2 * (BatchRows + 100), Left: 2*(BatchRows+100) + 1, Semi: 2, Anti: 1, Right: 2 * (BatchRows + 100)} {
		j, err := NewHashJoin(kind, l, r, []Expr{mustCol(t, 0, tI64)}, []Expr{mustCol(t, 0, tI64)}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := len(collectText(t, ctx, j)); got != want {
			t.Errorf("%s: %d rows, want %d", kind, got, want)
		}
	}
}

// TestHashJoinForeignKey joins a fact input whose every row matches exactly one dimension
// row (its left rows come out as slices of the left batches, not copies) with runs of
// non-matching and NULL keys between them (those batches are gathered), for the inner, left
// and semi joins, each against the rows worked out here; the checked allocator finds no leak.
func TestHashJoinForeignKey(t *testing.T) {
	ctx, mem := checkedCtx(t)
	ls, rs := schemaOf(tI64, tStr), schemaOf(tI64, tStr)
	var lb []arrow.RecordBatch
	var inner, left, semi []string
	for b := range 4 {
		var rows [][]any
		for i := range 3000 {
			id := b*3000 + i
			var k any = id % 97
			if b == 2 && i%10 == 0 {
				k = 1000 + i // no dimension row
			}
			if b == 3 && i%500 == 0 {
				k = nil
			}
			v := fmt.Sprintf("f%d", id)
			rows = append(rows, []any{k, v})
			switch k := k.(type) {
			case int:
				if k < 97 {
					m := fmt.Sprintf("%d|%s|%d|d%d", k, v, k, k)
					inner, left = append(inner, m), append(left, m)
					semi = append(semi, fmt.Sprintf("%d|%s", k, v))
					continue
				}
				left = append(left, fmt.Sprintf("%d|%s|NULL|NULL", k, v))
			default:
				left = append(left, fmt.Sprintf("NULL|%s|NULL|NULL", v))
			}
		}
		lb = append(lb, mkBatch(t, mem, ls, rows...))
	}
	var dim [][]any
	for k := range 97 {
		dim = append(dim, []any{k, fmt.Sprintf("d%d", k)})
	}
	l := mkValues(t, ls, lb...)
	r := mkValues(t, rs, mkBatch(t, mem, rs, dim...))
	for _, tc := range []struct {
		kind JoinKind
		want []string
	}{{Inner, inner}, {Left, left}, {Semi, semi}} {
		j, err := NewHashJoin(tc.kind, l, r, []Expr{mustCol(t, 0, tI64)}, []Expr{mustCol(t, 0, tI64)}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := collectText(t, ctx, j); !slices.Equal(got, tc.want) {
			t.Fatalf("%s join: %d rows, want %d; first %q", tc.kind, len(got), len(tc.want), got[:min(3, len(got))])
		}
	}
}
