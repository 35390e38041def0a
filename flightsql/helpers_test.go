package flightsql

import (
	"context"
	"errors"
	"net"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/arrow-adbc/go/adbc"
	adbcfsql "github.com/apache/arrow-adbc/go/adbc/driver/flightsql"
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/sleeperd/sleeperd/engine"
	"github.com/sleeperd/sleeperd/internal/arrowgen"
	"github.com/sleeperd/sleeperd/storage/objstore"
)

// peakAlloc is an allocator that records the most bytes it had allocated at once.
type peakAlloc struct {
	memory.Allocator
	cur, peak atomic.Int64
}

func (p *peakAlloc) add(n int) {
	c := p.cur.Add(int64(n))
	for {
		pk := p.peak.Load()
		if c <= pk || p.peak.CompareAndSwap(pk, c) {
			return
		}
	}
}

func (p *peakAlloc) Allocate(n int) []byte { p.add(n); return p.Allocator.Allocate(n) }

func (p *peakAlloc) Reallocate(n int, b []byte) []byte {
	p.add(n - len(b))
	return p.Allocator.Reallocate(n, b)
}

func (p *peakAlloc) Free(b []byte) { p.add(-len(b)); p.Allocator.Free(b) }

// openEngine opens an engine over an in-memory store, closed when the test ends.
func openEngine(t *testing.T, mem memory.Allocator) *engine.Engine {
	t.Helper()
	eng, err := engine.Open(context.Background(), engine.Options{Store: objstore.NewMem(), Alloc: mem})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	return eng
}

// serve starts a server for cfg on a free loopback port and returns it; it is shut down
// when the test ends (before the engine closes).
func serve(t *testing.T, cfg Config) *Server {
	t.Helper()
	srv, err := NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		if err := <-done; !errors.Is(err, ErrClosed) {
			t.Errorf("Serve returned %v, want ErrClosed", err)
		}
	})
	for srv.Addr() == nil {
		time.Sleep(time.Millisecond)
	}
	return srv
}

// client dials srv with arrow-go's Flight SQL client.
func client(t *testing.T, srv *Server, opts ...grpc.DialOption) *flightsql.Client {
	t.Helper()
	if len(opts) == 0 {
		opts = []grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}
	}
	cl, err := flightsql.NewClient(srv.Addr().String(), nil, nil, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cl.Close() })
	return cl
}

// adbcConn opens an ADBC connection to srv with extra database options.
func adbcConn(t *testing.T, srv *Server, mem memory.Allocator, opts map[string]string) adbc.Connection {
	t.Helper()
	cnx, err := tryADBC(srv, mem, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cnx.Close() })
	return cnx
}

func tryADBC(srv *Server, mem memory.Allocator, opts map[string]string) (adbc.Connection, error) {
	scheme := "grpc://"
	if _, ok := opts["tls"]; ok {
		scheme = "grpc+tls://"
		delete(opts, "tls")
	}
	all := map[string]string{adbc.OptionKeyURI: scheme + srv.Addr().String()}
	for k, v := range opts {
		all[k] = v
	}
	db, err := adbcfsql.NewDriver(mem).NewDatabase(all)
	if err != nil {
		return nil, err
	}
	cnx, err := db.Open(context.Background())
	if err != nil {
		db.Close()
		return nil, err
	}
	return &closeBoth{cnx, db}, nil
}

type closeBoth struct {
	adbc.Connection
	db adbc.Database
}

func (c *closeBoth) Close() error {
	err := c.Connection.Close()
	if e := c.db.Close(); err == nil {
		err = e
	}
	return err
}

// fetch runs a query with the Flight SQL client and returns its batches.
func fetch(ctx context.Context, t *testing.T, cl *flightsql.Client, mem memory.Allocator, sql string) []arrow.RecordBatch {
	t.Helper()
	out, err := tryFetch(ctx, cl, mem, sql)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return out
}

func tryFetch(ctx context.Context, cl *flightsql.Client, mem memory.Allocator, sql string) ([]arrow.RecordBatch, error) {
	info, err := cl.Execute(ctx, sql)
	if err != nil {
		return nil, err
	}
	return readInfo(ctx, cl, mem, info)
}

func readInfo(ctx context.Context, cl *flightsql.Client, mem memory.Allocator, info *flight.FlightInfo) ([]arrow.RecordBatch, error) {
	var out []arrow.RecordBatch
	for _, ep := range info.Endpoint {
		rdr, err := cl.DoGet(ctx, ep.Ticket)
		if err != nil {
			return nil, err
		}
		for rdr.Next() {
			b := rdr.RecordBatch()
			b.Retain()
			out = append(out, b)
		}
		err = rdr.Err()
		rdr.Release()
		if err != nil {
			for _, b := range out {
				b.Release()
			}
			return nil, err
		}
	}
	return out, nil
}

// tableSchema asks GetTables for the one table named name with its schema and returns the
// schema.
func tableSchema(ctx context.Context, t *testing.T, cl *flightsql.Client, mem memory.Allocator, name string) *arrow.Schema {
	t.Helper()
	info, err := cl.GetTables(ctx, &flightsql.GetTablesOpts{TableNameFilterPattern: strp(name), IncludeSchema: true})
	if err != nil {
		t.Fatal(err)
	}
	bs, err := readInfo(ctx, cl, mem, info)
	if err != nil || len(bs) != 1 || bs[0].NumRows() != 1 {
		t.Fatalf("tables with schema: %v %v", bs, err)
	}
	sc, err := flight.DeserializeSchema(bs[0].Column(4).(*array.Binary).Value(0), mem)
	releaseAll(bs)
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

// adbcFetch runs q on cnx and returns its batches (at least one) for the caller to release.
func adbcFetch(ctx context.Context, t *testing.T, cnx adbc.Connection, q string) []arrow.RecordBatch {
	t.Helper()
	st, err := cnx.NewStatement()
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.SetSqlQuery(q); err != nil {
		t.Fatal(err)
	}
	ar, _, err := st.ExecuteQuery(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var out []arrow.RecordBatch
	for ar.Next() {
		b := ar.RecordBatch()
		b.Retain()
		out = append(out, b)
	}
	err = ar.Err()
	ar.Release()
	if err != nil || len(out) == 0 {
		releaseAll(out)
		t.Fatalf("ADBC: %d batches, %v", len(out), err)
	}
	return out
}

func releaseAll(bs []arrow.RecordBatch) {
	for _, b := range bs {
		b.Release()
	}
}

// rowsOf renders batches as rows of Go values (via ValueStr), NULL as "NULL".
func rowsOf(bs []arrow.RecordBatch) [][]string {
	var out [][]string
	for _, b := range bs {
		for i := 0; i < int(b.NumRows()); i++ {
			row := make([]string, b.NumCols())
			for j, c := range b.Columns() {
				if c.IsNull(i) {
					row[j] = "NULL"
				} else {
					row[j] = c.ValueStr(i)
				}
			}
			out = append(out, row)
		}
	}
	return out
}

type flightsqlIngestOpts = flightsql.ExecuteIngestOpts

func createOpts() *flightsql.TableDefinitionOptions {
	return &flightsql.TableDefinitionOptions{
		IfNotExist: flightsql.TableDefinitionOptionsTableNotExistOptionCreate,
		IfExists:   flightsql.TableDefinitionOptionsTableExistsOptionFail,
	}
}

// execAll runs each statement with the Flight SQL client, failing the test on the first error.
func execAll(ctx context.Context, t *testing.T, cl *flightsql.Client, stmts ...string) {
	t.Helper()
	for _, q := range stmts {
		if _, err := cl.ExecuteUpdate(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// writeParquet writes src with arrow-go's pqarrow, rowGroup rows a row group, to a file
// called name in a temporary directory, and returns its path.
func writeParquet(t *testing.T, src arrow.RecordBatch, name string, rowGroup int64) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), name)
	if err := arrowgen.WriteParquet(file, src, parquet.NewWriterProperties(parquet.WithMaxRowGroupLength(rowGroup))); err != nil {
		t.Fatal(err)
	}
	return file
}

// sameType reports whether two Arrow types are equal (arrow.TypeEqual).
func sameType(got, want arrow.DataType) bool { return arrow.TypeEqual(got, want) }

// sameTypeText reports whether two Arrow types have the same ID and print the same.
func sameTypeText(got, want arrow.DataType) bool {
	return got.ID() == want.ID() && got.String() == want.String()
}

// checkReadBack runs q with the Flight SQL client cl and over ADBC against srv, and fails
// the test unless the columns' types match src's (by sameType) and both read back src's
// rows. step, when not empty, prefixes the messages.
func checkReadBack(ctx context.Context, t *testing.T, srv *Server, cl *flightsql.Client, mem memory.Allocator, q string, src arrow.RecordBatch, sameType func(got, want arrow.DataType) bool, step string) {
	t.Helper()
	if step != "" {
		step += ": "
	}
	sc := src.Schema()
	got := fetch(ctx, t, cl, mem, q)
	defer releaseAll(got)
	for i, f := range got[0].Schema().Fields() {
		if !sameType(f.Type, sc.Field(i).Type) {
			t.Fatalf("%scolumn %s: %s, want %s", step, f.Name, f.Type, sc.Field(i).Type)
		}
	}
	if !sameRows(t, got, []arrow.RecordBatch{src}) {
		t.Errorf("%sFlight SQL: rows read back differ from the file's", step)
	}
	cnx := adbcConn(t, srv, mem, nil)
	viaADBC := adbcFetch(ctx, t, cnx, q)
	defer releaseAll(viaADBC)
	if !sameRows(t, viaADBC, []arrow.RecordBatch{src}) {
		t.Errorf("%sADBC: rows read back differ from the file's", step)
	}
}

// serveChecked starts a server over a fresh engine whose memory is checked for leaks when
// the test ends, and returns a bounded context, the allocator, the server and a client.
func serveChecked(t *testing.T) (context.Context, *memory.CheckedAllocator, *Server, *flightsql.Client) {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	t.Cleanup(func() { mem.AssertSize(t, 0) })
	ctx := testCtx(t)
	srv := serve(t, Config{Engine: openEngine(t, mem), Alloc: mem})
	return ctx, mem, srv, client(t, srv)
}
