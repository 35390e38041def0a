package exec

import (
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
)

// recursiveCounter is WITH RECURSIVE t(n) AS (base UNION [ALL] SELECT n % mod + 1 FROM t
// WHERE n < stop): with mod > stop a count from the base up to stop, with a smaller mod a
// cycle.
func recursiveCounter(t *testing.T, base arrow.RecordBatch, mod, stop int64, distinct bool) *RecursiveUnion {
	t.Helper()
	schema := schemaOf(arrow.PrimitiveTypes.Int64)
	values, err := NewValues(schema, []arrow.RecordBatch{base})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(values.Release)
	work := NewWorkTable(schema)
	n := mustCol(t, 0, arrow.PrimitiveTypes.Int64)
	lt, err := NewBinary(Lt, n, lit(t, stop, arrow.PrimitiveTypes.Int64))
	if err != nil {
		t.Fatal(err)
	}
	filter, err := NewFilter(lt, NewWorkTableScan(work))
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewBinary(Mod, n, lit(t, mod, arrow.PrimitiveTypes.Int64))
	if err != nil {
		t.Fatal(err)
	}
	next, err := NewBinary(Add, m, lit(t, int64(1), arrow.PrimitiveTypes.Int64))
	if err != nil {
		t.Fatal(err)
	}
	step, err := NewProject([]Expr{next}, []string{"c0"}, filter)
	if err != nil {
		t.Fatal(err)
	}
	op, err := NewRecursiveUnion(values, step, work, distinct)
	if err != nil {
		t.Fatal(err)
	}
	return op
}

func TestRecursiveUnionAll(t *testing.T) {
	ctx, mem := checkedCtx(t)
	base := mkBatch(t, mem, schemaOf(arrow.PrimitiveTypes.Int64), []any{int64(1)}, []any{int64(3)})
	defer base.Release()
	out, err := Collect(ctx, recursiveCounter(t, base, 100, 5, false))
	if err != nil {
		t.Fatal(err)
	}
	defer releaseBatches(out)
	if got := strings.Join(rowsText(out), " "); got != "1 3 2 4 3 5 4 5" {
		t.Fatalf("got %s", got)
	}
}

// TestRecursiveUnionCycle: with UNION a cycle ends once no new row appears; with UNION ALL
// it runs into the iteration limit, and closing early releases what it holds.
func TestRecursiveUnionCycle(t *testing.T) {
	ctx, mem := checkedCtx(t)
	base := mkBatch(t, mem, schemaOf(arrow.PrimitiveTypes.Int64), []any{int64(1)})
	defer base.Release()
	out, err := Collect(ctx, recursiveCounter(t, base, 3, 100, true))
	if err != nil {
		t.Fatal(err)
	}
	defer releaseBatches(out)
	if got := strings.Join(rowsText(out), " "); got != "1 2 3" {
		t.Fatalf("got %s", got)
	}

	s, err := recursiveCounter(t, base, 3, 100, false).Execute(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for range 10 {
		b, err := s.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		b.Release()
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}
