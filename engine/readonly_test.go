package engine

import (
	"context"
	"errors"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/storage/objstore"
)

// A read-only session cannot write through the batch path Flight SQL uses for a prepared
// INSERT executed with many parameter rows (AppendParams) either.
func TestReadOnlyAppendParams(t *testing.T) {
	ctx := context.Background()
	e, c := open(t, objstore.NewMem(), memory.NewGoAllocator())
	run(t, c, "CREATE TABLE ro (k bigint PRIMARY KEY)")
	st, err := c.Prepare(ctx, "INSERT INTO ro VALUES ($1)", []arrow.DataType{arrow.PrimitiveTypes.Int64})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	b := array.NewInt64Builder(memory.NewGoAllocator())
	b.AppendValues([]int64{1, 2, 3}, nil)
	col := b.NewArray()
	defer col.Release()
	batch := array.NewRecordBatch(arrow.NewSchema([]arrow.Field{{Name: "$1", Type: arrow.PrimitiveTypes.Int64}}, nil), []arrow.Array{col}, 3)
	defer batch.Release()

	run(t, c, "SET default_transaction_read_only = on")
	n, ok, err := e.AppendParams(ctx, st, []arrow.RecordBatch{batch})
	if !ok || !errors.Is(err, errs.ReadOnlyTransaction) || n != 0 {
		t.Fatalf("AppendParams in a read-only session: %d, %v, %v; want 25006", n, ok, err)
	}
	run(t, c, "SET default_transaction_read_only = off")
	if n, ok, err := e.AppendParams(ctx, st, []arrow.RecordBatch{batch}); !ok || err != nil || n != 3 {
		t.Fatalf("AppendParams: %d, %v, %v; want 3 rows", n, ok, err)
	}
	expect(t, c, "SELECT count(*) FROM ro", "3")
}
