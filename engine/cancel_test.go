package engine

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/errs"
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

// TestStatementTimeoutStopsSeries: statement_timeout stops a statement while its
// generate_series is still being built (at planning, before any operator runs), with 57014.
func TestStatementTimeoutStopsSeries(t *testing.T) {
	_, c := open(t, objstore.NewMem(), memory.NewGoAllocator())
	run(t, c, "SET statement_timeout = '50ms'")
	for _, q := range []string{
		"SELECT count(*) FROM generate_series(1, 99000000)",
		"SELECT count(*) FROM generate_series(timestamp '2000-01-01', timestamp '2100-01-01', interval '1 second')",
	} {
		start := time.Now()
		_, _, err := tryRun(c, q)
		if !errors.Is(err, errs.Cancelled) || !strings.Contains(err.Error(), "statement timeout") {
			t.Errorf("%s: got %v, want 57014 canceling statement due to statement timeout", q, err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("%s: stopped after %v, want about 50ms", q, d)
		}
	}
}

// TestNextCallerCancels cancels, with a cause, the context of a result's Next while the
// statement streams: the context the statement was executed under (which its own descends
// from) and another one given to Next only. The next Next fails with that cause either way,
// and closing the result frees every buffer.
func TestNextCallerCancels(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	_, c := open(t, objstore.NewMem(), mem)
	run(t, c, "CREATE TABLE g (x bigint PRIMARY KEY)")
	run(t, c, "INSERT INTO g SELECT i FROM generate_series(1, 5000) AS s(i)")
	const q = "SELECT a.x, b.x FROM g a CROSS JOIN g b"
	for _, sameAsExecute := range []bool{true, false} {
		base := mem.CurrentAlloc()
		execCtx, cancelExec := context.WithCancelCause(context.Background())
		nextCtx, cancelNext := execCtx, cancelExec
		if !sameAsExecute {
			nextCtx, cancelNext = context.WithCancelCause(context.Background())
		}
		st, err := c.Prepare(execCtx, q, nil)
		if err != nil {
			t.Fatal(err)
		}
		res, err := st.Execute(execCtx, nil)
		if err != nil {
			t.Fatal(err)
		}
		b, err := res.Next(nextCtx)
		if err != nil {
			t.Fatal(err)
		}
		b.Release()
		cause := errors.New("the caller gave up")
		cancelNext(cause)
		for i := 0; ; i++ {
			b, err := res.Next(nextCtx)
			if err != nil {
				if !errors.Is(err, cause) {
					t.Errorf("Next under the context of Execute %v: %v after cancelling, want %v", sameAsExecute, err, cause)
				}
				break
			}
			b.Release()
			if i > 1000 {
				t.Fatalf("Next under the context of Execute %v: still streaming after cancelling", sameAsExecute)
			}
		}
		res.Close()
		st.Close()
		cancelExec(nil)
		if got := mem.CurrentAlloc(); got != base {
			t.Errorf("%d bytes still allocated after close, want %d", got, base)
		}
	}
}
