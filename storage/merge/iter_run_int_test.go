package merge

import (
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/exec"
)

// slicedStreamOf returns a stream of rows as slices of one batch (so that most start at an
// offset within its bitmaps), cut at the given sizes, cycled.
func slicedStreamOf(mem memory.Allocator, rows []row, sizes []int) *sliceStream {
	s := &sliceStream{}
	if len(rows) == 0 {
		return s
	}
	all := makeBatch(mem, rows)
	defer all.Release()
	for i, at := 0, 0; at < len(rows); i++ {
		end := min(at+sizes[i%len(sizes)], len(rows))
		s.batches = append(s.batches, all.NewSlice(int64(at), int64(end)))
		at = end
	}
	return s
}

// TestBigintKeyRunsAgainstModel checks last-write-wins over a table keyed by one bigint and
// no sort key, where batches of strictly increasing keys without a tombstone take
// processRunInt's path (asserted), against model: keys now and then repeated within a batch
// or across a batch boundary (the batch's first key equal to the open group's), tombstones,
// batches of one row (held whole like the others), slices starting within a byte of the
// bitmaps, one input or two
// merged; the checked allocator finds no leak.
func TestBigintKeyRunsAgainstModel(t *testing.T) {
	runs := 0
	for seed := range uint64(300) {
		rng := rand.New(rand.NewPCG(seed, 11))
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		nin := 1 + rng.IntN(2)
		inputs := make([][]row, nin)
		streams := make([]exec.Stream, nin)
		repeat, tomb := 4+rng.IntN(60), 10+rng.IntN(200)
		for i := range inputs {
			var rows []row
			k := int64(rng.IntN(3)) - 1<<40
			if rng.IntN(3) == 0 {
				k = -k // keys either side of zero, as the encoding's sign bit flips
			}
			for range rng.IntN(120) {
				if rng.IntN(repeat) > 0 {
					k += int64(1 + rng.IntN(3))
				}
				r := row{k: k, ver: int64(1 + rng.IntN(20)), del: rng.IntN(tomb) == 0}
				if rng.IntN(4) > 0 {
					r.a = i64(int64(rng.IntN(100)))
				}
				rows = append(rows, r)
			}
			sortRows(rows)
			inputs[i] = rows
			streams[i] = slicedStreamOf(mem, rows, []int{1 + rng.IntN(9), 2 + rng.IntN(30), 1})
		}
		opts := Options{RowKeys: []int{colK}, VersionCol: colVer, DeletedCol: colDel, Alloc: mem, LastWriteWins: true}
		opts.DropTombstones = rng.IntN(2) == 0
		want := model(inputs, opts, nil)
		got, s, err := mergeApply(t, streams, Spec{Schema: streamSchema, RowKeys: []int{colK}, VersionCol: colVer, Alloc: mem}, opts)
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		if !equalRows(got, want) {
			t.Logf("seed %d: %d inputs, tombstones dropped %v", seed, nin, opts.DropTombstones)
		}
		diffRows(t, got, want)
		runs += s.(*stack).intRuns
		mem.AssertSize(t, 0)
	}
	if runs == 0 {
		t.Fatal("no batch took the bigint run path")
	}
}

// TestHasTombstone checks the tombstone test of a run over deleted columns with and without
// NULLs, sliced at every offset.
func TestHasTombstone(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	s := &stack{opts: Options{DeletedCol: colDel}}
	for _, withNulls := range []bool{false, true} {
		for at := range 20 {
			rows := make([]row, 20)
			for i := range rows {
				rows[i].k = int64(i)
			}
			rows[at].del = true
			all := makeBatch(mem, rows)
			if withNulls {
				// NULL (not deleted) where the value bit is set elsewhere.
				all = withNullDeleted(t, mem, all, (at+3)%20)
			}
			for lo := range 20 {
				for hi := lo + 1; hi <= 20; hi++ {
					b := all.NewSlice(int64(lo), int64(hi))
					want := lo <= at && at < hi
					if got := s.hasTombstone(b); got != want {
						t.Errorf("nulls %v, deleted row %d, slice [%d, %d): %v, want %v", withNulls, at, lo, hi, got, want)
					}
					b.Release()
				}
			}
			all.Release()
		}
	}
}

// withNullDeleted returns b with row r's deleted value NULL but its value bit set; it
// releases b.
func withNullDeleted(t *testing.T, mem memory.Allocator, b arrow.RecordBatch, r int) arrow.RecordBatch {
	t.Helper()
	defer b.Release()
	d := b.Column(colDel).Data()
	vals := memory.NewResizableBuffer(mem)
	vals.Resize(len(d.Buffers()[1].Bytes()))
	copy(vals.Bytes(), d.Buffers()[1].Bytes())
	vals.Bytes()[r/8] |= 1 << (r % 8)
	valid := memory.NewResizableBuffer(mem)
	valid.Resize(len(vals.Bytes()))
	for i := range valid.Bytes() {
		valid.Bytes()[i] = 0xff
	}
	valid.Bytes()[r/8] &^= 1 << (r % 8)
	nd := array.NewData(d.DataType(), d.Len(), []*memory.Buffer{valid, vals}, nil, 1, d.Offset())
	vals.Release()
	valid.Release()
	col := array.MakeFromData(nd)
	nd.Release()
	cols := append([]arrow.Array(nil), b.Columns()...)
	cols[colDel] = col
	out := array.NewRecordBatch(b.Schema(), cols, b.NumRows())
	col.Release()
	return out
}
