package engine

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/storage/objstore"
)

// tableModel is an in-memory model of a table's contents.
type tableModel interface {
	insert(rows [][3]int64)
	update(maxKey, delta int64) // UPDATE ... SET v = v + delta WHERE k < maxKey
	deleteKeys(lo, hi int64)    // DELETE ... WHERE k >= lo AND k < hi
	deleteValues(above int64)   // DELETE ... WHERE v > above
	rows() []string             // the contents, one "k v n" per row, sorted
}

// plainModel is a table keyed by k that keeps every row.
type plainModel struct{ r [][3]int64 }

func (m *plainModel) insert(rows [][3]int64) { m.r = append(m.r, rows...) }
func (m *plainModel) update(int64, int64)    {}
func (m *plainModel) deleteKeys(lo, hi int64) {
	m.r = slices.DeleteFunc(m.r, func(r [3]int64) bool { return r[0] >= lo && r[0] < hi })
}
func (m *plainModel) deleteValues(above int64) {
	m.r = slices.DeleteFunc(m.r, func(r [3]int64) bool { return r[1] > above })
}
func (m *plainModel) rows() []string { return format(m.r) }

// pkModel is a PRIMARY KEY table: the newest row of each key.
type pkModel struct{ r map[int64][3]int64 }

func (m *pkModel) insert(rows [][3]int64) {
	for _, r := range rows {
		m.r[r[0]] = r
	}
}
func (m *pkModel) update(maxKey, delta int64) {
	for k, r := range m.r {
		if k < maxKey {
			r[1] += delta
			m.r[k] = r
		}
	}
}
func (m *pkModel) deleteKeys(lo, hi int64) {
	for k := range m.r {
		if k >= lo && k < hi {
			delete(m.r, k)
		}
	}
}
func (m *pkModel) deleteValues(above int64) {
	for k, r := range m.r {
		if r[1] > above {
			delete(m.r, k)
		}
	}
}
func (m *pkModel) rows() []string { return format(values(m.r)) }

// aggModel is a table with aggregations = 'sum(v), max(n)' keyed by k.
type aggModel struct{ r map[int64][3]int64 }

func (m *aggModel) insert(rows [][3]int64) {
	for _, r := range rows {
		if old, ok := m.r[r[0]]; ok {
			r[1] += old[1]
			r[2] = max(r[2], old[2])
		}
		m.r[r[0]] = r
	}
}
func (m *aggModel) update(int64, int64) {}
func (m *aggModel) deleteKeys(lo, hi int64) {
	for k := range m.r {
		if k >= lo && k < hi {
			delete(m.r, k)
		}
	}
}
func (m *aggModel) deleteValues(int64) {}
func (m *aggModel) rows() []string     { return format(values(m.r)) }

func values(m map[int64][3]int64) [][3]int64 {
	out := make([][3]int64, 0, len(m))
	for _, r := range m {
		out = append(out, r)
	}
	return out
}

func format(rs [][3]int64) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = fmt.Sprintf("%d %d %d", r[0], r[1], r[2])
	}
	sort.Strings(out)
	return out
}

// TestModel runs random interleavings of INSERT, UPDATE, DELETE, compaction, splitting and
// garbage collection against plain, aggregating and PRIMARY KEY tables, and checks after every
// step that the table holds exactly what an in-memory model holds.
func TestModel(t *testing.T) {
	steps := 700
	if testing.Short() {
		steps = 150
	}
	for _, kind := range []string{"plain", "pk", "agg"} {
		t.Run(kind, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			_, c := open(t, objstore.NewMem(), mem)
			props := "row_keys = 'k', split_points = '20,40', split_threshold = 40, gc_delay = '0s', compaction_files = 4"
			var m tableModel
			switch kind {
			case "plain":
				m = &plainModel{}
				run(t, c, "CREATE TABLE m (k int, v bigint, n int) WITH ("+props+")")
			case "pk":
				m = &pkModel{r: map[int64][3]int64{}}
				run(t, c, "CREATE TABLE m (k int PRIMARY KEY, v bigint, n int) WITH (split_points = '20,40', split_threshold = 40, gc_delay = '0s', compaction_files = 4)")
			case "agg":
				m = &aggModel{r: map[int64][3]int64{}}
				run(t, c, "CREATE TABLE m (k int, v bigint, n int) WITH ("+props+", aggregations = 'sum(v), max(n)')")
			}
			rng := rand.New(rand.NewPCG(7, uint64(len(kind))))
			var ops []string
			for step := 0; step < steps; step++ {
				var op string
				switch x := rng.IntN(100); {
				case x < 50:
					n := 1 + rng.IntN(8)
					rows := make([][3]int64, n)
					vals := make([]string, n)
					for i := range rows {
						rows[i] = [3]int64{rng.Int64N(60), rng.Int64N(100), rng.Int64N(1000)}
						if kind != "plain" {
							// One row per key in a statement: which of two rows of the same key
							// in one INSERT wins is not specified.
							for j := 0; j < i; j++ {
								if rows[j][0] == rows[i][0] {
									rows[i][0] = (rows[i][0] + 61 + int64(i)) % 60
									j = -1
								}
							}
						}
						vals[i] = fmt.Sprintf("(%d, %d, %d)", rows[i][0], rows[i][1], rows[i][2])
					}
					op = "INSERT INTO m VALUES " + strings.Join(vals, ", ")
					if kind == "pk" {
						op += " ON CONFLICT (k) DO UPDATE SET v = excluded.v, n = excluded.n"
					}
					m.insert(rows)
				case x < 60 && kind == "pk":
					k, d := rng.Int64N(60), rng.Int64N(10)-5
					op = fmt.Sprintf("UPDATE m SET v = v + %d WHERE k < %d", d, k)
					m.update(k, d)
				case x < 72:
					lo := rng.Int64N(60)
					hi := lo + 1 + rng.Int64N(8)
					op = fmt.Sprintf("DELETE FROM m WHERE k >= %d AND k < %d", lo, hi)
					m.deleteKeys(lo, hi)
				case x < 78 && kind != "agg":
					v := 50 + rng.Int64N(50)
					op = fmt.Sprintf("DELETE FROM m WHERE v > %d", v)
					m.deleteValues(v)
				case x < 92:
					op = "VACUUM m"
				default:
					op = "VACUUM FULL m"
				}
				ops = append(ops, op)
				run(t, c, op)
				got, _ := run(t, c, "SELECT k, v, n FROM m")
				gs := make([]string, len(got))
				for i, r := range got {
					gs[i] = strings.Join(r, " ")
				}
				sort.Strings(gs)
				if want := m.rows(); !slices.Equal(gs, want) {
					t.Fatalf("after step %d (%s):\n got %v\nwant %v\nops:\n%s", step, op, gs, want, strings.Join(ops, "\n"))
				}
			}
			leaves, _ := run(t, c, "SELECT count(*) FROM sleeper.partitions WHERE leaf")
			t.Logf("%s: %d steps, %s leaves at the end", kind, steps, leaves[0][0])
		})
	}
}
