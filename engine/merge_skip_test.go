package engine

import (
	"fmt"
	"math/rand"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/storage/objstore"
)

// TestMergedScanSkipsRowGroups checks the row groups a merged read (a PRIMARY KEY table)
// leaves unread by the statistics of a non-key column: over random inserts, updates and
// deletes, which leave files whose keys overlap and tombstones, a filter whose comparisons
// become row-group bounds returns the same rows as the same filter written so that it gives
// none (v + 0), which reads every row group, and as a model of the table kept in Go; and
// the bounds do skip row groups.
func TestMergedScanSkipsRowGroups(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	for seed := range int64(4) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			e, c := open(t, objstore.NewMem(), mem)
			defer e.Close()
			rng := rand.New(rand.NewSource(seed))
			run(t, c, "CREATE TABLE t (id bigint PRIMARY KEY, v bigint, w double precision, s text) WITH (split_points = '400', row_group_rows = '16')")
			type row struct {
				v int64
				w float64
				s string
			}
			model := map[int64]row{}
			next := int64(0)
			for step := range 12 {
				switch op := rng.Intn(4); {
				case op <= 1 || len(model) == 0:
					// A run of new keys whose values follow the key (so row groups' statistics
					// of v are narrow), with a few scattered keys that overlap earlier files.
					n := 20 + rng.Intn(80)
					var vals []string
					for range n {
						id := next
						next += 1 + int64(rng.Intn(3))
						if rng.Intn(10) == 0 {
							id = -1 - int64(rng.Intn(1000)) // below the runs: overlapping files
						}
						if _, ok := model[id]; ok {
							continue
						}
						r := row{v: id*2 + int64(rng.Intn(5)), w: float64(id) / 4, s: fmt.Sprintf("s%05d", id+2000)}
						model[id] = r
						vals = append(vals, fmt.Sprintf("(%d, %d, %g, '%s')", id, r.v, r.w, r.s))
					}
					if len(vals) > 0 {
						run(t, c, "INSERT INTO t VALUES "+strings.Join(vals, ", "))
					}
				case op == 2:
					// New versions of a range of keys, with values far from the old ones.
					lo := rng.Int63n(next + 1)
					hi := lo + rng.Int63n(60)
					d := int64(rng.Intn(2000) - 1000)
					run(t, c, fmt.Sprintf("UPDATE t SET v = v + %d WHERE id BETWEEN %d AND %d", d, lo, hi))
					for id, r := range model {
						if id >= lo && id <= hi {
							r.v += d
							model[id] = r
						}
					}
				default:
					// Tombstones over a range of keys.
					lo := rng.Int63n(next + 1)
					hi := lo + rng.Int63n(40)
					run(t, c, fmt.Sprintf("DELETE FROM t WHERE id BETWEEN %d AND %d", lo, hi))
					for id := range model {
						if id >= lo && id <= hi {
							delete(model, id)
						}
					}
				}
				for range 6 {
					a := rng.Int63n(2*next+2) - 100
					b := a + rng.Int63n(200)
					wa := float64(rng.Int63n(next+1)) / 4
					for _, q := range []struct{ bounded, plain string }{
						{fmt.Sprintf("v >= %d AND v < %d", a, b), fmt.Sprintf("v + 0 >= %d AND v + 0 < %d", a, b)},
						{fmt.Sprintf("w > %g AND w <= %g", wa, wa+10), fmt.Sprintf("w + 0 > %g AND w + 0 <= %g", wa, wa+10)},
						{fmt.Sprintf("s >= 's%05d' AND s < 's%05d'", a+2000, b+2000), fmt.Sprintf("s || '' >= 's%05d' AND s || '' < 's%05d'", a+2000, b+2000)},
						// Key ranges with and without bounds on other columns: the key's own
						// bounds are left to the ranges.
						{fmt.Sprintf("id >= %d AND id < %d", a/2, b/2), fmt.Sprintf("id + 0 >= %d AND id + 0 < %d", a/2, b/2)},
						{fmt.Sprintf("id = %d", a/2), fmt.Sprintf("id + 0 = %d", a/2)},
						{fmt.Sprintf("id >= %d AND id < %d AND v >= %d", a/4, b, a), fmt.Sprintf("id + 0 >= %d AND id + 0 < %d AND v + 0 >= %d", a/4, b, a)},
					} {
						sel := "SELECT id, v, w, s FROM t WHERE "
						got := skipRows(t, c, sel+q.bounded+" ORDER BY id")
						if plain := skipRows(t, c, sel+q.plain+" ORDER BY id"); got != plain {
							t.Fatalf("step %d, %s:\n%s\nwithout bounds:\n%s", step, q.bounded, got, plain)
						}
						if strings.HasPrefix(q.bounded, "v ") {
							var want []string
							for _, id := range sortedKeys(model) {
								if r := model[id]; r.v >= a && r.v < b {
									want = append(want, fmt.Sprintf("%d %d %g %s", id, r.v, r.w, r.s))
								}
							}
							if w := strings.Join(want, "|"); got != w {
								t.Fatalf("step %d, %s:\n%s\nmodel:\n%s", step, q.bounded, got, w)
							}
						}
					}
				}
			}
			if st := e.Stats(); st.RowGroupsSkipped == 0 {
				t.Errorf("no row group skipped (%d read)", st.RowGroupsRead)
			}
		})
	}
}

func skipRows(t *testing.T, c Conn, q string) string {
	t.Helper()
	rows, _ := run(t, c, q)
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = strings.Join(r, " ")
	}
	return strings.Join(out, "|")
}

func sortedKeys[V any](m map[int64]V) []int64 {
	out := make([]int64, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
