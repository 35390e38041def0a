package flightsql

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/apache/arrow-adbc/go/adbc"
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func TestQueriesAndErrors(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx := testCtx(t)
	func() {
		srv := serve(t, Config{Engine: openEngine(t, mem), Alloc: mem})
		cl := client(t, srv)
		for _, sql := range []string{
			"CREATE TABLE t (k bigint, v text, f double precision) WITH (row_keys = 'k')",
		} {
			if _, err := cl.ExecuteUpdate(ctx, sql); err != nil {
				t.Fatalf("%s: %v", sql, err)
			}
		}
		n, err := cl.ExecuteUpdate(ctx, "INSERT INTO t VALUES (1, 'a', 1.5), (2, NULL, 2.5), (3, 'c', NULL)")
		if err != nil || n != 3 {
			t.Fatalf("insert: n=%d err=%v, want 3", n, err)
		}
		bs := fetch(ctx, t, cl, mem, "SELECT k, v, f FROM t ORDER BY k")
		got := rowsOf(bs)
		if len(bs) > 0 {
			if names := bs[0].Schema().Field(1).Name; names != "v" {
				t.Errorf("column name %q, want v", names)
			}
		}
		releaseAll(bs)
		want := [][]string{{"1", "a", "1.5"}, {"2", "NULL", "2.5"}, {"3", "c", "NULL"}}
		if !slices.EqualFunc(got, want, slices.Equal) {
			t.Errorf("rows %v, want %v", got, want)
		}

		for _, tc := range []struct {
			sql  string
			code codes.Code
		}{
			{"SELEC 1", codes.InvalidArgument},
			{"SELECT * FROM nope", codes.NotFound},
			{"SELECT 1 / 0", codes.InvalidArgument},
			{"SELECT nope FROM t", codes.InvalidArgument},
			{"SELECT * FROM other.t", codes.NotFound},
		} {
			bs, err := tryFetch(ctx, cl, mem, tc.sql)
			releaseAll(bs)
			if status.Code(err) != tc.code {
				t.Errorf("%s: error %v, want code %s", tc.sql, err, tc.code)
			}
		}
		// COPY's data needs the PostgreSQL wire protocol.
		if _, err := cl.ExecuteUpdate(ctx, "COPY t FROM STDIN"); status.Code(err) != codes.Unimplemented {
			t.Errorf("COPY FROM STDIN: %v, want Unimplemented", err)
		}
		bs, err = tryFetch(ctx, cl, mem, "COPY t TO STDOUT")
		releaseAll(bs)
		if status.Code(err) != codes.Unimplemented {
			t.Errorf("COPY TO STDOUT: %v, want Unimplemented", err)
		}
		if _, err := cl.ExecuteUpdate(ctx, "CREATE TABLE t (k bigint)"); status.Code(err) != codes.AlreadyExists {
			t.Errorf("duplicate table: %v, want AlreadyExists", err)
		}

		// The same through ADBC.
		cnx := adbcConn(t, srv, mem, nil)
		st, err := cnx.NewStatement()
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		if err := st.SetSqlQuery("SELECT count(*) AS n, sum(k) AS s FROM t"); err != nil {
			t.Fatal(err)
		}
		rdr, _, err := st.ExecuteQuery(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var rows [][]string
		for rdr.Next() {
			rows = append(rows, rowsOf([]arrow.RecordBatch{rdr.RecordBatch()})...)
		}
		rdr.Release()
		if want := [][]string{{"3", "6"}}; !slices.EqualFunc(rows, want, slices.Equal) {
			t.Errorf("ADBC rows %v, want %v", rows, want)
		}
		if err := st.SetSqlQuery("SELECT * FROM nope"); err != nil {
			t.Fatal(err)
		}
		_, _, err = st.ExecuteQuery(ctx)
		var ae adbc.Error
		if !errors.As(err, &ae) || ae.Code != adbc.StatusNotFound {
			t.Errorf("ADBC undefined table: %v, want NotFound", err)
		}
		if err := st.SetSqlQuery("DELETE FROM t WHERE k = 3"); err != nil {
			t.Fatal(err)
		}
		if n, err := st.ExecuteUpdate(ctx); err != nil || n != 1 {
			t.Errorf("ADBC delete: n=%d err=%v, want 1", n, err)
		}
	}()
}

func TestPreparedStatements(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx := testCtx(t)
	func() {
		srv := serve(t, Config{Engine: openEngine(t, mem), Alloc: mem})
		cl := client(t, srv)
		if _, err := cl.ExecuteUpdate(ctx, "CREATE TABLE p (k bigint, v text) WITH (row_keys = 'k')"); err != nil {
			t.Fatal(err)
		}
		cnx := adbcConn(t, srv, mem, nil)

		// A prepared INSERT of bare parameters bound to a batch of several rows.
		ins, err := cnx.NewStatement()
		if err != nil {
			t.Fatal(err)
		}
		defer ins.Close()
		if err := ins.SetSqlQuery("INSERT INTO p VALUES ($1, $2)"); err != nil {
			t.Fatal(err)
		}
		if err := ins.Prepare(ctx); err != nil {
			t.Fatal(err)
		}
		ps, err := ins.GetParameterSchema()
		if err != nil || ps.NumFields() != 2 || !arrow.TypeEqual(ps.Field(0).Type, arrow.PrimitiveTypes.Int64) {
			t.Fatalf("parameter schema %v, %v", ps, err)
		}
		sc := arrow.NewSchema([]arrow.Field{{Name: "a", Type: arrow.PrimitiveTypes.Int32, Nullable: true}, {Name: "b", Type: arrow.BinaryTypes.String, Nullable: true}}, nil)
		bld := array.NewRecordBuilder(mem, sc)
		bld.Field(0).(*array.Int32Builder).AppendValues([]int32{1, 2, 3}, nil)
		bld.Field(1).(*array.StringBuilder).AppendValues([]string{"x", "", "z"}, []bool{true, false, true})
		params := bld.NewRecordBatch()
		bld.Release()
		if err := ins.Bind(ctx, params); err != nil {
			t.Fatal(err)
		}
		if n, err := ins.ExecuteUpdate(ctx); err != nil || n != 3 {
			t.Fatalf("prepared insert: n=%d err=%v, want 3", n, err)
		}
		params.Release()

		// A prepared INSERT with an expression runs once per row.
		ins2, err := cnx.NewStatement()
		if err != nil {
			t.Fatal(err)
		}
		defer ins2.Close()
		if err := ins2.SetSqlQuery("INSERT INTO p VALUES ($1 + 100, upper($2))"); err != nil {
			t.Fatal(err)
		}
		if err := ins2.Prepare(ctx); err != nil {
			t.Fatal(err)
		}
		bld = array.NewRecordBuilder(mem, arrow.NewSchema([]arrow.Field{{Name: "a", Type: arrow.PrimitiveTypes.Int64}, {Name: "b", Type: arrow.BinaryTypes.String}}, nil))
		bld.Field(0).(*array.Int64Builder).AppendValues([]int64{1, 2}, nil)
		bld.Field(1).(*array.StringBuilder).AppendValues([]string{"q", "r"}, nil)
		params = bld.NewRecordBatch()
		bld.Release()
		if err := ins2.Bind(ctx, params); err != nil {
			t.Fatal(err)
		}
		if n, err := ins2.ExecuteUpdate(ctx); err != nil || n != 2 {
			t.Fatalf("prepared insert with expressions: n=%d err=%v, want 2", n, err)
		}
		params.Release()

		// A prepared query executed with two different parameter values.
		q, err := cnx.NewStatement()
		if err != nil {
			t.Fatal(err)
		}
		defer q.Close()
		if err := q.SetSqlQuery("SELECT k, v FROM p WHERE k >= $1 ORDER BY k"); err != nil {
			t.Fatal(err)
		}
		if err := q.Prepare(ctx); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			min  int64
			want [][]string
		}{
			{3, [][]string{{"3", "z"}, {"101", "Q"}, {"102", "R"}}},
			{102, [][]string{{"102", "R"}}},
			{1, [][]string{{"1", "x"}, {"2", "NULL"}, {"3", "z"}, {"101", "Q"}, {"102", "R"}}},
		} {
			bld := array.NewRecordBuilder(mem, arrow.NewSchema([]arrow.Field{{Name: "min", Type: arrow.PrimitiveTypes.Int64}}, nil))
			bld.Field(0).(*array.Int64Builder).Append(tc.min)
			p := bld.NewRecordBatch()
			bld.Release()
			if err := q.Bind(ctx, p); err != nil {
				t.Fatal(err)
			}
			rdr, _, err := q.ExecuteQuery(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var got [][]string
			for rdr.Next() {
				got = append(got, rowsOf([]arrow.RecordBatch{rdr.RecordBatch()})...)
			}
			rdr.Release()
			p.Release()
			if !slices.EqualFunc(got, tc.want, slices.Equal) {
				t.Errorf("k >= %d: rows %v, want %v", tc.min, got, tc.want)
			}
		}

		// arrow-go's client: a prepared query without bound parameters fails cleanly, and
		// a closed statement is gone.
		prep, err := cl.Prepare(ctx, "SELECT v FROM p WHERE k = $1")
		if err != nil {
			t.Fatal(err)
		}
		if prep.DatasetSchema() == nil || prep.DatasetSchema().Field(0).Name != "v" {
			t.Errorf("dataset schema %v", prep.DatasetSchema())
		}
		if _, err := prep.Execute(ctx); err != nil {
			t.Fatal(err)
		}
		info, _ := prep.Execute(ctx)
		bs, err := readInfo(ctx, cl, mem, info)
		releaseAll(bs)
		if status.Code(err) != codes.InvalidArgument {
			t.Errorf("unbound parameters: %v, want InvalidArgument", err)
		}
		if err := prep.Close(ctx); err != nil {
			t.Fatal(err)
		}
		if n := len(srv.sql.prepared); n != 3 {
			t.Errorf("%d prepared statements open, want the 3 ADBC ones", n)
		}
	}()
}

// TestIngest loads a million rows through CommandStatementIngest (arrow-go's client) and
// through an ADBC prepared INSERT bound to a stream of batches, and reads them back.
func TestIngest(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx := testCtx(t)
	const rows, per = 1_000_000, 65_536
	sc := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "name", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "score", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	}, nil)
	batches := func() []arrow.RecordBatch {
		var out []arrow.RecordBatch
		for start := 0; start < rows; start += per {
			bld := array.NewRecordBuilder(mem, sc)
			for i := start; i < min(start+per, rows); i++ {
				bld.Field(0).(*array.Int64Builder).Append(int64(i))
				if i%7 == 0 {
					bld.Field(1).AppendNull()
				} else {
					bld.Field(1).(*array.StringBuilder).Append(fmt.Sprintf("n%d", i%1000))
				}
				bld.Field(2).(*array.Float64Builder).Append(float64(i) / 4)
			}
			out = append(out, bld.NewRecordBatch())
			bld.Release()
		}
		return out
	}
	func() {
		srv := serve(t, Config{Engine: openEngine(t, mem), Alloc: mem, IngestChunkRows: 300_000})
		cl := client(t, srv)

		src := batches()
		rdr, err := array.NewRecordReader(sc, src)
		if err != nil {
			t.Fatal(err)
		}
		n, err := cl.ExecuteIngest(ctx, rdr, &flightsqlIngestOpts{
			TableDefinitionOptions: createOpts(),
			Table:                  "ing",
			Options:                map[string]string{OptionRowKeys: "id"},
		})
		rdr.Release()
		releaseAll(src)
		if err != nil || n != rows {
			t.Fatalf("ingest: n=%d err=%v, want %d", n, err, rows)
		}
		// Ingest again into the existing table fails without append.
		src = batches()
		releaseAll(src[1:])
		src = src[:1]
		rdr, _ = array.NewRecordReader(sc, src)
		_, err = cl.ExecuteIngest(ctx, rdr, &flightsqlIngestOpts{TableDefinitionOptions: createOpts(), Table: "ing"})
		rdr.Release()
		releaseAll(src)
		if status.Code(err) != codes.AlreadyExists {
			t.Errorf("ingest into existing table: %v, want AlreadyExists", err)
		}

		// ADBC: a prepared INSERT bound to the batch stream.
		if _, err := cl.ExecuteUpdate(ctx, "CREATE TABLE ing2 (id bigint, name text, score double precision) WITH (row_keys = 'id')"); err != nil {
			t.Fatal(err)
		}
		cnx := adbcConn(t, srv, mem, nil)
		st, err := cnx.NewStatement()
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		if err := st.SetSqlQuery("INSERT INTO ing2 VALUES ($1, $2, $3)"); err != nil {
			t.Fatal(err)
		}
		if err := st.Prepare(ctx); err != nil {
			t.Fatal(err)
		}
		src = batches()
		rdr, _ = array.NewRecordReader(sc, src)
		releaseAll(src)
		err = st.BindStream(ctx, rdr)
		rdr.Release() // the statement keeps its own reference
		if err != nil {
			t.Fatal(err)
		}
		if n, err := st.ExecuteUpdate(ctx); err != nil || n != rows {
			t.Fatalf("ADBC bulk insert: n=%d err=%v, want %d", n, err, rows)
		}

		for _, table := range []string{"ing", "ing2"} {
			want := batches()
			got := fetch(ctx, t, cl, mem, "SELECT id, name, score FROM "+table+" ORDER BY id")
			if !sameRows(t, got, want) {
				t.Errorf("%s: rows read back differ from the rows ingested", table)
			}
			releaseAll(want)
			releaseAll(got)
		}
	}()
}

// sameRows compares two batch lists row by row, whatever their batch boundaries.
func sameRows(t *testing.T, got, want []arrow.RecordBatch) bool {
	t.Helper()
	tg, tw := array.NewTableFromRecords(got[0].Schema(), got), array.NewTableFromRecords(want[0].Schema(), want)
	defer tg.Release()
	defer tw.Release()
	if tg.NumRows() != tw.NumRows() || tg.NumCols() != tw.NumCols() {
		t.Logf("got %d rows x %d cols, want %d x %d", tg.NumRows(), tg.NumCols(), tw.NumRows(), tw.NumCols())
		return false
	}
	for c := 0; c < int(tg.NumCols()); c++ {
		if !array.ChunkedEqual(tg.Column(c).Data(), tw.Column(c).Data()) {
			t.Logf("column %d differs", c)
			return false
		}
	}
	return true
}
