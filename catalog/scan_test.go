package catalog

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/exec"
	"github.com/sleeperd/sleeperd/storage/ingest"
	"github.com/sleeperd/sleeperd/storage/keys"
	"github.com/sleeperd/sleeperd/storage/objstore"
	"github.com/sleeperd/sleeperd/storage/parquet"
	"github.com/sleeperd/sleeperd/storage/statestore"
)

// demo is a table keyed by int64 "key" with split points 100, 200, 300 (4 leaves), a text
// "value" and an int64 "n" = 2*key, holding keys 0..399, 100 per leaf, in 10-row row groups.
type demo struct {
	c     *Catalog
	t     *Table
	store objstore.Store
}

func newDemo(t *testing.T, mem memory.Allocator) *demo {
	t.Helper()
	ctx := context.Background()
	store := objstore.NewMem()
	c := newCatalog(t, store)
	tb, err := c.Create(ctx, TableDef{
		Name:       "demo",
		Columns:    []Column{{Name: "key", Type: i64}, {Name: "value", Type: text, Nullable: true}, {Name: "n", Type: i64, Nullable: true}},
		RowKeys:    []string{"key"},
		Properties: map[string]string{"split_points": "100,200,300", "row_group_rows": "10"},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	d := &demo{c: c, t: tb, store: store}
	// Two statements: even keys, then odd keys, so each leaf has two files.
	for parity := range int64(2) {
		var ks []int64
		for k := int64(399 - parity); k >= 0; k -= 2 { // unsorted input
			ks = append(ks, k)
		}
		b := d.batch(mem, ks, "v")
		spec := tb.IngestSpec()
		spec.Alloc = mem
		if _, err := ingest.Write(ctx, store, c.StateStore(), spec, []arrow.RecordBatch{b}); err != nil {
			t.Fatal(err)
		}
		b.Release()
	}
	return d
}

func (d *demo) batch(mem memory.Allocator, ks []int64, prefix string) arrow.RecordBatch {
	b := array.NewRecordBuilder(mem, d.t.Schema())
	defer b.Release()
	for _, k := range ks {
		b.Field(0).(*array.Int64Builder).Append(k)
		b.Field(1).(*array.StringBuilder).Append(fmt.Sprintf("%s%d", prefix, k))
		b.Field(2).(*array.Int64Builder).Append(2 * k)
	}
	return b.NewRecordBatch()
}

func (d *demo) state(t *testing.T) *statestore.State {
	t.Helper()
	st, err := d.c.StateStore().Snapshot(context.Background(), d.t.StateID())
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func key(k int64) []byte {
	b, _ := keys.AppendGo(nil, i64, k)
	return b
}

// run executes a scan and returns its rows rendered as "key:value" (or the first column's
// values), sorted.
func run(t *testing.T, ctx context.Context, s *Scan) []string {
	t.Helper()
	st, err := s.Execute(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var out []string
	for {
		b, err := st.Next(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if !b.Schema().Equal(s.Schema()) {
			t.Errorf("batch schema %s, want %s", b.Schema(), s.Schema())
		}
		for i := range int(b.NumRows()) {
			var parts []string
			for c := range int(b.NumCols()) {
				parts = append(parts, b.Column(c).ValueStr(i))
			}
			out = append(out, strings.Join(parts, ":"))
		}
		b.Release()
	}
	slices.Sort(out)
	return out
}

func keyRows(ranges ...[2]int64) []string {
	var out []string
	for _, r := range ranges {
		for k := r[0]; k < r[1]; k++ {
			out = append(out, fmt.Sprintf("%d:v%d", k, k))
		}
	}
	slices.Sort(out)
	return out
}

func TestScanLeavesAndRanges(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx := exec.WithAllocator(context.Background(), mem)
	d := newDemo(t, mem)
	st := d.state(t)
	leaves := st.Leaves()
	if len(leaves) != 4 {
		t.Fatalf("%d leaves", len(leaves))
	}
	tests := []struct {
		name   string
		leaves []*statestore.Partition
		ranges []keys.Range
		want   []string
		files  int // files opened
		groups int64
		str    string
	}{
		{"all", leaves, nil, keyRows([2]int64{0, 400}), 8, 40, "TableScan: demo partitions=4/4 files=8 columns=[key, value]"},
		{"one leaf", leaves[1:2], nil, keyRows([2]int64{100, 200}), 2, 10, "TableScan: demo partitions=1/4 files=2 columns=[key, value]"},
		{"clipped", st.LeavesOverlapping(keys.Range{Min: key(150), Max: key(170)}),
			[]keys.Range{{Min: key(150), Max: key(160)}, {Min: key(155), Max: key(170)}},
			keyRows([2]int64{150, 170}), 2, 4, "TableScan: demo partitions=1/4 files=2 columns=[key, value] ranges=[[150, 170)]"},
		{"two ranges two leaves", leaves,
			[]keys.Range{{Min: key(390)}, {Min: key(95), Max: key(105)}},
			keyRows([2]int64{95, 105}, [2]int64{390, 400}), 6, 6, ""},
		{"empty ranges", leaves, []keys.Range{}, nil, 0, 0, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := &Metrics{}
			s, err := NewScan(d.store, ScanSpec{Table: d.t, State: st, Leaves: tc.leaves, Columns: []int{0, 1}, Ranges: tc.ranges, Parallelism: 2, Metrics: m})
			if err != nil {
				t.Fatal(err)
			}
			if tc.str != "" && s.String() != tc.str {
				t.Errorf("String() = %q, want %q", s.String(), tc.str)
			}
			got := run(t, ctx, s)
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %d rows %v, want %d", len(got), head(got), len(tc.want))
			}
			if n := len(m.Files()); n != tc.files {
				t.Errorf("opened %d files, want %d", n, tc.files)
			}
			if g := m.RowGroupsRead.Load(); g != tc.groups {
				t.Errorf("read %d row groups, want %d (skipped %d)", g, tc.groups, m.RowGroupsSkipped.Load())
			}
			// Every file opened belongs to a leaf scanned.
			var allowed []string
			for _, l := range tc.leaves {
				for _, r := range st.ReadFiles(l.ID) {
					allowed = append(allowed, r.File)
				}
			}
			for _, f := range m.Files() {
				if !slices.Contains(allowed, f) {
					t.Errorf("file %s of another leaf was read", f)
				}
			}
		})
	}
}

func head(s []string) []string {
	if len(s) > 5 {
		return s[:5]
	}
	return s
}

func TestScanBoundsSkipRowGroups(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx := exec.WithAllocator(context.Background(), mem)
	d := newDemo(t, mem)
	st := d.state(t)
	tests := []struct {
		name   string
		bound  ColumnBound
		groups int64 // row groups read
		must   [2]int64
	}{
		// n = 2*key; each leaf file holds 50 keys of one parity in 5 groups of 10 keys (20 key span).
		{"closed", ColumnBound{Column: 2, Lower: int64(100), Upper: int64(120), LowerInclusive: true, UpperInclusive: true}, 3, [2]int64{50, 61}},
		{"exclusive upper", ColumnBound{Column: 2, Upper: int64(40)}, 2, [2]int64{0, 20}},
		{"lower only", ColumnBound{Column: 2, Lower: int64(758), LowerInclusive: true}, 3, [2]int64{379, 400}},
		{"text", ColumnBound{Column: 1, Upper: "v0", UpperInclusive: true}, 1, [2]int64{0, 1}},
		{"nothing", ColumnBound{Column: 2, Lower: int64(1000)}, 0, [2]int64{0, 0}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := &Metrics{}
			s, err := NewScan(d.store, ScanSpec{Table: d.t, State: st, Leaves: st.Leaves(), Columns: []int{0, 1}, Bounds: []ColumnBound{tc.bound}, Metrics: m})
			if err != nil {
				t.Fatal(err)
			}
			got := run(t, ctx, s)
			for _, w := range keyRows(tc.must) {
				if _, ok := slices.BinarySearch(got, w); !ok {
					t.Errorf("row %s missing", w)
				}
			}
			if g := m.RowGroupsRead.Load(); g != tc.groups {
				t.Errorf("read %d row groups, want %d", g, tc.groups)
			}
			if m.RowGroupsRead.Load()+m.RowGroupsSkipped.Load() != 40 {
				t.Errorf("read %d and skipped %d row groups of 40", m.RowGroupsRead.Load(), m.RowGroupsSkipped.Load())
			}
		})
	}
}

// addFile writes rows ks (sorted) as a file referenced by partition part, as a compaction or
// an ingest racing a split would leave one.
func (d *demo) addFile(t *testing.T, mem memory.Allocator, name string, ks []int64, part string) {
	t.Helper()
	ctx := context.Background()
	b := d.batch(mem, ks, "p")
	defer b.Release()
	var buf bytes.Buffer
	w, err := parquet.NewWriter(&buf, d.t.Schema(), parquet.Properties{RowGroupRows: 7})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(b); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := d.store.Put(ctx, name, bytes.NewReader(buf.Bytes())); err != nil {
		t.Fatal(err)
	}
	f := statestore.File{Name: name, Rows: int64(len(ks)), Bytes: int64(buf.Len()), MinKey: key(ks[0]), MaxKey: key(ks[len(ks)-1])}
	txn := statestore.AddFiles{Files: []statestore.NewFile{{File: f, References: []statestore.FileReference{{File: name, PartitionID: part, Rows: f.Rows, Exact: true}}}}}
	if _, err := d.c.StateStore().Commit(ctx, d.t.StateID(), txn); err != nil {
		t.Fatal(err)
	}
}

func TestScanAncestorFiles(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx := exec.WithAllocator(context.Background(), mem)
	d := newDemo(t, mem)
	var rootKeys, parentKeys []int64
	for k := int64(-20); k < 420; k += 3 {
		rootKeys = append(rootKeys, k)
	}
	for k := int64(50); k < 190; k += 10 {
		parentKeys = append(parentKeys, k)
	}
	d.addFile(t, mem, "tables/x/root.parquet", rootKeys, statestore.RootID)
	st := d.state(t)
	parent := st.Leaves()[0].ParentID
	if parent == statestore.RootID || parent == "" {
		t.Fatalf("leaf 0 has parent %q; the test needs a middle level", parent)
	}
	d.addFile(t, mem, "tables/x/parent.parquet", parentKeys, parent)
	st = d.state(t)

	want := func(lo, hi int64) []string {
		out := keyRows([2]int64{max(lo, 0), min(hi, 400)})
		for _, k := range rootKeys {
			if k >= lo && k < hi {
				out = append(out, fmt.Sprintf("%d:p%d", k, k))
			}
		}
		for _, k := range parentKeys {
			if k >= lo && k < hi {
				out = append(out, fmt.Sprintf("%d:p%d", k, k))
			}
		}
		slices.Sort(out)
		return out
	}
	const inf = 1 << 40
	leaves := st.Leaves()
	tests := []struct {
		name   string
		leaves []*statestore.Partition
		ranges []keys.Range
		want   []string
	}{
		{"all leaves", leaves, nil, want(-inf, inf)},
		{"leaf 1", leaves[1:2], nil, want(100, 200)},
		{"leaf 3", leaves[3:], nil, want(300, inf)},
		{"range across leaves", leaves[0:2], []keys.Range{{Min: key(90), Max: key(130)}}, want(90, 130)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := &Metrics{}
			s, err := NewScan(d.store, ScanSpec{Table: d.t, State: st, Leaves: tc.leaves, Columns: []int{0, 1}, Ranges: tc.ranges, Parallelism: 3, Metrics: m})
			if err != nil {
				t.Fatal(err)
			}
			got := run(t, ctx, s)
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %d rows, want %d", len(got), len(tc.want))
				for _, g := range got {
					if _, ok := slices.BinarySearch(tc.want, g); !ok {
						t.Errorf("unexpected row %s", g)
						break
					}
				}
			}
			if len(tc.leaves) == 1 && tc.leaves[0] == leaves[3] && slices.Contains(m.Files(), "tables/x/parent.parquet") {
				t.Error("leaf 3 read the file of leaf 0's parent")
			}
		})
	}
}

func TestScanProjection(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx := exec.WithAllocator(context.Background(), mem)
	d := newDemo(t, mem)
	st := d.state(t)
	r := []keys.Range{{Min: key(10), Max: key(13)}}
	tests := []struct {
		name string
		cols []int
		want []string
	}{
		{"value only, clipped by key", []int{1}, []string{"v10", "v11", "v12"}},
		{"reordered", []int{2, 0}, []string{"20:10", "22:11", "24:12"}},
		{"no columns", []int{}, []string{"", "", ""}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := NewScan(d.store, ScanSpec{Table: d.t, State: st, Leaves: st.Leaves()[:1], Columns: tc.cols, Ranges: r})
			if err != nil {
				t.Fatal(err)
			}
			if s.Schema().NumFields() != len(tc.cols) {
				t.Errorf("schema %s", s.Schema())
			}
			if got := run(t, ctx, s); !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestScanCloseEarlyAndCancel(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	d := newDemo(t, mem)
	st := d.state(t)
	s, err := NewScan(d.store, ScanSpec{Table: d.t, State: st, Leaves: st.Leaves(), Columns: []int{0, 1, 2}, Parallelism: 4})
	if err != nil {
		t.Fatal(err)
	}
	ctx := exec.WithAllocator(context.Background(), mem)
	// Closed after one batch: every goroutine stops and every batch is released.
	stream, err := s.Execute(ctx)
	if err != nil {
		t.Fatal(err)
	}
	b, err := stream.Next(ctx)
	if err != nil {
		t.Fatal(err)
	}
	b.Release()
	if err := stream.Close(); err != nil {
		t.Fatal(err)
	}
	if err := stream.Close(); err != nil {
		t.Fatal(err)
	}
	// Closed before the first Next.
	stream, err = s.Execute(ctx)
	if err != nil {
		t.Fatal(err)
	}
	stream.Close()
	// Cancelled: Next fails with the context's error.
	cctx, cancel := context.WithCancel(ctx)
	stream, err = s.Execute(cctx)
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Close()
	cancel()
	for {
		b, err := stream.Next(cctx)
		if err == nil {
			b.Release()
			continue
		}
		if !errors.Is(err, context.Canceled) {
			t.Errorf("got %v, want context.Canceled", err)
		}
		break
	}
}

func TestNewScanRejects(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	d := newDemo(t, mem)
	st := d.state(t)
	root, _ := st.Partition(statestore.RootID)
	tests := []struct {
		name string
		spec ScanSpec
	}{
		{"no table", ScanSpec{State: st}},
		{"no state", ScanSpec{Table: d.t}},
		{"column out of range", ScanSpec{Table: d.t, State: st, Columns: []int{3}}},
		{"bound out of range", ScanSpec{Table: d.t, State: st, Bounds: []ColumnBound{{Column: -1}}}},
		{"not a leaf", ScanSpec{Table: d.t, State: st, Leaves: []*statestore.Partition{root}}},
	}
	for _, tc := range tests {
		if _, err := NewScan(d.store, tc.spec); err == nil {
			t.Errorf("%s: accepted", tc.name)
		}
	}
}
