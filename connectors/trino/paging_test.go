package trino

import (
	"context"
	"fmt"
	"testing"

	"github.com/apache/thrift/lib/go/thrift"

	"github.com/sleeperd/sleeperd/connectors/trino/trinothrift"
	"github.com/sleeperd/sleeperd/storage/objstore"
)

// TestPaging5M pages through a 5,000,000-row table in 64 KiB pages: every split, every page
// under maxBytes and valid, every row once and in key order within its leaf.
func TestPaging5M(t *testing.T) {
	const n = 5_000_000
	ctx := context.Background()
	eng := openEngine(t, objstore.NewMem())
	run(t, eng,
		"CREATE TABLE five (id bigint, v integer) WITH (row_keys = 'id', split_points = '1250000,2500000,3750000')",
		fmt.Sprintf("INSERT INTO five SELECT g, (g %% 1000)::integer FROM generate_series(1, %d) g", n),
	)
	c, _ := serve(t, eng)
	cols, types := []string{"id", "v"}, []string{"bigint", "integer"}
	const maxBytes = 64 << 10
	ser := thrift.NewTSerializer()
	next := int64(1)
	pages := 0
	s := splits(t, c, "five", all(), 2)
	if len(s) != 4 {
		t.Fatalf("%d splits, want 4", len(s))
	}
	for _, sp := range s {
		tok := &trinothrift.TrinoThriftNullableToken{}
		for {
			p, err := c.TrinoGetRows(ctx, sp.SplitId, cols, maxBytes, tok)
			if err != nil {
				t.Fatal(err)
			}
			pages++
			if err := ValidatePage(p, types); err != nil {
				t.Fatalf("page %d: %v", pages, err)
			}
			if pages%50 == 1 {
				enc, err := ser.Write(ctx, p)
				if err != nil {
					t.Fatal(err)
				}
				if len(enc) > maxBytes {
					t.Fatalf("page %d is %d bytes, over %d", pages, len(enc), maxBytes)
				}
			}
			ids, vs := p.ColumnBlocks[0].BigintData.Longs, p.ColumnBlocks[1].IntegerData.Ints
			for i, id := range ids {
				if id != next || int64(vs[i]) != id%1000 {
					t.Fatalf("row (%d, %d), want id %d", id, vs[i], next)
				}
				next++
			}
			if p.NextToken == nil {
				break
			}
			tok = &trinothrift.TrinoThriftNullableToken{Token: p.NextToken}
		}
	}
	if next != n+1 {
		t.Fatalf("read %d rows, want %d", next-1, n)
	}
	t.Logf("%d rows in %d pages", n, pages)
}
