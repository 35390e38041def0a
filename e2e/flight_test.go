package e2e

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

var flightLine = regexp.MustCompile(`msg=listening protocol=flightsql addr=(\S+)`)

// TestFlightSQL checks that the binary serves Arrow Flight SQL beside the Postgres wire
// protocol, over the same database.
func TestFlightSQL(t *testing.T) {
	needPsql(t)
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	s := start(ctx, t, t.TempDir())
	defer s.stop(ctx, t)
	var addr string
	for deadline := time.Now().Add(10 * time.Second); addr == ""; {
		if m := flightLine.FindStringSubmatch(s.logs.String()); m != nil {
			addr = strings.Trim(m[1], `"`)
		} else if time.Now().After(deadline) {
			t.Fatalf("no flightsql listen line:\n%s", s.logs)
		} else {
			time.Sleep(20 * time.Millisecond)
		}
	}
	s.psql(ctx, t, "CREATE TABLE f (k int PRIMARY KEY, v text); INSERT INTO f VALUES (1, 'one'), (2, 'two')")

	cl, err := flightsql.NewClient(addr, nil, nil, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	info, err := cl.Execute(ctx, "SELECT k, v FROM f ORDER BY k")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ep := range info.Endpoint {
		rdr, err := cl.DoGet(ctx, ep.Ticket)
		if err != nil {
			t.Fatal(err)
		}
		for rdr.Next() {
			b := rdr.RecordBatch()
			ks, vs := b.Column(0).(*array.Int32), b.Column(1).(*array.String)
			for i := 0; i < int(b.NumRows()); i++ {
				got = append(got, ks.ValueStr(i)+"="+vs.Value(i))
			}
		}
		if err := rdr.Err(); err != nil {
			t.Fatal(err)
		}
		rdr.Release()
	}
	if strings.Join(got, ",") != "1=one,2=two" {
		t.Errorf("Flight SQL read %v", got)
	}
}
