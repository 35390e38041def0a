package exec

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/errs"
)

// applyFixture is a left side (k, name) and an inner plan that yields rows[k] rows of
// k*10+i for a binding k (none for NULL), counting how often it is built.
type applyFixture struct {
	left  Operator
	rows  map[int64]int
	calls atomic.Int32
	t     *testing.T
}

func newApplyFixture(t *testing.T, mem memory.Allocator, rows map[int64]int) *applyFixture {
	t.Helper()
	schema := arrow.NewSchema([]arrow.Field{{Name: "k", Type: arrow.PrimitiveTypes.Int64, Nullable: true}, {Name: "name", Type: arrow.BinaryTypes.String, Nullable: true}}, nil)
	b1 := mkBatch(t, mem, schema, []any{int64(1), "a"}, []any{int64(2), "b"}, []any{int64(1), "c"})
	b2 := mkBatch(t, mem, schema, []any{nil, "d"}, []any{int64(3), "e"})
	defer b1.Release()
	defer b2.Release()
	left, err := NewValues(schema, []arrow.RecordBatch{b1, b2})
	if err != nil {
		t.Fatal(err)
	}
	return &applyFixture{left: left, rows: rows, t: t}
}

var applyRight = arrow.NewSchema([]arrow.Field{{Name: "v", Type: arrow.PrimitiveTypes.Int64, Nullable: true}}, nil)

func (f *applyFixture) inner(ctx context.Context, params []arrow.Array, row int) (Operator, error) {
	f.calls.Add(1)
	var vals [][]any
	if params[0].IsValid(row) {
		k := valueAt(params[0], row).(int64)
		for i := 0; i < f.rows[k]; i++ {
			vals = append(vals, []any{k*10 + int64(i)})
		}
	}
	b := mkBatch(f.t, memory.NewGoAllocator(), applyRight, vals...)
	defer b.Release()
	return NewValues(applyRight, []arrow.RecordBatch{b})
}

func TestApply(t *testing.T) {
	cases := []struct {
		name  string
		mode  ApplyMode
		rows  map[int64]int
		cache int // 0: the default bound
		want  string
		calls int32
	}{
		{"scalar", ApplyScalar, map[int64]int{1: 1, 3: 1}, 0,
			"1|a|10 2|b|NULL 1|c|10 NULL|d|NULL 3|e|30", 4},
		{"inner", ApplyInner, map[int64]int{1: 1, 2: 2, 3: 3}, 0,
			"1|a|10 2|b|20 2|b|21 1|c|10 3|e|30 3|e|31 3|e|32", 4},
		{"left", ApplyLeft, map[int64]int{1: 1, 2: 2}, 0,
			"1|a|10 2|b|20 2|b|21 1|c|10 NULL|d|NULL 3|e|NULL", 4},
		// A cache bound too small for two results: the binding 1 is run again.
		{"evicted", ApplyInner, map[int64]int{1: 1, 2: 2, 3: 3}, 1,
			"1|a|10 2|b|20 2|b|21 1|c|10 3|e|30 3|e|31 3|e|32", 5},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx, _ := checkedCtx(t)
			// Values operators keep their batches: those come from Go memory.
			f := newApplyFixture(t, memory.NewGoAllocator(), tc.rows)
			a, err := NewApply(tc.mode, f.left, []int{0}, applyRight, f.inner)
			if err != nil {
				t.Fatal(err)
			}
			if tc.cache > 0 {
				a.cacheBytes = tc.cache
			}
			out, err := Collect(ctx, a)
			if err != nil {
				t.Fatal(err)
			}
			defer releaseBatches(out)
			if got := strings.Join(rowsText(out), " "); got != tc.want {
				t.Errorf("rows %s, want %s", got, tc.want)
			}
			if got := f.calls.Load(); got != tc.calls {
				t.Errorf("inner plan built %d times, want %d", got, tc.calls)
			}
		})
	}
}

func TestApplyScalarTooManyRows(t *testing.T) {
	ctx, _ := checkedCtx(t)
	f := newApplyFixture(t, memory.NewGoAllocator(), map[int64]int{1: 1, 2: 2})
	a, err := NewApply(ApplyScalar, f.left, []int{0}, applyRight, f.inner)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Collect(ctx, a)
	wantErrKind(t, err, errs.TooManyRows)
}

// TestApplyBatches: the rows of one left batch whose inner results are large come out in
// batches of about BatchRows rows, not one batch for the whole left batch.
func TestApplyBatches(t *testing.T) {
	ctx, _ := checkedCtx(t)
	f := newApplyFixture(t, memory.NewGoAllocator(), map[int64]int{1: BatchRows, 3: 10})
	a, err := NewApply(ApplyInner, f.left, []int{0}, applyRight, f.inner)
	if err != nil {
		t.Fatal(err)
	}
	out, err := Collect(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	defer releaseBatches(out)
	total := 0
	for _, b := range out {
		if b.NumRows() > BatchRows {
			t.Errorf("a batch of %d rows, more than %d", b.NumRows(), BatchRows)
		}
		total += int(b.NumRows())
	}
	if total != 2*BatchRows+10 || len(out) < 3 {
		t.Errorf("%d rows in %d batches, want %d rows in at least 3", total, len(out), 2*BatchRows+10)
	}
}
