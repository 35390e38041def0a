package catalog

import (
	"context"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/exec"
	"github.com/sleeperd/sleeperd/storage/keys"
	"github.com/sleeperd/sleeperd/storage/merge"
)

// TestMergedScanOneLeaf reads a merged scan of one leaf (a key lookup's), with and without
// key ranges: the rows are those of the leaf's ranges, as for several leaves, and starting
// and closing the read costs one allocation (execution, reader, ranges and fanout in one)
// beside the state's list of the leaf's files, and the ranges' slice past one range.
func TestMergedScanOneLeaf(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx := exec.WithAllocator(context.Background(), mem)
	d := newDemo(t, mem)
	st := d.state(t)
	n := len(d.t.Columns)
	spec := &MergeSpec{Options: merge.Options{RowKeys: d.t.RowKeys, VersionCol: n, DeletedCol: n + 1, LastWriteWins: true, DropTombstones: true}}
	leaf := st.LeavesOverlapping(keys.Range{Min: key(150), Max: key(151)})
	for _, tc := range []struct {
		name      string
		ranges    []keys.Range
		want      []string
		maxAllocs float64
	}{
		{"whole leaf", nil, keyRows([2]int64{100, 200}), 2},
		{"one key", []keys.Range{{Min: key(150), Max: key(151)}}, keyRows([2]int64{150, 151}), 2},
		{"two ranges", []keys.Range{{Min: key(120), Max: key(122)}, {Min: key(180), Max: key(181)}, {Min: key(250), Max: key(260)}},
			keyRows([2]int64{120, 122}, [2]int64{180, 181}), 3},
		{"no range in the leaf", []keys.Range{{Min: key(250), Max: key(260)}}, nil, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := &Metrics{}
			s, err := NewScan(d.store, ScanSpec{Table: d.t, State: st, Leaves: leaf, Columns: []int{0, 1}, Ranges: tc.ranges, Merge: spec, Metrics: m})
			if err != nil {
				t.Fatal(err)
			}
			if got := run(t, ctx, s); !slices.Equal(got, tc.want) {
				t.Errorf("got %d rows %v, want %d %v", len(got), head(got), len(tc.want), head(tc.want))
			}
			read := int64(1)
			if tc.want == nil {
				read = 0
			}
			if r, p := m.PartitionsRead.Load(), m.PartitionsPruned.Load(); r != read || p != 4-read {
				t.Errorf("partitions read %d, pruned %d; want %d, %d", r, p, read, 4-read)
			}
			allocs := testing.AllocsPerRun(50, func() {
				st, err := s.Execute(ctx)
				if err != nil {
					t.Fatal(err)
				}
				st.Close()
			})
			if allocs > tc.maxAllocs {
				t.Errorf("%.1f allocations to start and close the read, want at most %.0f", allocs, tc.maxAllocs)
			}
		})
	}
}
