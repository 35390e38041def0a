package flightsql

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/extensions"
)

// TestReadRecordArraySQLTypes reads an array of a composite type whose fields are of uuid,
// time and arrays of them, with arrow-go's Flight SQL client and with ADBC: an Arrow list of
// structs whose children are the types flat columns of those types are sent as (the
// arrow.uuid extension, time64[us], lists of them), with values, NULL records, NULL fields,
// NULL and empty arrays as inserted.
func TestReadRecordArraySQLTypes(t *testing.T) {
	ctx, mem, srv, cl := serveChecked(t)
	execAll(ctx, t, cl,
		"CREATE TYPE stamp AS (n int, u uuid, t time, ts time[], us uuid[])",
		"CREATE TABLE st (k bigint NOT NULL, rs stamp[]) WITH (row_keys = 'k')",
		`INSERT INTO st VALUES
		 (1, ARRAY[ROW(7, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '12:34:56.5', ARRAY['01:00'::time, NULL], ARRAY['00000000-0000-0000-0000-000000000001'::uuid])::stamp,
		           NULL, ROW(NULL, NULL, NULL, NULL, NULL)::stamp, ROW(8, '00000000-0000-0000-0000-0000000000ff', '23:00', ARRAY[]::time[], NULL)::stamp]),
		 (2, NULL), (3, ARRAY[]::stamp[])`,
	)
	uuidType := extensions.NewUUIDType()
	want := []arrow.DataType{arrow.PrimitiveTypes.Int32, uuidType, arrow.FixedWidthTypes.Time64us, arrow.ListOf(arrow.FixedWidthTypes.Time64us), arrow.ListOf(uuidType)}
	wantVals := []string{
		`[{"n":7,"t":"12:34:56.5","ts":["01:00:00",null],"u":"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11","us":["00000000-0000-0000-0000-000000000001"]},` +
			`null,{"n":null,"t":null,"ts":null,"u":null,"us":null},` +
			`{"n":8,"t":"23:00:00","ts":[],"u":"00000000-0000-0000-0000-0000000000ff","us":null}]`,
		"(null)", "[]",
	}
	check := func(client string, got []arrow.RecordBatch) {
		t.Helper()
		lt, ok := got[0].Schema().Field(1).Type.(*arrow.ListType)
		if !ok {
			t.Fatalf("%s: column rs is %s, want a list", client, got[0].Schema().Field(1).Type)
		}
		st, ok := lt.Elem().(*arrow.StructType)
		if !ok || st.NumFields() != len(want) {
			t.Fatalf("%s: rs elements are %s, want a struct of %d fields", client, lt.Elem(), len(want))
		}
		for k, w := range want {
			if f := st.Field(k); !arrow.TypeEqual(f.Type, w) {
				t.Errorf("%s: field %s is %s, want %s", client, f.Name, f.Type, w)
			}
		}
		var vals []string
		for _, b := range got {
			for i := 0; i < int(b.NumRows()); i++ {
				vals = append(vals, b.Column(1).ValueStr(i))
			}
		}
		if len(vals) != len(wantVals) {
			t.Fatalf("%s: %d rows, want %d", client, len(vals), len(wantVals))
		}
		for i := range vals {
			if vals[i] != wantVals[i] {
				t.Errorf("%s: row %d is\n%s\nwant\n%s", client, i+1, vals[i], wantVals[i])
			}
		}
		r := got[0].Column(1).(*array.List).ListValues().(*array.Struct)
		if ta, ok := r.Field(2).(*array.Time64); !ok || ta.Value(0) != arrow.Time64((12*3600+34*60+56)*1000000+500000) {
			t.Errorf("%s: t = %s", client, r.Field(2))
		}
		if ua, ok := r.Field(1).(*extensions.UUIDArray); !ok || ua.Value(3).String() != "00000000-0000-0000-0000-0000000000ff" {
			t.Errorf("%s: u = %s", client, r.Field(1))
		}
	}
	const q = "SELECT k, rs FROM st ORDER BY k"
	got := fetch(ctx, t, cl, mem, q)
	defer releaseAll(got)
	check("flight", got)
	cnx := adbcConn(t, srv, mem, nil)
	viaADBC := adbcQuery(ctx, t, cnx, q)
	defer releaseAll(viaADBC)
	check("adbc", viaADBC)
}
