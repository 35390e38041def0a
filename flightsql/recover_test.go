package flightsql

import (
	"bytes"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// syncBuffer is a log destination safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// A panic in a unary handler (GetFlightInfo), a streaming one (DoPut) and a query's producing
// goroutine fails that call with Internal, logs the stack, and the server goes on serving.
func TestHandlerPanicIsInternal(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx := testCtx(t)
	var logs syncBuffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	srv := serve(t, Config{Engine: openEngine(t, mem), Alloc: mem, Logger: log})
	cl := client(t, srv)
	if _, err := cl.ExecuteUpdate(ctx, "CREATE TABLE t (k bigint) WITH (row_keys = 'k')"); err != nil {
		t.Fatal(err)
	}
	if _, err := cl.ExecuteUpdate(ctx, "INSERT INTO t VALUES (1), (2)"); err != nil {
		t.Fatal(err)
	}
	var armed sync.Map // site -> armed
	hook := func(site string) {
		if _, ok := armed.LoadAndDelete(site); ok {
			panic("injected at " + site)
		}
	}
	testPanic.Store(&hook)
	defer testPanic.Store(nil)

	check := func(site string, err error) {
		t.Helper()
		if st, _ := status.FromError(err); err == nil || st.Code() != codes.Internal || !strings.Contains(st.Message(), "injected at "+site) {
			t.Errorf("%s: got %v, want Internal with the panic", site, err)
		}
		if !strings.Contains(logs.String(), "injected at "+site) || !strings.Contains(logs.String(), "goroutine") {
			t.Errorf("%s: panic and stack not logged:\n%s", site, logs.String())
		}
		bs := fetch(ctx, t, cl, mem, "SELECT k FROM t ORDER BY k")
		got := rowsOf(bs)
		releaseAll(bs)
		if want := [][]string{{"1"}, {"2"}}; !slices.EqualFunc(got, want, slices.Equal) {
			t.Fatalf("after a panic at %s: rows %v, want %v", site, got, want)
		}
	}

	armed.Store("GetFlightInfoStatement", true)
	_, err := cl.Execute(ctx, "SELECT k FROM t")
	check("GetFlightInfoStatement", err)

	armed.Store("DoPutCommandStatementUpdate", true)
	_, err = cl.ExecuteUpdate(ctx, "INSERT INTO t VALUES (3)")
	check("DoPutCommandStatementUpdate", err)

	armed.Store("stream", true)
	bs, err := tryFetch(ctx, cl, mem, "SELECT k FROM t")
	releaseAll(bs)
	check("stream", err)
}
