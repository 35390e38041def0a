package engine

import (
	"context"
	"fmt"
	"io"
	"math/rand"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/storage/objstore"
)

// TestKeptLookupSeesDeltas checks that point lookups through one prepared statement, run
// again and again (a kept plan), return the row as last written when its key's newer
// versions and tombstones lie in other files of the leaf than the file holding its first
// version: a leaf of one large file of many row groups, then UPDATEs, DELETEs and re-INSERTs
// of scattered keys, each adding a small file whose keys overlap the large one. Every key
// (present, updated, deleted, deleted then inserted again, never written) is looked up
// after each change and compared with a model kept in Go; with and without the hot cache.
func TestKeptLookupSeesDeltas(t *testing.T) {
	for _, cache := range []int64{0, 64 << 20} {
		t.Run(fmt.Sprintf("cache=%d", cache), func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			ctx := context.Background()
			e, c := openWith(t, Options{Store: objstore.NewMem(), Alloc: mem, MaintenanceInterval: -1, CacheMemory: cache})
			defer e.Close()
			defer c.Close()
			const n = 2000
			run(t, c, "CREATE TABLE t (id bigint PRIMARY KEY, v bigint, s text) WITH (split_points = '1000', row_group_rows = '64')")
			run(t, c, fmt.Sprintf("INSERT INTO t SELECT i, i * 3, 'r' || i FROM generate_series(0, %d) i", n-1))
			model := map[int64]string{}
			for i := range int64(n) {
				model[i] = fmt.Sprintf("%d %d r%d", i, i*3, i)
			}
			st, err := c.Prepare(ctx, "SELECT * FROM t WHERE id = $1", nil)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			check := func(step string, ids []int64) {
				t.Helper()
				for _, id := range ids {
					if got, want := lookupRows(t, st, id), model[id]; got != want {
						t.Fatalf("%s: id = %d: got %q, want %q", step, id, got, want)
					}
				}
			}
			rng := rand.New(rand.NewSource(1))
			probe := func(touched []int64) []int64 {
				ids := append([]int64{-1, n, n + 5}, touched...)
				for range 40 {
					ids = append(ids, rng.Int63n(n))
				}
				return ids
			}
			check("initial", probe(nil))
			var touched []int64
			for step := range 10 {
				id := rng.Int63n(n)
				touched = append(touched, id)
				var q string
				switch step % 3 {
				case 0:
					q = fmt.Sprintf("UPDATE t SET v = -v - %d, s = 'u%d' WHERE id = %d", step, step, id)
					if old, ok := model[id]; ok {
						var k, v int64
						fmt.Sscanf(old, "%d %d", &k, &v)
						model[id] = fmt.Sprintf("%d %d u%d", id, -v-int64(step), step)
					}
				case 1:
					q = fmt.Sprintf("DELETE FROM t WHERE id = %d", id)
					delete(model, id)
				default:
					// A key deleted in one file and written again in a later one.
					run(t, c, fmt.Sprintf("DELETE FROM t WHERE id = %d", id))
					q = fmt.Sprintf("INSERT INTO t VALUES (%d, %d, 'again%d')", id, 7*id, step)
					model[id] = fmt.Sprintf("%d %d again%d", id, 7*id, step)
				}
				run(t, c, q)
				check(fmt.Sprintf("step %d (%s)", step, q), probe(touched))
			}
		})
	}
}

// TestKeptLookupColumnSets checks point lookups of kept plans that read different columns of
// one PRIMARY KEY table, run in turn: each reads the columns of its own select list (a
// merged read plans its columns once per table and column set and shares the plan), also
// after an UPDATE adds a file whose rows have other versions, after a compaction, and after
// ADD COLUMN (a new definition of the table); on a local store (whose log stamps tell a
// kept plan the table is unchanged), with and without the hot cache.
func TestKeptLookupColumnSets(t *testing.T) {
	for _, cache := range []int64{0, 64 << 20} {
		t.Run(fmt.Sprintf("cache=%d", cache), func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			ctx := context.Background()
			e, c := openWith(t, Options{Store: localStore(t, t.TempDir()), Alloc: mem, MaintenanceInterval: -1, CacheMemory: cache})
			defer e.Close()
			defer c.Close()
			run(t, c, "CREATE TABLE t (id bigint PRIMARY KEY, a bigint, b text, c double precision) WITH (split_points = '50')")
			run(t, c, "INSERT INTO t SELECT i, i * 10, 'b' || i, i / 4.0 FROM generate_series(0, 99) i")
			queries := []string{
				"SELECT a FROM t WHERE id = $1",
				"SELECT b, id FROM t WHERE id = $1",
				"SELECT c, a, b FROM t WHERE id = $1",
				"SELECT * FROM t WHERE id = $1",
				"SELECT id FROM t WHERE id = $1",
			}
			sts := make([]Statement, len(queries))
			var err error
			for i, q := range queries {
				if sts[i], err = c.Prepare(ctx, q, nil); err != nil {
					t.Fatal(err)
				}
				defer sts[i].Close()
			}
			// want returns the rows query i should return for id, by the values of a, b and c
			// (and d, once added) the row holds, or "" for no row.
			type row struct {
				a       int64
				b       string
				c       float64
				d       string
				present bool
			}
			model := map[int64]row{}
			for i := range int64(100) {
				model[i] = row{a: i * 10, b: fmt.Sprintf("b%d", i), c: float64(i) / 4, present: true}
			}
			added := false
			want := func(q int, id int64) string {
				r, ok := model[id]
				if !ok || !r.present {
					return ""
				}
				switch q {
				case 0:
					return fmt.Sprint(r.a)
				case 1:
					return fmt.Sprintf("%s %d", r.b, id)
				case 2:
					return fmt.Sprintf("%g %d %s", r.c, r.a, r.b)
				case 3:
					s := fmt.Sprintf("%d %d %s %g", id, r.a, r.b, r.c)
					if added {
						s += " " + r.d
					}
					return s
				default:
					return fmt.Sprint(id)
				}
			}
			check := func(step string) {
				t.Helper()
				for _, id := range []int64{0, 7, 49, 50, 63, 99, 100, -3} {
					for q, st := range sts {
						if got, w := lookupRows(t, st, id), want(q, id); got != w {
							t.Fatalf("%s: %s with id = %d: got %q, want %q", step, queries[q], id, got, w)
						}
					}
				}
			}
			check("initial")
			run(t, c, "UPDATE t SET a = -a, b = 'u' || id WHERE id IN (7, 63)")
			for _, id := range []int64{7, 63} {
				r := model[id]
				r.a, r.b = -r.a, fmt.Sprintf("u%d", id)
				model[id] = r
			}
			run(t, c, "DELETE FROM t WHERE id = 49")
			delete(model, 49)
			check("after UPDATE and DELETE")
			run(t, c, "VACUUM FULL t")
			check("after compaction")
			run(t, c, "ALTER TABLE t ADD COLUMN d text DEFAULT 'dd'")
			added = true
			// SELECT * now has another result type: prepared again (as PostgreSQL requires).
			if sts[3], err = c.Prepare(ctx, queries[3], nil); err != nil {
				t.Fatal(err)
			}
			defer sts[3].Close()
			for id, r := range model {
				r.d = "dd"
				model[id] = r
			}
			run(t, c, "UPDATE t SET d = 'x' || id, c = -c WHERE id = 50")
			r := model[50]
			r.d, r.c = "x50", -r.c
			model[50] = r
			check("after ADD COLUMN")
		})
	}
}

// lookupRows executes st with the one parameter id and returns its rows, values separated by
// spaces and rows by "|".
func lookupRows(t *testing.T, st Statement, id int64) string {
	t.Helper()
	ctx := context.Background()
	r, err := st.Execute(ctx, []any{id})
	if err != nil {
		t.Fatalf("id = %d: %v", id, err)
	}
	defer r.Close()
	var rows []string
	for {
		b, err := r.Next(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("id = %d: %v", id, err)
		}
		for i := range int(b.NumRows()) {
			row := make([]string, b.NumCols())
			for j := range row {
				row[j] = b.Column(j).ValueStr(i)
			}
			rows = append(rows, strings.Join(row, " "))
		}
		b.Release()
	}
	return strings.Join(rows, "|")
}
