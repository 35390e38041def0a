package bench

import (
	"context"
	"fmt"
	"io"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/sleeperd/sleeperd/engine"
	"github.com/sleeperd/sleeperd/storage/objstore"
)

// lookupRows is the size of BenchmarkLookup's table: pgbench's table (cmd/pgbench), at a
// tenth of its rows so that the setup stays short.
const lookupRows = 100_000

// BenchmarkLookup measures the per-statement cost of pgbench's prepared statements (see
// cmd/pgbench): a point lookup `SELECT * FROM t WHERE id = $1` and a 1,000-row range
// aggregate, on a table t (id bigint PRIMARY KEY, v bigint, s text) of 100,000 rows in 8
// partitions on local disk, with serve's default 1 GiB hot cache, warm (every chunk in it). "engine" runs the prepared
// statement through engine.Conn; "pgwire" through an in-process pgwire server with pgx on
// a loopback connection (pgx runs each query as Bind, Describe, Execute, Sync). Compare
// builds by allocs/op and B/op, which the machine's load does not move, and by cpu-ms/op:
//
//	go test -run '^$' -bench Lookup -benchmem -count 5
func BenchmarkLookup(b *testing.B) {
	ctx := context.Background()
	store, err := objstore.NewLocal(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	eng, err := engine.Open(ctx, engine.Options{Store: store, MaintenanceInterval: -1, CacheMemory: 1 << 30})
	if err != nil {
		b.Fatal(err)
	}
	defer eng.Close()
	conn, err := eng.Connect(ctx, "bench", "bench")
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	var points string
	for i := 1; i < 8; i++ {
		points += fmt.Sprintf(",%d", i*lookupRows/8)
	}
	for _, q := range []string{
		fmt.Sprintf("CREATE TABLE t (id bigint PRIMARY KEY, v bigint, s text) WITH (split_points = '%s')", points[1:]),
		fmt.Sprintf("INSERT INTO t SELECT i, (i * 7919) %% 100000, 'row-' || i FROM generate_series(0, %d) i", lookupRows-1),
	} {
		if err := exec(ctx, conn, q); err != nil {
			b.Fatalf("%s: %v", q, err)
		}
	}
	queries := []struct {
		name, sql string
		params    func(i int) []any
	}{
		{"point", "SELECT * FROM t WHERE id = $1", func(i int) []any { return []any{int64(i*7001) % lookupRows} }},
		{"range", "SELECT count(*), sum(v) FROM t WHERE id BETWEEN $1 AND $2 + 999", func(i int) []any {
			a := int64(i*7001) % (lookupRows - 1000)
			return []any{a, a}
		}},
	}
	for _, q := range queries {
		b.Run(q.name+"/engine", func(b *testing.B) {
			st, err := conn.Prepare(ctx, q.sql, nil)
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			run := func(i int) {
				res, err := st.Execute(ctx, q.params(i))
				if err != nil {
					b.Fatal(err)
				}
				for {
					batch, err := res.Next(ctx)
					if err == io.EOF {
						break
					}
					if err != nil {
						b.Fatal(err)
					}
					batch.Release()
				}
				if err := res.Close(); err != nil {
					b.Fatal(err)
				}
			}
			for i := range 2000 { // warm the hot cache
				run(i)
			}
			b.ReportAllocs()
			b.ResetTimer()
			defer cpuPerOp(b)()
			for i := range b.N {
				run(i)
			}
		})
		b.Run(q.name+"/pgwire", func(b *testing.B) {
			w, err := startWire(eng)
			if err != nil {
				b.Fatal(err)
			}
			defer w.close()
			c, err := pgx.Connect(ctx, w.url)
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close(ctx)
			if _, err := c.Prepare(ctx, "q", q.sql); err != nil {
				b.Fatal(err)
			}
			run := func(i int) {
				rows, err := c.Query(ctx, "q", q.params(i)...)
				if err != nil {
					b.Fatal(err)
				}
				for rows.Next() {
				}
				if err := rows.Err(); err != nil {
					b.Fatal(err)
				}
			}
			for i := range 2000 {
				run(i)
			}
			b.ReportAllocs()
			b.ResetTimer()
			defer cpuPerOp(b)()
			for i := range b.N {
				run(i)
			}
		})
	}
}
