package trino

import (
	"context"
	"fmt"
	"testing"

	"github.com/sleeperd/sleeperd/connectors/trino/trinothrift"
	"github.com/sleeperd/sleeperd/storage/objstore"
)

// BenchmarkGetRows reads a 1,000,000-row table (bigint key, integer, double, text) through
// the service over loopback TCP, in Trino's default 16 MiB pages, one split per leaf.
func BenchmarkGetRows(b *testing.B) {
	const n = 1_000_000
	ctx := context.Background()
	eng := openEngine(b, objstore.NewMem())
	run(b, eng,
		"CREATE TABLE bench (id bigint, i integer, f double precision, s text) WITH (row_keys = 'id', split_points = '250000,500000,750000')",
		fmt.Sprintf("INSERT INTO bench SELECT g, (g %% 1000)::integer, g / 7.0, 'name ' || (g %% 5000) FROM generate_series(1, %d) g", n),
	)
	c, _ := serve(b, eng)
	cols := []string{"id", "i", "f", "s"}
	b.ResetTimer()
	for range b.N {
		rows := 0
		for _, s := range splits(b, c, "bench", all(), 100) {
			tok := &trinothrift.TrinoThriftNullableToken{}
			for {
				p, err := c.TrinoGetRows(ctx, s.SplitId, cols, 16<<20, tok)
				if err != nil {
					b.Fatal(err)
				}
				rows += int(p.RowCount)
				if p.NextToken == nil {
					break
				}
				tok = &trinothrift.TrinoThriftNullableToken{Token: p.NextToken}
			}
		}
		if rows != n {
			b.Fatalf("%d rows", rows)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
