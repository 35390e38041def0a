package merge

import (
	"context"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

// TestApplySlicesSmallGroups checks that the stack's output rows that are consecutive rows of
// one small input batch share that batch's buffers instead of being copied (a point
// lookup's one row), that rows of a large batch are still copied, and that the values are
// right either way.
func TestApplySlicesSmallGroups(t *testing.T) {
	versions := func(k int64, n int) []row {
		var rows []row
		for v := 1; v <= n; v++ {
			rows = append(rows, rv(k, int64(v), i64(int64(v)), str("v"+string(rune('a'+v%26))), nil, false))
		}
		return rows
	}
	tests := []struct {
		name   string
		in     []row
		sizes  []int
		shared bool
		want   []row
	}{
		{"one row", []row{rv(5, 1, i64(10), str("x"), i64(3), false)}, nil, true,
			[]row{rv(5, 1, i64(10), str("x"), i64(3), false)}},
		{"two versions", versions(5, 2), nil, true, []row{rv(5, 2, i64(2), str("vc"), nil, false)}},
		{"versions across batches", versions(5, 3), []int{2, 1}, true, []row{rv(5, 3, i64(3), str("vd"), nil, false)}},
		{"many versions of one key", versions(5, 1000), nil, false, []row{rv(5, 1000, i64(1000), str("vm"), nil, false)}},
		{"two keys of one row each", []row{rv(5, 1, i64(1), str("p"), nil, false), rv(6, 1, i64(2), str("q"), nil, false)}, []int{1}, true,
			[]row{rv(5, 1, i64(1), str("p"), nil, false), rv(6, 1, i64(2), str("q"), nil, false)}},
		{"tombstone", []row{rv(5, 1, i64(1), str("p"), nil, false), rv(5, 2, nil, nil, nil, true)}, nil, true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			in := streamOf(mem, tt.in, tt.sizes...)
			// the string data buffers of the input batches
			inBufs := map[*memory.Buffer]bool{}
			for _, b := range in.batches {
				inBufs[b.Column(colB).Data().Buffers()[2]] = true
			}
			opts := baseOptions(mem)
			opts.LastWriteWins, opts.DropTombstones = true, true
			s, err := Apply(in, streamSchema, opts)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			var got []row
			for {
				b, err := s.Next(context.Background())
				if err != nil {
					break
				}
				if shared := inBufs[b.Column(colB).Data().Buffers()[2]]; shared != tt.shared {
					t.Errorf("output batch of %d rows shares the input's buffers: %v, want %v", b.NumRows(), shared, tt.shared)
				}
				got = append(got, rowsOf(b)...)
				b.Release()
			}
			diffRows(t, got, tt.want)
		})
	}
}

func TestContiguous(t *testing.T) {
	for _, tt := range []struct {
		refs       []ref
		src, start int32
		ok         bool
	}{
		{nil, 0, 0, false},
		{[]ref{{1, 4}}, 1, 4, true},
		{[]ref{{0, 2}, {0, 3}, {0, 4}}, 0, 2, true},
		{[]ref{{0, 2}, {1, 3}}, 0, 0, false},
		{[]ref{{1, 2}, {1, 4}}, 0, 0, false},
	} {
		src, start, ok := contiguous(tt.refs)
		if src != tt.src || start != tt.start || ok != tt.ok {
			t.Errorf("contiguous(%v) = %d, %d, %v; want %d, %d, %v", tt.refs, src, start, ok, tt.src, tt.start, tt.ok)
		}
	}
}
