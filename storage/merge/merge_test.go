package merge

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/exec"
)

func r(k int64, s string, ver int64, a int64) row {
	var sp *string
	if s != "-" {
		sp = str(s)
	}
	return row{k: k, s: sp, ver: ver, a: i64(a)}
}

func TestMerge(t *testing.T) {
	tests := []struct {
		name   string
		inputs [][]row
		sizes  [][]int // batch sizes per input; nil: one batch
		want   []row
	}{
		{
			name: "overlapping keys",
			inputs: [][]row{
				{r(1, "a", 5, 10), r(2, "a", 5, 11), r(4, "-", 5, 12)},
				{r(1, "a", 3, 20), r(2, "a", 7, 21), r(2, "b", 7, 22), r(3, "a", 7, 23)},
				{r(1, "a", 5, 30), r(2, "-", 1, 31), r(4, "-", 5, 32)},
			},
			want: []row{
				r(1, "a", 3, 20), r(1, "a", 5, 10), r(1, "a", 5, 30),
				r(2, "a", 5, 11), r(2, "a", 7, 21), r(2, "b", 7, 22), r(2, "-", 1, 31),
				r(3, "a", 7, 23),
				r(4, "-", 5, 12), r(4, "-", 5, 32),
			},
		},
		{
			name: "equal keys within an input keep their order",
			inputs: [][]row{
				{r(1, "a", 2, 1), r(1, "a", 2, 2), r(1, "a", 2, 3)},
				{r(1, "a", 2, 4)},
			},
			sizes: [][]int{{1}, nil},
			want:  []row{r(1, "a", 2, 1), r(1, "a", 2, 2), r(1, "a", 2, 3), r(1, "a", 2, 4)},
		},
		{
			name:   "empty inputs",
			inputs: [][]row{{}, {r(1, "a", 1, 1), r(3, "a", 1, 3)}, {}, {r(2, "a", 1, 2)}},
			sizes:  [][]int{nil, {0, 1, 0, 0, 1}, nil, {0, 0, 1}},
			want:   []row{r(1, "a", 1, 1), r(2, "a", 1, 2), r(3, "a", 1, 3)},
		},
		{
			name:   "every input empty",
			inputs: [][]row{{}, {}},
			want:   nil,
		},
		{
			name:   "one input",
			inputs: [][]row{{r(1, "a", 1, 1), r(1, "b", 1, 2)}},
			want:   []row{r(1, "a", 1, 1), r(1, "b", 1, 2)},
		},
		{
			name: "many small batches",
			inputs: [][]row{
				{r(1, "a", 1, 1), r(3, "a", 1, 3), r(5, "a", 1, 5), r(7, "a", 1, 7)},
				{r(2, "a", 1, 2), r(4, "a", 1, 4), r(6, "a", 1, 6), r(8, "a", 1, 8)},
			},
			sizes: [][]int{{1}, {2, 1}},
			want: []row{r(1, "a", 1, 1), r(2, "a", 1, 2), r(3, "a", 1, 3), r(4, "a", 1, 4),
				r(5, "a", 1, 5), r(6, "a", 1, 6), r(7, "a", 1, 7), r(8, "a", 1, 8)},
		},
	}
	for _, tt := range tests {
		for _, prefetch := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/prefetch=%v", tt.name, prefetch), func(t *testing.T) {
				mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
				defer mem.AssertSize(t, 0)
				var ins []exec.Stream
				for i, rows := range tt.inputs {
					var sizes []int
					if tt.sizes != nil {
						sizes = tt.sizes[i]
					}
					ins = append(ins, streamOf(mem, rows, sizes...))
				}
				spec := mergeSpec(mem)
				spec.Prefetch = prefetch
				m, err := Merge(ins, spec)
				if err != nil {
					t.Fatal(err)
				}
				got, _, err := drain(t, m)
				if err != nil {
					t.Fatal(err)
				}
				diffRows(t, got, tt.want)
			})
		}
	}
}

// TestMergeLarge merges inputs of more rows than one output batch holds.
func TestMergeLarge(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	const n = 10000
	var ins []exec.Stream
	for i := range 3 {
		rows := make([]row, n)
		for j := range rows {
			rows[j] = r(int64(j*3+i), "x", int64(i), int64(i))
		}
		ins = append(ins, streamOf(mem, rows, 1000, 333, 4096))
	}
	m, err := Merge(ins, mergeSpec(mem))
	if err != nil {
		t.Fatal(err)
	}
	got, sizes, err := drain(t, m)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3*n {
		t.Fatalf("got %d rows, want %d", len(got), 3*n)
	}
	for i, g := range got {
		if g.k != int64(i) || *g.a != int64(i%3) {
			t.Fatalf("row %d is %v", i, g)
		}
	}
	for _, s := range sizes {
		if s > exec.BatchRows || s == 0 {
			t.Fatalf("batch of %d rows", s)
		}
	}
	if len(sizes) > 3*n/exec.BatchRows*2+2 {
		t.Errorf("%d output batches for %d rows: batches too small: %v", len(sizes), 3*n, sizes)
	}
}

func TestMergeErrors(t *testing.T) {
	boom := errors.New("boom")
	rows := []row{r(1, "a", 1, 1), r(2, "a", 1, 1), r(3, "a", 1, 1)}
	otherSchema := arrow.NewSchema([]arrow.Field{{Name: "k", Type: arrow.PrimitiveTypes.Int64}}, nil)
	tests := []struct {
		name string
		spec func(Spec) Spec
		in   func(mem memory.Allocator) []exec.Stream
		// reads is how many batches to read before closing; -1 reads to the end
		reads   int
		wantErr error
	}{
		{
			name: "input fails mid-way",
			in: func(mem memory.Allocator) []exec.Stream {
				bad := streamOf(mem, rows, 1)
				bad.err = boom
				return []exec.Stream{streamOf(mem, rows, 1), bad}
			},
			reads: -1, wantErr: boom,
		},
		{
			name: "input fails at once",
			in: func(mem memory.Allocator) []exec.Stream {
				return []exec.Stream{streamOf(mem, rows, 1), &sliceStream{err: boom}}
			},
			reads: -1, wantErr: boom,
		},
		{
			name: "closed early",
			in: func(mem memory.Allocator) []exec.Stream {
				big := make([]row, 3*exec.BatchRows)
				for i := range big {
					big[i] = r(int64(i), "a", 1, 1)
				}
				return []exec.Stream{streamOf(mem, big, 1000), streamOf(mem, big, 777)}
			},
			reads: 1,
		},
		{
			name: "input of another schema",
			in: func(mem memory.Allocator) []exec.Stream {
				b := makeBatch(mem, rows)
				defer b.Release()
				wrong := newBatch(otherSchema, []arrow.Array{b.Column(colK)}, b.NumRows())
				return []exec.Stream{streamOf(mem, rows), &sliceStream{batches: []arrow.RecordBatch{wrong}}}
			},
			reads: -1, wantErr: ErrInvalidSpec,
		},
		{
			name: "no row keys",
			spec: func(s Spec) Spec { s.RowKeys = nil; return s },
			in: func(mem memory.Allocator) []exec.Stream {
				return []exec.Stream{streamOf(mem, rows), streamOf(mem, rows)}
			},
			wantErr: ErrInvalidSpec,
		},
		{
			name: "version column not int64",
			spec: func(s Spec) Spec { s.VersionCol = colS; return s },
			in: func(mem memory.Allocator) []exec.Stream {
				return []exec.Stream{streamOf(mem, rows), streamOf(mem, rows)}
			},
			wantErr: ErrInvalidSpec,
		},
	}
	for _, tt := range tests {
		for _, prefetch := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/prefetch=%v", tt.name, prefetch), func(t *testing.T) {
				mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
				defer mem.AssertSize(t, 0)
				spec := mergeSpec(mem)
				spec.Prefetch = prefetch
				if tt.spec != nil {
					spec = tt.spec(spec)
				}
				ins := tt.in(mem)
				closes := 0
				for _, in := range ins {
					in.(*sliceStream).closed = &closes
				}
				m, err := Merge(ins, spec)
				if err != nil {
					if !errors.Is(err, tt.wantErr) {
						t.Fatalf("Merge: %v, want %v", err, tt.wantErr)
					}
					if closes != len(ins) {
						t.Fatalf("%d inputs closed, want %d", closes, len(ins))
					}
					return
				}
				var gotErr error
				for i := 0; tt.reads < 0 || i < tt.reads; i++ {
					b, err := m.Next(context.Background())
					if err == io.EOF {
						break
					}
					if err != nil {
						gotErr = err
						break
					}
					b.Release()
				}
				if tt.wantErr == nil && gotErr != nil || !errors.Is(gotErr, tt.wantErr) {
					t.Fatalf("got error %v, want %v", gotErr, tt.wantErr)
				}
				if err := m.Close(); err != nil {
					t.Fatal(err)
				}
				if err := m.Close(); err != nil {
					t.Fatal(err)
				}
				if closes != len(ins) {
					t.Fatalf("%d inputs closed, want %d", closes, len(ins))
				}
				if _, err := m.Next(context.Background()); !errors.Is(err, ErrClosed) {
					t.Fatalf("Next after Close: %v", err)
				}
			})
		}
	}
}

// TestMergePrefetchRandom merges random inputs (overlapping and disjoint key ranges, equal
// keys across inputs, empty and tiny batches) with Spec.Prefetch and without: the streams
// must be equal row for row, and equal to the inputs' rows.
func TestMergePrefetchRandom(t *testing.T) {
	for seed := range uint64(12) {
		rnd := rand.New(rand.NewPCG(seed, 7))
		nin := 1 + rnd.IntN(12)
		inputs := make([][]row, nin)
		sizes := make([][]int, nin)
		total := 0
		for i := range inputs {
			n := rnd.IntN(exec.BatchRows + 500)
			base := int64(0)
			if rnd.IntN(2) == 0 {
				base = int64(i) * 100_000 // a range disjoint from the other inputs'
			}
			ks := make([]int64, n)
			for j := range ks {
				ks[j] = base + rnd.Int64N(int64(1+rnd.IntN(50_000)))
			}
			slices.Sort(ks)
			for _, k := range ks {
				s := "-"
				if rnd.IntN(5) > 0 {
					s = string(rune('a' + rnd.IntN(3)))
				}
				inputs[i] = append(inputs[i], r(k, s, rnd.Int64N(4), int64(i)))
			}
			// Rows equal in (k, s) must be in version order within an input.
			slices.SortStableFunc(inputs[i], func(x, y row) int {
				if c := cmp.Compare(x.k, y.k); c != 0 {
					return c
				}
				xs, ys := "", ""
				if x.s != nil {
					xs = "~" + *x.s
				}
				if y.s != nil {
					ys = "~" + *y.s
				}
				if c := cmp.Compare(xs, ys); c != 0 {
					return c
				}
				return cmp.Compare(x.ver, y.ver)
			})
			for range 1 + rnd.IntN(4) {
				sizes[i] = append(sizes[i], rnd.IntN(3000))
			}
			sizes[i] = append(sizes[i], 1+rnd.IntN(exec.BatchRows))
			total += n
		}
		merged := func(prefetch bool) []row {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			ins := make([]exec.Stream, nin)
			for i := range ins {
				ins[i] = streamOf(mem, inputs[i], sizes[i]...)
			}
			spec := mergeSpec(mem)
			spec.Prefetch = prefetch
			m, err := Merge(ins, spec)
			if err != nil {
				t.Fatal(err)
			}
			got, _, err := drain(t, m)
			if err != nil {
				t.Fatal(err)
			}
			return got
		}
		want, got := merged(false), merged(true)
		if len(want) != total {
			t.Fatalf("seed %d: %d rows merged of %d", seed, len(want), total)
		}
		if !equalRows(got, want) {
			t.Errorf("seed %d: merge with prefetch differs from the merge without", seed)
			diffRows(t, got, want)
		}
	}
}

// panicStream panics in Next after its batches.
type panicStream struct{ sliceStream }

func (p *panicStream) Next(ctx context.Context) (arrow.RecordBatch, error) {
	if len(p.batches) == 0 {
		panic("decoding failed")
	}
	return p.sliceStream.Next(ctx)
}

// TestMergePrefetchPanic: an input that panics on the goroutine reading it ahead fails the
// merge with an error naming the panic, and Close releases and closes everything.
func TestMergePrefetchPanic(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	big := make([]row, 3*exec.BatchRows)
	for i := range big {
		big[i] = r(int64(i), "a", 1, 1)
	}
	closes := 0
	good := streamOf(mem, big, 1000)
	good.closed = &closes
	bad := &panicStream{*streamOf(mem, big[:5000], 700)}
	bad.closed = &closes
	spec := mergeSpec(mem)
	spec.Prefetch = true
	m, err := Merge([]exec.Stream{good, bad}, spec)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = drain(t, m)
	if err == nil || !strings.Contains(err.Error(), "decoding failed") {
		t.Fatalf("got error %v, want the panic's", err)
	}
	if closes != 2 {
		t.Fatalf("%d inputs closed, want 2", closes)
	}
}

// TestMergeGathered checks that NextGathered names the rows Next returns, in order, with Next
// and NextGathered mixed, with and without Prefetch, and that the references it hands over
// are released (the checked allocator).
func TestMergeGathered(t *testing.T) {
	for _, prefetch := range []bool{false, true} {
		t.Run(fmt.Sprint("prefetch=", prefetch), func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			const n = 5000
			inputs := func() []exec.Stream {
				var ins []exec.Stream
				for i := range 4 {
					rows := make([]row, n)
					for j := range rows {
						rows[j] = r(int64((j*7+i*3)%(n/2)), fmt.Sprint(j%3), int64(i), int64(j))
					}
					slices.SortStableFunc(rows, func(a, b row) int { return cmp.Compare(a.k, b.k) })
					ins = append(ins, streamOf(mem, rows, 700, 1, 2000))
				}
				return ins
			}
			spec := mergeSpec(mem)
			spec.Prefetch = prefetch
			m, err := Merge(inputs(), spec)
			if err != nil {
				t.Fatal(err)
			}
			want, _, err := drain(t, m)
			if err != nil {
				t.Fatal(err)
			}
			m, err = Merge(inputs(), spec)
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			gs := m.(GatheredStream)
			ctx := context.Background()
			var got []row
			for i := 0; ; i++ {
				if i%3 == 2 {
					b, err := m.Next(ctx)
					if errors.Is(err, io.EOF) {
						break
					}
					if err != nil {
						t.Fatal(err)
					}
					got = append(got, rowsOf(b)...)
					b.Release()
					continue
				}
				g, err := gs.NextGathered(ctx)
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				for _, ref := range g.Refs {
					b := g.Srcs[ref.Src].NewSlice(int64(ref.Row), int64(ref.Row)+1)
					got = append(got, rowsOf(b)...)
					b.Release()
				}
				g.Release()
			}
			if !equalRows(got, want) {
				diffRows(t, got, want)
			}
		})
	}
}
