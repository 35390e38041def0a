package engine

import (
	"context"
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/storage/objstore"
)

// copyIn executes COPY ... FROM STDIN on c and returns its result.
func copyIn(t *testing.T, c Conn, sql string) CopyIn {
	t.Helper()
	ctx := context.Background()
	st, err := c.Prepare(ctx, sql, nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := st.Execute(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	ci, ok := r.(CopyIn)
	if !ok {
		t.Fatalf("%s: result %T", sql, r)
	}
	return ci
}

// COPY FROM STDIN takes its batches one at a time and commits them once at CopyCommit;
// closed before that, it writes nothing.
func TestCopyInStreams(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	e, c := open(t, objstore.NewMem(), mem)
	defer e.Close()
	ctx := context.Background()
	run(t, c, "CREATE TABLE t (k bigint PRIMARY KEY, s text)")
	src := intBatches(mem, 0, 30_000, 10_000, 5)
	defer releaseAll(src)
	base := txns(t, c, "t")

	ci := copyIn(t, c, "COPY t FROM STDIN")
	for _, b := range src {
		if err := ci.CopyBatch(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	if err := ci.Close(); err != nil {
		t.Fatal(err)
	}
	if n := txns(t, c, "t") - base; n != 0 {
		t.Errorf("closed COPY committed %d transactions", n)
	}

	ci = copyIn(t, c, "COPY t FROM STDIN")
	for _, b := range src {
		if err := ci.CopyBatch(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	if err := ci.CopyCommit(ctx); err != nil {
		t.Fatal(err)
	}
	if tag := ci.Tag(); tag != "COPY 30000" {
		t.Errorf("tag %q", tag)
	}
	if err := ci.CopyBatch(ctx, src[0]); err == nil {
		t.Error("CopyBatch after the commit succeeded")
	}
	ci.Close()
	if n := txns(t, c, "t") - base; n != 1 {
		t.Errorf("%d transactions, want 1", n)
	}

	// An empty copy commits nothing and counts 0.
	ci = copyIn(t, c, "COPY t FROM STDIN")
	if err := ci.CopyCommit(ctx); err != nil || ci.Tag() != "COPY 0" {
		t.Errorf("empty COPY: %v, %s", err, ci.Tag())
	}
	ci.Close()
	if rows, _ := run(t, c, "SELECT count(*), sum(k) FROM t"); fmt.Sprint(rows) != "[[30000 449985000]]" {
		t.Errorf("t: %v", rows)
	}
}
