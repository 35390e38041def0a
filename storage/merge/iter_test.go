package merge

import (
	"context"
	"errors"
	"io"
	"math"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/errs"
)

// rv is a row with a, b, ts values (nil: NULL) and a tombstone flag.
func rv(k int64, ver int64, a *int64, b *string, ts *int64, del bool) row {
	return row{k: k, s: str("s"), ver: ver, a: a, b: b, ts: ts, del: del}
}

var aIsOne = predFunc{"a = 1", func(r row) *bool {
	if r.a == nil {
		return nil
	}
	return boolp(*r.a == 1)
}}

func TestApply(t *testing.T) {
	in := []row{
		rv(1, 1, i64(1), str("x"), i64(100), false),
		rv(1, 4, i64(2), nil, i64(50), false),
		rv(1, 6, nil, str("a"), nil, false),
		rv(2, 2, i64(1), str("m"), i64(10), false),
		rv(2, 7, nil, nil, i64(300), true),
		rv(3, 3, nil, nil, nil, false),
		rv(3, 3, i64(5), str("z"), i64(400), false),
	}
	tests := []struct {
		name string
		opts func(*Options)
		want []row
	}{
		{
			name: "nothing applied",
			opts: func(o *Options) {},
			want: in,
		},
		{
			name: "delete predicate",
			opts: func(o *Options) { o.Deletes = []Delete{{Txn: 2, Pred: aIsOne}} },
			// k=2's a=1 row has version 2, not below 2: kept
			want: []row{in[1], in[2], in[3], in[4], in[5], in[6]},
		},
		{
			name: "several delete predicates",
			opts: func(o *Options) {
				o.Deletes = []Delete{{Txn: 3, Pred: aIsOne}, {Txn: 7, Pred: predFunc{"b = 'a'", func(r row) *bool {
					if r.b == nil {
						return nil
					}
					return boolp(*r.b == "a")
				}}}}
			},
			want: []row{in[1], in[4], in[5], in[6]},
		},
		{
			name: "last write wins",
			opts: func(o *Options) { o.LastWriteWins = true },
			want: []row{in[2], in[4], in[6]},
		},
		{
			name: "last write wins, tombstones dropped",
			opts: func(o *Options) { o.LastWriteWins = true; o.DropTombstones = true },
			want: []row{in[2], in[6]},
		},
		{
			name: "tombstones dropped without combining",
			opts: func(o *Options) { o.DropTombstones = true },
			want: []row{in[0], in[1], in[2], in[3], in[5], in[6]},
		},
		{
			name: "delete then last write wins resurrects the older version",
			opts: func(o *Options) {
				o.LastWriteWins = true
				o.Deletes = []Delete{{Txn: 8, Pred: predFunc{"v >= 6", func(r row) *bool { return boolp(r.ver >= 6) }}}}
			},
			want: []row{in[1], in[3], in[6]},
		},
		{
			name: "aggregation",
			opts: func(o *Options) {
				o.Aggregations = []Aggregation{{Column: colA, Func: Sum}, {Column: colB, Func: Min}, {Column: colTS, Func: Max}}
			},
			want: []row{
				rv(1, 6, i64(3), str("a"), i64(100), false),
				rv(2, 7, i64(1), str("m"), i64(300), true),
				rv(3, 3, i64(5), str("z"), i64(400), false),
			},
		},
		{
			name: "aggregation of all NULLs is NULL",
			opts: func(o *Options) {
				o.Aggregations = []Aggregation{{Column: colA, Func: Sum}, {Column: colB, Func: Max}}
				o.Deletes = []Delete{{Txn: 100, Pred: predFunc{"a is not null", func(r row) *bool { return boolp(r.a != nil && r.k != 1) }}}}
			},
			want: []row{
				rv(1, 6, i64(3), str("x"), nil, false),
				rv(2, 7, nil, nil, i64(300), true),
				rv(3, 3, nil, nil, nil, false),
			},
		},
		{
			name: "age-off",
			opts: func(o *Options) { o.AgeOff = []AgeOff{{Column: colTS, Before: 100}} },
			want: []row{in[0], in[2], in[4], in[5], in[6]},
		},
		{
			name: "age-off after aggregation sees the combined value",
			opts: func(o *Options) {
				o.Aggregations = []Aggregation{{Column: colTS, Func: Min}}
				o.AgeOff = []AgeOff{{Column: colTS, Before: 60}}
			},
			want: []row{rv(3, 3, i64(5), str("z"), i64(400), false)},
		},
		{
			name: "everything stacked",
			opts: func(o *Options) {
				o.Deletes = []Delete{{Txn: 5, Pred: aIsOne}}
				o.LastWriteWins = true
				o.DropTombstones = true
				o.AgeOff = []AgeOff{{Column: colTS, Before: 450}}
			},
			// k=1's winner has a NULL ts (kept), k=2's is a tombstone, k=3's is too old
			want: []row{in[2]},
		},
	}
	for _, tt := range tests {
		for _, size := range []int{1, 2, 3, 100} {
			t.Run(tt.name, func(t *testing.T) {
				mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
				defer mem.AssertSize(t, 0)
				opts := baseOptions(mem)
				tt.opts(&opts)
				s, err := Apply(streamOf(mem, in, size), streamSchema, opts)
				if err != nil {
					t.Fatal(err)
				}
				got, _, err := drain(t, s)
				if err != nil {
					t.Fatal(err)
				}
				diffRows(t, got, tt.want)
			})
		}
	}
}

// TestApplyGroupSpanningBatches puts one key's rows in many batches, some emptied by deletes.
func TestApplyGroupSpanningBatches(t *testing.T) {
	var in []row
	for v := int64(1); v <= 50; v++ {
		in = append(in, rv(7, v, i64(v), str(string(rune('a'+v%26))), i64(v*10), false))
	}
	in = append(in, rv(8, 1, i64(1), nil, nil, false))
	for _, size := range []int{1, 3, 7, 100} {
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		opts := baseOptions(mem)
		opts.Deletes = []Delete{{Txn: 100, Pred: predFunc{"a in 10..19", func(r row) *bool { return boolp(r.a != nil && *r.a >= 10 && *r.a < 20) }}}}
		opts.Aggregations = []Aggregation{{Column: colA, Func: Sum}, {Column: colB, Func: Max}, {Column: colTS, Func: Min}}
		s, err := Apply(streamOf(mem, in, size), streamSchema, opts)
		if err != nil {
			t.Fatal(err)
		}
		got, _, err := drain(t, s)
		if err != nil {
			t.Fatal(err)
		}
		sum := int64(50*51/2 - (10+19)*10/2)
		want := []row{rv(7, 50, i64(sum), str("z"), i64(10), false), rv(8, 1, i64(1), nil, nil, false)}
		diffRows(t, got, want)
		mem.AssertSize(t, 0)
	}
}

func TestApplyErrors(t *testing.T) {
	tests := []struct {
		name string
		opts func(*Options)
	}{
		{"aggregation and last write wins", func(o *Options) {
			o.LastWriteWins = true
			o.Aggregations = []Aggregation{{Column: colA, Func: Sum}}
		}},
		{"aggregation of a key column", func(o *Options) { o.Aggregations = []Aggregation{{Column: colK, Func: Max}} }},
		{"aggregation of the version", func(o *Options) { o.Aggregations = []Aggregation{{Column: colVer, Func: Max}} }},
		{"sum of a string", func(o *Options) { o.Aggregations = []Aggregation{{Column: colB, Func: Sum}} }},
		{"unknown function", func(o *Options) { o.Aggregations = []Aggregation{{Column: colA, Func: "avg"}} }},
		{"column aggregated twice", func(o *Options) {
			o.Aggregations = []Aggregation{{Column: colA, Func: Sum}, {Column: colA, Func: Max}}
		}},
		{"age-off of an integer", func(o *Options) { o.AgeOff = []AgeOff{{Column: colA}} }},
		{"version out of range", func(o *Options) { o.VersionCol = 99 }},
		{"tombstones without a deleted column", func(o *Options) { o.DeletedCol = -1; o.DropTombstones = true }},
		{"deleted column not bool", func(o *Options) { o.DeletedCol = colA }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			opts := baseOptions(mem)
			tt.opts(&opts)
			closes := 0
			in := streamOf(mem, []row{rv(1, 1, nil, nil, nil, false)})
			in.closed = &closes
			if _, err := Apply(in, streamSchema, opts); !errors.Is(err, ErrInvalidSpec) {
				t.Fatalf("got %v, want ErrInvalidSpec", err)
			}
			if closes != 1 {
				t.Fatalf("input closed %d times", closes)
			}
		})
	}
}

// TestApplyInputError checks that an input failure surfaces and Close still releases the
// carried group.
func TestApplyInputError(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	boom := errors.New("boom")
	in := streamOf(mem, []row{rv(1, 1, i64(1), nil, nil, false), rv(1, 2, i64(1), nil, nil, false)}, 1)
	in.err = boom
	opts := baseOptions(mem)
	opts.LastWriteWins = true
	s, err := Apply(in, streamSchema, opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := drain(t, s); !errors.Is(err, boom) {
		t.Fatalf("got %v, want boom", err)
	}
}

// TestSum checks that sums keep the column type and fail on overflow of it.
func TestSum(t *testing.T) {
	tests := []struct {
		name    string
		typ     arrow.DataType
		vals    []any // nil is NULL
		want    any
		wantErr error
	}{
		{"int32", arrow.PrimitiveTypes.Int32, []any{int32(1), nil, int32(2)}, int32(3), nil},
		{"int32 overflow", arrow.PrimitiveTypes.Int32, []any{int32(math.MaxInt32), int32(1)}, nil, errs.NumericRange},
		{"int64 overflow", arrow.PrimitiveTypes.Int64, []any{int64(math.MaxInt64 - 1), int64(1), int64(1)}, nil, errs.NumericRange},
		{"int64 negative overflow", arrow.PrimitiveTypes.Int64, []any{int64(math.MinInt64), int64(-1)}, nil, errs.NumericRange},
		{"int64 back in range", arrow.PrimitiveTypes.Int64, []any{int64(math.MaxInt64), int64(-5)}, int64(math.MaxInt64 - 5), nil},
		{"uint8 overflow", arrow.PrimitiveTypes.Uint8, []any{uint8(200), uint8(56)}, nil, errs.NumericRange},
		{"float64", arrow.PrimitiveTypes.Float64, []any{1.5, nil, 2.25}, 3.75, nil},
		{"all NULL", arrow.PrimitiveTypes.Int64, []any{nil, nil}, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			schema := arrow.NewSchema([]arrow.Field{
				{Name: "k", Type: arrow.PrimitiveTypes.Int64},
				{Name: "v", Type: tt.typ, Nullable: true},
				{Name: VersionColumn, Type: arrow.PrimitiveTypes.Int64},
			}, nil)
			bld := array.NewRecordBuilder(mem, schema)
			defer bld.Release()
			for i, v := range tt.vals {
				bld.Field(0).(*array.Int64Builder).Append(1)
				if v == nil {
					bld.Field(1).AppendNull()
				} else {
					switch b := bld.Field(1).(type) {
					case *array.Int32Builder:
						b.Append(v.(int32))
					case *array.Int64Builder:
						b.Append(v.(int64))
					case *array.Uint8Builder:
						b.Append(v.(uint8))
					case *array.Float64Builder:
						b.Append(v.(float64))
					}
				}
				bld.Field(2).(*array.Int64Builder).Append(int64(i))
			}
			in := &sliceStream{batches: []arrow.RecordBatch{bld.NewRecordBatch()}}
			s, err := Apply(in, schema, Options{RowKeys: []int{0}, VersionCol: 2, DeletedCol: -1,
				Aggregations: []Aggregation{{Column: 1, Func: Sum}}, Alloc: mem})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			b, err := s.Next(context.Background())
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("got %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer b.Release()
			col := b.Column(1)
			if !arrow.TypeEqual(col.DataType(), tt.typ) || col.Len() != 1 {
				t.Fatalf("got %s of %d rows", col.DataType(), col.Len())
			}
			var got any
			if col.IsValid(0) {
				got = col.GetOneForMarshal(0)
			}
			if got != tt.want {
				t.Fatalf("sum is %v (%T), want %v (%T)", got, got, tt.want, tt.want)
			}
			if _, err := s.Next(context.Background()); err != io.EOF {
				t.Fatalf("after the last batch: %v", err)
			}
		})
	}
}
