package flightsql

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-adbc/go/adbc"
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func strp(s string) *string { return &s }

func TestMetadata(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx := testCtx(t)
	func() {
		srv := serve(t, Config{Engine: openEngine(t, mem), Alloc: mem})
		cl := client(t, srv)
		for _, sql := range []string{
			"CREATE TABLE orders (id bigint, customer text, total numeric(10,2), PRIMARY KEY (id))",
			"CREATE TABLE events (at timestamp, kind text) WITH (row_keys = 'kind')",
		} {
			if _, err := cl.ExecuteUpdate(ctx, sql); err != nil {
				t.Fatalf("%s: %v", sql, err)
			}
		}
		get := func(info *flight.FlightInfo, err error) [][]string {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
			bs, err := readInfo(ctx, cl, mem, info)
			if err != nil {
				t.Fatal(err)
			}
			defer releaseAll(bs)
			return rowsOf(bs)
		}
		eq := func(what string, got, want [][]string) {
			t.Helper()
			if !slices.EqualFunc(got, want, slices.Equal) {
				t.Errorf("%s: %v, want %v", what, got, want)
			}
		}
		eq("catalogs", get(cl.GetCatalogs(ctx)), [][]string{{"sleeperd"}})
		eq("schemas", get(cl.GetDBSchemas(ctx, &flightsql.GetDBSchemasOpts{})), [][]string{{"sleeperd", "public"}, {"sleeperd", "sleeper"}})
		eq("schemas like p%", get(cl.GetDBSchemas(ctx, &flightsql.GetDBSchemasOpts{DbSchemaFilterPattern: strp("p%")})), [][]string{{"sleeperd", "public"}})
		eq("schemas of another catalog", get(cl.GetDBSchemas(ctx, &flightsql.GetDBSchemasOpts{Catalog: strp("x")})), nil)
		eq("table types", get(cl.GetTableTypes(ctx)), [][]string{{"SYSTEM TABLE"}, {"TABLE"}})
		eq("tables", get(cl.GetTables(ctx, &flightsql.GetTablesOpts{TableTypes: []string{"TABLE"}})),
			[][]string{{"sleeperd", "public", "events", "TABLE"}, {"sleeperd", "public", "orders", "TABLE"}})
		eq("system tables", get(cl.GetTables(ctx, &flightsql.GetTablesOpts{DbSchemaFilterPattern: strp("sleeper"), TableNameFilterPattern: strp("part%")})),
			[][]string{{"sleeperd", "sleeper", "partitions", "SYSTEM TABLE"}})
		eq("primary keys", get(cl.GetPrimaryKeys(ctx, flightsql.TableRef{Table: "orders"})),
			[][]string{{"sleeperd", "public", "orders", "id", "1", "orders_pkey"}})
		eq("no primary key", get(cl.GetPrimaryKeys(ctx, flightsql.TableRef{Table: "events"})), nil)
		if _, err := readInfoErr(ctx, cl, mem)(cl.GetPrimaryKeys(ctx, flightsql.TableRef{Table: "nope"})); status.Code(err) != codes.NotFound {
			t.Errorf("primary keys of an undefined table: %v, want NotFound", err)
		}

		// Tables with their schemas.
		sc := tableSchema(ctx, t, cl, mem, "orders")
		want := []arrow.DataType{arrow.PrimitiveTypes.Int64, arrow.BinaryTypes.String, &arrow.Decimal128Type{Precision: 10, Scale: 2}}
		if sc.NumFields() != 3 {
			t.Fatalf("orders schema %v", sc)
		}
		for i, f := range sc.Fields() {
			if !arrow.TypeEqual(f.Type, want[i]) {
				t.Errorf("orders column %s is %s, want %s", f.Name, f.Type, want[i])
			}
		}
		meta := sc.Field(2).Metadata
		md := flightsql.ColumnMetadata{Data: &meta}
		if tn, _ := md.TypeName(); tn != "numeric(10,2)" {
			t.Errorf("type name metadata %q", tn)
		}

		// SqlInfo and XDBC type info.
		rows := get(cl.GetSqlInfo(ctx, []flightsql.SqlInfo{flightsql.SqlInfoFlightSqlServerName, flightsql.SqlInfoFlightSqlServerReadOnly}))
		if len(rows) != 2 || !strings.Contains(rows[0][1], "sleeperd") {
			t.Errorf("sql info %v", rows)
		}
		rows = get(cl.GetXdbcTypeInfo(ctx, nil))
		if len(rows) != len(sqlTypes) {
			t.Errorf("%d XDBC types, want %d", len(rows), len(sqlTypes))
		}
		bigint := int32(-5)
		rows = get(cl.GetXdbcTypeInfo(ctx, &bigint))
		if len(rows) != 1 || rows[0][0] != "bigint" {
			t.Errorf("XDBC type -5: %v", rows)
		}

		// ADBC: GetObjects, GetTableSchema, GetTableTypes, GetInfo.
		cnx := adbcConn(t, srv, mem, nil)
		rdr, err := cnx.GetObjects(ctx, adbc.ObjectDepthAll, nil, nil, strp("orders"), nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		var found bool
		for rdr.Next() {
			b := rdr.RecordBatch()
			var buf []byte
			buf, _ = b.MarshalJSON()
			found = found || (b.NumRows() > 0 && containsAll(string(buf), "sleeperd", "public", "orders", "customer"))
		}
		rdr.Release()
		if !found {
			t.Error("GetObjects does not list orders and its columns")
		}
		ts, err := cnx.GetTableSchema(ctx, nil, strp("public"), "events")
		if err != nil || ts.NumFields() != 2 || ts.Field(0).Name != "at" {
			t.Errorf("ADBC table schema %v, %v", ts, err)
		}
		tt, err := cnx.GetTableTypes(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var types []string
		for tt.Next() {
			for _, r := range rowsOf([]arrow.RecordBatch{tt.RecordBatch()}) {
				types = append(types, r[0])
			}
		}
		tt.Release()
		if !slices.Equal(types, []string{"SYSTEM TABLE", "TABLE"}) {
			t.Errorf("ADBC table types %v", types)
		}
		gi, err := cnx.GetInfo(ctx, []adbc.InfoCode{adbc.InfoVendorName})
		if err != nil {
			t.Fatal(err)
		}
		var vendor string
		for gi.Next() {
			b := gi.RecordBatch()
			if b.NumRows() > 0 {
				vendor = b.Column(1).ValueStr(0)
			}
		}
		gi.Release()
		if !containsAll(vendor, "sleeperd") {
			t.Errorf("ADBC vendor name %q", vendor)
		}
	}()
}

func readInfoErr(ctx context.Context, cl *flightsql.Client, mem memory.Allocator) func(*flight.FlightInfo, error) ([][]string, error) {
	return func(info *flight.FlightInfo, err error) ([][]string, error) {
		if err != nil {
			return nil, err
		}
		bs, err := readInfo(ctx, cl, mem, info)
		defer releaseAll(bs)
		return rowsOf(bs), err
	}
}

func containsAll(s string, subs ...string) bool {
	for _, x := range subs {
		if !strings.Contains(s, x) {
			return false
		}
	}
	return true
}
