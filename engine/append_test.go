package engine

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/storage/objstore"
)

// OpenAppend streams batches into one commit; Abort, or a batch that fails, commits nothing.
func TestAppender(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	e, c := open(t, objstore.NewMem(), mem)
	defer e.Close()
	ctx := context.Background()
	// The table's k is int: the appender casts the batches' bigint.
	run(t, c, "CREATE TABLE t (k int PRIMARY KEY, s text NOT NULL)")
	src := intBatches(mem, 0, 30_000, 5_000, 10)
	defer releaseAll(src)
	base := txns(t, c, "t")

	a, err := e.OpenAppend(ctx, "t", src[0].Schema())
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range src {
		if err := a.Append(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	if rows, _ := run(t, c, "SELECT count(*) FROM t"); rows[0][0] != "0" {
		t.Errorf("rows visible before the commit: %s", rows[0][0])
	}
	if n, err := a.Commit(ctx); err != nil || n != 30_000 {
		t.Fatalf("Commit: %d, %v", n, err)
	}
	a.Abort() // harmless after Commit
	if n := txns(t, c, "t") - base; n != 1 {
		t.Errorf("%d transactions, want 1", n)
	}

	// Aborted: nothing.
	a, err = e.OpenAppend(ctx, "t", src[0].Schema())
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range src {
		if err := a.Append(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	a.Abort()

	// A batch out of int's range fails the append part way.
	big := intBatches(mem, 1<<40, 1<<40+10, 10, 1)
	defer releaseAll(big)
	a, err = e.OpenAppend(ctx, "t", src[0].Schema())
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Append(ctx, src[0]); err != nil {
		t.Fatal(err)
	}
	if err := a.Append(ctx, big[0]); !errors.Is(err, errs.NumericRange) {
		t.Errorf("Append of values out of range: %v", err)
	}
	a.Abort()

	// A batch of another schema fails.
	other := arrow.NewSchema([]arrow.Field{{Name: "k", Type: arrow.PrimitiveTypes.Int64}}, nil)
	a, err = e.OpenAppend(ctx, "t", other)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Append(ctx, src[0]); !errors.Is(err, errs.DatatypeMismatch) {
		t.Errorf("Append of another schema: %v", err)
	}
	a.Abort()

	if _, err := e.OpenAppend(ctx, "nope", other); !errors.Is(err, errs.UndefinedTable) {
		t.Errorf("OpenAppend of a missing table: %v", err)
	}
	if n := txns(t, c, "t") - base; n != 1 {
		t.Errorf("%d transactions, want 1", n)
	}
	if rows, _ := run(t, c, "SELECT count(*), sum(k) FROM t"); fmt.Sprint(rows) != "[[30000 449985000]]" {
		t.Errorf("t: %v", rows)
	}
}
