package engine

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/exec"
	"github.com/sleeperd/sleeperd/storage/objstore"
)

// spillRows is how many rows spillTable holds: about 5x the 16 MiB statement limit of
// TestOperatorsSpill.
const spillRows = 400_000

// spillValue is the text of row k of spillTable: two rows share each value.
func spillValue(k int) string {
	return fmt.Sprintf("%08d-%s", k/2, strings.Repeat("x", 180+k/2%16))
}

// spillTextBytes is the total length of column s of spillTable.
func spillTextBytes() int {
	n := 0
	for k := range spillRows {
		n += len(spillValue(k))
	}
	return n
}

// spillGroupsText is the expected "g count sum(k) count(DISTINCT s)" of groups gs, as expect
// shows them.
func spillGroupsText(gs ...int64) string {
	var out []string
	for _, g := range gs {
		n, sum := 0, 0
		ss := map[string]bool{}
		for k := range spillRows {
			if spillGroup(k) == g {
				n, sum = n+1, sum+k
				ss[spillValue(k)] = true
			}
		}
		out = append(out, fmt.Sprintf("%d %d %d %d", g, n, sum, len(ss)))
	}
	return strings.Join(out, "|")
}

// spillGroup is the g column of row k of spillTable.
func spillGroup(k int) int64 { return int64(k*7919) % 50_000 }

// spillTable fills t (k bigint, g bigint, s text) with spillRows rows.
func spillTable(t *testing.T, e *Engine, c Conn, mem memory.Allocator) {
	t.Helper()
	run(t, c, "CREATE TABLE t (k bigint, g bigint, s text) WITH (row_keys = 'k', row_group_rows = '4096')")
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "k", Type: arrow.PrimitiveTypes.Int64},
		{Name: "g", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	for start := 0; start < spillRows; start += 50_000 {
		var src []arrow.RecordBatch
		for lo := start; lo < start+50_000; lo += 4096 {
			bld := array.NewRecordBuilder(mem, schema)
			for k := lo; k < min(lo+4096, start+50_000); k++ {
				bld.Field(0).(*array.Int64Builder).Append(int64(k))
				bld.Field(1).(*array.Int64Builder).Append(spillGroup(k))
				bld.Field(2).(*array.StringBuilder).Append(spillValue(k))
			}
			src = append(src, bld.NewRecordBatch())
			bld.Release()
		}
		_, err := e.Append(context.Background(), "t", src)
		releaseAll(src)
		if err != nil {
			t.Fatal(err)
		}
	}
}

// streamRows runs q and calls row for each row of its result, as text values.
func streamRows(c Conn, q string, row func([]string) error) error {
	ctx := context.Background()
	st, err := c.Prepare(ctx, q, nil)
	if err != nil {
		return err
	}
	defer st.Close()
	r, err := st.Execute(ctx, nil)
	if err != nil {
		return err
	}
	defer r.Close()
	for {
		b, err := r.Next(ctx)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		vals := make([]string, b.NumCols())
		for i := 0; i < int(b.NumRows()); i++ {
			for j := range vals {
				vals[j] = b.Column(j).ValueStr(i)
			}
			if err := row(vals); err != nil {
				b.Release()
				return err
			}
		}
		b.Release()
	}
}

// TestOperatorsSpill runs a sort, an aggregation and a join over about five times the
// statement memory limit: each spills to the engine's spill directory rather than failing
// with out of memory, returns the right answer, and leaves no spill file behind.
func TestOperatorsSpill(t *testing.T) {
	if testing.Short() {
		t.Skip("loads 80 MiB")
	}
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	spillDir := t.TempDir()
	e, err := Open(context.Background(), Options{Store: objstore.NewMem(), Alloc: mem, Parallelism: 2,
		QueryMemoryLimit: 16 << 20, ImportMemory: 4 << 20, SpillDir: spillDir})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	c, err := e.Connect(context.Background(), "test", "test")
	if err != nil {
		t.Fatal(err)
	}
	spillTable(t, e, c, mem)
	// spillFiles lists the operators' spill files there are now.
	spillFiles := func() []string {
		m, _ := filepath.Glob(filepath.Join(spillDir, "*", exec.SpillFilePrefix+"*"))
		return m
	}

	t.Run("sort", func(t *testing.T) {
		n, prevG, prevK := 0, int64(-1), int64(-1)
		sawSpill := false
		err := streamRows(c, "SELECT g, k, s FROM t ORDER BY g, k DESC", func(r []string) error {
			if n == 0 {
				sawSpill = len(spillFiles()) > 0
			}
			var g, k int64
			fmt.Sscan(r[0], &g)
			fmt.Sscan(r[1], &k)
			if g < prevG || g == prevG && k >= prevK {
				return fmt.Errorf("row %d: (%d, %d) after (%d, %d)", n, g, k, prevG, prevK)
			}
			if g != spillGroup(int(k)) || r[2] != spillValue(int(k)) {
				return fmt.Errorf("row %d: wrong row %v", n, r[:2])
			}
			n++
			prevG, prevK = g, k
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if n != spillRows {
			t.Fatalf("%d rows, want %d", n, spillRows)
		}
		if !sawSpill {
			t.Error("the sort did not spill")
		}
	})
	t.Run("aggregate", func(t *testing.T) {
		// 200,000 groups of about 200-byte keys: two rows each.
		// Their keys alone are more than the limit: without spilling this fails with 53200.
		expect(t, c, "SELECT count(*), min(n), max(n), sum(n), sum(length(s)), min(s) = '00000000-' || repeat('x', 180) FROM (SELECT s, count(*) AS n FROM t GROUP BY s) x",
			fmt.Sprintf("%d 2 2 %d %d true", spillRows/2, spillRows, spillTextBytes()/2))
		expect(t, c, "SELECT g, count(*), sum(k), count(DISTINCT s) FROM t WHERE g IN (0, 7, 49999) GROUP BY g ORDER BY g", spillGroupsText(0, 7, 49999))
	})
	t.Run("join", func(t *testing.T) {
		// Build sides of 80 and 20 MiB: without spilling these fail with 53200.
		sumK := spillRows * (spillRows - 1) / 2
		expect(t, c, "SELECT count(*), sum(a.k), sum(b.k), sum(length(b.s)) FROM t a JOIN t b ON a.s = b.s",
			fmt.Sprintf("%d %d %d %d", 2*spillRows, 2*sumK, 2*sumK, 2*spillTextBytes()))
		expect(t, c, "SELECT count(*), count(b.k), sum(b.k) FROM t a LEFT JOIN (SELECT * FROM t WHERE k % 4 = 0) b ON a.s = b.s",
			fmt.Sprintf("%d %d %d", spillRows, spillRows/2, 2*(spillRows/4)*(spillRows/4-1)*4/2))
	})
	if left := spillFiles(); len(left) > 0 {
		t.Errorf("spill files left: %v", left)
	}
}
