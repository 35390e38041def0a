package exec

import (
	"context"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// sameBatchOp is an operator whose streams return a reference of the same batch at every
// Next, allocating nothing themselves.
type sameBatchOp struct{ b arrow.RecordBatch }

func (o *sameBatchOp) Schema() *arrow.Schema { return o.b.Schema() }
func (o *sameBatchOp) Children() []Operator  { return nil }
func (o *sameBatchOp) String() string        { return "same batch" }
func (o *sameBatchOp) Execute(context.Context) (Stream, error) {
	return &sameBatchStream{b: o.b}, nil
}

type sameBatchStream struct{ b arrow.RecordBatch }

func (s *sameBatchStream) Next(context.Context) (arrow.RecordBatch, error) {
	s.b.Retain()
	return s.b, nil
}
func (s *sameBatchStream) Close() error { return nil }

// TestProjectInputColumns checks a projection of the input's columns in order (SELECT * over
// a scan): its batches hold the input's columns under the projection's schema, and it makes
// no new batch at all when the input's schema is already the projection's, nor evaluates its
// column references one by one. Types that differ from the expressions' still fail.
func TestProjectInputColumns(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx := context.Background()
	build := func(names ...string) arrow.RecordBatch {
		schema := arrow.NewSchema([]arrow.Field{
			{Name: names[0], Type: arrow.PrimitiveTypes.Int64, Nullable: true},
			{Name: names[1], Type: arrow.BinaryTypes.String, Nullable: true},
		}, nil)
		b := array.NewRecordBuilder(mem, schema)
		defer b.Release()
		b.Field(0).(*array.Int64Builder).AppendValues([]int64{7, 8}, nil)
		b.Field(1).(*array.StringBuilder).AppendValues([]string{"x", "y"}, []bool{true, false})
		return b.NewRecordBatch()
	}
	exprs := []Expr{mustCol(t, 0, arrow.PrimitiveTypes.Int64), mustCol(t, 1, arrow.BinaryTypes.String)}
	for _, tc := range []struct {
		name      string
		input     []string
		maxAllocs float64
	}{
		{"same schema", []string{"id", "s"}, 0},
		{"other names", []string{"a", "b"}, 2}, // the batch under the projection's schema
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := build(tc.input...)
			defer in.Release()
			p, err := NewProject(exprs, []string{"id", "s"}, &sameBatchOp{b: in})
			if err != nil {
				t.Fatal(err)
			}
			st, err := p.Execute(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			next := func() {
				b, err := st.Next(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if !b.Schema().Equal(p.Schema()) || b.NumRows() != 2 || b.Column(0) != in.Column(0) || b.Column(1) != in.Column(1) {
					t.Fatalf("batch %v, want the input's columns under %v", b, p.Schema())
				}
				b.Release()
			}
			next()
			if allocs := testing.AllocsPerRun(100, next); allocs > tc.maxAllocs {
				t.Errorf("%.1f allocations per batch, want at most %.0f", allocs, tc.maxAllocs)
			}
		})
	}
	t.Run("other types", func(t *testing.T) {
		in := build("id", "s")
		defer in.Release()
		wrong := []Expr{mustCol(t, 0, arrow.PrimitiveTypes.Int32), mustCol(t, 1, arrow.BinaryTypes.String)}
		p, err := NewProject(wrong, []string{"id", "s"}, &sameBatchOp{b: in})
		if err != nil {
			t.Fatal(err)
		}
		st, err := p.Execute(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		if b, err := st.Next(ctx); err == nil {
			b.Release()
			t.Fatal("a column of another type was projected")
		}
	})
}
