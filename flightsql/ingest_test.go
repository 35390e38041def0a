package flightsql

import (
	"strconv"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// One bulk ingest is one commit, whatever its size and IngestChunkRows; an ingest whose batch
// fails part way commits nothing.
func TestIngestOneCommit(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx := testCtx(t)
	sc := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "name", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	// batches are 8 batches of 1000 rows; the row with id nullAt, if >= 0, is NULL.
	batches := func(nullAt int) []arrow.RecordBatch {
		var out []arrow.RecordBatch
		for start := 0; start < 8000; start += 1000 {
			bld := array.NewRecordBuilder(mem, sc)
			for i := start; i < start+1000; i++ {
				if i == nullAt {
					bld.Field(0).AppendNull()
				} else {
					bld.Field(0).(*array.Int64Builder).Append(int64(i))
				}
				bld.Field(1).(*array.StringBuilder).Append("n")
			}
			out = append(out, bld.NewRecordBatch())
			bld.Release()
		}
		return out
	}
	appendOpts := &flightsql.TableDefinitionOptions{
		IfNotExist: flightsql.TableDefinitionOptionsTableNotExistOptionFail,
		IfExists:   flightsql.TableDefinitionOptionsTableExistsOptionAppend,
	}
	func() {
		srv := serve(t, Config{Engine: openEngine(t, mem), Alloc: mem, IngestChunkRows: 1500})
		cl := client(t, srv)
		if _, err := cl.ExecuteUpdate(ctx, "CREATE TABLE ing (id bigint NOT NULL, name text) WITH (row_keys = 'id')"); err != nil {
			t.Fatal(err)
		}
		query := func(sql string) string {
			t.Helper()
			got := fetch(ctx, t, cl, mem, sql)
			defer releaseAll(got)
			return rowsOf(got)[0][0]
		}
		txns := func() int {
			t.Helper()
			n, err := strconv.Atoi(query("SELECT count(*) FROM sleeper.transactions WHERE table_name = 'ing'"))
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		ingest := func(src []arrow.RecordBatch) (int64, error) {
			defer releaseAll(src)
			rdr, err := array.NewRecordReader(sc, src)
			if err != nil {
				t.Fatal(err)
			}
			defer rdr.Release()
			return cl.ExecuteIngest(ctx, rdr, &flightsqlIngestOpts{TableDefinitionOptions: appendOpts, Table: "ing"})
		}
		before := txns()
		if n, err := ingest(batches(-1)); err != nil || n != 8000 {
			t.Fatalf("ingest: %d, %v", n, err)
		}
		after := txns()
		if after != before+1 {
			t.Errorf("ingest of 8 batches committed %d transactions, want 1", after-before)
		}
		// The sixth batch holds a NULL id: the five before it were streamed, and are dropped.
		if _, err := ingest(batches(5500)); err == nil {
			t.Error("ingest of a NULL id into a NOT NULL column succeeded")
		}
		if got := txns(); got != after {
			t.Errorf("failed ingest committed %d transactions", got-after)
		}
		if got := query("SELECT count(*) FROM ing"); got != "8000" {
			t.Errorf("%s rows, want 8000", got)
		}
	}()
}
