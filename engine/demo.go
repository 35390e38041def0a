package engine

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/sleeperd/sleeperd/catalog"
	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/storage/ingest"
	"github.com/sleeperd/sleeperd/types"
)

// DemoTable is the name of the table EnsureDemo creates.
const DemoTable = "demo"

// EnsureDemo creates the table demo, unless a table of that name exists, with rows generated
// rows of Sleeper's system-test schema (string row key, long sort key, string value, nullable
// string value) in four partitions split at the hex key prefixes 4, 8 and c. The data is the
// same for the same row count.
func (e *Engine) EnsureDemo(ctx context.Context, rows int) error {
	if _, err := e.cat.Table(ctx, DemoTable); err == nil {
		return nil
	} else if !errors.Is(err, errs.UndefinedTable) {
		return err
	}
	t, err := e.cat.Create(ctx, catalog.TableDef{
		Name: DemoTable,
		Columns: []catalog.Column{
			{Name: "key", Type: types.Text},
			{Name: "sort", Type: types.Int64, Nullable: true},
			{Name: "value", Type: types.Text, Nullable: true},
			{Name: "value2", Type: types.Text, Nullable: true},
		},
		RowKeys:     []string{"key"},
		SortKeys:    []string{"sort"},
		SplitPoints: []string{"4", "8", "c"},
	}, nil)
	if err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(42, uint64(rows)))
	const chunk = 250_000
	for done := 0; done < rows; done += chunk {
		n := min(chunk, rows-done)
		b := demoBatch(e, t.Schema(), rng, n)
		_, err := ingest.Write(ctx, e.store, e.ss, t.IngestSpec(), []arrow.RecordBatch{b})
		b.Release()
		if err != nil {
			return fmt.Errorf("writing demo rows: %w", err)
		}
	}
	e.log.Info("demo table created", "table", DemoTable, "rows", rows)
	return nil
}

func demoBatch(e *Engine, schema *arrow.Schema, rng *rand.Rand, n int) arrow.RecordBatch {
	bld := array.NewRecordBuilder(e.alloc, schema)
	defer bld.Release()
	key := bld.Field(0).(*array.StringBuilder)
	sort := bld.Field(1).(*array.Int64Builder)
	value := bld.Field(2).(*array.StringBuilder)
	value2 := bld.Field(3).(*array.StringBuilder)
	const hexdigits = "0123456789abcdef"
	var buf [12]byte
	for i := 0; i < n; i++ {
		for j := range buf {
			buf[j] = hexdigits[rng.IntN(16)]
		}
		key.Append(string(buf[:]))
		sort.Append(rng.Int64N(1_000_000_000))
		value.Append(fmt.Sprintf("value-%d", rng.IntN(100_000)))
		if rng.IntN(10) == 0 {
			value2.AppendNull()
		} else {
			value2.Append(fmt.Sprintf("v2-%d", rng.IntN(1000)))
		}
	}
	return bld.NewRecordBatch()
}
