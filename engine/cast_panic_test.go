package engine_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	pqfile "github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/sleeperd/sleeperd/engine"
	"github.com/sleeperd/sleeperd/pgwire"
	"github.com/sleeperd/sleeperd/storage/objstore"
)

// TestCastPanicIsAnErrorAndTheServerServes makes every cast of imported data panic: COPY
// FROM Parquet and read_parquet, over the wire, answer XX000, the connection and the
// server keep serving, and once casts work again the same import succeeds.
func TestCastPanicIsAnErrorAndTheServerServes(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	// Parquet files of an int column: COPY casts it to the table's bigint, read_parquet to
	// the bigint of the first file of the directory.
	dir := t.TempDir()
	file := filepath.Join(dir, "b.parquet")
	writeInts(t, filepath.Join(dir, "a.parquet"), array.NewInt64Builder(memory.NewGoAllocator()), func(b *array.Int64Builder) {
		b.Append(10)
	})
	writeInts(t, file, array.NewInt32Builder(memory.NewGoAllocator()), func(b *array.Int32Builder) {
		b.AppendValues([]int32{1, 2, 3}, []bool{true, false, true})
	})

	eng, err := engine.Open(ctx, engine.Options{Store: objstore.NewMem(), Alloc: mem})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := eng.Close(); err != nil {
			t.Error(err)
		}
	}()
	srv, err := pgwire.NewServer(pgwire.Config{Connect: eng.Connect})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	defer func() {
		if err := srv.Shutdown(ctx); err != nil {
			t.Error(err)
		}
		if err := <-served; !errors.Is(err, pgwire.ErrClosed) {
			t.Errorf("Serve returned %v", err)
		}
	}()
	url := "postgres://test@" + ln.Addr().String() + "/sleeperd?sslmode=disable"
	conn, err := pgconn.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	query := func(c *pgconn.PgConn, sql string) ([]string, error) {
		res := c.ExecParams(ctx, sql, nil, nil, nil, nil).Read()
		var rows []string
		for _, r := range res.Rows {
			s := ""
			for i, v := range r {
				if i > 0 {
					s += "|"
				}
				if v == nil {
					s += "NULL"
				} else {
					s += string(v)
				}
			}
			rows = append(rows, s)
		}
		return rows, res.Err
	}
	mustQuery := func(c *pgconn.PgConn, sql string) []string {
		t.Helper()
		rows, err := query(c, sql)
		if err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		return rows
	}
	mustQuery(conn, "CREATE TABLE t (v bigint)")

	copySQL := fmt.Sprintf("COPY t FROM '%s' (FORMAT parquet)", file)
	readSQL := fmt.Sprintf("SELECT v FROM read_parquet('%s') ORDER BY v", dir)
	engine.SetCastFlatHook(func(from, to arrow.DataType) {
		panic(fmt.Sprintf("cast of %s to %s", from, to))
	})
	defer engine.SetCastFlatHook(nil)
	for _, sql := range []string{copySQL, readSQL} {
		_, err := query(conn, sql)
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != "XX000" {
			t.Errorf("%s: error %v, want SQLSTATE XX000", sql, err)
		}
		// The connection and the server serve on.
		if got := mustQuery(conn, "SELECT 1"); len(got) != 1 || got[0] != "1" {
			t.Errorf("after %s: SELECT 1 gave %v", sql, got)
		}
		other, err := pgconn.Connect(ctx, url)
		if err != nil {
			t.Fatalf("after %s: %v", sql, err)
		}
		if got := mustQuery(other, "SELECT count(*) FROM t"); len(got) != 1 || got[0] != "0" {
			t.Errorf("after %s: count %v, want 0", sql, got)
		}
		other.Close(ctx)
	}

	engine.SetCastFlatHook(nil)
	mustQuery(conn, copySQL)
	if got := fmt.Sprint(mustQuery(conn, "SELECT v FROM t ORDER BY v")); got != "[1 3 NULL]" {
		t.Errorf("imported %s", got)
	}
	if got := fmt.Sprint(mustQuery(conn, readSQL)); got != "[1 3 10 NULL]" {
		t.Errorf("read_parquet gave %s", got)
	}
}

// writeInts writes a Parquet file of one column v of the values fill appends to b.
func writeInts[B array.Builder](t *testing.T, name string, b B, fill func(B)) {
	t.Helper()
	fill(b)
	col := b.NewArray()
	b.Release()
	defer col.Release()
	rec := array.NewRecordBatch(arrow.NewSchema([]arrow.Field{{Name: "v", Type: col.DataType(), Nullable: true}}, nil), []arrow.Array{col}, int64(col.Len()))
	defer rec.Release()
	var buf bytes.Buffer
	w, err := pqarrow.NewFileWriter(rec.Schema(), &buf, pqfile.NewWriterProperties(), pqarrow.NewArrowWriterProperties())
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(rec); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}
