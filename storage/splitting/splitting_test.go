package splitting

import (
	"bytes"
	"context"
	"io"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/exec"
	"github.com/sleeperd/sleeperd/storage/ingest"
	"github.com/sleeperd/sleeperd/storage/keys"
	"github.com/sleeperd/sleeperd/storage/merge"
	"github.com/sleeperd/sleeperd/storage/objstore"
	"github.com/sleeperd/sleeperd/storage/parquet"
	"github.com/sleeperd/sleeperd/storage/statestore"
)

var schema = arrow.NewSchema([]arrow.Field{{Name: "k", Type: arrow.PrimitiveTypes.Int64}}, nil)

func key(v int64) []byte {
	k, _ := keys.AppendGo(nil, arrow.PrimitiveTypes.Int64, v)
	return k
}

// readLeaf returns the keys a read of the leaf sees: its files and its ancestors', clipped.
func readLeaf(t *testing.T, mem memory.Allocator, store objstore.Store, st *statestore.State, leaf *statestore.Partition) []int64 {
	t.Helper()
	ctx := exec.WithAllocator(context.Background(), mem)
	var out []int64
	for _, r := range st.ReadFiles(leaf.ID) {
		f, _ := st.File(r.File)
		s, err := merge.ReadFile(ctx, merge.FileSource{Store: store, Name: f.Name, Size: f.Bytes, AddedTxn: f.AddedTxn},
			merge.ReadSpec{Schema: schema, Columns: []int{0}, RowKeys: []int{0}, Range: leaf.Range, Alloc: mem})
		if err != nil {
			t.Fatal(err)
		}
		for {
			b, err := s.Next(ctx)
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, b.Column(0).(*array.Int64).Int64Values()...)
			b.Release()
		}
		s.Close()
	}
	return out
}

func TestSplitAtMedian(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx := context.Background()
	store := objstore.NewMem()
	ss := statestore.New(store, statestore.Options{})
	if _, err := ss.Create(ctx, "t", statestore.InitialisePartitions{}); err != nil {
		t.Fatal(err)
	}
	spec := ingest.Spec{Table: "t", Schema: schema, RowKeys: []int{0}, Props: parquet.Properties{RowGroupRows: 5000}, FilePrefix: "files/", Alloc: mem}
	r := rand.New(rand.NewPCG(1, 2))
	var all []int64
	for f := range 4 {
		b := array.NewInt64Builder(mem)
		for range 10_000 {
			// Skewed: most keys are small, so the median is far from the middle of the span.
			v := r.Int64N(1000) * r.Int64N(1000) * int64(f+1)
			b.Append(v)
			all = append(all, v)
		}
		a := b.NewArray()
		b.Release()
		batch := array.NewRecordBatch(schema, []arrow.Array{a}, int64(a.Len()))
		a.Release()
		_, err := ingest.Write(ctx, store, ss, spec, []arrow.RecordBatch{batch})
		batch.Release()
		if err != nil {
			t.Fatal(err)
		}
	}
	slices.Sort(all)
	st, _ := ss.Snapshot(ctx, "t")
	load := Loader(ctx, store, StateSizes(st))

	if splits, err := Plan(st, 40_001, load); err != nil || len(splits) != 0 {
		t.Fatalf("below the threshold: %v, %v", splits, err)
	}
	splits, err := Plan(st, 40_000, load)
	if err != nil || len(splits) != 1 {
		t.Fatalf("at the threshold: %v, %v", splits, err)
	}
	sp := splits[0]
	rank, _ := slices.BinarySearchFunc(all, sp.SplitKey, func(v int64, k []byte) int { return bytes.Compare(key(v), k) })
	if frac := float64(rank) / float64(len(all)); frac < 0.48 || frac > 0.52 {
		t.Fatalf("split at rank %.3f", frac)
	}
	if sp.ParentID != statestore.RootID || sp.LeftID == sp.RightID || sp.LeftID == "" {
		t.Fatalf("split %+v", sp)
	}
	// Two processes commit the same plan: the second finds the partition split.
	if n, err := Run(ctx, ss, "t", splits); err != nil || n != 1 {
		t.Fatalf("run: %d, %v", n, err)
	}
	other := statestore.New(store, statestore.Options{})
	if n, err := Run(ctx, other, "t", []statestore.SplitPartition{{ParentID: sp.ParentID, LeftID: "x", RightID: "y", SplitKey: sp.SplitKey}}); err != nil || n != 0 {
		t.Fatalf("second run: %d, %v", n, err)
	}
	st, _ = ss.Snapshot(ctx, "t")
	leaves := st.Leaves()
	if len(leaves) != 2 || len(st.References(statestore.RootID)) != 4 {
		t.Fatalf("after the split: %v", st)
	}
	// Reads still see every row, each in one leaf.
	var got []int64
	for _, l := range leaves {
		got = append(got, readLeaf(t, mem, store, st, l)...)
	}
	slices.Sort(got)
	if !slices.Equal(got, all) {
		t.Fatalf("read %d rows, want %d", len(got), len(all))
	}
	// The references are still the root's: each leaf's rows are estimated from the sketches
	// (about half of all), so a leaf splits again once that reaches the threshold.
	if splits, err := Plan(st, int64(len(all))*6/10, load); err != nil || len(splits) != 0 {
		t.Fatalf("leaves of about half the rows split at a threshold of 60%%: %v, %v", splits, err)
	}
	if splits, err := Plan(st, int64(len(all))/4, load); err != nil || len(splits) != 2 {
		t.Fatalf("leaves of about half the rows at a threshold of 25%%: %d splits, %v", len(splits), err)
	}
}

func TestPlanNoSplitKey(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx := context.Background()
	store := objstore.NewMem()
	ss := statestore.New(store, statestore.Options{})
	// One leaf [5, +inf) holding only the key 5: no key strictly inside divides it.
	if _, err := ss.Create(ctx, "t", statestore.InitialisePartitions{SplitPoints: [][]byte{key(5)}}); err != nil {
		t.Fatal(err)
	}
	b := array.NewInt64Builder(mem)
	b.AppendValues(slices.Repeat([]int64{5}, 100), nil)
	a := b.NewArray()
	b.Release()
	batch := array.NewRecordBatch(schema, []arrow.Array{a}, 100)
	a.Release()
	defer batch.Release()
	spec := ingest.Spec{Table: "t", Schema: schema, RowKeys: []int{0}, FilePrefix: "files/", Alloc: mem}
	if _, err := ingest.Write(ctx, store, ss, spec, []arrow.RecordBatch{batch}); err != nil {
		t.Fatal(err)
	}
	st, _ := ss.Snapshot(ctx, "t")
	splits, err := Plan(st, 10, Loader(ctx, store, nil))
	if err != nil || len(splits) != 0 {
		t.Fatalf("splits %v, %v", splits, err)
	}
	if _, err := Plan(st, 0, nil); err == nil {
		t.Fatal("threshold 0 accepted")
	}
}
