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
			e, err := Open(ctx, Options{Store: objstore.NewMem(), Alloc: mem, MaintenanceInterval: -1, CacheMemory: cache})
			if err != nil {
				t.Fatal(err)
			}
			defer e.Close()
			c, err := e.Connect(ctx, "test", "test")
			if err != nil {
				t.Fatal(err)
			}
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
			lookup := func(id int64) string {
				t.Helper()
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
			check := func(step string, ids []int64) {
				t.Helper()
				for _, id := range ids {
					if got, want := lookup(id), model[id]; got != want {
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
