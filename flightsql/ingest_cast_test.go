package flightsql

import (
	"errors"
	"fmt"
	"testing"

	"github.com/apache/arrow-adbc/go/adbc"
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/sleeperd/sleeperd/internal/arrowgen"
)

// TestIngestEveryTypeIntoEveryColumnType appends, through ADBC's bulk ingest, a column of
// every Arrow type (flat, in lists, large and fixed-size lists, structs and maps, the batch
// sliced to start at an offset) to tables whose column is of each SQL type a client's
// data is cast to (flat, array, record). Every ingest succeeds or fails with an error a
// client can act on (not an internal one), and the server keeps serving: the table still
// counts the rows of the ingests that succeeded.
func TestIngestEveryTypeIntoEveryColumnType(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx := testCtx(t)
	srv := serve(t, Config{Engine: openEngine(t, mem), Alloc: mem})
	cnx := adbcConn(t, srv, mem, nil)
	targets := []string{"boolean", "smallint", "integer", "bigint", "real", "double precision", "numeric",
		"numeric(10,2)", "text", "varchar", "bytea", "date", "timestamp", "timestamptz", "interval",
		"time", "uuid", "jsonb"}
	var cols []string
	for _, tt := range targets {
		cols = append(cols, tt)
		if tt != "interval" {
			cols = append(cols, tt+"[]")
		}
	}
	if err := adbcExec(ctx, cnx, "CREATE TYPE one AS (a bigint)"); err != nil {
		t.Fatal(err)
	}
	cols = append(cols, "varchar(3)", "one", "one[]")
	var sources []arrow.DataType
	for _, leaf := range arrowgen.Leaves() {
		for k := range arrowgen.Nestings {
			sources = append(sources, arrowgen.Nest(leaf, k))
		}
	}
	for i, col := range cols {
		table := fmt.Sprintf("t%d", i)
		if err := adbcExec(ctx, cnx, fmt.Sprintf("CREATE TABLE %s (c %s)", table, col)); err != nil {
			t.Fatalf("%s: %v", col, err)
		}
		var rows int64
		for _, src := range sources {
			name := fmt.Sprintf("%s into %s", src, col)
			whole := arrowgen.Array(mem, src, 11)
			a := array.NewSlice(whole, 2, 11)
			whole.Release()
			b := array.NewRecordBatch(arrow.NewSchema([]arrow.Field{{Name: "c", Type: src, Nullable: true}}, nil), []arrow.Array{a}, int64(a.Len()))
			a.Release()
			n, err := adbcIngest(ctx, cnx, table, adbc.OptionValueIngestModeAppend, b)
			b.Release()
			if err != nil {
				var ae adbc.Error
				code := status.Code(err)
				if errors.As(err, &ae) {
					code = codes.Code(ae.VendorCode)
					if ae.Code == adbc.StatusInternal || ae.Code == adbc.StatusUnknown {
						code = codes.Internal
					}
				}
				if code == codes.Internal || code == codes.Unknown {
					t.Errorf("%s: %v", name, err)
				}
				continue
			}
			rows += n
		}
		got := adbcQuery(ctx, t, cnx, "SELECT count(*) FROM "+table)
		if r := rowsOf(got); len(r) != 1 || r[0][0] != fmt.Sprint(rows) {
			t.Errorf("%s: count %v, want %d", col, r, rows)
		}
		releaseAll(got)
	}
}
