package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/errs"
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
	if raceEnabled {
		// Ten minutes under the race detector: make test runs it in a pass of its own without.
		t.Skip("too slow under the race detector; run without -race")
	}
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	spillDir := t.TempDir()
	// The server's memory limit is the statement's: the operators' pool is a statement's
	// budget, and sleeper.memory counts the spill files.
	e, c := openWith(t, Options{Store: objstore.NewMem(), Alloc: mem, Parallelism: 2,
		QueryMemoryLimit: 16 << 20, MemoryLimit: 16 << 20, ImportMemory: 4 << 20, SpillDir: spillDir})
	defer e.Close()
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
	// spilled runs q through f and fails unless operators created spill files meanwhile.
	spilled := func(t *testing.T, f func()) {
		t.Helper()
		before, _ := run(t, c, "SELECT spill_files FROM sleeper.memory")
		f()
		after, _ := run(t, c, "SELECT spill_files FROM sleeper.memory")
		if before[0][0] == after[0][0] {
			t.Errorf("no spill files (%s before, %s after)", before[0][0], after[0][0])
		}
	}
	t.Run("window", func(t *testing.T) {
		// The window's input is the whole table, about 5x the limit: it sorts it with a
		// spilling sort and computes a chunk of partitions at a time. Every row is checked
		// against the table's definition, in the window's order (g, then k).
		byGroup := map[int64][]int{}
		for k := range spillRows {
			byGroup[spillGroup(k)] = append(byGroup[spillGroup(k)], k)
		}
		spilled(t, func() {
			n, prevG, i, run := 0, int64(-1), 0, 0
			err := streamRows(c, `SELECT g, k, s, row_number() OVER w, sum(length(s)) OVER w, lag(k) OVER w, count(*) OVER (PARTITION BY g)
				FROM t WINDOW w AS (PARTITION BY g ORDER BY k)`, func(r []string) error {
				var g, k int64
				fmt.Sscan(r[0], &g)
				fmt.Sscan(r[1], &k)
				if g != prevG {
					if g < prevG {
						return fmt.Errorf("row %d: group %d after %d", n, g, prevG)
					}
					prevG, i, run = g, 0, 0
				}
				ks := byGroup[g]
				if i >= len(ks) || int64(ks[i]) != k || r[2] != spillValue(int(k)) {
					return fmt.Errorf("row %d: wrong row (%d, %d) at %d of its group", n, g, k, i)
				}
				run += len(spillValue(int(k)))
				lag := "(null)"
				if i > 0 {
					lag = fmt.Sprint(ks[i-1])
				}
				want := []string{fmt.Sprint(i + 1), fmt.Sprint(run), lag, fmt.Sprint(len(ks))}
				if got := r[3:]; strings.Join(got, " ") != strings.Join(want, " ") {
					return fmt.Errorf("row %d (%d, %d): got %v, want %v", n, g, k, got, want)
				}
				n, i = n+1, i+1
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if n != spillRows {
				t.Fatalf("%d rows, want %d", n, spillRows)
			}
		})
	})
	t.Run("set operations", func(t *testing.T) {
		// Sets and counts of 200-byte rows, 5x the limit and more.
		sumLen := func(keep func(k int) bool) (n, sum int) {
			for k := range spillRows {
				if keep(k) {
					n, sum = n+1, sum+len(spillValue(k))
				}
			}
			return n, sum
		}
		cases := []struct {
			q    string
			keep func(k int) bool // rows of t the result holds, by s
		}{
			// Two rows share each s: UNION keeps one.
			{"SELECT s FROM t UNION SELECT s FROM t WHERE k % 3 = 0", func(k int) bool { return k%2 == 0 }},
			{"SELECT s, g FROM t INTERSECT SELECT s, g FROM t WHERE k % 2 = 0", func(k int) bool { return k%2 == 0 }},
			{"SELECT s, g FROM t EXCEPT SELECT s, g FROM t WHERE k % 2 = 0", func(k int) bool { return k%2 == 1 }},
			{"SELECT s FROM t EXCEPT SELECT s FROM t WHERE k % 4 < 2", func(k int) bool { return k%4 == 2 }},
			// min(2, 2) of the values with both rows on the right, none of the rest.
			{"SELECT s FROM t INTERSECT ALL SELECT s FROM t WHERE k % 4 < 2", func(k int) bool { return k%4 < 2 }},
			// 2 - 1 of each value.
			{"SELECT s FROM t EXCEPT ALL SELECT s FROM t WHERE k % 2 = 0", func(k int) bool { return k%2 == 1 }},
		}
		for _, tc := range cases {
			n, sum := sumLen(tc.keep)
			spilled(t, func() {
				expect(t, c, "SELECT count(*), sum(length(s)) FROM ("+tc.q+") x", fmt.Sprintf("%d %d", n, sum))
			})
		}
	})
	t.Run("concurrent", func(t *testing.T) {
		// Four statements at once, each over 5x the server's pool of 4 MiB: they share it
		// and all finish with the right answer.
		qs := []struct{ q, want string }{
			{"SELECT count(*), sum(n) FROM (SELECT s, count(*) AS n FROM t GROUP BY s) x", fmt.Sprintf("%d %d", spillRows/2, spillRows)},
			{"SELECT count(*) FROM (SELECT s FROM t UNION SELECT s FROM t) x", fmt.Sprint(spillRows / 2)},
			{"SELECT count(*), sum(r) FROM (SELECT row_number() OVER (PARTITION BY g ORDER BY s) AS r FROM t) x", fmt.Sprintf("%d %d", spillRows, spillRows/50_000*(spillRows/50_000+1)/2*50_000)},
			{"SELECT count(*), sum(length(s)) FROM (SELECT s FROM t ORDER BY s OFFSET 1) x", fmt.Sprintf("%d %d", spillRows-1, spillTextBytes()-len(spillValue(0)))},
		}
		conns := make([]Conn, len(qs))
		for i := range conns {
			cc, err := e.Connect(context.Background(), "test", "test")
			if err != nil {
				t.Fatal(err)
			}
			conns[i] = cc
		}
		before, _ := run(t, c, "SELECT statements FROM sleeper.memory")
		errc := make(chan error, len(qs))
		for i, q := range qs {
			go func() {
				rows, _, err := tryRun(conns[i], q.q)
				if err == nil && rowsText(rows) != q.want {
					err = fmt.Errorf("%s: got %s, want %s", q.q, rowsText(rows), q.want)
				}
				errc <- err
			}()
		}
		for range qs {
			if err := <-errc; err != nil {
				t.Error(err)
			}
		}
		expect(t, c, "SELECT memory_limit, statement_limit, pool_bytes, reserved_bytes, active_statements, statements - "+before[0][0]+" >= 4 FROM sleeper.memory",
			fmt.Sprintf("%d %d %d 0 0 true", 16<<20, 16<<20, 4<<20))
		// A single value larger than the limit cannot spill: the statement fails with out
		// of memory, and the server keeps serving.
		_, _, err := tryRun(c, "SELECT length(repeat(s, 100000)) FROM t WHERE k = 1")
		if !errors.Is(err, errs.OutOfMemory) {
			t.Fatalf("a 20 MB value under a 16 MiB limit: %v, want out of memory", err)
		}
		expect(t, c, "SELECT count(*), sum(k) FROM t", fmt.Sprintf("%d %d", spillRows, spillRows*(spillRows-1)/2))
	})
	if left := spillFiles(); len(left) > 0 {
		t.Errorf("spill files left: %v", left)
	}
}
