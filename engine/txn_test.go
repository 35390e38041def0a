package engine

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sleeperd/sleeperd/errs"
	"github.com/sleeperd/sleeperd/internal/s3test"
	"github.com/sleeperd/sleeperd/storage/objstore"
)

// connect opens another connection to e.
func connect(t *testing.T, e *Engine) Conn {
	t.Helper()
	c, err := e.Connect(context.Background(), "test", "test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// runErr runs q and returns its error, failing the test when there is none or it is not
// of kind.
func runErr(t *testing.T, c Conn, q string, kind error) error {
	t.Helper()
	_, _, err := tryRun(c, q)
	if err == nil {
		t.Fatalf("%s: no error, want %v", q, kind)
	}
	if !errors.Is(err, kind) {
		t.Fatalf("%s: %v, want %v", q, err, kind)
	}
	return err
}

func txStatus(c Conn) byte { return c.(Transactions).TxStatus() }

// A block's writes are seen by the block and by nobody else until COMMIT; ROLLBACK drops
// them, and their files.
func TestTxnVisibilityCommitRollback(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	store := objstore.NewMem()
	e, a := open(t, store, mem)
	defer e.Close()
	b := connect(t, e)
	run(t, a, "CREATE TABLE kv (k int PRIMARY KEY, v int)")
	run(t, a, "CREATE TABLE log (msg text)")
	run(t, a, "INSERT INTO kv VALUES (1, 10)")

	run(t, a, "BEGIN")
	if txStatus(a) != 'T' {
		t.Fatalf("status after BEGIN %c", txStatus(a))
	}
	run(t, a, "INSERT INTO kv VALUES (2, 20)")
	run(t, a, "UPDATE kv SET v = v + 1 WHERE k = 1")
	run(t, a, "INSERT INTO log VALUES ('one'), ('two')")
	run(t, a, "DELETE FROM log WHERE msg = 'one'")
	expect(t, a, "SELECT k, v FROM kv ORDER BY k", "1 11|2 20")
	expect(t, a, "SELECT msg FROM log", "two")
	expect(t, b, "SELECT k, v FROM kv ORDER BY k", "1 10")
	expect(t, b, "SELECT count(*) FROM log", "0")
	_, tag := run(t, a, "COMMIT")
	if tag != "COMMIT" || txStatus(a) != 'I' {
		t.Fatalf("COMMIT: tag %q, status %c", tag, txStatus(a))
	}
	expect(t, b, "SELECT k, v FROM kv ORDER BY k", "1 11|2 20")
	expect(t, b, "SELECT msg FROM log", "two")

	ctx := context.Background()
	before, err := store.List(ctx, "tables/")
	if err != nil {
		t.Fatal(err)
	}
	run(t, a, "BEGIN")
	run(t, a, "INSERT INTO kv VALUES (3, 30)")
	run(t, a, "DELETE FROM kv WHERE k = 1")
	run(t, a, "INSERT INTO log VALUES ('three')")
	expect(t, a, "SELECT k FROM kv ORDER BY k", "2|3")
	run(t, a, "ROLLBACK")
	expect(t, a, "SELECT k, v FROM kv ORDER BY k", "1 11|2 20")
	expect(t, b, "SELECT msg FROM log", "two")
	after, err := store.List(ctx, "tables/")
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != len(before) {
		t.Errorf("ROLLBACK left objects behind: %d before, %d after", len(before), len(after))
	}
}

// A connection that ends inside a block rolls it back.
func TestTxnDroppedConnection(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	store := objstore.NewMem()
	e, a := open(t, store, mem)
	defer e.Close()
	run(t, a, "CREATE TABLE t (x int)")
	ctx := context.Background()
	before, err := store.List(ctx, "tables/")
	if err != nil {
		t.Fatal(err)
	}
	c := connect(t, e)
	run(t, c, "BEGIN")
	run(t, c, "INSERT INTO t VALUES (1), (2)")
	if during, _ := store.List(ctx, "tables/"); len(during) <= len(before) {
		t.Fatalf("the block wrote no file: %d objects", len(during))
	}
	c.Close()
	expect(t, a, "SELECT count(*) FROM t", "0")
	// Its files are deleted with it.
	if after, _ := store.List(ctx, "tables/"); len(after) != len(before) {
		t.Errorf("a closed connection's block left objects: %d before, %d after", len(before), len(after))
	}
}

// After an error a block refuses everything but its end (25P02); COMMIT then rolls back.
// ROLLBACK TO SAVEPOINT drops the work after the savepoint and lets the block go on.
func TestTxnErrorsAndSavepoints(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	e, c := open(t, objstore.NewMem(), mem)
	defer e.Close()
	run(t, c, "CREATE TABLE t (x int)")
	run(t, c, "BEGIN")
	run(t, c, "INSERT INTO t VALUES (1)")
	runErr(t, c, "SELECT 1/0", errs.DivisionByZero)
	if txStatus(c) != 'E' {
		t.Fatalf("status after an error %c", txStatus(c))
	}
	err := runErr(t, c, "SELECT 1", errs.InFailedTransaction)
	if !strings.Contains(err.Error(), "current transaction is aborted, commands ignored until end of transaction block") {
		t.Errorf("25P02 message: %v", err)
	}
	if _, tag := run(t, c, "COMMIT"); tag != "ROLLBACK" {
		t.Errorf("COMMIT of a failed block: tag %q", tag)
	}
	expect(t, c, "SELECT count(*) FROM t", "0")

	run(t, c, "BEGIN")
	run(t, c, "INSERT INTO t VALUES (1)")
	run(t, c, "SAVEPOINT a")
	run(t, c, "INSERT INTO t VALUES (2)")
	run(t, c, "SAVEPOINT b")
	run(t, c, "INSERT INTO t VALUES (3)")
	expect(t, c, "SELECT x FROM t ORDER BY x", "1|2|3")
	run(t, c, "ROLLBACK TO SAVEPOINT b")
	expect(t, c, "SELECT x FROM t ORDER BY x", "1|2")
	run(t, c, "INSERT INTO t VALUES (4)")
	runErr(t, c, "SELECT * FROM nosuch", errs.UndefinedTable)
	run(t, c, "ROLLBACK TO a")
	if txStatus(c) != 'T' {
		t.Fatalf("status after ROLLBACK TO %c", txStatus(c))
	}
	expect(t, c, "SELECT x FROM t ORDER BY x", "1")
	runErr(t, c, "ROLLBACK TO b", errs.InvalidSavepoint) // released by the rollback to a
	run(t, c, "ROLLBACK TO a")
	run(t, c, "RELEASE a")
	runErr(t, c, "RELEASE a", errs.InvalidSavepoint)
	run(t, c, "ROLLBACK")
	run(t, c, "BEGIN")
	run(t, c, "INSERT INTO t VALUES (5)")
	run(t, c, "SAVEPOINT s")
	run(t, c, "INSERT INTO t VALUES (6)")
	run(t, c, "RELEASE SAVEPOINT s")
	run(t, c, "COMMIT")
	expect(t, c, "SELECT x FROM t ORDER BY x", "5|6")
	runErr(t, c, "SAVEPOINT x", errs.NoActiveTransaction)
}

// DDL in a block is refused, and fails the block; read-only blocks refuse writes.
func TestTxnDDLAndReadOnly(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	e, c := open(t, objstore.NewMem(), mem)
	defer e.Close()
	run(t, c, "CREATE TABLE t (x int)")
	run(t, c, "BEGIN")
	err := runErr(t, c, "CREATE TABLE u (x int)", errs.ActiveTransaction)
	if !strings.Contains(err.Error(), "CREATE TABLE cannot run inside a transaction block") {
		t.Errorf("DDL in a block: %v", err)
	}
	run(t, c, "ROLLBACK")
	runErr(t, c, "SELECT * FROM u", errs.UndefinedTable)

	run(t, c, "BEGIN READ ONLY")
	expect(t, c, "SELECT count(*) FROM t", "0")
	runErr(t, c, "INSERT INTO t VALUES (1)", errs.ReadOnlyTransaction)
	run(t, c, "ROLLBACK")
	run(t, c, "BEGIN")
	run(t, c, "SET TRANSACTION READ ONLY")
	runErr(t, c, "DELETE FROM t", errs.ReadOnlyTransaction)
	run(t, c, "ROLLBACK")
	run(t, c, "SET default_transaction_read_only = on")
	runErr(t, c, "INSERT INTO t VALUES (1)", errs.ReadOnlyTransaction)
	run(t, c, "BEGIN")
	runErr(t, c, "INSERT INTO t VALUES (1)", errs.ReadOnlyTransaction)
	run(t, c, "ROLLBACK")
	run(t, c, "SET default_transaction_read_only = off")
	run(t, c, "BEGIN ISOLATION LEVEL REPEATABLE READ")
	expect(t, c, "SELECT count(*) FROM t", "0")
	runErr(t, c, "SET TRANSACTION ISOLATION LEVEL READ COMMITTED", errs.ActiveTransaction)
	run(t, c, "ROLLBACK")
}

// The same keys written twice in a block, and a DELETE of rows the block inserted, commit
// in the block's order.
func TestTxnOrderWithinBlock(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	e, c := open(t, objstore.NewMem(), mem)
	defer e.Close()
	run(t, c, "CREATE TABLE kv (k int PRIMARY KEY, v int)")
	run(t, c, "CREATE TABLE t (x int)")
	run(t, c, "INSERT INTO kv VALUES (1, 1), (2, 2), (3, 3)")
	run(t, c, "INSERT INTO t VALUES (1), (2)")
	run(t, c, "BEGIN")
	run(t, c, "INSERT INTO kv VALUES (4, 4)")
	run(t, c, "UPDATE kv SET v = v * 10 WHERE k >= 2")
	run(t, c, "DELETE FROM kv WHERE k = 3")
	run(t, c, "UPDATE kv SET v = v + 1 WHERE k >= 2")
	run(t, c, "INSERT INTO t VALUES (3), (4)")
	run(t, c, "DELETE FROM t WHERE x IN (2, 3)")
	run(t, c, "INSERT INTO t VALUES (3)")
	expect(t, c, "SELECT k, v FROM kv ORDER BY k", "1 1|2 21|4 41")
	expect(t, c, "SELECT x FROM t ORDER BY x", "1|3|4")
	run(t, c, "COMMIT")
	expect(t, c, "SELECT k, v FROM kv ORDER BY k", "1 1|2 21|4 41")
	expect(t, c, "SELECT x FROM t ORDER BY x", "1|3|4")
}

// COPY FROM STDIN inside a block is part of the block: seen by it, dropped by ROLLBACK,
// kept by COMMIT.
func TestTxnCopyIn(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	e, c := open(t, objstore.NewMem(), mem)
	defer e.Close()
	other := connect(t, e)
	ctx := context.Background()
	run(t, c, "CREATE TABLE t (k bigint PRIMARY KEY, s text)")
	src := intBatches(mem, 0, 300, 100, 5)
	defer releaseAll(src)
	for _, end := range []string{"ROLLBACK", "COMMIT"} {
		run(t, c, "BEGIN")
		ci := copyIn(t, c, "COPY t FROM STDIN")
		for _, b := range src {
			if err := ci.CopyBatch(ctx, b); err != nil {
				t.Fatal(err)
			}
		}
		if err := ci.CopyCommit(ctx); err != nil {
			t.Fatal(err)
		}
		ci.Close()
		expect(t, c, "SELECT count(*) FROM t", "300")
		expect(t, other, "SELECT count(*) FROM t", "0")
		run(t, c, end)
	}
	expect(t, other, "SELECT count(*) FROM t", "300")
}

// The command tags of the transaction statements are PostgreSQL's.
func TestTxnTags(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	e, c := open(t, objstore.NewMem(), mem)
	defer e.Close()
	for _, tc := range []struct{ q, tag string }{
		{"START TRANSACTION", "START TRANSACTION"}, {"SAVEPOINT s", "SAVEPOINT"}, {"RELEASE s", "RELEASE"},
		{"SAVEPOINT s", "SAVEPOINT"}, {"ROLLBACK TO s", "ROLLBACK"}, {"END", "COMMIT"},
		{"BEGIN", "BEGIN"}, {"ABORT", "ROLLBACK"},
	} {
		if _, tag := run(t, c, tc.q); tag != tc.tag {
			t.Errorf("%s: tag %q, want %q", tc.q, tag, tc.tag)
		}
	}
}

// TestRequestsPerTransaction measures the S3 requests of transaction blocks on a node whose
// caches are warm, against the same rows written by statements on their own.
func TestRequestsPerTransaction(t *testing.T) {
	endpoint := s3test.FakeS3(t)
	bucket := s3test.NewBucket(t, endpoint)
	ctr := &requestCounter{count: map[string]int{}}
	o := objstore.S3Options{Bucket: bucket, Prefix: "db", Endpoint: endpoint, PathStyle: true,
		Region: s3test.Region, Credentials: s3test.Credentials(), HTTPClient: &http.Client{Transport: ctr}}
	s, err := objstore.NewS3(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	_, c := open(t, s, memory.NewGoAllocator())
	run(t, c, "CREATE TABLE t (k bigint PRIMARY KEY, v text)")
	run(t, c, "CREATE TABLE u (k bigint PRIMARY KEY, v text)")
	for i := 0; i < 2; i++ {
		run(t, c, fmt.Sprintf("INSERT INTO t VALUES (%d, 'w')", i))
		run(t, c, fmt.Sprintf("INSERT INTO u VALUES (%d, 'w')", i))
	}
	ctr.take()
	const n = 10
	measure := func(what string, stmts func(i int) []string) {
		t.Helper()
		for i := 0; i < n; i++ {
			for _, q := range stmts(100 + 10*i) {
				run(t, c, q)
			}
		}
		got := ctr.take()
		t.Logf("%s: %.1f requests each (%s over %d)", what, float64(total(got))/n, formatCounts(got), n)
	}
	measure("two one-row INSERTs, one table each, outside a block", func(k int) []string {
		return []string{fmt.Sprintf("INSERT INTO t VALUES (%d, 'a')", k), fmt.Sprintf("INSERT INTO u VALUES (%d, 'a')", k)}
	})
	measure("BEGIN; two one-row INSERTs into one table; COMMIT", func(k int) []string {
		return []string{"BEGIN", fmt.Sprintf("INSERT INTO t VALUES (%d, 'b')", k+1), fmt.Sprintf("INSERT INTO t VALUES (%d, 'b')", k+2), "COMMIT"}
	})
	measure("BEGIN; one-row INSERTs into two tables; COMMIT", func(k int) []string {
		return []string{"BEGIN", fmt.Sprintf("INSERT INTO t VALUES (%d, 'c')", k+3), fmt.Sprintf("INSERT INTO u VALUES (%d, 'c')", k+3), "COMMIT"}
	})
	expect(t, c, "SELECT (SELECT count(*) FROM t), (SELECT count(*) FROM u)", fmt.Sprintf("%d %d", 2+4*n, 2+2*n))
}
