package ingest

import (
	"context"
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/storage/objstore"
)

// Batches sliced from larger ones keep their NULL counts unknown until asked; the files of a
// write, gathered at once from the same batches, must not each settle them (a data race the
// race detector finds), and every row must be written.
func TestWriteSlicedInputs(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx := context.Background()
	for round := range 20 {
		store := objstore.NewMem()
		ss, spec := setup(t, store, 100, 200, 300, 400, 500, 600, 700)
		spec.Alloc = mem
		var rows []row
		for i := range 1000 {
			rows = append(rows, row{k: int64((i * 37) % 800), s: float64(i % 3), sNull: i%5 == 0, v: fmt.Sprintf("r%d-%d", round, i)})
		}
		whole := makeBatch(mem, rows)
		sliced := []arrow.RecordBatch{whole.NewSlice(0, 600), whole.NewSlice(600, 1000)}
		whole.Release()
		n, err := Write(ctx, store, ss, spec, sliced)
		for _, b := range sliced {
			b.Release()
		}
		if err != nil {
			t.Fatal(err)
		}
		if n != int64(len(rows)) {
			t.Fatalf("round %d: wrote %d rows, want %d", round, n, len(rows))
		}
		st, err := ss.Snapshot(ctx, "t1")
		if err != nil {
			t.Fatal(err)
		}
		got, nulls := 0, 0
		for _, f := range st.Files() {
			for _, r := range readFile(t, mem, store, f.Name) {
				got++
				if r.sNull {
					nulls++
				}
			}
		}
		if got != len(rows) || nulls != 200 {
			t.Fatalf("round %d: read %d rows with %d NULL sort keys, want %d and 200", round, got, nulls, len(rows))
		}
	}
}
