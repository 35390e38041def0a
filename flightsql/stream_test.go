package flightsql

import (
	"context"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// bigQuery returns rows*rows rows from a table of rows rows: a cross join.
const bigQuery = "SELECT a.x AS x, b.x AS y FROM g a CROSS JOIN g b"

// loadG creates table g (x bigint) with rows rows through ingest.
func loadG(ctx context.Context, t *testing.T, cl *flightsql.Client, mem memory.Allocator, rows int) {
	t.Helper()
	sc := arrow.NewSchema([]arrow.Field{{Name: "x", Type: arrow.PrimitiveTypes.Int64}}, nil)
	bld := array.NewInt64Builder(mem)
	for i := 0; i < rows; i++ {
		bld.Append(int64(i))
	}
	col := bld.NewArray()
	bld.Release()
	b := array.NewRecordBatch(sc, []arrow.Array{col}, int64(rows))
	col.Release()
	rdr, _ := array.NewRecordReader(sc, []arrow.RecordBatch{b})
	b.Release()
	defer rdr.Release()
	if _, err := cl.ExecuteIngest(ctx, rdr, &flightsql.ExecuteIngestOpts{TableDefinitionOptions: createOpts(), Table: "g"}); err != nil {
		t.Fatal(err)
	}
}

// waitIdle waits until the server produces no result, or fails the test after 30s.
func waitIdle(t *testing.T, srv *Server) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for srv.sql.producing() > 0 {
		if time.Now().After(deadline) {
			t.Fatal("result producers still running 30s after cancellation")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestStreamBoundedMemory streams 25M rows (a cross join of 5000 rows with itself, about
// 400 MB of Arrow data) and checks the server's allocator never holds more than a small
// fraction of it at once.
func TestStreamBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("streams 25M rows")
	}
	checked := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer checked.AssertSize(t, 0)
	mem := &peakAlloc{Allocator: checked}
	cmem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer cmem.AssertSize(t, 0)
	ctx := testCtx(t)
	func() {
		srv := serve(t, Config{Engine: openEngine(t, mem), Alloc: mem})
		cl := client(t, srv)
		const n = 5000
		loadG(ctx, t, cl, cmem, n)
		base := mem.cur.Load()
		mem.peak.Store(base)
		info, err := cl.Execute(ctx, bigQuery)
		if err != nil {
			t.Fatal(err)
		}
		rdr, err := cl.DoGet(ctx, info.Endpoint[0].Ticket)
		if err != nil {
			t.Fatal(err)
		}
		var rows, bytes, sum int64
		for rdr.Next() {
			b := rdr.RecordBatch()
			rows += b.NumRows()
			for _, c := range b.Columns() {
				bytes += int64(c.Len()) * 8
			}
			for _, v := range b.Column(1).(*array.Int64).Int64Values() {
				sum += v
			}
		}
		err = rdr.Err()
		rdr.Release()
		if err != nil {
			t.Fatal(err)
		}
		if rows != n*n || sum != n*(n*(n-1)/2) {
			t.Fatalf("%d rows with sum %d, want %d and %d", rows, sum, n*n, n*(n*(n-1)/2))
		}
		peak := mem.peak.Load() - base
		t.Logf("streamed %d rows (%d MB of values); server allocator peak %.1f MB above its base", rows, bytes>>20, float64(peak)/(1<<20))
		if limit := bytes / 16; peak > limit {
			t.Errorf("server allocator peaked at %d bytes, more than 1/16 of the %d-byte result", peak, bytes)
		}
	}()
}

// TestCancel cancels a long query twice, by dropping the DoGet stream and with
// CancelFlightInfo, and checks the server frees everything the query held.
func TestCancel(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx := testCtx(t)
	func() {
		srv := serve(t, Config{Engine: openEngine(t, mem), Alloc: mem})
		cl := client(t, srv)
		loadG(ctx, t, cl, mem, 20_000) // 400M rows: never finishes within the test
		base := mem.CurrentAlloc()

		for _, how := range []string{"client cancels the stream", "CancelFlightInfo"} {
			qctx, cancel := context.WithCancel(ctx)
			info, err := cl.Execute(qctx, bigQuery)
			if err != nil {
				t.Fatal(err)
			}
			rdr, err := cl.DoGet(qctx, info.Endpoint[0].Ticket)
			if err != nil {
				t.Fatal(err)
			}
			if !rdr.Next() {
				t.Fatalf("%s: no first batch: %v", how, rdr.Err())
			}
			if srv.sql.producing() != 1 {
				t.Errorf("%s: %d queries running, want 1", how, srv.sql.producing())
			}
			if how == "CancelFlightInfo" {
				res, err := cl.CancelFlightInfo(ctx, &flight.CancelFlightInfoRequest{Info: info})
				if err != nil {
					t.Fatal(err)
				}
				if res.Status != flight.CancelStatusCancelled {
					t.Errorf("cancel status %v, want cancelled", res.Status)
				}
				for rdr.Next() {
				}
				if code := status.Code(rdr.Err()); code != codes.Canceled {
					t.Errorf("stream ended with %v, want Canceled", rdr.Err())
				}
			} else {
				cancel()
			}
			rdr.Release()
			cancel()
			waitIdle(t, srv)
			if got := mem.CurrentAlloc(); got != base {
				t.Errorf("%s: %d bytes allocated after the query ended, want %d", how, got, base)
			}
		}
		if _, err := cl.CancelFlightInfo(ctx, &flight.CancelFlightInfoRequest{Info: &flight.FlightInfo{}}); err != nil {
			t.Errorf("cancelling nothing: %v", err)
		}
	}()
}
