package catalog

import (
	"context"
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/exec"
	"github.com/sleeperd/sleeperd/storage/ingest"
	"github.com/sleeperd/sleeperd/storage/objstore"
	"github.com/sleeperd/sleeperd/storage/parquet"
)

var (
	inf = math.Inf(1)
	nan = math.NaN()
)

// TestBoundAdmitsNaN checks row-group pruning against PostgreSQL's float order, where NaN
// is above every number, Infinity included: statistics bound a chunk's numbers only, so a
// chunk that may hold NaN cannot be excluded by its max unless the bound also has an upper
// side NaN fails.
func TestBoundAdmitsNaN(t *testing.T) {
	// Numbers 1..6 with or without NaN among them.
	clean := parquet.ColumnStats{HasMinMax: true, Min: 1.0, Max: 6.0}
	withNaN := parquet.ColumnStats{HasMinMax: true, Min: 1.0, Max: 6.0, MayHoldNaN: true}
	zero := parquet.ColumnStats{HasMinMax: true, Min: 0.0, Max: 0.0}
	negZero := parquet.ColumnStats{HasMinMax: true, Min: math.Copysign(0, -1), Max: math.Copysign(0, -1)}
	ge := func(v float64) ColumnBound { return ColumnBound{Lower: v, LowerInclusive: true} }
	gt := func(v float64) ColumnBound { return ColumnBound{Lower: v} }
	le := func(v float64) ColumnBound { return ColumnBound{Upper: v, UpperInclusive: true} }
	lt := func(v float64) ColumnBound { return ColumnBound{Upper: v} }
	eq := func(v float64) ColumnBound {
		return ColumnBound{Lower: v, Upper: v, LowerInclusive: true, UpperInclusive: true}
	}
	tests := []struct {
		name  string
		b     ColumnBound
		st    parquet.ColumnStats
		admit bool
	}{
		{">= Infinity, no NaN", ge(inf), clean, false},
		{">= Infinity, NaN", ge(inf), withNaN, true},
		{"> Infinity, NaN", gt(inf), withNaN, true},
		{"> 7, no NaN", gt(7), clean, false},
		{"> 7, NaN", gt(7), withNaN, true},
		{"> 6, NaN", gt(6), withNaN, true},
		{"> 2", gt(2), withNaN, true},
		{"= NaN, no NaN recorded", eq(nan), clean, true}, // a NaN bound compares with nothing
		{"= NaN", eq(nan), withNaN, true},
		{">= NaN", ge(nan), withNaN, true},
		{"> NaN", gt(nan), withNaN, true},
		{"<= NaN", le(nan), withNaN, true},
		{"< NaN", lt(nan), withNaN, true},
		// NaN fails a number as upper bound, so the max still prunes.
		{"= 7, NaN", eq(7), withNaN, false},
		{"= 6, NaN", eq(6), withNaN, true},
		{"between 7 and 10, NaN", ColumnBound{Lower: 7.0, Upper: 10.0, LowerInclusive: true, UpperInclusive: true}, withNaN, false},
		{"between 7 and NaN, NaN", ColumnBound{Lower: 7.0, Upper: nan, LowerInclusive: true, UpperInclusive: true}, withNaN, true},
		// The min prunes whether or not NaN is there: NaN is above it too.
		{"< 1, NaN", lt(1), withNaN, false},
		{"<= 1, NaN", le(1), withNaN, true},
		{"< 0.5, no NaN", lt(0.5), clean, false},
		// -0 equals 0.
		{"= 0, -0 bounds", eq(0), negZero, true},
		{"= -0, 0 bounds", eq(math.Copysign(0, -1)), zero, true},
		{"< 0, -0 bounds", lt(0), negZero, false},
		{"> -0, 0 bounds", gt(math.Copysign(0, -1)), zero, false},
		{">= -0, 0 bounds", ge(math.Copysign(0, -1)), zero, true},
		// Only nulls: no comparison holds, NaN or not.
		{"only nulls", ge(nan), parquet.ColumnStats{NullCount: 4, MayHoldNaN: true}, false},
		// Without bounds (all NaN, or untrusted) nothing is excluded.
		{"no bounds", ge(inf), parquet.ColumnStats{MayHoldNaN: true}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := boundAdmits(tc.b, tc.st, 4); got != tc.admit {
				t.Errorf("boundAdmits(%+v, %+v) = %v, want %v", tc.b, tc.st, got, tc.admit)
			}
		})
	}
}

// TestScanBoundsNaN scans a table with float4 and float8 columns through real files and
// checks which row groups bounds read: every row a filter keeps is in them (NaN included),
// and NaN-free row groups are still skipped.
func TestScanBoundsNaN(t *testing.T) {
	// Three 4-row row groups; key i holds x[i] in both float columns.
	x := []*float64{
		ptr(1), ptr(2), ptr(3), ptr(4), // group 0: no NaN
		ptr(1), ptr(nan), ptr(5), ptr(6), // group 1: NaN
		ptr(10), ptr(11), nil, ptr(12), // group 2: no NaN, a NULL
	}
	for _, dict := range []string{"off", "on"} {
		t.Run("dictionary="+dict, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			ctx := exec.WithAllocator(context.Background(), mem)
			store := objstore.NewMem()
			c := newCatalog(t, store)
			tb, err := c.Create(ctx, TableDef{
				Name:       "f",
				Columns:    []Column{{Name: "k", Type: i64}, {Name: "x4", Type: arrow.PrimitiveTypes.Float32, Nullable: true}, {Name: "x8", Type: f64, Nullable: true}},
				RowKeys:    []string{"k"},
				Properties: map[string]string{"row_group_rows": "4", "dictionary": dict},
			}, nil)
			if err != nil {
				t.Fatal(err)
			}
			b := array.NewRecordBuilder(mem, tb.Schema())
			for i, v := range x {
				b.Field(0).(*array.Int64Builder).Append(int64(i))
				if v == nil {
					b.Field(1).AppendNull()
					b.Field(2).AppendNull()
					continue
				}
				b.Field(1).(*array.Float32Builder).Append(float32(*v))
				b.Field(2).(*array.Float64Builder).Append(*v)
			}
			rec := b.NewRecordBatch()
			b.Release()
			spec := tb.IngestSpec()
			spec.Alloc = mem
			_, err = ingest.Write(ctx, store, c.StateStore(), spec, []arrow.RecordBatch{rec})
			rec.Release()
			if err != nil {
				t.Fatal(err)
			}
			st, err := c.StateStore().Snapshot(ctx, tb.StateID())
			if err != nil {
				t.Fatal(err)
			}
			// With dictionary encoding the bounds of group 1 are not trusted (NaN among the
			// values), so it is read whenever it is not null-only.
			g1 := map[bool]int64{false: 0, true: 1}[dict == "on"]
			tests := []struct {
				name   string
				bound  ColumnBound
				groups int64   // row groups read
				keys   []int64 // rows the filter keeps, which must be read
			}{
				{">= Infinity", ColumnBound{Lower: inf, LowerInclusive: true}, 1, []int64{5}},
				{"> Infinity", ColumnBound{Lower: inf}, 1, []int64{5}},
				{"> 7", ColumnBound{Lower: 7.0}, 2, []int64{5, 8, 9, 11}},
				{"> 2", ColumnBound{Lower: 2.0}, 3, []int64{2, 3, 6, 7, 5, 8, 9, 11}},
				{"= NaN", ColumnBound{Lower: nan, Upper: nan, LowerInclusive: true, UpperInclusive: true}, 3, []int64{5}},
				{">= NaN", ColumnBound{Lower: nan, LowerInclusive: true}, 3, []int64{5}},
				{"= 5", ColumnBound{Lower: 5.0, Upper: 5.0, LowerInclusive: true, UpperInclusive: true}, 1, []int64{6}},
				{"= 7", ColumnBound{Lower: 7.0, Upper: 7.0, LowerInclusive: true, UpperInclusive: true}, g1, nil},
				{"< 1", ColumnBound{Upper: 1.0}, g1, nil},
				{"<= 1", ColumnBound{Upper: 1.0, UpperInclusive: true}, 2, []int64{0, 4}},
				{"< 10", ColumnBound{Upper: 10.0}, 2, []int64{0, 1, 2, 3, 4, 6, 7}},
			}
			for _, col := range []int{1, 2} {
				for _, tc := range tests {
					t.Run(fmt.Sprintf("%s %s", tb.Columns[col].Name, tc.name), func(t *testing.T) {
						m := &Metrics{}
						bd := tc.bound
						bd.Column = col
						s, err := NewScan(store, ScanSpec{Table: tb, State: st, Leaves: st.Leaves(), Columns: []int{0}, Bounds: []ColumnBound{bd}, Metrics: m})
						if err != nil {
							t.Fatal(err)
						}
						got := run(t, ctx, s)
						for _, k := range tc.keys {
							if !slices.Contains(got, fmt.Sprint(k)) {
								t.Errorf("row %d (x = %v) not read; read %v", k, *x[k], got)
							}
						}
						if g := m.RowGroupsRead.Load(); g != tc.groups {
							t.Errorf("read %d row groups, want %d", g, tc.groups)
						}
						if m.RowGroupsRead.Load()+m.RowGroupsSkipped.Load() != 3 {
							t.Errorf("read %d and skipped %d row groups of 3", m.RowGroupsRead.Load(), m.RowGroupsSkipped.Load())
						}
					})
				}
			}
		})
	}
}

func ptr(v float64) *float64 { return &v }
