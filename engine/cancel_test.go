package engine

import (
	"context"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/storage/objstore"
)

// TestCancelReleases cancels a long streaming query after its first batch and checks that
// closing its result frees every buffer the operators allocated while streaming.
func TestCancelReleases(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	_, c := open(t, objstore.NewMem(), mem)
	run(t, c, "CREATE TABLE g (x bigint PRIMARY KEY)")
	run(t, c, "INSERT INTO g SELECT i FROM generate_series(1, 20000) AS s(i)")
	for _, q := range []string{
		"SELECT a.x, b.x FROM g a CROSS JOIN g b",
		"SELECT a.x, b.x FROM g a JOIN g b ON a.x % 7 = b.x % 7",
		"SELECT x FROM g ORDER BY x DESC",
	} {
		base := mem.CurrentAlloc()
		ctx, cancel := context.WithCancel(context.Background())
		st, err := c.Prepare(ctx, q, nil)
		if err != nil {
			t.Fatal(err)
		}
		res, err := st.Execute(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		b, err := res.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		b.Release()
		cancel()
		for {
			b, err := res.Next(ctx)
			if err != nil {
				break
			}
			b.Release()
		}
		res.Close()
		st.Close()
		if got := mem.CurrentAlloc(); got != base {
			t.Errorf("%s: %d bytes still allocated after close, want %d", q, got, base)
		}
	}
}
