package flightsql

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql"

	"github.com/sleeperd/sleeperd/types"
)

// TestTableSchemaOfArrayTypes has GetTables (with schemas) and ADBC's GetTableSchema
// describe a table of json, jsonb, uuid, time and timetz columns, arrays of each, and a
// composite holding such arrays: each column has the Arrow type and the SQL type name
// (sleeperd.sql_type) that a query's result column has, and its Flight SQL type name is
// PostgreSQL's (json[], jsonb[], uuid[], ...).
func TestTableSchemaOfArrayTypes(t *testing.T) {
	ctx, mem, srv, cl := serveChecked(t)
	for _, q := range []string{
		"CREATE TYPE arrs AS (j json[], u uuid[], z timetz[], b jsonb)",
		`CREATE TABLE ta (k int, j json, jb jsonb, ja json[], jba jsonb[], u uuid, ua uuid[], t time, tar time[],
			tz timetz, tza timetz[], v varchar[], r arrs) WITH (row_keys = 'k')`,
	} {
		if _, err := cl.ExecuteUpdate(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	wantNames := []string{"integer", "json", "jsonb", "json[]", "jsonb[]", "uuid", "uuid[]", "time without time zone",
		"time without time zone[]", "time with time zone", "time with time zone[]", "character varying[]", "arrs"}

	info, err := cl.Execute(ctx, "SELECT * FROM ta")
	if err != nil {
		t.Fatal(err)
	}
	res, err := flight.DeserializeSchema(info.Schema, mem)
	if err != nil {
		t.Fatal(err)
	}
	if res.NumFields() != len(wantNames) {
		t.Fatalf("result schema %s", res)
	}
	sqlType := func(f arrow.Field) string { v, _ := f.Metadata.GetValue(types.SQLTypeKey); return v }
	check := func(what string, sc *arrow.Schema, names bool) {
		t.Helper()
		if sc.NumFields() != res.NumFields() {
			t.Fatalf("%s: %s", what, sc)
		}
		for i, f := range sc.Fields() {
			r := res.Field(i)
			if !arrow.TypeEqual(f.Type, r.Type) || sqlType(f) != sqlType(r) {
				t.Errorf("%s: column %s is %s (%s %q), a query's result %s (%q)", what, f.Name, f.Type, types.SQLTypeKey, sqlType(f), r.Type, sqlType(r))
			}
			if !names {
				continue
			}
			md := flightsql.ColumnMetadata{Data: &f.Metadata}
			if tn, _ := md.TypeName(); tn != wantNames[i] {
				t.Errorf("%s: column %s has type name %q, want %q", what, f.Name, tn, wantNames[i])
			}
		}
	}

	sc := tableSchema(ctx, t, cl, mem, "ta")
	check("GetTables", sc, true)

	cnx := adbcConn(t, srv, mem, nil)
	ts, err := cnx.GetTableSchema(ctx, nil, strp("public"), "ta")
	if err != nil {
		t.Fatal(err)
	}
	check("ADBC GetTableSchema", ts, false)
}
