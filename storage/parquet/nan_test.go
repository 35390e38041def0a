package parquet

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	pq "github.com/parquet-go/parquet-go"
)

var (
	nan     = math.NaN()
	negZero = math.Copysign(0, -1)
)

// nanGroups are the float values of four 4-row row groups; a nil entry is NULL.
var nanGroups = [][]*float64{
	{fp(1), fp(2), fp(3), fp(4)},       // no NaN
	{fp(1), fp(nan), fp(5), fp(6)},     // NaN between numbers
	{fp(nan), fp(nan), nil, fp(nan)},   // only NaN and NULL
	{nil, fp(negZero), fp(0), fp(7.5)}, // signed zeros
}

func fp(v float64) *float64 { return &v }

var nanSchema = arrow.NewSchema([]arrow.Field{
	{Name: "k", Type: arrow.PrimitiveTypes.Int64},
	{Name: "f4", Type: arrow.PrimitiveTypes.Float32, Nullable: true},
	{Name: "f8", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
}, nil)

func writeNaNFile(t *testing.T, mem memory.Allocator, dict bool) []byte {
	t.Helper()
	b := array.NewRecordBuilder(mem, nanSchema)
	defer b.Release()
	k := 0
	for _, g := range nanGroups {
		for _, v := range g {
			b.Field(0).(*array.Int64Builder).Append(int64(k))
			k++
			if v == nil {
				b.Field(1).AppendNull()
				b.Field(2).AppendNull()
				continue
			}
			b.Field(1).(*array.Float32Builder).Append(float32(*v))
			b.Field(2).(*array.Float64Builder).Append(*v)
		}
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	var buf bytes.Buffer
	w, err := NewWriter(&buf, nanSchema, Properties{RowGroupRows: 4, Dictionary: dict})
	if err != nil {
		t.Fatal(err)
	}
	// Two writes that split a row group, so counts carry across Write calls.
	for _, r := range [][2]int64{{0, 6}, {6, rec.NumRows()}} {
		part := rec.NewSlice(r[0], r[1])
		err := w.Write(part)
		part.Release()
		if err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestFloatStatsNaN checks what the statistics of float chunks say about NaN: the writer
// records each chunk's NaN count, chunks without NaN keep exact bounds and MayHoldNaN false,
// and chunks with NaN report MayHoldNaN with bounds of their numbers, or no bounds where
// parquet-go's are unreliable (dictionary encoding) or all values are NaN.
func TestFloatStatsNaN(t *testing.T) {
	for _, dict := range []bool{false, true} {
		t.Run(fmt.Sprintf("dict=%v", dict), func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			data := writeNaNFile(t, mem, dict)
			f, err := Open(bytes.NewReader(data), int64(len(data)))
			if err != nil {
				t.Fatal(err)
			}
			rec, ok := f.KeyValue(NaNCountsKey)
			if !ok {
				t.Fatalf("no %s in the footer", NaNCountsKey)
			}
			var counts map[string][]int64
			if err := json.Unmarshal([]byte(rec), &counts); err != nil {
				t.Fatalf("%s = %q: %v", NaNCountsKey, rec, err)
			}
			want := []int64{0, 1, 3, 0}
			if len(counts) != 2 || fmt.Sprint(counts["f4"]) != fmt.Sprint(want) || fmt.Sprint(counts["f8"]) != fmt.Sprint(want) {
				t.Errorf("%s = %s, want f4 and f8 %v", NaNCountsKey, rec, want)
			}
			groups := f.RowGroups()
			if len(groups) != len(nanGroups) {
				t.Fatalf("%d row groups, want %d", len(groups), len(nanGroups))
			}
			type bounds struct {
				has      bool
				min, max float64
				mayNaN   bool
			}
			wantBounds := []bounds{
				{true, 1, 4, false},
				{!dict, 1, 6, true},
				{false, 0, 0, true},
				{true, 0, 7.5, false},
			}
			for g, rg := range groups {
				if st := rg.Columns[0]; st.MayHoldNaN {
					t.Errorf("group %d: int64 column may hold NaN", g)
				}
				for c := 1; c <= 2; c++ {
					st, w := rg.Columns[c], wantBounds[g]
					if st.MayHoldNaN != w.mayNaN || st.HasMinMax != w.has {
						t.Errorf("group %d column %d: MayHoldNaN %v HasMinMax %v, want %v %v", g, c, st.MayHoldNaN, st.HasMinMax, w.mayNaN, w.has)
						continue
					}
					if !w.has {
						if st.Min != nil || st.Max != nil {
							t.Errorf("group %d column %d: bounds %v %v without HasMinMax", g, c, st.Min, st.Max)
						}
						continue
					}
					// == so that -0 and +0, which compare equal, both stand for zero.
					if st.Min.(float64) != w.min || st.Max.(float64) != w.max {
						t.Errorf("group %d column %d: bounds %v %v, want %v %v", g, c, st.Min, st.Max, w.min, w.max)
					}
				}
			}
		})
	}
}

// TestFloatStatsWithoutNaNRecord reads files written by parquet-go directly, as by another
// tool or an older writer: without NaNCountsKey every float chunk may hold NaN, and
// dictionary-encoded float bounds are not trusted, because parquet-go gets them wrong with NaN
// (here the min of {1, NaN, 5, 6} comes out as 5).
func TestFloatStatsWithoutNaNRecord(t *testing.T) {
	for _, dict := range []bool{false, true} {
		t.Run(fmt.Sprintf("dict=%v", dict), func(t *testing.T) {
			leaf := pq.Leaf(pq.DoubleType)
			if dict {
				leaf = pq.Encoded(leaf, &pq.RLEDictionary)
			}
			schema := pq.NewSchema("t", pq.Group{"x": pq.Optional(leaf)})
			var buf bytes.Buffer
			w := pq.NewWriter(&buf, schema)
			var rows []pq.Row
			for _, v := range []float64{1, nan, 5, 6} {
				rows = append(rows, pq.Row{pq.DoubleValue(v).Level(0, 1, 0)})
			}
			if _, err := w.WriteRows(rows); err != nil {
				t.Fatal(err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			f, err := Open(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := f.KeyValue(NaNCountsKey); ok {
				t.Fatalf("file written by parquet-go has %s", NaNCountsKey)
			}
			st := f.RowGroups()[0].Columns[0]
			if !st.MayHoldNaN {
				t.Error("MayHoldNaN false without a NaN record")
			}
			if dict {
				if st.HasMinMax {
					t.Errorf("dictionary-encoded float bounds %v %v trusted without a NaN record", st.Min, st.Max)
				}
				return
			}
			if !st.HasMinMax || st.Min != 1.0 || st.Max != 6.0 {
				t.Errorf("bounds %v %v %v, want 1 6", st.HasMinMax, st.Min, st.Max)
			}
		})
	}
}
