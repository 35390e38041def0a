package flightsql

import (
	"context"
	"slices"
	"testing"

	"github.com/apache/arrow-adbc/go/adbc"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// count returns the single integer a query of the client (or of tx, when not nil) returns.
func count(ctx context.Context, t *testing.T, cl *flightsql.Client, tx *flightsql.Txn, mem memory.Allocator, q string) string {
	t.Helper()
	info, err := cl.Execute(ctx, q)
	if tx != nil {
		info, err = tx.Execute(ctx, q)
	}
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	bs, err := readInfo(ctx, cl, mem, info)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer releaseAll(bs)
	rows := rowsOf(bs)
	if len(rows) != 1 || len(rows[0]) != 1 {
		t.Fatalf("%s: rows %v", q, rows)
	}
	return rows[0][0]
}

// Flight SQL transactions (BeginTransaction / EndTransaction): a transaction's statements
// see its writes, nobody else does until the commit, a rollback discards them; prepared
// statements run in the transaction too; the second committer of a row gets Aborted.
func TestTransactions(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx := testCtx(t)
	func() {
		srv := serve(t, Config{Engine: openEngine(t, mem), Alloc: mem})
		cl := client(t, srv)
		if _, err := cl.ExecuteUpdate(ctx, "CREATE TABLE kv (k bigint PRIMARY KEY, v bigint)"); err != nil {
			t.Fatal(err)
		}
		if _, err := cl.ExecuteUpdate(ctx, "INSERT INTO kv VALUES (1, 0)"); err != nil {
			t.Fatal(err)
		}
		tx, err := cl.BeginTransaction(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n, err := tx.ExecuteUpdate(ctx, "INSERT INTO kv VALUES (2, 0), (3, 0)"); err != nil || n != 2 {
			t.Fatalf("insert in a transaction: %d, %v", n, err)
		}
		prep, err := tx.Prepare(ctx, "UPDATE kv SET v = v + 1 WHERE k = 1")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := prep.ExecuteUpdate(ctx); err != nil {
			t.Fatal(err)
		}
		if got := count(ctx, t, cl, tx, mem, "SELECT count(*) FROM kv"); got != "3" {
			t.Fatalf("own writes: %s rows", got)
		}
		if got := count(ctx, t, cl, nil, mem, "SELECT count(*) FROM kv"); got != "1" {
			t.Fatalf("dirty read: %s rows", got)
		}
		if err := tx.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		prep.Close(ctx)
		if got := count(ctx, t, cl, nil, mem, "SELECT sum(v) + count(*) FROM kv"); got != "4" {
			t.Fatalf("after commit: %s", got)
		}

		tx, err = cl.BeginTransaction(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.ExecuteUpdate(ctx, "DELETE FROM kv WHERE k > 1"); err != nil {
			t.Fatal(err)
		}
		if err := tx.Rollback(ctx); err != nil {
			t.Fatal(err)
		}
		if got := count(ctx, t, cl, nil, mem, "SELECT count(*) FROM kv"); got != "3" {
			t.Fatalf("after rollback: %s rows", got)
		}

		a, err := cl.BeginTransaction(ctx)
		if err != nil {
			t.Fatal(err)
		}
		b, err := cl.BeginTransaction(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, tx := range []*flightsql.Txn{a, b} {
			if _, err := tx.ExecuteUpdate(ctx, "UPDATE kv SET v = v + 10 WHERE k = 2"); err != nil {
				t.Fatal(err)
			}
		}
		if err := a.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		if err := b.Commit(ctx); status.Code(err) != codes.Aborted {
			t.Fatalf("second commit of the same row: %v", err)
		}
		if got := count(ctx, t, cl, nil, mem, "SELECT v FROM kv WHERE k = 2"); got != "10" {
			t.Fatalf("v = %s after the conflict", got)
		}
	}()
}

// ADBC with autocommit off runs its statements in Flight SQL transactions: Commit keeps
// them, Rollback discards them.
func TestADBCAutocommitOff(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx := testCtx(t)
	func() {
		srv := serve(t, Config{Engine: openEngine(t, mem), Alloc: mem})
		cl := client(t, srv)
		if _, err := cl.ExecuteUpdate(ctx, "CREATE TABLE t (x bigint)"); err != nil {
			t.Fatal(err)
		}
		cnx := adbcConn(t, srv, mem, nil)
		if err := cnx.(*closeBoth).Connection.(adbc.PostInitOptions).SetOption(adbc.OptionKeyAutoCommit, adbc.OptionValueDisabled); err != nil {
			t.Fatal(err)
		}
		exec := func(q string) {
			t.Helper()
			st, err := cnx.NewStatement()
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			if err := st.SetSqlQuery(q); err != nil {
				t.Fatal(err)
			}
			if _, err := st.ExecuteUpdate(ctx); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		exec("INSERT INTO t VALUES (1)")
		if got := count(ctx, t, cl, nil, mem, "SELECT count(*) FROM t"); got != "0" {
			t.Fatalf("before commit: %s rows", got)
		}
		if err := cnx.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		exec("INSERT INTO t VALUES (2)")
		if err := cnx.Rollback(ctx); err != nil {
			t.Fatal(err)
		}
		bs := fetch(ctx, t, cl, mem, "SELECT x FROM t ORDER BY x")
		got := rowsOf(bs)
		releaseAll(bs)
		if want := [][]string{{"1"}}; !slices.EqualFunc(got, want, slices.Equal) {
			t.Fatalf("rows %v, want %v", got, want)
		}
	}()
}
