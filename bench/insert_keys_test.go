package bench

import (
	"context"
	"fmt"
	"testing"

	"github.com/sleeperd/sleeperd/engine"
	"github.com/sleeperd/sleeperd/storage/objstore"
)

// BenchmarkInsertKeys measures an INSERT ... SELECT of 200,000 rows into a table already
// holding 200,000 rows whose keys interleave with the new ones (even keys there, odd keys
// inserted): into a keyless table (no key lookup, the yardstick), into a PRIMARY KEY table
// (the keys are looked up by their range, which reads every existing key), with ON
// CONFLICT DO NOTHING (the rows held in memory, then looked up), and with ON CONFLICT DO
// UPDATE over keys that all exist (the existing rows read whole):
//
//	cd bench && go test -run '^$' -bench BenchmarkInsertKeys -benchtime 3x .
func BenchmarkInsertKeys(b *testing.B) {
	const rows = 200_000
	for _, tc := range []struct{ name, ddl, insert string }{
		{"keyless", "CREATE TABLE t (id bigint, v bigint, s text)",
			"INSERT INTO t SELECT 2 * g + 1, g, 'row ' || g FROM generate_series(0, %d) g"},
		{"primary_key", "CREATE TABLE t (id bigint PRIMARY KEY, v bigint, s text)",
			"INSERT INTO t SELECT 2 * g + 1, g, 'row ' || g FROM generate_series(0, %d) g"},
		{"on_conflict_do_nothing", "CREATE TABLE t (id bigint PRIMARY KEY, v bigint, s text)",
			"INSERT INTO t SELECT 2 * g + 1, g, 'row ' || g FROM generate_series(0, %d) g ON CONFLICT (id) DO NOTHING"},
		{"on_conflict_do_update_all_exist", "CREATE TABLE t (id bigint PRIMARY KEY, v bigint, s text)",
			"INSERT INTO t SELECT 2 * g, g, 'new ' || g FROM generate_series(0, %d) g ON CONFLICT (id) DO UPDATE SET v = excluded.v"},
	} {
		b.Run(tc.name, func(b *testing.B) {
			ctx := context.Background()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				e, err := engine.Open(ctx, engine.Options{Store: objstore.NewMem(), SpillDir: b.TempDir()})
				if err != nil {
					b.Fatal(err)
				}
				c, err := e.Connect(ctx, "bench", "bench")
				if err != nil {
					b.Fatal(err)
				}
				runStatement(b, c, tc.ddl+" WITH (online = false)")
				runStatement(b, c, fmt.Sprintf("INSERT INTO t SELECT 2 * g, g, 'row ' || g FROM generate_series(0, %d) g", rows-1))
				b.StartTimer()
				runStatement(b, c, fmt.Sprintf(tc.insert, rows-1))
				b.StopTimer()
				e.Close()
			}
			b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

// runStatement runs one statement to the end.
func runStatement(b *testing.B, c engine.Conn, q string) {
	b.Helper()
	ctx := context.Background()
	st, err := c.Prepare(ctx, q, nil)
	if err != nil {
		b.Fatalf("%s: %v", q, err)
	}
	defer st.Close()
	r, err := st.Execute(ctx, nil)
	if err != nil {
		b.Fatalf("%s: %v", q, err)
	}
	defer r.Close()
	for {
		bt, err := r.Next(ctx)
		if err != nil {
			break
		}
		bt.Release()
	}
}
