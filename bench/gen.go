// Package bench compares sleeperd with DuckDB on Sleeper's system-test schema and workloads
// (ingest, compaction, point lookups, range scans, full-scan aggregates, concurrent lookups)
// over the same generated data in the same run, and measures state-store commits.
package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/storage/parquet"
)

// Schema is Sleeper's system-test schema: key is the row key, sort the sort key, value2 is
// nullable.
var Schema = arrow.NewSchema([]arrow.Field{
	{Name: "key", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "sort", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "value", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "value2", Type: arrow.BinaryTypes.String, Nullable: true},
}, nil)

// genBatchRows is how many rows Generate builds into one batch.
const genBatchRows = 64 << 10

const hexDigits = "0123456789abcdef"

// Generate writes rows rows of Schema, in random (unsorted) order, to one Parquet file at path
// with sleeperd's writer. The same rows and seed always give the same rows. It returns the
// keys in file order; keys are 12 random lower-case hex characters and may repeat.
func Generate(ctx context.Context, path string, rows int, seed uint64, mem memory.Allocator) ([]string, error) {
	if rows <= 0 {
		return nil, fmt.Errorf("bench: generate %d rows, want > 0", rows)
	}
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("bench: create input: %w", err)
	}
	defer f.Close()
	w, err := parquet.NewWriter(f, Schema, parquet.DefaultProperties())
	if err != nil {
		return nil, fmt.Errorf("bench: input writer: %w", err)
	}
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	keys := make([]string, 0, rows)
	b := array.NewRecordBuilder(mem, Schema)
	defer b.Release()
	kb := b.Field(0).(*array.StringBuilder)
	sb := b.Field(1).(*array.Int64Builder)
	vb := b.Field(2).(*array.StringBuilder)
	v2b := b.Field(3).(*array.StringBuilder)
	var kbuf [12]byte
	for done := 0; done < rows; {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		n := min(genBatchRows, rows-done)
		for range n {
			for i := range kbuf {
				kbuf[i] = hexDigits[rng.IntN(16)]
			}
			k := string(kbuf[:])
			keys = append(keys, k)
			kb.Append(k)
			sb.Append(rng.Int64N(1_000_000_000))
			vb.Append(fmt.Sprintf("value-%d-%x", rng.IntN(1000), rng.Uint64()>>uint(rng.IntN(48))))
			if rng.IntN(10) == 0 {
				v2b.AppendNull()
			} else {
				v2b.Append(fmt.Sprintf("v2-%d", rng.IntN(100_000)))
			}
		}
		rec := b.NewRecordBatch()
		err := w.Write(rec)
		rec.Release()
		if err != nil {
			return nil, fmt.Errorf("bench: write input: %w", err)
		}
		done += n
	}
	if _, err := w.Close(); err != nil {
		return nil, fmt.Errorf("bench: close input: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("bench: close input: %w", err)
	}
	return keys, nil
}
